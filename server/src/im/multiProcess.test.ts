/**
 * Two server processes on one PostgreSQL database, as the scale-out install
 * runs: this test's own server and a second one in a child process. People
 * send through both at once; seqs stay gap-free (they are taken in the
 * storing transaction, under the conversation row's lock, never in a
 * process's memory), both processes hand out the same history in the same
 * order, a device catches up through either, and a retry that lands on both
 * processes at once is still one message.
 *
 * Without REDIS_URL (as here) live delivery does not cross processes: a device
 * gets live what its own process stored, and catch-up finds the rest. With it,
 * it does: fanout/crossHost.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { createTestSchema, postgresTestsEnabled, type TestSchema } from '@muster/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { api, befriendAll, catchUpConversation, openDevice, signUpPeople, type TestDevice, type TestPerson } from './scaleWorld.ts';

const withPostgres = await postgresTestsEnabled('the two-process IM test (server/src/im/multiProcess.test.ts)');

const SENDERS = 10;
const EACH = 20;

describe.skipIf(!withPostgres)('IM on two server processes sharing PostgreSQL', () => {
  let schema: TestSchema;
  let a: Awaited<ReturnType<typeof startTestServer>>;
  let child: ChildProcess | undefined;
  let bUrl: string;
  let people: TestPerson[];
  let groupId: string;
  const devices: TestDevice[] = [];
  /** Errors the second process logged (shown when a request to it fails). */
  const secondErrors: string[] = [];

  beforeAll(async () => {
    schema = await createTestSchema();
    a = await startTestServer({ databaseUrl: schema.url });
    // The second process, after the first made the schema and the data key.
    child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'secondServer.fixture.ts')], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: { ...process.env, DATABASE_URL: schema.url, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    bUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the second server did not start: ${stderr.slice(-2000)}`)), 60_000);
      readline.createInterface({ input: child!.stdout! }).on('line', (line) => {
        if (line.includes('"level":50')) secondErrors.push(line.slice(0, 2000));
        const m = /^READY (\S+)$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child!.once('exit', (code) => reject(new Error(`the second server exited (${code}): ${stderr.slice(-2000)}`)));
    });
    expect(bUrl).not.toBe(a.url);

    people = await signUpPeople(a, SENDERS, 4, 'pg');
    const [owner, ...others] = people as [TestPerson, ...TestPerson[]];
    await befriendAll(a, owner, others);
    // Made through the second process: it reads what the first one wrote.
    const group = await api(bUrl, 'POST', '/groups', owner.accessToken, { name: 'two processes', members: others.map((p) => p.id) });
    expect(group.status).toBe(201);
    groupId = group.body.conversationId;
  }, 120_000);

  afterAll(async () => {
    for (const d of devices) d.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await a?.close();
    await schema?.drop();
  });

  it('keeps seqs gap-free and one order with senders on both processes at once; catch-up through either finds everything', async () => {
    const N = SENDERS * EACH;
    const urls = [a.url, bUrl];
    // A device on each process, for the first person.
    const onA = await openDevice(a.url, people[0]!);
    const onB = await openDevice(bUrl, people[0]!);
    devices.push(onA, onB);

    const stored = await Promise.all(
      people.map(async (p, i) => {
        const mine: { seq: number; id: string; via: number }[] = [];
        for (let k = 0; k < EACH; k++) {
          const via = (i + k) % 2;
          const body = { clientMsgId: `mp-${i}-${k}-xxxxxx`, type: 'text', text: `${p.nickname} #${k}` };
          // Two processes' write batches may deadlock on the conversation row (PostgreSQL 40P01): the
          // writer re-runs the aborted batch in a new transaction, so no send fails.
          const sent = await api(urls[via]!, 'POST', `/conversations/${groupId}/messages`, p.accessToken, body);
          expect(sent.status, `${JSON.stringify(sent.body)} via ${via ? 'the second' : 'the first'} process; its errors: ${secondErrors.join('\n')}`).toBe(201);
          mine.push({ seq: sent.body.seq, id: sent.body.id, via });
        }
        return mine;
      }),
    );
    const seqs = stored.flat().map((s) => s.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    for (const mine of stored) for (let k = 1; k < mine.length; k++) expect(mine[k]!.seq).toBeGreaterThan(mine[k - 1]!.seq);

    // The same history, in the same order, from either process.
    const fromA = await catchUpConversation(a.url, people[3]!.accessToken, groupId, 0, N);
    const fromB = await catchUpConversation(bUrl, people[3]!.accessToken, groupId, 0, N);
    expect(fromA.map((m) => m.seq)).toEqual(seqs);
    expect(fromB.map((m) => m.id)).toEqual(fromA.map((m) => m.id));
    expect(fromB.map((m) => m.text)).toEqual(fromA.map((m) => m.text));
    const byId = new Map(stored.flat().map((s) => [s.id, s.seq]));
    for (const m of fromA) expect(byId.get(m.id)).toBe(m.seq);

    // Each process's devices got live what that process stored; a catch-up from the highest seq they hold fills the rest.
    const viaA = stored.flat().filter((s) => s.via === 0).length;
    await waitUntil(() => onA.messages.filter((m) => m.conversationId === groupId).length >= viaA, 20_000, 'live delivery on the first process');
    for (const [device, url] of [[onA, a.url], [onB, bUrl]] as const) {
      const live = new Map(device.messages.filter((m) => m.conversationId === groupId).map((m) => [m.seq, m.id]));
      const missing = await catchUpConversation(url, people[0]!.accessToken, groupId, 0, N);
      for (const m of missing) if (live.has(m.seq)) expect(live.get(m.seq)).toBe(m.id);
      expect(new Set([...live.keys(), ...missing.map((m) => m.seq)]).size).toBe(N);
    }

    // Unread counts agree on both processes.
    const unreadVia = async (url: string, p: TestPerson) => ((await api(url, 'GET', '/conversations', p.accessToken)).body as { id: string; unread: number; lastSeq: number }[]).find((c) => c.id === groupId);
    for (const p of people.slice(0, 4)) expect(await unreadVia(bUrl, p)).toEqual(await unreadVia(a.url, p));
    expect((await unreadVia(a.url, people[0]!))!.lastSeq).toBe(N);
  }, 120_000);

  it('stores a retry that reaches both processes at once as one message', async () => {
    const p = people[1]!;
    const body = { clientMsgId: 'two-process-retry-01', type: 'text', text: '重试只算一次' };
    const replies = await Promise.all(Array.from({ length: 16 }, (_, i) => api(i % 2 ? bUrl : a.url, 'POST', `/conversations/${groupId}/messages`, p.accessToken, body)));
    for (const r of replies) expect([200, 201]).toContain(r.status);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(new Set(replies.map((r) => r.body.seq)).size).toBe(1);
    expect(replies.filter((r) => r.status === 201).length).toBeLessThanOrEqual(1);
    const last = replies[0]!.body.seq as number;
    const history = await catchUpConversation(bUrl, p.accessToken, groupId, last - 2, last);
    expect(history.filter((m) => m.text === '重试只算一次')).toHaveLength(1);
    // The next message takes the next seq: no seq was burnt by the losing attempts.
    const next = await api(bUrl, 'POST', `/conversations/${groupId}/messages`, p.accessToken, { clientMsgId: 'two-process-next-01', type: 'text', text: 'next' });
    expect(next.body.seq).toBe(last + 1);
  }, 60_000);
});
