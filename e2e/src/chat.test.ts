/**
 * Chat in the real web client, in headless Chromium against a whole server:
 * two people chat both ways with a read receipt (one of them on a phone:
 * the list and the conversation are two screens), a group of three chats
 * with "read by" and an @mention from the member picker, a reply with its
 * quote, an edit, a delete-for-me, and a message recalled on every side;
 * a long history is drawn in a window.
 *
 * Ann and Ben become friends through the Contacts tab (a request with a
 * greeting, accepted under "New friends") and Ann opens the chat from Ben's
 * contact page; Ann and Cat's friendship and the group are made over the
 * REST API. Everything else is clicked and typed in the browser.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@muster/server/testing';
import { browserTestsEnabled, expectNoCspViolations } from './fixtures/browser.ts';
import { e2ePeople, openWebClient, PHONE, PHONE_CONTEXT } from './fixtures/people.ts';

type Server = Awaited<ReturnType<typeof openWebClient>>['server'];

/** Screenshots for people to look at; nothing asserts on pixels. */
const SHOTS = path.join(os.tmpdir(), 'muster-e2e');

describe.skipIf(!browserTestsEnabled())('chat in the web client', () => {
  afterEach(expectNoCspViolations);
  let server: Server;
  let browser: Browser;
  const people = e2ePeople(() => server, () => browser);
  const { api, account, befriend, logIn } = people;

  beforeAll(async () => {
    ({ server, browser } = await openWebClient());
  });

  afterAll(() => people.closeAll());

  const device = (label: string, phone = false): Promise<Page> => people.device(label, phone ? { context: PHONE_CONTEXT } : {});

  async function send(page: Page, text: string): Promise<void> {
    await page.getByTestId('composer-input').fill(text);
    await page.getByTestId('composer-input').press('Enter');
  }

  const message = (page: Page, text: string) => page.locator('[data-testid="message"]', { has: page.locator('[data-testid="message-text"]', { hasText: text }) });

  it('chats both ways with a read receipt (one side on a phone), in a group of three, and recalls a message', async () => {
    const ann = await account('+8613900000501', 'Ann');
    const ben = await account('+8613900000502', 'Ben');
    const cat = await account('+8613900000503', 'Cat');
    await befriend(ann, cat);
    fs.mkdirSync(SHOTS, { recursive: true });

    const annPage = await device('ann');
    const benPage = await device('ben', true);
    await logIn(annPage, ann.phone);
    await logIn(benPage, ben.phone);

    // Friends through the Contacts tab: Ann finds Ben by phone and asks; Ben accepts on his phone.
    await annPage.getByTestId('tab-contacts').click();
    await annPage.getByTestId('contacts-add').click();
    await annPage.getByTestId('add-friend-query').fill(ben.phone);
    await annPage.getByTestId('add-friend-search').click();
    await annPage.getByTestId('add-friend-send').click();
    await annPage.getByTestId('add-friend-sent').waitFor({ timeout: 10_000 });
    await benPage.getByTestId('tab-contacts').click();
    await benPage.getByTestId('contacts-new-friends').click();
    await benPage.getByTestId('request-accept').click();
    // Ann opens the chat from Ben's contact page.
    await annPage.getByTestId('tab-contacts').click();
    await annPage.getByTestId('contact-row').filter({ hasText: 'Ben' }).click({ timeout: 10_000 });
    await annPage.getByTestId('contact-message').click();
    await annPage.getByTestId('chat-view').waitFor();
    const direct = { id: (await annPage.getByTestId('chat-view').getAttribute('data-id'))! };
    expect(await annPage.getByTestId('chat-title').textContent()).toBe('Ben');
    await send(annPage, 'Hello Ben 你好');
    await message(annPage, 'Hello Ben 你好').waitFor();
    await annPage.locator('[data-testid="message"][data-state="sent"]', { hasText: 'Hello Ben 你好' }).waitFor({ timeout: 10_000 });

    // Ben, on a phone: the unread badge on the tab, the list, then the conversation as its own screen.
    await benPage.getByTestId('chats-badge').waitFor({ timeout: 10_000 });
    expect(await benPage.getByTestId('chats-badge').textContent()).toBe('1');
    // Elsewhere in the app (Contacts): an in-page toast, and the count in the title bar.
    expect(await benPage.getByTestId('chat-toast').textContent()).toContain('Hello Ben 你好');
    expect(await benPage.title()).toMatch(/^\(1\) /);
    await benPage.screenshot({ path: path.join(SHOTS, 'chat-phone-toast.png') });
    await benPage.getByTestId('tab-chats').click();
    const benRow = benPage.locator(`[data-testid="chat-item"][data-id="${direct.id}"]`);
    await benRow.locator('[data-testid="chat-unread-badge"]').waitFor();
    expect(await benRow.getByTestId('chat-item-preview').textContent()).toBe('Hello Ben 你好');
    await benRow.click();
    await message(benPage, 'Hello Ben 你好').waitFor();
    const view = await benPage.getByTestId('chat-view').boundingBox();
    expect(view).toMatchObject({ x: 0, y: 0, width: PHONE.width, height: PHONE.height });
    expect(await benPage.getByTestId('shell-nav').isVisible()).toBe(true);
    expect(await benPage.getByTestId('composer-send').boundingBox().then((b) => b!.y + b!.height <= PHONE.height)).toBe(true);
    await benPage.screenshot({ path: path.join(SHOTS, 'chat-phone-conversation.png') });

    // Ben has read it: Ann's message says so. Ben answers; Ann reads it live.
    await annPage.locator('[data-testid="message"][data-mine="true"] [data-testid="message-status"][data-status="read"]').waitFor({ timeout: 10_000 });
    await send(benPage, 'Hi Ann! 👋 see you at 3');
    await message(annPage, 'Hi Ann! 👋 see you at 3').waitFor({ timeout: 10_000 });
    await benPage.locator('[data-testid="message"][data-mine="true"] [data-testid="message-status"][data-status="read"]').waitFor({ timeout: 10_000 });

    // Back to the list on the phone: nothing unread any more.
    await benPage.getByTestId('chat-back').click();
    await benPage.getByTestId('chat-list').waitFor();
    await benPage.screenshot({ path: path.join(SHOTS, 'chat-phone-list.png') });
    expect(await benRow.getAttribute('data-unread')).toBe('0');
    expect(await benPage.getByTestId('chats-badge').count()).toBe(0);
    expect(await benPage.title()).not.toMatch(/^\(/);

    // A group of three: Ann made it; each of them chats in it.
    const group = (await api('POST', '/groups', ann.token, { name: 'Lunch crew', members: [ben.id, cat.id] })).body as { conversationId: string };
    const catPage = await device('cat');
    await logIn(catPage, cat.phone);
    await catPage.goto(`${server.url}/chats/${group.conversationId}`);
    await catPage.getByTestId('chat-view').waitFor({ timeout: 15_000 });
    expect(await catPage.getByTestId('chat-title').textContent()).toBe('Lunch crew');
    await annPage.getByTestId('tab-chats').click();
    await annPage.locator(`[data-testid="chat-item"][data-id="${group.conversationId}"]`).click();
    await send(annPage, 'Noodles at noon?');
    await message(catPage, 'Noodles at noon?').waitFor({ timeout: 10_000 });
    await benPage.locator(`[data-testid="chat-item"][data-id="${group.conversationId}"]`).click();
    await message(benPage, 'Noodles at noon?').waitFor({ timeout: 10_000 });
    await send(catPage, 'Yes please');
    await message(annPage, 'Yes please').waitFor({ timeout: 10_000 });
    await message(benPage, 'Yes please').waitFor({ timeout: 10_000 });
    // Both have read Ann's message: "Read by 2".
    await waitUntil(async () => (await message(annPage, 'Noodles at noon?').getByTestId('message-status').textContent()) === 'Read by 2', 10_000, 'read by 2');
    await annPage.screenshot({ path: path.join(SHOTS, 'chat-desktop-group.png') });

    // Cat @mentions Ann from the member picker; Ann's copy marks it.
    await catPage.getByTestId('composer-input').fill('@');
    await catPage.getByTestId('mention-option').filter({ hasText: '@Ann' }).click({ timeout: 10_000 });
    await catPage.getByTestId('composer-input').pressSequentially('see you there');
    expect(await catPage.getByTestId('composer-input').inputValue()).toBe('@Ann see you there');
    await catPage.getByTestId('composer-input').press('Enter');
    await message(annPage, 'see you there').getByTestId('message-mention').waitFor({ timeout: 10_000 });
    expect(await message(annPage, 'see you there').getByTestId('message-mention').textContent()).toBe('@Ann');

    // Ann replies to Cat's message, then edits her reply; Cat sees the quote and the edit. Ben deletes it for himself.
    await message(annPage, 'Yes please').locator('[data-testid="message-bubble"]').click({ button: 'right' });
    await annPage.getByTestId('menu-reply').click();
    await annPage.getByTestId('composer-reply').waitFor();
    await send(annPage, 'Great, at Lanzhou Lamian');
    const reply = message(catPage, 'Great, at Lanzhou Lamian');
    await reply.waitFor({ timeout: 10_000 });
    expect(await reply.getByTestId('message-quote').textContent()).toContain('Yes please');
    // Stored (sent, or read already): only then may it be edited.
    await annPage.locator('[data-testid="message"][data-mine="true"]:not([data-state="sending"])', { hasText: 'Great, at Lanzhou Lamian' }).waitFor({ timeout: 10_000 });
    await message(annPage, 'Great, at Lanzhou Lamian').locator('[data-testid="message-bubble"]').click({ button: 'right' });
    await annPage.screenshot({ path: path.join(SHOTS, 'chat-desktop-menu.png') });
    await annPage.getByTestId('menu-edit').click();
    await annPage.getByTestId('composer-editing').waitFor();
    await annPage.getByTestId('composer-input').fill('Great, at Lanzhou Lamian, 12:15');
    await annPage.getByTestId('composer-input').press('Enter');
    await message(catPage, 'Great, at Lanzhou Lamian, 12:15').waitFor({ timeout: 10_000 });
    expect(await message(catPage, 'Great, at Lanzhou Lamian, 12:15').textContent()).toContain('(edited)');
    await message(benPage, 'Great, at Lanzhou Lamian, 12:15').waitFor({ timeout: 10_000 });
    await message(benPage, 'Great, at Lanzhou Lamian, 12:15').locator('[data-testid="message-bubble"]').click({ button: 'right' });
    await benPage.getByTestId('menu-delete').click();
    await waitUntil(async () => (await message(benPage, 'Great, at Lanzhou Lamian, 12:15').count()) === 0, 10_000, 'deleted for Ben');
    expect(await message(catPage, 'Great, at Lanzhou Lamian, 12:15').count()).toBe(1);

    // Ann recalls a message: gone on every side, a notice in its place.
    await send(annPage, 'oops, wrong chat');
    await message(benPage, 'oops, wrong chat').waitFor({ timeout: 10_000 });
    await message(annPage, 'oops, wrong chat').locator('[data-testid="message-bubble"]').click({ button: 'right' });
    await annPage.getByTestId('menu-recall').click();
    await waitUntil(async () => (await message(benPage, 'oops, wrong chat').count()) === 0, 10_000, 'the recall on Ben’s phone');
    await benPage.getByTestId('message-recalled').last().waitFor();
    expect(await benPage.getByTestId('message-recalled').last().textContent()).toBe('Ann recalled a message');
    await annPage.getByTestId('message-recalled').last().waitFor();
    expect(await message(catPage, 'oops, wrong chat').count()).toBe(0);

    // After a reload the receipts are still there: "read" in the direct chat, "read by 2" in the group.
    await annPage.reload();
    await waitUntil(async () => (await message(annPage, 'Noodles at noon?').getByTestId('message-status').textContent().catch(() => null)) === 'Read by 2', 15_000, 'read by 2 after a reload');
    await annPage.goto(`${server.url}/chats/${direct.id}`);
    await annPage.locator('[data-testid="message"][data-mine="true"] [data-testid="message-status"][data-status="read"]').first().waitFor({ timeout: 10_000 });
  });
  it('draws a long history in a window: the newest first, older pages on scrolling up, a jump to the first unread', async () => {
    const dan = await account('+8613900000511', 'Dan');
    const eva = await account('+8613900000512', 'Eva');
    await befriend(dan, eva);
    const direct = (await api('POST', '/conversations', eva.token, { userId: dan.id })).body as { id: string };
    for (let i = 0; i < 130; i++) {
      const sent = await api('POST', `/conversations/${direct.id}/messages`, eva.token, { clientMsgId: `eva-history-${String(i).padStart(4, '0')}`, type: 'text', text: `line ${i}` });
      expect(sent.status).toBe(201);
    }
    const page = await device('dan');
    await logIn(page, dan.phone);
    await page.goto(`${server.url}/chats/${direct.id}`);
    await message(page, 'line 129').waitFor({ timeout: 15_000 });
    // Only rows near the viewport are in the page.
    expect(await page.getByTestId('message').count()).toBeLessThan(60);
    // Scrolling up brings the older pages.
    const history = page.getByTestId('chat-history');
    await waitUntil(
      async () => {
        await history.evaluate((el) => (el.scrollTop = 0));
        return (await message(page, 'line 0').count()) > 0;
      },
      15_000,
      'the first message, after scrolling up',
    );
    await page.getByTestId('jump-bottom').click();
    await message(page, 'line 129').waitFor();
    // The jump to the first unread: the "new messages" line on screen.
    await page.getByTestId('jump-unread').click();
    await page.getByTestId('unread-line').waitFor({ timeout: 15_000 });
    await waitUntil(() => page.getByTestId('unread-line').evaluate((el) => el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().bottom <= innerHeight), 5_000, 'the new-messages line in view');
    await page.getByTestId('jump-bottom').click();
    await message(page, 'line 129').waitFor();
    expect(await page.getByTestId('chat-item').filter({ hasText: 'line 129' }).getAttribute('data-unread')).toBe('0');
  });
});
