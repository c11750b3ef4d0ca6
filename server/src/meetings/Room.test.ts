import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodePeer } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';

describe('room lifecycle and participant media', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let peers: NodePeer[] = [];
  const peer = () => {
    const p = new NodePeer(server.url);
    peers.push(p);
    return p;
  };

  beforeAll(async () => {
    server = await startTestServer({ media: { numWorkers: 2 }, roomCloseGraceMs: 500, participantGraceMs: 1_500 });
  });
  afterEach(async () => {
    for (const p of peers) await p.close().catch(() => undefined);
    peers = [];
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates a room on first join, tells a late joiner who is there, and closes it a grace period after the last leaves', async () => {
    const a = peer();
    const b = peer();
    await a.join('lifecycle', 'A');
    await b.join('lifecycle', 'B');
    const late = peer();
    await late.join('lifecycle', 'Late', { audio: true, video: false });
    expect([...late.room.remoteParticipants.values()].map((p) => p.name).sort()).toEqual(['A', 'B']);
    await waitUntil(() => [...late.room.remoteParticipants.values()].every((p) => p.tracks.size === 2), 10_000, 'late joiner subscribed to everyone');
    expect(late.room.localParticipant?.role).toBe('participant');
    expect(a.room.localParticipant?.role).toBe('host');

    const left = a.room.waitFor('participantDisconnected');
    await late.close();
    const [gone, reason] = await left;
    expect(gone.name).toBe('Late');
    expect(reason).toBe('left');

    await a.close();
    await b.close();
    expect(server.rooms.get('lifecycle')).toBeDefined();
    await waitUntil(() => !server.rooms.get('lifecycle'), 5_000, 'room closed after grace');
  });

  it('keeps delivering media when someone leaves and someone new joins (subscriber slots are reused)', async () => {
    const [a, b, c] = [peer(), peer(), peer()];
    await a.join('recycle', 'A');
    await b.join('recycle', 'B');
    await c.join('recycle', 'C');
    await waitUntil(async () => (await c.inboundPackets()).framesDecoded > 5, 20_000, 'initial media');
    await a.close();
    const d = peer();
    await d.join('recycle', 'D');
    for (const viewer of [b, c]) {
      await waitUntil(() => viewer.room.remoteParticipants.size === 2 && [...viewer.room.remoteParticipants.values()].find((p) => p.name === 'D')?.tracks.size === 2, 10_000, `${viewer.room.localParticipant?.name} subscribed to D`);
      const fromD = [...viewer.room.remoteParticipants.values()].find((p) => p.name === 'D')!;
      const pc = viewer.room.peerConnections.subscriber!;
      const midsOfD = [...fromD.tracks.values()].map((t) => pc.getTransceivers().find((x) => x.receiver.track === t.mediaStreamTrack)!.mid);
      expect(midsOfD).toHaveLength(2);
      const packetsOn = async (mids: (string | null)[]) => {
        let n = 0;
        (await pc.getStats()).forEach((s: { type: string; mid?: string; packetsReceived?: number }) => {
          if (s.type === 'inbound-rtp' && mids.includes(s.mid ?? null)) n += s.packetsReceived ?? 0;
        });
        return n;
      };
      // Packets arrive on the m-sections now carrying D, and the connection stays healthy.
      await waitUntil(async () => (await packetsOn(midsOfD)) > 50, 10_000, "D's media arriving");
      expect(pc.connectionState).toBe('connected');
      expect(pc.signalingState).toBe('stable');
    }
  });

  it('places new rooms on the least-loaded worker', async () => {
    // Start from an idle server: rooms of earlier tests close after their grace period.
    await waitUntil(() => server.rooms.rooms.length === 0, 5_000, 'earlier rooms closed');
    await Promise.all(server.pool.workers.map((w) => w.getStats()));
    const x = peer();
    const y = peer();
    await x.join('placement-1', 'X', { audio: true, video: false });
    await y.join('placement-2', 'Y', { audio: true, video: false });
    const workers = new Set([server.rooms.get('placement-1')!.worker.id, server.rooms.get('placement-2')!.worker.id]);
    expect(workers.size).toBe(2);
  });

  it('a mute pauses the producer on the server and the others stop receiving it', async () => {
    const speaker = peer();
    const listener = peer();
    await speaker.join('muting', 'Speaker');
    await listener.join('muting', 'Listener', { audio: false, video: false });
    await waitUntil(async () => (await listener.inboundPackets()).audio > 50, 10_000, 'audio flowing');
    const updated = listener.room.waitFor('participantUpdated', 5_000, (p) => p.isMuted('microphone'));
    await speaker.room.setMuted('microphone', true);
    await updated;
    const dump = server.rooms.get('muting')!.dump();
    const mic = dump.participants.find((p) => p.name === 'Speaker')!.producers.find((p) => p.kind === 'audio')!;
    expect(mic.paused).toBe(true);
    await new Promise((r) => setTimeout(r, 500)); // packets already in flight drain
    const before = (await listener.inboundPackets()).audio;
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await listener.inboundPackets()).audio).toBe(before);
    await speaker.room.setMuted('microphone', false);
    await waitUntil(async () => (await listener.inboundPackets()).audio > before + 20, 5_000, 'audio after unmute');
  });

  it('a client whose socket drops comes back as the same participant, and media keeps flowing', async () => {
    const a = peer();
    const b = peer();
    await a.join('resume', 'A');
    await b.join('resume', 'B');
    const id = b.room.participantId;
    b.room.socket!.io.engine.close(); // the network blips
    await waitUntil(() => b.room.state === 'connected' && b.room.socket?.connected, 10_000, 'reconnected');
    expect(b.room.participantId).toBe(id);
    expect(server.rooms.get('resume')!.participants.size).toBe(2);
    const before = await b.inboundPackets();
    await waitUntil(async () => (await b.inboundPackets()).video > before.video + 10, 10_000, 'media after resume');
  });

  it('removes a participant whose socket stays away past the grace period', async () => {
    const a = peer();
    const b = peer();
    await a.join('vanish', 'A', { audio: true, video: false });
    await b.join('vanish', 'B', { audio: true, video: false });
    const left = a.room.waitFor('participantDisconnected', 10_000);
    b.room.socket!.io.reconnection(false);
    b.room.socket!.io.engine.close();
    const [gone, reason] = await left;
    expect(gone.name).toBe('B');
    expect(reason).toBe('disconnected');
  });

  it('rebuilds transports on media.restart (ICE failure) and media flows again', async () => {
    const a = peer();
    const b = peer();
    await a.join('restart', 'A');
    await b.join('restart', 'B');
    await waitUntil(async () => (await b.inboundPackets()).framesDecoded > 3, 15_000, 'initial media');
    const oldSubscriber = b.room.peerConnections.subscriber;
    await b.room.restartMedia('ice-failed');
    await waitUntil(async () => {
      const pc = b.room.peerConnections.subscriber;
      return pc && pc !== oldSubscriber && (await b.inboundPackets()).framesDecoded > 3;
    }, 10_000, 'media on new transports');
    await waitUntil(async () => {
      const s = await a.inboundPackets();
      return s.audio > 0;
    }, 10_000, 'the other side receives the republished tracks');
  });
});
