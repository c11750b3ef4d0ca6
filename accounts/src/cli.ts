/**
 * `npm run admin -- <command>`: account administration from the server's
 * shell, for what must work before anyone can sign in.
 *
 *   create-admin <phone>   make the account with this number an admin (creating it if needed)
 *                          and print a one-time set-up link (24 hours)
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createLogger } from '@muster/kit/log';
import { openDatabase, resolveKeyPasswords } from '@muster/db';
import { Accounts } from './domain/Accounts.ts';
import { isAccountError } from './errors.ts';

const USAGE = `Usage: npm run admin -- create-admin <phone> [--data-dir DIR]

  create-admin <phone>   makes the account with this phone number an admin (creating it
                         if there is none) and prints a one-time set-up link, valid 24 hours,
                         where the admin sets a password and the console's second factor

Environment: MUSTER_DATA_DIR, DATABASE_URL, MUSTER_KEY_PASSWORD_1/_2 (as the server),
DEFAULT_PHONE_REGION (default CN), PUBLIC_URL (the address people open; default http://localhost:$PORT)`;

// Log lines go to stderr: stdout carries the link.
const log = createLogger({ pretty: false, destination: pino.destination({ fd: 2, sync: true }) }).child({ component: 'accounts' });

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [command, phone, ...rest] = parsed.positionals;
  if (parsed.values.help || command !== 'create-admin' || !phone || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return parsed.values.help ? 0 : 2;
  }
  // `npm run admin` runs in the workspace's folder: ./data means the folder npm was started in (INIT_CWD), as for `npm start`.
  const dataDir = path.resolve(process.env.INIT_CWD ?? process.cwd(), parsed.values['data-dir'] ?? process.env.MUSTER_DATA_DIR ?? './data');
  const db = await openDatabase({ dataDir, url: process.env.DATABASE_URL || undefined, keys: resolveKeyPasswords(process.env, dataDir, log), logger: log, resumeRotation: false });
  const publicUrl = process.env.PUBLIC_URL || `http://localhost:${process.env.PORT || 8080}`;
  const accounts = await Accounts.open({ db, logger: log, phoneRegion: process.env.DEFAULT_PHONE_REGION || 'CN', publicUrl });
  try {
    const { link, created } = await accounts.admin.createAdmin(phone);
    process.stdout.write(`${created ? 'Created an admin account' : 'Made the existing account an admin'} for ${phone}.\nOpen this link within 24 hours to set the password and the console's second factor (it works once):\n\n  ${link}\n`);
    return 0;
  } catch (error) {
    if (isAccountError(error)) {
      process.stderr.write(`${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    accounts.close();
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log.error({ err: error }, 'accounts: the command failed');
    process.exit(1);
  },
);
