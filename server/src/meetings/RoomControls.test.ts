import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientRequest, ClientRequestName } from '@muster/signaling/protocol';
import { ProtocolClient } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { CONTROL_NAMES } from '@muster/signaling';

describe('host controls over the protocol', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let clients: ProtocolClient[] = [];
  let n = 0;
  /** A fresh meeting per test: the first joiner hosts it. */
  const meeting = () => `controls-${++n}`;
  const join = async (room: string, name: string, extra: Partial<ClientRequest<'join'>> = {}) => {
    const c = await ProtocolClient.join(server.url, room, name, extra);
    clients.push(c);
    return c;
  };
  const connect = async () => {
    const c = await ProtocolClient.connect(server.url);
    clients.push(c);
    return c;
  };
  /** The room's observable state, for "a refused control changes nothing". */
  const state = (room: string) => {
    const { participants, ...rest } = server.rooms.get(room)!.dump();
    return { ...rest, participants: participants.map(({ consumers: _c, connected: _x, ...p }) => p), audit: server.rooms.get(room)!.audit.entries.length };
  };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterEach(() => {
    for (const c of clients) c.close();
    clients = [];
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses every host control from a participant with FORBIDDEN and nothing changes; the host may do each, and each is audited', async () => {
    const room = meeting();
    const host = await join(room, 'Hana');
    const p = await join(room, 'Pat');
    const q = await join(room, 'Quin');
    expect(host.joined!.self.role).toBe('host');
    expect(p.joined!.self.role).toBe('participant');
    expect(host.joined!.moderator?.hostKey).toEqual(expect.any(String));
    expect(p.joined!.moderator).toBeNull();

    const controls: [ClientRequestName, Record<string, unknown>][] = [
      ['participant.mute', { participantId: q.id, kind: 'audio' }],
      ['participant.mute', { participantId: q.id, kind: 'video' }],
      ['participant.askUnmute', { participantId: q.id, kind: 'audio' }],
      ['participant.setVideoQuality', { participantId: q.id, quality: 'low' }],
      ['room.muteAll', { kind: 'audio', allowUnmute: false }],
      ['room.askUnmuteAll', { kind: 'audio' }],
      ['room.update', { topic: 'Quarterly review', locked: false, lobby: false, settings: { chat: 'everyone' } }],
      ['lobby.admit', { all: true }],
      ['lobby.deny', { all: true }],
      ['hands.lowerAll', {}],
      ['recording.set', { on: true }],
      ['participant.setRole', { participantId: q.id, role: 'co-host' }],
      ['participant.setRole', { participantId: q.id, role: 'participant' }],
      ['participant.remove', { participantId: q.id, ban: false }],
      ['room.end', {}],
    ];
    // Every host control of the protocol is in this list.
    const moderated = CONTROL_NAMES.filter((c) => !['hand.set', 'reaction.send', 'chat.send'].includes(c));
    expect(new Set(controls.map(([name]) => name))).toEqual(new Set(moderated));

    for (const [name, payload] of controls) {
      const before = state(room);
      const refused = await p.send(name, payload);
      expect(refused, `${name} from a participant`).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(state(room), `${name} refused changes nothing`).toEqual(before);

      const auditBefore = server.rooms.get(room)!.audit.entries.length;
      const allowed = await host.send(name, payload);
      expect(allowed, `${name} from the host`).toMatchObject({ ok: true });
      const entry = server.rooms.get(room)?.audit.entries[auditBefore] ?? null;
      if (name !== 'room.end') {
        expect(entry, `${name} audited`).toMatchObject({ action: name, actor: { type: 'participant', participantId: host.id, name: 'Hana', role: 'host' }, at: expect.any(Number) });
        if ('participantId' in payload) expect(entry!.target).toEqual({ participantId: q.id, name: 'Quin' });
      }
    }
    // What the target and the others saw.
    expect(q.received('control.notice')).toEqual(
      expect.arrayContaining([
        { type: 'muted', kind: 'audio', by: 'Hana', mayUnmute: true },
        { type: 'muted', kind: 'video', by: 'Hana', mayUnmute: true },
        { type: 'askUnmute', kind: 'audio', by: 'Hana' },
        { type: 'roleChanged', role: 'co-host', by: 'Hana' },
      ]),
    );
    expect(p.received('room.updated').some((r) => r.topic === 'Quarterly review')).toBe(true);
    expect(p.received('room.updated').some((r) => r.recording)).toBe(true);
    expect(q.received('room.closed')).toEqual([{ reason: 'removed' }]);
    expect(await p.waitFor('room.closed')).toEqual({ reason: 'ended' });
    expect(server.rooms.get(room)).toBeUndefined();
  });

  it('lets co-hosts moderate participants but not act on the host; only the host hands over the host role', async () => {
    const room = meeting();
    const host = await join(room, 'Hana');
    const co = await join(room, 'Cory');
    const p = await join(room, 'Pat');
    expect((await host.send('participant.setRole', { participantId: co.id, role: 'co-host' })).ok).toBe(true);
    const moderator = await co.waitFor('moderator.updated');
    expect(moderator).toMatchObject({ hostKey: null, participantInvite: expect.any(String), lobby: [] });

    expect(await co.send('participant.mute', { participantId: p.id, kind: 'audio' })).toMatchObject({ ok: true });
    expect(await co.send('participant.mute', { participantId: host.id, kind: 'audio' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await co.send('participant.remove', { participantId: host.id, ban: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await co.send('participant.setVideoQuality', { participantId: host.id, quality: 'low' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await co.send('participant.setVideoQuality', { participantId: p.id, quality: 'low' })).toMatchObject({ ok: true });
    expect(await co.send('participant.setRole', { participantId: host.id, role: 'participant' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await co.send('participant.setRole', { participantId: p.id, role: 'host' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await host.send('participant.setRole', { participantId: host.id, role: 'participant' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });

    // Mute-all leaves hosts and co-hosts alone.
    expect(await co.send('room.muteAll', { kind: 'audio', allowUnmute: true })).toMatchObject({ ok: true, data: { muted: 1 } });

    expect(await host.send('participant.setRole', { participantId: p.id, role: 'host' })).toMatchObject({ ok: true });
    const roles = Object.fromEntries(server.rooms.get(room)!.dump().participants.map((x) => [x.name, x.role]));
    expect(roles).toEqual({ Hana: 'co-host', Cory: 'co-host', Pat: 'host' });
    expect(await p.waitFor('moderator.updated')).toMatchObject({ hostKey: expect.any(String) });
  });

  it('a mute without "may unmute" bars the person from unmuting until asked', async () => {
    const room = meeting();
    const host = await join(room, 'Hana');
    const p = await join(room, 'Pat');
    expect(await host.send('room.muteAll', { kind: 'audio', allowUnmute: false })).toMatchObject({ ok: true, data: { muted: 1 } });
    expect(await p.waitFor('control.notice')).toEqual({ type: 'muted', kind: 'audio', by: 'Hana', mayUnmute: false });
    expect(await p.waitFor('participant.updated', (x) => x.id === p.id)).toMatchObject({ blocked: ['audio'] });
    expect(await p.send('track.setMuted', { source: 'microphone', muted: false })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // The camera was not touched.
    expect(await p.send('track.setMuted', { source: 'camera', muted: false })).toMatchObject({ ok: true });
    expect(await host.send('participant.askUnmute', { participantId: p.id, kind: 'audio' })).toMatchObject({ ok: true });
    expect(await p.waitFor('control.notice', (x) => x.type === 'askUnmute')).toEqual({ type: 'askUnmute', kind: 'audio', by: 'Hana' });
    expect(await p.send('track.setMuted', { source: 'microphone', muted: false })).toMatchObject({ ok: true });
  });

  it('meeting settings decide who may unmute, start video, share and chat', async () => {
    const room = meeting();
    const host = await join(room, 'Hana');
    const p = await join(room, 'Pat');
    const update = await host.send('room.update', { settings: { unmute: 'moderators', video: 'moderators', share: 'moderators', chat: 'moderators', draw: 'moderators' } });
    expect(update).toMatchObject({ ok: true, data: { room: { settings: { unmute: 'moderators', chat: 'moderators', defaultRole: 'participant' } } } });
    for (const source of ['microphone', 'camera', 'screen'] as const) {
      expect(await p.send('track.setMuted', { source, muted: false }), source).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await host.send('track.setMuted', { source, muted: false }), source).toMatchObject({ ok: true });
    }
    expect(await p.send('chat.send', { text: 'hello?' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await host.send('chat.send', { text: 'hello' })).toMatchObject({ ok: true });
    const r = server.rooms.get(room)!;
    expect(r.can(p.id, 'draw')).toBe(false);
    expect(r.can(host.id, 'draw')).toBe(true);
    await host.send('room.update', { settings: { draw: 'everyone', chat: 'participants' } });
    expect(r.can(p.id, 'draw')).toBe(true);
    expect(await p.send('chat.send', { text: 'now I can' })).toMatchObject({ ok: true });

    // Guests: joiners without an invite when the meeting says so; "participants" settings exclude them.
    await host.send('room.update', { settings: { defaultRole: 'guest' } });
    const guest = await join(room, 'Gus');
    expect(guest.joined!.self.role).toBe('guest');
    expect(await guest.send('chat.send', { text: 'hi' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const invited = await join(room, 'Ivy', { invite: host.joined!.moderator!.participantInvite });
    expect(invited.joined!.self.role).toBe('participant');
  });

  it('the lobby holds a joiner until a host admits them, and a denied one never gets in', async () => {
    const room = meeting();
    const host = await join(room, 'Hana');
    expect((await host.send('room.update', { lobby: true })).ok).toBe(true);

    const waiting = await connect();
    const reply = await waiting.send('join', { room, name: 'Wes' });
    expect(reply).toMatchObject({ ok: true, data: { status: 'waiting', lobbyId: expect.any(String), room: { lobby: true } } });
    const { lobby } = await host.waitFor('lobby.updated', (e) => e.lobby.length === 1);
    expect(lobby[0]).toMatchObject({ name: 'Wes' });
    // Held: not a participant, cannot act, nobody sees them.
    expect(server.rooms.get(room)!.participants.size).toBe(1);
    expect(await waiting.send('chat.send', { text: 'let me in' })).toMatchObject({ ok: false, error: { code: 'NOT_JOINED' } });
    expect(host.received('participant.joined')).toHaveLength(0);

    const denied = await connect();
    await denied.send('join', { room, name: 'Dee' });
    const { lobby: both } = await host.waitFor('lobby.updated', (e) => e.lobby.length === 2);
    const dee = both.find((e) => e.name === 'Dee')!;
    expect(await host.send('lobby.deny', { lobbyId: dee.lobbyId })).toMatchObject({ ok: true, data: { denied: 1 } });
    expect(await denied.waitFor('lobby.denied')).toEqual({ reason: 'denied' });
    expect(await host.send('lobby.deny', { lobbyId: dee.lobbyId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    expect(await host.send('lobby.admit', { lobbyId: lobby[0]!.lobbyId })).toMatchObject({ ok: true, data: { admitted: 1 } });
    const { ticket } = await waiting.waitFor('lobby.admitted');
    const joined = await waiting.send('join', { room, name: 'Wes', admission: ticket });
    expect(joined).toMatchObject({ ok: true, data: { status: 'joined', self: { name: 'Wes', role: 'participant' } } });
    expect(await host.waitFor('participant.joined')).toMatchObject({ name: 'Wes' });
    // A ticket is good once.
    const again = await connect();
    expect(await again.send('join', { room, name: 'Wes', admission: ticket })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // Someone already let in comes back (reload) with their token, straight past the lobby.
    const token = joined.ok && joined.data.status === 'joined' ? joined.data.meetingToken : '';
    waiting.close();
    const back = await join(room, 'Wes', { token });
    expect(back.joined!.status).toBe('joined');
    // Turning the lobby off lets everyone waiting in.
    const late = await connect();
    await late.send('join', { room, name: 'Lee' });
    await host.send('room.update', { lobby: false });
    expect(await late.waitFor('lobby.admitted')).toEqual({ ticket: expect.any(String) });
  });

  it('a locked meeting refuses new joiners, except with the host key', async () => {
    const room = meeting();
    const host = await join(room, 'Hana');
    await host.send('room.update', { locked: true });
    const outsider = await connect();
    expect(await outsider.send('join', { room, name: 'Olga' })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    // A wrong key is no key: still locked out.
    expect(await outsider.send('join', { room, name: 'Olga', hostKey: 'not-the-key-at-all' })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    const cohost = await join(room, 'Kim', { hostKey: host.joined!.moderator!.hostKey! });
    expect(cohost.joined!.self.role).toBe('host');
    expect(server.rooms.get(room)!.participants.size).toBe(2);
  });

  it('a removed and barred participant cannot rejoin; one removed without a ban can', async () => {
    const room = meeting();
    const host = await join(room, 'Hana');
    const barred = await join(room, 'Bart');
    const removed = await join(room, 'Remy');
    expect(await host.send('participant.remove', { participantId: barred.id, ban: true })).toMatchObject({ ok: true });
    expect(await barred.waitFor('room.closed')).toEqual({ reason: 'banned' });
    expect(await host.waitFor('participant.left', (e) => e.participantId === barred.id)).toEqual({ participantId: barred.id, reason: 'removed' });
    // The old socket can do nothing more…
    expect(await barred.send('chat.send', { text: 'still here?' })).toMatchObject({ ok: false, error: { code: 'NOT_JOINED' } });
    // …and the person, coming back with their meeting token, is refused.
    const retry = await connect();
    expect(await retry.send('join', { room, name: 'Bart', token: barred.joined!.meetingToken })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await barred.send('join', { room, name: 'Bart again', token: barred.joined!.meetingToken })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(server.rooms.get(room)!.dump().participants.map((p) => p.name).sort()).toEqual(['Hana', 'Remy']);

    expect(await host.send('participant.remove', { participantId: removed.id })).toMatchObject({ ok: true });
    expect(await removed.waitFor('room.closed')).toEqual({ reason: 'removed' });
    const back = await join(room, 'Remy', { token: removed.joined!.meetingToken });
    expect(back.joined!.self.name).toBe('Remy');

    const audit = server.rooms.get(room)!.audit.entries.filter((e) => e.action === 'participant.remove');
    expect(audit.map((e) => [e.target?.name, e.details.ban])).toEqual([['Bart', true], ['Remy', false]]);
  });

  it('chat: public to everyone, private to one person only, kept for late joiners', async () => {
    const room = meeting();
    const a = await join(room, 'Ann');
    const b = await join(room, 'Ben');
    const c = await join(room, 'Cat');
    const pub = await a.send('chat.send', { text: '  hello all  ' });
    expect(pub).toMatchObject({ ok: true, data: { message: { text: 'hello all', from: { participantId: a.id, name: 'Ann' }, to: null } } });
    const priv = await a.send('chat.send', { text: 'psst, Ben', to: b.id });
    expect(priv).toMatchObject({ ok: true, data: { message: { to: { participantId: b.id, name: 'Ben' } } } });
    await b.waitFor('chat.message', (m) => m.text === 'psst, Ben');
    await c.waitFor('chat.message', (m) => m.text === 'hello all');
    await new Promise((r) => setTimeout(r, 200));
    expect(c.received('chat.message').map((m) => m.text)).toEqual(['hello all']);
    expect(a.received('chat.message').map((m) => m.text)).toEqual(['hello all', 'psst, Ben']);

    expect(await a.send('chat.send', { text: 'me', to: a.id })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await a.send('chat.send', { text: 'ghost', to: 'nobody' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await a.send('chat.send', { text: '   ' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await a.send('chat.send', { text: 'x'.repeat(2001) })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });

    const late = await join(room, 'Lou');
    expect(late.joined!.chat.map((m) => m.text)).toEqual(['hello all']);
    // Ben reloads: his private message comes back with his identity.
    b.close();
    const ben = await join(room, 'Ben', { token: b.joined!.meetingToken });
    expect(ben.joined!.chat.map((m) => m.text)).toEqual(['hello all', 'psst, Ben']);
  });

  it('hands and reactions: everyone raises their own hand and reacts; only a host lowers another hand', async () => {
    const room = meeting();
    const host = await join(room, 'Hana');
    const p = await join(room, 'Pat');
    const q = await join(room, 'Quin');
    expect(await p.send('hand.set', { raised: true })).toMatchObject({ ok: true });
    expect(await q.send('hand.set', { raised: true })).toMatchObject({ ok: true });
    const raised = await host.waitFor('participant.updated', (x) => x.id === q.id && x.handRaisedAt !== null);
    expect(raised.handRaisedAt).toBeGreaterThan(0);
    expect(await p.send('hand.set', { raised: false, participantId: q.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await host.send('hand.set', { raised: true, participantId: q.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await host.send('hand.set', { raised: false, participantId: q.id })).toMatchObject({ ok: true });
    expect(await q.waitFor('control.notice', (x) => x.type === 'handLowered')).toEqual({ type: 'handLowered', by: 'Hana' });
    expect(await host.send('hands.lowerAll', {})).toMatchObject({ ok: true, data: { lowered: 1 } });
    expect(server.rooms.get(room)!.dump().participants.every((x) => x.handRaisedAt === null)).toBe(true);

    expect(await p.send('reaction.send', { emoji: '👏' })).toMatchObject({ ok: true });
    expect(await q.waitFor('reaction')).toEqual({ participantId: p.id, emoji: '👏' });
    expect(await p.send('reaction.send', { emoji: '<script>' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('a passcode keeps out those without it; invite and host links carry their own authority', async () => {
    const res = await fetch(`${server.url}/api/v1/rooms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'board-meeting', topic: 'Board meeting', passcode: '4711', startsAt: '2030-01-01T09:00:00Z' }),
    });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toMatchObject({ id: 'board-meeting', topic: 'Board meeting', hasPasscode: true, startsAt: Date.parse('2030-01-01T09:00:00Z') });
    const outsider = await connect();
    expect(await outsider.send('join', { room: 'board-meeting', name: 'Olga' })).toMatchObject({ ok: false, error: { code: 'PASSCODE_REQUIRED' } });
    expect(await outsider.send('join', { room: 'board-meeting', name: 'Olga', passcode: 'wrong' })).toMatchObject({ ok: false, error: { code: 'PASSCODE_REQUIRED' } });
    // An API-made meeting has no host until someone brings the key.
    const first = await join('board-meeting', 'Olga', { passcode: '4711' });
    expect(first.joined!.self.role).toBe('participant');
    expect(first.joined!.room).toMatchObject({ topic: 'Board meeting', hasPasscode: true });
    const invite = new URL(created.links.participant, server.url).searchParams.get('invite')!;
    const invited = await join('board-meeting', 'Ivy', { invite });
    expect(invited.joined!.self.role).toBe('participant');
    const key = new URL(created.links.host, server.url).searchParams.get('key')!;
    const host = await join('board-meeting', 'Hana', { hostKey: key });
    expect(host.joined!.self.role).toBe('host');
    // A tampered token, or invite, is no pass: it counts as none.
    const tamper = (token: string) => {
      const i = token.length - 10; // inside the signature, away from base64's padding bits
      return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    };
    expect(await outsider.send('join', { room: 'board-meeting', name: 'Olga', token: tamper(host.joined!.meetingToken) })).toMatchObject({ ok: false, error: { code: 'PASSCODE_REQUIRED' } });
    expect(await outsider.send('join', { room: 'board-meeting', name: 'Olga', invite: tamper(invite) })).toMatchObject({ ok: false, error: { code: 'PASSCODE_REQUIRED' } });
    // A token of another meeting neither.
    const other = await join(meeting(), 'Hana');
    expect(await outsider.send('join', { room: 'board-meeting', name: 'Olga', token: other.joined!.meetingToken })).toMatchObject({ ok: false, error: { code: 'PASSCODE_REQUIRED' } });
  });

  it('hands the host role on when the host leaves', async () => {
    const room = meeting();
    const host = await join(room, 'Hana');
    const p = await join(room, 'Pat');
    await join(room, 'Quin');
    expect((await host.send('leave', {})).ok).toBe(true);
    expect(await p.waitFor('control.notice', (x) => x.type === 'roleChanged')).toEqual({ type: 'roleChanged', role: 'host', by: 'the server' });
    await waitUntil(() => server.rooms.get(room)!.dump().participants.find((x) => x.name === 'Pat')?.role === 'host', 2_000, 'Pat hosts');
  });
});
