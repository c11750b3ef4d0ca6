import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from './Database.ts';
import { SQLITE_FILE_NAME } from './Engine.ts';
import { isDbError } from './errors.ts';
import { GroupedWriter, inLockOrder } from './GroupedWriter.ts';
import { sql } from 'kysely';
import type { Schema } from './schema.ts';
import { waitUntil } from '@muster/kit/testing';
import { testEngines, useTestDatabase } from './testing/fixture.ts';
import { recordingLogger } from './testing/logging.ts';

const engines = await testEngines('the PostgreSQL grouped-writer tests (db/src/GroupedWriter.test.ts)');

function insertMeeting(db: Database, id: string) {
  return db.writer.write(async (trx) => {
    await trx.insertInto('meetings').values({ id, created_at: 1, updated_at: 1, starts_at: null, config: Buffer.from('x') }).execute();
    return id;
  });
}

async function ids(db: Database): Promise<string[]> {
  return (await db.kysely.selectFrom('meetings').select('id').orderBy('id').execute()).map((r) => r.id);
}

describe.each(engines)('GroupedWriter (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('runs a batch’s writes without a lock key first, as queued, then the keyed ones by key', async () => {
    const db = await testDb.open({ writer: { maxBatch: 100, maxBatchMs: 60_000 } });
    const ran: string[] = [];
    const write = (name: string, lockKey?: string) => db.writer.write(async () => void ran.push(name), lockKey === undefined ? {} : { lockKey });
    await Promise.all([write('c2', 'conv-2'), write('plain-1'), write('c1~search', 'conv-1~search'), write('c1-a', 'conv-1'), write('plain-2'), write('c1-b', 'conv-1')]);
    expect(ran).toEqual(['plain-1', 'plain-2', 'c1-a', 'c1-b', 'c1~search', 'c2']);
  });

  it('commits writes queued together in one transaction, each resolved with its result', async () => {
    // No time budget: the batch is bounded by count alone, so the grouping is deterministic.
    const db = await testDb.open({ writer: { maxBatch: 100, maxBatchMs: 60_000 } });
    const before = db.writer.stats().commits;
    const names = Array.from({ length: 250 }, (_, i) => `w${String(i).padStart(3, '0')}`);
    const results = await Promise.all(names.map((id) => insertMeeting(db, id)));
    expect(results).toEqual(names);
    const stats = db.writer.stats();
    expect(stats.commits - before).toBe(3);
    expect(stats.maxBatchSize).toBe(100);
    expect(stats.queueDepth).toBe(0);
    expect(await ids(db)).toEqual(names);
  });

  it('fails only the failing write of a batch: its savepoint is rolled back, the others commit', async () => {
    const d = await testDb.open({ writer: { maxBatchMs: 60_000 } });
    const before = d.writer.stats().commits;
    const first = insertMeeting(d, 'a');
    // Inserts a row, then fails: the row must go with it.
    const failing = d.writer.write(async (trx) => {
      await trx.insertInto('meetings').values({ id: 'half', created_at: 1, updated_at: 1, starts_at: null, config: Buffer.from('x') }).execute();
      throw new Error('caller bug');
    });
    // A database error (duplicate key) is one write's failure too.
    const duplicate = insertMeeting(d, 'a');
    const last = insertMeeting(d, 'b');
    const outcomes = await Promise.allSettled([first, failing, duplicate, last]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(((outcomes[1] as PromiseRejectedResult).reason as Error).message).toBe('caller bug');
    expect(d.writer.stats().commits - before).toBe(1);
    expect(await ids(d)).toEqual(['a', 'b']);
    expect(d.writer.stats().failedWrites).toBe(2);
  });

  it('rolls back a lone failing write', async () => {
    const d = await testDb.open();
    await expect(
      d.writer.write(async (trx) => {
        await trx.insertInto('meetings').values({ id: 'alone', created_at: 1, updated_at: 1, starts_at: null, config: Buffer.from('x') }).execute();
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await ids(d)).toEqual([]);
    await insertMeeting(d, 'next');
    expect(await ids(d)).toEqual(['next']);
  });

  it('resolves a write only once it is committed: visible to a reader the moment it resolves', async () => {
    const d = await testDb.open();
    const seen = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        insertMeeting(d, `v${i}`).then(async (id) => (await d.kysely.selectFrom('meetings').select('id').where('id', '=', id).executeTakeFirst())?.id),
      ),
    );
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
  });

  it('commits what is queued on close, then refuses writes with DB_CLOSED', async () => {
    const d = await testDb.open();
    const pending = Array.from({ length: 20 }, (_, i) => insertMeeting(d, `c${i}`));
    const closed = d.close();
    await expect(insertMeeting(d, 'late')).rejects.toSatisfy((e) => isDbError(e, 'DB_CLOSED'));
    await Promise.all(pending);
    await closed;
    await d.close();
    expect(await ids(await testDb.open())).toHaveLength(20);
  });

  it('refuses writes beyond its queue bound with WRITE_QUEUE_FULL', async () => {
    const d = await testDb.open({ writer: { maxQueue: 5 } });
    const writes = Array.from({ length: 8 }, (_, i) => insertMeeting(d, `q${i}`));
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
    for (const o of outcomes.slice(5)) expect(isDbError((o as PromiseRejectedResult).reason, 'WRITE_QUEUE_FULL')).toBe(true);
  });

  it('reports queue depth, commits, writes and latency percentiles', async () => {
    const d = await testDb.open();
    await Promise.all(Array.from({ length: 30 }, (_, i) => insertMeeting(d, `s${i}`)));
    const { writer } = d.getStats();
    expect(writer.writes).toBeGreaterThanOrEqual(30);
    expect(writer.commits).toBeGreaterThan(0);
    expect(writer.commitLatencyMs.samples).toBe(writer.commits);
    expect(writer.ackLatencyMs.p99).toBeGreaterThanOrEqual(writer.ackLatencyMs.p50);
    expect(writer.unavailableSince).toBeNull();
  });

  it('keeps the reader read-only: a write that bypasses the writer fails', async () => {
    const db = await testDb.open();
    await expect(db.kysely.insertInto('meetings').values({ id: 'x', created_at: 1, updated_at: 1, starts_at: null, config: Buffer.from('x') }).execute()).rejects.toThrow(/read-?only/);
  });
});

