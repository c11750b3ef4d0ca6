/**
 * Moments (战友圈) in the real web client, in headless Chromium against a
 * whole server. Ann and Ben are friends; Cai is no one's friend.
 *
 * - Ann posts text, a picture and a location as Friends from the composer
 *   (the picture uploaded with tus through the files client).
 * - Ben's tab shows the badge for her new post and clears it when opened;
 *   he sees the post in Friends and in All with its picture (the viewer
 *   opens it), likes it and comments.
 * - Ann sees the like and the comment live, the tab badge and the notices,
 *   which are read once opened.
 * - Cai sees nothing of it (the feed, and /moments/p/<id> is not found);
 *   Ann makes it All: Cai now sees it, but not Ben's like or comment (the
 *   mutual-friend rule). An "Only me" post is Ann's alone. Deleting takes
 *   the post away from everyone.
 * - A video from the device (one per post, never with photos) plays in
 *   the feed.
 * - On a phone: the tab bar at the bottom, the views above it, the
 *   composer a screen of its own, the feed one column.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, expectNoCspViolations } from './fixtures/browser.ts';
import { e2ePeople, numberedSignUps, openWebClient, PASSWORD, PHONE, PHONE_CONTEXT } from './fixtures/people.ts';

type Server = Awaited<ReturnType<typeof openWebClient>>['server'];
type Person = { id: string; token: string; phone: string; nickname: string };

const SHOTS = path.join(os.tmpdir(), 'muster-e2e');

describe.skipIf(!browserTestsEnabled())('Moments in the web client', () => {
  afterEach(expectNoCspViolations);
  let server: Server;
  let browser: Browser;
  const people = e2ePeople(() => server, () => browser);
  const { api, befriend, logIn } = people;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-moments-e2e-'));

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    ({ server, browser } = await openWebClient());
  });

  afterAll(() => people.closeAll());

  /** An account made in the server's own accounts domain (each from its own address: the sign-up limits are per address). */
  const account: (nickname: string) => Promise<Person> = numberedSignUps(() => server, '+86139000019', 91);

  const postOn = (page: Page, id: string) => page.locator(`[data-testid="moment"][data-moment-id="${id}"]`);
  /** The feed of a view, loaded (its first page in). */
  async function openFeed(page: Page, view: 'all' | 'friends' | 'mine'): Promise<void> {
    await page.goto(`${server.url}/moments${view === 'all' ? '' : `?view=${view}`}`);
    await page.locator('[data-testid="moments-list"][data-loaded="true"]').waitFor({ timeout: 15_000 });
  }
  /** Whether an <img> in the locator has drawn a real picture. */
  const pictureShown = (page: Page, selector: string) =>
    page.locator(selector).first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0).catch(() => false);

  it('friends see a Friends post, like and comment; the author is told; strangers see it only once it is All, without friends’ comments', async () => {
    const ann = await account('Ann Moments');
    const ben = await account('Ben Moments');
    const cai = await account('Cai Moments');
    await befriend(ann, ben);
    const picture = path.join(tmp, 'range.png');
    await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 30, g: 120, b: 200 } } }).png().toFile(picture);

    const annPage = await people.device('ann');
    const benPage = await people.device('ben');
    const caiPage = await people.device('cai');
    await logIn(annPage, ann.phone);

    // Ann posts text, a picture and a location, for Friends.
    await annPage.getByTestId('tab-moments').click();
    await annPage.getByTestId('moments-compose').click();
    await annPage.getByTestId('moments-composer').waitFor();
    expect(await annPage.getByTestId('composer-post').isDisabled()).toBe(true);
    await annPage.getByTestId('composer-text').fill('靶场训练 day one\nall good');
    await annPage.getByTestId('composer-files').setInputFiles(picture);
    await expect.poll(() => annPage.getByTestId('composer-item').count()).toBe(1);
    await annPage.getByTestId('composer-location').fill('靶场');
    await annPage.getByTestId('composer-visibility-friends').check();
    await annPage.getByTestId('composer-post').click();
    await annPage.waitForURL(/\/moments$/, { timeout: 20_000 });
    const mine = annPage.getByTestId('moment').filter({ hasText: '靶场训练' });
    await mine.waitFor({ timeout: 10_000 });
    const id = (await mine.getAttribute('data-moment-id'))!;
    expect(id).toMatch(/^mo/);
    expect(await mine.getByTestId('moment-visibility').inputValue()).toBe('friends');
    expect(await mine.getByTestId('moment-location').textContent()).toBe('靶场');
    expect(await mine.getByTestId('moment-text').textContent()).toBe('靶场训练 day one\nall good');
    await expect.poll(() => pictureShown(annPage, `[data-moment-id="${id}"] [data-testid="moment-image-thumb"]`)).toBe(true);

    // Ben: the badge for a friend's new post; opening the tab clears it.
    await logIn(benPage, ben.phone);
    await benPage.getByTestId('moments-badge').waitFor({ timeout: 10_000 });
    expect(await benPage.getByTestId('moments-badge').textContent()).toBe('1');
    await benPage.getByTestId('tab-moments').click();
    await benPage.getByTestId('moments-badge').waitFor({ state: 'detached', timeout: 10_000 });
    // The tab clears its badge at once; the server hears "seen" a moment later.
    await expect.poll(async () => (await api('GET', '/moments/badge', ben.token)).body).toEqual({ newPosts: 0, unreadNotices: 0 });

    // In All and in Friends, with its picture; the viewer opens it.
    await postOn(benPage, id).waitFor({ timeout: 10_000 });
    await benPage.getByTestId('moments-view-friends').click();
    await expect.poll(() => benPage.getByTestId('moments-feed').getAttribute('data-view')).toBe('friends');
    const benPost = postOn(benPage, id);
    await benPost.waitFor({ timeout: 10_000 });
    expect(await benPost.getByTestId('moment-author').textContent()).toBe('Ann Moments');
    expect(await benPost.getByTestId('moment-visibility').count()).toBe(0);
    await expect.poll(() => pictureShown(benPage, `[data-moment-id="${id}"] [data-testid="moment-image-thumb"]`)).toBe(true);
    await benPost.getByTestId('moment-image').click();
    await benPage.getByTestId('image-viewer').waitFor();
    await expect.poll(() => pictureShown(benPage, '[data-testid="viewer-image"]')).toBe(true);
    await benPage.keyboard.press('Escape');
    await benPage.getByTestId('image-viewer').waitFor({ state: 'detached' });

    // Ben likes (at once) and comments.
    await benPost.getByTestId('moment-like').click();
    await expect.poll(() => benPost.getByTestId('moment-like').getAttribute('aria-pressed')).toBe('true');
    expect(await benPost.getByTestId('moment-likes').textContent()).toContain('Ben Moments');
    await benPost.getByTestId('moment-comment-open').click();
    await benPost.getByTestId('moment-comment-input').fill('打得好！');
    await benPost.getByTestId('moment-comment-send').click();
    await benPost.getByTestId('moment-comment').filter({ hasText: '打得好！' }).waitFor({ timeout: 10_000 });
    await benPage.screenshot({ path: path.join(SHOTS, 'moments-desktop-feed.png') });

    // Ann, on her feed: the like and the comment arrive live, with the tab badge and the notices count.
    const annPost = postOn(annPage, id);
    await annPost.getByTestId('moment-comment').filter({ hasText: '打得好！' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => annPost.getByTestId('moment-likes').textContent().catch(() => '')).toContain('Ben Moments');
    await expect.poll(() => annPage.getByTestId('moments-badge').textContent().catch(() => null), { timeout: 10_000 }).toBe('2');
    expect(await annPage.getByTestId('moments-notices-count').textContent()).toBe('2');
    // Ann answers Ben's comment.
    await annPost.getByTestId('moment-comment').filter({ hasText: '打得好！' }).locator('.moment-comment-body').click();
    expect(await annPost.getByTestId('moment-comment-input').getAttribute('placeholder')).toBe('Reply to Ben Moments');
    await annPost.getByTestId('moment-comment-input').fill('谢谢');
    await annPost.getByTestId('moment-comment-send').click();
    await annPost.getByTestId('moment-comment').filter({ hasText: 'replied to' }).filter({ hasText: '谢谢' }).waitFor({ timeout: 10_000 });

    // The notices: the like and the comment, read once opened.
    await annPage.getByTestId('moments-notices-link').click();
    await annPage.getByTestId('moments-notices').waitFor();
    await expect.poll(() => annPage.getByTestId('moment-notice').count()).toBe(2);
    expect(await annPage.getByTestId('moment-notice-text').allTextContents()).toEqual(['Ben Moments commented: 打得好！', 'Ben Moments liked your post']);
    await annPage.getByTestId('moments-badge').waitFor({ state: 'detached', timeout: 10_000 });
    await expect.poll(async () => (await api('GET', '/moments/badge', ann.token)).body.unreadNotices).toBe(0);
    // A notice opens its post.
    await annPage.getByTestId('moment-notice').first().click();
    await annPage.getByTestId('moments-post').waitFor();
    await postOn(annPage, id).waitFor();
    // Ben is told of Ann's reply.
    await expect.poll(async () => (await api('GET', '/moments/badge', ben.token)).body.unreadNotices, { timeout: 10_000 }).toBe(1);

    // Cai, no one's friend: nothing of it, in the feed or by its address.
    await logIn(caiPage, cai.phone);
    await openFeed(caiPage, 'all');
    expect(await caiPage.getByTestId('moment').count()).toBe(0);
    await caiPage.goto(`${server.url}/moments/p/${id}`);
    await caiPage.getByTestId('moments-not-found').waitFor({ timeout: 10_000 });

    // Ann makes it All (from her Mine view): Cai now sees it, without Ben's like and the comments between friends.
    await openFeed(annPage, 'mine');
    await postOn(annPage, id).getByTestId('moment-visibility').selectOption('all');
    await expect.poll(async () => (await api('GET', `/moments/${id}`, ann.token)).body.visibility).toBe('all');
    await openFeed(caiPage, 'all');
    const caiPost = postOn(caiPage, id);
    await caiPost.waitFor({ timeout: 10_000 });
    expect(await caiPost.getByTestId('moment-text').textContent()).toContain('靶场训练');
    await expect.poll(() => pictureShown(caiPage, `[data-moment-id="${id}"] [data-testid="moment-image-thumb"]`)).toBe(true);
    expect(await caiPost.getByTestId('moment-comment').count()).toBe(0);
    expect(await caiPost.getByTestId('moment-likes').count()).toBe(0);
    // Ben still sees his comment, and Ann's answer.
    await openFeed(benPage, 'all');
    await expect.poll(() => postOn(benPage, id).getByTestId('moment-comment').count()).toBe(2);
    // Cai may report it.
    await caiPost.getByTestId('moment-report').click();
    await caiPost.getByTestId('moment-report-reason').fill('spam');
    await caiPost.getByTestId('moment-report-send').click();
    await caiPost.getByTestId('moment-reported').waitFor();

    // "Only me": Ann's alone.
    await annPage.getByTestId('moments-compose').click();
    await annPage.getByTestId('composer-text').fill('私人笔记 only mine');
    await annPage.getByTestId('composer-visibility-private').check();
    await annPage.getByTestId('composer-post').click();
    await annPage.waitForURL(/view=mine/, { timeout: 10_000 });
    const privatePost = annPage.getByTestId('moment').filter({ hasText: '私人笔记' });
    await privatePost.waitFor({ timeout: 10_000 });
    const privateId = (await privatePost.getAttribute('data-moment-id'))!;
    expect(await privatePost.getByTestId('moment-visibility').inputValue()).toBe('private');
    await openFeed(benPage, 'all');
    await postOn(benPage, id).waitFor();
    expect(await postOn(benPage, privateId).count()).toBe(0);
    await openFeed(benPage, 'friends');
    expect(await postOn(benPage, privateId).count()).toBe(0);
    await benPage.goto(`${server.url}/moments/p/${privateId}`);
    await benPage.getByTestId('moments-not-found').waitFor();

    // Ann's profile from her name on a post (Ben's view): her posts he may see.
    await openFeed(benPage, 'all');
    await postOn(benPage, id).getByTestId('moment-author').click();
    await benPage.getByTestId('moments-profile').waitFor();
    await postOn(benPage, id).waitFor();
    expect(await benPage.getByTestId('moment').count()).toBe(1);

    // Delete: gone for Ann and, by its address, for Ben.
    await openFeed(annPage, 'mine');
    await postOn(annPage, id).getByTestId('moment-delete').click();
    await postOn(annPage, id).getByTestId('moment-delete-yes').click();
    await postOn(annPage, id).waitFor({ state: 'detached', timeout: 10_000 });
    expect(await postOn(annPage, privateId).count()).toBe(1);
    await benPage.goto(`${server.url}/moments/p/${id}`);
    await benPage.getByTestId('moments-not-found').waitFor();
    expect((await api('GET', `/moments/${id}`, ann.token)).status).toBe(404);
  });

  it('a video from the device: the composer takes one and no photos with it, and a friend plays it in the feed', async () => {
    const fay = await account('Fay Video');
    const gus = await account('Gus Video');
    await befriend(fay, gus);
    const mp4 = path.join(tmp, 'drill.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=3:size=320x240:rate=25', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', mp4]);
    const png = path.join(tmp, 'still.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 50, b: 50 } } }).png().toFile(png);

    const fayPage = await people.device('fay');
    await logIn(fayPage, fay.phone);
    await fayPage.goto(`${server.url}/moments/new`);
    await fayPage.getByTestId('moments-composer').waitFor();
    await fayPage.getByTestId('composer-files').setInputFiles([mp4, png]);
    // The video is taken, the photo refused with why; with a video in, no more can be added.
    await expect.poll(() => fayPage.getByTestId('composer-item').count()).toBe(1);
    expect(await fayPage.getByTestId('composer-item').getAttribute('data-kind')).toBe('video');
    expect(await fayPage.getByTestId('composer-error').textContent()).toBe('A post has photos or one video, not both.');
    expect(await fayPage.getByTestId('composer-files').count()).toBe(0);
    await fayPage.getByTestId('composer-text').fill('实弹演练');
    await fayPage.getByTestId('composer-post').click();
    await fayPage.waitForURL(/\/moments$/, { timeout: 30_000 });
    const posted = fayPage.getByTestId('moment').filter({ hasText: '实弹演练' });
    await posted.waitFor({ timeout: 10_000 });
    const id = (await posted.getAttribute('data-moment-id'))!;
    const view = (await api('GET', `/moments/${id}`, gus.token)).body;
    expect(view.files.map((f: { kind: string }) => f.kind)).toEqual(['video']);

    const gusPage = await people.device('gus');
    await logIn(gusPage, gus.phone);
    await openFeed(gusPage, 'friends');
    const video = postOn(gusPage, id).getByTestId('moment-video');
    await video.getByTestId('video-play').click();
    await video.getByTestId('video-player').waitFor();
    await expect.poll(() => video.getByTestId('video-player').evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 20_000 }).toBeGreaterThan(0.5);
    expect(await video.getByTestId('video-fullscreen').isVisible()).toBe(true);
  });

  it('on a phone: the tab bar at the bottom, the views in reach above it, the composer a screen of its own', async () => {
    const dee = await account('Dee Phone');
    const eve = await account('Eve Phone');
    await befriend(dee, eve);
    const page = await people.device('dee-phone', { context: PHONE_CONTEXT });
    await logIn(page, dee.phone);
    // Dee is online: Eve's post moves the tab's badge live (the `moments.post` event on the account socket).
    await page.getByTestId('tab-contacts').tap();
    await page.getByTestId('contacts-list').waitFor();
    expect(await page.getByTestId('moments-badge').count()).toBe(0);
    expect((await api('POST', '/moments', eve.token, { text: 'Eve’s post for the phone', visibility: 'friends' })).status).toBe(201);
    await expect.poll(() => page.getByTestId('moments-badge').textContent().catch(() => null), { timeout: 10_000 }).toBe('1');

    // The contact page links to Eve's posts.
    await page.goto(`${server.url}/contacts/${eve.id}`);
    await page.getByTestId('contact-moments').click();
    await page.getByTestId('moments-profile').waitFor();
    await page.getByTestId('moment').filter({ hasText: 'Eve’s post for the phone' }).waitFor({ timeout: 10_000 });

    await page.getByTestId('tab-moments').click();
    await page.getByTestId('moments-feed').waitFor();
    await page.getByTestId('moments-badge').waitFor({ state: 'detached', timeout: 10_000 });
    const post = page.getByTestId('moment').filter({ hasText: 'Eve’s post for the phone' });
    await post.waitFor({ timeout: 10_000 });
    const nav = (await page.getByTestId('shell-nav').boundingBox())!;
    const views = (await page.getByTestId('moments-views').boundingBox())!;
    const card = (await post.boundingBox())!;
    // The tab bar along the bottom; the views just above it, in the lower part of the screen.
    expect(nav.y + nav.height).toBeGreaterThanOrEqual(PHONE.height - 1);
    expect(nav.width).toBeGreaterThanOrEqual(PHONE.width - 1);
    expect(views.y + views.height).toBeLessThanOrEqual(nav.y);
    expect(views.y).toBeGreaterThan(PHONE.height / 2);
    // One column: the post spans the screen's width.
    expect(card.x).toBeGreaterThanOrEqual(0);
    expect(card.x + card.width).toBeLessThanOrEqual(PHONE.width);
    expect(card.width).toBeGreaterThan(PHONE.width * 0.85);
    await page.getByTestId('moments-view-mine').tap();
    await expect.poll(() => page.getByTestId('moments-feed').getAttribute('data-view')).toBe('mine');
    await page.screenshot({ path: path.join(SHOTS, 'moments-phone-feed.png') });

    // The composer covers the screen, tab bar included.
    await page.getByTestId('moments-compose').tap();
    await page.getByTestId('moments-composer').waitFor();
    const covering = await page.evaluate(({ x, y }) => !!document.elementFromPoint(x, y)?.closest('[data-testid="moments"]'), { x: nav.x + nav.width / 2, y: nav.y + nav.height / 2 });
    expect(covering).toBe(true);
    const post2 = (await page.getByTestId('composer-post').boundingBox())!;
    expect(post2.y).toBeGreaterThanOrEqual(0);
    expect(post2.x + post2.width).toBeLessThanOrEqual(PHONE.width);
    await page.getByTestId('composer-text').fill('From the phone');
    await page.screenshot({ path: path.join(SHOTS, 'moments-phone-composer.png') });
    await page.getByTestId('composer-post').tap();
    await page.getByTestId('moments-feed').waitFor({ timeout: 10_000 });
    await page.getByTestId('moment').filter({ hasText: 'From the phone' }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('shell-nav').isVisible()).toBe(true);
  });
});
