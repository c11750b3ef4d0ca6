import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../testing/index.ts';
import { MusterRequestError, Room } from '@muster/signaling/client';

/** The SDK's side of host controls: the lobby wait inside connect(), notices, bans. No media needed. */
describe('client SDK: lobby, notices and bans', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let rooms: Room[] = [];
  const client = () => {
    const r = new Room({ url: server.url, requestTimeoutMs: 5_000 });
    rooms.push(r);
    return r;
  };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    for (const r of rooms) await r.leave().catch(() => undefined);
    rooms = [];
  });
  afterAll(async () => {
    await server?.close();
  });

  it('connect() waits in the lobby and completes once a host admits; a denied one fails with DENIED', async () => {
    const host = client();
    await host.connect('sdk-lobby', 'Hana');
    expect(host.localParticipant!.role).toBe('host');
    expect(host.can('moderate')).toBe(true);
    await host.request('room.update', { lobby: true });

    const guest = client();
    const waiting = guest.waitFor('lobbyWaiting');
    const announced = host.waitFor('lobbyUpdated', 5_000, (l) => l.length === 1);
    const connecting = guest.connect('sdk-lobby', 'Wes');
    connecting.catch(() => undefined); // awaited below; a failing test must not leave it unhandled
    await waiting;
    expect(guest.state).toBe('waiting');
    const [lobby] = await announced;
    expect(host.moderator!.lobby).toEqual(lobby);
    const joined = host.waitFor('participantConnected');
    await host.request('lobby.admit', { lobbyId: lobby[0]!.lobbyId });
    await connecting;
    expect(guest.state).toBe('connected');
    expect(guest.localParticipant!.role).toBe('participant');
    expect(guest.can('moderate')).toBe(false);
    expect((await joined)[0].name).toBe('Wes');

    const turnedAway = client();
    const announcedAgain = host.waitFor('lobbyUpdated', 5_000, (l) => l.length === 1);
    const tried = turnedAway.connect('sdk-lobby', 'Dee');
    tried.catch(() => undefined); // asserted below
    const [again] = await announcedAgain;
    await host.request('lobby.deny', { lobbyId: again[0]!.lobbyId });
    await expect(tried).rejects.toMatchObject({ code: 'DENIED' } satisfies Partial<MusterRequestError>);
  });

  it('a banned participant is disconnected with the reason and cannot come back with its token', async () => {
    const host = client();
    await host.connect('sdk-ban', 'Hana');
    const guest = client();
    await guest.connect('sdk-ban', 'Bart');
    const token = guest.meetingToken!;
    expect(token.split('.')).toHaveLength(3);
    const gone = guest.waitFor('disconnected');
    await host.request('participant.remove', { participantId: guest.participantId!, ban: true });
    expect((await gone)[0]).toBe('banned');
    expect(guest.state).toBe('disconnected');

    const back = client();
    await expect(back.connect('sdk-ban', 'Bart', { token })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a host mute arrives as a notice and updates the local participant; chat history comes with the join', async () => {
    const host = client();
    await host.connect('sdk-notice', 'Hana');
    const guest = client();
    await guest.connect('sdk-notice', 'Pat');
    await host.request('chat.send', { text: 'welcome' });
    const notice = guest.waitFor('controlNotice');
    const updated = guest.waitFor('localParticipantUpdated', 5_000, (p) => p.blocked.includes('audio'));
    await host.request('room.muteAll', { kind: 'audio', allowUnmute: false });
    expect((await notice)[0]).toEqual({ type: 'muted', kind: 'audio', by: 'Hana', mayUnmute: false });
    await updated;
    await expect(guest.setMuted('microphone', false)).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const late = client();
    await late.connect('sdk-notice', 'Lou');
    expect(late.chat.map((m) => m.text)).toEqual(['welcome']);
  });
});
