/**
 * Operator commands for the database and its keys:
 *
 *     npm run keys -w db -- <command> [options]
 *
 * Passwords come from the environment (or files it names), never from the
 * command line, which every user of the machine can read in `ps`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, type Logger } from '@muster/kit/log';
import { pino } from 'pino';
import { z } from 'zod';
import { backupDatabase, restoreDatabase } from './Backup.ts';
import { openDatabase, type Database, type OpenDatabaseOptions } from './Database.ts';
import { isPostgresUrl, openEngine } from './Engine.ts';
import { DbError, isDbError } from './errors.ts';
import { Keyring, type KeyPasswords } from './Keyring.ts';
import { readPasswordFile, resolveKeyPasswords, type ResolvedKeyPasswords } from './keyPasswords.ts';
import { openRetiredFile } from './legacy.ts';

const USAGE = `Usage: npm run keys -w db -- <command> [options]

Commands:
  init                          create the database and its data key under the two passwords
  change-password --which 1|2   replace one password (the data key is re-wrapped; no data re-encrypted)
  rotate                        new data key; re-encrypt every sealed value (resumes an interrupted one)
  verify-audit                  check the audit log's hash chain; prints the head hash
  backup --out FILE             sealed export (gzip'd JSON lines); needs no password
  restore --in FILE             import a backup into an empty database
  status                        keys, rotation progress
  unseal-retired --in FILE --out FILE
                                an older install's file put aside at import (<name>.migrated), back as it was

Options:
  --data-dir DIR   the data directory (default: $MUSTER_DATA_DIR, else ./data)

Environment:
  DATABASE_URL                                   postgres:// or postgresql:// → PostgreSQL; unset → SQLite in the data directory
  MUSTER_KEY_PASSWORD_1, MUSTER_KEY_PASSWORD_2   the two key passwords (or MUSTER_KEY_PASSWORD_FILE_1/_2: files holding them);
                                                 unset: the embedded default files <data-dir>/keys/password-1/-2, if present
  MUSTER_NEW_KEY_PASSWORD                        change-password: the new password (or MUSTER_NEW_KEY_PASSWORD_FILE)

Stop the server before init, rotate and restore (the server resumes an
interrupted rotation by itself at start-up).`;

const Args = z.discriminatedUnion('command', [
  z.object({ command: z.literal('init') }),
  z.object({ command: z.literal('change-password'), which: z.enum(['1', '2'], { error: '--which 1 or --which 2' }).transform((w) => (w === '1' ? 1 : 2) as 1 | 2) }),
  z.object({ command: z.literal('rotate') }),
  z.object({ command: z.literal('verify-audit') }),
  z.object({ command: z.literal('backup'), out: z.string({ error: '--out FILE is required' }).min(1) }),
  z.object({ command: z.literal('restore'), in: z.string({ error: '--in FILE is required' }).min(1) }),
  z.object({ command: z.literal('status') }),
  z.object({
    command: z.literal('unseal-retired'),
    in: z.string({ error: '--in FILE (a .migrated file) is required' }).min(1),
    out: z.string({ error: '--out FILE is required' }).min(1),
  }),
]);
type Args = z.infer<typeof Args>;

class UsageError extends Error {}

function parse(argv: string[]): { args: Args; dataDir: string } {
  if (argv.some((a) => /^--?(new-)?pass(word)?/i.test(a))) {
    throw new UsageError('passwords are never taken from the command line (other users see it in `ps`): set MUSTER_KEY_PASSWORD_1/_2 or MUSTER_KEY_PASSWORD_FILE_1/_2');
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { 'data-dir': { type: 'string' }, which: { type: 'string' }, out: { type: 'string' }, in: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help || parsed.positionals.length === 0) throw new UsageError('');
  if (parsed.positionals.length > 1) throw new UsageError(`one command at a time (got ${parsed.positionals.join(' ')})`);
  const result = Args.safeParse({ command: parsed.positionals[0], which: parsed.values.which, out: parsed.values.out, in: parsed.values.in });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(issue.path[0] === 'command' ? `unknown command ${parsed.positionals[0]}` : issue.message);
  }
  return { args: result.data, dataDir: path.resolve(parsed.values['data-dir'] ?? process.env.MUSTER_DATA_DIR ?? './data') };
}

const print = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The CLI's log: the kit's JSON lines (with its redaction), as `component:
 * 'db'`, on stderr: here stdout carries the commands' output (`status` prints
 * JSON for scripts), and a log line must not mix into it. Synchronous, so no
 * line is lost when the command exits.
 */
const cliLog: Logger = createLogger({ pretty: false, destination: pino.destination({ fd: 2, sync: true }) }).child({ component: 'db' });

function currentPasswords(dataDir: string): ResolvedKeyPasswords {
  return resolveKeyPasswords(process.env, dataDir, cliLog, { createEmbedded: false });
}

function newPassword(): string {
  const value = process.env.MUSTER_NEW_KEY_PASSWORD;
  const file = process.env.MUSTER_NEW_KEY_PASSWORD_FILE;
  if (value && file) throw new DbError('KEY_PASSWORDS_INVALID', 'set MUSTER_NEW_KEY_PASSWORD or MUSTER_NEW_KEY_PASSWORD_FILE, not both');
  if (value) return value;
  if (file) return readPasswordFile(file, 'MUSTER_NEW_KEY_PASSWORD_FILE');
  throw new DbError('KEY_PASSWORDS_INVALID', 'set MUSTER_NEW_KEY_PASSWORD (or MUSTER_NEW_KEY_PASSWORD_FILE) to the new password');
}

