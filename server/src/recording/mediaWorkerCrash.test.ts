/**
 * A recording across a media worker crash: the worker carrying the meeting
 * is killed mid-recording; the room moves to the other worker, publishers
 * publish again, and the recording goes on there. Real server, two media
 * workers, ffmpeg, Node peers on libwebrtc (VP8 camera and Opus tone: the
 * Node libwebrtc cannot be asked for VP9). The browsers' VP9 SVC across a
 * crash, through the recorder's own depacketizer, is in
 * e2e/src/failover.test.ts.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodePeer } from '@muster/signaling/testing';
import { ProtocolClient } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import type { RecordingInfo } from '@muster/recorder';
import { decodesCleanly, probe } from '@muster/recorder/testing';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('recording across a media worker crash', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const peers: NodePeer[] = [];
  let host: ProtocolClient;

  beforeAll(async () => {
    server = await startTestServer({ media: { numWorkers: 2 } });
  });
  afterAll(async () => {
    host?.close();
    for (const peer of peers) await peer.close().catch(() => undefined);
    await server?.close();
  });

  it('ends the parts at the crash and goes on in new parts of the same tracks; the composite spans it all', async () => {
    const roomId = 'rec-worker-crash';
    host = await ProtocolClient.join(server.url, roomId, 'Host');
    const ada = new NodePeer(server.url);
    const bob = new NodePeer(server.url);
    peers.push(ada, bob);
    await ada.join(roomId, 'Ada');
    await bob.join(roomId, 'Bob');
    const room = server.rooms.get(roomId)!;
    await waitUntil(() => [...room.participants.values()].filter((p) => p.tracks.size === 2).length === 2, 15_000, 'both publishing');
    const codecs = [...room.participants.values()].flatMap((p) => [...p.tracks.values()].map((t) => t.codec.toLowerCase())).sort();
    expect(codecs).toEqual(['audio/opus', 'audio/opus', 'video/vp8', 'video/vp8']);

    expect(await host.send('recording.set', { on: true })).toMatchObject({ ok: true });
    const recording = server.recorder.active(roomId)!;
    await waitUntil(() => recording.info.manifest.tracks.length === 4 && recording.info.manifest.tracks.every((t) => t.parts[0]?.startMs != null), 10_000, 'four tracks recording');
    await sleep(3_000);

    const doomed = room.worker;
    const killedAtMs = Date.now() - recording.info.startedAt;
    doomed.kill('SIGKILL');

    // A notice for the hosts, not an alarm: the recording goes on.
    const notice = await host.waitFor('recording.problem', () => true, 10_000);
    expect(notice).toMatchObject({ recordingId: recording.id, code: 'MEDIA_MOVED', stopped: false });
    expect(room.worker).not.toBe(doomed);
    const oldProducers = new Set(recording.info.manifest.tracks.map((t) => t.producerId));
    await waitUntil(
      () =>
        [...room.participants.values()].filter((p) => p.name !== 'Host').every((p) => p.tracks.size === 2 && [...p.tracks.values()].every((t) => !oldProducers.has(t.id))),
      20_000,
      'publishing again',
    );
    const republishedAtMs = Date.now() - recording.info.startedAt;
    // Every track goes on in a second part, from its publisher's new producer.
    await waitUntil(
      () => recording.info.manifest.tracks.every((t) => t.parts.length === 2 && t.parts[1]!.startMs !== null),
      20_000,
      'second parts on the new worker',
    );
    await sleep(4_000);
    expect(await host.send('recording.set', { on: false })).toMatchObject({ ok: true });

    const info: RecordingInfo = await waitUntil(async () => {
      const i = await server.recorder.get(recording.id);
      return i && (i.state === 'ready' || i.state === 'failed') ? i : null;
    }, 60_000, 'the composite');
    expect(info.state).toBe('ready');
    console.log('[worker crash]', JSON.stringify({ killedAtMs, republishedAtMs, durationMs: info.durationMs, parts: info.manifest.tracks.map((t) => [t.codec, t.parts.map((p) => [p.startMs, p.endMs, p.endReason, p.files.length])]) }));
    expect(info.problems.map((p) => p.code)).toEqual(['MEDIA_MOVED']);
    // The same two people throughout: nobody left and came back.
    expect(info.manifest.participants.map((p) => [p.name, p.leftAtMs])).toEqual([
      ['Ada', info.durationMs],
      ['Bob', info.durationMs],
    ]);
    const dir = path.join(server.recorder.config.dir, info.id);
    for (const track of info.manifest.tracks) {
      const [before, after] = track.parts as [(typeof track.parts)[0], (typeof track.parts)[0]];
      expect(before.endReason).toBe('media-worker-lost');
      expect(before.endMs!).toBeGreaterThanOrEqual(killedAtMs);
      expect(after.startMs!).toBeGreaterThan(killedAtMs);
      expect(after.producerId).toBeDefined();
      expect(after.producerId).not.toBe(track.producerId);
      expect(after.endReason).toBe('stopped');
      expect(track.status).toBe('ended');
      // Both sides of the crash were written and decode; video has frames after the kill.
      for (const file of [...before.files, ...after.files]) await decodesCleanly(path.join(dir, file));
      if (track.kind === 'video') {
        for (const part of [before, after]) {
          let frames = 0;
          for (const file of part.files) frames += (await probe(path.join(dir, file))).videoFrames;
          expect(frames, `${track.codec} ${part === before ? 'before' : 'after'} the crash`).toBeGreaterThan(15);
        }
      }
    }
    // One cell per person in the composite, across the crash, and as long as the recording.
    const composite = await probe(path.join(dir, info.manifest.composite!.file));
    expect(composite.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(Math.abs(composite.duration - info.durationMs! / 1000)).toBeLessThan(1);
  });
});
