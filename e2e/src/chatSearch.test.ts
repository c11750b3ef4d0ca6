/**
 * Search, presence and privacy in the real web client, in headless Chromium
 * against a whole server: Ann and Ben are friends (made over the REST API)
 * with a history of messages, one of them 明天的会议改到三点 well before the
 * newest page. Ann searches "会议" in the Chats tab: the message shows under
 * "Messages" with the word marked, and a tap opens the conversation scrolled
 * to it, highlighted. "Search in this chat" from the header menu finds it
 * too. Ben is signed in, so Ann's header says "Online"; once he leaves, it
 * and his contact page say "Last seen just now". In Me → Privacy, Ann hides her last seen, and the server has it; a save
 * that fails flips its switch back with a toast.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@muster/server/testing';
import { browserTestsEnabled, expectNoCspViolations } from './fixtures/browser.ts';
import { e2ePeople, openWebClient } from './fixtures/people.ts';

type Server = Awaited<ReturnType<typeof openWebClient>>['server'];

const TARGET = '明天的会议改到三点';
/** Screenshots for people to look at; nothing asserts on pixels. */
const SHOTS = path.join(os.tmpdir(), 'muster-e2e');

describe.skipIf(!browserTestsEnabled())('chat search, presence and privacy in the web client', () => {
  afterEach(expectNoCspViolations);
  let server: Server;
  let browser: Browser;
  const people = e2ePeople(() => server, () => browser);
  const { api, account, befriend, device, logIn } = people;

  beforeAll(async () => {
    ({ server, browser } = await openWebClient());
  });

  afterAll(() => people.closeAll());

  it('finds 会议 in the Chats tab and opens the conversation at it; the peer shows Online; privacy switches save', async () => {
    const ann = await account('+8613900000701', 'Ann');
    const ben = await account('+8613900000702', 'Ben');
    await befriend(ann, ben, 'hi');
    const conversation = await api('POST', '/conversations', ann.token, { userId: ben.id });
    expect(conversation.status).toBeLessThan(300);
    const conversationId: string = conversation.body.id;
    const say = async (token: string, text: string, n: number) => {
      const sent = await api('POST', `/conversations/${conversationId}/messages`, token, { clientMsgId: `cm-search-${n}`, type: 'text', text });
      expect(sent.status).toBe(201);
      return sent.body.seq as number;
    };
    await say(ann.token, 'Hello Ben', 1);
    const targetSeq = await say(ben.token, TARGET, 2);
    // More than a page after it: the conversation must load older pages to show it.
    for (let i = 0; i < 70; i++) await say(i % 2 ? ann.token : ben.token, `filler message ${i}`, 10 + i);
    // The index is built off the send path: wait until the server finds it.
    await waitUntil(async () => (await api('GET', `/search/messages?q=${encodeURIComponent('会议')}`, ann.token)).body?.results?.length > 0, 15_000, 'the search index');

    const benPage = await device('ben');
    await logIn(benPage, ben.phone);
    const annPage = await device('ann');
    await logIn(annPage, ann.phone);

    await annPage.getByTestId('tab-chats').click();
    await annPage.getByTestId('chat-item').first().waitFor({ timeout: 10_000 });
    await annPage.getByTestId('chat-search-input').fill('会议');
    const result = annPage.getByTestId('search-message-result').first();
    await result.waitFor({ timeout: 10_000 });
    expect(await result.getAttribute('data-seq')).toBe(String(targetSeq));
    expect(await result.locator('mark').first().textContent()).toBe('会议');
    expect(await result.getByTestId('search-snippet').textContent()).toContain(TARGET);
    fs.mkdirSync(SHOTS, { recursive: true });
    await annPage.screenshot({ path: path.join(SHOTS, 'chat-search-results.png') });
    await result.click();

    const view = annPage.getByTestId('chat-view');
    await view.waitFor();
    expect(await view.getAttribute('data-id')).toBe(conversationId);
    const target = annPage.locator(`[data-testid="message"][data-seq="${targetSeq}"]`);
    await target.waitFor({ timeout: 10_000 });
    await annPage.locator(`[data-testid="message"][data-seq="${targetSeq}"].highlight`).waitFor({ timeout: 5_000 });
    expect(await target.getByTestId('message-text').textContent()).toBe(TARGET);
    await waitUntil(() => target.isVisible(), 5_000, 'the message in view');
    const box = (await target.boundingBox())!;
    const history = (await annPage.getByTestId('chat-history').boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(history.y - 1);
    expect(box.y + box.height).toBeLessThanOrEqual(history.y + history.height + 1);

    // The peer is signed in: "Online" under the name.
    await annPage.getByTestId('chat-presence').waitFor({ timeout: 10_000 });
    expect(await annPage.getByTestId('chat-presence').textContent()).toBe('Online');
    await annPage.screenshot({ path: path.join(SHOTS, 'chat-search-opened.png') });

    // "Search in this chat" from the header menu.
    await annPage.getByTestId('chat-search-clear').click();
    await annPage.getByTestId('jump-bottom').click().catch(() => undefined);
    await annPage.getByTestId('chat-header-menu').click();
    await annPage.getByTestId('menu-search-chat').click();
    await annPage.getByTestId('in-chat-search-input').fill('三点');
    const inChat = annPage.getByTestId('in-chat-search').getByTestId('search-message-result').first();
    await inChat.waitFor({ timeout: 10_000 });
    expect(await inChat.getAttribute('data-seq')).toBe(String(targetSeq));
    await inChat.click();
    await annPage.getByTestId('in-chat-search').waitFor({ state: 'detached' });
    await annPage.locator(`[data-testid="message"][data-seq="${targetSeq}"].highlight`).waitFor({ timeout: 5_000 });

    // Ben goes away: Ann's header says when he was last seen.
    await benPage.close();
    await waitUntil(async () => (await annPage.getByTestId('chat-presence').textContent()) === 'Last seen just now', 15_000, 'last seen');
    // Ben's contact page says the same.
    await annPage.getByTestId('tab-contacts').click();
    await annPage.getByTestId('contact-row').filter({ hasText: 'Ben' }).click({ timeout: 10_000 });
    await waitUntil(async () => (await annPage.getByTestId('contact-presence').textContent().catch(() => null)) === 'Last seen just now', 10_000, 'last seen on the contact page');

    // Me → Privacy: hide my last seen, saved at once.
    await annPage.goto(`${server.url}/settings`);
    await annPage.getByTestId('privacy-section').waitFor({ timeout: 10_000 });
    const hide = annPage.getByTestId('privacy-hide-last-seen');
    await waitUntil(() => hide.isEnabled(), 10_000, 'the settings loaded');
    expect(await hide.isChecked()).toBe(false);
    await hide.click();
    await annPage.screenshot({ path: path.join(SHOTS, 'privacy-section.png') });
    await waitUntil(async () => (await api('GET', '/me/im-settings', ann.token)).body?.hideLastSeen === true, 10_000, 'hideLastSeen saved');
    expect(await annPage.getByTestId('privacy-accept-strangers').isChecked()).toBe(false);
    // A save that fails flips the switch back and says so.
    await annPage.route('**/api/v1/me/im-settings', (route) =>
      route.request().method() === 'PATCH' ? route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'INTERNAL', message: 'down' } }) }) : route.continue(),
    );
    await annPage.getByTestId('privacy-accept-strangers').click();
    await annPage.getByTestId('privacy-toast').waitFor({ timeout: 10_000 });
    await waitUntil(async () => !(await annPage.getByTestId('privacy-accept-strangers').isChecked()), 5_000, 'the switch back off');
    expect((await api('GET', '/me/im-settings', ann.token)).body).toEqual({ hideLastSeen: true, acceptFromNonFriends: false });
  });
});
