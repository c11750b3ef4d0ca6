/**
 * Two app processes as on two hosts (issue 18): one PostgreSQL, one Redis,
 * each app with its own gateway. A chat between people on the two hosts'
 * gateways (and socket.io devices on either app) arrives live both ways; an
 * announcement made on one host reaches the other's connections; passcode
 * guesses split over the two gateways still hit the one limit, counted in
 * Redis.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@muster/kit/log';
import { privateRedis, redisTestsEnabled, TEST_REDIS_URL } from '@muster/kit/testing';
import { createTestSchema, postgresTestsEnabled, type TestSchema } from '@muster/db/testing';
import { ProtocolClient } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { eventsOf, imPeople } from '../im/testing/people.ts';
import { Gateway } from '../gateway/Gateway.ts';
import { LonglinkTestClient } from '../gateway/testing/LonglinkTestClient.ts';

const enabled = (await postgresTestsEnabled('the cross-host fan-out test')) && (await redisTestsEnabled('the cross-host fan-out test'));
const SECRET = 'cross-host-secret-0123456789abcdef';

describe.skipIf(!enabled)('two hosts on one PostgreSQL and one Redis', () => {
  let schema: TestSchema;
  let prefix = '';
  const apps: Awaited<ReturnType<typeof startTestServer>>[] = [];
  const gateways: Gateway[] = [];
  const urls: string[] = [];
  const clients: LonglinkTestClient[] = [];
  const protocolClients: ProtocolClient[] = [];
  const onA = imPeople(() => apps[0]!);
  const onB = imPeople(() => apps[1]!);
  const link = async (host: number, token: string) => {
    const client = await LonglinkTestClient.signIn(urls[host]!, token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    schema = await createTestSchema();
    prefix = `muster-test-${randomBytes(4).toString('hex')}`;
    const logger = createLogger({ level: 'silent' });
    for (const host of ['a', 'b']) {
      const app = await startTestServer({ databaseUrl: schema.url, redisUrl: TEST_REDIS_URL, redisKeyPrefix: prefix, internalSecret: SECRET });
      apps.push(app);
      const gateway = new Gateway({ id: `gw-${host}`, appUrl: app.url, secret: SECRET, logger });
      urls.push(`http://127.0.0.1:${await gateway.listen(0)}`);
      await gateway.ready();
      gateways.push(gateway);
    }
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) client.close();
    for (const client of protocolClients) client.socket.close();
    for (const gateway of gateways) await gateway.close();
    await onB.closeAll();
    await onA.closeAll();
    await schema?.drop();
  });

  it('carries a chat live between people on the two hosts, both ways, to gateways and sockets', async () => {
    const ann = await onA.signup('+8613900009001', 'Ann');
    const ben = await onB.signup('+8613900009002', 'Ben');
    await onA.befriend(ann, ben);
    const annLink = await link(0, ann.accessToken);
    const benLink = await link(1, ben.accessToken);
    const benSocket = await onB.device(ben.accessToken);
    const conversation = (await onA.api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };

    expect((await annLink.request('im.send', { conversationId: conversation.id, clientMsgId: 'xh-ann-0001', type: 'text', text: '从甲机房发出' })).ok).toBe(true);
    await benLink.next((f) => f.t === 'ev' && f.e === 'im.message');
    await waitUntil(() => eventsOf(benSocket, 'im.message').length === 1, 10_000, 'the message on Ben’s socket on the other app');
    expect((await benLink.request('im.send', { conversationId: conversation.id, clientMsgId: 'xh-ben-0001', type: 'text', text: 'back from b' })).ok).toBe(true);
    await waitUntil(() => annLink.events('im.message').length === 2, 10_000, 'Ann has her own message and Ben’s reply');
    expect(annLink.events('im.message').map((m) => (m as { text: string }).text)).toEqual(['从甲机房发出', 'back from b']);
    expect(benLink.events('im.message')).toHaveLength(2);
  });

  it('sends an announcement made on one host to the other host’s connections', async () => {
    const cy = await onB.signup('+8613900009011', 'Cy');
    const cyLink = await link(1, cy.accessToken);
    const cySocket = await onB.device(cy.accessToken);
    const sent = await fetch(`${apps[0]!.url}/api/v1/announcements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apps[0]!.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'from host a' }),
    });
    expect(sent.status).toBe(202);
    await cyLink.next((f) => f.t === 'ev' && f.e === 'announcement');
    await waitUntil(() => eventsOf(cySocket, 'account.announcement').length === 1, 10_000, 'the announcement on the socket of the other app');
  });

  it('shows a contact online while any host holds a connection of theirs, and tells the other host’s contacts once', async () => {
    const fay = await onA.signup('+8613900009031', 'Fay');
    const gus = await onB.signup('+8613900009032', 'Gus');
    await onA.befriend(fay, gus);
    const gusLink = await link(1, gus.accessToken);
    const fayOnline = async () => ((await gusLink.request('im.presence', { ids: [fay.user.id] })) as { d: { online: boolean }[] }).d[0]!.online;
    expect(await fayOnline()).toBe(false);
    const onHostA = await link(0, fay.accessToken);
    await waitUntil(fayOnline, 10_000, 'Fay online as seen from host b');
    const announcements = () => gusLink.events('im.presence').filter((p) => (p as { userId: string }).userId === fay.user.id) as { online: boolean }[];
    await waitUntil(() => announcements().length === 1, 10_000, 'Gus told once');
    // A second connection on the other host changes nothing anyone sees.
    const onHostB = await link(1, fay.accessToken);
    onHostA.close();
    await onHostA.closed();
    expect(await fayOnline()).toBe(true);
    onHostB.close();
    await waitUntil(async () => !(await fayOnline()), 10_000, 'Fay offline once no host holds her');
    await waitUntil(() => announcements().length >= 2, 10_000, 'Gus told she left');
    expect(announcements().map((p) => p.online), JSON.stringify(gusLink.events('im.presence'))).toEqual([true, false]);
    // The host that never held her agrees.
    await waitUntil(() => !apps[0]!.im.presence.isOnline(fay.user.id), 10_000, 'host a agrees');
  });

  it('announces offline, once, the people of a host that stops while they are connected', async () => {
    const ida = await onA.signup('+8613900009041', 'Ida');
    const jon = await onB.signup('+8613900009042', 'Jon');
    await onA.befriend(ida, jon);
    const jonLink = await link(1, jon.accessToken);
    const third = await startTestServer({ databaseUrl: schema.url, redisUrl: TEST_REDIS_URL, redisKeyPrefix: prefix, internalSecret: SECRET });
    const gateway = new Gateway({ id: 'gw-c', appUrl: third.url, secret: SECRET, logger: createLogger({ level: 'silent' }) });
    try {
      const url = `http://127.0.0.1:${await gateway.listen(0)}`;
      await gateway.ready();
      const idaLink = await LonglinkTestClient.signIn(url, ida.accessToken);
      clients.push(idaLink);
      const seen = () => jonLink.events('im.presence').filter((p) => (p as { userId: string }).userId === ida.user.id).map((p) => (p as { online: boolean }).online);
      await waitUntil(() => seen().length === 1, 10_000, 'Ida online, told to Jon on host b');
      await gateway.close();
      await third.close();
      await waitUntil(() => seen().length >= 2, 20_000, 'Ida offline once her host stopped');
      expect(seen()).toEqual([true, false]);
      expect(apps[1]!.im.presence.isOnline(ida.user.id)).toBe(false);
    } finally {
      await gateway.close();
      await third.close();
    }
  });

  it('counts passcode guesses split over the two hosts’ gateways against one limit', async () => {
    const created = await fetch(`${apps[0]!.url}/api/v1/rooms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apps[0]!.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'xh-coded', passcode: 'right-one-4711' }),
    });
    expect(created.status).toBe(201);
    const codes: string[] = [];
    // Ten wrong guesses (the per-address budget), alternating between the hosts.
    for (let i = 0; i < 10; i++) {
      const client = await ProtocolClient.connect(urls[i % 2]!);
      protocolClients.push(client);
      const reply = await client.send('join', { room: 'xh-coded', name: `G${i}`, passcode: `wrong-${i}` });
      codes.push(reply.ok ? 'ok' : reply.error.code);
    }
    expect(codes.every((c) => c === 'PASSCODE_REQUIRED')).toBe(true);
    // Locked out on both hosts, even with the right passcode.
    for (const host of [0, 1]) {
      const client = await ProtocolClient.connect(urls[host]!);
      protocolClients.push(client);
      expect(await client.send('join', { room: 'xh-coded', name: 'Late', passcode: 'right-one-4711' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    }
  });
});

describe.skipIf(!enabled)('two hosts through a Redis that restarts', () => {
  it('delivers live again after Redis comes back, and what was sent while it was away arrives', async () => {
    const redis = await privateRedis();
    const schema = await createTestSchema();
    const apps: Awaited<ReturnType<typeof startTestServer>>[] = [];
    const clients: LonglinkTestClient[] = [];
    const gateways: Gateway[] = [];
    try {
      const urls: string[] = [];
      for (const host of ['a', 'b']) {
        const app = await startTestServer({ databaseUrl: schema.url, redisUrl: redis.url, redisKeyPrefix: 'restart', internalSecret: SECRET });
        apps.push(app);
        const gateway = new Gateway({ id: `gw-${host}`, appUrl: app.url, secret: SECRET, logger: createLogger({ level: 'silent' }) });
        gateways.push(gateway);
        urls.push(`http://127.0.0.1:${await gateway.listen(0)}`);
        await gateway.ready();
      }
      const a = imPeople(() => apps[0]!);
      const dee = await a.signup('+8613900009021', 'Dee');
      const eli = await a.signup('+8613900009022', 'Eli');
      await a.befriend(dee, eli);
      const conversation = (await a.api('POST', '/conversations', dee.accessToken, { userId: eli.user.id })).body as { id: string };
      const deeLink = await LonglinkTestClient.signIn(urls[0]!, dee.accessToken);
      const eliLink = await LonglinkTestClient.signIn(urls[1]!, eli.accessToken);
      clients.push(deeLink, eliLink);
      const send = (n: number) => deeLink.request('im.send', { conversationId: conversation.id, clientMsgId: `rr-dee-${String(n).padStart(4, '0')}`, type: 'text', text: `m${n}` });
      const texts = () => eliLink.events('im.message').map((m) => (m as { text: string }).text);

      expect((await send(1)).ok).toBe(true);
      await waitUntil(() => texts().length === 1, 10_000, 'the first message across');
      await redis.kill();
      // Stored (PostgreSQL is up); its live copy waits for Redis.
      expect((await send(2)).ok).toBe(true);
      await redis.start();
      await waitUntil(() => texts().includes('m2'), 30_000, 'the message sent while Redis was away');
      expect((await send(3)).ok).toBe(true);
      await waitUntil(() => texts().includes('m3'), 30_000, 'live again after the restart');
      expect(texts()).toEqual(['m1', 'm2', 'm3']);
    } finally {
      for (const client of clients) client.close();
      for (const gateway of gateways) await gateway.close();
      for (const app of apps) await app.close();
      await schema.drop();
      await redis.stop();
    }
  }, 120_000);
});
