import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './Database.ts';
import { recordingLogger, silentLogger, tempDir, TEST_KDF_COST, TEST_KEYS } from './testing/index.ts';
import { WalCheckpointer } from './WalCheckpointer.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A WAL-mode database file with one table, and its writer connection. */
function walDatabase(): { file: string; writer: BetterSqlite3.Database } {
  const dir = tempDir('muster-wal-');
  const file = path.join(dir, 'wal.db');
  const writer = new BetterSqlite3(file);
  writer.pragma('journal_mode = WAL');
  writer.pragma('synchronous = NORMAL');
  writer.exec('create table notes (id integer primary key, body blob not null)');
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { file, writer };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('WalCheckpointer (SQLite)', () => {
  it('takes the checkpoints off the writer once its thread is up, and moves every committed frame into the database file', async () => {
    const { file, writer } = walDatabase();
    expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    const checkpointer = new WalCheckpointer({ file, writer, logger: silentLogger, startAfterMs: 0, everyMs: 20 });
    cleanups.push(() => checkpointer.close());
    await checkpointer.ready();
    expect(checkpointer.getStats().mode).toBe('thread');
    // The writer's commits no longer checkpoint.
    expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    const insert = writer.prepare('insert into notes (body) values (?)');
    const payload = Buffer.alloc(2_000, 7);
    for (let batch = 0; batch < 20; batch++) writer.transaction(() => { for (let i = 0; i < 50; i++) insert.run(payload); })();
    // The thread's PASSIVE checkpoints catch up with every frame written.
    await until(() => {
      const s = checkpointer.getStats();
      return s.lastLogFrames > 0 && s.lastCheckpointedFrames === s.lastLogFrames;
    }, 'a checkpoint of the whole WAL');
    expect(checkpointer.getStats()).toMatchObject({ mode: 'thread', failures: 0 });
    expect(checkpointer.getStats().checkpoints).toBeGreaterThan(0);

    await checkpointer.close();
    await checkpointer.close(); // idempotent
    writer.close();
    // Everything committed is there for the next opener.
    const reader = new BetterSqlite3(file, { readonly: true });
    expect(reader.prepare('select count(*) as n from notes').get()).toEqual({ n: 1000 });
    reader.close();
  });

  it('leaves the checkpoints to the writer, and says so, when its thread cannot work', async () => {
    const { writer } = walDatabase();
    const logger = recordingLogger();
    // A directory is not a database file the thread can open.
    const checkpointer = new WalCheckpointer({ file: tempDir('muster-wal-dir-'), writer, logger: logger.logger, startAfterMs: 0 });
    cleanups.push(() => checkpointer.close());
    await until(() => logger.messages('warn').length > 0, 'the warning');
    expect(logger.messages('warn')[0]).toMatch(/WAL checkpoint thread stopped/);
    expect(checkpointer.getStats().mode).toBe('inline');
    expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    writer.close();
  });

  it('starts no thread before its delay, nor after close', async () => {
    const { file, writer } = walDatabase();
    const checkpointer = new WalCheckpointer({ file, writer, logger: silentLogger, startAfterMs: 60_000 });
    expect(checkpointer.getStats().mode).toBe('inline');
    await checkpointer.close();
    expect(checkpointer.getStats().mode).toBe('inline');
    expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    writer.close();
  });

  it('is what a SQLite Database checkpoints with, reported in its stats', async () => {
    const dataDir = tempDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const db = await openDatabase({ dataDir, keys: TEST_KEYS, kdfCost: TEST_KDF_COST, logger: silentLogger, walCheckpointThreadAfterMs: 0 });
    cleanups.push(() => db.close());
    await until(() => db.getStats().wal?.mode === 'thread', 'the checkpoint thread');
    await db.writer.write((trx) => sql`create table wal_scratch (id integer primary key, body blob not null)`.execute(trx));
    const payload = Buffer.alloc(2_000, 3);
    await Promise.all(Array.from({ length: 300 }, () => db.writer.write((trx) => sql`insert into wal_scratch (body) values (${payload})`.execute(trx))));
    await until(() => (db.getStats().wal?.checkpoints ?? 0) > 0 && db.getStats().wal!.lastCheckpointedFrames === db.getStats().wal!.lastLogFrames, 'a checkpoint');
    await db.close();
  });
});
