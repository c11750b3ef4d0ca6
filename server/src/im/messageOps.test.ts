/**
 * Message operations through a whole server, live: a recall or an edit
 * reaches every device of every member (the sender's other device too); a
 * delete-for-me reaches only the deleter's own devices; typing reaches the
 * peer only. The socket requests mirror the REST routes, with coded
 * refusals, and survive fuzzing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '@muster/kit/testing';
import { imConfigFromEnv } from '../config.ts';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { ack, imPeople, eventsOf as of, type Device } from './testing/people.ts';

describe('message operations, live', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;

  const { api, signup, login, befriend, device, closeAll } = imPeople(() => server);

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(closeAll);

  it('recall and edit reach every device; delete for me only one’s own; typing the peer only', async () => {
    const ann = await signup('+8613900000401', 'Ann');
    const ben = await signup('+8613900000402', 'Ben');
    const annPhone = await login('+8613900000401');
    await befriend(ann, ben);
    const [annLaptop, annMobile, benLaptop] = [await device(ann.accessToken), await device(annPhone.accessToken), await device(ben.accessToken)];
    const conversation = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    const base = `/conversations/${conversation.id}/messages`;
    const first = (await api('POST', base, ann.accessToken, { clientMsgId: 'ann-ops-0001', type: 'text', text: '三点开会' })).body;
    const second = (await api('POST', base, ben.accessToken, { clientMsgId: 'ben-ops-0001', type: 'text', text: '收到' })).body;
    await waitUntil(() => [annLaptop, annMobile, benLaptop].every((d) => of(d, 'im.message').length === 2), 5_000, 'both messages on every device');

    // An edit from the laptop: all three devices see the new text.
    expect((await api('PATCH', `${base}/${first.id}`, ann.accessToken, { text: '四点开会' })).status).toBe(200);
    await waitUntil(() => [annLaptop, annMobile, benLaptop].every((d) => of(d, 'im.changed').some((m) => m.text === '四点开会')), 5_000, 'the edit on every device');
    expect(of(benLaptop, 'im.changed')[0]).toMatchObject({ id: first.id, seq: first.seq, editedAt: expect.any(Number) });

    // A recall over the socket from the phone: content gone on all three.
    const recalled = await ack(annMobile, 'im.recall', { conversationId: conversation.id, messageId: first.id });
    expect(recalled).toMatchObject({ ok: true, data: { id: first.id, recalled: { by: ann.user.id } } });
    await waitUntil(() => [annLaptop, annMobile, benLaptop].every((d) => of(d, 'im.changed').some((m) => m.recalled)), 5_000, 'the recall on every device');
    expect(of(benLaptop, 'im.changed').at(-1).text).toBeUndefined();
    expect(await ack(benLaptop, 'im.recall', { conversationId: conversation.id, messageId: first.id })).toMatchObject({ ok: true });
    expect(await ack(annLaptop, 'im.recall', { conversationId: conversation.id, messageId: second.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    // Ann deletes Ben's message for herself: her devices hear it, Ben's do not, and Ben still has it.
    expect((await api('DELETE', `${base}/${second.id}`, ann.accessToken)).status).toBe(204);
    await waitUntil(() => of(annLaptop, 'im.hidden').length === 1 && of(annMobile, 'im.hidden').length === 1, 5_000, 'the hide on Ann’s devices');
    expect(of(annMobile, 'im.hidden')[0]).toEqual({ conversationId: conversation.id, seqs: [second.seq] });
    expect((await ack(annMobile, 'im.messages', { conversationId: conversation.id })).data.map((m: { id: string }) => m.id)).toEqual([first.id]);
    expect((await ack(benLaptop, 'im.messages', { conversationId: conversation.id })).data.map((m: { id: string }) => m.id)).toEqual([first.id, second.id]);

    // Typing: Ben's laptop hears Ann; Ann's devices do not hear themselves.
    expect(await ack(annLaptop, 'im.typing', { conversationId: conversation.id })).toEqual({ ok: true, data: {} });
    await waitUntil(() => of(benLaptop, 'im.typing').length === 1, 5_000, 'typing on Ben’s laptop');
    expect(of(benLaptop, 'im.typing')[0]).toEqual({ conversationId: conversation.id, userId: ann.user.id });
    expect((await api('POST', `/conversations/${conversation.id}/typing`, ben.accessToken)).status).toBe(204);
    await waitUntil(() => of(annMobile, 'im.typing').length === 1 && of(annLaptop, 'im.typing').length === 1, 5_000, 'typing on Ann’s devices');

    // A marker from Ben: everything before it has arrived, and Ben never got a hide or his own typing.
    await api('POST', base, ben.accessToken, { clientMsgId: 'ben-ops-0002', type: 'text', text: 'marker' });
    await waitUntil(() => of(benLaptop, 'im.message').length === 3, 5_000, 'the marker');
    expect(of(benLaptop, 'im.hidden')).toEqual([]);
    expect(of(benLaptop, 'im.typing')).toHaveLength(1);

    // Readers and forward over the socket.
    const third = await ack(annLaptop, 'im.send', { conversationId: conversation.id, clientMsgId: 'ann-ops-0002', type: 'emoji', text: '👍' });
    expect(await ack(annLaptop, 'im.readers', { conversationId: conversation.id, messageId: third.data.id })).toEqual({ ok: true, data: { readBy: [], unreadBy: [ben.user.id] } });
    const forwarded = await ack(benLaptop, 'im.forward', { clientMsgId: 'ben-fwd-0001', from: conversation.id, messageIds: [third.data.id], to: [conversation.id], mode: 'single' });
    expect(forwarded).toMatchObject({ ok: true, data: { results: [{ conversationId: conversation.id, sent: [{ seq: third.data.seq + 1 }] }] } });
    expect(await ack(annLaptop, 'im.edit', { conversationId: conversation.id, messageId: third.data.id, text: '👎' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ack(annLaptop, 'im.hide', { conversationId: conversation.id, messageIds: [third.data.id] })).toEqual({ ok: true, data: { seqs: [third.data.seq] } });
  });

  it('fuzzes the message-operation requests: coded refusals only, nothing stored, the connection keeps working', async () => {
    const rand = mulberry32(16_0413);
    const ann = await signup('+8613900000411', 'Ann2');
    const ben = await signup('+8613900000412', 'Ben2');
    const eve = await signup('+8613900000413', 'Eve2');
    await befriend(ann, ben);
    const conversation = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    const sent = (await api('POST', `/conversations/${conversation.id}/messages`, ben.accessToken, { clientMsgId: 'ben-fuzz-001', type: 'text', text: 'keep me' })).body;
    // Each connection has its own request bucket (a burst of 40): 8 connections of 30 requests each stay inside it.
    const connections = [];
    for (let i = 0; i < 8; i++) connections.push(await device(i % 2 ? eve.accessToken : ann.accessToken));
    const events = ['im.recall', 'im.edit', 'im.hide', 'im.forward', 'im.typing', 'im.readers'];
    const values = [null, true, -1, 0, 1e308, '', 'x'.repeat(9000), conversation.id, 'cvnot-a-conversation', sent.id, 'msgnot-a-message', [], [sent.id], Array(12).fill(conversation.id), {}, { deep: [1] }];
    const keys = ['conversationId', 'messageId', 'messageIds', 'text', 'from', 'to', 'mode', 'clientMsgId', 'title', 'v', '__proto__'];
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    for (let i = 0; i < 240; i++) {
      const payload: Record<string, unknown> = {};
      for (let k = 0; k < 1 + Math.floor(rand() * 6); k++) payload[pick(keys)] = pick(values);
      const reply = (await connections[i % connections.length]!.socket.timeout(10_000).emitWithAck(pick(events), i % 10 === 0 ? pick(values) : payload)) as { ok: boolean; error?: { code: string } };
      if (!reply.ok) expect(reply.error!.code, `#${i}`).toMatch(/^(BAD_REQUEST|NOT_FOUND|FORBIDDEN|TEXT_TOO_LONG|PAYLOAD_TOO_LARGE|UNSUPPORTED_VERSION|REFUSED_BY_RECIPIENT)$/);
    }
    expect(connections.every((c) => c.socket.connected)).toBe(true);
    // Ben's message is untouched: not recalled (not Ann's), not edited, and Eve reached nothing.
    const history = (await api('GET', `/conversations/${conversation.id}/messages`, ben.accessToken)).body as { id: string; text?: string; recalled?: unknown }[];
    expect(history.find((m) => m.id === sent.id)).toMatchObject({ text: 'keep me' });
    expect(history.every((m) => !m.recalled)).toBe(true);
    expect(await ack(connections[0]!, 'im.typing', { conversationId: conversation.id })).toMatchObject({ ok: true });
  });

  it('fuzzes the message-operation routes: coded refusals, never INTERNAL, nothing changed', async () => {
    const rand = mulberry32(16_0414);
    const ann = await signup('+8613900000421', 'Ann3');
    const ben = await signup('+8613900000422', 'Ben3');
    await befriend(ann, ben);
    const conversation = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    const sent = (await api('POST', `/conversations/${conversation.id}/messages`, ben.accessToken, { clientMsgId: 'ben-fuzz-101', type: 'text', text: 'keep me too' })).body;
    const ids = [conversation.id, 'cvnot-a-conversation', '..', '%00', 'x'.repeat(300)];
    const messageIds = [sent.id, 'msgnot-a-message', '..', '%2F'];
    const bodies = [undefined, null, 7, 'text', [], {}, { text: 5 }, { text: '' }, { text: 'x'.repeat(3000) }, { text: 'ok', extra: 1 }, { from: conversation.id, messageIds: [sent.id], to: [], mode: 'single', clientMsgId: 'fuzz-fwd-01' }, { from: conversation.id, messageIds: [sent.id], to: [conversation.id], mode: 'sideways', clientMsgId: 'fuzz-fwd-02' }];
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    for (let i = 0; i < 120; i++) {
      const c = pick(ids);
      const m = pick(messageIds);
      const [method, path] = pick([
        ['POST', `/conversations/${c}/messages/${m}/recall`],
        ['PATCH', `/conversations/${c}/messages/${m}`],
        ['GET', `/conversations/${c}/messages/${m}/readers`],
        ['POST', `/conversations/${c}/typing`],
        ['POST', '/messages/forward'],
      ] as const);
      const body = method === 'GET' ? undefined : pick(bodies);
      const res = await api(method, path, ann.accessToken, body);
      expect(res.status, `#${i} ${method} ${path}`).not.toBe(500);
      if (res.status >= 400) expect(res.body?.error?.code ?? 'NOT_FOUND').toMatch(/^[A-Z_]+$/);
    }
    const history = (await api('GET', `/conversations/${conversation.id}/messages`, ben.accessToken)).body as { id: string; text?: string; editedAt?: number; recalled?: unknown }[];
    expect(history).toEqual([expect.objectContaining({ id: sent.id, text: 'keep me too' })]);
    expect(history[0]!.editedAt ?? history[0]!.recalled).toBeUndefined();
  });

  it('reads the recall window from IM_RECALL_WINDOW_S and the cap on sends in flight from IM_MAX_SENDS_IN_FLIGHT', () => {
    expect(imConfigFromEnv({})).toEqual({});
    expect(imConfigFromEnv({ IM_RECALL_WINDOW_S: '300' })).toEqual({ recallWindowMs: 300_000 });
    expect(() => imConfigFromEnv({ IM_RECALL_WINDOW_S: 'two minutes' })).toThrow(/IM_RECALL_WINDOW_S/);
    expect(imConfigFromEnv({ IM_MAX_SENDS_IN_FLIGHT: '500', IM_RECALL_WINDOW_S: '60' })).toEqual({ maxSendsInFlight: 500, recallWindowMs: 60_000 });
    for (const bad of ['0', '1.5', 'many']) expect(() => imConfigFromEnv({ IM_MAX_SENDS_IN_FLIGHT: bad })).toThrow(/IM_MAX_SENDS_IN_FLIGHT/);
  });
});
