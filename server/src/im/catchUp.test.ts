/**
 * Offline catch-up through a whole server: a device that was offline while
 * 5,000 messages arrived in 50 conversations (40 one-to-one, 10 groups)
 * gets every one, in order, with correct unread counts, catching up by seq
 * ranges per conversation, newest conversations first. The same through
 * `GET /api/v1/sync` when that route is there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '@muster/kit/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { api, befriendAll, catchUpConversation, inBatches, openDevice, signUpPeople, type TestDevice, type TestPerson } from './scaleWorld.ts';

const CONVERSATIONS = 50;
const DIRECT = 40;
const WHILE_OFFLINE = 5_000;
const PER_CONVERSATION = WHILE_OFFLINE / CONVERSATIONS;
/** Messages each conversation had before the device went offline (it saw them live). */
const BEFORE = 2;

interface Expected {
  id: string;
  /** The texts of every message, seq order (index 0 is seq 1). */
  texts: string[];
  senders: string[];
  /** The reader's read pointer as the test works it out. */
  readSeq: number;
}

describe('offline catch-up', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const devices: TestDevice[] = [];
  let reader: TestPerson;
  const expected: Expected[] = [];
  let syncToken: string | null = null;
  let syncPresent = false;

  beforeAll(async () => {
    server = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    for (const d of devices) d.close();
    await server?.close();
  });

  it('gets every one of 5,000 messages in 50 conversations, in order, newest conversations first, with correct unread counts', async () => {
    const rand = mulberry32(5_000_50);
    const people = await signUpPeople(server, 1 + DIRECT, 2, 'friend');
    reader = people[0]!;
    const friends = people.slice(1);
    await befriendAll(server, reader, friends);

    // 40 one-to-one conversations and 10 groups of the reader and three friends.
    for (let i = 0; i < DIRECT; i++) {
      const open = await api(server.url, 'POST', '/conversations', reader.accessToken, { userId: friends[i]!.id });
      expect(open.status).toBe(200);
      expected.push({ id: open.body.id, texts: [], senders: [], readSeq: 0 });
    }
    const groupMembers: TestPerson[][] = [];
    for (let g = 0; g < CONVERSATIONS - DIRECT; g++) {
      const members = [friends[(g * 3) % DIRECT]!, friends[(g * 3 + 1) % DIRECT]!, friends[(g * 3 + 2) % DIRECT]!];
      const group = await api(server.url, 'POST', '/groups', reader.accessToken, { name: `群${g}`, members: members.map((m) => m.id) });
      expect(group.status).toBe(201);
      groupMembers.push(members);
      expected.push({ id: group.body.conversationId, texts: [], senders: [], readSeq: 0 });
    }
    // Who may write in conversation c besides the reader.
    const othersIn = (c: number) => (c < DIRECT ? [friends[c]!] : groupMembers[c - DIRECT]!);

    const send = async (c: number, from: TestPerson, text: string) => {
      const e = expected[c]!;
      const sent = await server.im.conversations.send(from.principal, e.id, { clientMsgId: `cu-${c}-${e.texts.length}-${from.id.slice(-6)}`, text });
      expect(sent.seq).toBe(e.texts.length + 1);
      e.texts.push(text);
      e.senders.push(from.id);
      // The sender has read what they sent.
      if (from.id === reader.id) e.readSeq = sent.seq;
    };

    // Online: the device sees the first messages live and reads half of the conversations.
    const device = await openDevice(server.url, reader);
    devices.push(device);
    for (let c = 0; c < CONVERSATIONS; c++) for (let k = 0; k < BEFORE; k++) await send(c, othersIn(c)[k % othersIn(c).length]!, `before ${c}/${k}`);
    await waitUntil(() => device.messages.length === CONVERSATIONS * BEFORE, 20_000, 'the first messages live');
    for (let c = 0; c < CONVERSATIONS; c += 2) {
      const read = await api(server.url, 'POST', `/conversations/${expected[c]!.id}/read`, reader.accessToken, { seq: 1 });
      expect(read.status).toBe(200);
      expected[c]!.readSeq = 1;
    }
    // What the device knows: the last seq it holds in each conversation.
    const held = new Map(expected.map((e) => [e.id, BEFORE]));
    const probe = await api(server.url, 'GET', '/sync', reader.accessToken);
    syncPresent = probe.status === 200 && typeof probe.body?.next === 'string';
    if (syncPresent) syncToken = probe.body.next;
    device.close();

    // Offline: 5,000 messages, 100 in each conversation, conversations interleaved at random;
    // now and then the reader writes from another device (which moves their read pointer).
    const queue: number[] = [];
    for (let c = 0; c < CONVERSATIONS; c++) for (let k = 0; k < PER_CONVERSATION - 1; k++) queue.push(c);
    for (let i = queue.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [queue[i], queue[j]] = [queue[j]!, queue[i]!];
    }
    // Each conversation's messages go in order; different conversations in parallel.
    const byConversation = new Map<number, number>();
    const lanes = Array.from({ length: CONVERSATIONS }, () => [] as number[]);
    queue.forEach((c) => lanes[c]!.push(byConversation.set(c, (byConversation.get(c) ?? 0) + 1).get(c)!));
    await inBatches(lanes, 10, async (lane, c) => {
      for (const k of lane) {
        const fromReader = c % 5 === 0 && k === 40;
        await send(c, fromReader ? reader : othersIn(c)[k % othersIn(c).length]!, `offline ${c}/${k} ${'字'.repeat(k % 7)}`);
      }
    });
    // The last message of each, in an order of their own: that order is "newest first".
    const lastOrder = Array.from({ length: CONVERSATIONS }, (_, c) => c).sort(() => rand() - 0.5);
    for (const c of lastOrder) await send(c, othersIn(c)[0]!, `last ${c}`);
    expect(expected.reduce((a, e) => a + e.texts.length, 0)).toBe(CONVERSATIONS * BEFORE + WHILE_OFFLINE);

    // Back online: the conversation list first (newest first, unread counts), then each by seq ranges.
    const back = await openDevice(server.url, reader);
    devices.push(back);
    const list = (await api(server.url, 'GET', '/conversations', reader.accessToken)).body as { id: string; lastSeq: number; readSeq: number; unread: number; updatedAt: number; lastMessage: { text: string } | null }[];
    expect(list).toHaveLength(CONVERSATIONS);
    for (let i = 1; i < list.length; i++) expect(list[i - 1]!.updatedAt).toBeGreaterThanOrEqual(list[i]!.updatedAt);
    // The most recently written conversation heads the list (or shares its millisecond with the one that does).
    expect(list.find((c) => c.id === expected[lastOrder.at(-1)!]!.id)!.updatedAt).toBe(list[0]!.updatedAt);
    let fetched = 0;
    for (const conversation of list) {
      const e = expected.find((x) => x.id === conversation.id)!;
      expect(conversation.lastSeq, conversation.id).toBe(e.texts.length);
      expect(conversation.readSeq, conversation.id).toBe(e.readSeq);
      expect(conversation.unread, conversation.id).toBe(e.texts.length - e.readSeq);
      const got = await catchUpConversation(server.url, reader.accessToken, conversation.id, held.get(conversation.id)!, conversation.lastSeq);
      fetched += got.length;
      // Every message after what the device held, gap-free and in order, with the right text and sender.
      expect(got.map((m) => m.seq)).toEqual(Array.from({ length: e.texts.length - BEFORE }, (_, i) => BEFORE + 1 + i));
      expect(got.map((m) => m.text)).toEqual(e.texts.slice(BEFORE));
      expect(got.map((m) => m.senderId)).toEqual(e.senders.slice(BEFORE));
    }
    expect(fetched).toBe(WHILE_OFFLINE);
    const totalUnread = list.reduce((a, c) => a + c.unread, 0);
    expect(totalUnread).toBe(expected.reduce((a, e) => a + e.texts.length - e.readSeq, 0));

    // The same ranges over the socket (`im.messages`) give the same messages.
    for (const conversation of list.slice(0, 5)) {
      const e = expected.find((x) => x.id === conversation.id)!;
      const seqs: number[] = [];
      let after = BEFORE;
      while (after < conversation.lastSeq) {
        const reply = await back.request('im.messages', { conversationId: conversation.id, afterSeq: after, limit: 200 });
        expect(reply.ok, JSON.stringify(reply.error)).toBe(true);
        const page = reply.data as { seq: number; text: string }[];
        expect(page.map((m) => m.text)).toEqual(e.texts.slice(after, after + page.length));
        seqs.push(...page.map((m) => m.seq));
        after = page.at(-1)!.seq;
      }
      expect(seqs).toEqual(Array.from({ length: e.texts.length - BEFORE }, (_, i) => BEFORE + 1 + i));
    }
    // Caught up: the device reads everything (the first over the socket, within its request burst; the rest by REST), and nothing is unread any more.
    for (const [i, conversation] of list.entries()) {
      if (i < 20) expect(await back.request('im.read', { conversationId: conversation.id, seq: conversation.lastSeq })).toMatchObject({ ok: true, data: { unread: 0 } });
      else expect((await api(server.url, 'POST', `/conversations/${conversation.id}/read`, reader.accessToken, { seq: conversation.lastSeq })).body).toMatchObject({ unread: 0 });
    }
    const after = (await api(server.url, 'GET', '/conversations', reader.accessToken)).body as { unread: number }[];
    expect(after.reduce((a, c) => a + c.unread, 0)).toBe(0);
  }, 300_000);

  it('catches up through GET /api/v1/sync as well (when the route is there)', async (ctx) => {
    if (!syncPresent) {
      console.warn('!! GET /api/v1/sync is not served yet: the sync run of the catch-up test is skipped');
      ctx.skip();
    }
    // From the token taken before the device went offline: every message since, each once, in seq order per conversation.
    const seen = new Map<string, { seq: number; text?: string }[]>();
    let token = syncToken!;
    let rounds = 0;
    for (; rounds < 500; rounds++) {
      const page = await api(server.url, 'GET', `/sync?since=${encodeURIComponent(token)}&timeout=0`, reader.accessToken);
      expect(page.status).toBe(200);
      const messages = page.body.messages as { conversationId: string; seq: number; text?: string }[];
      for (const m of messages) {
        if (!seen.has(m.conversationId)) seen.set(m.conversationId, []);
        seen.get(m.conversationId)!.push(m);
      }
      token = page.body.next;
      // `more`: the reply was cut at its size limit; call again at once.
      if (!page.body.more) break;
    }
    // 5,000 messages do not fit one reply: the device paged through them.
    expect(rounds).toBeGreaterThanOrEqual(4);
    let total = 0;
    for (const e of expected) {
      const got = seen.get(e.id) ?? [];
      // A message may come again after an edit; the latest state per seq counts.
      const bySeq = new Map(got.map((m) => [m.seq, m]));
      const seqs = [...bySeq.keys()].sort((a, b) => a - b);
      expect(seqs, e.id).toEqual(Array.from({ length: e.texts.length - BEFORE }, (_, i) => BEFORE + 1 + i));
      expect(seqs.map((s) => bySeq.get(s)!.text)).toEqual(e.texts.slice(BEFORE));
      // Within a conversation, sync hands messages out in seq order.
      expect(got.map((m) => m.seq)).toEqual([...got.map((m) => m.seq)].sort((a, b) => a - b));
      total += seqs.length;
    }
    expect(total).toBe(WHILE_OFFLINE);
  }, 120_000);
});
