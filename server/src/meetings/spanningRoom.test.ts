import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodePeer } from '@muster/signaling/testing';
import { mediaBackOnNewSubscribers, meetingOfTwo } from '../testing/mediaRecovery.ts';
import { startTestServer, waitUntil } from '../testing/index.ts';

/**
 * A room that outgrows one worker: with one participant per router, each
 * newcomer lands on the other worker, and every track crosses between the
 * two workers through pipe transports (plain RTP and RTCP over loopback).
 */
describe('a meeting spanning two workers', { timeout: 120_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const peers: NodePeer[] = [];

  beforeAll(async () => {
    server = await startTestServer({ media: { numWorkers: 2 }, participantsPerRouter: 1 });
  });
  afterAll(async () => {
    for (const peer of peers) await peer.close().catch(() => undefined);
    await server?.close();
  });

  const pipeTotals = async () => {
    const stats = await server.pool.getStats();
    return stats.map((s) => s.pipe);
  };

  it('puts the second participant on the other worker and carries audio and video both ways through pipes', async () => {
    peers.push(...(await meetingOfTwo(server.url, 'span')));
    const room = server.rooms.get('span')!;
    const routers = room.dump().mediaRouters;
    expect(routers).toHaveLength(2);
    expect(new Set(routers.map((r) => r.workerId)).size).toBe(2);
    expect(routers.map((r) => r.participants)).toEqual([1, 1]);
    for (const peer of peers) {
      const got = await waitUntil(async () => {
        const s = await peer.inboundPackets();
        return s.audio > 50 && s.video > 20 && s.framesDecoded > 5 ? s : null;
      }, 20_000, 'media from the other worker');
      expect(got.framesDecoded).toBeGreaterThan(5);
    }
    // Each worker sends its publisher's tracks into the pipe and receives the other's.
    const totals = await waitUntil(async () => {
      const t = await pipeTotals();
      return t.length === 2 && t.every((p) => p.rtpPacketsSent > 50 && p.rtpPacketsReceived > 50) ? t : null;
    }, 10_000, 'RTP through the pipes both ways');
    for (const pipe of totals) expect(pipe.transports).toBeGreaterThanOrEqual(1);
    // Subscribers' keyframe requests went back through the pipe to the publishers.
    expect(totals.reduce((n, p) => n + p.rtcpPacketsSent, 0)).toBeGreaterThan(0);
    // The REST dump shows both routers.
    const rest = await fetch(`${server.url}/api/v1/rooms/span`, { headers: { authorization: 'Bearer test-token-0123456789' } });
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as { mediaRouters: unknown[] }).mediaRouters).toHaveLength(2);
  });

  it('closes a router its last participant left, and places the next newcomer on a worker again', async () => {
    const room = server.rooms.get('span')!;
    const bob = peers.pop()!;
    await bob.close();
    await waitUntil(() => room.dump().mediaRouters.length === 1 && room.participants.size === 1, 20_000, 'the second router closed');
    const carol = new NodePeer(server.url);
    peers.push(carol);
    await carol.join('span', 'Carol');
    expect(room.dump().mediaRouters).toHaveLength(2);
    for (const peer of peers) await waitUntil(async () => (await peer.inboundPackets()).framesDecoded > 5, 20_000, 'media with the newcomer');
  });

  it('builds the whole room again when the worker of one of its routers dies', async () => {
    const room = server.rooms.get('span')!;
    const [, second] = room.dump().mediaRouters;
    const doomed = server.pool.workers.find((w) => w.id === second!.workerId)!;
    const oldSubscribers = peers.map((p) => p.room.peerConnections.subscriber);
    doomed.kill('SIGKILL');
    await mediaBackOnNewSubscribers(peers, oldSubscribers, Date.now() + 30_000);
    const routers = room.dump().mediaRouters;
    expect(routers.every((r) => r.workerId !== doomed.id)).toBe(true);
    expect(routers.reduce((n, r) => n + r.participants, 0)).toBe(2);
  });
});
