import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { backupDatabase } from './Backup.ts';
import type { Database } from './Database.ts';
import { SqlBoardLogRepository } from './repositories/SqlBoardLogRepository.ts';
import { SqlMeetingRepository } from './repositories/SqlMeetingRepository.ts';
import { SqlRecordingRepository } from './repositories/SqlRecordingRepository.ts';
import { testEngines, useTestDatabase } from './testing/fixture.ts';
import { silentLogger } from './testing/logging.ts';
import { pgDumpSchema } from './testing/postgres.ts';

const engines = await testEngines('the PostgreSQL plaintext-at-rest test (db/src/plaintext.test.ts)');

const PHONE = '+8613800138000';
const NAME = '张三丰测试';
/** Written to a plain column on purpose: proves the search sees the data. */
const CONTROL = 'plain-control-marker-3f9a';

/** Each marker as bytes in the encodings a database might store text in. */
function needles(marker: string): Buffer[] {
  return [Buffer.from(marker, 'utf8'), Buffer.from(marker, 'utf16le'), Buffer.from(marker.replace(/^\+/, ''), 'utf8')];
}

function found(haystack: Buffer, marker: string): boolean {
  return needles(marker).some((needle) => haystack.includes(needle));
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

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

    const haystacks: [string, Buffer][] = [];
    if (engine === 'sqlite') {
      // While open (the WAL and shared memory hold the recent writes)…
      const files = filesUnder(location.dataDir);
      expect(files.map((f) => path.basename(f)).sort()).toEqual(['muster.db', 'muster.db-shm', 'muster.db-wal']);
      for (const file of files) haystacks.push([`${path.basename(file)} (open)`, fs.readFileSync(file)]);
    } else {
      haystacks.push(['pg_dump', await pgDumpSchema(location.schema!.schema)]);
    }
    const backup = path.join(location.dataDir, 'backup.jsonl.gz');
    await backupDatabase({ dataDir: location.dataDir, url: location.url, out: backup, logger: silentLogger });
    haystacks.push(['backup', zlib.gunzipSync(fs.readFileSync(backup))]);
    fs.rmSync(backup);
    await db.close();
    if (engine === 'sqlite') {
      // …and after close (checkpointed into the main file).
      for (const file of filesUnder(location.dataDir)) haystacks.push([`${path.basename(file)} (closed)`, fs.readFileSync(file)]);
    }

    for (const [name, bytes] of haystacks) {
      expect({ name, phone: found(bytes, PHONE), chinese: found(bytes, NAME) }).toEqual({ name, phone: false, chinese: false });
    }
    // The search works: the plain column is found wherever the rows are.
    const withRows = engine === 'sqlite' ? ['muster.db-wal (open)', 'backup', 'muster.db (closed)'] : ['pg_dump', 'backup'];
    expect(haystacks.filter(([, bytes]) => found(bytes, CONTROL)).map(([name]) => name)).toEqual(expect.arrayContaining(withRows));
  });
});
