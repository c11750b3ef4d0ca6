import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from './analyze.ts';
import { bufferSource } from './byteSource.ts';
import { chunkedSource, ffmpegFile, ffmpegPiped, rotateMp4By90, scratchDir, sine, testsrc } from './testFixtures.ts';

const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

describe('video', () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  beforeAll(async () => {
    scratch = await scratchDir();
  });
  afterAll(() => scratch.remove());

  it('an MP4 with its index at the end: size, duration and a poster, read with Range requests', async () => {
    // Lossless, so the file (about 1 MB) is bigger than what ffmpeg reads ahead: it has to seek.
    const mp4 = await ffmpegFile(scratch.dir, 'moov-at-end.mp4', [...testsrc(3, '1280x720'), ...sine(3), ...H264, '-qp', '0', '-c:a', 'aac', '-shortest']);
    expect(mp4.indexOf('moov')).toBeGreaterThan(mp4.indexOf('mdat'));
    const source = chunkedSource(mp4);
    const analysis = await analyze(source, { declaredName: 'clip.mp4' });
    expect(analysis).toMatchObject({ mime: 'video/mp4', extension: 'mp4', kind: 'video', width: 1280, height: 720 });
    expect(analysis.durationMs).toBeGreaterThanOrEqual(2900);
    expect(analysis.durationMs).toBeLessThanOrEqual(3100);
    expect(analysis.thumbnail!.mime).toBe('image/webp');
    expect(await sharp(analysis.thumbnail!.bytes).metadata()).toMatchObject({ format: 'webp', width: 480, height: 270 });
    // ffmpeg jumped to the index at the end instead of reading from the start only.
    expect(source.reads.some(([start]) => start > mp4.length / 2)).toBe(true);
  });

  it('a phone video recorded sideways with a 90° rotation is portrait', async () => {
    const mp4 = rotateMp4By90(await ffmpegFile(scratch.dir, 'rotated.mp4', [...testsrc(1, '320x240'), ...H264]));
    const analysis = await analyze(bufferSource(mp4), { declaredName: 'portrait.mp4' });
    expect(analysis).toMatchObject({ kind: 'video', width: 240, height: 320 });
    expect(await sharp(analysis.thumbnail!.bytes).metadata()).toMatchObject({ width: 240, height: 320 });
  });

  it("a browser-style WebM (VP8, piped, so no duration in it) is video, its duration from its packets", async () => {
    const webm = await ffmpegPiped('webm', [...testsrc(2, '320x240', 25), '-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '300k']);
    const analysis = await analyze(bufferSource(webm), { declaredName: 'screen.webm', declaredMime: 'audio/webm' });
    expect(analysis).toMatchObject({ mime: 'video/webm', kind: 'video', width: 320, height: 240 });
    expect(analysis.durationMs).toBeGreaterThanOrEqual(1900);
    expect(analysis.durationMs).toBeLessThanOrEqual(2100);
    expect(analysis.thumbnail).toBeDefined();
  });

  it('MOV and MKV', async () => {
    const mov = await ffmpegFile(scratch.dir, 'a.mov', [...testsrc(1), ...H264]);
    expect(await analyze(bufferSource(mov), { declaredName: 'a.mov' })).toMatchObject({ mime: 'video/quicktime', kind: 'video', width: 320, height: 240 });
    const mkv = await ffmpegFile(scratch.dir, 'a.mkv', [...testsrc(1), ...H264]);
    expect(await analyze(bufferSource(mkv), { declaredName: 'a.mkv' })).toMatchObject({ mime: 'video/matroska', kind: 'video', width: 320, height: 240 });
  });

  it('a truncated MP4 is a plain file with a problem that does not reveal the loopback URL', async () => {
    const mp4 = await ffmpegFile(scratch.dir, 'whole.mp4', [...testsrc(2), ...H264]);
    const analysis = await analyze(bufferSource(mp4.subarray(0, Math.floor(mp4.length * 0.6))), { declaredName: 'cut.mp4' });
    expect(analysis).toMatchObject({ mime: 'video/mp4', kind: 'other' });
    expect(analysis.problem).toBeTruthy();
    expect(analysis.problem).not.toMatch(/127\.0\.0\.1|http:/);
  });

  it('a container with garbage after a valid header is a plain file', async () => {
    const mp4 = await ffmpegFile(scratch.dir, 'head.mp4', [...testsrc(1), ...H264, '-movflags', '+faststart']);
    const garbage = Buffer.concat([mp4.subarray(0, 64), Buffer.alloc(50_000, 0xa5)]);
    const analysis = await analyze(bufferSource(garbage), { declaredName: 'x.mp4' });
    expect(analysis.kind).toBe('other');
    expect(analysis.problem).toBeTruthy();
  });

  it('several at once all finish (the ffmpeg gate queues them)', async () => {
    const mp4 = await ffmpegFile(scratch.dir, 'many.mp4', [...testsrc(1), ...H264]);
    const results = await Promise.all(Array.from({ length: 5 }, () => analyze(bufferSource(mp4), { declaredName: 'm.mp4' })));
    for (const result of results) expect(result).toMatchObject({ kind: 'video', width: 320, height: 240 });
  });
});
