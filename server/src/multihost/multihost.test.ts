/**
 * Two Muster app hosts and two media hosts (issue 18), each a network
 * namespace: the app hosts run `npm start`'s process tree (supervisor,
 * gateways, app) with no media workers of their own, the media hosts
 * `MUSTER_ROLE=media`; all share this machine's PostgreSQL and Redis over a
 * bridge, the app hosts behind HAProxy in TCP mode with no sticky sessions.
 * A meeting whose two participants come through different app hosts (and so
 * different gateways) spans both media hosts, and its tracks cross between
 * them through pipe transports, counted on both; a media host dies and the
 * meeting moves to the other. People on different hosts chat live; a host
 * dies whole (SIGKILL to its tree) and its people reconnect through the
 * balancer to the other and catch up by seq, nothing lost.
 *
 * Needs root (`ip netns`), iproute2 and haproxy; CI runs as root and
 * installs haproxy. Elsewhere without them it is skipped with a notice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestsEnabled } from '@muster/db/testing';
import { redisTestsEnabled } from '@muster/kit/testing';
import { NodePeer } from '@muster/signaling/testing';
import { waitUntil } from '../testing/index.ts';
import { mediaBackOnNewSubscribers } from '../testing/mediaRecovery.ts';
import { LonglinkTestClient } from '../gateway/testing/LonglinkTestClient.ts';
import { LoadBalancer, NetnsLab, type HostProcess } from './NetnsHosts.ts';
import { MultihostLab } from './MultihostLab.ts';

async function enabled(): Promise<boolean> {
  const missing = [!NetnsLab.available() && 'root and ip netns', !LoadBalancer.available() && 'haproxy'].filter(Boolean);
  if (missing.length === 0) return (await postgresTestsEnabled('the multi-host test')) && (await redisTestsEnabled('the multi-host test'));
  if (process.env.CI === 'true') throw new Error(`the multi-host test needs ${missing.join(' and ')} (CI=true: this is a failure)`);
  console.warn(['', '!'.repeat(78), `!!  SKIPPING the multi-host test: no ${missing.join(', no ')}`, '!'.repeat(78), ''].join('\n'));
  return false;
}

const run = await enabled();

describe.skipIf(!run)('two hosts in network namespaces behind HAProxy', () => {
  let lab: MultihostLab;
  let balancer: LoadBalancer;
  let hosts: HostProcess[] = [];
  let mediaHosts: HostProcess[] = [];
  const clients: LonglinkTestClient[] = [];
  const peers: NodePeer[] = [];
  const mediaSecret = 'multihost-media-secret-0123456789';
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
    // One person per router: a meeting of two spans both media hosts.
    lab = await MultihostLab.start({ env: { ROOM_PARTICIPANTS_PER_WORKER: '1' } });
    ({ balancer, hosts, mediaHosts } = lab);
    expect([lab.apiToken, lab.mediaSecret]).toEqual([apiToken, mediaSecret]);
  }, 300_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const peer of peers) await peer.close().catch(() => undefined);
    await lab?.stop();
  }, 60_000);

  /** A media host's pipe counters, from its own /metrics (it needs the media secret). */
  const pipeCounters = async (host: HostProcess) => {
    const res = await fetch(`http://${host.address}:4443/metrics`, { headers: { authorization: `Bearer ${mediaSecret}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return { sent: value('muster_media_pipe_rtp_packets_sent_total'), received: value('muster_media_pipe_rtp_packets_received_total') };
  };
  /** The room's dump from whichever app host holds the meeting. */
  const roomDump = async (room: string) => {
    for (const host of hosts) {
      if (!host.running) continue;
      const res = await fetch(`http://${host.address}:8080/api/v1/rooms/${room}`, { headers: { authorization: `Bearer ${apiToken}` } });
      const body = (await res.json()) as { participants?: unknown[]; mediaRouters?: { host: string; participants: number }[] };
      if (res.status === 200 && body.mediaRouters) return body as { participants: unknown[]; mediaRouters: { host: string; participants: number }[] };
    }
    return null;
  };

  /** The media hosts an app host has linked to (their names), from its /metrics. */
  const linkedMediaHosts = async (host: HostProcess) => {
    const text = await (await fetch(`http://${host.address}:8080/metrics`)).text();
    return [...text.matchAll(/^muster_media_host_workers\{host="([^"]+)"\} [1-9]/gm)].map((m) => m[1]!).filter((h) => h !== 'local');
  };

  it('holds one meeting whose participants come through different app hosts, spanning both media hosts through pipes', async () => {
    // Both app hosts have found both media hosts in Redis and linked to them.
    for (const host of hosts) await waitUntil(async () => (await linkedMediaHosts(host)).length === 2, 30_000, 'both media hosts linked');
    // Each straight to one app host: different hosts, different gateways.
    const alice = new NodePeer(`http://${hosts[0]!.address}:8080`);
    const bob = new NodePeer(`http://${hosts[1]!.address}:8080`);
    peers.push(alice, bob);
    await alice.join('across', 'Alice');
    await bob.join('across', 'Bob');
    for (const peer of peers) await waitUntil(async () => (await peer.inboundPackets()).framesDecoded > 5, 30_000, 'media across hosts');
    expect(alice.room.remoteParticipants.size).toBe(1);
    expect(bob.room.remoteParticipants.size).toBe(1);

    const dump = await roomDump('across');
    expect(dump?.participants).toHaveLength(2);
    expect(new Set(dump!.mediaRouters.map((r) => r.host)).size).toBe(2);
    expect(dump!.mediaRouters.every((r) => r.host !== 'local')).toBe(true);
    // Both media hosts send into their pipe and receive from it: the room really spans them.
    await waitUntil(async () => {
      const counters = await Promise.all(mediaHosts.map(pipeCounters));
      return counters.every((c) => c.sent > 50 && c.received > 50);
    }, 15_000, 'RTP through the pipes between the media hosts, counted on both');

    // One media host dies whole: the meeting moves to the other and media flows again, nobody rejoining.
    const oldSubscribers = peers.map((p) => p.room.peerConnections.subscriber);
    const aliceId = alice.room.participantId;
    await mediaHosts[1]!.kill();
    await mediaBackOnNewSubscribers(peers, oldSubscribers, Date.now() + 45_000);
    expect(alice.room.participantId).toBe(aliceId);
    const moved = await roomDump('across');
    // Only the surviving media host is left to hold it.
    expect(new Set(moved!.mediaRouters.map((r) => r.host)).size).toBe(1);
    for (const peer of peers.splice(0)) await peer.close();
  });

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
