import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '@muster/kit/log';
import { DbError } from './errors.ts';
import type { KeyPasswords } from './Keyring.ts';
import { log } from './log.ts';

export interface ResolvedKeyPasswords extends KeyPasswords {
  /** 'configured': from the environment (values or files); 'embedded': the generated trial files. */
  source: 'configured' | 'embedded';
  /** The embedded password files, when source is 'embedded'. */
  files?: [string, string];
}

export interface ResolveKeyPasswordsOptions {
  /** Generate the embedded files when nothing is configured (the server); false for the CLI. Default true. */
  createEmbedded?: boolean;
}

export const EMBEDDED_KEYS_DIR = 'keys';

/**
 * Where the two key passwords come from, in this order:
 *
 * 1. `MUSTER_KEY_PASSWORD_1` / `MUSTER_KEY_PASSWORD_2`, or
 *    `MUSTER_KEY_PASSWORD_FILE_1` / `MUSTER_KEY_PASSWORD_FILE_2` (a file's
 *    content, one trailing newline dropped: Docker/systemd secrets), per slot;
 * 2. nothing configured: the embedded default, two random passwords in
 *    `<dataDir>/keys/password-1` and `password-2` (mode 600, directory 700),
 *    generated on first use, with a loud warning. Both on the same disk as the
 *    data, they protect nothing: for trying Muster out only.
 *
 * One slot configured and the other not is an error, not a fallback: it is
 * a deployment mistake, and a half-embedded key would be worse than either.
 *
 * `logger` (default: the kit's logger as `component: 'db'`) gets the
 * embedded-default warning, which names the password files, never their content.
 */
export function resolveKeyPasswords(env: Record<string, string | undefined>, dataDir: string, logger: Logger = log, options: ResolveKeyPasswordsOptions = {}): ResolvedKeyPasswords {
  const slot1 = configuredSlot(env, 1);
  const slot2 = configuredSlot(env, 2);
  if (slot1 !== undefined && slot2 !== undefined) return { password1: slot1, password2: slot2, source: 'configured' };
  if (slot1 !== undefined || slot2 !== undefined) {
    const missing = slot1 === undefined ? 1 : 2;
    throw new DbError('KEY_PASSWORDS_INVALID', `key password ${3 - missing} is configured but password ${missing} is not: set MUSTER_KEY_PASSWORD_${missing} or MUSTER_KEY_PASSWORD_FILE_${missing}`);
  }
  return embeddedPasswords(dataDir, logger, options.createEmbedded ?? true);
}

function configuredSlot(env: Record<string, string | undefined>, slot: 1 | 2): string | undefined {
  const value = env[`MUSTER_KEY_PASSWORD_${slot}`];
  const file = env[`MUSTER_KEY_PASSWORD_FILE_${slot}`];
  if (value !== undefined && value !== '' && file !== undefined && file !== '') {
    throw new DbError('KEY_PASSWORDS_INVALID', `set MUSTER_KEY_PASSWORD_${slot} or MUSTER_KEY_PASSWORD_FILE_${slot}, not both`);
  }
  if (value !== undefined && value !== '') return value;
  if (file === undefined || file === '') return undefined;
  return readPasswordFile(file, `MUSTER_KEY_PASSWORD_FILE_${slot}`);
}

/** A password file's content without its final newline; errors name the setting, never the content. */
export function readPasswordFile(file: string, setting: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new DbError('KEY_PASSWORDS_INVALID', `${setting}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new DbError('KEY_PASSWORDS_INVALID', `${setting}: ${file} is empty`);
  return password;
}

function embeddedPasswords(dataDir: string, logger: Logger, create: boolean): ResolvedKeyPasswords {
  const dir = path.join(dataDir, EMBEDDED_KEYS_DIR);
  const files: [string, string] = [path.join(dir, 'password-1'), path.join(dir, 'password-2')];
  const present = files.map((file) => fs.existsSync(file));
  if (present[0] !== present[1]) {
    throw new DbError('KEY_PASSWORDS_INVALID', `only one of ${files.join(' and ')} exists: restore the other (or configure MUSTER_KEY_PASSWORD_1/_2)`);
  }
  if (!present[0]) {
    if (!create) throw new DbError('KEY_PASSWORDS_INVALID', 'no key passwords: set MUSTER_KEY_PASSWORD_1 and _2 (or MUSTER_KEY_PASSWORD_FILE_1 and _2)');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    // 'wx': never overwrite a password file another process just wrote.
    for (const file of files) fs.writeFileSync(file, `${crypto.randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  }
  logger.warn(
    { files },
    '!! db: the two key passwords are the EMBEDDED DEFAULT, generated into the data directory. Both lie on the same disk as the data they protect, so they protect nothing: this is for trying Muster out only. Set MUSTER_KEY_PASSWORD_1 and MUSTER_KEY_PASSWORD_2 (or _FILE_1/_FILE_2), kept apart from the data, before real use.',
  );
  return { password1: readPasswordFile(files[0], files[0]), password2: readPasswordFile(files[1], files[1]), source: 'embedded', files };
}
