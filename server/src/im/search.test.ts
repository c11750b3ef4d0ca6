/**
 * Search in messages through a whole server: the REST route and the
 * `im.search` socket request answer alike (Chinese words, the person's own
 * conversations only), and malformed socket requests get coded refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '@muster/kit/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { ack, imPeople } from './testing/people.ts';

describe('message search over REST and the socket', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;

  const { api, signup, befriend, device, closeAll } = imPeople(() => server);

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(closeAll);

  it('finds 会议 over REST and the socket alike, in your conversations only', async () => {
    const ann = await signup('+8613900000481', 'Ann');
    const ben = await signup('+8613900000482', 'Ben');
    const eve = await signup('+8613900000483', 'Eve');
    await befriend(ann, ben);
    const conversation = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    await api('POST', `/conversations/${conversation.id}/messages`, ann.accessToken, { clientMsgId: 'search-sock-1', type: 'text', text: '明天的会议改到三点' });
    await api('POST', `/conversations/${conversation.id}/messages`, ben.accessToken, { clientMsgId: 'search-sock-2', type: 'text', text: 'OK, see you at the meeting' });
    const rest = await waitUntil(async () => {
      const res = await api('GET', `/search/messages?q=${encodeURIComponent('会议')}`, ben.accessToken);
      return res.status === 200 && res.body.results.length === 1 ? res.body : null;
    }, 10_000, 'the message indexed');
    const [benSocket, eveSocket] = [await device(ben.accessToken), await device(eve.accessToken)];
    expect(await ack(benSocket, 'im.search', { q: '会议' })).toEqual({ ok: true, data: rest });
    expect((await ack(benSocket, 'im.search', { q: 'MEETING', conversationId: conversation.id, limit: 5 })).data.results.map((r: { seq: number }) => r.seq)).toEqual([2]);
    expect(await ack(eveSocket, 'im.search', { q: '会议' })).toEqual({ ok: true, data: { results: [], next: null } });
    expect(await ack(eveSocket, 'im.search', { q: '会议', conversationId: conversation.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await ack(benSocket, 'im.search', { q: '' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ack(benSocket, 'im.search', { q: '会议', limit: '5' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ack(benSocket, 'im.search', { q: '会议', v: 2 })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_VERSION' } });
  });

  it('fuzzes im.search: coded refusals only, and the connection keeps working', async () => {
    const rand = mulberry32(16_0481);
    const ann = await signup('+8613900000484', 'Ann2');
    const socket = await device(ann.accessToken);
    const values = [null, true, -1, 0, 1.5, 1e308, '', '会议', 'x'.repeat(9000), 'cvnot-a-conversation', 'cv' + 'A'.repeat(20), 'WzEsImN2eCIsMl0', [], {}, { deep: [1] }];
    const keys = ['q', 'conversationId', 'beforeSeq', 'before', 'limit', 'v', 'extra', '__proto__'];
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    for (let i = 0; i < 30; i++) {
      const payload: Record<string, unknown> = {};
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) payload[pick(keys)] = pick(values);
      const reply = await ack(socket, 'im.search', i % 10 === 0 ? pick(values) : payload);
      if (!reply.ok) expect(reply.error!.code, `#${i} ${JSON.stringify(payload).slice(0, 200)}`).toMatch(/^(BAD_REQUEST|NOT_FOUND|PAYLOAD_TOO_LARGE|UNSUPPORTED_VERSION)$/);
    }
    expect(socket.socket.connected).toBe(true);
    expect(await ack(socket, 'im.search', { q: 'still here' })).toEqual({ ok: true, data: { results: [], next: null } });
  });
});
