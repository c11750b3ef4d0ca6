/**
 * Calls through a whole server, on real sockets and real WebRTC peers: the
 * callee's two devices ring, one accepts and the other stops ringing, the
 * two people join the call's private room signed in and media flows both
 * ways; a third account (and an anonymous socket) cannot join it; hang-up
 * closes the room and leaves the call record in the chat. Fuzzed REST input
 * gets coded refusals only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '@muster/kit/testing';
import { NodePeer } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { ack, imPeople, eventsOf as of } from './testing/people.ts';

describe('calls from a chat, end to end', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const peers: NodePeer[] = [];

  const { api, signup, login, befriend, device, closeAll } = imPeople(() => server);
  const peer = (accessToken?: string) => {
    const p = new NodePeer(server.url, accessToken ? { accessToken } : {});
    peers.push(p);
    return p;
  };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const p of peers) await p.close().catch(() => undefined);
    await closeAll();
  });

  it('rings both devices; one accepts; media flows in the private room; a third person cannot join; hang-up records it', async () => {
    const ann = await signup('+8613900000401', 'Ann');
    const ben = await signup('+8613900000402', 'Ben');
    const eve = await signup('+8613900000403', 'Eve');
    const benPhone = await login('+8613900000402');
    await befriend(ann, ben);
    const chat = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    const [annLaptop, benLaptop, benMobile, eveLaptop] = [await device(ann.accessToken), await device(ben.accessToken), await device(benPhone.accessToken), await device(eve.accessToken)];

    const started = await api('POST', '/calls', ann.accessToken, { conversationId: chat.id, media: 'video' });
    expect(started.status).toBe(201);
    const call = started.body;
    expect(call).toMatchObject({ state: 'ringing', calleeId: ben.user.id, caller: { nickname: 'Ann' } });
    await waitUntil(() => of(benLaptop, 'im.call.ring').length === 1 && of(benMobile, 'im.call.ring').length === 1, 5_000, 'both of Ben’s devices ring');
    expect(of(benMobile, 'im.call.ring')[0]).toMatchObject({ callId: call.id, media: 'video', roomId: call.roomId, caller: { id: ann.user.id, nickname: 'Ann' } });

    // The caller connects while it rings (so video is there the moment Ben answers).
    const annPeer = peer(ann.accessToken);
    await annPeer.join(call.roomId, 'Ann');
    // Nobody else gets in: not Eve signed in, not an anonymous link joiner.
    const refused = async (p: NodePeer) => p.room.connect(call.roomId, 'Mallory').then(() => 'joined', (e: { code?: string }) => e.code);
    expect(await refused(peer(eve.accessToken))).toBe('NOT_FOUND');
    expect(await refused(peer())).toBe('NOT_FOUND');

    const accepted = await api('POST', `/calls/${call.id}/accept`, benPhone.accessToken);
    expect(accepted.body).toMatchObject({ state: 'connected' });
    await waitUntil(() => of(annLaptop, 'im.call.accepted').length === 1 && of(benLaptop, 'im.call.stop').length === 1, 5_000, 'Ann told, Ben’s laptop stops ringing');
    expect(of(benLaptop, 'im.call.stop')[0]).toEqual({ callId: call.id, reason: 'answered-elsewhere' });
    expect((await api('POST', `/calls/${call.id}/accept`, ben.accessToken)).body.error.code).toBe('CALL_STATE');

    const benPeer = peer(benPhone.accessToken);
    await benPeer.join(call.roomId, 'Ben');
    await waitUntil(async () => {
      const [a, b] = [await annPeer.inboundPackets(), await benPeer.inboundPackets()];
      return a.framesDecoded > 0 && b.framesDecoded > 0 && a.audio > 0 && b.audio > 0;
    }, 20_000, 'video decoded and audio received both ways');
    expect(server.rooms.get(call.roomId)!.participants.size).toBe(2);

    const ended = await api('POST', `/calls/${call.id}/hangup`, ben.accessToken);
    expect(ended.body).toMatchObject({ state: 'ended', roomId: null });
    await waitUntil(() => annPeer.room.state === 'disconnected' && benPeer.room.state === 'disconnected', 5_000, 'the room closed for both');
    expect(server.rooms.get(call.roomId)).toBeUndefined();
    // The closed room's id admits nobody any more, not even its people.
    expect(await refused(peer(ann.accessToken))).not.toBe('joined');
    await waitUntil(() => of(annLaptop, 'im.call.ended').length === 1, 5_000, 'the end reaches Ann');
    const history = (await api('GET', `/conversations/${chat.id}/messages`, ben.accessToken)).body as { notice?: { kind: string; detail: Record<string, unknown> } }[];
    expect(history.filter((m) => m.notice?.kind === 'call').map((m) => m.notice!.detail)).toEqual([
      { callId: call.id, media: 'video', outcome: 'ended', calleeId: ben.user.id, durationMs: expect.any(Number) },
    ]);
    expect(eveLaptop.events.filter((e) => e.event.startsWith('im.call'))).toEqual([]);
  }, 60_000);

  it('fuzzes the calls routes: coded refusals only, and nobody rings', async () => {
    const rand = mulberry32(4_516);
    const ann = await signup('+8613900000411', 'Ann3');
    const ben = await signup('+8613900000412', 'Ben3');
    await befriend(ann, ben);
    const chat = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    const benLaptop = await device(ben.accessToken);
    const values = [null, true, -1, '', 'x'.repeat(5000), 'voice', 'cvnot-a-conversation', [], {}, ['u-nobody'], { deep: [1] }];
    const keys = ['conversationId', 'media', 'invitees', 'userIds', 'groupIds', '__proto__'];
    const paths = ['/calls', '/calls/canot-a-call-id-000000/accept', '/calls/../x/hangup', '/me/meetings/nope/invite'];
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    for (let i = 0; i < 120; i++) {
      const body: Record<string, unknown> = {};
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) body[pick(keys)] = pick(values);
      const raw = i % 7 === 0 ? '{"conversationId":' : body;
      const reply = await api('POST', pick(paths), ann.accessToken, raw, { raw: true });
      expect(reply.status, `#${i}`).toBeGreaterThanOrEqual(400);
      expect(reply.status, `#${i}`).toBeLessThan(500);
      expect(reply.body.error.code).toMatch(/^[A-Z_]+$/);
    }
    // The socket mirrors: the same refusals, coded.
    const annSocket = await device(ann.accessToken);
    const socketValues = [null, 1, '', 'cvnot-a-conversation', 'canot-a-call-id-000000', chat.id, 'video', [], {}];
    // 30: inside one connection's request burst (40), so every refusal is the handler's, not the rate limit's.
    for (let i = 0; i < 30; i++) {
      const payload: Record<string, unknown> = {};
      for (const key of ['conversationId', 'media', 'callId', 'invitees', 'v']) if (rand() < 0.5) payload[key] = pick(socketValues);
      if (payload.media === 'video' && payload.conversationId === chat.id && Object.keys(payload).length === 2) payload.extra = 1;
      const event = pick(['im.call.start', 'im.call.accept', 'im.call.decline', 'im.call.cancel', 'im.call.hangup', 'im.call.get']);
      const reply = (await annSocket.socket.timeout(10_000).emitWithAck(event, payload)) as { ok: boolean; error?: { code: string } };
      expect(reply.ok, `${event} ${JSON.stringify(payload)}`).toBe(false);
      expect(reply.error!.code).not.toBe('INTERNAL');
    }
    expect(benLaptop.events.filter((e) => e.event === 'im.call.ring')).toEqual([]);
    // Unsigned: UNAUTHORIZED.
    expect((await api('POST', '/calls', undefined, { conversationId: chat.id, media: 'voice' })).status).toBe(401);
    // And the route still works; the socket too: Ben answers there, Ann hangs up there.
    const call = (await api('POST', '/calls', ann.accessToken, { conversationId: chat.id, media: 'voice' })).body;
    expect(call.state).toBe('ringing');
    const annPhone = await device(ann.accessToken);
    expect(await ack(benLaptop, 'im.call.accept', { callId: call.id })).toMatchObject({ ok: true, data: { state: 'connected' } });
    expect(await ack(benLaptop, 'im.call.accept', { callId: call.id })).toMatchObject({ ok: false, error: { code: 'CALL_STATE' } });
    expect(await ack(annPhone, 'im.call.get', { callId: call.id })).toMatchObject({ ok: true, data: { state: 'connected' } });
    expect(await ack(annPhone, 'im.call.hangup', { callId: call.id })).toMatchObject({ ok: true, data: { state: 'ended' } });
    expect(await ack(annPhone, 'im.call.start', { conversationId: chat.id, media: 'video' })).toMatchObject({ ok: true, data: { state: 'ringing' } });
  });
});
