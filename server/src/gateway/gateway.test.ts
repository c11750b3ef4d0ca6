/**
 * Gateways in front of an app (issue 18), in this process: two gateways on
 * their own ports, each with its uplink to a real app. Chat between people
 * on different gateways, every refusal with its code, revocation and
 * announcements reaching longlink connections, presence, what passes
 * through to the app (REST, socket.io), and frames that are not the
 * protocol. The supervisor's processes are tested in cluster/.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { createLogger } from '@muster/kit/log';
import { mulberry32 } from '@muster/kit/testing';
import { CLOSE_CODES, LONGLINK_PATH, LONGLINK_VERSION } from '@muster/kit/longlink';
import { tlsFromEnv } from '../http/tls.ts';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { eventsOf, imPeople } from '../im/testing/people.ts';
import { Gateway } from './Gateway.ts';
import { UPLINK_PATH, UPLINK_VERSION } from './uplinkProtocol.ts';
import { LonglinkTestClient } from './testing/LonglinkTestClient.ts';

const SECRET = 'gateway-test-secret-0123456789abcdef';

describe('gateways and longlink', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const gateways: Gateway[] = [];
  const urls: string[] = [];
  const clients: LonglinkTestClient[] = [];
  const people = imPeople(() => server);

  const link = async (gateway: number, token: string) => {
    const client = await LonglinkTestClient.signIn(urls[gateway]!, token);
    clients.push(client);
    return client;
  };
  const open = async (gateway: number) => {
    const client = await LonglinkTestClient.open(urls[gateway]!);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer({ internalSecret: SECRET });
    const logger = createLogger({ level: process.env.GATEWAY_TEST_LOG ?? 'silent' });
    for (const id of ['gw-a', 'gw-b']) {
      const gateway = new Gateway({ id, appUrl: server.url, secret: SECRET, logger, helloTimeoutMs: 500, heartbeatMs: 60_000 });
      urls.push(`http://127.0.0.1:${await gateway.listen(0)}`);
      await gateway.ready();
      gateways.push(gateway);
    }
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    for (const gateway of gateways) await gateway.close();
    await people.closeAll();
  });

  it('carries a chat between people on different gateways, to every device, with the app’s own rules', async () => {
    const ann = await people.signup('+8613900007001', 'Ann');
    const ben = await people.signup('+8613900007002', 'Ben');
    await people.befriend(ann, ben);
    const annLink = await link(0, ann.accessToken);
    const benLink = await link(1, ben.accessToken);
    const benSocket = await people.device(ben.accessToken);
    const welcome = annLink.frames[0] as { t: string; accountId: string; heartbeatMs: number };
    expect(welcome).toMatchObject({ t: 'welcome', v: LONGLINK_VERSION, accountId: ann.user.id, heartbeatMs: 60_000 });

    const conversation = (await people.api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };
    const sent = await annLink.request('im.send', { conversationId: conversation.id, clientMsgId: 'gw-ann-00001', type: 'text', text: '跨网关的消息' });
    expect(sent).toMatchObject({ ok: true, d: { seq: 1 } });
    await benLink.next((f) => f.t === 'ev' && f.e === 'im.message');
    expect(benLink.events('im.message')).toEqual([expect.objectContaining({ seq: 1, text: '跨网关的消息', senderId: ann.user.id })]);
    await waitUntil(() => eventsOf(benSocket, 'im.message').length === 1, 5_000, 'the message on Ben’s socket.io device too');
    await waitUntil(() => annLink.events('im.message').length === 1, 5_000, 'the sender’s own link gets it as every device does');

    // The app's rules, answered with their codes through the gateway.
    expect(await annLink.request('im.send', { conversationId: conversation.id, clientMsgId: 'gw-ann-00002', type: 'text', text: '' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await annLink.request('im.nonsense', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    const stranger = await people.signup('+8613900007003', 'Eve');
    const eveLink = await link(0, stranger.accessToken);
    expect(await eveLink.request('im.messages', { conversationId: conversation.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(eveLink.events('im.message')).toEqual([]);

    // Sync over the link returns what was sent.
    const sync = await benLink.request('im.sync', {});
    expect(sync.ok).toBe(true);
    expect(server.gateways!.stats()).toMatchObject({ gateways: 2 });
  });

  it('refuses a bad token, another version and a silent connection, each with its code', async () => {
    await expect(LonglinkTestClient.signIn(urls[0]!, 'not-a-token')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const wrongVersion = await open(0);
    wrongVersion.raw({ t: 'hello', v: 99, token: 'x' });
    expect(await wrongVersion.closed()).toBe(CLOSE_CODES.UNSUPPORTED_VERSION);
    const silent = await open(1);
    expect(await silent.closed()).toBe(CLOSE_CODES.HELLO_TIMEOUT);
    expect(silent.frames.at(-1)).toMatchObject({ t: 'bye', code: 'HELLO_TIMEOUT' });
    const early = await open(0);
    early.raw({ t: 'req', id: 1, e: 'im.sync', d: {} });
    expect(await early.next((f) => f.t === 'res')).toMatchObject({ ok: false, error: { code: 'NOT_READY' } });
  });

  it('drops a sign-in its gateway stopped waiting for, unanswered, and answers one still awaited', async () => {
    const uplink = new WebSocket(`${server.url.replace(/^http/, 'ws')}${UPLINK_PATH}`, { headers: { authorization: `Bearer ${SECRET}` } });
    const answers: { t: string; rid: number }[] = [];
    uplink.on('message', (data) => answers.push(JSON.parse(data.toString()) as { t: string; rid: number }));
    await new Promise((resolve, reject) => uplink.once('open', resolve).once('error', reject));
    try {
      const lateBefore = server.gateways.stats().late;
      uplink.send(JSON.stringify({ t: 'hello', v: UPLINK_VERSION, gatewayId: 'gw-late' }));
      uplink.send(JSON.stringify({ t: 'auth', rid: 1, token: 'a.b.c', until: Date.now() - 1 }));
      uplink.send(JSON.stringify({ t: 'auth', rid: 2, token: 'a.b.c', until: Date.now() + 30_000 }));
      await waitUntil(() => answers.some((a) => a.rid === 2));
      expect(answers).toEqual([{ t: 'auth', rid: 2, principal: null }]);
      expect(server.gateways.stats().late).toBe(lateBefore + 1);
    } finally {
      uplink.close();
    }
  });

  it('does not hold its own stall against a connection: a ping that waited unread while it was busy keeps the link', async () => {
    // A gateway of its own, with a 200 ms heartbeat (a deadline of 500 ms); closed after, as the count of gateways is tested.
    const gateway = new Gateway({ id: 'gw-stall', appUrl: server.url, secret: SECRET, logger: createLogger({ level: 'silent' }), heartbeatMs: 200 });
    try {
      const url = `http://127.0.0.1:${await gateway.listen(0)}`;
      await gateway.ready();
      const lee = await people.signup('+8613900007012', 'Lee');
      const leeLink = await LonglinkTestClient.signIn(url, lee.accessToken);
      clients.push(leeLink);
      // The ping reaches the gateway's socket; then the process (gateway and client alike) is busy for six
      // deadlines. The sweep runs before the poll that would read the ping.
      leeLink.raw({ t: 'ping' });
      const busyUntil = Date.now() + 3_000;
      while (Date.now() < busyUntil);
      await leeLink.next((f) => f.t === 'pong');
      leeLink.raw({ t: 'ping' });
      await leeLink.next((f) => f.t === 'pong' && leeLink.frames.filter((g) => g.t === 'pong').length === 2);
      expect(leeLink.frames.some((f) => f.t === 'bye')).toBe(false);
    } finally {
      await gateway.close();
    }
  });

  it('answers pings, and closes a device’s links when it is signed out', async () => {
    const kim = await people.signup('+8613900007011', 'Kim');
    const kimLink = await link(1, kim.accessToken);
    kimLink.raw({ t: 'ping' });
    await kimLink.next((f) => f.t === 'pong');
    expect((await people.api('POST', '/auth/logout', kim.accessToken, { refreshToken: kim.refreshToken })).status).toBe(204);
    expect(await kimLink.closed()).toBe(CLOSE_CODES.SIGNED_OUT);
    expect(kimLink.events('account.signed-out')).toEqual([{ reason: 'signed-out' }]);
    await expect(LonglinkTestClient.signIn(urls[0]!, kim.accessToken)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('sends an announcement to every connection on every gateway and socket, through the gateway’s REST', async () => {
    const lea = await people.signup('+8613900007021', 'Lea');
    const onA = await link(0, lea.accessToken);
    const onB = await link(1, lea.accessToken);
    const socket = await people.device(lea.accessToken);
    const refused = await fetch(`${urls[0]}/api/v1/announcements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x' }) });
    expect(refused.status).toBe(401);
    const bad = await fetch(`${urls[0]}/api/v1/announcements`, { method: 'POST', headers: { authorization: `Bearer ${server.apiToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ text: '' }) });
    expect(bad.status).toBe(400);
    const sent = await fetch(`${urls[0]}/api/v1/announcements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: '系统将于 22:00 维护' }),
    });
    expect(sent.status).toBe(202);
    const announcement = (await sent.json()) as { id: string; text: string; sentAt: number };
    expect(announcement.text).toBe('系统将于 22:00 维护');
    for (const client of [onA, onB]) await client.next((f) => f.t === 'ev' && f.e === 'announcement');
    expect(onA.events('announcement')).toEqual([announcement]);
    expect(onB.events('announcement')).toEqual([announcement]);
    await waitUntil(() => eventsOf(socket, 'account.announcement').length === 1, 5_000, 'the announcement on the socket.io device');
  });

  it('keeps presence for longlink connections: online while one is held anywhere', async () => {
    const max = await people.signup('+8613900007031', 'Max');
    const nia = await people.signup('+8613900007032', 'Nia');
    await people.befriend(max, nia);
    const niaLink = await link(0, nia.accessToken);
    const presence = async () => ((await niaLink.request('im.presence', { ids: [max.user.id] })) as { d: { online: boolean }[] }).d[0]!.online;
    expect(await presence()).toBe(false);
    const first = await link(0, max.accessToken);
    const second = await link(1, max.accessToken);
    await waitUntil(async () => (await presence()) === true, 5_000, 'Max online');
    first.close();
    await first.closed();
    // Still held by the other gateway.
    await waitUntil(() => server.gateways!.stats().connections >= 1, 5_000, 'the detach counted');
    expect(await presence()).toBe(true);
    second.close();
    await waitUntil(async () => (await presence()) === false, 10_000, 'Max offline once no gateway holds him');
  });

  it('passes pages, REST and socket.io through to the app', async () => {
    expect((await fetch(`${urls[1]}/healthz`)).status).toBe(200);
    const zoe = await people.signup('+8613900007041', 'Zoe');
    const me = await fetch(`${urls[1]}/api/v1/me`, { headers: { authorization: `Bearer ${zoe.accessToken}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { id: string }).id).toBe(zoe.user.id);
    const socket = connect(`${urls[1]}/account`, { transports: ['websocket'], auth: { accessToken: zoe.accessToken }, reconnection: false, forceNew: true });
    people.onClose(() => socket.close());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const reply = (await socket.timeout(10_000).emitWithAck('im.sync', {})) as { ok: boolean };
    expect(reply.ok).toBe(true);
    // The app's /metrics shows its gateways, with the figures each reports of its own process.
    const metrics = async () => (await fetch(`${urls[1]}/metrics`)).text();
    expect(await metrics()).toMatch(/^muster_gateways 2$/m);
    await waitUntil(async () => /^muster_gateway_heap_bytes\{gateway="gw-a"\} \d+$/m.test(await metrics()), 15_000, 'the gateways’ own figures');
  });

  it('answers frames that are not the protocol without crashing, and closes a connection that keeps sending them', async () => {
    const yan = await people.signup('+8613900007051', 'Yan');
    const fuzzed = await link(0, yan.accessToken);
    const random = mulberry32(18);
    const junk = (): unknown => {
      const pick = Math.floor(random() * 7);
      if (pick === 0) return 'not json {';
      if (pick === 1) return { t: 'req', id: -1, e: 'im.sync' };
      if (pick === 2) return { t: 'req', id: 5, e: 'x'.repeat(100) };
      if (pick === 3) return { t: 'hello', v: LONGLINK_VERSION, token: 'again' };
      if (pick === 4) return [1, 2, 3];
      if (pick === 5) return { t: 'nope' };
      return { t: 'req', id: Math.floor(random() * 1000), e: 'im.send', d: { conversationId: 42 } };
    };
    // Well-formed requests with bad payloads are answered one by one and never end the connection.
    for (let i = 0; i < 20; i++) {
      const reply = await fuzzed.request('im.send', { conversationId: 'c_'.repeat(Math.floor(random() * 40)), text: random() });
      expect(reply.ok).toBe(false);
    }
    const big = await fuzzed.request('im.sync', { since: 'x'.repeat(20_000) });
    expect(big.ok).toBe(false);
    // Frames that are not the protocol: each answered, and the connection closed after ten.
    const other = await link(1, yan.accessToken);
    other.raw('not json {');
    await other.next((f) => f.t === 'error');
    for (let i = 0; i < 30 && other.closeCode === undefined; i++) other.raw(junk());
    const code = await other.closed();
    expect([CLOSE_CODES.PROTOCOL_ERROR]).toContain(code);
    expect(other.frames.some((f) => f.t === 'error' && f.error.code === 'BAD_FRAME')).toBe(true);
    // The gateway still serves everyone else.
    expect((await fuzzed.request('im.sync', {})).ok).toBe(true);
  });
});

describe('a gateway with built-in TLS', () => {
  it('serves longlink over wss and passes HTTPS requests through to the app', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-tls-'));
    const server = await startTestServer({ internalSecret: SECRET });
    const logger = createLogger({ level: 'silent' });
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
      const tls = tlsFromEnv({ TLS_CERT: path.join(dir, 'cert.pem'), TLS_KEY: path.join(dir, 'key.pem') })!;
      const gateway = new Gateway({ id: 'gw-tls', appUrl: server.url, secret: SECRET, logger, tls });
      const port = await gateway.listen(0);
      await gateway.ready();
      const ca = [tls.cert];
      const health = await new Promise<number>((resolve, reject) => https.get({ host: '127.0.0.1', port, path: '/healthz', ca }, (res) => resolve(res.statusCode!)).on('error', reject));
      expect(health).toBe(200);
      const people = imPeople(() => server);
      const ivy = await people.signup('+8613900007061', 'Ivy');
      const ws = new WebSocket(`wss://127.0.0.1:${port}${LONGLINK_PATH}`, { ca });
      const welcome = await new Promise<any>((resolve, reject) => {
        ws.once('open', () => ws.send(JSON.stringify({ t: 'hello', v: LONGLINK_VERSION, token: ivy.accessToken })));
        ws.once('message', (data) => resolve(JSON.parse(data.toString())));
        ws.once('error', reject);
      });
      expect(welcome).toMatchObject({ t: 'welcome', accountId: ivy.user.id });
      ws.close();
      await gateway.close();
      expect(() => tlsFromEnv({ TLS_CERT: path.join(dir, 'cert.pem') })).toThrow(/go together/);
      expect(() => tlsFromEnv({ TLS_CERT: path.join(dir, 'none.pem'), TLS_KEY: path.join(dir, 'key.pem') })).toThrow(/TLS_CERT: cannot read/);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
