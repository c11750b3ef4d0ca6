import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compositeArgs, layoutCells } from './composite.ts';
import { sdpFor } from './ffmpeg.ts';
import type { Manifest, ManifestTrack } from './manifest.ts';
import { LocalDiskStorage } from './RecordingStorage.ts';

function track(id: string, kind: 'audio' | 'video', source: string, startMs = 0, endMs: number | null = null): ManifestTrack {
  return {
    trackId: id,
    producerId: `p-${id}`,
    participantId: `u-${id}`,
    kind,
    source,
    codec: kind === 'audio' ? 'audio/opus' : 'video/VP8',
    status: 'ended',
    parts: [{ startMs, endMs, files: [`${id}-p0-0000.webm`], endReason: 'stopped' }],
  };
}

describe('composite layout', () => {
  it('puts cameras in a grid that fills the frame without overlap', () => {
    const cams = [1, 2, 3, 4, 5].map((i) => track(`c${i}`, 'video', 'camera'));
    const cells = layoutCells(cams, 1280, 720);
    expect(cells.size).toBe(5);
    const list = [...cells.values()];
    for (const c of list) {
      expect(c.x + c.w).toBeLessThanOrEqual(1280);
      expect(c.y + c.h).toBeLessThanOrEqual(720);
      expect(c.w % 2).toBe(0);
      expect(c.h % 2).toBe(0);
    }
    for (const [i, a] of list.entries()) {
      for (const b of list.slice(i + 1)) expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y).toBe(true);
    }
  });

  it('gives a screen share the left three quarters and stacks the cameras on the right', () => {
    const screen = track('s', 'video', 'screen');
    const cams = [track('a', 'video', 'camera'), track('b', 'video', 'camera')];
    const cells = layoutCells([cams[0]!, screen, cams[1]!], 1280, 720);
    expect(cells.get(screen)).toEqual({ x: 0, y: 0, w: 960, h: 720 });
    expect(cells.get(cams[0]!)).toEqual({ x: 960, y: 0, w: 320, h: 360 });
    expect(cells.get(cams[1]!)).toEqual({ x: 960, y: 360, w: 320, h: 360 });
  });

  it('places a late track at its offset and leaves tracks that never started out', () => {
    const late = track('late', 'video', 'camera', 4_000, 9_000);
    const never: ManifestTrack = { ...track('never', 'video', 'camera'), parts: [{ startMs: null, endMs: null, files: [], endReason: null }] };
    const mic = track('mic', 'audio', 'microphone', 250);
    const manifest: Manifest = { version: 1, participants: [], tracks: [late, never, mic], composite: null };
    const args = compositeArgs(manifest, (n) => `/rec/${n}`, { fromMs: 0, toMs: 10_000 }, { width: 640, height: 360, fps: 15, preset: 'ultrafast' }, '/rec/out.mp4');
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    expect(args.filter((a) => a === '-i')).toHaveLength(2);
    expect(graph).toContain('setpts=PTS+4.000/TB');
    expect(graph).toContain('asetpts=PTS+0.250/TB');
    expect(graph).toContain('eof_action=pass');
    expect(graph).toContain('color=c=black:s=640x360:r=15:d=10.000');
    expect(args).toContain('libx264');
    // A window later in the recording shifts every offset by its start.
    const window = compositeArgs(manifest, (n) => `/rec/${n}`, { fromMs: 5_000, toMs: 10_000 }, { width: 640, height: 360, fps: 15, preset: 'ultrafast' }, '/rec/out.mp4');
    expect(window[window.indexOf('-filter_complex') + 1]).toContain('setpts=PTS+-1.000/TB,trim=start=0');
  });
});

describe('plain RTP SDP', () => {
  it('describes one stream on one port, as ffmpeg reads it', () => {
    expect(sdpFor(40_000, { kind: 'audio', mimeType: 'audio/opus', payloadType: 111, clockRate: 48_000, channels: 2 })).toContain('m=audio 40000 RTP/AVP 111\na=rtpmap:111 opus/48000/2');
    expect(sdpFor(40_002, { kind: 'video', mimeType: 'video/VP9', payloadType: 98, clockRate: 90_000 })).toContain('m=video 40002 RTP/AVP 98\na=rtpmap:98 VP9/90000\n');
  });
});

describe('LocalDiskStorage', () => {
  it('keeps recordings per directory and never opens a path outside its root', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-rec-'));
    try {
      const storage = new LocalDiskStorage(path.join(root, 'recordings'));
      fs.writeFileSync(path.join(root, 'secret.txt'), 'no');
      const info = { id: 'r1', roomId: 'room', state: 'ready', startedAt: 1, endedAt: 2, durationMs: 1, startedBy: 'api', compose: 'after', problems: [], error: null, manifest: { version: 1, participants: [], tracks: [], composite: null } } as const;
      await storage.save(structuredClone(info) as never);
      fs.writeFileSync(path.join(await storage.workDir('r1'), 'composite.mp4'), 'mp4');
      expect(await storage.get('r1')).toMatchObject({ id: 'r1', state: 'ready' });
      expect((await storage.list('room')).map((r) => r.id)).toEqual(['r1']);
      expect(await storage.list('other')).toEqual([]);
      expect((await storage.open('r1', 'composite.mp4'))?.size).toBe(3);
      for (const [id, name] of [['..', 'secret.txt'], ['r1', '../../secret.txt'], ['r1/..', 'x'], ['r1', '..'], ['', 'composite.mp4']]) {
        expect(await storage.open(id!, name!)).toBeUndefined();
      }
      expect(await storage.get('../r1')).toBeUndefined();
      expect(await storage.freeBytes()).toBeGreaterThan(0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
