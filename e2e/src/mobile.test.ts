/**
 * The web client on a phone-sized screen (390×844), in real headless
 * Chromium: the start page creates a meeting, the prejoin screen joins it,
 * and the meeting view keeps every control on screen.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@muster/server/testing';
import { browserTestsEnabled, expectNoCspViolations, openMeeting, waitForJoined } from './fixtures/browser.ts';
import { e2ePeople, openWebClient, PHONE, PHONE_CONTEXT } from './fixtures/people.ts';
import { diagnoseRemoteVideo, participantCount } from './fixtures/probes.ts';

/** Screenshots for people to look at (CI can keep them as artifacts); nothing asserts on pixels. */
const SHOTS = path.join(os.tmpdir(), 'muster-e2e');

async function expectInViewport(page: Page, selector: string, viewport: { width: number; height: number }): Promise<void> {
  const boxes = await page.locator(selector).evaluateAll((els) =>
    els
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => {
        const r = el.getBoundingClientRect();
        return { what: el.getAttribute('data-testid') ?? el.tagName, x: r.x, y: r.y, right: r.right, bottom: r.bottom, w: r.width, h: r.height };
      }),
  );
  expect(boxes.length).toBeGreaterThan(0);
  for (const box of boxes) {
    expect(box.w, `${box.what} has a size`).toBeGreaterThan(0);
    expect(box.x, `${box.what} left edge`).toBeGreaterThanOrEqual(0);
    expect(box.y, `${box.what} top edge`).toBeGreaterThanOrEqual(0);
    expect(box.right, `${box.what} right edge`).toBeLessThanOrEqual(viewport.width);
    expect(box.bottom, `${box.what} bottom edge`).toBeLessThanOrEqual(viewport.height);
  }
}

