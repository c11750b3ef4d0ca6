/**
 * Chat export as minutes in the real web client (headless Chromium against
 * a whole server). Ann (her browser in Chinese, so the document's own words
 * are Chinese) and Ben, contacts with a direct conversation, exchange a few
 * messages, one of them Chinese:
 *
 * (a) Ann exports the last 7 days as Word through the chat menu's dialog;
 *     the browser saves the server's .docx, which holds the Chinese text and
 *     the count line "共 4 条消息".
 * (b) Ann selects two messages and "Export selected" as Markdown, also sent
 *     to the chat: the .md holds exactly those two, and Ben gets the file.
 * (c) In a group Ann owns, she turns on "Only owner and admins can export"
 *     in its info page: Ben, a plain member, sees Export greyed out with
 *     why, in the chat menu and on the group's page.
 */
import fs from 'node:fs';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDocx } from '@muster/im/export/testing';
import { browserTestsEnabled, expectNoCspViolations } from './fixtures/browser.ts';
import { DESKTOP, e2ePeople, openWebClient } from './fixtures/people.ts';

type Server = Awaited<ReturnType<typeof openWebClient>>['server'];

const CHINESE = '明天上午九点集合';
const LINES: { from: 'ann' | 'ben'; text: string }[] = [
  { from: 'ann', text: CHINESE },
  { from: 'ben', text: 'Got it, see you at nine' },
  { from: 'ann', text: 'Bring the maps please' },
  { from: 'ben', text: 'Maps packed' },
];

