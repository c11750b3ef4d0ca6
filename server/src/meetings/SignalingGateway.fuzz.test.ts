import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_NAMES } from '@muster/signaling';
import { ClientRequests, ERROR_CODES, PROTOCOL_VERSION, type ErrorCode } from '@muster/signaling/protocol';
import { NodePeer } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { mulberry32 } from '@muster/kit/testing';

type Reply = { ok: boolean; data?: unknown; error?: { code: ErrorCode; message: string } };

const SDP = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n';

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2: return Math.floor((rand() - 0.5) * 1e9);
    case 3: return rand() < 0.5 ? NaN : -0.5;
    case 4: return 'x'.repeat(Math.floor(rand() * 200));
    case 5: return ['camera', 'v=0', '', '0', 'microphone', '__proto__', '../../', 'audio', 'host', 'co-host', 'everyone', '👍'][Math.floor(rand() * 12)];
    case 6: return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const keys = ['room', 'name', 'sdp', 'tracks', 'mid', 'source', 'offerId', 'muted', 'resume', 'v', 'reason', 'constructor', '__proto__',
        'participantId', 'kind', 'allowUnmute', 'ban', 'role', 'topic', 'locked', 'lobby', 'settings', 'lobbyId', 'all', 'raised', 'emoji', 'text', 'to', 'on', 'token', 'hostKey', 'invite', 'passcode', 'admission'];
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(rand() * 5); i++) obj[keys[Math.floor(rand() * keys.length)]!] = randomValue(rand, depth + 1);
      return obj;
    }
  }
}

