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

  it("leaves another host's recording alone (the descriptions are shared, the files are not), and finishes its own", async () => {
    const config: RecorderConfig = { dir: root, ffmpegPath: FFMPEG, ffprobePath: 'ffprobe', compose: 'after', segmentSeconds: 300, width: 320, height: 180, fps: 15, preset: 'ultrafast', minFreeBytes: 0, filesAt: 'http://10.0.0.2:8080' };
    const running = (id: string, filesAt: string): RecordingInfo => ({
      id,
      roomId: 'room-b',
      state: 'recording',
      startedAt: Date.now() - 10_000,
      endedAt: null,
      durationMs: null,
      startedBy: 'Dana',
      filesAt,
      compose: 'after',
      problems: [],
      error: null,
      manifest: { version: 1, participants: [], tracks: [], composite: null },
    });
    const storage = new LocalDiskStorage(root);
    await storage.save(running('elsewhere', 'http://10.0.0.3:8080'));
    await storage.save(running('here', 'http://10.0.0.2:8080'));
    const recorder = new Recorder(config, storage);
    const recovered = await recorder.recover();
    expect(recovered.map((r) => r.id)).toEqual(['here']);
    // The other host's is still recording, as that host left it.
    expect(await storage.get('elsewhere')).toMatchObject({ state: 'recording', endedAt: null, problems: [] });
    expect(recorder.holdsFiles((await storage.get('elsewhere'))!)).toBe(false);
    expect(recorder.holdsFiles((await storage.get('here'))!)).toBe(true);
    // A single host (no filesAt of its own) holds every recording's files.
    const single = new Recorder({ ...config, filesAt: undefined }, storage);
    expect(single.holdsFiles((await storage.get('elsewhere'))!)).toBe(true);
  });
});

describe('download links', () => {
  const base: RecorderConfig = { dir: root, ffmpegPath: FFMPEG, ffprobePath: 'ffprobe', compose: 'after', segmentSeconds: 300, width: 320, height: 180, fps: 15, preset: 'ultrafast', minFreeBytes: 0 };

  it('signed on one host open on another with the same link key, and on no host with another key', () => {
    const linkKey = Buffer.alloc(32, 9);
    const a = new Recorder({ ...base, linkKey });
    const b = new Recorder({ ...base, linkKey: Buffer.from(linkKey) });
    const token = a.downloadToken('rec-1', 'composite');
    expect(b.verifyDownloadToken('rec-1', 'composite', token)).toBe(true);
    expect(b.verifyDownloadToken('rec-1', 'other.webm', token)).toBe(false);
    expect(b.verifyDownloadToken('rec-2', 'composite', token)).toBe(false);
    expect(new Recorder(base).verifyDownloadToken('rec-1', 'composite', token)).toBe(false);
    expect(new Recorder({ ...base, linkKey: Buffer.alloc(32, 8) }).verifyDownloadToken('rec-1', 'composite', token)).toBe(false);
  });

  it('refuses a link key shorter than 32 bytes', () => {
    expect(() => new Recorder({ ...base, linkKey: Buffer.alloc(16) })).toThrow(/at least 32 bytes/);
  });
});
