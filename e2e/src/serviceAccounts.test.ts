/**
 * Service accounts (公众号 / 服务号) in the real web client, in headless
 * Chromium against a whole server. The account and its editor are set up
 * with the organisation's API token, as a business system would; everything
 * else goes through the UI:
 *
 * - Ray (a reader) subscribes from the directory.
 * - Eve (the editor) writes an article in the ProseMirror editor (typing,
 *   bold, a link, an uploaded picture) and publishes it.
 * - Ray's chat list shows the "Service accounts" entry with a dot and no
 *   number; he opens the account and reads the article (the picture shows,
 *   the link is a real https anchor), and comments: "awaiting approval".
 * - Eve approves it in the moderation queue; Ray sees it approved and the
 *   system message, live.
 * - Eve edits the article; Ray sees "edited"; Eve sees two versions.
 * - On a phone, an article's video plays in the page with a full-screen control.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, expectNoCspViolations } from './fixtures/browser.ts';
import { e2ePeople, openWebClient, PHONE_CONTEXT, type Person } from './fixtures/people.ts';

const SHOTS = path.join(os.tmpdir(), 'muster-e2e');
type Server = Awaited<ReturnType<typeof openWebClient>>['server'];

describe.skipIf(!browserTestsEnabled())('service accounts in the web client', () => {
  afterEach(expectNoCspViolations);
  let server: Server;
  let browser: Browser;
  const people = e2ePeople(() => server, () => browser);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-sa-e2e-'));
  let eve: Person;
  let ray: Person;
  let accountId = '';
  let evePage: Page;
  let rayPage: Page;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    ({ server, browser } = await openWebClient());
    eve = await people.account('+8613900000951', 'Eve Editor');
    ray = await people.account('+8613900000952', 'Ray Reader');
    // The organisation's token creates the account and names its editor (as a business system would).
    const created = await people.api('POST', '/service-accounts', server.apiToken, { name: 'HR News', description: 'News from the HR department', editors: [eve.id], kind: 'subscription' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    accountId = created.body.id;
    evePage = await people.device('eve');
    rayPage = await people.device('ray');
    await people.logIn(evePage, eve.phone);
    await people.logIn(rayPage, ray.phone);
  }, 120_000);

  afterAll(async () => {
    await people.closeAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const goto = (page: Page, where: string) => page.goto(`${server.url}${where}`);
  const ownComment = (page: Page) => page.getByTestId('comment').filter({ hasText: 'Thanks, very useful!' });

  it('subscribes, publishes from the editor, shows the dot, reads, comments, moderates, notices and edits', async () => {
    // Ray finds the account in the directory (from the Chats tab's entry) and subscribes.
    await goto(rayPage, '/chats');
    await rayPage.getByTestId('service-accounts-entry').click();
    await rayPage.getByTestId('sa-list-empty').waitFor();
    await rayPage.getByTestId('sa-directory-link').click();
    const row = rayPage.locator(`[data-testid="sa-directory-row"][data-id="${accountId}"]`);
    await row.getByTestId('sa-directory-subscribe').click();
    await row.getByTestId('sa-directory-subscribe').filter({ hasText: 'Unsubscribe' }).waitFor();
    expect((await people.api('GET', '/service-accounts/subscribed', ray.token)).body.accounts.map((a: { serviceAccountId: string }) => a.serviceAccountId)).toEqual([accountId]);

    // Eve writes the article in the editor: typing, bold, a link, a picture.
    const png = path.join(tmp, 'poster.png');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x360', '-frames:v', '1', png]);
    await goto(evePage, `/service-accounts/${accountId}`);
    await evePage.getByTestId('sa-new-article').click();
    await evePage.getByTestId('article-title-input').fill('Welcome to HR News');
    await evePage.getByTestId('article-editor').click();
    await evePage.keyboard.type('Hello everyone. ');
    await evePage.getByTestId('tool-bold').click();
    await evePage.keyboard.type('Important');
    await evePage.getByTestId('tool-bold').click();
    await evePage.keyboard.type(': read our site');
    for (let i = 0; i < 'our site'.length; i++) await evePage.keyboard.press('Shift+ArrowLeft');
    await evePage.getByTestId('tool-link').click();
    await evePage.getByTestId('editor-link-url').fill('https://example.com/hr');
    await evePage.getByTestId('editor-link-apply').click();
    await evePage.getByTestId('article-editor').locator('a[href="https://example.com/hr"]').waitFor();
    await evePage.keyboard.press('End');
    await evePage.keyboard.press('Enter');
    await evePage.getByTestId('editor-media-input').setInputFiles(png);
    await evePage.getByTestId('article-editor').locator('img[data-file-id]').waitFor({ timeout: 30_000 });
    await evePage.screenshot({ path: path.join(SHOTS, 'service-accounts-editor.png') });
    await evePage.getByTestId('article-publish').click();
    await evePage.waitForURL(/\/articles\/ar[\w-]+$/, { timeout: 15_000 });
    const articleId = new URL(evePage.url()).pathname.split('/').pop()!;
    await evePage.getByTestId('article-title').filter({ hasText: 'Welcome to HR News' }).waitFor();

    // Ray opens the app again: the entry has a dot, never a number.
    await goto(rayPage, '/chats');
    const entry = rayPage.getByTestId('service-accounts-entry');
    await entry.getByTestId('service-accounts-dot').waitFor({ timeout: 10_000 });
    expect(await entry.getByTestId('service-accounts-latest').textContent()).toBe('HR News: Welcome to HR News');
    expect(await entry.locator('.chat-badge').count()).toBe(0);
    expect(await entry.textContent()).not.toMatch(/\d/);
    await rayPage.screenshot({ path: path.join(SHOTS, 'service-accounts-chat-entry.png') });

    // He opens the account from the entry, then the article.
    await entry.click();
    const subscribed = rayPage.locator(`[data-testid="sa-subscribed-row"][data-id="${accountId}"]`);
    await subscribed.getByTestId('sa-row-dot').waitFor();
    await subscribed.getByTestId('sa-row-name').click();
    await rayPage.getByTestId('sa-profile-name').filter({ hasText: 'HR News' }).waitFor();
    await rayPage.locator(`[data-testid="sa-article-row"][data-id="${articleId}"]`).click();
    const body = rayPage.getByTestId('article-body');
    await body.waitFor();
    expect(await body.locator('strong').textContent()).toBe('Important');
    const link = body.locator('a');
    expect(await link.getAttribute('href')).toBe('https://example.com/hr');
    expect(await link.textContent()).toBe('our site');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    await expect.poll(() => body.getByTestId('article-image').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), { timeout: 15_000 }).toBeGreaterThan(0);
    // Having opened it, nothing is new any more: no dot.
    await expect.poll(async () => (await people.api('GET', '/service-accounts/summary', ray.token)).body.dot).toBe(false);
    expect(await rayPage.getByTestId('article-edited').count()).toBe(0);

    // He comments: his own, awaiting approval.
    await rayPage.getByTestId('comment-input').fill('Thanks, very useful!');
    await rayPage.getByTestId('comment-send').click();
    await ownComment(rayPage).getByTestId('comment-badge').filter({ hasText: 'Awaiting approval' }).waitFor();
    expect(await ownComment(rayPage).getAttribute('data-state')).toBe('pending');
    await rayPage.screenshot({ path: path.join(SHOTS, 'service-accounts-reader.png'), fullPage: true });

    // Eve approves it in the moderation queue (linked from the account page), and replies.
    await goto(evePage, `/service-accounts/${accountId}`);
    await evePage.getByTestId('sa-moderation-link').click();
    const queued = evePage.getByTestId('moderation-comment').filter({ hasText: 'Thanks, very useful!' });
    await queued.getByTestId('moderation-approve').click();
    await evePage.getByTestId('moderation-empty').waitFor();
    await evePage.getByTestId('moderation-state').selectOption('approved');
    const approved = evePage.getByTestId('moderation-comment').filter({ hasText: 'Thanks, very useful!' });
    await approved.getByTestId('moderation-reply').click();
    await approved.getByTestId('moderation-reply-input').fill('Glad it helps.');
    await approved.getByTestId('moderation-reply-send').click();
    await approved.getByText('Reply: Glad it helps.').waitFor();
    await approved.getByTestId('moderation-pin').click();
    await approved.getByTestId('moderation-pin').filter({ hasText: 'Unpin' }).waitFor();
    await evePage.screenshot({ path: path.join(SHOTS, 'service-accounts-moderation.png') });

    // Ray's page hears the notice live and shows his comment approved; the system message is there.
    await ownComment(rayPage).and(rayPage.locator('[data-state="approved"]')).waitFor({ timeout: 15_000 });
    expect(await ownComment(rayPage).getByTestId('comment-badge').count()).toBe(0);
    await rayPage.reload();
    await ownComment(rayPage).getByTestId('comment-reply').filter({ hasText: 'Glad it helps.' }).waitFor();
    expect(await ownComment(rayPage).getByTestId('comment-badge').allTextContents()).toEqual(['Pinned']);
    await goto(rayPage, '/service-accounts');
    await rayPage.getByTestId('sa-notices-dot').waitFor();
    await rayPage.getByTestId('sa-notices-link').click();
    const notice = rayPage.getByTestId('notice').filter({ hasText: 'Welcome to HR News' });
    expect(await notice.getAttribute('data-kind')).toBe('comment-approved');
    await expect.poll(async () => (await people.api('GET', '/service-accounts/notices', ray.token)).body.unread).toBe(0);
    const summary = await people.api('GET', '/service-accounts/summary', ray.token);
    expect(summary.body.dot).toBe(false);

    // Eve edits the article; the reader sees "edited", and she sees both versions.
    await goto(evePage, `/articles/${articleId}`);
    await evePage.getByTestId('sa-edit-article').click();
    const editor = evePage.getByTestId('article-editor');
    await editor.locator('strong').filter({ hasText: 'Important' }).waitFor();
    await evePage.getByTestId('article-title-input').fill('Welcome to HR News (updated)');
    await editor.locator('p').first().click();
    await evePage.keyboard.press('End');
    await evePage.keyboard.type(' Updated today.');
    await evePage.getByTestId('article-publish').click();
    await evePage.waitForURL(new RegExp(`/articles/${articleId}$`));
    await evePage.getByTestId('article-edited').waitFor();
    await goto(rayPage, `/articles/${articleId}`);
    await rayPage.getByTestId('article-edited').waitFor();
    expect(await rayPage.getByTestId('article-title').textContent()).toBe('Welcome to HR News (updated)');
    expect(await rayPage.getByTestId('article-body').textContent()).toContain('Updated today.');
    await goto(evePage, `/articles/${articleId}/versions`);
    await expect.poll(() => evePage.getByTestId('version-row').count()).toBe(2);

    // Eve turns comments off: Ray has no comment box, and sees none.
    await goto(evePage, `/articles/${articleId}`);
    await evePage.getByTestId('article-comments-enabled').uncheck();
    await expect.poll(async () => (await people.api('GET', `/articles/${articleId}`, ray.token)).body.commentsEnabled).toBe(false);
    await rayPage.reload();
    await rayPage.getByTestId('comments-closed').waitFor();
    expect(await rayPage.getByTestId('comment-input').count()).toBe(0);
  });

  it('plays an article’s video in the page with a full-screen control on a phone', async () => {
    const mp4 = path.join(tmp, 'clip.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=25', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', mp4]);
    await goto(evePage, `/service-accounts/${accountId}/new`);
    await evePage.getByTestId('article-title-input').fill('Our new office');
    await evePage.getByTestId('article-editor').click();
    await evePage.keyboard.type('A short tour:');
    await evePage.keyboard.press('Enter');
    await evePage.getByTestId('editor-media-input').setInputFiles(mp4);
    await evePage.getByTestId('article-editor').locator('video[data-file-id]').waitFor({ timeout: 30_000 });
    await evePage.getByTestId('article-publish').click();
    await evePage.waitForURL(/\/articles\/ar[\w-]+$/, { timeout: 15_000 });
    const articleId = new URL(evePage.url()).pathname.split('/').pop()!;

    const phone = await people.device('ray-phone', { context: PHONE_CONTEXT });
    await people.logIn(phone, ray.phone);
    await goto(phone, `/articles/${articleId}`);
    const video = phone.getByTestId('article-video');
    await video.waitFor();
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await video.evaluate((v: HTMLVideoElement) => v.controls && v.hasAttribute('playsinline'))).toBe(true);
    await phone.screenshot({ path: path.join(SHOTS, 'service-accounts-phone-video.png') });
    const fullscreen = phone.getByTestId('article-video-fullscreen');
    expect(await fullscreen.isVisible()).toBe(true);
    await fullscreen.click();
    await expect.poll(() => phone.evaluate(() => document.fullscreenElement?.className ?? null), { timeout: 10_000 }).toBe('sa-video');
  });
});
