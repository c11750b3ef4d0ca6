/**
 * Live IM delivery through a whole server: a message reaches every connected
 * device of every member, the sender's other device included, and nobody
 * else; a read pointer that moves reaches the sender ("read") and the
 * reader's other devices. A retried send is not delivered twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '@muster/kit/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { ack, imPeople } from './testing/people.ts';

describe('live IM delivery', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;

  const { api, signup, login, befriend, device, closeAll } = imPeople(() => server);

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(closeAll);

  it('reaches every device of every member, once, and nobody else', async () => {
    const ann = await signup('+8613900000301', 'Ann');
    const ben = await signup('+8613900000302', 'Ben');
    const eve = await signup('+8613900000303', 'Eve');
    const annPhone = await login('+8613900000301');
    await befriend(ann, ben);
    const [annLaptop, annMobile, benLaptop, eveLaptop] = [await device(ann.accessToken), await device(annPhone.accessToken), await device(ben.accessToken), await device(eve.accessToken)];

    const conversation = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    const sent = await api('POST', `/conversations/${conversation.id}/messages`, ann.accessToken, { clientMsgId: 'ann-live-0001', type: 'text', text: '会议改到三点' });
    expect(sent.status).toBe(201);
    const got = (d: { events: { event: string; payload: any }[] }) => d.events.filter((e) => e.event === 'im.message').map((e) => [e.payload.seq, e.payload.text, e.payload.senderId]);
    await waitUntil(() => [annLaptop, annMobile, benLaptop].every((d) => got(d).length === 1), 5_000, 'the message on all three devices');
    for (const d of [annLaptop, annMobile, benLaptop]) expect(got(d)).toEqual([[1, '会议改到三点', ann.user.id]]);

    // A retry is answered, not delivered again.
    expect((await api('POST', `/conversations/${conversation.id}/messages`, ann.accessToken, { clientMsgId: 'ann-live-0001', type: 'text', text: '会议改到三点' })).status).toBe(200);
    const marker = await api('POST', `/conversations/${conversation.id}/messages`, ben.accessToken, { clientMsgId: 'ben-live-0001', type: 'text', text: 'ok' });
    await waitUntil(() => got(annLaptop).length === 2, 5_000, 'the reply');
    expect(got(annLaptop).map(([seq]) => seq)).toEqual([1, marker.body.seq]);

    // Ann reads on her phone: Ben sees "read", Ann's laptop follows.
    expect((await api('POST', `/conversations/${conversation.id}/read`, annPhone.accessToken, { seq: 2 })).body).toEqual({ readSeq: 2, unread: 0 });
    const reads = (d: { events: { event: string; payload: any }[] }) => d.events.filter((e) => e.event === 'im.read').map((e) => e.payload);
    await waitUntil(() => reads(benLaptop).some((r) => r.userId === ann.user.id && r.readSeq === 2) && reads(annLaptop).some((r) => r.readSeq === 2), 5_000, 'the read pointer on Ben’s and Ann’s devices');
    expect(eveLaptop.events.filter((e) => e.event.startsWith('im.'))).toEqual([]);

    // The same over the socket: send, read, history, with coded refusals.
    const overSocket = await ack(benLaptop, 'im.send', { conversationId: conversation.id, clientMsgId: 'ben-socket-01', type: 'text', text: '收到' });
    expect(overSocket).toMatchObject({ ok: true, data: { seq: 3 } });
    await waitUntil(() => got(annMobile).some(([seq]) => seq === 3), 5_000, 'the socket-sent message on Ann’s phone');
    expect(await ack(benLaptop, 'im.send', { conversationId: conversation.id, clientMsgId: 'ben-socket-01', type: 'text', text: '收到' })).toMatchObject({ ok: true, data: { seq: 3 } });
    expect(await ack(benLaptop, 'im.send', { conversationId: conversation.id, clientMsgId: 'ben-socket-02', type: 'text', text: 'x'.repeat(2049) })).toMatchObject({ ok: false, error: { code: 'TEXT_TOO_LONG' } });
    expect(await ack(eveLaptop, 'im.send', { conversationId: conversation.id, clientMsgId: 'eve-socket-01', type: 'text', text: 'let me in' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await ack(benLaptop, 'im.read', { conversationId: conversation.id, seq: 3 })).toEqual({ ok: true, data: { readSeq: 3, unread: 0 } });
    expect((await ack(annLaptop, 'im.messages', { conversationId: conversation.id, afterSeq: 1 })).data.map((m: { seq: number }) => m.seq)).toEqual([2, 3]);
    expect(await ack(annLaptop, 'im.send', { v: 2, conversationId: conversation.id, clientMsgId: 'ann-socket-09', type: 'text', text: 'future' })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_VERSION' } });
    expect(await ack(annLaptop, 'im.teleport', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
  });

  it('fuzzes the IM socket requests: coded refusals only, the connection and the conversation keep working', async () => {
    const rand = mulberry32(16_2026);
    const ann = await signup('+8613900000311', 'Ann2');
    const ben = await signup('+8613900000312', 'Ben2');
    await befriend(ann, ben);
    const conversation = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    // Each connection has its own request bucket (a burst of 40): 8 connections of 30 requests each stay inside it.
    const connections = [];
    for (let i = 0; i < 8; i++) connections.push(await device(ann.accessToken));
    const events = ['im.send', 'im.read', 'im.messages', 'im.nothing'];
    const values = [null, true, -1, 0, 1e308, '', 'x'.repeat(9000), conversation.id, 'cvnot-a-conversation', [], {}, { deep: { er: [1] } }];
    const keys = ['conversationId', 'clientMsgId', 'type', 'text', 'seq', 'afterSeq', 'beforeSeq', 'limit', 'v', 'mentions', 'replyTo', '__proto__'];
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    for (let i = 0; i < 240; i++) {
      const payload: Record<string, unknown> = {};
      for (let k = 0; k < 1 + Math.floor(rand() * 5); k++) payload[pick(keys)] = pick(values);
      const socket = connections[i % connections.length]!.socket;
      const reply = (await socket.timeout(10_000).emitWithAck(pick(events), i % 10 === 0 ? pick(values) : payload)) as { ok: boolean; error?: { code: string } };
      if (!reply.ok) expect(reply.error!.code, `#${i}`).not.toBe('INTERNAL');
      if (!reply.ok) expect(reply.error!.code).toMatch(/^[A-Z_]+$/);
    }
    expect(connections.every((c) => c.socket.connected)).toBe(true);
    const d = connections[0]!;
    const sent = (await d.socket.timeout(10_000).emitWithAck('im.send', { conversationId: conversation.id, clientMsgId: 'after-fuzz-1', type: 'text', text: 'still here' })) as { ok: boolean };
    expect(sent).toMatchObject({ ok: true });
  });
});
