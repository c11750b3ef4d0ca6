/**
 * Ordering and idempotence through a whole server:
 * - many people sending at once into one group (over the socket and over
 *   REST) get seqs 1..N with no gap and no repeat; each sender's own
 *   messages keep their order; every device receives all N, in the same
 *   order, and that order by seq is the stored history;
 * - one client message id sent concurrently and again and again (REST and
 *   socket, two devices of the sender) is one message: one row, one seq,
 *   one live delivery per device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { api, befriendAll, catchUpConversation, openDevice, signUpPeople, type TestDevice, type TestPerson } from './scaleWorld.ts';

const SENDERS = 20;
const EACH = 25;

describe('ordering under concurrent senders, and idempotent retry', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const devices: TestDevice[] = [];
  let people: TestPerson[];
  let groupId: string;
  /** Each person's device, and a second device of the owner. */
  let deviceOf: Map<string, TestDevice>;
  let ownerSecond: TestDevice;

  beforeAll(async () => {
    server = await startTestServer();
    people = await signUpPeople(server, SENDERS, 3, 'sender');
    const [owner, ...others] = people as [TestPerson, ...TestPerson[]];
    await befriendAll(server, owner, others);
    const group = await api(server.url, 'POST', '/groups', owner.accessToken, { name: 'race', members: others.map((p) => p.id) });
    groupId = group.body.conversationId;
    deviceOf = new Map();
    for (const p of people) {
      const d = await openDevice(server.url, p);
      devices.push(d);
      deviceOf.set(p.id, d);
    }
    // The owner's phone: another session of the same account.
    const phone = await server.accounts.auth.login({ phone: owner.phone, password: 'tulip-granite-73' }, { address: '10.3.250.1' });
    ownerSecond = await openDevice(server.url, { accessToken: phone.accessToken });
    devices.push(ownerSecond);
  }, 120_000);
  afterAll(async () => {
    for (const d of devices) d.close();
    await server?.close();
  });

  it('gives gap-free seqs 1..N to concurrent senders, and every device the same order', async () => {
    const N = SENDERS * EACH;
    // Each person sends their messages one after another (awaiting each reply); all people at once.
    // Even-numbered people send over their socket, the others by REST.
    const replies = await Promise.all(
      people.map(async (p, i) => {
        const mine: { seq: number; id: string; k: number }[] = [];
        for (let k = 0; k < EACH; k++) {
          const body = { clientMsgId: `race-${i}-${k}-xxxxx`, type: 'text' as const, text: `${p.nickname}: ${k}` };
          if (i % 2 === 0) {
            const ack = await deviceOf.get(p.id)!.request('im.send', { conversationId: groupId, ...body });
            expect(ack.ok, JSON.stringify(ack.error)).toBe(true);
            mine.push({ seq: ack.data.seq, id: ack.data.id, k });
          } else {
            const sent = await api(server.url, 'POST', `/conversations/${groupId}/messages`, p.accessToken, body);
            expect(sent.status).toBe(201);
            mine.push({ seq: sent.body.seq, id: sent.body.id, k });
          }
        }
        return mine;
      }),
    );
    // Seqs: exactly 1..N, each once.
    const seqs = replies.flat().map((r) => r.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    // A sender's own messages are numbered in the order they were sent.
    for (const mine of replies) for (let k = 1; k < mine.length; k++) expect(mine[k]!.seq).toBeGreaterThan(mine[k - 1]!.seq);

    // Every device (the owner's two included) receives all N.
    const inGroup = (d: TestDevice) => d.messages.filter((m) => m.conversationId === groupId);
    await waitUntil(() => devices.every((d) => inGroup(d).length >= N), 30_000, `all ${N} messages on all ${devices.length} devices`).catch((error: Error) => {
      throw new Error(`${error.message}: ${devices.map((d) => inGroup(d).length).join(',')}`);
    });
    const history = await catchUpConversation(server.url, people[0]!.accessToken, groupId, 0, N);
    expect(history.map((m) => m.seq)).toEqual(seqs);
    const first = inGroup(devices[0]!).map((m) => m.id);
    for (const d of devices) {
      const got = inGroup(d);
      expect(got).toHaveLength(N);
      // The same order on every device, and, by seq, the stored order.
      expect(got.map((m) => m.id)).toEqual(first);
      expect([...got].sort((a, b) => a.seq - b.seq).map((m) => m.id)).toEqual(history.map((m) => m.id));
    }
    // Each message is what its sender sent under that seq.
    const byId = new Map(replies.flat().map((r) => [r.id, r.seq]));
    for (const m of history) expect(byId.get(m.id)).toBe(m.seq);
  }, 120_000);

  it('stores a retried send once: the same client id, concurrently and repeatedly, from REST and two sockets', async () => {
    const owner = people[0]!;
    const before = await server.im.conversations.messages(owner.principal, groupId, { limit: 1 });
    const lastSeq = before.at(-1)?.seq ?? 0;
    const rowsBefore = await countRows(groupId);
    const body = { clientMsgId: 'retry-0123456789', type: 'text' as const, text: '只发一次' };
    const attempt = (n: number) =>
      n % 3 === 0
        ? api(server.url, 'POST', `/conversations/${groupId}/messages`, owner.accessToken, body).then((r) => ({ id: r.body.id as string, seq: r.body.seq as number, status: r.status }))
        : (n % 3 === 1 ? deviceOf.get(owner.id)! : ownerSecond).request('im.send', { conversationId: groupId, ...body }).then((r) => ({ id: r.data?.id as string, seq: r.data?.seq as number, status: r.ok ? 200 : 500 }));
    // Twelve at once, then three rounds of six more.
    const results = await Promise.all(Array.from({ length: 12 }, (_, n) => attempt(n)));
    for (let round = 0; round < 3; round++) results.push(...(await Promise.all(Array.from({ length: 6 }, (_, n) => attempt(n)))));
    const ids = new Set(results.map((r) => r.id));
    expect(ids.size).toBe(1);
    expect(new Set(results.map((r) => r.seq))).toEqual(new Set([lastSeq + 1]));
    // REST answers 201 for the one stored, 200 for each retry: at most one 201.
    expect(results.filter((r) => r.status === 201).length).toBeLessThanOrEqual(1);
    expect(await countRows(groupId)).toBe(rowsBefore + 1);

    // Delivered once to each device, however many times it was sent: a later message shows the stream has moved on.
    const marker = await api(server.url, 'POST', `/conversations/${groupId}/messages`, people[1]!.accessToken, { clientMsgId: 'after-retry-0001', type: 'text', text: 'next' });
    expect(marker.body.seq).toBe(lastSeq + 2);
    await waitUntil(() => devices.every((d) => d.messages.some((m) => m.id === marker.body.id)), 20_000, 'the marker on every device');
    for (const d of devices) expect(d.messages.filter((m) => m.id === [...ids][0]).length).toBe(1);

    // The same client id from another sender is another message.
    const other = await api(server.url, 'POST', `/conversations/${groupId}/messages`, people[2]!.accessToken, body);
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe([...ids][0]);
    expect(other.body.seq).toBe(lastSeq + 3);
  }, 60_000);

  async function countRows(conversationId: string): Promise<number> {
    const row = await server.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('conversation_id', '=', conversationId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
});
