/**
 * Regression tests for the outside probe's findings on the meetings server
 * (issue 13): ghost rooms, the handed-on host key, passcode guessing, origins,
 * names, REST bodies, per-address limits, idle sockets and /metrics.
 * Each fails without its fix.
 */
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustProxyFrom } from '@muster/kit/client-address';
import { ProtocolClient, type Reply } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;

/** Connects a socket with chosen headers (a browser's Origin, a proxy's X-Forwarded-For). */
function connectWith(url: string, headers: Record<string, string>): Promise<ProtocolClient | Error> {
  return ProtocolClient.connect(url, headers).catch((error: Error) => error);
}

describe('meeting server security (issue 13)', () => {
  let server: Server;
  const clients: ProtocolClient[] = [];
  const api = (method: string, path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/api/v1${path}`, { method, ...init, headers: { Authorization: `Bearer ${server.apiToken}`, ...(init.headers as Record<string, string>) } });

  beforeAll(async () => {
    server = await startTestServer({ security: { allowedOrigins: ['https://portal.example.org'], metricsToken: 'metrics-secret-123' } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
  });

  async function connect(): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(server.url);
    clients.push(client);
    return client;
  }

  async function join(room: string, name: string, extra: Record<string, unknown> = {}): Promise<ProtocolClient> {
    const client = await ProtocolClient.join(server.url, room, name, extra);
    clients.push(client);
    return client;
  }

  it('fifty concurrent joins on one socket make one participant, and closing the socket leaves no room behind', async () => {
    const before = server.rooms.rooms.length;
    const client = await connect();
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => client.send('join', { room: `ghost-${i}`, name: 'Gus' })));
    const joined = replies.filter((r) => r.ok);
    expect(joined).toHaveLength(1);
    expect(replies.filter((r) => !r.ok).every((r) => !r.ok && r.error.code === 'ALREADY_JOINED')).toBe(true);
    expect(server.rooms.rooms.length).toBe(before + 1);
    client.close();
    // Participant grace (3 s in tests), then the room's close grace (1 s).
    await waitUntil(() => server.rooms.rooms.length === before, 15_000, 'every room to close');
  });

  it('a socket that closes while its join is still running leaves nothing behind', async () => {
    const before = server.rooms.rooms.length;
    for (let i = 0; i < 5; i++) {
      const client = await connect();
      client.socket.emit('join', { room: `drop-${i}`, name: 'Dee' }, () => undefined);
      client.close();
    }
    await waitUntil(() => server.rooms.rooms.length === before && server.rooms.rooms.every((r) => !r.id.startsWith('drop-')), 15_000, 'the dropped joins to be cleaned up');
  });

  it('a refused join (bogus admission ticket, stale resume, wrong passcode, lock) creates no room', async () => {
    const created = await api('POST', '/rooms', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 'locked-one', locked: true }) });
    expect(created.status).toBe(201);
    const withCode = await api('POST', '/rooms', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 'coded-one', passcode: '4711' }) });
    expect(withCode.status).toBe(201);
    const client = await connect();
    expect(await client.send('join', { room: 'nobody-here', name: 'Ann', admission: 'x'.repeat(24) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await client.send('join', { room: 'nobody-here', name: 'Ann', resume: { participantId: 'p', token: 'y'.repeat(24) } })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await client.send('join', { room: 'locked-one', name: 'Ann' })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    expect(await client.send('join', { room: 'coded-one', name: 'Ann', passcode: '0000' })).toMatchObject({ ok: false, error: { code: 'PASSCODE_REQUIRED' } });
    for (const id of ['nobody-here', 'locked-one', 'coded-one']) expect(server.rooms.get(id), id).toBeUndefined();
  });

  it('the permanent host key is not handed on when the host of a scheduled meeting leaves; the heir hosts this session only', async () => {
    const res = await api('POST', '/rooms', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 'board-review', passcode: 'open-sesame-42' }) });
    const { hostKey } = (await res.json()) as { hostKey: string };
    const host = await join('board-review', 'Hana', { hostKey });
    expect(host.joined!.moderator?.hostKey).toBe(hostKey);
    const heir = await join('board-review', 'Pat', { passcode: 'open-sesame-42' });
    await host.send('leave', {});
    const moderator = await heir.waitFor('moderator.updated', (m) => m !== null);
    expect(moderator).toMatchObject({ hostKey: null });
    expect(heir.received('control.notice').some((n) => n.type === 'roleChanged' && n.role === 'host')).toBe(true);
    expect(JSON.stringify(heir.events)).not.toContain(hostKey);
    // Back in a later session with the meeting token from this one: a participant again, and the passcode is asked.
    const token = heir.joined!.meetingToken;
    await heir.send('leave', {});
    await waitUntil(() => !server.rooms.get('board-review'), 10_000, 'the session to end');
    const again = await connect();
    expect(await again.send('join', { room: 'board-review', name: 'Pat', token })).toMatchObject({ ok: false, error: { code: 'PASSCODE_REQUIRED' } });
  });

  it('an ad-hoc meeting’s host who hands over the role hands over its (session-long) key; an heir by departure gets none', async () => {
    const first = await join('adhoc-keys', 'Ann');
    const key = first.joined!.moderator!.hostKey!;
    expect(key).toEqual(expect.any(String));
    const second = await join('adhoc-keys', 'Ben');
    await first.send('leave', {});
    expect(await second.waitFor('moderator.updated', (m) => m !== null)).toMatchObject({ hostKey: null });
  });

  it('passcode guessing: wrong tries from one address lock it out, whatever X-Forwarded-For says; the right code is refused meanwhile', async () => {
    const guarded = await startTestServer();
    try {
      await fetch(`${guarded.url}/api/v1/rooms`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${guarded.apiToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ id: 'vault', passcode: '8642' }),
      });
      const sockets = await Promise.all(Array.from({ length: 10 }, () => ProtocolClient.connect(guarded.url)));
      const codes: string[] = [];
      for (let i = 0; i < 30; i++) {
        const reply = await sockets[i % 10]!.send('join', { room: 'vault', name: 'Guesser', passcode: String(1000 + i) });
        codes.push(reply.ok ? 'OK' : reply.error.code);
      }
      expect(codes.slice(0, 10).every((c) => c === 'PASSCODE_REQUIRED')).toBe(true);
      expect(codes.slice(10).every((c) => c === 'RATE_LIMITED')).toBe(true);
      const right = await sockets[0]!.send('join', { room: 'vault', name: 'Guesser', passcode: '8642' });
      expect(right).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      expect(!right.ok && right.error.message).toMatch(/try again in \d+/);
      expect(guarded.rooms.get('vault')).toBeUndefined();
      for (const s of sockets) s.close();

      // This server trusts no proxy: a forged header does not buy a fresh address.
      for (let i = 0; i < 5; i++) {
        const forged = await connectWith(guarded.url, { 'X-Forwarded-For': `203.0.113.${i + 1}` });
        if (forged instanceof Error) throw forged;
        expect(await forged.send('join', { room: 'vault', name: 'G', passcode: '8642' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
        forged.close();
      }
    } finally {
      await guarded.close();
    }
  });

  it('X-Forwarded-For is believed from a proxy TRUST_PROXY names; a meeting under attack from many addresses locks too', async () => {
    const proxied = await startTestServer({ security: { trustProxy: trustProxyFrom('loopback') } });
    try {
      await fetch(`${proxied.url}/api/v1/rooms`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${proxied.apiToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ id: 'vault-3', passcode: '2468' }),
      });
      const codes: string[] = [];
      // 60 addresses, one wrong try each: no address is locked, but the meeting is after 50.
      for (let i = 0; i < 60; i++) {
        const c = await connectWith(proxied.url, { 'X-Forwarded-For': `198.51.100.${i + 1}` });
        if (c instanceof Error) throw c;
        const reply = await c.send('join', { room: 'vault-3', name: 'G', passcode: '0000' });
        codes.push(reply.ok ? 'OK' : reply.error.code);
        c.close();
      }
      expect(codes.slice(0, 50).every((c) => c === 'PASSCODE_REQUIRED')).toBe(true);
      expect(codes.slice(50).every((c) => c === 'RATE_LIMITED')).toBe(true);
    } finally {
      await proxied.close();
    }
  });

  it('socket.io refuses pages of other origins (and Origin: null) on every namespace; same origin and ALLOWED_ORIGINS connect', async () => {
    for (const namespace of ['', '/board']) {
      for (const origin of ['https://evil.example', 'null', 'http://localhost.evil.example', 'file://']) {
        const result = await new Promise<string>((resolve) => {
          const socket = io(`${server.url}${namespace}`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { Origin: origin } });
          socket.once('connect', () => {
            socket.close();
            resolve('connected');
          });
          socket.once('connect_error', () => {
            socket.close();
            resolve('refused');
          });
        });
        expect(result, `${namespace || '/'} from ${origin}`).toBe('refused');
      }
    }
    const own = await connectWith(server.url, { Origin: server.url });
    expect(own).toBeInstanceOf(ProtocolClient);
    (own as ProtocolClient).close();
    const allowed = await connectWith(server.url, { Origin: 'https://portal.example.org' });
    expect(allowed).toBeInstanceOf(ProtocolClient);
    (allowed as ProtocolClient).close();
  });

  it('the API sends CORS headers to allowed origins only', async () => {
    const preflight = await fetch(`${server.url}/api/v1/rooms`, { method: 'OPTIONS', headers: { Origin: 'https://portal.example.org', 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://portal.example.org');
    const other = await fetch(`${server.url}/api/v1/rooms`, { headers: { Origin: 'https://evil.example', Authorization: `Bearer ${server.apiToken}` } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('display names and topics: NFC, and no controls, direction overrides, lone surrogates, invisible-only names, or the host’s name', async () => {
    const client = await connect();
    for (const name of ['Ann\u202Egpj.exe', 'Bob\u0085', '\u200B\u200B', '\u200D', 'x\uD800y', 'a\u2066b', '\u3164', '   ']) {
      expect(await client.send('join', { room: 'names', name }), JSON.stringify(name)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    const host = await join('names', 'Hana');
    const composed = await join('names', 'Jose\u0301');
    expect(composed.joined!.self.name).toBe('José');
    expect(await client.send('join', { room: 'names', name: ' hana ' })).toMatchObject({ ok: false, error: { code: 'NAME_TAKEN' } });
    expect(await host.send('room.update', { topic: 'Budget\u202E' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const topic = await api('POST', '/rooms', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ topic: 'a\u0000b' }) });
    expect(topic.status).toBe(400);
  });

  it('REST bodies: JSON only (415 otherwise, nothing created), and a deeply nested body is a 400, never a 500', async () => {
    const roomsBefore = ((await (await api('GET', '/rooms')).json()) as unknown[]).length;
    const plain = await api('POST', '/rooms', { headers: { 'Content-Type': 'text/plain' }, body: '{"id":"plain-text"}' });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect(((await (await api('GET', '/rooms')).json()) as unknown[]).length).toBe(roomsBefore);

    await join('data-room', 'Dan');
    const deep = `{"data":${'['.repeat(4200)}${']'.repeat(4200)}}`;
    const res = await api('POST', '/rooms/data-room/data', { headers: { 'Content-Type': 'application/json' }, body: deep });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    const fine = await api('POST', '/rooms/data-room/data', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: [[[1]]] }) });
    expect(fine.status).toBe(200);
  });

  it('a socket frame nested 400,000 deep (under the 1 MB frame limit) gets coded errors, and the server stays up', async () => {
    // Raw engine.io frames: socket.io-client itself could not serialise such a payload.
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const frames: string[] = [];
    ws.on('message', (data) => frames.push(String(data)));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('40');
    await waitUntil(() => frames.some((f) => f.startsWith('40')), 5_000, 'the socket.io connect');
    const deep = `${'['.repeat(400_000)}${']'.repeat(400_000)}`;
    ws.send(`421["join",{"room":"deep","name":"D","extra":${deep}}]`);
    ws.send(`422["no.such",${deep}]`);
    ws.send('423["leave",{}]');
    await waitUntil(() => frames.some((f) => f.startsWith('433')), 10_000, 'the third reply');
    expect(frames.find((f) => f.startsWith('431'))).toContain('"ok":false');
    expect(frames.find((f) => f.startsWith('432'))).toContain('UNKNOWN_EVENT');
    expect(frames.find((f) => f.startsWith('433'))).toContain('NOT_JOINED');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    ws.close();
  });

  it('unknown events count against a budget per address, across sockets', async () => {
    const limited = await startTestServer({ security: { requestLimits: { requestsPerSecond: 50, joinsPerMinute: 100, chatsPerMinute: 20, joinsPerMeetingPerMinute: 100 } } });
    try {
      const sockets = await Promise.all(Array.from({ length: 20 }, () => ProtocolClient.connect(limited.url)));
      const replies = await Promise.all(sockets.flatMap((s) => Array.from({ length: 10 }, () => s.send('no.such.event' as never, {}))));
      const codes = replies.map((r) => (r.ok ? 'OK' : r.error.code));
      // 200 unknown events at once against 50 a second: most are refused (a per-socket bucket alone refuses none of them).
      expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(50);
      expect(codes.every((c) => c === 'RATE_LIMITED' || c === 'UNKNOWN_EVENT')).toBe(true);
      for (const s of sockets) s.close();
    } finally {
      await limited.close();
    }
  });

  it('chat counts against a budget per address, across sockets', async () => {
    const limited = await startTestServer({ security: { requestLimits: { requestsPerSecond: 100, joinsPerMinute: 100, chatsPerMinute: 20, joinsPerMeetingPerMinute: 100 } } });
    try {
      // Chat: 20 a minute from one address, however many sockets send it.
      const chatters = [];
      for (let i = 0; i < 5; i++) chatters.push(await ProtocolClient.join(limited.url, 'chatty', `C${i}`));
      // Within one second's request budget: what stops them is the chat budget.
      const batch = await Promise.all(chatters.flatMap((c) => Array.from({ length: 6 }, () => c.send('chat.send', { text: 'spam' }))));
      const sent = batch.map((r) => (r.ok ? 'OK' : r.error.code));
      expect(sent.filter((c) => c === 'OK').length).toBeLessThanOrEqual(20);
      expect(sent.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(10);
      for (const c of chatters) c.close();
    } finally {
      await limited.close();
    }
  });

  it('joins of one meeting are limited per minute whatever the address', async () => {
    const proxied = await startTestServer({ security: { trustProxy: trustProxyFrom('loopback'), requestLimits: { requestsPerSecond: 1000, joinsPerMinute: 1000, chatsPerMinute: 100, joinsPerMeetingPerMinute: 10 } } });
    try {
      const codes: string[] = [];
      for (let i = 0; i < 15; i++) {
        const c = await connectWith(proxied.url, { 'X-Forwarded-For': `198.51.100.${i + 1}` });
        if (c instanceof Error) throw c;
        clients.push(c);
        const reply = await c.send('join', { room: 'popular', name: `P${i}` });
        codes.push(reply.ok ? 'OK' : reply.error.code);
      }
      expect(codes.slice(0, 10).every((c) => c === 'OK')).toBe(true);
      expect(codes.slice(10).every((c) => c === 'RATE_LIMITED')).toBe(true);
      // Another meeting is not affected.
      const other = await connectWith(proxied.url, { 'X-Forwarded-For': '198.51.100.99' });
      if (other instanceof Error) throw other;
      clients.push(other);
      expect(await other.send('join', { room: 'quiet', name: 'Q' })).toMatchObject({ ok: true });
    } finally {
      await proxied.close();
    }
  });

  it('a socket that never joins is dropped after the join timeout', async () => {
    const quick = await startTestServer({ security: { joinTimeoutMs: 500 } });
    try {
      const idle = await ProtocolClient.connect(quick.url);
      const member = await ProtocolClient.join(quick.url, 'stays', 'Sam');
      await waitUntil(() => idle.socket.disconnected, 10_000, 'the idle socket to be dropped');
      expect(member.socket.connected).toBe(true);
      member.close();
    } finally {
      await quick.close();
    }
  });

  it('/metrics needs METRICS_TOKEN when one is set', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer metrics-secret-123' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('muster_rooms');
  });
});
