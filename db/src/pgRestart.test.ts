import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Database } from './Database.ts';
import { waitUntil } from '@muster/kit/testing';
import { useTestDatabase } from './testing/fixture.ts';
import { adminQuery, postgresTestsEnabled, TEST_POSTGRES_URL } from './testing/postgres.ts';

const withPostgres = await postgresTestsEnabled('the PostgreSQL restart test (db/src/pgRestart.test.ts)');

/**
 * A PostgreSQL restart, simulated: the machine's shared server may not be
 * restarted, so the writer's backend is terminated from another connection
 * (pg_terminate_backend: the same 57P01 "terminating connection due to
 * administrator command" a restart gives, then a dropped socket).
 */
describe.skipIf(!withPostgres)('the writer when its PostgreSQL connection is killed', () => {
  const testDb = useTestDatabase('postgres');

  async function openTagged(): Promise<{ db: Database; writerPids: () => Promise<number[]>; terminate: () => Promise<number> }> {
    const location = await testDb.create();
    const tag = `mt_${crypto.randomBytes(4).toString('hex')}`;
    const url = new URL(location.url!);
    url.searchParams.set('application_name', tag);
    const opened = await location.open({ url: url.toString() });
    const writerPids = async () => (await adminQuery<{ pid: number }>(TEST_POSTGRES_URL, 'select pid from pg_stat_activity where application_name = $1', [`${tag}:writer`])).map((r) => r.pid);
    const terminate = async () =>
      (await adminQuery<{ ok: boolean }>(TEST_POSTGRES_URL, 'select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1', [`${tag}:writer`])).filter((r) => r.ok).length;
    return { db: opened, writerPids, terminate };
  }

  const insert = (d: Database, id: string) =>
    d.writer.write(async (trx) => {
      await trx
        .insertInto('meetings')
        .values({ id, created_at: 1, updated_at: 1, starts_at: null, config: Buffer.from('x') })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return id;
    });

  it('re-runs a batch whose connection died mid-transaction, in a new transaction', async () => {
    const tagged = await openTagged();
    const d = tagged.db;
    await insert(d, 'warm-up');
    let runs = 0;
    let killed!: () => void;
    const terminated = new Promise<void>((resolve) => (killed = resolve));
    const inTransaction = new Promise<void>((resolve) => {
      void d.writer
        .write(async (trx) => {
          runs++;
          await trx.insertInto('meetings').values({ id: 'first-half', created_at: 1, updated_at: 1, starts_at: null, config: Buffer.from('x') }).onConflict((oc) => oc.doNothing()).execute();
          resolve();
          await terminated;
          await trx.insertInto('meetings').values({ id: 'second-half', created_at: 1, updated_at: 1, starts_at: null, config: Buffer.from('x') }).onConflict((oc) => oc.doNothing()).execute();
          return 'done';
        })
        .then((value) => expect(value).toBe('done'));
    });
    await inTransaction;
    expect(await tagged.terminate()).toBe(1);
    killed();
    await waitUntil(() => runs >= 2, 20_000, 'the re-run write', 10);
    await d.writer.whenIdle();
    expect((await d.kysely.selectFrom('meetings').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['first-half', 'second-half', 'warm-up']);
    expect(d.writer.stats().retries).toBeGreaterThanOrEqual(1);
    expect(d.writer.stats().unavailableSince).toBeNull();
  });

  it('loses no acknowledged write while its backend is terminated three times under load', async () => {
    const tagged = await openTagged();
    const d = tagged.db;
    const acked = new Set<string>();
    const failed: unknown[] = [];
    let next = 0;
    let stop = false;
    const loops = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const id = `load-${next++}`;
        try {
          acked.add(await insert(d, id));
        } catch (error) {
          failed.push(error);
        }
      }
    });
    for (const threshold of [150, 300, 450]) {
      await waitUntil(() => acked.size >= threshold, 20_000, `${threshold} acknowledged writes`, 10);
      const before = await tagged.writerPids();
      await tagged.terminate();
      // Wait for the writer to be back on a new backend.
      await waitUntil(async () => (await tagged.writerPids()).some((pid) => !before.includes(pid)), 20_000, 'a new writer backend', 10);
    }
    await waitUntil(() => acked.size >= 600, 20_000, '600 acknowledged writes', 10);
    stop = true;
    await Promise.all(loops);
    expect(failed).toEqual([]);
    const stored = new Set((await d.kysely.selectFrom('meetings').select('id').execute()).map((r) => r.id));
    expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
  });
  it('answers reads right after every idle reader connection was terminated (a restart): each read runs again on a fresh connection', async () => {
    const location = await testDb.create();
    const tag = `mr_${crypto.randomBytes(4).toString('hex')}`;
    const url = new URL(location.url!);
    url.searchParams.set('application_name', tag);
    const d = await location.open({ url: url.toString() });
    await insert(d, 'read-me');
    const read = () => d.kysely.selectFrom('meetings').select('id').where('id', '=', 'read-me').executeTakeFirst();
    // Several idle reader connections in the pool, all of which the "restart" ends.
    await Promise.all(Array.from({ length: 6 }, read));
    const readers = () => adminQuery<{ pid: number }>(TEST_POSTGRES_URL, 'select pid from pg_stat_activity where application_name = $1', [`${tag}:reader`]);
    expect((await readers()).length).toBeGreaterThan(1);
    await adminQuery(TEST_POSTGRES_URL, 'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`${tag}:reader`]);
    // At once, as a request arriving with the restart would: the pool has not yet heard of every death.
    const results = await Promise.all(Array.from({ length: 6 }, read));
    expect(results).toEqual(Array.from({ length: 6 }, () => ({ id: 'read-me' })));
  });
});
