/**
 * Meetings across app hosts: two (and for a while three) app servers on one
 * PostgreSQL and one Redis, as on separate hosts behind a balancer without
 * stickiness. A meeting lives on the app that opened it (its claim in Redis);
 * people who join through another app are relayed there whole, and see one
 * meeting: one participant list, chat and media both ways, host controls
 * from either side, drops noticed after the grace; a call's private room
 * reserved on one app admits its callee through the other and nobody else;
 * the owner sees the client's own address; host controls over REST on the
 * other app are answered by the owner; garbage through a relayed connection
 * gets the replies a local one gets; a meeting whose owner stopped or died
 * opens where the next join arrives.
 */
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestsEnabled } from '@muster/db/testing';
import { freePort, mulberry32, redisTestsEnabled } from '@muster/kit/testing';
import { CONTROL_NAMES, type ControlNotice } from '@muster/signaling';
import { ClientRequests, ERROR_CODES, PROTOCOL_VERSION, type ErrorCode } from '@muster/signaling/protocol';
import { NodePeer, ProtocolClient } from '@muster/signaling/testing';
import { waitUntil } from '../../testing/index.ts';
import { appsOnOneRedis, type HostApp as App } from '../../crossHost/testing.ts';
import { imPeople } from '../../im/testing/people.ts';

const enabled = (await postgresTestsEnabled('the meetings-across-hosts test')) && (await redisTestsEnabled('the meetings-across-hosts test'));

type Reply = { ok: boolean; data?: any; error?: { code: ErrorCode; message: string } };

