/**
 * The whole server on PostgreSQL (DATABASE_URL), as a scaled-out install runs
 * it: meetings and boards live in the database, not the data directory, so a
 * second server with another data directory serves them, unwrapping the same
 * data key; and a PostgreSQL connection lost mid-meeting is retried.
 */
import { adminQuery, createTestSchema, postgresTestsEnabled, tempDir, TEST_POSTGRES_URL, type TestSchema } from '@muster/db/testing';
import { ProtocolClient } from '@muster/signaling/testing';
import type { BoardJson } from '@muster/whiteboard';
import { makeBoard } from '@muster/whiteboard/testing';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil } from './testing/index.ts';

const withPostgres = await postgresTestsEnabled('the server-on-PostgreSQL test (server/src/postgres.test.ts)');

describe.skipIf(!withPostgres)('a whole server on PostgreSQL', () => {
  let schema: TestSchema;
  const dirs: string[] = [];
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function serverOnPostgres() {
    const dataDir = tempDir('muster-pg-server-');
    dirs.push(dataDir);
    const server = await startTestServer({ dataDir, databaseUrl: schema.url });
    const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
      fetch(`${server.url}/api/v1${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${server.apiToken}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    return { server, api, dataDir };
  }

  it('keeps meetings and boards in the database: a second server with another data directory serves them', async () => {
    const first = await serverOnPostgres();
    try {
      expect(first.server.db.engine).toBe('postgres');
      expect((await first.api('/rooms', { method: 'POST', body: { id: 'pg-weekly', topic: 'Weekly on PostgreSQL', passcode: '2468' } })).status).toBe(201);
      const put = await first.api('/boards/pg-plan', { method: 'PUT', body: makeBoard('pg-plan', 12, 3) });
      expect(put.status).toBeLessThan(300);
    } finally {
      await first.server.close();
    }
    // Nothing of it in the first server's data directory: no SQLite file was made.
    expect(fs.readdirSync(first.dataDir).filter((f) => f.startsWith('muster.db'))).toEqual([]);
    // The topic is sealed at rest: not in the table as text.
    const rows = await adminQuery(schema.url, 'select * from meetings');
    expect(rows.length).toBe(1);
    expect(JSON.stringify(rows)).not.toContain('Weekly on PostgreSQL');

    const second = await serverOnPostgres();
    try {
      const room = await second.api('/rooms/pg-weekly');
      expect(room.status).toBe(200);
      expect(await room.json()).toMatchObject({ id: 'pg-weekly', topic: 'Weekly on PostgreSQL', hasPasscode: true });
      const board = await second.api('/boards/pg-plan');
      expect(board.status).toBe(200);
      const pages = ((await board.json()) as BoardJson).pages;
      expect(pages.flatMap((p) => p.objects)).toHaveLength(12);
      // One data key, unwrapped by both servers: the second made none of its own.
      expect(await adminQuery(schema.url, 'select count(*)::int as n from keyring')).toEqual([{ n: 1 }]);
    } finally {
      await second.server.close();
    }
  });

  it('goes on when its PostgreSQL connections are cut in the middle of a meeting: writes are retried', async () => {
    const since = (await adminQuery(TEST_POSTGRES_URL, 'select now() as t'))[0]!.t;
    const { server, api } = await serverOnPostgres();
    let client: ProtocolClient | undefined;
    try {
      expect((await api('/rooms', { method: 'POST', body: { id: 'pg-live', topic: 'Live' } })).status).toBe(201);
      client = await ProtocolClient.join(server.url, 'pg-live', 'Ada');
      // What a PostgreSQL restart does to the server's pool: every connection it opened ends (57P01).
      const cut = await adminQuery(
        TEST_POSTGRES_URL,
        'select pg_terminate_backend(pid) as cut from pg_stat_activity where pid <> pg_backend_pid() and datname = current_database() and backend_start >= $1',
        [since],
      );
      expect(cut.length).toBeGreaterThan(0);
      // The meeting goes on, and what is written next lands.
      const renamed = await api('/rooms/pg-live', { method: 'PATCH', body: { topic: 'Live, after the restart' } });
      expect(renamed.status).toBe(200);
      await waitUntil(async () => (await (await api('/rooms/pg-live')).json()).topic === 'Live, after the restart', 20_000, 'the new topic');
      expect((await client.send('chat.send', { text: 'still here' })).ok).toBe(true);
      expect((await api('/rooms', { method: 'POST', body: { id: 'pg-after', topic: 'After' } })).status).toBe(201);
    } finally {
      client?.close();
      await server.close();
    }
  });
});
