/**
 * Recording end to end in headless Chromium: two participants with fake
 * devices, the host records about 10 s from the meeting UI, everyone (and a
 * late joiner) sees the indicator, and ffprobe checks what was recorded.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '@muster/server/testing';
import { decodesCleanly, frameSizes, meanVolume, probe } from '@muster/recorder/testing';
import type { RecordingInfo } from '@muster/recorder';
import { assertWebClientBuilt, browserTestsEnabled, expectNoCspViolations, launchBrowser, openMeeting } from './fixtures/browser.ts';
import { diagnoseOutboundVideo } from './fixtures/probes.ts';

const ROOM = 'e2e-recording';

/** Video frames in the recording's track files so far (ffprobe reads a file still being written up to its last cluster). */
async function recordedVideoFrames(dir: string): Promise<number> {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.webm')) : [];
  let most = 0;
  for (const file of files) {
    const p = await probe(path.join(dir, file)).catch(() => null);
    if (p?.streams.some((s) => s.codec_type === 'video')) most = Math.max(most, p.videoFrames);
  }
  return most;
}

describe.skipIf(!browserTestsEnabled())('web client: recording a meeting in Chromium', () => {
  // The server's Content-Security-Policy is strict: any violation a page reports fails the test.
  afterEach(expectNoCspViolations);
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let host: Page;
  let guest: Page;

  beforeAll(async () => {
    assertWebClientBuilt();
    server = await startTestServer();
    browser = await launchBrowser();
    host = await openMeeting(browser, server.url, ROOM, 'Grace Hopper');
    guest = await openMeeting(browser, server.url, ROOM, 'Ada Lovelace');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('records ~10 s into a composite with video and audible audio, and per-track files that decode', async () => {
    await waitUntil(() => {
      const room = server.rooms.get(ROOM);
      return room && [...room.participants.values()].every((p) => p.tracks.size >= 2) && room.participants.size === 2;
    }, 20_000, 'both publishing');

    await host.getByTestId('participants-toggle').click();
    const clickedAt = Date.now();
    await host.getByTestId('host-recording').click();
    for (const page of [host, guest]) await expect.poll(() => page.getByTestId('recording-badge').isVisible(), { timeout: 5_000 }).toBe(true);
    const recording = await waitUntil(() => server.recorder.active(ROOM), 5_000, 'a recording');
    // A late joiner is told at once.
    const late = await ProtocolClient.join(server.url, ROOM, 'Late');
    expect(late.joined!.room.recording).toBe(true);
    late.socket.close();

    // About 10 s of recording as the server counts it: the stop click takes as long to arrive as the start click did.
    const clickLatency = Math.max(0, recording.info.startedAt - clickedAt);
    await new Promise((r) => setTimeout(r, Math.max(0, recording.info.startedAt + 10_000 - clickLatency - Date.now())));
    await host.getByTestId('host-recording').click();
    for (const page of [host, guest]) await expect.poll(() => page.getByTestId('recording-badge').isVisible(), { timeout: 5_000 }).toBe(false);

    const info: RecordingInfo = await waitUntil(async () => {
      const i = await server.recorder.get(recording.id);
      return i && (i.state === 'ready' || i.state === 'failed') ? i : null;
    }, 90_000, 'the composite');
    expect(info.state).toBe('ready');
    expect(info.problems).toEqual([]);
    const dir = path.join(server.recorder.config.dir, info.id);
    console.log('[recording e2e]', JSON.stringify({ durationMs: info.durationMs, codecs: info.manifest.tracks.map((t) => t.codec), cpu: info.manifest.composite?.cpuSeconds, parts: info.manifest.tracks.map((t) => t.parts.map((p) => [p.startMs, p.endMs, p.endReason])), problems: info.problems }));

    const composite = await probe(path.join(dir, info.manifest.composite!.file));
    expect(composite.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(composite.duration).toBeGreaterThan(10 - 1.5);
    expect(composite.duration).toBeLessThan(10 + 1.5);
    expect(composite.videoFrames).toBeGreaterThan(100);
    expect(await meanVolume(path.join(dir, info.manifest.composite!.file))).toBeGreaterThan(-60);

    // The host lists the meeting's recordings and plays the composite in the page.
    await host.getByTestId('show-recordings').click();
    const link = host.locator(`[data-recording-id="${info.id}"] [data-testid="download-recording"]`);
    await expect.poll(() => link.count(), { timeout: 5_000 }).toBe(1);
    const href = await link.getAttribute('href');
    expect(await host.evaluate(async (url) => (await fetch(url!)).status, href)).toBe(200);
    await host.locator(`[data-recording-id="${info.id}"] [data-testid="play-recording"]`).click();
    await expect.poll(() => host.getByTestId('recording-player').evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 10_000 }).toBeGreaterThan(0);

    const recorded = info.manifest.tracks.filter((t) => t.parts.some((p) => p.files.length > 0));
    expect(recorded.map((t) => t.kind).sort()).toEqual(['audio', 'audio', 'video', 'video']);
    for (const track of recorded) {
      for (const file of track.parts.flatMap((p) => p.files)) {
        await decodesCleanly(path.join(dir, file));
        const p = await probe(path.join(dir, file));
        expect(p.streams.map((s) => s.codec_type)).toEqual([track.kind]);
        // The browsers' frame rate drops when the machine is busy: decoding frames is what counts.
        if (track.kind === 'video') expect(p.videoFrames).toBeGreaterThan(5);
      }
    }
  });

  it.each([
    // The web client's default camera (1280×720 asked of the fake device). Recorded whole by the recorder's own
    // depacketizer: every frame decodes at the top layer's size, not at the base layer's 320×180.
    ['scalable VP9 (L3T3_KEY) at its top spatial layer', 'codec=vp9&svc=L3T3_KEY', 'video/vp9', 'vp9', 40],
    // Software AV1 at 720p is slow on a busy machine, and frames without a top-layer part show nothing: fewer frames.
    ['scalable AV1 (L3T3_KEY) at its top spatial layer', 'codec=av1&svc=L3T3_KEY', 'video/av1', 'av1', 15],
    ['VP8 simulcast as its highest encoding', 'codec=vp8', 'video/vp8', 'vp8', 40],
  ])('records %s: the track file decodes', async (_what, query, mimeType, codecName, minFrames) => {
    const room = `${ROOM}-${codecName}`;
    const page = await openMeeting(browser, server.url, room, 'Hedy Lamarr', { query });
    try {
      await waitUntil(() => [...(server.rooms.get(room)?.participants.values() ?? [])].some((p) => p.tracks.size >= 2), 20_000, 'publishing');
      const auth = { authorization: `Bearer ${server.apiToken}` };
      const started = await fetch(`${server.url}/api/v1/rooms/${room}/recordings`, { method: 'POST', headers: auth });
      expect(started.status).toBe(201);
      const { id } = (await started.json()) as { id: string };
      // Record until the track file holds enough frames: a busy machine's encoder starts the top layer late
      // (bandwidth ramp-up) and the recording waits for a keyframe, so a fixed duration records too little.
      const workDir = path.join(server.recorder.config.dir, id);
      await waitUntil(async () => (await recordedVideoFrames(workDir)) >= minFrames + 20, 60_000, 'frames in the recorded track file');
      // The largest layer the publisher sends, as the SFU saw it.
      const published = (await (await fetch(`${server.url}/api/v1/rooms/${room}`, { headers: auth })).json()) as {
        participants: { producers: { kind: string; resolutions?: { width: number; height: number }[] }[] }[];
      };
      const layers = published.participants.flatMap((p) => p.producers).find((p) => p.kind === 'video')?.resolutions ?? [];
      const sending = await diagnoseOutboundVideo(page);
      expect((await fetch(`${server.url}/api/v1/rooms/${room}/recordings/current`, { method: 'DELETE', headers: auth })).status).toBe(200);
      const info: RecordingInfo = await waitUntil(async () => {
        const i = await server.recorder.get(id);
        return i && i.state !== 'recording' && i.state !== 'processing' ? i : null;
      }, 60_000, 'the composite');
      const video = info.manifest.tracks.find((t) => t.kind === 'video')!;
      // Recorded from the first part on, without the recorder's ffmpeg failing.
      expect(video.parts.map((p) => p.endReason)).toEqual(['stopped']);
      expect(video.parts[0]!.files.length).toBeGreaterThan(0);
      expect(video.codec.toLowerCase()).toBe(mimeType);
      expect(video.status).not.toBe('unsupported');
      const dir = path.join(server.recorder.config.dir, id);
      for (const file of video.parts.flatMap((p) => p.files)) {
        await decodesCleanly(path.join(dir, file));
        const p = await probe(path.join(dir, file));
        expect(p.streams[0]!.codec_name).toBe(codecName);
        expect(p.videoFrames, `frames in ${file}; what the publisher sent: ${sending}`).toBeGreaterThan(minFrames);
        const sizes = await frameSizes(path.join(dir, file));
        // In order, run-length: where a stray size sits tells why.
        const runs = sizes.reduce<[string, number][]>((r, size) => (r.at(-1)?.[0] === size ? (r.at(-1)![1]++, r) : [...r, [size, 1]]), []);
        console.log(`[recording ${codecName}] layers published ${JSON.stringify(layers)}; stream ${p.streams[0]!.width}x${p.streams[0]!.height}; decoded frames ${runs.map(([size, n]) => `${size}×${n}`).join(' ')}`);
        if (codecName !== 'vp8') {
          const top = layers.reduce((best, l) => (l.width > best.width ? l : best), { width: 0, height: 0 });
          const topSize = `${top.width}x${top.height}`;
          // The top layer, in the file's header and in most frames. A lower layer only while the publisher stops
          // sending the top one for a while (a busy machine's encoder adapts): a few long runs, never the
          // picture-by-picture alternation of decoding every layer of a superframe.
          expect(top.width).toBeGreaterThan(320);
          expect(`${p.streams[0]!.width}x${p.streams[0]!.height}`).toBe(topSize);
          expect(sizes.filter((s) => s === topSize).length).toBeGreaterThan(sizes.length / 2);
          expect(runs.length).toBeLessThanOrEqual(5);
          expect(runs.filter(([size]) => size !== topSize).every(([, n]) => n >= 5)).toBe(true);
        }
      }
      expect(info.manifest.composite).not.toBeNull();
    } finally {
      await page.context().close();
    }
  });
});
