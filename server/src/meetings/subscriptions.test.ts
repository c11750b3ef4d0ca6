/**
 * `subscription.update`: a subscriber says how it shows each video. A hidden
 * tile pauses its consumer (no more video packets arrive), a visible one
 * resumes it; sizes and preferences reach the media worker and show in the
 * REST dump. Malformed requests are refused with BAD_REQUEST.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MusterRequestError } from '@muster/signaling/client';
import { NodePeer } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';

describe('subscription.update', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const peers: NodePeer[] = [];
  let alice: NodePeer;
  let bob: NodePeer;
  let cameraId: string;

  beforeAll(async () => {
    server = await startTestServer();
    alice = new NodePeer(server.url);
    bob = new NodePeer(server.url);
    peers.push(alice, bob);
    await alice.join('tiles', 'Alice');
    await bob.join('tiles', 'Bob', { audio: false, video: false });
    await waitUntil(async () => ((await bob.inboundPackets()).video > 20 ? true : null), 20_000, 'Alice’s video at Bob');
    cameraId = [...[...bob.room.remoteParticipants.values()][0]!.tracks.values()].find((t) => t.source === 'camera')!.trackId;
  });
  afterAll(async () => {
    for (const peer of peers) await peer.close().catch(() => undefined);
    await server?.close();
  });

  async function bobsVideoConsumer() {
    const res = await fetch(`${server.url}/api/v1/rooms/tiles`, { headers: { authorization: 'Bearer test-token-0123456789' } });
    const dump = (await res.json()) as { participants: { name: string; consumers: { kind: string; paused: boolean; preferences?: unknown }[] }[] };
    return dump.participants.find((p) => p.name === 'Bob')!.consumers.find((c) => c.kind === 'video')!;
  }

  it('pauses the consumer of a hidden tile and resumes it when shown again', async () => {
    expect(await bob.room.request('subscription.update', { tracks: [{ trackId: cameraId, visible: false }] })).toEqual({ unknownTrackIds: [] });
    expect((await bobsVideoConsumer()).paused).toBe(true);
    // Let packets in flight land, then nothing more comes.
    await new Promise((r) => setTimeout(r, 500));
    const before = (await bob.inboundPackets()).video;
    await new Promise((r) => setTimeout(r, 1000));
    expect((await bob.inboundPackets()).video - before).toBeLessThan(3);

    await bob.room.request('subscription.update', { tracks: [{ trackId: cameraId, width: 320, height: 180, spatialLayer: 1 }] });
    const consumer = await bobsVideoConsumer();
    expect(consumer.paused).toBe(false);
    expect(consumer.preferences).toBeUndefined(); // VP8 from libwebrtc here: not scalable, no layer fields
    const resumedAt = (await bob.inboundPackets()).video;
    await waitUntil(async () => ((await bob.inboundPackets()).video > resumedAt + 20 ? true : null), 10_000, 'video again');
  });

  it('lists track ids it does not know instead of refusing them', async () => {
    const reply = await bob.room.request('subscription.update', { tracks: [{ trackId: 'nope', width: 100, height: 100 }] });
    expect(reply.unknownTrackIds).toEqual(['nope']);
  });

  it('refuses malformed updates with BAD_REQUEST', async () => {
    const bad: unknown[] = [
      {},
      { tracks: [] },
      { tracks: [{ trackId: cameraId, width: -1 }] },
      { tracks: [{ trackId: cameraId, width: 1.5 }] },
      { tracks: [{ trackId: cameraId, spatialLayer: 3 }] },
      { tracks: [{ trackId: cameraId, extra: true }] },
      { tracks: Array.from({ length: 65 }, () => ({ trackId: cameraId })) },
      { tracks: [{ trackId: '' }] },
    ];
    for (const payload of bad) {
      const error = await bob.room.request('subscription.update', payload as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MusterRequestError);
      expect((error as MusterRequestError).code).toBe('BAD_REQUEST');
    }
  });
});
