/**
 * Meetings with accounts: a signed-in person joins under their profile's
 * name and avatar, owns the meetings they open or schedule and hosts them
 * from any device without a host key; "my meetings" lists, renames and
 * forgets them, and only theirs; link joiners work as before and show as
 * guests; an organisation may keep meetings and boards to signed-in people.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogCodeChannel, SessionReply } from '@muster/accounts';
import { ProtocolClient } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;

describe('meetings with accounts', () => {
  let server: Server;
  const clients: ProtocolClient[] = [];
  let ada: SessionReply;
  let bob: SessionReply;

  const api = (method: string, url: string, token: string | undefined, body?: unknown) =>
    fetch(`${server.url}/api/v1${url}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function signup(phone: string, nickname: string): Promise<SessionReply> {
    await api('POST', '/auth/codes', undefined, { phone, purpose: 'signup' });
    const code = (server.accounts.channel as LogCodeChannel).pending().find((p) => p.phone === phone)!.code;
    const res = await api('POST', '/auth/signup', undefined, { phone, code, password: 'lichen-summit-81', nickname });
    expect(res.status).toBe(201);
    return (await res.json()) as SessionReply;
  }
  async function login(phone: string): Promise<SessionReply> {
    return (await (await api('POST', '/auth/login', undefined, { phone, password: 'lichen-summit-81' })).json()) as SessionReply;
  }
  const track = (c: ProtocolClient) => (clients.push(c), c);

  beforeAll(async () => {
    server = await startTestServer();
    ada = await signup('+8613900000201', 'Ada Lovelace');
    bob = await signup('+8613900000202', 'Bob');
  });
  afterAll(async () => {
    for (const c of clients) c.socket.close();
    await server?.close();
  });

  it('joins under the profile’s name; the opener owns the meeting and hosts it again from another device, without a key', async () => {
    const first = track(await ProtocolClient.join(server.url, 'owned-room', 'Typed Name', {}, ada.accessToken));
    expect(first.joined!.self).toMatchObject({ name: 'Ada Lovelace', role: 'host', userId: ada.user.id, guest: false });
    const linkJoiner = track(await ProtocolClient.join(server.url, 'owned-room', 'Visitor'));
    expect(linkJoiner.joined!.self).toMatchObject({ name: 'Visitor', role: 'participant', userId: null, guest: true });
    first.socket.close();
    await waitUntil(() => (server.rooms.get('owned-room')?.participants.size ?? 0) <= 2, 10_000, 'the first device to drop');
    // Another device of Ada's, while a link joiner is in the room: host again, by ownership.
    const phone = await login('+8613900000201');
    const again = track(await ProtocolClient.join(server.url, 'owned-room', 'whatever', {}, phone.accessToken));
    expect(again.joined!.self).toMatchObject({ name: 'Ada Lovelace', role: 'host' });
    const bobIn = track(await ProtocolClient.join(server.url, 'owned-room', 'Bob?', {}, bob.accessToken));
    expect(bobIn.joined!.self).toMatchObject({ name: 'Bob', role: 'participant', userId: bob.user.id });
  });

  it('my meetings: schedule, list, rename (live too), forget; another person’s meeting is NOT_FOUND', async () => {
    const startsAt = Date.now() + 24 * 3600_000;
    const created = await api('POST', '/me/meetings', ada.accessToken, { topic: 'Planning', startsAt, passcode: '2468', lobby: true });
    expect(created.status).toBe(201);
    const planned = (await created.json()) as { id: string };
    expect(planned).toMatchObject({ topic: 'Planning', startsAt, hasPasscode: true, lobby: true, live: false });
    expect((await api('POST', '/me/meetings', ada.accessToken, { topic: '' })).status).toBe(400);
    expect((await api('POST', '/me/meetings', undefined, { topic: 'x' })).status).toBe(401);

    const mine = (await (await api('GET', '/me/meetings', ada.accessToken)).json()) as { scheduled: { id: string }[]; recent: { id: string; live: boolean }[] };
    expect(mine.scheduled.map((m) => m.id)).toEqual([planned.id]);
    expect(mine.recent).toContainEqual(expect.objectContaining({ id: 'owned-room', live: true }));
    const bobs = (await (await api('GET', '/me/meetings', bob.accessToken)).json()) as { scheduled: unknown[]; recent: unknown[] };
    expect([...bobs.scheduled, ...bobs.recent]).toEqual([]);

    // The owner needs neither the passcode nor the lobby; Bob needs the passcode.
    const owner = track(await ProtocolClient.join(server.url, planned.id, 'x', {}, ada.accessToken));
    expect(owner.joined!.self.role).toBe('host');
    const refused = await (await ProtocolClient.connect(server.url, undefined, bob.accessToken)).send('join', { room: planned.id, name: 'x' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'PASSCODE_REQUIRED' } });

    const renamed = await api('PATCH', `/me/meetings/${planned.id}`, ada.accessToken, { topic: 'Planning (moved)' });
    expect(await renamed.json()).toMatchObject({ topic: 'Planning (moved)', live: true });
    await waitUntil(() => owner.received('room.updated').some((r) => r.topic === 'Planning (moved)'), 5_000, 'the live topic to change');
    expect((await api('PATCH', `/me/meetings/${planned.id}`, bob.accessToken, { topic: 'mine now' })).status).toBe(404);
    expect((await api('DELETE', `/me/meetings/${planned.id}`, bob.accessToken)).status).toBe(404);
    expect((await api('PATCH', '/me/meetings/owned-room', ada.accessToken, { topic: 7 })).status).toBe(400);
    expect((await api('DELETE', `/me/meetings/${planned.id}`, ada.accessToken)).status).toBe(204);
    expect((await api('GET', `/me/meetings`, ada.accessToken)).status).toBe(200);
    expect(await server.rooms.meetings.get(planned.id)).toBeUndefined();
  });

  it('an organisation can keep meetings and standalone boards to signed-in people', async () => {
    await server.accounts.admin.updateSettings({ accountId: 'admin', sessionId: 's', role: 'admin' }, { anonymousJoins: false, boardsSignedInOnly: true });
    try {
      const anonymous = track(await ProtocolClient.connect(server.url));
      expect(await anonymous.send('join', { room: 'closed-room', name: 'Anon' })).toMatchObject({ ok: false, error: { code: 'SIGN_IN_REQUIRED' } });
      const member = track(await ProtocolClient.join(server.url, 'closed-room', 'x', {}, bob.accessToken));
      expect(member.joined!.self.name).toBe('Bob');

      const board = track(await ProtocolClient.connect(`${server.url}/board`));
      const reply = await board.socket.timeout(10_000).emitWithAck('board.join', { board: 'team-board', clientKey: 'k'.repeat(32), name: 'Anon' });
      expect(reply).toMatchObject({ ok: false, error: { code: 'SIGN_IN_REQUIRED' } });
      const signedIn = track(await ProtocolClient.connect(`${server.url}/board`, undefined, bob.accessToken));
      expect(await signedIn.socket.timeout(10_000).emitWithAck('board.join', { board: 'team-board', clientKey: 'k'.repeat(32), name: 'Bob' })).toMatchObject({ ok: true });
    } finally {
      await server.accounts.admin.updateSettings({ accountId: 'admin', sessionId: 's', role: 'admin' }, { anonymousJoins: true, boardsSignedInOnly: false });
    }
  });
});
