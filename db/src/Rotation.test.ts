import { describe, expect, it } from 'vitest';
import type { Database } from './Database.ts';
import { SqlMeetingRepository } from './repositories/SqlMeetingRepository.ts';
import { SqlRecordingRepository } from './repositories/SqlRecordingRepository.ts';
import { SEALED_TABLES } from './tables.ts';
import { spawnFixture } from './testing/children.ts';
import { rawQuery, type TestLocation } from './testing/databases.ts';
import { testEngines, useTestDatabase } from './testing/fixture.ts';
import { contents, fill } from './testing/sampleData.ts';

const engines = await testEngines('the PostgreSQL key rotation tests (db/src/Rotation.test.ts)');

/** The key id inside every sealed value in the database, counted. */
async function keyIdsAtRest(location: TestLocation): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const spec of SEALED_TABLES) {
    for (const column of spec.sealed) {
      for (const row of await rawQuery<Record<string, Buffer | null>>(location, `select ${column} as v from ${spec.name}`)) {
        if (!row.v) continue;
        const id = Buffer.from(row.v).subarray(1, 5).toString('hex');
        counts[id] = (counts[id] ?? 0) + 1;
      }
    }
  }
  return counts;
}

/** Recording descriptions (sample data beside fill()'s): more rows than a rotation batch. */
async function fillRecordings(db: Database): Promise<void> {
  const recordings = new SqlRecordingRepository(db);
  await Promise.all(Array.from({ length: 25 }, (_, i) => recordings.put({ id: `rec${i}`, startedAt: 1000 + i, info: { id: `rec${i}`, manifest: { participants: [{ name: `person ${i}` }] } } })));
}

async function recordingsIn(db: Database): Promise<unknown[]> {
  return (await new SqlRecordingRepository(db).list()).map((r) => [r.id, r.startedAt, r.info]);
}

describe.each(engines)('data key rotation (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('re-encrypts every sealed value while writes go on, then drops the old key', async () => {
    const d = await testDb.open({ rotationBatchSize: 7 });
    const location = testDb.location;
    await fill(d);
    await fillRecordings(d);
    const oldKey = d.sealer.activeKeyId;
    const expected = await contents(d);
    const expectedRecordings = await recordingsIn(d);
    expect(expectedRecordings).toHaveLength(25);
    const newKey = await d.rotation.start();
    expect(newKey).not.toBe(oldKey);
    expect((await d.rotation.status()).retiringKeyIds).toEqual([oldKey]);
    // Writes during the rotation: sealed under the new key at once.
    const meetings = new SqlMeetingRepository(d);
    const during = Promise.all(Array.from({ length: 20 }, (_, i) => meetings.put({ id: `during${i}`, createdAt: 100 + i, startsAt: null, config: { i } })));
    await Promise.all([d.rotation.run(), during]);

    expect(await keyIdsAtRest(location)).toEqual({ [newKey]: expect.any(Number) });
    expect((await rawQuery(location, 'select key_id, status from keyring')).map((r) => [r.key_id, r.status])).toEqual([[newKey, 'active']]);
    expect(await rawQuery(location, 'select * from rotation_progress')).toEqual([]);
    expect(await d.rotation.pending()).toBe(false);
    const now = (await contents(d)) as { meetings: unknown[] };
    expect({ ...now, meetings: now.meetings.filter((m) => !String((m as [string])[0]).startsWith('during')) }).toEqual(expected);
    expect(await recordingsIn(d)).toEqual(expectedRecordings);
    await d.close();
    const reopened = await testDb.open();
    expect(reopened.sealer.keyIds).toEqual([newKey]);
    expect((await contents(reopened)) as object).toMatchObject({ chainOk: true });
    expect(await recordingsIn(reopened)).toEqual(expectedRecordings);
  });

  it('resumes a rotation killed with SIGKILL and loses nothing', async () => {
    const before = await testDb.open();
    const location = testDb.location;
    await fill(before);
    await fillRecordings(before);
    const oldKey = before.sealer.activeKeyId;
    const expected = await contents(before);
    const expectedRecordings = await recordingsIn(before);
    await before.close();

    const child = spawnFixture('rotatingChild', { DB_DATA_DIR: location.dataDir, DB_URL: location.url });
    testDb.defer(() => child.kill());
    const newKey = (await child.waitForLine((l) => l.startsWith('key '), 'the new key id')).slice(4);
    let batches = 0;
    await child.waitForLine((l) => l.startsWith('progress ') && ++batches >= 10, 'ten rotation batches');
    await child.kill('SIGKILL');
    expect(child.lines).not.toContain('finished');

    // Interrupted: both keys stored, values under both, progress recorded.
    expect((await rawQuery(location, 'select key_id, status from keyring order by status')).map((r) => [r.key_id, r.status])).toEqual([
      [newKey, 'active'],
      [oldKey, 'retiring'],
    ]);
    const midway = await keyIdsAtRest(location);
    expect(midway[oldKey]).toBeGreaterThan(0);
    expect(midway[newKey]).toBeGreaterThan(0);
    expect(Number((await rawQuery<{ n: unknown }>(location, 'select count(*) as n from rotation_progress'))[0].n)).toBe(SEALED_TABLES.length);

    // Reads work in the middle of it; the next open resumes it by itself.
    const db = await testDb.open();
    expect(await contents(db)).toEqual(expected);
    await db.rotation.run();
    expect(await keyIdsAtRest(location)).toEqual({ [newKey]: expect.any(Number) });
    expect((await rawQuery(location, 'select key_id from keyring')).map((r) => r.key_id)).toEqual([newKey]);
    expect(await contents(db)).toEqual(expected);
    expect(await recordingsIn(db)).toEqual(expectedRecordings);
  });
});