describe.skipIf(!browserTestsEnabled())('chat export as minutes', () => {
  let server: Server;
  let browser: Awaited<ReturnType<typeof openWebClient>>['browser'];
  const people = e2ePeople(() => server, () => browser);
  let ann: Page;
  let ben: Page;
  let annToken = '';
  let benId = '';

  const message = (page: Page, text: string) => page.locator('[data-testid="message"]', { has: page.locator('[data-testid="message-text"]', { hasText: text }) });
  /** My message with this text, stored by the server. */
  const delivered = (page: Page, text: string) =>
    page.locator('[data-testid="message"]:is([data-state="sent"], [data-state="read"])', { has: page.locator('[data-testid="message-text"]', { hasText: text }) });

  /** Clicks `submit` and returns the download it starts, with its bytes. */
  async function downloadFrom(page: Page, submit: () => Promise<void>): Promise<{ download: Download; bytes: Buffer }> {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), submit()]);
    return { download, bytes: fs.readFileSync(await download.path()) };
  }

  beforeAll(async () => {
    ({ server, browser } = await openWebClient());
    const a = await people.account('+8613900000801', 'Ann Export');
    const b = await people.account('+8613900000802', 'Ben Export');
    await people.befriend(a, b);
    annToken = a.token;
    benId = b.id;
    const conversationId = await people.directChat(a, b);
    ann = await people.device('ann', { context: { viewport: DESKTOP, locale: 'zh-CN' }, console: ['error', 'warning'] });
    ben = await people.device('ben', { console: ['error', 'warning'] });
    await people.logIn(ann, a.phone);
    await people.logIn(ben, b.phone);
    await people.openChat(conversationId, ann, ben);
    for (const line of LINES) {
      const page = line.from === 'ann' ? ann : ben;
      const other = line.from === 'ann' ? ben : ann;
      await page.getByTestId('composer-input').fill(line.text);
      await page.getByTestId('composer-input').press('Enter');
      await delivered(page, line.text).waitFor({ timeout: 15_000 });
      await message(other, line.text).waitFor({ timeout: 15_000 });
    }
  }, 120_000);

  afterAll(async () => {
    await people.closeAll();
  });

  it('(a) exports the chat as Word from the chat menu: the .docx holds the Chinese text and the count line', async () => {
    await ann.getByTestId('chat-header-menu').click();
    await ann.getByTestId('menu-export-chat').click();
    const dialog = ann.getByTestId('export-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('export-range-week').check();
    await dialog.getByTestId('export-format-docx').check();
    const { download, bytes } = await downloadFrom(ann, () => dialog.getByTestId('export-submit').click());
    expect(download.suggestedFilename()).toMatch(/\.docx$/);
    const doc = await readDocx(bytes);
    expect(doc.text).toContain(CHINESE);
    for (const line of LINES) expect(doc.text).toContain(line.text);
    expect(doc.text).toContain(`共 ${LINES.length} 条消息`);
    await dialog.waitFor({ state: 'detached' });
    expect(await ann.getByTestId('chat-notice').textContent()).toContain(`Exported ${LINES.length} messages`);
    expectNoCspViolations();
  });

  it('(b) exports two selected messages as Markdown, also sent to the chat: exactly those two', async () => {
    const picked = [LINES[1]!.text, LINES[2]!.text];
    await message(ann, picked[0]!).locator('[data-testid="message-bubble"]').click({ button: 'right' });
    await ann.getByTestId('menu-select').click();
    await ann.getByTestId('select-bar').waitFor();
    await message(ann, picked[1]!).click();
    expect(await ann.getByTestId('select-bar').textContent()).toContain('2 selected');
    await ann.getByTestId('select-export').click();
    const dialog = ann.getByTestId('export-dialog');
    await dialog.waitFor();
    // The picked messages set the range: no range to choose.
    expect(await dialog.getByTestId('export-range-week').count()).toBe(0);
    await dialog.getByTestId('export-format-md').check();
    await dialog.getByTestId('export-send-to-chat').check();
    const { download, bytes } = await downloadFrom(ann, () => dialog.getByTestId('export-submit').click());
    expect(download.suggestedFilename()).toMatch(/\.md$/);
    const md = bytes.toString('utf8');
    for (const text of picked) expect(md).toContain(text);
    for (const line of LINES.filter((l) => !picked.includes(l.text))) expect(md).not.toContain(line.text);
    expect(md).toContain('共 2 条消息');
    // Two entries: one "**sender** · time" line each.
    expect(md.match(/^\*\*.+\*\* · .+ {2}$/gm)).toHaveLength(2);
    await ann.getByTestId('select-bar').waitFor({ state: 'detached' });

    // Also sent to the chat: Ben gets it as a file message under the same name.
    const card = ben.locator('[data-testid="file-card"]', { has: ben.getByTestId('file-name').filter({ hasText: download.suggestedFilename() }) });
    await card.waitFor({ timeout: 30_000 });
    expectNoCspViolations();
  });

  it('(c) a group keeps export to its owner and admins: the owner turns it on, a member sees Export greyed out with why', async () => {
    const made = await people.api('POST', '/groups', annToken, { name: 'Survey team', members: [benId] });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const groupId = made.body.id as string;
    await ann.goto(`${server.url}/groups/${groupId}`);
    const toggle = ann.getByTestId('group-export-admins-only');
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await expect.poll(async () => (await people.api('GET', `/groups/${groupId}`, annToken)).body.exportAdminsOnly, { timeout: 10_000 }).toBe(true);
    // The owner still exports.
    expect(await ann.getByTestId('group-export').isEnabled()).toBe(true);

    await ben.goto(`${server.url}/chats/${groupId}`);
    await ben.getByTestId('composer').waitFor();
    await ben.getByTestId('chat-header-menu').click();
    const entry = ben.getByTestId('menu-export-chat');
    await entry.waitFor();
    expect(await entry.isDisabled()).toBe(true);
    expect(await entry.textContent()).toContain('Only the owner and admins can export');
    await ben.keyboard.press('Escape');

    await ben.goto(`${server.url}/groups/${groupId}`);
    await ben.getByTestId('group-export').waitFor();
    expect(await ben.getByTestId('group-export').isDisabled()).toBe(true);
    await ben.getByTestId('group-export-locked').waitFor();
    expect(await ben.getByTestId('group-export-admins-only').count()).toBe(0);
    expectNoCspViolations();
  });
});
