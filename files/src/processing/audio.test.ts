import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, voiceDuration } from './analyze.ts';
import { PcmMeter, WAVEFORM_BARS } from './audio.ts';
import { bufferSource } from './byteSource.ts';
import { serveOnLoopback } from './loopbackSource.ts';
import { probe } from './probe.ts';
import { ffmpegFile, ffmpegPiped, scratchDir, sine, testsrc } from './testFixtures.ts';

const OPUS = ['-c:a', 'libopus', '-b:a', '32k'];

function expectWaveform(waveform: number[] | undefined): void {
  expect(waveform).toHaveLength(WAVEFORM_BARS);
  for (const bar of waveform!) {
    expect(Number.isInteger(bar)).toBe(true);
    expect(bar).toBeGreaterThanOrEqual(0);
    expect(bar).toBeLessThanOrEqual(100);
  }
}

describe('audio', () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  beforeAll(async () => {
    scratch = await scratchDir();
  });
  afterAll(() => scratch.remove());

  it('a browser-style voice message (WebM/Opus written to a pipe, no duration): audio, exact duration, waveform', async () => {
    const webm = await ffmpegPiped('webm', [...sine(5), ...OPUS]);
    // Like MediaRecorder's output, the container does not know its length.
    const served = await serveOnLoopback(bufferSource(webm));
    try {
      expect((await probe(served.url, 'matroska')).durationMs).toBeUndefined();
    } finally {
      await served.close();
    }
    const analysis = await analyze(bufferSource(webm), { declaredName: 'voice.webm', declaredMime: 'video/webm' });
    expect(analysis).toMatchObject({ mime: 'audio/webm', kind: 'audio' });
    expect(Math.abs(analysis.durationMs! - 5000)).toBeLessThanOrEqual(30);
    expectWaveform(analysis.waveform);
    // A steady tone: every bar near the loudest.
    expect(Math.min(...analysis.waveform!)).toBeGreaterThanOrEqual(90);
  });

  it('61 s of WebM/Opus measures over 60 s (the IM layer refuses it as a voice message)', async () => {
    const webm = await ffmpegPiped('webm', [...sine(61), ...OPUS]);
    const duration = await voiceDuration(bufferSource(webm));
    expect(duration).toBeGreaterThan(60_000);
    expect(Math.abs(duration! - 61_000)).toBeLessThanOrEqual(30);
  });

  it('the waveform follows the loudness: silence then tone', async () => {
    const wav = await ffmpegFile(scratch.dir, 'half.wav', ['-f', 'lavfi', '-i', "aevalsrc='if(lt(t,1),0,0.8*sin(2*PI*440*t))':d=2:s=48000"]);
    const analysis = await analyze(bufferSource(wav), { declaredName: 'half.wav' });
    expect(analysis).toMatchObject({ mime: 'audio/wav', kind: 'audio', durationMs: 2000 });
    expectWaveform(analysis.waveform);
    expect(analysis.waveform!.slice(0, 23).every((bar) => bar === 0)).toBe(true);
    expect(analysis.waveform!.slice(25).every((bar) => bar >= 90)).toBe(true);
  });

  it('Ogg/Opus, M4A (AAC, index at the end), MP3, WAV', async () => {
    const cases: [string, Buffer, string][] = [
      ['ogg', await ffmpegPiped('ogg', [...sine(3), ...OPUS]), 'audio/ogg'],
      ['m4a', await ffmpegFile(scratch.dir, 'a.m4a', [...sine(3), '-c:a', 'aac']), 'audio/x-m4a'],
      ['mp3', await ffmpegFile(scratch.dir, 'a.mp3', [...sine(3), '-c:a', 'libmp3lame']), 'audio/mpeg'],
      ['wav', await ffmpegFile(scratch.dir, 'a.wav', sine(3)), 'audio/wav'],
    ];
    for (const [name, bytes, mime] of cases) {
      const analysis = await analyze(bufferSource(bytes), { declaredName: `a.${name}` });
      expect(analysis, name).toMatchObject({ mime, kind: 'audio' });
      // Encoder padding may add a frame or two at most.
      expect(Math.abs(analysis.durationMs! - 3000), name).toBeLessThanOrEqual(60);
      expectWaveform(analysis.waveform);
    }
  });

  it('an MP4 with only an audio track is audio/mp4; silence gives a flat waveform', async () => {
    const mp4 = await ffmpegFile(scratch.dir, 'silent.mp4', ['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-t', '2', '-c:a', 'aac']);
    const analysis = await analyze(bufferSource(mp4), { declaredName: 'a.mp4' });
    expect(analysis).toMatchObject({ mime: 'audio/mp4', extension: 'm4a', kind: 'audio' });
    expect(analysis.waveform).toEqual(new Array(WAVEFORM_BARS).fill(0));
  });

  it('an audio file named and declared as a video is audio; a video named .mp3 is video', async () => {
    const mp3 = await ffmpegFile(scratch.dir, 'b.mp3', [...sine(1), '-c:a', 'libmp3lame']);
    expect(await analyze(bufferSource(mp3), { declaredName: 'movie.mp4', declaredMime: 'video/mp4' })).toMatchObject({ mime: 'audio/mpeg', kind: 'audio' });
    const webm = await ffmpegPiped('webm', [...testsrc(1), ...sine(1), '-c:v', 'libvpx', '-deadline', 'realtime', ...OPUS, '-shortest']);
    expect(await analyze(bufferSource(webm), { declaredName: 'song.mp3', declaredMime: 'audio/mpeg' })).toMatchObject({ mime: 'video/webm', kind: 'video' });
    expect(await voiceDuration(bufferSource(webm))).toBeUndefined();
  });

  it('corrupt Opus after a valid header is a plain file, not a throw', async () => {
    const webm = await ffmpegPiped('webm', [...sine(2), ...OPUS]);
    const broken = Buffer.concat([webm.subarray(0, 200), Buffer.alloc(20_000, 0x5a)]);
    const analysis = await analyze(bufferSource(broken), { declaredName: 'voice.webm' });
    expect(analysis.kind).toBe('other');
    expect(analysis.problem).toBeTruthy();
  });

  it('PcmMeter: samples split across chunks, odd byte boundaries', () => {
    const pcm = Buffer.alloc(8000 * 2);
    for (let i = 0; i < 8000; i++) pcm.writeInt16LE(i < 4000 ? 0 : -16000, i * 2);
    const meter = new PcmMeter();
    for (let at = 0; at < pcm.length; at += 333) meter.add(pcm.subarray(at, at + 333));
    expect(meter.samples).toBe(8000);
    const waveform = meter.waveform();
    expect(waveform.slice(0, 24).every((bar) => bar === 0)).toBe(true);
    expect(waveform.slice(24).every((bar) => bar === 100)).toBe(true);
    // A clip shorter than 48 blocks still has 48 bars.
    const short = new PcmMeter();
    short.add(Buffer.alloc(100 * 2, 0x40));
    expect(short.waveform()).toHaveLength(WAVEFORM_BARS);
  });
});
