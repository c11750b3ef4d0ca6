/**
 * Audio/video sync of a recording, measured: a Node publisher (libwebrtc)
 * whose picture turns from black to white at the very instant its sound
 * turns from silence to a tone, every 2 s. In the composite, and in the
 * per-track files placed by the manifest, each flash and its tone must start
 * within 100 ms of each other (the bound).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import wrtc from '@roamhq/wrtc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodePeer } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { compositeArgs } from '@muster/recorder';
import { runFfmpeg } from '@muster/recorder';
import type { RecordingInfo } from '@muster/recorder';
import { FFMPEG } from '@muster/recorder/testing';

const { RTCVideoSource, RTCAudioSource } = (wrtc as unknown as { nonstandard: Record<string, new () => any> }).nonstandard;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PERIOD_MS = 2_000;
/** Each period: dark and silent for the first half, bright with a tone for the second. */
const isOn = (ms: number) => ms % PERIOD_MS >= PERIOD_MS / 2;

/** Camera and microphone driven by one clock, so their edges coincide at the source. */
function flashingMedia(): { video: MediaStreamTrack; audio: MediaStreamTrack; stop: () => void } {
  const t0 = performance.now();
  const video = new RTCVideoSource();
  const width = 160;
  const height = 120;
  const frame = new Uint8ClampedArray((width * height * 3) / 2);
  const videoTimer = setInterval(() => {
    frame.fill(isOn(performance.now() - t0) ? 235 : 16, 0, width * height);
    frame.fill(128, width * height);
    video.onFrame({ width, height, data: frame });
  }, 1000 / 30);
  const audio = new RTCAudioSource();
  const sampleRate = 48000;
  const chunk = sampleRate / 100;
  let sent = 0; // samples pushed; audio is paced by this, not by the timer's jitter
  const audioTimer = setInterval(() => {
    const now = performance.now() - t0;
    // Pushed as the wall clock advances: sample n is at n / 48000 s, on the video's clock.
    while ((sent / sampleRate) * 1000 < now) {
      const samples = new Int16Array(chunk);
      for (let i = 0; i < chunk; i++) {
        const ms = ((sent + i) / sampleRate) * 1000;
        samples[i] = isOn(ms) ? Math.sin((2 * Math.PI * 440 * (sent + i)) / sampleRate) * 12000 : 0;
      }
      audio.onData({ samples, sampleRate, bitsPerSample: 16, channelCount: 1, numberOfFrames: chunk });
      sent += chunk;
    }
  }, 10);
  return {
    video: video.createTrack(),
    audio: audio.createTrack(),
    stop: () => {
      clearInterval(videoTimer);
      clearInterval(audioTimer);
    },
  };
}

function ffmpeg(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(FFMPEG, ['-hide_banner', '-nostats', ...args], { maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`ffmpeg ${args.join(' ')}: ${stderr}`)) : resolve(`${stdout}${stderr}`),
    ),
  );
}

/** (time, value) pairs of one frame metadata key, on the file's own timeline (-copyts, as the composite reads it). */
function parseMetadata(log: string, key: string): { t: number; v: number }[] {
  const out: { t: number; v: number }[] = [];
  let t = NaN;
  for (const line of log.split('\n')) {
    const pts = /pts_time:(-?[\d.]+)/.exec(line);
    if (pts) t = Number(pts[1]);
    const value = new RegExp(`${key.replace(/\./g, '\\.')}=(-?[\\d.]+|-inf|inf)`).exec(line);
    if (value && Number.isFinite(t)) out.push({ t, v: value[1] === '-inf' ? -200 : Number(value[1]) });
  }
  return out;
}

/** When the picture turns bright: mean luma crossing half-way between black and white. */
async function videoOnsets(file: string): Promise<number[]> {
  const log = await ffmpeg(['-copyts', '-i', file, '-map', '0:v:0', '-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-', '-f', 'null', '-']);
  return rising(parseMetadata(log, 'lavfi.signalstats.YAVG'), (v) => v > 80, (v) => v < 40);
}

/** When the tone starts: the RMS of 2.5 ms windows rising out of silence. */
async function audioOnsets(file: string): Promise<number[]> {
  const log = await ffmpeg([
    '-copyts', '-i', file, '-map', '0:a:0', '-af',
    'aresample=48000,asetnsamples=n=120:p=0,astats=metadata=1:reset=1,ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-',
    '-f', 'null', '-',
  ]);
  return rising(parseMetadata(log, 'lavfi.astats.Overall.RMS_level'), (v) => v > -35, (v) => v < -50);
}

/** Times where the value turns high after having been low. */
function rising(series: { t: number; v: number }[], high: (v: number) => boolean, low: (v: number) => boolean): number[] {
  const edges: number[] = [];
  let wasLow = false;
  for (const { t, v } of series) {
    if (low(v)) wasLow = true;
    else if (high(v) && wasLow) {
      edges.push(t);
      wasLow = false;
    }
  }
  return edges;
}

/**
 * Each video edge with the audio edge nearest to it: their skew in ms
 * (video − audio). A video edge with no tone within half a period has an
 * infinite skew, which fails the bound. (A track that starts in a bright,
 * loud phase has an extra audio edge at its start and no video one, since
 * the picture was never dark: unpaired audio edges are not events.)
 */
