/**
 * The WebM header reader that lets a voice message skip its probe: it says
 * "audio only" for a browser-style recording, names a video track when
 * there is one, and says nothing (so the file is probed) for anything it
 * cannot read to the end.
 */
import { describe, expect, it } from 'vitest';
import { matroskaTrackKinds } from './matroskaTracks.ts';
import { ffmpegPiped, sine, testsrc } from './testFixtures.ts';

const OPUS = ['-c:a', 'libopus', '-b:a', '32k'];

describe('matroskaTrackKinds', () => {
  it('reads one audio track from a voice recording without a duration, video and audio from a camera clip', async () => {
    const voice = await ffmpegPiped('webm', [...sine(2), ...OPUS]);
    expect(matroskaTrackKinds(voice)).toEqual(new Set(['audio']));
    const clip = await ffmpegPiped('webm', [...testsrc(1), ...sine(1), '-c:v', 'libvpx', '-deadline', 'realtime', ...OPUS, '-shortest']);
    expect(matroskaTrackKinds(clip)).toEqual(new Set(['video', 'audio']));
    const silentVideo = await ffmpegPiped('matroska', [...testsrc(1), '-c:v', 'libvpx', '-deadline', 'realtime']);
    expect(matroskaTrackKinds(silentVideo)).toEqual(new Set(['video']));
  });

  it('says nothing for what it cannot read to the end: cut short, not EBML, garbage, empty', async () => {
    const voice = await ffmpegPiped('webm', [...sine(1), ...OPUS]);
    // Cut inside the header: the Tracks element (or its size) is not all there.
    for (const cut of [4, 20, 40, 60]) expect(matroskaTrackKinds(voice.subarray(0, cut))).toBeUndefined();
    expect(matroskaTrackKinds(Buffer.from('not a webm file at all'))).toBeUndefined();
    expect(matroskaTrackKinds(Buffer.alloc(0))).toBeUndefined();
    expect(matroskaTrackKinds(Buffer.alloc(4096, 0xff))).toBeUndefined();
    // Random bytes after a valid EBML header never throw.
    for (let i = 0; i < 200; i++) {
      const mangled = Buffer.from(voice.subarray(0, 400));
      for (let j = 0; j < 8; j++) mangled[Math.floor(Math.random() * mangled.length)] = Math.floor(Math.random() * 256);
      const kinds = matroskaTrackKinds(mangled);
      expect(kinds === undefined || kinds instanceof Set).toBe(true);
    }
  });
});
