import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isDbError } from './errors.ts';
import { resolveKeyPasswords } from './keyPasswords.ts';
import type { Logger } from './Logger.ts';
import { tempDir } from './testing/databases.ts';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, error() {}, warn: (_obj, msg) => warnings.push(msg) };
}

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
    const logger = recordingLogger();
    const resolved = resolveKeyPasswords({ MUSTER_KEY_PASSWORD_1: 'first', MUSTER_KEY_PASSWORD_FILE_2: path.join(d, 'p2') }, d, logger);
    expect(resolved).toEqual({ password1: 'first', password2: 'second', source: 'configured' });
    expect(logger.warnings).toEqual([]);
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
    expect(code(() => resolveKeyPasswords({ MUSTER_KEY_PASSWORD_1: 'x' }, d, recordingLogger()))).toBe('KEY_PASSWORDS_INVALID');
    expect(code(() => resolveKeyPasswords({ MUSTER_KEY_PASSWORD_2: 'x' }, d, recordingLogger()))).toBe('KEY_PASSWORDS_INVALID');
    fs.writeFileSync(path.join(d, 'empty'), '\n');
    expect(code(() => resolveKeyPasswords({ MUSTER_KEY_PASSWORD_1: 'x', MUSTER_KEY_PASSWORD_FILE_1: path.join(d, 'empty'), MUSTER_KEY_PASSWORD_2: 'y' }, d, recordingLogger()))).toBe(
      'KEY_PASSWORDS_INVALID',
    );
    expect(code(() => resolveKeyPasswords({ MUSTER_KEY_PASSWORD_1: 'x', MUSTER_KEY_PASSWORD_FILE_2: path.join(d, 'empty') }, d, recordingLogger()))).toBe('KEY_PASSWORDS_INVALID');
    expect(code(() => resolveKeyPasswords({ MUSTER_KEY_PASSWORD_1: 'x', MUSTER_KEY_PASSWORD_FILE_2: path.join(d, 'missing') }, d, recordingLogger()))).toBe('KEY_PASSWORDS_INVALID');
    // Nothing configured and the CLI's "do not create": an error, not new passwords.
    expect(code(() => resolveKeyPasswords({}, d, recordingLogger(), { createEmbedded: false }))).toBe('KEY_PASSWORDS_INVALID');
    expect(fs.existsSync(path.join(d, 'keys'))).toBe(false);
  });

  it('generates the embedded default once (files 600, directory 700) and warns loudly every time', () => {
    const d = dir();
    const logger = recordingLogger();
    const first = resolveKeyPasswords({}, d, logger);
    expect(first.source).toBe('embedded');
    expect(first.password1).not.toBe(first.password2);
    expect(first.password1.length).toBeGreaterThanOrEqual(40);
    expect(fs.statSync(path.join(d, 'keys')).mode & 0o777).toBe(0o700);
    for (const file of ['password-1', 'password-2']) expect(fs.statSync(path.join(d, 'keys', file)).mode & 0o777).toBe(0o600);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/EMBEDDED DEFAULT.*trying Muster out only/);
    const second = resolveKeyPasswords({}, d, logger);
    expect(second).toEqual(first);
    expect(logger.warnings).toHaveLength(2);
  });

  it('refuses an embedded pair with one file missing instead of generating a mismatched one', () => {
    const d = dir();
    resolveKeyPasswords({}, d, recordingLogger());
    fs.rmSync(path.join(d, 'keys', 'password-2'));
    expect(() => resolveKeyPasswords({}, d, recordingLogger())).toThrow(/only one of/);
  });
});