describe('GroupedWriter while the database is unreachable', () => {
  const testDb = useTestDatabase('sqlite');

  it('retries with back-off, fails a write only after the retry window, and resumes when the database is back', async () => {
    await (await testDb.open()).close();
    // A writer over a connection that fails like a dropped PostgreSQL one while `down`.
    const kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database: new BetterSqlite3(path.join(testDb.location.dataDir, SQLITE_FILE_NAME)) }) });
    testDb.defer(() => kysely.destroy());
    let down = true;
    const flaky = new Proxy(kysely, {
      get(target, property) {
        if (property === 'startTransaction' && down) {
          return () => ({ execute: async () => Promise.reject(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })) });
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const log = recordingLogger();
    const writer = new GroupedWriter({ db: flaky, engine: 'sqlite', retryWindowMs: 300, logger: log.logger });
    testDb.defer(() => writer.close());
    const insert = (id: string) =>
      writer.write(async (trx) => {
        await trx.insertInto('meetings').values({ id, created_at: 1, updated_at: 1, starts_at: null, config: Buffer.from('x') }).execute();
        return id;
      });
    await expect(insert('lost')).rejects.toSatisfy((e) => isDbError(e, 'DB_UNAVAILABLE') && /unreachable since/.test((e as Error).message));
    expect(writer.stats().retries).toBeGreaterThan(1);
    expect(writer.stats().unavailableSince).not.toBeNull();
    expect(log.messages('error').some((m) => /unreachable/.test(m))).toBe(true);

    // A write queued during the outage, within its window, commits once the database is back.
    const waiting = insert('kept');
    const retriesSoFar = writer.stats().retries;
    await waitUntil(() => writer.stats().retries > retriesSoFar, 20_000, 'another retry', 10);
    down = false;
    expect(await waiting).toBe('kept');
    expect(writer.stats().unavailableSince).toBeNull();
    expect(log.messages('info').some((m) => /reachable again/.test(m))).toBe(true);
    expect((await kysely.selectFrom('meetings').select('id').execute()).map((r) => r.id)).toEqual(['kept']);
  });
});

describe('inLockOrder', () => {
  it('keeps a batch without keys as it is, and sorts keyed writes stably after unkeyed ones', () => {
    const plain: { n: number; lockKey?: string }[] = [{ n: 1 }, { n: 2 }];
    expect(inLockOrder(plain)).toBe(plain);
    const mixed = [{ n: 1, lockKey: 'b' }, { n: 2 }, { n: 3, lockKey: 'a' }, { n: 4, lockKey: 'b' }, { n: 5, lockKey: undefined }];
    expect(inLockOrder(mixed).map((w) => w.n)).toEqual([2, 5, 3, 1, 4]);
  });
});

const postgres = engines.filter((e) => e === 'postgres');
describe.each(postgres)('two processes writing the same rows on PostgreSQL (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  /** Bumps a meeting's counter, holding its row lock a moment (as a batch of many writes would). */
  const bump = (db: Database, id: string, lockKey?: string) =>
    db.writer.write(
      async (trx) => {
        await trx.updateTable('meetings').set((eb) => ({ updated_at: eb('updated_at', '+', 1) })).where('id', '=', id).execute();
        await sql`select pg_sleep(0.03)`.execute(trx);
      },
      lockKey === undefined ? {} : { lockKey },
    );

  it('take keyed locks in one order, so that their batches wait for each other instead of deadlocking', async () => {
    const options = { writer: { maxBatch: 64, maxBatchMs: 60_000 } };
    const one = await testDb.open(options);
    const two = await testDb.open(options);
    await insertMeeting(one, 'row-a');
    await insertMeeting(one, 'row-b');
    // Without keys: queued in opposite orders, the two batches lock a then b, and b then a: PostgreSQL finds the
    // deadlock, aborts one batch, and its writer re-runs it.
    await Promise.all([bump(one, 'row-a'), bump(one, 'row-b'), bump(two, 'row-b'), bump(two, 'row-a')]);
    expect(one.writer.stats().retries + two.writer.stats().retries).toBeGreaterThan(0);
    const retriesBefore = one.writer.stats().retries + two.writer.stats().retries;
    // With keys: both lock a, then b, every round.
    for (let round = 0; round < 5; round++) {
      await Promise.all([bump(one, 'row-a', 'row-a'), bump(one, 'row-b', 'row-b'), bump(two, 'row-b', 'row-b'), bump(two, 'row-a', 'row-a')]);
    }
    expect(one.writer.stats().retries + two.writer.stats().retries).toBe(retriesBefore);
    const rows = await one.kysely.selectFrom('meetings').select(['id', 'updated_at']).where('id', 'in', ['row-a', 'row-b']).orderBy('id').execute();
    expect(rows.map((r) => Number(r.updated_at))).toEqual([1 + 12, 1 + 12]);
  }, 30_000);
});
