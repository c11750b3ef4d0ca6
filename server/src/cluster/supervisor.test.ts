/**
 * One host's process tree (issue 18), as `npm start` runs it: the
 * supervisor holding the one listening socket, real gateway processes
 * accepting on it, and an app process (a test server, for cheap key
 * derivation). Connections spread over the gateways, a full gateway stops
 * accepting and more gateways start as they fill without a connection
 * refused, a chat crosses gateways, and deaths lose nothing: a killed
 * gateway's clients come back through another and catch up by seq; a
 * killed app comes back and its gateways' connections, kept open, work
 * again. (sharedPort.test.ts: the supervisor holds no client connection.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@muster/kit/log';
import { waitUntil } from '../testing/index.ts';
import type { SessionReply } from '@muster/accounts';
import { imPeople, PASSWORD } from '../im/testing/people.ts';
import { LonglinkTestClient } from '../gateway/testing/LonglinkTestClient.ts';
import { Supervisor } from './Supervisor.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CAP = 3;
const CEILING = 4;

describe('the supervisor, its gateways and its app', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-cluster-'));
  let supervisor: Supervisor;
  let url = '';
  const clients: LonglinkTestClient[] = [];
  const people = imPeople(() => ({ url, accounts: undefined as never, close: async () => undefined }));
  // By password (the app's policy here): its codes are in another process.
  const signup = async (phone: string, nickname: string) => (await people.api('POST', '/auth/signup', undefined, { phone, password: PASSWORD, nickname })).body as SessionReply;
  const signIn = async (token: string) => {
    const client = await LonglinkTestClient.signIn(url, token);
    clients.push(client);
    return client;
  };
  const gatewayOf = (client: LonglinkTestClient) => (client.frames[0] as { connectionId: string }).connectionId.split(':')[0];

  beforeAll(async () => {
    supervisor = new Supervisor({
      port: 0,
      host: '127.0.0.1',
      minGateways: 2,
      // Small, so that a handful of connections fills them; the ceiling just above, so that the last gateway
      // accepting reaches it while another starts (then nobody accepts for a moment: connections must wait, not fail).
      maxPerGateway: CAP,
      entry: path.join(here, '../main.ts'),
      appEntry: path.join(here, 'testing/testApp.fixture.ts'),
      env: { ...process.env, MUSTER_DATA_DIR: dataDir, LOG_LEVEL: 'warn', GATEWAY_CEILING: String(CEILING) },
      logger: createLogger({ level: 'silent' }),
    });
    await supervisor.start();
    url = `http://127.0.0.1:${supervisor.port}`;
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) client.close();
    await supervisor?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const closeAll = async () => {
    for (const client of clients.splice(0)) client.close();
    // Back under their caps, the gateways accept again (the next test starts from there).
    await waitUntil(() => supervisor.getStats().gateways.every((g) => g.connections < CAP), 30_000, 'the gateways emptied');
  };

  it('serves pages and REST on the one port, and the connections to it spread over the gateways', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ann = await signup('+8613900008001', 'Ann');
    const links = [];
    for (let i = 0; i < 5; i++) links.push(await signIn(ann.accessToken));
    // Whichever the kernel gives the first ones to, a gateway at its cap of 3 leaves the next ones to others.
    expect(new Set(links.map(gatewayOf)).size).toBeGreaterThanOrEqual(2);
    await closeAll();
  });

  it('a gateway at its cap stops taking connections, another starts, and none is refused meanwhile', async () => {
    const bo = await signup('+8613900008002', 'Bo');
    const started = new Set(supervisor.getStats().gateways.map((g) => g.id));
    // One after another: each is up (welcome) before the next; a refusal or reset would throw here.
    const links = [];
    for (let i = 0; i < 10; i++) links.push(await signIn(bo.accessToken));
    const perGateway = new Map<string, number>();
    for (const link of links) perGateway.set(gatewayOf(link), (perGateway.get(gatewayOf(link)) ?? 0) + 1);
    // 10 connections on gateways of 3 (4 at most while the last one accepting waits for a new one: past
    // that, nobody accepts for a moment and connections wait in the socket's queue).
    for (const count of perGateway.values()) expect(count).toBeLessThanOrEqual(CEILING);
    expect(perGateway.size).toBeGreaterThanOrEqual(3);
    await waitUntil(() => supervisor.getStats().gateways.some((g) => g.ready && !started.has(g.id)), 30_000, 'another gateway');
    const stats = supervisor.getStats();
    for (const gateway of stats.gateways) expect(gateway.connections).toBeLessThanOrEqual(CEILING);
    expect(stats.gateways.some((g) => g.accepting)).toBe(true);
    for (const link of links) expect(link.closeCode).toBeUndefined();
    await closeAll();
  });

  it('carries a chat across gateways, and a killed gateway’s clients reconnect elsewhere and catch up by seq', async () => {
    const cai = await signup('+8613900008003', 'Cai');
    const dan = await signup('+8613900008004', 'Dan');
    await people.befriend(cai, dan);
    const conversation = (await people.api('POST', '/conversations', cai.accessToken, { userId: dan.user.id })).body as { id: string };
    const caiLink = await signIn(cai.accessToken);
    let danLink = await signIn(dan.accessToken);
    while (gatewayOf(danLink) === gatewayOf(caiLink)) danLink = await signIn(dan.accessToken);
    expect((await caiLink.request('im.send', { conversationId: conversation.id, clientMsgId: 'cl-cai-0001', type: 'text', text: 'one' })).ok).toBe(true);
    await danLink.next((f) => f.t === 'ev' && f.e === 'im.message');

    const victim = supervisor.getStats().gateways.find((g) => g.id === gatewayOf(danLink))!;
    process.kill(victim.pid!, 'SIGKILL');
    await danLink.closed();
    // Sent while Dan's gateway is gone.
    const two = await caiLink.request('im.send', { conversationId: conversation.id, clientMsgId: 'cl-cai-0002', type: 'text', text: 'two' });
    expect(two.ok).toBe(true);
    const back = await signIn(dan.accessToken);
    expect(gatewayOf(back)).not.toBe(victim.id);
    const messages = (await back.request('im.messages', { conversationId: conversation.id })) as { ok: boolean; d: { seq: number; text: string }[] };
    expect(messages.d.map((m) => m.text)).toEqual(['one', 'two']);
    await waitUntil(() => supervisor.getStats().gateways.filter((g) => g.ready).length >= 2 && supervisor.getStats().restarts >= 1, 30_000, 'the gateway replaced');
    // New connections go on being accepted, on the others and the new one.
    for (let i = 0; i < 4; i++) expect(gatewayOf(await signIn(dan.accessToken))).not.toBe(victim.id);
    await closeAll();
  });

  it('brings a killed app back; the gateways keep their connections, and requests and deliveries work again', async () => {
    const eli = await signup('+8613900008005', 'Eli');
    const fay = await signup('+8613900008006', 'Fay');
    await people.befriend(eli, fay);
    const conversation = (await people.api('POST', '/conversations', eli.accessToken, { userId: fay.user.id })).body as { id: string };
    const eliLink = await signIn(eli.accessToken);
    const fayLink = await signIn(fay.accessToken);
    const before = supervisor.getStats();
    process.kill(before.appPid!, 'SIGKILL');
    await waitUntil(() => supervisor.getStats().appPid !== before.appPid, 30_000, 'a new app process');
    // Until the new app is up, a request is answered UNAVAILABLE, never left hanging; then it works.
    await waitUntil(async () => (await eliLink.request('im.sync', {})).ok, 60_000, 'requests answered by the new app');
    expect(eliLink.closeCode).toBeUndefined();
    expect((await eliLink.request('im.send', { conversationId: conversation.id, clientMsgId: 'cl-eli-0001', type: 'text', text: 'after the restart' })).ok).toBe(true);
    await fayLink.next((f) => f.t === 'ev' && f.e === 'im.message', 10_000);
    expect(fayLink.events('im.message')).toEqual([expect.objectContaining({ text: 'after the restart' })]);
  });
});

describe('the supervisor when no gateway may accept', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-cluster-queue-'));
  let supervisor: Supervisor;
  const clients: LonglinkTestClient[] = [];

  beforeAll(async () => {
    supervisor = new Supervisor({
      port: 0,
      host: '127.0.0.1',
      minGateways: 1,
      // One connection each, and no going past it: every connection after the first arrives while nobody accepts.
      maxPerGateway: 1,
      entry: path.join(here, '../main.ts'),
      appEntry: path.join(here, 'testing/testApp.fixture.ts'),
      env: { ...process.env, MUSTER_DATA_DIR: dataDir, LOG_LEVEL: 'warn', GATEWAY_CEILING: '1' },
      logger: createLogger({ level: 'silent' }),
    });
    await supervisor.start();
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) client.close();
    await supervisor?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the port listening: connections wait for the next gateway instead of being refused', async () => {
    const url = `http://127.0.0.1:${supervisor.port}`;
    // Each waits in the listening socket's queue (the supervisor's copy keeps it open) until a new gateway accepts it.
    for (let i = 0; i < 3; i++) clients.push(await LonglinkTestClient.open(url));
    // Opened: each was accepted by a gateway. Past the first, g1 could take none (a silent connection is closed
    // after the hello timeout, 10 s, and only then could it take one again), so more gateways were started.
    expect(supervisor.getStats().gateways.length).toBeGreaterThanOrEqual(2);
  });
});
