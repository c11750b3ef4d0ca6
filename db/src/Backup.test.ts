import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { backupDatabase, restoreDatabase, type BackupOptions, type RestoreOptions } from './Backup.ts';
import type { Database } from './Database.ts';
import type { EngineName } from './Engine.ts';
import { isDbError } from './errors.ts';
import { SqlRecordingRepository } from './repositories/SqlRecordingRepository.ts';
import { rawQuery, TEST_KEYS, tempDir, type TestLocation } from './testing/databases.ts';
import { testEngines, useTestDatabase } from './testing/fixture.ts';
import { silentLogger } from './testing/logging.ts';
import { contents, fill } from './testing/sampleData.ts';

const withPostgres = (await testEngines('the PostgreSQL backup/restore tests (db/src/Backup.test.ts)')).includes('postgres');
const pairs: [EngineName, EngineName][] = [['sqlite', 'sqlite'], ...(withPostgres ? ([['postgres', 'postgres'], ['sqlite', 'postgres'], ['postgres', 'sqlite']] as [EngineName, EngineName][]) : [])];

const backup = (options: BackupOptions) => backupDatabase({ logger: silentLogger, ...options });
const restore = (options: RestoreOptions) => restoreDatabase({ logger: silentLogger, ...options });

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toSatisfy((error) => isDbError(error) && error.code === code);
}

/** fill() and a few recording descriptions. */
async function fillAll(db: Database): Promise<void> {
  await fill(db);
  const recordings = new SqlRecordingRepository(db);
  for (let i = 0; i < 3; i++) await recordings.put({ id: `rec${i}`, startedAt: 100 + i, info: { id: `rec${i}`, manifest: { participants: [{ name: `person ${i}` }] } } });
}

/** contents(), and the recording descriptions (every sealed value opened). */
async function allContents(db: Database): Promise<unknown> {
  return { ...((await contents(db)) as object), recordings: await new SqlRecordingRepository(db).list() };
}

async function isEmpty(location: TestLocation): Promise<boolean> {
  for (const table of ['keyring', 'meetings', 'board_updates', 'audit_log', 'recordings']) {
    const rows = await rawQuery<{ n: unknown }>(location, `select count(*) as n from ${table}`);
    if (Number(rows[0].n) !== 0) return false;
  }
  return true;
}

describe('backup and restore', () => {
  const testDb = useTestDatabase('sqlite');

  function backupFile(): string {
    const dir = tempDir('muster-backup-');
    testDb.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
    return path.join(dir, 'backup.jsonl.gz');
  }

  async function sourceWithBackup(engine: EngineName): Promise<{ source: TestLocation; file: string; expected: unknown; keyIds: string[] }> {
    const source = await testDb.create(engine);
    const db = await source.open();
    await fillAll(db);
    const expected = await allContents(db);
    const keyIds = db.sealer.keyIds;
    const file = backupFile();
    // Taken while the source is open, as a cron job would.
    const summary = await backup({ dataDir: source.dataDir, url: source.url, out: file });
    expect(summary.rows).toMatchObject({ keyring: 1, meetings: 40, boards: 5, board_snapshots: 2, audit_log: 30, recordings: 3 });
    await db.close();
    return { source, file, expected, keyIds };
  }

  it.each(pairs)('round-trips %s → %s: every row, the same key, sealed values still sealed', async (from, to) => {
    const { file, expected, keyIds } = await sourceWithBackup(from);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const lines = zlib.gunzipSync(fs.readFileSync(file)).toString().trim().split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ kind: 'header', format: 'muster-db-backup', version: 1, engine: from });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: 'end' });
    expect(lines.join('\n')).not.toContain('topic 1');
    expect(lines.join('\n')).not.toContain('person 1');

    const target = await testDb.create(to);
    const restored = await restore({ dataDir: target.dataDir, url: target.url, in: file, keys: TEST_KEYS });
    expect(restored.auditRows).toBe(30);
    const db = await target.open();
    expect(db.sealer.keyIds).toEqual(keyIds);
    expect(await allContents(db)).toEqual(expected);
    // Restored boards keep numbering where they were.
    expect(await db.writer.write(async (trx) => (await trx.selectFrom('boards').select('last_seq').where('id', '=', 'b0').executeTakeFirstOrThrow()).last_seq)).toBe(70);
  });

  it('refuses a target that is not empty, and changes nothing in it', async () => {
    const { file } = await sourceWithBackup('sqlite');
    const target = await testDb.create('sqlite');
    const db = await target.open();
    await db.audit.append({ actor: 'a', action: 'x', target: 't' });
    await db.close();
    const before = await rawQuery(target, 'select * from audit_log');
    await expectCode(restore({ dataDir: target.dataDir, in: file, keys: TEST_KEYS }), 'RESTORE_TARGET_NOT_EMPTY');
    expect(await rawQuery(target, 'select * from audit_log')).toEqual(before);
  });

  it('writes nothing with the wrong passwords, or from a truncated or altered file', async () => {
    const { file, expected } = await sourceWithBackup('sqlite');
    const target = await testDb.create(withPostgres ? 'postgres' : 'sqlite');
    const restoreFrom = (input: string, keys = TEST_KEYS) => restore({ dataDir: target.dataDir, url: target.url, in: input, keys });

    await expectCode(restoreFrom(file, { ...TEST_KEYS, password1: 'wrong' }), 'KEY_PASSWORDS_WRONG');
    expect(await isEmpty(target)).toBe(true);

    const raw = fs.readFileSync(file);
    const truncated = `${file}.truncated`;
    fs.writeFileSync(truncated, raw.subarray(0, Math.floor(raw.length / 2)));
    await expectCode(restoreFrom(truncated), 'BACKUP_INVALID');
    expect(await isEmpty(target)).toBe(true);

    const lines = zlib.gunzipSync(raw).toString().split('\n');
    const cut = `${file}.no-end`;
    fs.writeFileSync(cut, zlib.gzipSync(lines.slice(0, -2).join('\n')));
    await expectCode(restoreFrom(cut), 'BACKUP_INVALID');

    const altered = `${file}.altered`;
    const index = lines.findIndex((l) => l.includes('"table":"meetings"'));
    const line = JSON.parse(lines[index]);
    line.row.extra = 'column';
    fs.writeFileSync(altered, zlib.gzipSync([...lines.slice(0, index), JSON.stringify(line), ...lines.slice(index + 1)].join('\n')));
    await expectCode(restoreFrom(altered), 'BACKUP_INVALID');
    expect(await isEmpty(target)).toBe(true);

    // After all that, the real file still restores into the same target.
    await restoreFrom(file);
    expect(await allContents(await target.open())).toEqual(expected);
  });
});