function pairSkews(video: number[], audio: number[]): number[] {
  return video.map((v) => {
    const a = audio.reduce((best, x) => (Math.abs(x - v) < Math.abs(best - v) ? x : best), Infinity);
    return Math.abs(v - a) < PERIOD_MS / 2000 ? Math.round((v - a) * 1000) : Infinity;
  });
}

describe('recording audio/video sync', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let peer: NodePeer;
  let media: ReturnType<typeof flashingMedia>;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    media?.stop();
    await peer?.close().catch(() => undefined);
    await server?.close();
  });

  it('each flash and its tone start within 100 ms of each other, in the composite and in the per-track files', async () => {
    const room = 'rec-sync';
    peer = new NodePeer(server.url);
    await peer.join(room, 'Flash', { audio: false, video: false });
    media = flashingMedia();
    await peer.room.publishTrack(media.audio, 'microphone');
    await peer.room.publishTrack(media.video, 'camera');
    await waitUntil(() => server.rooms.get(room)?.participants.get(peer.room.participantId!)?.tracks.size === 2, 10_000, 'publishing');
    await sleep(1_000);
    const auth = { Authorization: `Bearer ${server.apiToken}` };
    const { id } = (await (await fetch(`${server.url}/api/v1/rooms/${room}/recordings`, { method: 'POST', headers: auth })).json()) as { id: string };
    await sleep(9_000);
    await fetch(`${server.url}/api/v1/rooms/${room}/recordings/current`, { method: 'DELETE', headers: auth });
    const info = await waitUntil(async () => {
      const i = await server.recorder.get(id);
      return i && (i.state === 'ready' || i.state === 'failed') ? (i as RecordingInfo) : null;
    }, 60_000, 'the composite');
    expect(info.state).toBe('ready');
    const dir = path.join(server.recorder.config.dir, id);

    // The composite.
    const composite = path.join(dir, info.manifest.composite!.file);
    // Over the black canvas and the silent bed, the tracks' own starts look
    // like edges when they start bright and loud: those are not events.
    const lastStart = Math.max(...info.manifest.tracks.map((t) => t.parts[0]!.startMs!)) / 1000 + 0.3;
    const events = (edges: number[]) => edges.filter((t) => t > lastStart);
    const [cv, ca] = (await Promise.all([videoOnsets(composite), audioOnsets(composite)])).map(events) as [number[], number[]];
    const compositeSkews = pairSkews(cv, ca);

    // The per-track files, each placed at its part's start offset, as a player of the manifest would.
    const placed = async (kind: 'audio' | 'video') => {
      const track = info.manifest.tracks.find((t) => t.kind === kind)!;
      const part = track.parts[0]!;
      const times: number[] = [];
      for (const file of part.files) times.push(...(await (kind === 'video' ? videoOnsets : audioOnsets)(path.join(dir, file))));
      return times.map((t) => t + part.startMs! / 1000);
    };
    const [tv, ta] = [events(await placed('video')), events(await placed('audio'))];
    const trackSkews = pairSkews(tv, ta);
    console.log(`[sync] composite video edges ${cv.map((t) => t.toFixed(3)).join(' ')}; audio ${ca.map((t) => t.toFixed(3)).join(' ')}`);
    console.log(`[sync] composite skew (video − audio, ms): ${compositeSkews.join(', ')}`);
    console.log(`[sync] per-track video edges ${tv.map((t) => t.toFixed(3)).join(' ')}; audio ${ta.map((t) => t.toFixed(3)).join(' ')}`);
    console.log(`[sync] per-track skew (video − audio, ms): ${trackSkews.join(', ')}`);

    // About one flash per 2 s of the 9 s: at least 3 whole ones.
    expect(cv.length).toBeGreaterThanOrEqual(3);
    expect(tv.length).toBeGreaterThanOrEqual(3);
    expect(ca.length).toBeGreaterThanOrEqual(3);
    expect(ta.length).toBeGreaterThanOrEqual(3);
    for (const skew of compositeSkews) expect(Math.abs(skew), `composite skews ${compositeSkews}`).toBeLessThanOrEqual(100);
    for (const skew of trackSkews) expect(Math.abs(skew), `per-track skews ${trackSkews}`).toBeLessThanOrEqual(100);

    // The measurement sees skew where there is some: the same files composed
    // with the audio placed 300 ms late come out about 300 ms apart.
    const shifted = structuredClone(info.manifest);
    shifted.tracks.find((t) => t.kind === 'audio')!.parts[0]!.startMs! += 300;
    const late = path.join(dir, 'sync-shifted.mp4');
    await runFfmpeg(server.recorder.config.ffmpegPath, compositeArgs(shifted, (n) => path.join(dir, n), { fromMs: 0, toMs: info.durationMs! }, server.recorder.config, late));
    // A flash less than 300 ms before the end has its tone after the end: not an event here.
    const end = info.durationMs! / 1000 - 0.35;
    const [lv, la] = (await Promise.all([videoOnsets(late), audioOnsets(late)])).map((edges) => edges.filter((t) => t > lastStart + 0.3)) as [number[], number[]];
    lv.splice(0, lv.length, ...lv.filter((t) => t < end));
    const lateSkews = pairSkews(lv, la);
    console.log(`[sync] composite with audio placed 300 ms late, skew (ms): ${lateSkews.join(', ')}`);
    expect(lateSkews.length).toBeGreaterThanOrEqual(3);
    for (const skew of lateSkews) expect(skew).toBeGreaterThan(-400), expect(skew).toBeLessThan(-200);
  });
});