describe('signaling protocol under malformed, oversized and out-of-order input', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let alice: NodePeer;
  let bob: NodePeer;
  const sockets: Socket[] = [];

  async function rawSocket(): Promise<Socket> {
    const socket = io(server.url, { transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  }

  function send(socket: Socket, event: string, ...payload: unknown[]): Promise<Reply> {
    return socket.timeout(5_000).emitWithAck(event, ...payload) as Promise<Reply>;
  }

  function expectError(reply: Reply, code?: ErrorCode) {
    expect(reply.ok).toBe(false);
    expect(ERROR_CODES).toContain(reply.error!.code);
    expect(typeof reply.error!.message).toBe('string');
    expect(reply.error!.message.length).toBeGreaterThan(0);
    if (code) expect(reply.error!.code).toBe(code);
  }

  beforeAll(async () => {
    // Every socket here comes from 127.0.0.1 and many are opened to stay under the per-socket limit:
    // the per-address budgets are lifted so that validation, not rate limiting, is what this suite sees (security.test.ts tests them).
    server = await startTestServer({ security: { requestLimits: { requestsPerSecond: 1e6, joinsPerMinute: 1e6, chatsPerMinute: 1e6, joinsPerMeetingPerMinute: 1e6 } } });
    alice = new NodePeer(server.url);
    bob = new NodePeer(server.url);
    await alice.join('fuzzed', 'Alice');
    await bob.join('fuzzed', 'Bob');
    await waitUntil(async () => (await bob.inboundPackets()).video > 10, 20_000, 'meeting media');
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await alice?.close().catch(() => undefined);
    await bob?.close().catch(() => undefined);
    await server?.close();
  });

  it('refuses every request before join with NOT_JOINED, and unknown events with UNKNOWN_EVENT', async () => {
    const socket = await rawSocket();
    expectError(await send(socket, 'publish', { sdp: SDP, tracks: [] }), 'NOT_JOINED');
    expectError(await send(socket, 'subscriber.answer', { offerId: 1, sdp: SDP }), 'NOT_JOINED');
    expectError(await send(socket, 'track.setMuted', { source: 'camera', muted: true }), 'NOT_JOINED');
    expectError(await send(socket, 'media.restart', {}), 'NOT_JOINED');
    expectError(await send(socket, 'leave', {}), 'NOT_JOINED');
    expectError(await send(socket, 'drop-tables', {}), 'UNKNOWN_EVENT');
    expectError(await send(socket, 'constructor', {}), 'UNKNOWN_EVENT');
  });

  it('refuses a request for another protocol version with UNSUPPORTED_VERSION, naming the version it speaks', async () => {
    const socket = await rawSocket();
    const reply = await send(socket, 'join', { v: PROTOCOL_VERSION + 1, room: 'fuzzed', name: 'Future' });
    expectError(reply, 'UNSUPPORTED_VERSION');
    expect(reply.error!.message).toMatch(new RegExp(`^this server speaks protocol version ${PROTOCOL_VERSION}; `));
    expectError(await send(socket, 'leave', { v: 'two' }), 'UNSUPPORTED_VERSION');
    // Nothing was joined: the connection is still outside any meeting.
    expectError(await send(socket, 'leave', {}), 'NOT_JOINED');
  });

  it('answers out-of-order requests after join with BAD_STATE / ALREADY_JOINED', async () => {
    const socket = await rawSocket();
    const joined = await send(socket, 'join', { room: 'fuzzed', name: 'Mallory' });
    expect(joined.ok).toBe(true);
    expectError(await send(socket, 'join', { room: 'fuzzed', name: 'Mallory' }), 'ALREADY_JOINED');
    expectError(await send(socket, 'subscriber.answer', { offerId: 424242, sdp: SDP }), 'BAD_STATE');
    // An offer that is not a real SDP is refused without harming the room.
    expectError(await send(socket, 'publish', { sdp: `${SDP}m=garbage\r\n`, tracks: [{ mid: '0', source: 'camera' }] }));
    expect((await send(socket, 'leave', {})).ok).toBe(true);
    expectError(await send(socket, 'leave', {}), 'NOT_JOINED');
  });

  it('refuses oversized payloads with PAYLOAD_TOO_LARGE', async () => {
    const socket = await rawSocket();
    for (const event of Object.keys(ClientRequests)) {
      expectError(await send(socket, event, { sdp: `v=0${'a'.repeat(200_000)}` }), 'PAYLOAD_TOO_LARGE');
    }
    expectError(await send(socket, 'join', { room: 'fuzzed', name: 'x'.repeat(900_000) }), 'PAYLOAD_TOO_LARGE');
  });

  it('reports errors on server.error when the client gives no callback', async () => {
    const socket = await rawSocket();
    const error = new Promise<{ code: string; event?: string }>((resolve) => socket.once('server.error', resolve));
    socket.emit('publish', 'not an object');
    const received = await error;
    expect(received.event).toBe('publish');
    expect(ERROR_CODES).toContain(received.code as ErrorCode);
  });

  it('gives every malformed payload of every event a coded error', async () => {
    const rand = mulberry32(20261124);
    const events = Object.keys(ClientRequests);
    const fixed: unknown[] = [undefined, null, 0, 'join', [], [1, 2], { room: null }, { __proto__: { room: 'x' } }, { room: 'r', name: 'n', extra: 1 }];
    let socket = await rawSocket();
    let sent = 0;
    for (const event of events) {
      const payloads = [...fixed, ...Array.from({ length: 25 }, () => randomValue(rand))];
      for (const payload of payloads) {
        // Stay under the per-socket rate limit: that limit is tested on its own.
        if (++sent % 40 === 0) socket = await rawSocket();
        const reply = await send(socket, event, payload);
        if (reply.ok) {
          // Only a well-formed join can succeed; leave the room again to keep state clean.
          expect(event).toBe('join');
          await send(socket, 'leave', {});
          continue;
        }
        expectError(reply);
        expect(['BAD_REQUEST', 'NOT_JOINED', 'ALREADY_JOINED', 'BAD_STATE', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_VERSION']).toContain(reply.error!.code);
      }
    }
  });

  it('fuzzes every control from a joined host and a joined participant: coded errors only, and the meeting survives', async () => {
    const rand = mulberry32(424242);
    const controls = CONTROL_NAMES.filter((name) => name !== 'room.end');
    const host = await rawSocket();
    const guest = await rawSocket();
    expect((await send(host, 'join', { room: 'fuzzed-controls', name: 'Hana' })).ok).toBe(true);
    expect((await send(guest, 'join', { room: 'fuzzed-controls', name: 'Gus' })).ok).toBe(true);
    let sent = 0;
    for (const event of controls) {
      for (let i = 0; i < 10; i++) {
        for (const socket of [host, guest]) {
          // The rate limit (per socket: burst 60, then 30/s) has its own test; keep under it.
          if (++sent % 60 === 0) await new Promise((r) => setTimeout(r, 1_000));
          const reply = await send(socket, event, randomValue(rand));
          if (!reply.ok) {
            expectError(reply);
            expect(reply.error!.code, `${event}`).not.toBe('INTERNAL');
          }
        }
      }
    }
    // Still a meeting of two (a random remove may only have hit an unknown id) with working requests.
    const dump = server.rooms.get('fuzzed-controls')!.dump();
    expect(dump.participants.map((p) => p.name).sort()).toEqual(['Gus', 'Hana']);
    expect((await send(host, 'chat.send', { text: 'still here' })).ok).toBe(true);
    host.close();
    guest.close();
  });

  it('rate-limits a flooding client', async () => {
    const socket = await rawSocket();
    const replies = await Promise.all(Array.from({ length: 120 }, () => send(socket, 'leave', {})));
    expect(replies.some((r) => r.error?.code === 'RATE_LIMITED')).toBe(true);
  });

  it('keeps the meeting beside it working', async () => {
    const before = await bob.inboundPackets();
    const beforeAlice = await alice.inboundPackets();
    await waitUntil(async () => {
      const now = await bob.inboundPackets();
      const nowAlice = await alice.inboundPackets();
      return now.video > before.video + 20 && now.audio > before.audio + 20 && nowAlice.video > beforeAlice.video + 20;
    }, 10_000, 'media still flowing');
    const res = await fetch(`${server.url}/api/v1/rooms/fuzzed`, { headers: { authorization: `Bearer ${server.apiToken}` } });
    const dump = (await res.json()) as { participants: { name: string }[] };
    expect(dump.participants.map((p) => p.name).sort()).toEqual(['Alice', 'Bob']);
  });
});