describe.skipIf(!enabled)('meetings across two apps on one Redis', () => {
  const hosts = appsOnOneRedis({
    // Every client here comes from 127.0.0.1: the per-address budgets would be what these tests see.
    security: { requestLimits: { requestsPerSecond: 1e6, joinsPerMinute: 1e6, chatsPerMinute: 1e6, joinsPerMeetingPerMinute: 1e6 } },
  });
  const apps = hosts.apps;
  const peers: NodePeer[] = [];
  const clients: ProtocolClient[] = [];
  const sockets: Socket[] = [];
  const people = imPeople(() => apps[0]!);

  const startApp = () => hosts.start();
  const relayUrl = hosts.relayUrl;
  const ownerOf = (room: string) => hosts.ownerOf('meeting-owner', room);
  const peer = (app: App, accessToken?: string) => {
    const p = new NodePeer(app.url, accessToken ? { accessToken } : {});
    peers.push(p);
    return p;
  };
  const protocolClient = async (app: App, headers?: Record<string, string>, accessToken?: string) => {
    const client = await ProtocolClient.connect(app.url, headers, accessToken);
    clients.push(client);
    return client;
  };
  const joined = async (app: App, room: string, name: string) => {
    const client = await ProtocolClient.join(app.url, room, name);
    clients.push(client);
    return client;
  };
  const rest = hosts.rest;
  const notices = (p: NodePeer) => {
    const seen: ControlNotice[] = [];
    p.room.on('controlNotice', (notice: ControlNotice) => seen.push(notice));
    return seen;
  };
  const mediaBothWays = (a: NodePeer, b: NodePeer) =>
    waitUntil(
      async () => {
        const [fromB, fromA] = [await a.inboundPackets(), await b.inboundPackets()];
        return fromB.framesDecoded > 5 && fromB.audio > 20 && fromA.framesDecoded > 5 && fromA.audio > 20;
      },
      30_000,
      'video decoded and audio received both ways',
    );

  beforeAll(() => hosts.setUp(), 120_000);
  afterAll(async () => {
    for (const p of peers) await p.close().catch(() => undefined);
    for (const c of clients) c.close();
    for (const s of sockets) s.close();
    for (const app of apps.slice(1)) await app.close();
    await people.closeAll();
    await hosts.tearDown();
  }, 60_000);

  it('holds one meeting for people who join through different apps: one participant list, chat and media both ways', async () => {
    const alice = peer(apps[0]!);
    const bob = peer(apps[1]!);
    await alice.join('xh-one', 'Alice');
    await bob.join('xh-one', 'Bob');
    expect(await ownerOf('xh-one')).toBe(relayUrl(apps[0]!));
    // One room, on app 1; app 2 only relays.
    expect(apps[0]!.rooms.get('xh-one')!.participants.size).toBe(2);
    expect(apps[1]!.rooms.get('xh-one')).toBeUndefined();
    expect([...alice.room.remoteParticipants.values()].map((p) => p.name)).toEqual(['Bob']);
    expect([...bob.room.remoteParticipants.values()].map((p) => p.name)).toEqual(['Alice']);

    await bob.room.request('chat.send', { text: 'from app b' });
    await alice.room.request('chat.send', { text: 'from app a' });
    for (const p of [alice, bob]) await waitUntil(() => p.room.chat.length === 2, 10_000, `${p.room.localParticipant?.name} has both messages`);
    expect(alice.room.chat.map((m) => m.text)).toEqual(['from app b', 'from app a']);
    expect(bob.room.chat.map((m) => m.text)).toEqual(['from app b', 'from app a']);

    // Bob's publish reaches Alice through app 1's media, and hers reaches him.
    await mediaBothWays(alice, bob);
  }, 90_000);

  it('carries host controls both ways: the host on app 1 mutes someone on app 2, and REST calls sent to app 2 are answered by app 1', async () => {
    const [alice, bob] = peers as [NodePeer, NodePeer];
    expect(alice.room.localParticipant!.role).toBe('host');
    const bobNotices = notices(bob);
    await alice.room.request('participant.mute', { participantId: bob.room.participantId!, kind: 'audio' });
    await waitUntil(() => bobNotices.some((n) => n.type === 'muted' && n.kind === 'audio'), 10_000, 'Bob told he was muted');

    // The room service through the app that does not hold the meeting: answered by the one that does.
    const dump = await rest(apps[1]!, 'GET', '/rooms/xh-one');
    expect(dump.status).toBe(200);
    expect(dump.body.participants.map((p: { name: string }) => p.name).sort()).toEqual(['Alice', 'Bob']);
    const muted = await rest(apps[1]!, 'POST', `/rooms/xh-one/participants/${bob.room.participantId}/mute`, { kind: 'video' });
    expect(muted).toEqual({ status: 200, body: { muted: true } });
    await waitUntil(() => bobNotices.some((n) => n.type === 'muted' && n.kind === 'video'), 10_000, 'Bob told his video was muted');
    expect((await rest(apps[1]!, 'GET', '/rooms/xh-one/audit')).body.entries.map((e: { action: string }) => e.action)).toEqual(['participant.mute', 'participant.mute']);
    // Refusals come from the owner as they would locally; a meeting nobody holds is answered where asked.
    expect((await rest(apps[1]!, 'POST', '/rooms/xh-one/participants/nobody/mute', { kind: 'video' })).status).toBe(404);
    expect((await rest(apps[1]!, 'GET', '/rooms/xh-nowhere')).status).toBe(404);
    const unauthorised = await fetch(`${apps[1]!.url}/api/v1/rooms/xh-one`, { headers: { authorization: 'Bearer wrong' } });
    expect(unauthorised.status).toBe(401);
  }, 30_000);

  it('lists a meeting live on the other app as live, with its people, in GET /rooms and in its owner’s "my meetings"', async () => {
    // xh-one is app 1's, with Alice and Bob: app 2 lists it live with both, once, within a report (2 s).
    type Listed = { id: string; live: boolean; participants: number; topic: string };
    const listedOn = async (app: App, id: string) => ((await rest(app, 'GET', '/rooms')).body as Listed[]).filter((r) => r.id === id);
    const onTwo = await waitUntil(
      async () => {
        const entries = await listedOn(apps[1]!, 'xh-one');
        return entries.length === 1 && entries[0]!.live && entries[0]!.participants === 2 ? entries[0]! : null;
      },
      10_000,
      'xh-one live on app 2’s listing',
    );
    expect(onTwo).toEqual((await listedOn(apps[0]!, 'xh-one'))[0]);

    // A signed-in person's meeting, opened through app 1, is live in their "my meetings" asked through app 2.
    const kim = await people.signup('+8613900007104', 'Kim');
    const host = await protocolClient(apps[0]!, undefined, kim.accessToken);
    expect((await host.send('join', { room: 'xh-kims', name: 'Kim' })).ok).toBe(true);
    type Mine = { scheduled: { id: string }[]; recent: { id: string; live: boolean; participants: number }[] };
    const mine = await waitUntil(
      async () => {
        const res = await fetch(`${apps[1]!.url}/api/v1/me/meetings`, { headers: { authorization: `Bearer ${kim.accessToken}` } });
        const meeting = ((await res.json()) as Mine).recent.find((m) => m.id === 'xh-kims');
        return meeting?.live ? meeting : null;
      },
      10_000,
      'Kim’s meeting live in her list through app 2',
    );
    expect(mine).toMatchObject({ live: true, participants: 1 });
    // Once it ends, it is listed as stored, not live, on both.
    expect((await host.send('leave', {})).ok).toBe(true);
    await waitUntil(async () => (await listedOn(apps[1]!, 'xh-kims')).every((r) => !r.live) && (await listedOn(apps[0]!, 'xh-kims')).every((r) => !r.live), 15_000, 'xh-kims no longer live anywhere');
  }, 60_000);

  it('removes someone whose connection to app 2 drops, after the grace, and the others see them leave', async () => {
    const [alice] = peers as [NodePeer];
    const left: { name: string; reason: string }[] = [];
    alice.room.on('participantDisconnected', (participant: { name: string }, reason: string) => left.push({ name: participant.name, reason }));
    const cara = await joined(apps[1]!, 'xh-one', 'Cara');
    await waitUntil(() => [...alice.room.remoteParticipants.values()].some((p) => p.name === 'Cara'), 10_000, 'Alice sees Cara');
    cara.socket.disconnect();
    // Kept through the grace (3 s here) as a local participant would be, then removed.
    await waitUntil(() => left.some((l) => l.name === 'Cara'), 20_000, 'Alice sees Cara leave');
    expect(left).toEqual([{ name: 'Cara', reason: 'disconnected' }]);
    expect(apps[0]!.rooms.get('xh-one')!.participants.size).toBe(2);
  }, 30_000);

  it('admits a call’s callee to its private room, reserved on app 1, through app 2, signed in; nobody else', async () => {
    const ann = await people.signup('+8613900007101', 'Ann');
    const ben = await people.signup('+8613900007102', 'Ben');
    const eve = await people.signup('+8613900007103', 'Eve');
    await people.befriend(ann, ben);
    const chat = (await people.api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    // Calls are rung and answered on the app that started them (their state is that app's).
    const call = (await people.api('POST', '/calls', ann.accessToken, { conversationId: chat.id, media: 'video' })).body as { id: string; roomId: string };
    expect(await ownerOf(call.roomId)).toBe(relayUrl(apps[0]!));
    const annPeer = peer(apps[0]!, ann.accessToken);
    await annPeer.join(call.roomId, 'Ann');

    const refused = (p: NodePeer) => p.room.connect(call.roomId, 'Mallory').then(() => 'joined', (e: { code?: string }) => e.code);
    expect(await refused(peer(apps[1]!, eve.accessToken))).toBe('NOT_FOUND');
    expect(await refused(peer(apps[1]!))).toBe('NOT_FOUND');
    expect((await people.api('POST', `/calls/${call.id}/accept`, ben.accessToken)).body).toMatchObject({ state: 'connected' });
    const benPeer = peer(apps[1]!, ben.accessToken);
    await benPeer.join(call.roomId, 'Ben');
    expect(benPeer.room.localParticipant!.name).toBe('Ben');
    expect(apps[0]!.rooms.get(call.roomId)!.participants.size).toBe(2);
    expect(apps[1]!.rooms.get(call.roomId)).toBeUndefined();
    await mediaBothWays(annPeer, benPeer);

    // Hang-up ends the room on its app; the callee on the other app is told too.
    expect((await people.api('POST', `/calls/${call.id}/hangup`, ann.accessToken)).body).toMatchObject({ state: 'ended' });
    await waitUntil(() => annPeer.room.state === 'disconnected' && benPeer.room.state === 'disconnected', 10_000, 'the room closed for both');
    // The ended call's id admits nobody, through either app.
    expect(await refused(peer(apps[1]!, ben.accessToken))).toBe('NOT_FOUND');
  }, 90_000);

  it('lets the owner see the client’s own address through the relay: passcode guesses lock out the guesser, not the relaying app', async () => {
    const created = await rest(apps[0]!, 'POST', '/rooms', { id: 'xh-coded', passcode: 'right-one-4711' });
    expect(created.status).toBe(201);
    // Opened on app 1 by its host (the host key needs no passcode).
    const host = await protocolClient(apps[0]!);
    expect((await host.send('join', { room: 'xh-coded', name: 'Host', hostKey: created.body.hostKey })).ok).toBe(true);
    expect(await ownerOf('xh-coded')).toBe(relayUrl(apps[0]!));

    const guess = async (address: string, passcode: string) => {
      const client = await protocolClient(apps[1]!, { 'x-forwarded-for': address });
      const reply = await client.send('join', { room: 'xh-coded', name: 'Guesser', passcode });
      client.close();
      return reply.ok ? 'joined' : reply.error.code;
    };
    for (let i = 0; i < 10; i++) expect(await guess('203.0.113.7', `wrong-${i}`)).toBe('PASSCODE_REQUIRED');
    expect(await guess('203.0.113.7', 'right-one-4711')).toBe('RATE_LIMITED');
    // Another address, through the same relaying app: not locked out.
    expect(await guess('203.0.113.8', 'right-one-4711')).toBe('joined');
  }, 60_000);

  it('gives garbage through a relayed connection the replies a local connection gets, and neither app falls over', async () => {
    const rand = mulberry32(20_260_518);
    await joined(apps[0]!, 'xh-fuzz', 'Hana');
    let local: ProtocolClient | undefined;
    let relayed: ProtocolClient | undefined;
    /** A fresh pair, one on each app (a socket's request burst is its own check, below). */
    const pair = async () => {
      local?.close();
      relayed?.close();
      local = await joined(apps[0]!, 'xh-fuzz', `Lou${clients.length}`);
      relayed = await joined(apps[1]!, 'xh-fuzz', `Rae${clients.length}`);
      return [local, relayed] as const;
    };
    await pair();
    expect(apps[1]!.rooms.get('xh-fuzz')).toBeUndefined();
    const both = async (event: string, ...payload: unknown[]) => {
      const [a, b] = (await Promise.all([local!, relayed!].map((c) => c.socket.timeout(10_000).emitWithAck(event, ...payload)))) as [Reply, Reply];
      expect(b.ok, `${event} ${JSON.stringify(payload).slice(0, 200)}: ${JSON.stringify(b)} vs ${JSON.stringify(a)}`).toBe(a.ok);
      if (!a.ok) {
        expect(ERROR_CODES).toContain(b.error!.code);
        expect(b.error!.code, `${event}: ${b.error!.message} vs ${a.error!.message}`).toBe(a.error!.code);
      }
      return b;
    };
    const SDP = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n';
    expect((await both('drop-tables', {})).error!.code).toBe('UNKNOWN_EVENT');
    expect((await both('constructor', {})).error!.code).toBe('UNKNOWN_EVENT');
    expect((await both('join', { room: 'xh-fuzz', name: 'Again' })).error!.code).toBe('ALREADY_JOINED');
    expect((await both('join', { v: PROTOCOL_VERSION + 1, room: 'xh-fuzz', name: 'Future' })).error!.code).toBe('UNSUPPORTED_VERSION');
    expect((await both('subscriber.answer', { offerId: 424242, sdp: SDP })).error!.code).toBe('BAD_STATE');
    expect((await both('publish', { sdp: `v=0${'a'.repeat(200_000)}` })).error!.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await both('chat.send', { text: 42 })).error!.code).toBe('BAD_REQUEST');
    await both('participant.remove', { participantId: 'p-nobody' });
    // Without an acknowledgement, a refusal comes as server.error.
    const error = new Promise<{ code: string; event?: string }>((resolve) => relayed!.socket.once('server.error', resolve));
    relayed!.socket.emit('publish', 'not an object');
    expect(await error).toMatchObject({ code: 'BAD_REQUEST', event: 'publish' });

    // Every request with malformed payloads, and every control a participant may not use.
    const values: unknown[] = [undefined, null, 0, 'join', [], [1, 2], { room: null }, { __proto__: { room: 'x' } }, { text: 'x'.repeat(5_000) }, { participantId: 'p-x', kind: 'audio' }, { source: 'camera', muted: 'yes' }, { offerId: -1, sdp: '' }];
    const events = Object.keys(ClientRequests).filter((event) => event !== 'room.end' && event !== 'leave');
    expect(events).toEqual(expect.arrayContaining(CONTROL_NAMES.filter((name) => name !== 'room.end')));
    let sent = 0;
    for (const event of events) {
      for (const payload of [...values, { [String(Math.floor(rand() * 1e6))]: rand() }]) {
        // Under the per-socket rate limit (burst 60), which has its own check below.
        if (++sent % 40 === 0) await pair();
        await both(event, payload);
      }
    }
    expect(sent).toBe(events.length * (values.length + 1));
    // Leaving works the same, and so does what comes after it.
    expect((await both('leave', {})).ok).toBe(true);
    expect((await both('leave', {})).error!.code).toBe('NOT_JOINED');

    // A flood through the relay is refused by the owner's per-socket limit, as a local one is.
    await pair();
    const flood = await Promise.all(Array.from({ length: 120 }, () => relayed!.send('track.setMuted', { source: 'camera', muted: true })));
    expect(flood.some((r) => !r.ok && r.error.code === 'RATE_LIMITED')).toBe(true);
    // Both apps still serve, and the meeting still works through both.
    for (const app of apps) expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const late = await joined(apps[1]!, 'xh-fuzz', 'Late');
    expect((await late.send('chat.send', { text: 'still here' })).ok).toBe(true);
    expect(apps[0]!.rooms.get('xh-fuzz')!.participants.size).toBeGreaterThan(2);
  }, 120_000);

  it('opens a meeting whose owner stopped, or died, on the app the next join reaches', async () => {
    const third = await startApp();
    apps.push(third);
    const dee = await joined(third, 'xh-moving', 'Dee');
    const eli = await joined(apps[1]!, 'xh-moving', 'Eli');
    expect(await ownerOf('xh-moving')).toBe(relayUrl(third));
    expect(third.rooms.get('xh-moving')!.participants.size).toBe(2);
    const eliGone = new Promise<void>((resolve) => eli.socket.once('disconnect', () => resolve()));
    await third.close();
    dee.close();
    // The relayed connection ends with its owner: the client reconnects, wherever it lands.
    await eliGone;
    expect(await ownerOf('xh-moving')).toBeNull();
    const fay = await joined(apps[1]!, 'xh-moving', 'Fay');
    expect(fay.joined!.participants).toEqual([]);
    expect(apps[1]!.rooms.get('xh-moving')!.participants.size).toBe(1);
    expect(await ownerOf('xh-moving')).toBe(relayUrl(apps[1]!));

    // An owner that died without a word: its claim is still there, its URL refuses. The next join takes it over.
    const dead = `http://127.0.0.1:${await freePort()}`;
    await hosts.redis.set(hosts.key('meeting-owner', 'xh-orphan'), `dead-app ${dead}`, 'PX', 60_000);
    await joined(apps[0]!, 'xh-orphan', 'Gus');
    expect(await ownerOf('xh-orphan')).toBe(relayUrl(apps[0]!));
    expect(apps[0]!.rooms.get('xh-orphan')!.participants.size).toBe(1);
    // A former run of an app at the same URL (restarted): its claim is taken over by the app that runs there now.
    await hosts.redis.set(hosts.key('meeting-owner', 'xh-restarted'), `former-run ${relayUrl(apps[1]!)}`, 'PX', 60_000);
    await joined(apps[1]!, 'xh-restarted', 'Hal');
    expect(apps[1]!.rooms.get('xh-restarted')!.participants.size).toBe(1);
    expect(await hosts.redis.get(hosts.key('meeting-owner', 'xh-restarted'))).not.toMatch(/^former-run /);
  }, 60_000);

  it('lets the claim go when the meeting closes, and keeps none for a join that opened nothing', async () => {
    const host = await protocolClient(apps[1]!);
    expect((await host.send('join', { room: 'xh-short', name: 'Ida' })).ok).toBe(true);
    expect(await ownerOf('xh-short')).toBe(relayUrl(apps[1]!));
    expect((await host.send('leave', {})).ok).toBe(true);
    // Closed after the room's grace (1 s here): the claim goes with it.
    await waitUntil(async () => (await ownerOf('xh-short')) === null, 10_000, 'the claim released');
    expect(apps[1]!.rooms.get('xh-short')).toBeUndefined();

    const created = await rest(apps[0]!, 'POST', '/rooms', { id: 'xh-locked', passcode: 'secret-passcode-1' });
    expect(created.status).toBe(201);
    const guest = await protocolClient(apps[1]!, { 'x-forwarded-for': '203.0.113.20' });
    expect(await guest.send('join', { room: 'xh-locked', name: 'Jo', passcode: 'wrong' })).toMatchObject({ ok: false, error: { code: 'PASSCODE_REQUIRED' } });
    await waitUntil(async () => (await ownerOf('xh-locked')) === null, 10_000, 'no claim for a refused first join');
  }, 30_000);
});
