/**
 * The Contacts tab in the real web client, in headless Chromium against a
 * whole server, on a phone (390×844, touch) beside a desktop:
 *
 * - Ann (desktop) finds Zhou by phone number and asks with a greeting; Zhou's
 *   Contacts tab and "New friends" show the badge; Zhou accepts, and both
 *   lists have the other at once.
 * - Zhou's contacts (seeded over REST, Chinese names among them) are listed
 *   by pinyin under sticky letters: 单田芳 under S (shan), 尉迟恭 under Y
 *   (yuchi); a tap on the A–Z rail (touch) and a drag along it scroll there.
 * - "zs" finds 张三; the search finds a group by its name's initials.
 * - Zhou makes a group of three from contacts (checkboxes, the same rail),
 *   its chat opens, and its info lists the three with the owner marked; the
 *   owner makes one an admin and sets the notice.
 * - A contact's remark is set on their page and the list re-sorts; a contact
 *   is blocked from their page and unblocked under "Blocked people".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@muster/server/testing';
import { browserTestsEnabled, expectNoCspViolations } from './fixtures/browser.ts';
import { e2ePeople, numberedSignUps, openWebClient, PASSWORD, PHONE, PHONE_CONTEXT } from './fixtures/people.ts';

type Server = Awaited<ReturnType<typeof openWebClient>>['server'];
type Person = { id: string; token: string; phone: string; nickname: string };

const SHOTS = path.join(os.tmpdir(), 'muster-e2e');
/** Latin names to fill the list past one screen, so the rail has somewhere to scroll. */
const FILLERS = ['Adam', 'Bella', 'Chris', 'Diana', 'Ethan', 'Fiona', 'George', 'Hannah', 'Kevin', 'Laura', 'Mason', 'Nora', 'Owen', 'Peter', 'Sophie', 'Tina', 'Uma', 'Victor', 'Wade', 'Xander', 'Yara', 'Zoe'];

