import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './Database.ts';
import { retireLegacyFile } from './legacy.ts';
import { rawQuery, TEST_KDF_COST, TEST_KEYS, tempDir, testLocation, type TestLocation } from './testing/databases.ts';
import { silentLogger } from './testing/logging.ts';
import { contents, fill } from './testing/sampleData.ts';

const DB_ROOT = path.resolve(new URL('..', import.meta.url).pathname);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as an operator would, with only the given settings in its environment. */
function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MUSTER_|DATABASE_URL$|INIT_CWD$)/.test(k)));
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: DB_ROOT, env: { ...base, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const keysEnv = (keys = TEST_KEYS) => ({ MUSTER_KEY_PASSWORD_1: keys.password1, MUSTER_KEY_PASSWORD_2: keys.password2 });

describe('the keys CLI', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('init: creates the keyring from the configured passwords, once; never from argv or nothing', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const fromArgv = await cli(['init', '--data-dir', dataDir, '--password', 'hunter2'], {});
    expect(fromArgv.code).toBe(2);
    expect(fromArgv.stderr).toMatch(/never taken from the command line/);
    const unset = await cli(['init', '--data-dir', dataDir], {});
    expect(unset).toMatchObject({ code: 1, stderr: expect.stringMatching(/KEY_PASSWORDS_INVALID/) });
    expect(fs.existsSync(path.join(dataDir, 'keys'))).toBe(false);

    // The default scrypt cost, as in production.
    const init = await cli(['init', '--data-dir', dataDir], keysEnv());
    expect(init.stdout).toMatch(/^initialised sqlite database at .*muster\.db; data key [0-9a-f]{8}$/m);
    expect(init.code).toBe(0);
    const again = await cli(['init', '--data-dir', dataDir], keysEnv());
    expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/KEYRING_EXISTS/) });
    const db = await openDatabase({ dataDir, keys: TEST_KEYS, logger: silentLogger });
    expect(db.dump().kdf).toMatchObject({ logN: 17 });
    await db.close();
  });

  describe('on an existing database', () => {
    let location: TestLocation;
    let expected: unknown;
    beforeAll(async () => {
      location = await testLocation('sqlite');
      const db = await openDatabase({ dataDir: location.dataDir, keys: TEST_KEYS, kdfCost: TEST_KDF_COST, logger: silentLogger });
      await fill(db);
      expected = await contents(db);
      await db.close();
    });
    afterAll(async () => {
      await location?.remove();
    });

    it('unseal-retired: gives back an older install\'s file put aside at import, with the passwords only', async () => {
      const original = Buffer.from('SQLite format 3\u0000 the old meetings of 张三丰测试');
      const file = path.join(location.dataDir, 'meetings.sqlite');
      fs.writeFileSync(file, original);
      const db = await openDatabase({ dataDir: location.dataDir, keys: TEST_KEYS, kdfCost: TEST_KDF_COST, logger: silentLogger });
      const retired = retireLegacyFile(file, db.sealer);
      await db.close();
      const out = path.join(location.dataDir, 'restored.sqlite');
      const wrong = await cli(['unseal-retired', '--in', retired, '--out', out, '--data-dir', location.dataDir], keysEnv({ ...TEST_KEYS, password2: 'not the password' }));
      expect(wrong.code).not.toBe(0);
      expect(fs.existsSync(out)).toBe(false);
      const ok = await cli(['unseal-retired', '--in', retired, '--out', out, '--data-dir', location.dataDir], keysEnv());
      expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining(`wrote ${out}`) });
      expect(fs.readFileSync(out)).toEqual(original);
      // Never over an existing file.
      expect((await cli(['unseal-retired', '--in', retired, '--out', out, '--data-dir', location.dataDir], keysEnv())).code).not.toBe(0);
      fs.rmSync(out);
      fs.rmSync(retired);
    });

    it('verify-audit: reports the chain intact, and a tampered row', async () => {
      const ok = await cli(['verify-audit', '--data-dir', location.dataDir], keysEnv());
      expect(ok).toMatchObject({ code: 0, stdout: expect.stringMatching(/^audit chain intact: 30 rows; head hash [0-9a-f]{64}$/m) });
      const [row] = await rawQuery<{ target: string }>(location, 'select target from audit_log where seq = 7');
      await rawQuery(location, "update audit_log set target = 'someone-else' where seq = 7");
      const broken = await cli(['verify-audit', '--data-dir', location.dataDir], keysEnv());
      expect(broken).toMatchObject({ code: 1, stdout: expect.stringMatching(/AUDIT CHAIN BROKEN at row 7/) });
      await rawQuery(location, 'update audit_log set target = ? where seq = 7', [row.target]);
    });

    it('change-password: needs both current passwords; afterwards only the new pair opens, every value intact', async () => {
      const wrong = await cli(['change-password', '--which', '2', '--data-dir', location.dataDir], { ...keysEnv({ ...TEST_KEYS, password1: 'nope' }), MUSTER_NEW_KEY_PASSWORD: 'a brand new second password' });
      expect(wrong).toMatchObject({ code: 1, stderr: expect.stringMatching(/KEY_PASSWORDS_WRONG/) });
      const noNew = await cli(['change-password', '--which', '2', '--data-dir', location.dataDir], keysEnv());
      expect(noNew).toMatchObject({ code: 1, stderr: expect.stringMatching(/MUSTER_NEW_KEY_PASSWORD/) });
      const badWhich = await cli(['change-password', '--which', '3', '--data-dir', location.dataDir], keysEnv());
      expect(badWhich.code).toBe(2);

      const file = path.join(location.dataDir, 'new-password');
      fs.writeFileSync(file, 'a brand new second password\n');
      const changed = await cli(['change-password', '--which', '2', '--data-dir', location.dataDir], { ...keysEnv(), MUSTER_NEW_KEY_PASSWORD_FILE: file });
      expect(changed).toMatchObject({ code: 0, stdout: expect.stringMatching(/key password 2 changed/) });
      await expect(location.open()).rejects.toThrow(/do not open/);
      const db = await location.open({ keys: { password1: TEST_KEYS.password1, password2: 'a brand new second password' } });
      expect(await contents(db)).toEqual(expected);
      expect(await db.audit.verifyChain()).toMatchObject({ ok: true, rows: 31 });
      await db.close();
      // Back to the test passwords for the next steps.
      const back = await cli(['change-password', '--which', '2', '--data-dir', location.dataDir], {
        ...keysEnv({ ...TEST_KEYS, password2: 'a brand new second password' }),
        MUSTER_NEW_KEY_PASSWORD: TEST_KEYS.password2,
      });
      expect(back.code).toBe(0);
    });

    it('rotate, backup, restore: a new key, a sealed export, and the same data in a fresh database', async () => {
      const rotated = await cli(['rotate', '--data-dir', location.dataDir], keysEnv());
      expect(rotated).toMatchObject({ code: 0, stdout: expect.stringMatching(/rotation complete/) });
      const status = await cli(['status', '--data-dir', location.dataDir], keysEnv());
      const parsed = JSON.parse(status.stdout);
      expect(parsed.keys).toHaveLength(1);
      expect(parsed.rotation.targetKeyId).toBeNull();

      const out = path.join(location.dataDir, 'backup.jsonl.gz');
      // No passwords needed to take a backup.
      const backup = await cli(['backup', '--data-dir', location.dataDir, '--out', out], {});
      expect(backup).toMatchObject({ code: 0, stdout: expect.stringMatching(/backup written to .*meetings 40/) });
      const target = tempDir();
      dirs.push(target);
      const restored = await cli(['restore', '--data-dir', target, '--in', out], keysEnv());
      expect(restored).toMatchObject({ code: 0, stdout: expect.stringMatching(/restored .*audit chain intact \(34 rows\)/) });
      const again = await cli(['restore', '--data-dir', target, '--in', out], keysEnv());
      expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/RESTORE_TARGET_NOT_EMPTY/) });

      const db = await openDatabase({ dataDir: target, keys: TEST_KEYS, logger: silentLogger });
      expect(db.sealer.keyIds).toEqual([parsed.activeKeyId]);
      const now = (await contents(db)) as { meetings: unknown; logs: unknown };
      expect(now.meetings).toEqual((expected as { meetings: unknown }).meetings);
      expect(now.logs).toEqual((expected as { logs: unknown }).logs);
      await db.close();
    });
  });
});
