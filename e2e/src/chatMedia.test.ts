/**
 * Photos, videos, voice messages and files in the real web client, in
 * headless Chromium against a whole server (tus uploads, the files API's
 * signed links, media messages). Ann and Ben, contacts with a direct
 * conversation, each signed in on a desktop of their own:
 *
 * (a) Ann records a voice message with the fake microphone (its beep) and
 *     sends it; Ben sees it unplayed with its duration, plays it (the audio
 *     element plays), and the unplayed dot goes.
 * (b) Ann sends a picture; Ben sees its thumbnail, and the viewer opens the
 *     original.
 * (c) Ann sends a 3 s video made here with ffmpeg; Ben sees its poster and
 *     duration and plays it in the page (its currentTime advances).
 * (d) Ann sends a 200 MB file of pseudo-random bytes through the attach
 *     menu; the network goes away mid-way (the upload waits), comes back
 *     (it carries on from the server's offset), the message is sent; Ben
 *     downloads it and its SHA-256 matches.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, expectNoCspViolations } from './fixtures/browser.ts';
import { DESKTOP, e2ePeople, newDevice, openWebClient } from './fixtures/people.ts';

type Server = Awaited<ReturnType<typeof openWebClient>>['server'];

const BIG = 200 * 1024 * 1024;

/** A file of pseudo-random bytes (seeded, so reruns make the same file), written in 1 MiB pieces; its SHA-256. */
function pseudoRandomFile(file: string, size: number): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'w');
  const key = crypto.createHash('sha256').update('muster-e2e-media').digest();
  const cipher = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < size; ) {
    const piece = cipher.update(zeros.subarray(0, Math.min(zeros.length, size - written)));
    fs.writeSync(fd, piece);
    hash.update(piece);
    written += piece.length;
  }
  fs.closeSync(fd);
  return hash.digest('hex');
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

