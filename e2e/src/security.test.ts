/**
 * The client under the server's browser hardening headers, in headless
 * Chromium: link credentials (?key=, ?invite=) leave the address bar once
 * read (and a reload still joins with them), the start page and a standalone
 * board run without a single CSP violation, another origin cannot frame a
 * meeting, and the suites' CSP watch really catches a violation.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startTestServer } from '@muster/server/testing';
import { type CspViolation, assertWebClientBuilt, browserTestsEnabled, expectNoCspViolations, launchBrowser, takeCspViolations, waitForJoined } from './fixtures/browser.ts';

interface CreatedRoom {
  id: string;
  hostKey: string;
  links: { host: string; participant: string };
}

describe.skipIf(!browserTestsEnabled())('web client under the security headers, in Chromium', () => {
  // The server's Content-Security-Policy is strict: any violation a page reports fails the test.
  afterEach(expectNoCspViolations);
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let room: CreatedRoom;
  const pages: Page[] = [];

  const newPage = async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    pages.push(page);
    return page;
  };
  const roleOf = (page: Page) => page.evaluate(() => window.__muster!.room.localParticipant!.role);

  beforeAll(async () => {
    assertWebClientBuilt();
    server = await startTestServer();
    browser = await launchBrowser();
    const res = await fetch(`${server.url}/api/v1/rooms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'Security review' }),
    });
    expect(res.status).toBe(201);
    room = (await res.json()) as CreatedRoom;
  });

  afterAll(async () => {
    for (const page of pages) await page.context().close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  it('a host link joins as host, then the key is gone from the address bar and history; a reload still joins as host', async () => {
    expect(room.links.host).toContain(`key=${encodeURIComponent(room.hostKey)}`);
    const page = await newPage();
    const response = await page.goto(`${server.url}${room.links.host}&name=${encodeURIComponent('Grace Hopper')}&autojoin=1`);
    // The document itself came with the policy the suites hold the client to.
    expect(response!.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await waitForJoined(page);
    expect(await roleOf(page)).toBe('host');

    const url = new URL(page.url());
    expect(url.pathname).toBe(`/m/${room.id}`);
    expect(url.searchParams.has('key')).toBe(false);
    expect(page.url()).not.toContain(room.hostKey);
    // The other parameters stay; the entry was replaced, not pushed (Back does not lead to the key).
    expect(url.searchParams.get('name')).toBe('Grace Hopper');
    expect(url.searchParams.get('autojoin')).toBe('1');
    // about:blank and this page: the entry with the key was replaced, not followed by a new one.
    expect(await page.evaluate(() => history.length)).toBe(2);
    expect(await page.evaluate(() => document.referrer)).toBe('');

    // The key is this tab's until it closes: a reload joins as host again, still without it in the URL.
    await page.reload();
    await waitForJoined(page);
    expect(await roleOf(page)).toBe('host');
    expect(page.url()).not.toContain(room.hostKey);
  });

  it('an invite link is taken out of the address bar too', async () => {
    const token = new URL(room.links.participant, server.url).searchParams.get('invite')!;
    expect(token).toBeTruthy();
    const page = await newPage();
    await page.goto(`${server.url}${room.links.participant}&name=${encodeURIComponent('Ada Lovelace')}&autojoin=1&camera=0`);
    await waitForJoined(page);
    expect(await roleOf(page)).toBe('participant');
    expect(new URL(page.url()).searchParams.has('invite')).toBe(false);
    expect(page.url()).not.toContain(token);
  });

  it('the prejoin screen drops the key before anyone joins', async () => {
    const page = await newPage();
    await page.goto(`${server.url}${room.links.host}`);
    await page.getByTestId('prejoin').waitFor();
    expect(page.url()).toBe(`${server.url}/m/${room.id}`);
  });

  it('the start page and a standalone board load and run without a CSP violation', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.getByTestId('home-create').waitFor();
    await expectNoCspViolations();

    await page.goto(`${server.url}/b/security-review`);
    await page.getByTestId('board-name').fill('Grace Hopper');
    await page.getByTestId('board-open').click();
    await expect.poll(() => page.getByTestId('board-connection').textContent(), { timeout: 15_000 }).toBe('Connected');
    // Draw a rectangle: fabric's canvases and their (CSSOM) styling are live.
    const canvas = page.locator('canvas.upper-canvas').first();
    await canvas.waitFor();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + 100, box.y + 100);
    await page.mouse.down();
    await page.mouse.move(box.x + 200, box.y + 180, { steps: 5 });
    await page.mouse.up();
  });

  it('another origin cannot frame a meeting', async () => {
    const page = await newPage();
    const target = `${server.url}/m/${room.id}?name=Mallory&autojoin=1`;
    // A page of another origin (its own little server, on the loopback like the meeting server: Chromium
    // refuses a public page's frames to local addresses anyway) that wraps the meeting in a frame.
    const outside = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><iframe id="wrap" src="${target}" width="800" height="600"></iframe>`);
    });
    await new Promise<void>((resolve) => outside.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => (outside.close(() => resolve()), outside.closeAllConnections())));
    await page.goto(`http://127.0.0.1:${(outside.address() as AddressInfo).port}/`);
    await expect.poll(() => page.frames().length).toBe(2);
    const framed = page.frames().find((f) => f !== page.mainFrame());
    await framed!.waitForLoadState('load');
    // Chromium shows its error page in place of a document that refuses to be framed: no app, no join.
    expect(await framed!.evaluate(() => !!document.querySelector('#app')).catch(() => false)).toBe(false);
    expect(framed!.url()).not.toBe(target);
    expect([...(server.rooms.get(room.id)?.participants.values() ?? [])].map((p) => p.name)).not.toContain('Mallory');
  });

  it('the suites’ CSP watch catches a violation, with its directive and what was refused', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.getByTestId('home-create').waitFor();
    await page.evaluate(() => {
      const img = new Image();
      img.src = 'http://example.invalid/tracker.png';
      document.body.setAttribute('style', 'outline: 1px solid red');
    });
    const violations: CspViolation[] = [];
    await expect
      .poll(
        () => {
          violations.push(...takeCspViolations());
          return violations.map((v) => v.directive);
        },
        { timeout: 5_000 },
      )
      .toEqual(expect.arrayContaining(['img-src', 'style-src-attr']));
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ directive: 'img-src', blockedURI: 'http://example.invalid/tracker.png' }),
        expect.objectContaining({ directive: 'style-src-attr', blockedURI: 'inline' }),
      ]),
    );
  });
});