function warnIfWeak(passwords: KeyPasswords): void {
  for (const [i, p] of [passwords.password1, passwords.password2].entries()) {
    if (p.length < 12) cliLog.warn({ which: i + 1 }, `db: key password ${i + 1} is shorter than 12 characters; prefer long random passphrases`);
  }
}

async function withDatabase<T>(dataDir: string, keys: KeyPasswords, fn: (db: Database) => Promise<T>, extra: Partial<OpenDatabaseOptions> = {}): Promise<T> {
  const db = await openDatabase({ dataDir, url: process.env.DATABASE_URL, keys, logger: cliLog, resumeRotation: false, ...extra });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function run(args: Args, dataDir: string): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (url && !isPostgresUrl(url)) throw new UsageError(`DATABASE_URL must start with postgres:// or postgresql:// (unset it for SQLite in the data directory)`);
  switch (args.command) {
    case 'init': {
      const keys = resolveKeyPasswords(process.env, dataDir, cliLog, { createEmbedded: false });
      if (keys.source !== 'configured') throw new DbError('KEY_PASSWORDS_INVALID', 'init needs the two passwords: set MUSTER_KEY_PASSWORD_1/_2 (or MUSTER_KEY_PASSWORD_FILE_1/_2)');
      warnIfWeak(keys);
      const handles = await openEngine({ dataDir, url, logger: cliLog, readerPoolSize: 1, walCheckpointThreadAfterMs: false });
      try {
        const rows = await Keyring.readRows(handles.writer);
        if (rows && rows.length > 0) throw new DbError('KEYRING_EXISTS', `${handles.location} already has a data key: use change-password to change a password`);
      } finally {
        await handles.destroy();
      }
      await withDatabase(dataDir, keys, async (db) => print(`initialised ${db.engine} database at ${db.location}; data key ${db.sealer.activeKeyId}`));
      return 0;
    }
    case 'change-password': {
      const current = currentPasswords(dataDir);
      const replacement = newPassword();
      warnIfWeak({ password1: replacement, password2: replacement });
      await withDatabase(dataDir, current, (db) => db.changeKeyPassword(args.which, current, replacement));
      print(`key password ${args.which} changed; the data key is re-wrapped, no data was re-encrypted`);
      if (current.source === 'embedded' && current.files) {
        // The trial setup keeps working: its file now holds the new password.
        const file = current.files[args.which - 1];
        fs.writeFileSync(`${file}.new`, `${replacement}\n`, { mode: 0o600 });
        fs.renameSync(`${file}.new`, file);
        print(`updated the embedded password file ${file}`);
      } else {
        print(`now set ${process.env[`MUSTER_KEY_PASSWORD_FILE_${args.which}`] ? `the file in MUSTER_KEY_PASSWORD_FILE_${args.which}` : `MUSTER_KEY_PASSWORD_${args.which}`} to the new password for the server`);
      }
      return 0;
    }
    case 'rotate': {
      cliLog.warn({}, 'db: rotate with the server stopped: a running server would not know the new key');
      await withDatabase(
        dataDir,
        currentPasswords(dataDir),
        async (db) => {
          const resumed = await db.rotation.pending();
          const keyId = resumed ? db.sealer.activeKeyId : await db.rotation.start();
          print(`${resumed ? 'resuming the rotation to' : 'rotating to'} data key ${keyId}`);
          await db.rotation.run();
          print(`rotation complete: every sealed value is under ${keyId}; the old key is deleted`);
        },
        { onRotationProgress: (p) => p.rows > 0 && print(`  ${p.table}: ${p.rows} rows checked, ${p.reencrypted} re-encrypted${p.done ? ' (table done)' : ''}`) },
      );
      return 0;
    }
    case 'verify-audit': {
      const report = await withDatabase(dataDir, currentPasswords(dataDir), (db) => db.audit.verifyChain());
      if (report.ok) {
        print(`audit chain intact: ${report.rows} rows; head hash ${report.head ?? '(empty log)'}`);
        return 0;
      }
      print(`AUDIT CHAIN BROKEN at row ${report.brokenAt}: ${report.reason} (${report.rows} rows before it verify)`);
      return 1;
    }
    case 'backup': {
      const summary = await backupDatabase({ dataDir, url, out: args.out, logger: cliLog });
      print(`backup written to ${summary.file}: ${Object.entries(summary.rows).map(([t, n]) => `${t} ${n}`).join(', ')}`);
      return 0;
    }
    case 'restore': {
      const summary = await restoreDatabase({ dataDir, url, in: args.in, keys: currentPasswords(dataDir), logger: cliLog });
      print(`restored ${summary.file}: ${Object.entries(summary.rows).map(([t, n]) => `${t} ${n}`).join(', ')}; audit chain intact (${summary.auditRows} rows)`);
      return 0;
    }
    case 'status': {
      await withDatabase(dataDir, currentPasswords(dataDir), async (db) => {
        print(JSON.stringify({ ...db.dump(), rotation: await db.rotation.status() }, null, 2));
      });
      return 0;
    }
    case 'unseal-retired': {
      if (fs.existsSync(args.out)) throw new UsageError(`${args.out} exists: name a new file`);
      await withDatabase(dataDir, currentPasswords(dataDir), async (db) => {
        fs.writeFileSync(args.out, openRetiredFile(args.in, db.sealer), { mode: 0o600, flag: 'wx' });
      });
      print(`wrote ${args.out} (plaintext: delete it when done)`);
      return 0;
    }
  }
}

async function main(): Promise<number> {
  // npm runs workspace scripts in db/; paths on the command line and in the
  // environment mean what they meant where the operator typed them.
  if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  try {
    const { args, dataDir } = parse(process.argv.slice(2));
    return await run(args, dataDir);
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) process.stderr.write(`error: ${error.message}\n\n`);
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`error${isDbError(error) ? ` [${error.code}]` : ''}: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main();