describe.skipIf(!browserTestsEnabled())('photos, videos, voice messages and files in chats', () => {
  let server: Server;
  let browser: Awaited<ReturnType<typeof openWebClient>>['browser'];
  const people = e2ePeople(() => server, () => browser);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-media-e2e-'));
  let ann: Page;
  let ben: Page;
  let annContext: BrowserContext;
  let conversationId = '';

  beforeAll(async () => {
    ({ server, browser } = await openWebClient());
    const a = await people.account('+8613900000701', 'Ann Media');
    const b = await people.account('+8613900000702', 'Ben Media');
    await people.befriend(a, b);
    conversationId = await people.directChat(a, b);
    const annDevice = await newDevice(browser, 'ann', { context: { viewport: DESKTOP }, console: ['error', 'warning'] });
    annContext = annDevice.context;
    ann = annDevice.page;
    people.track(annContext);
    ben = await people.device('ben', { console: ['error', 'warning'] });
    await people.logIn(ann, a.phone);
    await people.logIn(ben, b.phone);
    await people.openChat(conversationId, ann, ben);
  }, 120_000);

  afterAll(async () => {
    await people.closeAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** The newest message of this type on a page. */
  const newest = (page: Page, testId: string) => page.locator('[data-testid="message"]', { has: page.getByTestId(testId) }).last();
  /** My newest message of this type, stored by the server (sent, or already read: the other person has the chat open). */
  const delivered = (page: Page, testId: string) => page.locator('[data-testid="message"]:is([data-state="sent"], [data-state="read"])', { has: page.getByTestId(testId) }).last();

  it('(a) records a voice message with the microphone; the other side plays it and the unplayed dot goes', async () => {
    await ann.getByTestId('voice-record').click();
    // Two seconds of beep: the timer says so.
    await ann.getByTestId('voice-timer').filter({ hasText: /^0:0[2-9]/ }).waitFor({ timeout: 15_000 });
    await ann.getByTestId('voice-send').click();
    await delivered(ann, 'voice-bubble').waitFor({ timeout: 30_000 });

    const voice = newest(ben, 'voice-bubble');
    await voice.waitFor({ timeout: 30_000 });
    await voice.getByTestId('voice-unplayed').waitFor();
    // The server's duration, from the recording itself (about the two seconds recorded).
    expect(await voice.getByTestId('voice-duration').textContent()).toMatch(/^0:0[1-9]$/);
    await voice.getByTestId('voice-bubble').click();
    await ben.waitForFunction(() => {
      const a = document.querySelector<HTMLAudioElement>('[data-testid="voice-audio"]');
      return !!a && a.currentTime > 0.2;
    }, undefined, { timeout: 20_000 });
    await voice.getByTestId('voice-unplayed').waitFor({ state: 'detached' });
    // Through the media cache: a blob: URL (the CSP's media-src allows it), not the signed link.
    expect(await ben.getByTestId('voice-audio').evaluate((a: HTMLAudioElement) => [a.dataset.cached, a.currentSrc.slice(0, 5)])).toEqual(['true', 'blob:']);
    expectNoCspViolations();
  });

  it('(b) sends a picture: the thumbnail shows on the other side, the viewer opens the original', async () => {
    const png = path.join(tmp, 'test-card.png');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x480', '-frames:v', '1', png]);
    await ann.getByTestId('attach-media-input').setInputFiles(png);
    await delivered(ann, 'image-bubble').waitFor({ timeout: 30_000 });

    const image = newest(ben, 'image-bubble');
    await image.getByTestId('image-thumb').waitFor({ timeout: 30_000 });
    await expect.poll(() => image.getByTestId('image-thumb').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0);
    await image.getByTestId('image-bubble').click();
    const viewer = ben.getByTestId('image-viewer');
    await viewer.waitFor();
    await expect.poll(() => viewer.getByTestId('viewer-image').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), { timeout: 15_000 }).toBe(640);
    await ben.getByTestId('viewer-close').click();
    await viewer.waitFor({ state: 'detached' });
    expectNoCspViolations();
  });

  it('(c) sends a video: its poster and duration show, and it plays in the page', async () => {
    const mp4 = path.join(tmp, 'clip.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=3:size=320x240:rate=25', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', mp4]);
    await ann.getByTestId('attach-media-input').setInputFiles(mp4);
    await delivered(ann, 'video-bubble').waitFor({ timeout: 30_000 });
    // The sender sees the picked file's own first frame (an object URL), before and after the upload.
    const preview = newest(ann, 'video-bubble').getByTestId('video-local-preview');
    await expect.poll(() => preview.evaluate((v: HTMLVideoElement) => (v.currentSrc.startsWith('blob:') ? v.videoWidth : 0)), { timeout: 15_000 }).toBe(320);

    const video = newest(ben, 'video-bubble');
    await video.getByTestId('video-poster').waitFor({ timeout: 30_000 });
    await expect.poll(() => video.getByTestId('video-poster').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await video.getByTestId('video-duration').textContent()).toBe('0:03');
    await video.getByTestId('video-play').click();
    await video.getByTestId('video-player').waitFor();
    await expect.poll(() => video.getByTestId('video-player').evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 20_000 }).toBeGreaterThan(0.5);
    // A small video plays from the media cache (a blob: URL); over 50 MB it would stream from its link.
    expect(await video.getByTestId('video-player').getAttribute('data-source')).toBe('cache');
    expectNoCspViolations();
  });

  it('(d) sends a 200 MB file through a network drop; the other side downloads the same bytes', async () => {
    const big = path.join(tmp, 'archive-200mb.bin');
    const sha = pseudoRandomFile(big, BIG);
    await ann.getByTestId('composer-attach').click();
    await ann.getByTestId('attach-menu').waitFor();
    await ann.getByTestId('attach-file-input').setInputFiles(big);

    const mine = newest(ann, 'file-card');
    const overlay = mine.getByTestId('upload-overlay');
    await overlay.waitFor({ timeout: 30_000 });
    // Some bytes out, then no network: the upload waits.
    await expect.poll(async () => Number(await overlay.getAttribute('data-sent')), { timeout: 60_000 }).toBeGreaterThan(20 * 1024 * 1024);
    await annContext.setOffline(true);
    await mine.locator('[data-testid="upload-overlay"][data-state="paused"]').waitFor({ timeout: 30_000 });
    const sentWhenOffline = Number(await overlay.getAttribute('data-sent'));
    expect(await mine.getByTestId('upload-speed').textContent()).toBe('Waiting for network');
    // Back: it carries on from what the server has (not from zero) and finishes.
    await annContext.setOffline(false);
    await mine.locator('[data-testid="upload-overlay"][data-state="uploading"]').waitFor({ timeout: 30_000 });
    expect(await ann.evaluate(() => (globalThis as { __musterUploader?: { uploads: { snapshot: { bytesSent: number; name: string } }[] } }).__musterUploader?.uploads.find((u) => u.snapshot.name === 'archive-200mb.bin')?.snapshot.bytesSent ?? 0)).toBeGreaterThan(0);
    await delivered(ann, 'file-card').waitFor({ timeout: 180_000 });
    expect(sentWhenOffline).toBeGreaterThan(0);

    const card = newest(ben, 'file-card');
    await card.getByTestId('file-name').filter({ hasText: 'archive-200mb.bin' }).waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([ben.waitForEvent('download', { timeout: 60_000 }), card.getByTestId('file-card').click()]);
    expect(download.suggestedFilename()).toBe('archive-200mb.bin');
    const saved = await download.path();
    expect(fs.statSync(saved).size).toBe(BIG);
    expect(await sha256Of(saved)).toBe(sha);
    expectNoCspViolations();
  }, 300_000);
  it('(e) after a reload, an unfinished upload asks for its file again and goes on from the bytes the server has', async () => {
    const file = path.join(tmp, 'report-40mb.bin');
    pseudoRandomFile(file, 40 * 1024 * 1024);
    // A slow uplink (4 MB/s), so the tab goes away mid-upload however fast loopback is.
    const cdp = await annContext.newCDPSession(ann);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
    await ann.getByTestId('composer-attach').click();
    await ann.getByTestId('attach-menu').waitFor();
    await ann.getByTestId('attach-file-input').setInputFiles(file);
    const overlay = newest(ann, 'file-card').getByTestId('upload-overlay');
    await overlay.waitFor({ timeout: 30_000 });
    await expect.poll(async () => Number(await overlay.getAttribute('data-sent')), { timeout: 60_000 }).toBeGreaterThan(0);
    // The tab goes away mid-upload (as a reload does): this page's uploader stops where it is.
    const stoppedAt = await ann.evaluate(() => {
      const u = (globalThis as { __musterUploader?: { uploads: { snapshot: { name: string; bytesSent: number }; pause(): void }[] } }).__musterUploader;
      const upload = u?.uploads.find((x) => x.snapshot.name === 'report-40mb.bin');
      upload?.pause();
      return upload?.snapshot.bytesSent ?? -1;
    });
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(40 * 1024 * 1024);
    await ann.reload();
    const banner = ann.locator('[data-testid="unfinished-upload"][data-name="report-40mb.bin"]');
    await banner.waitFor({ timeout: 30_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    // The same file again: the first PATCH starts where the server's copy ends, not at 0.
    const firstPatch = ann.waitForRequest((r) => r.method() === 'PATCH' && r.url().includes('/api/v1/uploads/'), { timeout: 60_000 });
    await ann.getByTestId('unfinished-input').setInputFiles(file);
    expect(Number((await firstPatch).headers()['upload-offset'])).toBeGreaterThan(0);
    await banner.waitFor({ state: 'detached', timeout: 10_000 });
    const card = newest(ben, 'file-card');
    await card.getByTestId('file-name').filter({ hasText: 'report-40mb.bin' }).waitFor({ timeout: 120_000 });
    expectNoCspViolations();
  }, 240_000);
});
