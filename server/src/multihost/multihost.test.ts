/**
 * Two Muster hosts (issue 18), each a network namespace running `npm start`'s
 * process tree (supervisor, gateways, app, media worker), sharing this
 * machine's PostgreSQL and Redis over a bridge, behind HAProxy in TCP mode
 * with no sticky sessions. People on different hosts chat live; a host dies
 * whole (SIGKILL to its tree) and its people reconnect through the balancer
 * to the other and catch up by seq, nothing lost.
 *
 * Needs root (`ip netns`), iproute2 and haproxy; CI runs as root and
 * installs haproxy. Elsewhere without them it is skipped with a notice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, postgresTestsEnabled, type TestSchema } from '@muster/db/testing';
import { redisTestsEnabled } from '@muster/kit/testing';
import { waitUntil } from '../testing/index.ts';
import { LonglinkTestClient } from '../gateway/testing/LonglinkTestClient.ts';
import { HostProcess, LoadBalancer, NetnsLab } from './NetnsHosts.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function enabled(): Promise<boolean> {
  const missing = [!NetnsLab.available() && 'root and ip netns', !LoadBalancer.available() && 'haproxy'].filter(Boolean);
  if (missing.length === 0) return (await postgresTestsEnabled('the multi-host test')) && (await redisTestsEnabled('the multi-host test'));
  if (process.env.CI === 'true') throw new Error(`the multi-host test needs ${missing.join(' and ')} (CI=true: this is a failure)`);
  console.warn(['', '!'.repeat(78), `!!  SKIPPING the multi-host test: no ${missing.join(', no ')}`, '!'.repeat(78), ''].join('\n'));
  return false;
}

const run = await enabled();

describe.skipIf(!run)('two hosts in network namespaces behind HAProxy', () => {
  let lab: NetnsLab;
  let schema: TestSchema;
  let balancer: LoadBalancer;
  const hosts: HostProcess[] = [];
  const clients: LonglinkTestClient[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-multihost-'));
  const apiToken = 'multihost-api-token-0123456789';

  /** REST through the balancer. */
  const api = async (method: string, route: string, token?: string, body?: unknown) => {
    const res = await fetch(`${balancer.url}/api/v1${route}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const signup = async (phone: string, nickname: string) => {
    expect((await api('POST', '/auth/codes', undefined, { phone, purpose: 'signup' })).status).toBe(204);
    let code: string | undefined;
    await waitUntil(() => (code = hosts.map((h) => h.codeFor(phone.slice(-4))).find(Boolean)) !== undefined, 10_000, 'the sign-up code in a host’s log');
    const reply = await api('POST', '/auth/signup', undefined, { phone, code, password: 'harbour-lantern-93', nickname });
    expect(reply.status).toBe(201);
    return reply.body as { accessToken: string; user: { id: string } };
  };
  /** Signed-in longlink connections each host's app reports (through its own address, not the balancer). */
  const heldBy = async (host: HostProcess) => {
    const text = await (await fetch(`http://${host.address}:8080/metrics`)).text();
    return Number(/^muster_gateway_connections_total (\d+)$/m.exec(text)?.[1] ?? 0);
  };
  const link = async (token: string) => {
    const client = await LonglinkTestClient.signIn(balancer.url, token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    schema = await createTestSchema();
    lab = NetnsLab.create();
    await lab.forward(5432);
    await lab.forward(6379);
    const databaseUrl = schema.url.replace('@127.0.0.1:', `@${lab.gateway}:`);
    expect(databaseUrl).not.toBe(schema.url);
    const shared = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://${lab.gateway}:6379`,
      REDIS_KEY_PREFIX: `multihost-${process.pid}`,
      MUSTER_KEY_PASSWORD_1: 'multihost-first-key-password-1',
      MUSTER_KEY_PASSWORD_2: 'multihost-second-key-password-2',
      MUSTER_API_TOKEN: apiToken,
      MEDIA_WORKERS: '1',
      GATEWAYS: '2',
      PORT: '8080',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      // The balancer's health checks and the test come from the bridge: no per-address limit should refuse them.
      RATE_REQUESTS_PER_ADDRESS: '100000',
    };
    // One after the other: the first creates the schema and the keyring.
    for (const [name, n] of [['a', 2], ['b', 3]] as const) {
      const { ns, address } = lab.addHost(name, n);
      fs.mkdirSync(path.join(dir, name));
      hosts.push(await HostProcess.start(ns, address, { ...shared, MUSTER_DATA_DIR: path.join(dir, name) }, REPO));
    }
    balancer = await LoadBalancer.start(dir, hosts.map((h) => `${h.address}:8080`));
  }, 300_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    balancer?.stop();
    await Promise.all(hosts.map((h) => h.stop()));
    lab?.destroy();
    await schema?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('spreads connections over both hosts without stickiness, and carries a chat between them live', async () => {
    const ann = await signup('+8613900006001', 'Ann');
    const ben = await signup('+8613900006002', 'Ben');
    const request = await api('POST', '/contacts/requests', ann.accessToken, { to: ben.user.id });
    expect((await api('POST', `/contacts/requests/${request.body.id}/accept`, ben.accessToken)).status).toBe(204);
    const conversation = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body as { id: string };

    const annLink = await link(ann.accessToken);
    await waitUntil(async () => (await heldBy(hosts[0]!)) + (await heldBy(hosts[1]!)) === 1, 10_000, 'Ann counted');
    const annHost = (await heldBy(hosts[0]!)) === 1 ? 0 : 1;
    // Least connections: Ben's connection goes to the other host.
    const benLink = await link(ben.accessToken);
    await waitUntil(async () => (await heldBy(hosts[1 - annHost]!)) === 1, 10_000, 'Ben on the other host');

    expect((await annLink.request('im.send', { conversationId: conversation.id, clientMsgId: 'mh-ann-0001', type: 'text', text: 'across hosts' })).ok).toBe(true);
    await benLink.next((f) => f.t === 'ev' && f.e === 'im.message', 15_000);
    expect(benLink.events('im.message')).toEqual([expect.objectContaining({ seq: 1, text: 'across hosts' })]);

    // Ben's host dies whole; he comes back through the balancer to Ann's and catches up.
    await hosts[1 - annHost]!.kill();
    await benLink.closed();
    expect((await annLink.request('im.send', { conversationId: conversation.id, clientMsgId: 'mh-ann-0002', type: 'text', text: 'while your host was down' })).ok).toBe(true);
    let back: LonglinkTestClient | undefined;
    await waitUntil(
      async () => {
        back = await link(ben.accessToken).catch(() => undefined);
        return back !== undefined;
      },
      30_000,
      'Ben reconnected through the balancer',
    );
    const history = (await back!.request('im.messages', { conversationId: conversation.id })) as { ok: boolean; d: { seq: number; text: string }[] };
    expect(history.d.map((m) => [m.seq, m.text])).toEqual([
      [1, 'across hosts'],
      [2, 'while your host was down'],
    ]);
    // And live again, on the surviving host.
    expect((await annLink.request('im.send', { conversationId: conversation.id, clientMsgId: 'mh-ann-0003', type: 'text', text: 'welcome back' })).ok).toBe(true);
    await back!.next((f) => f.t === 'ev' && f.e === 'im.message', 15_000);
    expect(balancer.config).not.toMatch(/stick|cookie|balance source/);
  });
});