describe.skipIf(!browserTestsEnabled())('the Contacts tab in the web client', () => {
  afterEach(expectNoCspViolations);
  let server: Server;
  let browser: Browser;
  const people = e2ePeople(() => server, () => browser);
  const { api, befriend, logIn } = people;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    ({ server, browser } = await openWebClient());
  });

  afterAll(() => people.closeAll());

  /** An account made in the server's own accounts domain (each from its own address: the sign-up limits are per address). */
  const account: (nickname: string) => Promise<Person> = numberedSignUps(() => server, '+86139000008', 80);

  const device = (label: string, phone: boolean): Promise<Page> => people.device(label, phone ? { context: PHONE_CONTEXT } : {});

  /** Where a letter's section header sits relative to the top of the list's scroll area (px), or null when the section is absent. */
  const headerOffset = (page: Page, letter: string) =>
    page.evaluate((l) => {
      const scroller = document.querySelector('[data-testid="contacts-list"] .contacts-scroll');
      const section = document.querySelector(`[data-testid="contacts-section-${l}"]`);
      if (!scroller || !section) return null;
      return Math.round(section.getBoundingClientRect().top - scroller.getBoundingClientRect().top) || 0;
    }, letter);
  const scrollTop = (page: Page) => page.evaluate(() => document.querySelector('[data-testid="contacts-list"] .contacts-scroll')!.scrollTop);

  it('befriends by phone with a greeting, lists by pinyin with a working A–Z rail and search, and makes a group of three, on a phone', async () => {
    const zhou = await account('周杰');
    const ann = await account('Ann');
    const seeded: Person[] = [];
    for (const name of ['张三', '李四', '单田芳', '尉迟恭', ...FILLERS]) {
      const p = await account(name);
      await befriend(p, zhou);
      seeded.push(p);
    }
    const [zhang, li] = seeded;

    const zhouPage = await device('zhou', true);
    const annPage = await device('ann', false);
    await logIn(zhouPage, zhou.phone);
    await logIn(annPage, ann.phone);

    // Ann finds Zhou by phone and asks, with a greeting.
    await annPage.getByTestId('tab-contacts').click();
    await annPage.getByTestId('contacts-add').click();
    await annPage.getByTestId('add-friend-query').fill(zhou.phone);
    await annPage.getByTestId('add-friend-search').click();
    expect(await annPage.getByTestId('add-friend-name').textContent()).toBe('周杰');
    await annPage.getByTestId('add-friend-greeting').fill('我是Ann，周末一起爬山？');
    await annPage.getByTestId('add-friend-send').click();
    await annPage.getByTestId('add-friend-sent').waitFor({ timeout: 10_000 });

    // Zhou, on the phone: the badge on the tab and on "New friends", live; he accepts.
    await zhouPage.getByTestId('contacts-badge').waitFor({ timeout: 10_000 });
    expect(await zhouPage.getByTestId('contacts-badge').textContent()).toBe('1');
    await zhouPage.getByTestId('tab-contacts').click();
    expect(await zhouPage.getByTestId('new-friends-badge').textContent()).toBe('1');
    await zhouPage.getByTestId('contacts-new-friends').click();
    const request = zhouPage.locator(`[data-testid="request-row"][data-user-id="${ann.id}"]`);
    expect(await request.getByTestId('request-greeting').textContent()).toBe('我是Ann，周末一起爬山？');
    await zhouPage.screenshot({ path: path.join(SHOTS, 'contacts-phone-new-friends.png') });
    await request.getByTestId('request-accept').click();
    await request.getByTestId('request-status').filter({ hasText: 'Added' }).waitFor();
    await zhouPage.getByTestId('contacts-badge').waitFor({ state: 'detached' });
    // Both lists have the other (Ann's live, by the server's event).
    await annPage.getByTestId('contact-row').filter({ hasText: '周杰' }).waitFor({ timeout: 10_000 });
    await annPage.getByTestId('contact-row').filter({ hasText: '周杰' }).click();
    await annPage.getByTestId('contact-detail').getByTestId('contact-message').waitFor();
    await annPage.screenshot({ path: path.join(SHOTS, 'contacts-desktop-contact.png') });

    // The list, by pinyin: 单 is shan (S), 尉迟 is yuchi (Y).
    await zhouPage.getByTestId('pane-back').click();
    await zhouPage.getByTestId('contacts-list').waitFor();
    await zhouPage.getByTestId('contacts-section-S').getByText('单田芳').waitFor();
    expect(await zhouPage.getByTestId('contacts-section-Y').textContent()).toContain('尉迟恭');
    expect(await zhouPage.getByTestId('contacts-section-Z').textContent()).toContain('张三');
    expect(await zhouPage.getByTestId('contacts-section-L').textContent()).toContain('李四');
    expect(await zhouPage.getByTestId('contacts-section-A').textContent()).toContain('Ann');
    expect(await zhouPage.getByTestId('contacts-count').textContent()).toBe(`${FILLERS.length + 5} contacts`);
    // The rail and the list fit the phone's screen, above the tab bar.
    const rail = (await zhouPage.getByTestId('az-rail').boundingBox())!;
    const nav = (await zhouPage.getByTestId('shell-nav').boundingBox())!;
    expect(rail.x + rail.width).toBeLessThanOrEqual(PHONE.width);
    expect(rail.y + rail.height).toBeLessThanOrEqual(nav.y);

    // A tap on the rail (touch) scrolls the list to the letter: L's header at the top.
    expect(await scrollTop(zhouPage)).toBe(0);
    await zhouPage.getByTestId('az-rail').locator('[data-letter="L"]').tap();
    await expect.poll(() => headerOffset(zhouPage, 'L')).toBe(0);
    await zhouPage.getByTestId('az-rail').locator('[data-letter="S"]').tap();
    await expect.poll(() => headerOffset(zhouPage, 'S')).toBe(0);
    // J has no contacts: its tap goes to the next letter that has some (K: Kevin).
    await zhouPage.getByTestId('az-rail').locator('[data-letter="J"]').tap();
    await expect.poll(() => headerOffset(zhouPage, 'K')).toBe(0);
    // Y, near the end: the list scrolls as far as it goes, and 尉迟恭 is on screen.
    await zhouPage.getByTestId('az-rail').locator('[data-letter="Y"]').tap();
    await expect.poll(() => zhouPage.getByText('尉迟恭').isVisible()).toBe(true);
    const yuchi = (await zhouPage.getByText('尉迟恭').boundingBox())!;
    expect(yuchi.y + yuchi.height).toBeLessThanOrEqual(nav.y);
    await zhouPage.screenshot({ path: path.join(SHOTS, 'contacts-phone-rail.png') });

    // A drag along the rail: the letter shows big while the finger is down; the list follows.
    const letterBox = async (l: string) => (await zhouPage.getByTestId('az-rail').locator(`[data-letter="${l}"]`).boundingBox())!;
    const [b, h] = [await letterBox('B'), await letterBox('H')];
    await zhouPage.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await zhouPage.mouse.down();
    await zhouPage.mouse.move(h.x + h.width / 2, h.y + h.height / 2, { steps: 6 });
    expect(await zhouPage.getByTestId('az-bubble').textContent()).toBe('H');
    await expect.poll(() => headerOffset(zhouPage, 'H')).toBe(0);
    await zhouPage.mouse.up();
    await zhouPage.getByTestId('az-bubble').waitFor({ state: 'detached' });

    // Search by initials.
    await zhouPage.getByTestId('contacts-search').fill('zs');
    await expect.poll(() => zhouPage.getByTestId('contacts-results').getByTestId('contact-row').locator('.contact-name').allTextContents()).toEqual(['张三']);
    await zhouPage.getByTestId('contacts-search').fill('yuchi');
    await expect.poll(() => zhouPage.getByTestId('contacts-results').getByTestId('contact-row').locator('.contact-name').allTextContents()).toEqual(['尉迟恭']);
    await zhouPage.getByTestId('contacts-search').fill('');
    expect(await zhouPage.getByTestId('az-rail').isVisible()).toBe(true);

    // A group of three from contacts: pick 张三 and 李四 (search, then the rail's list), name it, create.
    await zhouPage.getByTestId('contacts-new-group').click();
    await zhouPage.getByTestId('new-group').waitFor();
    await zhouPage.getByTestId('pick-search').fill('zhangs');
    await zhouPage.getByTestId('pick-row').filter({ hasText: '张三' }).getByTestId('pick-check').check();
    await zhouPage.getByTestId('pick-search').fill('');
    await zhouPage.getByTestId('contact-picker').getByTestId('az-rail').locator('[data-letter="L"]').tap();
    await zhouPage.getByTestId('pick-row').filter({ hasText: '李四' }).getByTestId('pick-check').check();
    expect(await zhouPage.getByTestId('pick-chip').locator('.pick-chip-name').allTextContents()).toEqual(['张三', '李四']);
    await zhouPage.getByTestId('new-group-name').fill('周末爬山');
    expect(await zhouPage.getByTestId('new-group-create').textContent()).toBe('Create group (3)');
    await zhouPage.screenshot({ path: path.join(SHOTS, 'contacts-phone-new-group.png') });
    await zhouPage.getByTestId('new-group-create').click();
    await zhouPage.waitForURL(/\/chats\/cv[A-Za-z0-9_-]+$/, { timeout: 10_000 });
    const groupId = new URL(zhouPage.url()).pathname.split('/').pop()!;
    const details = await api('GET', `/groups/${groupId}`, zhou.token);
    expect(details.body).toMatchObject({ name: '周末爬山', members: 3, ownerId: zhou.id });
    expect(details.body.memberList.map((m: { userId: string }) => m.userId).sort()).toEqual([zhou.id, zhang!.id, li!.id].sort());

    // The search finds the group by its initials; its info lists the three, the owner marked.
    await zhouPage.getByTestId('chat-back').click();
    await zhouPage.getByTestId('tab-contacts').click();
    await zhouPage.getByTestId('contacts-search').fill('zmps');
    await zhouPage.getByTestId('contacts-results').getByTestId('group-row').filter({ hasText: '周末爬山' }).click();
    await zhouPage.getByTestId('group-info').waitFor();
    await expect.poll(() => zhouPage.getByTestId('member-row').count()).toBe(3);
    expect(await zhouPage.getByTestId('member-row').first().textContent()).toContain('Owner');
    // The owner makes 李四 an admin from the member's menu, and sets the notice.
    const liRow = zhouPage.locator(`[data-testid="member-row"][data-user-id="${li!.id}"]`);
    await liRow.click();
    await zhouPage.getByTestId('member-menu').getByTestId('member-admin').click();
    await liRow.getByTestId('member-badge').filter({ hasText: 'Admin' }).waitFor();
    await zhouPage.getByTestId('group-notice').click();
    await zhouPage.getByTestId('group-notice-input').fill('周六早上八点集合');
    await zhouPage.getByTestId('group-notice-save').click();
    expect(await zhouPage.getByTestId('group-notice-value').textContent()).toBe('周六早上八点集合');
    await expect.poll(async () => (await api('GET', `/groups/${groupId}`, zhou.token)).body).toMatchObject({ adminIds: [li!.id], notice: '周六早上八点集合' });
    // The owner taps the group's photo and picks an image: it shows here at once, 256 px, from its signed path.
    const photo = await sharp({ create: { width: 320, height: 200, channels: 3, background: '#2a8' } }).png().toBuffer();
    await zhouPage.getByTestId('group-avatar-input').setInputFiles({ name: 'hike.png', mimeType: 'image/png', buffer: photo });
    await zhouPage.locator('img[data-testid="group-avatar"]').waitFor();
    await expect.poll(() => zhouPage.locator('img[data-testid="group-avatar"]').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(256);
    expect((await api('GET', `/groups/${groupId}`, zhou.token)).body.avatar.large).toMatch(new RegExp(`^/api/v1/avatars/${groupId}/1/large\\.webp\\?sig=`));
    await zhouPage.screenshot({ path: path.join(SHOTS, 'contacts-phone-group-info.png') });
    await zhouPage.getByTestId('pane-back').click();
    await zhouPage.getByTestId('contacts-search').fill('');

    // A remark on 张三's page: the list files him under his new name (老张, L).
    await zhouPage.getByTestId('contacts-section-Z').getByTestId('contact-row').filter({ hasText: '张三' }).click();
    await zhouPage.getByTestId('contact-remark').click();
    await zhouPage.getByTestId('contact-remark-input').fill('老张');
    await zhouPage.getByTestId('contact-remark-save').click();
    expect(await zhouPage.getByTestId('contact-name').textContent()).toBe('老张');
    await zhouPage.screenshot({ path: path.join(SHOTS, 'contacts-phone-contact.png') });
    await zhouPage.getByTestId('pane-back').click();
    await expect.poll(() => zhouPage.getByTestId('contacts-section-L').textContent()).toContain('老张');
    expect(await zhouPage.getByTestId('contacts-section-Z').locator('.contact-name').allTextContents()).toEqual(['Zoe']);
    expect((await api('GET', '/contacts?q=laozhang', zhou.token)).body.map((c: { userId: string }) => c.userId)).toEqual([zhang!.id]);

    // Block from a contact's page (asked once more), see it under "Blocked people", unblock there.
    await zhouPage.getByTestId('contacts-section-A').getByTestId('contact-row').filter({ hasText: 'Adam' }).click();
    await zhouPage.getByTestId('contact-block').click();
    await zhouPage.getByTestId('contact-block-yes').click();
    await zhouPage.getByTestId('contact-blocked').waitFor();
    await zhouPage.getByTestId('pane-back').click();
    await zhouPage.getByTestId('contacts-blocked').click();
    const blockedRow = zhouPage.getByTestId('blocked-row');
    await expect.poll(() => blockedRow.locator('.request-name').allTextContents()).toEqual(['Adam']);
    await blockedRow.getByTestId('blocked-unblock').click();
    await blockedRow.waitFor({ state: 'detached' });
    expect((await api('GET', '/contacts/blocked', zhou.token)).body).toEqual([]);
  });
});
