/**
 * Through a whole server: GET /api/v1/sync as its contract says (the current
 * state, then what changed, a long-poll woken by a message), bad input
 * refused with codes; conversation settings and drafts synced to a person's
 * own devices; IM privacy settings; presence from /account sockets to
 * contacts; and the same on the socket (im.sync, im.settings, im.draft,
 * im.presence), fuzzed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionReply } from '@muster/accounts';
import { mulberry32 } from '@muster/kit/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { ack, imPeople } from './testing/people.ts';

describe('sync, conversation settings and presence over a server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let phones = 0;

  const people = imPeople(() => server);
  const { api, login, befriend, device, closeAll } = people;
  async function signup(nickname: string): Promise<SessionReply & { phone: string }> {
    const phone = `+86139000005${String(phones++).padStart(2, '0')}`;
    return Object.assign(await people.signup(phone, nickname), { phone });
  }

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(closeAll);

  it('GET /sync: the current state, then a long-poll answered by the next message, as the contract says', async () => {
    const [ann, ben] = [await signup('Ann'), await signup('Ben')];
    await befriend(ann, ben);
    const c = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    await api('POST', `/conversations/${c.id}/messages`, ben.accessToken, { clientMsgId: 'ben-sync-001', type: 'text', text: 'earlier' });

    const state = await api('GET', '/sync', ann.accessToken);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ full: true, messages: [], more: false });
    expect(state.body.conversations.map((v: { id: string; unread: number }) => [v.id, v.unread])).toEqual([[c.id, 1]]);

    const polling = api('GET', `/sync?since=${state.body.next}&timeout=25`, ann.accessToken);
    const sent = await api('POST', `/conversations/${c.id}/messages`, ben.accessToken, { clientMsgId: 'ben-sync-002', type: 'text', text: '现在' });
    const woken = await polling;
    expect(woken.status).toBe(200);
    expect(woken.body.messages).toEqual([{ id: sent.body.id, conversationId: c.id, seq: 2, senderId: ben.user.id, clientMsgId: 'ben-sync-002', type: 'text', text: '现在', sentAt: sent.body.sentAt }]);
    expect(woken.body.next).not.toBe(state.body.next);

    // Nothing new and no wait: the same token back.
    const quiet = await api('GET', `/sync?since=${woken.body.next}&timeout=0`, ann.accessToken);
    expect(quiet.body).toMatchObject({ next: woken.body.next, messages: [], receipts: [], conversations: [] });
  });

  it('a long-poll whose client hangs up stops waiting', async () => {
    const ann = await signup('Ann7');
    const next = (await api('GET', '/sync', ann.accessToken)).body.next as string;
    const hangUp = new AbortController();
    const polling = fetch(`${server.url}/api/v1/sync?since=${next}&timeout=30`, { headers: { authorization: `Bearer ${ann.accessToken}` }, signal: hangUp.signal }).catch((e: Error) => e.name);
    await waitUntil(() => server.im.sync.waiting === 1, 5_000, 'the long-poll waiting');
    hangUp.abort();
    expect(await polling).toBe('AbortError');
    await waitUntil(() => server.im.sync.waiting === 0, 5_000, 'the wait given up');
  });

  it('GET /sync refuses bad input with codes, and a token that is not yours', async () => {
    const [ann, ben] = [await signup('Ann2'), await signup('Ben2')];
    const mine = (await api('GET', '/sync', ann.accessToken)).body.next as string;
    for (const query of ['timeout=31', 'timeout=-1', 'timeout=abc', 'timeout=1.5', 'since=nonsense', `since=${'x'.repeat(300)}`, 'since=sy&timeout=1', 'limit=5', `since=${mine}&since=${mine}`]) {
      const reply = await api('GET', `/sync?${query}`, ann.accessToken);
      expect([query, reply.status, reply.body.error.code]).toEqual([query, 400, 'BAD_REQUEST']);
    }
    expect((await api('GET', `/sync?since=${mine}&timeout=0`, ben.accessToken)).body.error.code).toBe('SYNC_TOKEN_EXPIRED');
    expect((await api('GET', `/sync?since=${mine}&timeout=0`, undefined)).status).toBe(401);
    expect((await api('GET', `/sync?since=${mine}&timeout=0`, ann.accessToken)).status).toBe(200);
  });

  it('conversation settings and drafts reach the person’s own devices and no one else; sync carries them too', async () => {
    const [ann, ben] = [await signup('Ann3'), await signup('Ben3')];
    await befriend(ann, ben);
    const annPhone = await login(ann.phone);
    const c = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    const [laptop, phone, benLaptop] = [await device(ann.accessToken), await device(annPhone.accessToken), await device(ben.accessToken)];
    const start = (await api('GET', '/sync', annPhone.accessToken)).body.next as string;

    expect((await api('PATCH', `/conversations/${c.id}/settings`, ann.accessToken, { pinned: true, muted: true })).body).toMatchObject({ pinned: true, muted: true, hidden: false });
    expect((await api('PUT', `/conversations/${c.id}/draft`, ann.accessToken, { text: '写到一半' })).body).toMatchObject({ draft: '写到一半' });
    const settingsOn = (d: { events: { event: string; payload: any }[] }) => d.events.filter((e) => e.event === 'im.conversation').map((e) => e.payload.settings);
    await waitUntil(() => settingsOn(phone).length === 2 && settingsOn(laptop).length === 2, 5_000, 'the settings on both of Ann’s devices');
    expect(settingsOn(phone)[1]).toMatchObject({ pinned: true, muted: true, draft: '写到一半' });
    // Ben's own view is untouched.
    expect((await api('GET', '/conversations', ben.accessToken)).body[0]).toMatchObject({ pinned: false, muted: false });
    expect(settingsOn(benLaptop)).toEqual([]);
    // The sync-only client sees the same.
    const synced = await api('GET', `/sync?since=${start}&timeout=0`, annPhone.accessToken);
    expect(synced.body.conversations[0]).toMatchObject({ id: c.id, pinned: true, muted: true, draft: '写到一半' });

    // Over the socket too, with coded refusals.
    expect(await ack(phone, 'im.draft', { conversationId: c.id, text: '' })).toMatchObject({ ok: true, data: { draft: null } });
    expect(await ack(phone, 'im.settings', { conversationId: c.id, hidden: true })).toMatchObject({ ok: true, data: { hidden: true } });
    expect((await api('GET', '/conversations', ann.accessToken)).body).toEqual([]);
    expect((await api('GET', '/conversations?hidden=1', ann.accessToken)).body.map((v: { id: string }) => v.id)).toEqual([c.id]);
    expect(await ack(phone, 'im.draft', { conversationId: c.id, text: '长'.repeat(700) })).toMatchObject({ ok: false, error: { code: 'TEXT_TOO_LONG' } });
    expect(await ack(benLaptop, 'im.settings', { conversationId: 'cvnot-a-conversation', pinned: true })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await ack(phone, 'im.settings', { conversationId: c.id })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const again = await ack(phone, 'im.sync', { since: synced.body.next });
    expect(again).toMatchObject({ ok: true, data: { conversations: [{ id: c.id, hidden: true }] } });

    // REST refusals: not a member, bad bodies, nothing stored.
    const eve = await signup('Eve3');
    expect((await api('PATCH', `/conversations/${c.id}/settings`, eve.accessToken, { pinned: true })).status).toBe(404);
    expect((await api('PUT', `/conversations/${c.id}/draft`, eve.accessToken, { text: 'x' })).status).toBe(404);
    for (const body of [{}, { pinned: 'yes' }, { pinned: true, colour: 'red' }, [], null]) {
      expect((await api('PATCH', `/conversations/${c.id}/settings`, ann.accessToken, body)).body.error.code).toBe('BAD_REQUEST');
    }
    for (const body of [{}, { text: 7 }, { text: 'x'.repeat(9000) }]) expect((await api('PUT', `/conversations/${c.id}/draft`, ann.accessToken, body)).body.error.code).toBe('BAD_REQUEST');
    expect((await api('GET', `/conversations/${c.id}/settings`, ann.accessToken)).body).toMatchObject({ pinned: true, muted: true, hidden: true, draft: null });
  });

  it('IM privacy settings: a stranger opens a conversation only with "messages from non-friends" on', async () => {
    const [ann, stranger] = [await signup('Ann4'), await signup('Stranger4')];
    expect((await api('GET', '/me/im-settings', ann.accessToken)).body).toEqual({ hideLastSeen: false, acceptFromNonFriends: false });
    expect((await api('POST', '/conversations', stranger.accessToken, { userId: ann.user.id })).status).toBe(404);
    expect((await api('PATCH', '/me/im-settings', ann.accessToken, { acceptFromNonFriends: true })).body).toEqual({ hideLastSeen: false, acceptFromNonFriends: true });
    const opened = await api('POST', '/conversations', stranger.accessToken, { userId: ann.user.id });
    expect(opened.status).toBe(200);
    expect((await api('POST', `/conversations/${opened.body.id}/messages`, stranger.accessToken, { clientMsgId: 'stranger-0001', type: 'text', text: 'hello' })).status).toBe(201);
    for (const body of [{ acceptFromNonFriends: 'yes' }, { other: true }, []]) expect((await api('PATCH', '/me/im-settings', ann.accessToken, body)).status).toBe(400);
    expect((await api('GET', '/me/im-settings', undefined)).status).toBe(401);
  });

  it('presence: a contact’s sockets make them online, the last one leaving offline with a time; others see nothing', async () => {
    const [ann, ben, eve] = [await signup('Ann5'), await signup('Ben5'), await signup('Eve5')];
    await befriend(ann, ben);
    const annDevice = await device(ann.accessToken);
    const eveDevice = await device(eve.accessToken);
    const presence = (d: { events: { event: string; payload: any }[] }) => d.events.filter((e) => e.event === 'im.presence').map((e) => e.payload);
    const benDevice = await device(ben.accessToken);
    await waitUntil(() => presence(annDevice).some((p) => p.userId === ben.user.id && p.online), 5_000, 'Ben online on Ann’s device');
    expect((await api('GET', `/presence?ids=${ben.user.id},${eve.user.id}`, ann.accessToken)).body).toEqual([{ userId: ben.user.id, online: true, lastSeenAt: null }]);
    expect(await ack(eveDevice, 'im.presence', { ids: [ben.user.id] })).toEqual({ ok: true, data: [] });
    benDevice.socket.close();
    await waitUntil(() => presence(annDevice).some((p) => p.userId === ben.user.id && !p.online), 5_000, 'Ben offline on Ann’s device');
    const [offline] = (await api('GET', `/presence?ids=${ben.user.id}`, ann.accessToken)).body;
    expect(offline).toMatchObject({ userId: ben.user.id, online: false, lastSeenAt: expect.any(Number) });
    expect(presence(eveDevice)).toEqual([]);
    for (const query of ['', '?ids=', '?ids=not%20an%20id', `?ids=${Array.from({ length: 201 }, (_, i) => `user${i}xx`).join(',')}`, `?ids=${ben.user.id}&x=1`]) {
      expect((await api('GET', `/presence${query}`, ann.accessToken)).status).toBe(400);
    }
  });

  it('fuzzes im.sync, im.settings, im.draft and im.presence: coded refusals only, the connection keeps working', async () => {
    const rand = mulberry32(16_0010);
    const [ann, ben] = [await signup('Ann6'), await signup('Ben6')];
    await befriend(ann, ben);
    const c = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    const token = (await api('GET', '/sync', ben.accessToken)).body.next as string;
    const connections = [];
    for (let i = 0; i < 6; i++) connections.push(await device(ann.accessToken));
    const events = ['im.sync', 'im.settings', 'im.draft', 'im.presence'];
    const values = [null, true, -1, 0, 1e308, '', 'x'.repeat(9000), c.id, token, 'syAAAAAAAAAAAAAAAAAAAAAA.1', ben.user.id, [], [ben.user.id], {}, { deep: [1] }];
    const keys = ['conversationId', 'since', 'text', 'ids', 'pinned', 'muted', 'hidden', 'markedUnread', 'v', '__proto__'];
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    const codes = new Set<string>();
    for (let i = 0; i < 180; i++) {
      const payload: Record<string, unknown> = {};
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) payload[pick(keys)] = pick(values);
      const reply = (await connections[i % connections.length]!.socket.timeout(10_000).emitWithAck(pick(events), i % 9 === 0 ? pick(values) : payload)) as { ok: boolean; error?: { code: string } };
      if (!reply.ok) {
        expect(reply.error!.code, `#${i}`).not.toBe('INTERNAL');
        codes.add(reply.error!.code);
      }
    }
    expect(codes).toContain('BAD_REQUEST');
    expect(connections.every((d) => d.socket.connected)).toBe(true);
    // Ben's token is not Ann's to use.
    expect(await ack(connections[0]!, 'im.sync', { since: token })).toMatchObject({ ok: false, error: { code: 'SYNC_TOKEN_EXPIRED' } });
    expect(await ack(connections[0]!, 'im.sync', {})).toMatchObject({ ok: true, data: { full: true } });
  });
});
