import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodePeer } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';

describe('SFU integration with libwebrtc peers', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const peers: NodePeer[] = [];

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const peer of peers) await peer.close().catch(() => undefined);
    await server?.close();
  });

  it('two peers publish and each receives the other audio and video RTP', async () => {
    const alice = new NodePeer(server.url);
    const bob = new NodePeer(server.url);
    peers.push(alice, bob);
    await alice.join('integration', 'Alice');
    await bob.join('integration', 'Bob');

    for (const peer of [alice, bob]) {
      const got = await waitUntil(async () => {
        const s = await peer.inboundPackets();
        return s.audio > 50 && s.video > 20 && s.framesDecoded > 5 ? s : null;
      }, 20_000, 'media from the other peer');
      expect(got.audio).toBeGreaterThan(50);
      expect(got.video).toBeGreaterThan(20);
    }
    expect(alice.room.remoteParticipants.size).toBe(1);
    const [bobSeenByAlice] = alice.room.remoteParticipants.values();
    expect(bobSeenByAlice!.name).toBe('Bob');
    expect([...bobSeenByAlice!.tracks.values()].map((t) => t.source).sort()).toEqual(['camera', 'microphone']);
  });
});
