/**
 * The calls part of the client SDK against a fake transport: a ring shows,
 * the device that accepts keeps its call while the others stop ringing,
 * the caller's call follows accepted and ended, a reconnection asks the
 * server what is live, and end() cancels or hangs up as the state says.
 */
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@muster/kit/testing';
import type { CallView } from '../callProtocol.ts';
import { CallsClient } from './calls.ts';
import { FakeTransport } from './fakeTransport.ts';
import { ImClientError } from './transport.ts';

const caller = { id: 'u-ann-000', nickname: 'Ann', avatar: null };
const call = (over: Partial<CallView> = {}): CallView => ({
  id: 'ca-call-00000000000001',
  conversationId: 'cv-chat-0001',
  kind: 'direct',
  media: 'video',
  state: 'ringing',
  caller,
  calleeId: 'u-ben-000',
  roomId: 'call-room',
  link: null,
  createdAt: 1,
  ringsUntil: 45_001,
  answeredAt: null,
  endedAt: null,
  durationMs: null,
  endedBy: null,
  ...over,
});
const ring = { callId: call().id, conversationId: 'cv-chat-0001', kind: 'direct' as const, media: 'video' as const, caller, roomId: 'call-room', link: null, ringsUntil: 45_001 };

describe('CallsClient', () => {
  it('rings; the device that accepts keeps the call, another device of the same person stops ringing', async () => {
    const t = new FakeTransport().route('GET', '/calls', () => []).route('POST', '/calls/:id/accept', () => call({ state: 'connected', answeredAt: 5 }));
    const phone = new CallsClient(t, () => 'u-ben-000');
    const laptop = new CallsClient(t, () => 'u-ben-000');
    await phone.start();
    await laptop.start();
    t.fire('im.call.ring', ring);
    t.fire('im.call.ring', ring); // a repeat shows once
    expect(phone.snapshot.incoming).toEqual([ring]);
    const release = t.hold('POST /calls/ca-call-00000000000001/accept');
    const accepting = phone.accept(ring.callId);
    // The server's events may arrive before the answer: the accepting device ignores "answered elsewhere".
    t.fire('im.call.accepted', { callId: ring.callId, roomId: 'call-room', answeredAt: 5 });
    t.fire('im.call.stop', { callId: ring.callId, reason: 'answered-elsewhere' });
    expect(laptop.snapshot.incoming).toEqual([]);
    expect(phone.snapshot.incoming).toEqual([ring]);
    release();
    await accepting;
    expect(phone.snapshot).toMatchObject({ incoming: [], current: { id: ring.callId, state: 'connected' } });
    expect(laptop.snapshot.current).toBeNull();
    t.fire('im.call.ended', call({ state: 'ended', durationMs: 1_000 }));
    expect(phone.snapshot).toMatchObject({ current: null, ended: { state: 'ended', durationMs: 1_000 } });
    phone.dismissEnded();
    expect(phone.snapshot.ended).toBeNull();
  });

  it('an accept refused UNAVAILABLE (the server holding the call did not answer) keeps the ring, to try again; another refusal drops it', async () => {
    let refusal: ImClientError | null = new ImClientError('UNAVAILABLE', 'the server holding this call did not answer', 503);
    const t = new FakeTransport().route('GET', '/calls', () => []).route('POST', '/calls/:id/accept', () => {
      if (refusal) throw refusal;
      return call({ state: 'connected', answeredAt: 5 });
    });
    const phone = new CallsClient(t, () => 'u-ben-000');
    await phone.start();
    t.fire('im.call.ring', ring);
    await expect(phone.accept(ring.callId)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(phone.snapshot.incoming).toEqual([ring]);
    refusal = null;
    expect(await phone.accept(ring.callId)).toMatchObject({ state: 'connected' });
    expect(phone.snapshot).toMatchObject({ incoming: [], current: { id: ring.callId, state: 'connected' } });
    t.fire('im.call.ring', { ...ring, callId: 'ca-call-00000000000002' });
    refusal = new ImClientError('CALL_STATE', 'the call is cancelled', 409);
    await expect(phone.accept('ca-call-00000000000002')).rejects.toMatchObject({ code: 'CALL_STATE' });
    expect(phone.snapshot.incoming).toEqual([]);
  });

  it('the caller: calling, accepted, cancel or hang up as the state says; busy goes straight to ended', async () => {
    const t = new FakeTransport()
      .route('GET', '/calls', () => [])
      .route('POST', '/calls', () => call())
      .route('POST', '/calls/:id/cancel', () => call({ state: 'cancelled' }))
      .route('POST', '/calls/:id/hangup', () => call({ state: 'ended', durationMs: 9 }));
    const ann = new CallsClient(t, () => 'u-ann-000');
    await ann.start();
    await ann.call('cv-chat-0001', 'video');
    expect(ann.snapshot.current?.state).toBe('ringing');
    await ann.end();
    expect(t.calls.at(-1)).toMatchObject({ method: 'POST', path: `/calls/${ring.callId}/cancel` });
    expect(ann.snapshot).toMatchObject({ current: null, ended: { state: 'cancelled' } });
    await ann.call('cv-chat-0001', 'video');
    t.fire('im.call.accepted', { callId: ring.callId, roomId: 'call-room', answeredAt: 7 });
    expect(ann.snapshot.current).toMatchObject({ state: 'connected', answeredAt: 7 });
    await ann.end();
    expect(t.calls.at(-1)).toMatchObject({ path: `/calls/${ring.callId}/hangup` });
    t.route('POST', '/calls', () => call({ state: 'busy', roomId: null }));
    await ann.call('cv-chat-0001', 'voice');
    expect(ann.snapshot).toMatchObject({ current: null, ended: { state: 'busy' } });
  });

  it('after a reconnection, asks which calls are live', async () => {
    let live: CallView[] = [];
    const t = new FakeTransport().route('GET', '/calls', () => live);
    const ben = new CallsClient(t, () => 'u-ben-000');
    await ben.start();
    live = [call()];
    t.reconnect();
    await waitUntil(() => ben.snapshot.incoming.length === 1, 2_000, 'the ringing call');
    expect(ben.snapshot.incoming.map((c) => c.callId)).toEqual([ring.callId]);
    live = [call({ state: 'connected' })];
    t.reconnect();
    await waitUntil(() => ben.snapshot.current !== null, 2_000, 'the connected call');
    expect(ben.snapshot).toMatchObject({ incoming: [], current: { state: 'connected' } });
    ben.stop();
    expect(t.listening('im.call.ring')).toBe(0);
  });

  it('keeps an answer or an end heard before the answer to its own call request', async () => {
    const t = new FakeTransport().route('GET', '/calls', () => []).route('POST', '/calls', () => call());
    const ann = new CallsClient(t, () => 'u-ann-000');
    await ann.start();
    // The callee answers at once: "accepted" arrives before the reply to POST /calls.
    let release = t.hold('POST /calls');
    let placing = ann.call('cv-chat-0001', 'video');
    t.fire('im.call.accepted', { callId: call().id, roomId: 'call-room', answeredAt: 7 });
    release();
    await placing;
    expect(ann.snapshot.current).toMatchObject({ id: call().id, state: 'connected', answeredAt: 7 });
    // And declined at once: the call ends rather than rings forever.
    t.fire('im.call.ended', call({ state: 'declined' }));
    release = t.hold('POST /calls');
    placing = ann.call('cv-chat-0001', 'video');
    t.fire('im.call.ended', call({ state: 'declined' }));
    release();
    await placing;
    expect(ann.snapshot).toMatchObject({ current: null, ended: { state: 'declined' } });
  });
});
