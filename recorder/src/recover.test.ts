/**
 * A server that died mid-recording leaves `recording.json` in state
 * `recording` and WebM segments cut short: the next start finishes the
 * recording from them.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecorderConfig } from './config.ts';
import type { RecordingInfo } from './manifest.ts';
import { Recorder } from './Recorder.ts';
import { LocalDiskStorage } from './RecordingStorage.ts';
import { decodesCleanly, FFMPEG, probe } from './testing.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-recover-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('Recorder.recover', () => {
  it('composes a recording a crash cut short from the segments on disk', async () => {
    const config: RecorderConfig = { dir: root, ffmpegPath: FFMPEG, ffprobePath: 'ffprobe', compose: 'after', segmentSeconds: 300, width: 320, height: 180, fps: 15, preset: 'ultrafast', minFreeBytes: 0 };
    const dir = path.join(root, 'crashed');
    fs.mkdirSync(dir);
    // What the track recorders had written: 3 s of VP8 and of Opus, the video cut mid-file as a kill leaves it.
    execFileSync(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=160x120:r=15:d=3', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', path.join(dir, 't1-p0-0000.webm')]);
    execFileSync(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=f=440:d=3', '-c:a', 'libopus', path.join(dir, 't0-p0-0000.webm')]);
    const video = path.join(dir, 't1-p0-0000.webm');
    fs.truncateSync(video, Math.floor(fs.statSync(video).size * 0.8));
    const startedAt = Date.now() - 60_000;
    const info: RecordingInfo = {
      id: 'crashed',
      roomId: 'room',
      state: 'recording',
      startedAt,
      endedAt: null,
      durationMs: null,
      startedBy: 'Dana',
      compose: 'after',
      problems: [],
      error: null,
      manifest: {
        version: 1,
        participants: [{ participantId: 'u1', name: 'Eli', joinedAtMs: 0, leftAtMs: null }],
        tracks: [
          { trackId: 't0', producerId: 'a', participantId: 'u1', kind: 'audio', source: 'microphone', codec: 'audio/opus', status: 'recording', parts: [{ startMs: 100, endMs: null, files: [], endReason: null }] },
          { trackId: 't1', producerId: 'v', participantId: 'u1', kind: 'video', source: 'camera', codec: 'video/VP8', status: 'recording', parts: [{ startMs: 120, endMs: null, files: [], endReason: null }] },
        ],
        composite: null,
      },
    };
    const storage = new LocalDiskStorage(root);
    await storage.save(info);
    // The segments were last written 3 s after the start.
    for (const f of ['t0-p0-0000.webm', 't1-p0-0000.webm']) fs.utimesSync(path.join(dir, f), new Date(startedAt + 3_100), new Date(startedAt + 3_100));

    const recovered = await new Recorder(config, storage).recover();
    expect(recovered.map((r) => r.id)).toEqual(['crashed']);
    const after = (await storage.get('crashed'))!;
    expect(after).toMatchObject({ state: 'ready', durationMs: 3_100 });
    expect(after.manifest.tracks.map((t) => t.parts[0]!.files)).toEqual([['t0-p0-0000.webm'], ['t1-p0-0000.webm']]);
    expect(after.manifest.participants[0]!.leftAtMs).toBe(3_100);
    await decodesCleanly(video).catch(() => undefined); // a cut file may end in a torn frame; what matters is below
    expect((await probe(video)).videoFrames).toBeGreaterThan(15);
    const composite = await probe(path.join(dir, after.manifest.composite!.file));
    expect(composite.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(composite.duration).toBeCloseTo(3.1, 0);
    // Already finished: a second start leaves it alone.
    expect(await new Recorder(config, storage).recover()).toEqual([]);
  });
});
