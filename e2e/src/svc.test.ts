/**
 * Scalable video end to end in Chromium: one person publishes a 1280×720
 * camera (a generated clip as the fake camera) as VP9 L3T3_KEY, as VP8
 * simulcast and as AV1 L3T3_KEY; one viewer shows it as a thumbnail, another on the main
 * screen. The SFU forwards each the layer (encoding) its tile needs, so the
 * thumbnail decodes a smaller frame; moving the video to the main screen
 * brings the large one within 2 s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil } from '@muster/server/testing';
import { assertWebClientBuilt, browserTestsEnabled, expectNoCspViolations, launchBrowser, openMeeting, participantId } from './fixtures/browser.ts';
import { probeVideos } from './fixtures/probes.ts';
import { writeY4m } from './fixtures/y4m.ts';

const CASES = [
  { name: 'VP9 L3T3_KEY', room: 'e2e-svc', query: 'codec=vp9&svc=L3T3_KEY', codec: 'video/VP9', mode: /^L[23]T3/ },
  { name: 'VP8 simulcast', room: 'e2e-simulcast', query: 'codec=vp8', codec: 'video/VP8', mode: /^S[23]T/ },
  { name: 'AV1 L3T3_KEY', room: 'e2e-av1', query: 'codec=av1&svc=L3T3_KEY', codec: 'video/AV1', mode: /^L[23]T3/ },
];

describe.skipIf(!browserTestsEnabled())('web client: video layers follow the tile size', () => {
  // The server's Content-Security-Policy is strict: any violation a page reports fails the test.
  afterEach(expectNoCspViolations);
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let clipDir: string;

  beforeAll(async () => {
    assertWebClientBuilt();
    clipDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-y4m-'));
    const clip = path.join(clipDir, 'camera-720p.y4m');
    writeY4m(clip, { width: 1280, height: 720, frames: 30, fps: 15 });
    server = await startTestServer();
    browser = await launchBrowser([`--use-file-for-fake-video-capture=${clip}`]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (clipDir) fs.rmSync(clipDir, { recursive: true, force: true });
  });

  describe.each(CASES)('$name', ({ room: ROOM, query, codec, mode }) => {
  let publisher: Page;
  let thumb: Page;
  let main: Page;
  let publisherId: string;

  afterAll(async () => {
    // This case's people leave before the next case starts.
    for (const page of [publisher, thumb, main]) await page?.context().close();
  });

  async function dump() {
    const res = await fetch(`${server.url}/api/v1/rooms/${ROOM}`, { headers: { authorization: 'Bearer test-token-0123456789' } });
    return (await res.json()) as {
      participants: {
        id: string;
        name: string;
        producers: { id: string; kind: string; codec: string; scalabilityMode?: string; layers?: { spatialLayer: number; bitrate: number }[] }[];
        consumers: { producerId: string; kind: string; layers?: { currentSpatialLayer: number; targetSpatialLayer: number; currentTemporalLayer: number; targetTemporalLayer: number } }[];
      }[];
    };
  }

  /** Pins `id`'s tile on `page` (the main screen shows it; everyone else goes to the filmstrip). */
  async function pin(page: Page, id: string): Promise<void> {
    await page.locator(`[data-participant-id="${id}"] [data-testid="tile-pin"]`).first().dispatchEvent('click');
  }

  const widthOn = async (page: Page) => (await probeVideos(page, [publisherId]))[publisherId]!.width;

  it('a thumbnail viewer decodes a smaller width than a main-screen viewer', async () => {
    publisher = await openMeeting(browser, server.url, ROOM, 'Pat Publisher', { query: `${query}&mic=0` });
    publisherId = await participantId(publisher);
    thumb = await openMeeting(browser, server.url, ROOM, 'Tom Thumbnail', { query: 'camera=0&mic=0' });
    main = await openMeeting(browser, server.url, ROOM, 'Mia Main', { query: 'camera=0&mic=0' });
    const mainId = await participantId(main);

    await pin(main, publisherId);
    await pin(thumb, mainId);

    const widths = await waitUntil(
      async () => {
        const [t, m] = await Promise.all([widthOn(thumb), widthOn(main)]);
        return t > 0 && m > t ? { t, m } : null;
      },
      40_000,
      'the main-screen viewer to decode a larger frame than the thumbnail viewer',
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; dump: ${JSON.stringify(await dump())}`);
    });
    console.log(`[svc e2e ${codec}] thumbnail decodes ${widths.t}px wide, main screen ${widths.m}px`);
    expect(widths.t).toBeLessThan(widths.m);

    const room = await dump();
    const video = room.participants.find((p) => p.id === publisherId)!.producers.find((p) => p.kind === 'video')!;
    expect(video.codec).toBe(codec);
    expect(video.scalabilityMode).toMatch(mode);
    const layerOf = (name: string) =>
      room.participants.find((p) => p.name === name)!.consumers.find((c) => c.kind === 'video' && c.producerId !== undefined)!.layers!;
    expect(layerOf('Tom Thumbnail').targetSpatialLayer).toBeLessThan(layerOf('Mia Main').targetSpatialLayer);
  });

  it('moving the video from the filmstrip to the main screen changes the decoded width within 2 s', async () => {
    const before = await widthOn(thumb);
    await pin(thumb, publisherId);
    const startedAt = Date.now();
    await expect
      .poll(() => widthOn(thumb), { timeout: 2_000, interval: 100 })
      .toBeGreaterThan(before)
      .catch(async (error: Error) => {
        const consumers = (await dump()).participants.find((p) => p.name === 'Tom Thumbnail')?.consumers;
        throw new Error(`${error.message}; the thumbnail viewer's consumers: ${JSON.stringify(consumers)}`);
      });
    console.log(`[svc e2e ${codec}] width ${before} → ${await widthOn(thumb)} after ${Date.now() - startedAt} ms`);
  });

  it('a viewer that asks for the base frame rate only (temporal layer 0) gets it and keeps decoding', async () => {
    const room = await dump();
    const video = room.participants.find((p) => p.id === publisherId)!.producers.find((p) => p.kind === 'video')!;
    // Three temporal layers: VP9 and AV1 L3T3_KEY, and VP8 simulcast with L1T3 per encoding.
    expect(video.scalabilityMode).toMatch(/T3/);
    const temporalOf = async () =>
      (await dump()).participants.find((p) => p.name === 'Tom Thumbnail')!.consumers.find((c) => c.kind === 'video')!.layers!;
    await thumb.evaluate((trackId) => window.__muster!.room.request('subscription.update', { tracks: [{ trackId, temporalLayer: 0 }] }), video.id);
    await expect.poll(async () => (await temporalOf()).currentTemporalLayer, { timeout: 5_000 }).toBe(0);
    // The forwarded subset decodes: frames keep coming (a reference to a dropped layer, or a hole in the
    // picture ids, would freeze the picture until the next keyframe request).
    const before = (await probeVideos(thumb, [publisherId]))[publisherId]!.frames;
    await expect.poll(async () => (await probeVideos(thumb, [publisherId]))[publisherId]!.frames, { timeout: 20_000, interval: 200 }).toBeGreaterThan(before + 5);
    expect((await temporalOf()).targetTemporalLayer).toBe(0);
  });
  });
});
