/**
 * End to end in real headless Chromium: two people in one meeting share its
 * whiteboard (a military symbol stamped, moved, undone) and annotate a shared
 * screen from windows of different sizes.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '@muster/server/testing';
import { assertWebClientBuilt, browserTestsEnabled, expectNoCspViolations, launchBrowser, openMeeting } from './fixtures/browser.ts';

const ROOM = 'e2e-board';

interface Obj {
  id: string;
  type: string;
  page: string;
  x: number;
  y: number;
  sidc?: string;
  modifiers?: Record<string, unknown>;
}

const objects = (page: Page, boardPage = 'p1'): Promise<Obj[]> =>
  page.evaluate((p) => window.__board?.client.doc.listObjects(p) ?? window.__annotate?.view.client.doc.listObjects(p) ?? [], boardPage) as Promise<Obj[]>;

/** Where a board point is on the page, in CSS pixels. */
async function onScreen(page: Page, x: number, y: number, hook: '__board' | '__annotate' = '__board'): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ({ x, y, hook }) => {
      const view = window[hook]!.view;
      const box = view.el.getBoundingClientRect();
      const p = view.toScreen(x, y);
      return { x: box.left + p.x, y: box.top + p.y };
    },
    { x, y, hook },
  );
}

async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 4 });
  await page.mouse.up();
}

