/**
 * A database's worth of sample rows in every sealed table, and a read-back of
 * all of it (every sealed value opened): for rotation, backup and restore tests.
 */
import type { Database } from '../Database.ts';
import { SqlBoardLogRepository } from '../repositories/SqlBoardLogRepository.ts';
import { SqlMeetingRepository } from '../repositories/SqlMeetingRepository.ts';

const concat = (base: Uint8Array | null, updates: Uint8Array[]) => Buffer.concat([...(base ? [base] : []), ...updates]);

/** Rows in every sealed table: meetings, board meta, updates, snapshots, audit. */
export async function fill(db: Database): Promise<void> {
  const meetings = new SqlMeetingRepository(db);
  const boards = new SqlBoardLogRepository(db);
  await Promise.all(Array.from({ length: 40 }, (_, i) => meetings.put({ id: `m${i}`, createdAt: i, startsAt: null, config: { topic: `topic ${i}`, passcode: String(1000 + i) } })));
  for (let b = 0; b < 5; b++) {
    await boards.putMeta(`b${b}`, { owner: `owner ${b}` });
    await Promise.all(Array.from({ length: 60 }, (_, i) => boards.append(`b${b}`, Buffer.from(`b${b}:${i};`))));
    if (b < 2) await boards.compact(`b${b}`, concat);
    await Promise.all(Array.from({ length: 10 }, (_, i) => boards.append(`b${b}`, Buffer.from(`b${b}:late${i};`))));
  }
  for (let i = 0; i < 30; i++) await db.audit.append({ actor: `user ${i}`, action: 'meeting.update', target: `m${i}`, details: { i } });
}

/** Everything fill() wrote, read back (so every sealed value is opened). */
export async function contents(db: Database): Promise<unknown> {
  const meetings = await new SqlMeetingRepository(db).list();
  const boards = new SqlBoardLogRepository(db);
  const logs = [];
  for (let b = 0; b < 5; b++) {
    const log = (await boards.read(`b${b}`))!;
    logs.push({ meta: log.meta, snapshot: log.snapshot && Buffer.from(log.snapshot.state).toString(), updates: log.updates.map((u) => Buffer.from(u.update).toString()).join('') });
  }
  // Key management adds audit rows of its own (keyring.*): compare the rest.
  const audit = (await db.audit.read({ limit: 1000 })).filter((a) => !a.action.startsWith('keyring.'));
  return { meetings: meetings.map((m) => [m.id, m.config]), logs, audit: audit.map((a) => [a.actor, a.details, a.hash]), chainOk: (await db.audit.verifyChain()).ok };
}

