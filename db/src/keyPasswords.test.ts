import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isDbError } from './errors.ts';
import { resolveKeyPasswords } from './keyPasswords.ts';
import { tempDir } from './testing/databases.ts';
import { recordingLogger, silentLogger } from './testing/logging.ts';

const dirs: string[] = [];
const dir = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('resolveKeyPasswords', () => {
  it('takes both passwords from the environment, values or files', () => {
    const d = dir();
    fs.writeFileSync(path.join(d, 'p2'), 'second\n');
    const log = recordingLogger();
    const resolved = resolveKeyPasswords({ MUSTER_KEY_PASSWORD_1: 'first', MUSTER_KEY_PASSWORD_FILE_2: path.join(d, 'p2') }, d, log.logger);
    expect(resolved).toEqual({ password1: 'first', password2: 'second', source: 'configured' });
    expect(log.lines).toEqual([]);
    expect(fs.existsSync(path.join(d, 'keys'))).toBe(false);
  });

  it('refuses one slot without the other, both forms of a slot, and empty files', () => {
    const d = dir();
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isDbError(error) ? error.code : 'other';
      }
      return 'none';
    };
    expect(code(() => resolveKeyPasswords({ MUSTER_KEY_PASSWORD_1: 'x' }, d, silentLogger))).toBe('KEY_PASSWORDS_INVALID');
    expect(code(() => resolveKeyPasswords({ MUSTER_KEY_PASSWORD_2: 'x' }, d, silentLogger))).toBe('KEY_PASSWORDS_INVALID');
    fs.writeFileSync(path.join(d, 'empty'), '\n');
    expect(code(() => resolveKeyPasswords({ MUSTER_KEY_PASSWORD_1: 'x', MUSTER_KEY_PASSWORD_FILE_1: path.join(d, 'empty'), MUSTER_KEY_PASSWORD_2: 'y' }, d, silentLogger))).toBe(
      'KEY_PASSWORDS_INVALID',
    );
    expect(code(() => resolveKeyPasswords({ MUSTER_KEY_PASSWORD_1: 'x', MUSTER_KEY_PASSWORD_FILE_2: path.join(d, 'empty') }, d, silentLogger))).toBe('KEY_PASSWORDS_INVALID');
    expect(code(() => resolveKeyPasswords({ MUSTER_KEY_PASSWORD_1: 'x', MUSTER_KEY_PASSWORD_FILE_2: path.join(d, 'missing') }, d, silentLogger))).toBe('KEY_PASSWORDS_INVALID');
    // Nothing configured and the CLI's "do not create": an error, not new passwords.
    expect(code(() => resolveKeyPasswords({}, d, silentLogger, { createEmbedded: false }))).toBe('KEY_PASSWORDS_INVALID');
    expect(fs.existsSync(path.join(d, 'keys'))).toBe(false);
  });

  it('generates the embedded default once (files 600, directory 700) and warns loudly every time', () => {
    const d = dir();
    const log = recordingLogger();
    const first = resolveKeyPasswords({}, d, log.logger);
    expect(first.source).toBe('embedded');
    expect(first.password1).not.toBe(first.password2);
    expect(first.password1.length).toBeGreaterThanOrEqual(40);
    expect(fs.statSync(path.join(d, 'keys')).mode & 0o777).toBe(0o700);
    for (const file of ['password-1', 'password-2']) expect(fs.statSync(path.join(d, 'keys', file)).mode & 0o777).toBe(0o600);
    expect(log.messages('warn')).toHaveLength(1);
    expect(log.messages('warn')[0]).toMatch(/EMBEDDED DEFAULT.*trying Muster out only/);
    const second = resolveKeyPasswords({}, d, log.logger);
    expect(second).toEqual(first);
    expect(log.messages('warn')).toHaveLength(2);
    // The warning names the files, never what is in them.
    expect(log.lines[0].files).toEqual([path.join(d, 'keys', 'password-1'), path.join(d, 'keys', 'password-2')]);
    for (const password of [first.password1, first.password2]) expect(JSON.stringify(log.lines)).not.toContain(password);
  });

  it('refuses an embedded pair with one file missing instead of generating a mismatched one', () => {
    const d = dir();
    resolveKeyPasswords({}, d, silentLogger);
    fs.rmSync(path.join(d, 'keys', 'password-2'));
    expect(() => resolveKeyPasswords({}, d, silentLogger)).toThrow(/only one of/);
  });
});
