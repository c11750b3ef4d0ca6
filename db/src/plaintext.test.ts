import { describe, expect, it } from 'vitest';
import type { Database } from './Database.ts';
import { SqlBoardLogRepository } from './repositories/SqlBoardLogRepository.ts';
import { SqlMeetingRepository } from './repositories/SqlMeetingRepository.ts';
import { SqlRecordingRepository } from './repositories/SqlRecordingRepository.ts';
import { bytesAtRest, foundAtRest } from './testing/atRest.ts';
import { testEngines, useTestDatabase } from './testing/fixture.ts';

const engines = await testEngines('the PostgreSQL plaintext-at-rest test (db/src/plaintext.test.ts)');

const PHONE = '+8613800138000';
const NAME = '张三丰测试';
/** Written to a plain column on purpose: proves the search sees the data. */
const CONTROL = 'plain-control-marker-3f9a';

async function writeMarkers(db: Database): Promise<void> {
  const meetings = new SqlMeetingRepository(db);
  const boards = new SqlBoardLogRepository(db);
  await meetings.put({ id: 'm1', createdAt: 1, startsAt: null, config: { topic: `${NAME} 的会议`, host: { name: NAME, phone: PHONE }, passcode: PHONE } });
  await boards.putMeta('b1', { owner: NAME, ownerPhone: PHONE });
  await boards.append('b1', Buffer.from(`text:${NAME}:${PHONE}`));
  await boards.compact('b1', (base, updates) => Buffer.concat([...(base ? [base] : []), ...updates]));
  await boards.append('b1', Buffer.from(`more:${PHONE}`));
  await db.audit.append({ actor: PHONE, action: 'user.login', target: CONTROL, details: { name: NAME, phone: PHONE } });
  const recordings = new SqlRecordingRepository(db);
  const participant = { participantId: 'u1', name: NAME, joinedAtMs: 0, leftAtMs: null };
  await recordings.put({ id: 'r1', startedAt: 1, info: { id: 'r1', startedBy: NAME, manifest: { participants: [participant] }, note: PHONE } });
  // The values are there, and read back whole.
  expect((await meetings.get('m1'))!.config).toMatchObject({ host: { name: NAME, phone: PHONE } });
  expect((await recordings.get('r1'))!.info).toMatchObject({ startedBy: NAME, manifest: { participants: [participant] } });
  expect((await db.audit.read())[0]).toMatchObject({ actor: PHONE, details: { name: NAME } });
}

describe.each(engines)('nothing in plaintext at rest (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it(`never stores ${PHONE} or ${NAME}: not in the database files, a dump, or a backup`, async () => {
    const db = await testDb.open();
    const location = testDb.location;
    await writeMarkers(db);

    const haystacks = await bytesAtRest(engine, location, db);
    if (engine === 'sqlite') {
      // While open, the WAL and shared memory hold the recent writes: all three were read.
      expect(haystacks.filter(([name]) => name.endsWith('(open)')).map(([name]) => name).sort()).toEqual(['muster.db (open)', 'muster.db-shm (open)', 'muster.db-wal (open)']);
    }

    for (const [name, bytes] of haystacks) {
      expect({ name, phone: foundAtRest(bytes, PHONE), chinese: foundAtRest(bytes, NAME) }).toEqual({ name, phone: false, chinese: false });
    }
    // The search works: the plain column is found wherever the rows are.
    const withRows = engine === 'sqlite' ? ['muster.db-wal (open)', 'backup', 'muster.db (closed)'] : ['pg_dump', 'backup'];
    expect(haystacks.filter(([, bytes]) => foundAtRest(bytes, CONTROL)).map(([name]) => name)).toEqual(expect.arrayContaining(withRows));
  });
});