describe.skipIf(!browserTestsEnabled())('whiteboard in a meeting, in Chromium', () => {
  // The server's Content-Security-Policy is strict: any violation a page reports fails the test.
  afterEach(expectNoCspViolations);
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let ada: Page;
  let bob: Page;

  beforeAll(async () => {
    assertWebClientBuilt();
    server = await startTestServer();
    browser = await launchBrowser();
    ada = await openMeeting(browser, server.url, ROOM, 'Ada', { viewport: { width: 1280, height: 720 } });
    bob = await openMeeting(browser, server.url, ROOM, 'Bob', { viewport: { width: 1000, height: 820 } });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a symbol stamped by A shows on B at the same place within 1 s; B moves it; A’s undo takes back only A’s own action', async () => {
    for (const page of [ada, bob]) {
      await page.getByTestId('board-toggle').click();
      await page.waitForFunction(() => window.__board?.client.joined === true, undefined, { timeout: 20_000 });
    }

    // A chooses a symbol by code and sets its modifiers, then stamps it.
    await ada.getByTestId('symbol-sidc').fill('SHGPUCA----E---');
    await ada.getByTestId('symbol-sidc').press('Tab');
    await ada.getByTestId('mod-unique').fill('3/7');
    await ada.getByTestId('mod-higher').fill('2 BDE');
    await ada.getByTestId('mod-direction').fill('45');
    await ada.getByTestId('mod-dtg').fill('241200ZNOV26');
    await ada.getByTestId('tool-symbol').click();
    const canvasBox = (await ada.getByTestId('board-canvas').boundingBox())!;
    await ada.mouse.click(canvasBox.x + 300, canvasBox.y + 220);
    const [stamped] = await objects(ada);
    expect(stamped).toMatchObject({ type: 'symbol', sidc: 'SHGPUCA----E---', modifiers: { uniqueDesignation: '3/7', higherFormation: '2 BDE', direction: 45, dtg: '241200ZNOV26' } });

    // B has it within a second, same SIDC, same board coordinates, drawn there.
    await bob.waitForFunction((id) => !!window.__board?.client.doc.getObject(id), stamped!.id, { timeout: 1_000, polling: 20 });
    const seen = (await objects(bob)).find((o) => o.id === stamped!.id)!;
    expect(seen).toEqual(stamped);
    const shape = await bob.evaluate((id) => {
      const s = window.__board!.view.shapeOf(id);
      return s ? { left: s.left, top: s.top } : null;
    }, stamped!.id);
    expect(shape).toEqual({ left: stamped!.x, top: stamped!.y });

    // B drags it; A sees it move.
    await bob.getByTestId('tool-select').click();
    const from = await onScreen(bob, stamped!.x, stamped!.y);
    await drag(bob, from, { x: from.x + 120, y: from.y + 60 });
    await bob.waitForFunction(({ id, x }) => (window.__board!.client.doc.getObject(id)?.x ?? x) > x + 50, { id: stamped!.id, x: stamped!.x }, { timeout: 5_000 });
    const moved = (await objects(bob)).find((o) => o.id === stamped!.id)!;
    await ada.waitForFunction(({ id, x }) => window.__board!.client.doc.getObject(id)?.x === x, { id: stamped!.id, x: moved.x }, { timeout: 5_000 });

    // Both draw; then A undoes: only A's rectangle goes.
    await bob.getByTestId('tool-line').click();
    const bobBox = (await bob.getByTestId('board-canvas').boundingBox())!;
    await drag(bob, { x: bobBox.x + 100, y: bobBox.y + 400 }, { x: bobBox.x + 300, y: bobBox.y + 420 });
    await ada.getByTestId('tool-rect').click();
    await drag(ada, { x: canvasBox.x + 600, y: canvasBox.y + 300 }, { x: canvasBox.x + 700, y: canvasBox.y + 380 });
    await ada.waitForFunction(() => window.__board!.client.doc.listObjects('p1').length === 3, undefined, { timeout: 5_000 });
    await bob.waitForFunction(() => window.__board!.client.doc.listObjects('p1').length === 3, undefined, { timeout: 5_000 });
    await ada.getByTestId('board-undo').click();
    await bob.waitForFunction(() => window.__board!.client.doc.listObjects('p1').length === 2, undefined, { timeout: 5_000 });
    const left = await objects(bob);
    expect(left.map((o) => o.type).sort()).toEqual(['line', 'symbol']);
    expect(left.find((o) => o.type === 'symbol')).toMatchObject({ id: stamped!.id, x: moved.x, y: moved.y });

    for (const page of [ada, bob]) await page.getByTestId('board-toggle').click();
  });

  it('a mark on a shared screen lands on the same point of the picture for a viewer with another window size; the presenter clears it', async () => {
    // Bob presents; both annotate (Bob over his own preview, Ada over the main screen).
    await bob.getByTestId('screenshare-toggle').click();
    await expect.poll(() => bob.getByTestId('screenshare-toggle').getAttribute('aria-pressed'), { timeout: 15_000 }).toBe('true');
    for (const page of [ada, bob]) {
      await page.getByTestId('annotate-toggle').waitFor({ state: 'visible', timeout: 20_000 });
      await page.waitForFunction(() => {
        const v = document.querySelector<HTMLVideoElement>('[data-source="screen"] video');
        return !!v && v.videoWidth > 0;
      }, undefined, { timeout: 20_000 });
      await page.getByTestId('annotate-toggle').click();
      await page.waitForFunction(() => window.__annotate?.view.client.joined === true, undefined, { timeout: 20_000 });
    }

    // The layer covers exactly the picture (letterboxing included) on both screens.
    const layerMatchesPicture = (page: Page) =>
      page.evaluate(() => {
        const video = window.__annotate!.video;
        const box = video.getBoundingClientRect();
        const scale = Math.min(box.width / video.videoWidth, box.height / video.videoHeight);
        const picture = { left: box.left + (box.width - video.videoWidth * scale) / 2, top: box.top + (box.height - video.videoHeight * scale) / 2, width: video.videoWidth * scale, height: video.videoHeight * scale };
        const layer = document.querySelector('[data-testid="annotation-layer"]')!.getBoundingClientRect();
        return Math.max(Math.abs(layer.left - picture.left), Math.abs(layer.top - picture.top), Math.abs(layer.width - picture.width), Math.abs(layer.height - picture.height));
      });
    expect(await layerMatchesPicture(ada)).toBeLessThan(1.5);
    expect(await layerMatchesPicture(bob)).toBeLessThan(1.5);

    // Ada boxes the region from 25 %/40 % to 35 %/50 % of the picture.
    await ada.getByTestId('annotate-rect').click();
    const layer = (await ada.getByTestId('annotation-layer').boundingBox())!;
    const at = (fx: number, fy: number) => ({ x: layer.x + layer.width * fx, y: layer.y + layer.height * fy });
    await drag(ada, at(0.25, 0.4), at(0.35, 0.5));
    await bob.waitForFunction(() => (window.__annotate!.view.client.doc.listObjects('screen') ?? []).length === 1, undefined, { timeout: 5_000 });

    const relative = (page: Page) =>
      page.evaluate(() => {
        const view = window.__annotate!.view;
        const [mark] = view.client.doc.listObjects('screen');
        const p = view.toScreen(mark!.x, mark!.y);
        const layer = view.el.getBoundingClientRect();
        return { x: p.x / layer.width, y: p.y / layer.height, layerWidth: layer.width };
      });
    const onAda = await relative(ada);
    const onBob = await relative(bob);
    expect(onAda.layerWidth).not.toBeCloseTo(onBob.layerWidth, 0);
    for (const r of [onAda, onBob]) {
      expect(r.x).toBeCloseTo(0.3, 2);
      expect(r.y).toBeCloseTo(0.45, 2);
    }

    // The composite PNG downloads; then the presenter clears every mark.
    const download = bob.waitForEvent('download');
    await bob.getByTestId('annotate-save').click();
    expect((await download).suggestedFilename()).toMatch(/\.png$/);
    await bob.getByTestId('annotate-clear').click();
    await ada.waitForFunction(() => window.__annotate!.view.client.doc.listObjects('screen').length === 0, undefined, { timeout: 5_000 });
  });
});