describe.skipIf(!browserTestsEnabled())('web client on a phone-sized screen', () => {
  // The server's Content-Security-Policy is strict: any violation a page reports fails the test.
  afterEach(expectNoCspViolations);
  let server: Awaited<ReturnType<typeof openWebClient>>['server'];
  let browser: Browser;
  const people = e2ePeople(() => server, () => browser);
  const meetingPages: Page[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    ({ server, browser } = await openWebClient());
  });

  afterAll(() => people.closeAll());

  it('the start page creates a meeting, and the prejoin screen joins it and remembers the name', async () => {
    const context = await browser.newContext(PHONE_CONTEXT);
    people.track(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/`);

    // A code that is not one is refused on the spot.
    await page.getByTestId('home-code-input').fill('no such code!');
    await page.getByTestId('home-join').click();
    await expect.poll(() => page.locator('.join-form .form-error').textContent()).toContain('not a meeting code');
    await page.screenshot({ path: path.join(SHOTS, 'phone-home.png') });

    await page.getByTestId('home-create').click();
    await page.waitForURL(/\/m\/[a-z]{4}-[a-z]{4}-[a-z]{4}$/, { timeout: 10_000 });
    const code = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByTestId('prejoin').waitFor();
    expect(await page.getByTestId('room-code').textContent()).toBe(code);

    // Camera preview and the device lists come up before joining.
    await expect.poll(() => page.locator('.preview-video').evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('prejoin-camera-select').locator('option').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('prejoin-mic-select').locator('option').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'phone-prejoin.png') });

    // No name, no join.
    await page.getByTestId('prejoin-name').fill('');
    await page.getByTestId('join').click();
    await expect.poll(() => page.locator('.prejoin-form .form-error').textContent()).toContain('Enter your name');

    await page.getByTestId('prejoin-name').fill('Mary Jackson');
    await page.getByTestId('join').click();
    await waitForJoined(page);
    expect(await page.evaluate(() => window.__muster!.room.localParticipant!.name)).toBe('Mary Jackson');
    await expectInViewport(page, '[data-testid="control-bar"], [data-testid="control-bar"] button', PHONE);

    // Leave, go back to the start page, join the same code by typing it: the name is remembered.
    await page.getByTestId('leave').click();
    await page.getByTestId('left-screen').waitFor();
    await page.getByTestId('home-link').click();
    await page.getByTestId('home-code-input').fill(code);
    await page.getByTestId('home-join').click();
    await page.getByTestId('prejoin').waitFor();
    expect(await page.getByTestId('prejoin-name').inputValue()).toBe('Mary Jackson');
  });

  it('the meeting view fits the phone: tiles, control bar and people panel on screen', async () => {
    const room = 'phone-layout';
    const phone = await openMeeting(browser, server.url, room, 'Dorothy Vaughan', { viewport: PHONE, context: PHONE_CONTEXT });
    const desktop = await openMeeting(browser, server.url, room, 'Annie Easley');
    people.track(phone.context(), desktop.context());
    meetingPages.push(phone, desktop);

    await expect.poll(() => participantCount(phone), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => phone.locator('[data-participant-id]').count(), { timeout: 15_000 }).toBe(2);
    await expectInViewport(phone, '[data-testid="control-bar"], [data-testid="control-bar"] button', PHONE);
    await expectInViewport(phone, '[data-participant-id]', PHONE);
    for (const id of ['mic-toggle', 'camera-toggle', 'participants-toggle', 'leave']) {
      expect(await phone.getByTestId(id).isVisible(), `${id} visible`).toBe(true);
    }

    // The people panel opens as a sheet over the stage, inside the screen.
    await phone.getByTestId('participants-toggle').click();
    await phone.getByTestId('participant-list').waitFor();
    expect(await phone.getByTestId('participant-item').count()).toBe(2);
    expect(await phone.getByTestId('host-badge').count()).toBe(1);
    await expectInViewport(phone, '#participants-panel', PHONE);
    await phone.screenshot({ path: path.join(SHOTS, 'phone-people.png') });
    await phone.getByTestId('participants-panel-close').click();
    await expect.poll(() => phone.locator('#participants-panel').isVisible()).toBe(false);
  });

  it('the speaker layout on the phone puts the other person on the main screen', async () => {
    const [phone, desktop] = meetingPages as [Page, Page];
    const desktopId = await desktop.evaluate(() => window.__muster!.room.participantId!);
    // Let the remote picture arrive before taking the screenshots.
    await waitUntil(
      () => phone.locator(`[data-participant-id="${desktopId}"] video`).evaluate((v: HTMLVideoElement) => v.videoWidth > 0),
      40_000,
      'the remote camera on the phone',
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await diagnoseRemoteVideo(phone, desktopId)}`);
    });
    const phoneId = await phone.evaluate(() => window.__muster!.room.participantId!);
    await waitUntil(
      () => desktop.locator(`[data-participant-id="${phoneId}"] video`).evaluate((v: HTMLVideoElement) => v.videoWidth > 0),
      40_000,
      'the phone camera on the desktop',
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await diagnoseRemoteVideo(desktop, phoneId)}`);
    });
    await phone.screenshot({ path: path.join(SHOTS, 'phone-meeting.png') });
    await desktop.screenshot({ path: path.join(SHOTS, 'desktop-meeting.png') });

    await phone.getByTestId('layout-toggle').click();
    await expect.poll(() => phone.getByTestId('meeting').getAttribute('data-layout')).toBe('speaker');
    await expect.poll(() => phone.locator(`[data-testid="main-screen"] [data-participant-id="${desktopId}"]`).count()).toBe(1);
    await expectInViewport(phone, '[data-testid="control-bar"] button', PHONE);
    await phone.screenshot({ path: path.join(SHOTS, 'phone-speaker.png') });

    // Tapping the filmstrip tile (yourself) pins it to the main screen; tapping its pin unpins.
    const phoneTile = phone.locator(`[data-participant-id="${phoneId}"]`);
    await phoneTile.click();
    await expect.poll(() => phone.locator(`[data-testid="main-screen"] [data-participant-id="${phoneId}"]`).count()).toBe(1);
    await phoneTile.getByTestId('tile-pin').click();
    await expect.poll(() => phone.locator(`[data-testid="main-screen"] [data-participant-id="${desktopId}"]`).count()).toBe(1);
  });
});
