/**
 * The admin console's Service accounts and Moments reports sections in
 * Chromium against a whole server. The admin (made with a set-up link, the
 * console opened with its second factor, as in adminFiles.test.ts) creates a
 * service account with a person as its editor, changes its daily cap (9 is
 * refused in the form, before anything is sent) and avatar, sets the comment
 * keyword list; the editor, signed in on a device of their own, sees "New
 * article" on the account's page; deleted, the account is gone. Then a
 * person's post (visibility All) is reported by another; the admin sees the
 * report with the post, removes the post, and the author's friend no longer
 * finds it.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@muster/server/testing';
import { browserTestsEnabled, expectNoCspViolations } from './fixtures/browser.ts';
import { e2ePeople, openWebClient, openAdminConsole } from './fixtures/people.ts';

type Server = Awaited<ReturnType<typeof openWebClient>>['server'];

const CONSOLE_PASSWORD = 'second-factor-919';
/** A 1×1 PNG: the account's avatar. */
const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe.skipIf(!browserTestsEnabled())('the admin console’s Service accounts and Moments reports', () => {
  afterEach(expectNoCspViolations);
  let server: Server;
  let browser: Browser;
  const people = e2ePeople(() => server, () => browser);

  beforeAll(async () => {
    ({ server, browser } = await openWebClient());
  });

  afterAll(() => people.closeAll());

  /** A new admin through the set-up link, with the console open (its second factor given). Confirm dialogs are accepted. */
  const openConsole = (phone: string) => openAdminConsole(server, people.device, phone, CONSOLE_PASSWORD);

  const text = async (page: Page, testId: string) => (await page.getByTestId(testId).textContent()) ?? '';

  it('creates a service account with an editor, keeps its cap at 10 or more, sets the keywords; the editor may publish', async () => {
    const editor = await people.account('+8613900001901', 'Grace Hopper');
    const admin = await openConsole('+8613900001999');

    await admin.getByTestId('admin-tab-channels').click();
    await admin.locator('[data-testid="admin-channels"][data-state="ready"]').waitFor({ timeout: 10_000 });
    await admin.getByTestId('admin-sa-new').click();
    await admin.locator('[data-testid="admin-sa-form"][data-state="ready"]').waitFor({ timeout: 10_000 });
    await admin.getByTestId('admin-sa-name').fill('Canteen 食堂');
    await admin.getByTestId('admin-sa-description').fill('The week’s menus');
    await admin.getByTestId('admin-sa-kind').selectOption('service');

    // The editor, found as the Users section finds people.
    await admin.getByTestId('admin-sa-editor-search').fill('Grace');
    await admin.getByTestId('admin-sa-editor-search-go').click();
    const candidate = admin.locator(`[data-testid="admin-sa-candidate"][data-user-id="${editor.id}"]`);
    await candidate.waitFor({ timeout: 10_000 });
    await candidate.getByTestId('admin-sa-candidate-add').click();
    await admin.locator(`[data-testid="admin-sa-editor"][data-user-id="${editor.id}"]`).waitFor({ timeout: 10_000 });

    await admin.getByTestId('admin-sa-save').click();
    await waitUntil(async () => (await admin.getByTestId('admin-sa-open').count()) > 0, 10_000, 'the account created');
    const accountId = (await admin.getByTestId('admin-sa-open').getAttribute('data-id'))!;
    expect(accountId).toMatch(/^sa/);
    expect(await text(admin, 'admin-sa-saved')).toBe('Created.');
    expect(await admin.getByTestId('admin-sa-cap').inputValue()).toBe('10');

    // A cap of 9 is refused in the form: said at once, and the save button is off.
    await admin.getByTestId('admin-sa-cap').fill('9');
    await waitUntil(async () => (await admin.getByTestId('admin-sa-cap-hint').getAttribute('data-valid')) === 'false', 10_000, 'the cap refused');
    expect(await text(admin, 'admin-sa-cap-hint')).toBe('The daily cap is at least 10 articles a day.');
    expect(await admin.getByTestId('admin-sa-save').isDisabled()).toBe(true);
    // 25 is taken, with an avatar uploaded through the chats' uploader.
    await admin.getByTestId('admin-sa-cap').fill('25');
    await admin.getByTestId('admin-sa-avatar-input').setInputFiles({ name: 'canteen.png', mimeType: 'image/png', buffer: Buffer.from(ONE_PIXEL_PNG, 'base64') });
    await admin.getByTestId('admin-sa-avatar-remove').waitFor({ timeout: 15_000 });
    await admin.getByTestId('admin-sa-save').click();
    await waitUntil(async () => (await text(admin, 'admin-sa-saved')) === 'Saved.', 10_000, 'the cap saved');

    // As the server has it (the editor sees the editors too).
    const page = await people.api('GET', `/service-accounts/${accountId}`, editor.token);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ name: 'Canteen 食堂', description: 'The week’s menus', kind: 'service', dailyCap: 25, editor: true });
    expect(page.body.editors.map((e: { id: string }) => e.id)).toEqual([editor.id]);
    expect(page.body.avatarFileId).toMatch(/\S/);

    // The keyword list.
    await admin.getByTestId('admin-sa-back').click();
    await admin.locator(`[data-testid="admin-sa-row"][data-id="${accountId}"]`).waitFor({ timeout: 10_000 });
    await admin.locator('[data-testid="admin-sa-keywords"][data-state="ready"]').waitFor({ timeout: 10_000 });
    await admin.getByTestId('admin-sa-keywords-input').fill('spam\n广告\nspam\n');
    await admin.getByTestId('admin-sa-keywords-save').click();
    await waitUntil(async () => (await text(admin, 'admin-sa-keywords-saved')) === 'Saved: 2 keywords.', 10_000, 'the keywords saved');
    await admin.reload();
    await admin.getByTestId('admin-console').waitFor({ timeout: 15_000 });
    await admin.getByTestId('admin-tab-channels').click();
    await admin.locator('[data-testid="admin-sa-keywords"][data-state="ready"]').waitFor({ timeout: 10_000 });
    expect(await admin.getByTestId('admin-sa-keywords-input').inputValue()).toBe('spam\n广告');

    // The editor, signed in on a device of their own, may publish on the account's page.
    const device = await people.device('editor');
    await people.logIn(device, editor.phone);
    await device.goto(`${server.url}/service-accounts/${accountId}`);
    await device.getByTestId('sa-new-article').waitFor({ timeout: 15_000 });
    expect(await device.getByTestId('sa-profile-name').textContent()).toBe('Canteen 食堂');

    // Deleted from the console (the confirm accepted): gone from the list, and for the editor.
    await admin.locator(`[data-testid="admin-sa-row"][data-id="${accountId}"]`).getByTestId('admin-sa-edit').click();
    await admin.locator('[data-testid="admin-sa-form"][data-state="ready"]').waitFor({ timeout: 10_000 });
    await admin.getByTestId('admin-sa-delete').click();
    await waitUntil(async () => (await text(admin, 'admin-sa-list-info')) === '“Canteen 食堂” was deleted.', 10_000, 'the account deleted');
    await admin.locator('[data-testid="admin-channels"][data-state="ready"]').waitFor({ timeout: 10_000 });
    await waitUntil(async () => (await admin.locator(`[data-testid="admin-sa-row"][data-id="${accountId}"]`).count()) === 0, 10_000, 'the row gone');
    expect((await people.api('GET', `/service-accounts/${accountId}`, editor.token)).status).toBe(404);
  });

  it('shows a reported post; Remove post takes it away from the author’s friend', async () => {
    const author = await people.account('+8613900001911', 'Ada Lovelace');
    const reporter = await people.account('+8613900001912', 'Alan Turing');
    const friend = await people.account('+8613900001913', 'Hedy Lamarr');
    await people.befriend(author, friend);
    const posted = await people.api('POST', '/moments', author.token, { text: 'Buy cheap watches here', visibility: 'all' });
    expect(posted.status).toBe(201);
    const momentId: string = posted.body.id;
    expect((await people.api('GET', `/moments/${momentId}`, friend.token)).status).toBe(200);
    const reported = await people.api('POST', `/moments/${momentId}/reports`, reporter.token, { reason: 'Advertising' });
    expect(reported.status).toBe(201);

    const admin = await openConsole('+8613900001998');
    await admin.getByTestId('admin-tab-moments').click();
    await admin.locator('[data-testid="admin-moments"][data-state="ready"]').waitFor({ timeout: 10_000 });
    const row = admin.locator(`[data-testid="admin-report"][data-moment-id="${momentId}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getByTestId('admin-report-text').textContent()).toBe('Buy cheap watches here');
    expect(await row.textContent()).toContain('Ada Lovelace');
    expect(await row.textContent()).toContain('visible to Everyone');
    expect(await row.getByTestId('admin-report-reason').textContent()).toContain('Reported by Alan Turing');
    expect(await row.getByTestId('admin-report-reason').textContent()).toContain('“Advertising”');

    // Remove post (the confirm is accepted): the report leaves the open list.
    await row.getByTestId('admin-report-remove').click();
    await waitUntil(async () => (await text(admin, 'admin-reports-info')) === 'The post was removed.', 10_000, 'the post removed');
    expect(await row.count()).toBe(0);

    // The author's friend finds it no more.
    expect((await people.api('GET', `/moments/${momentId}`, friend.token)).status).toBe(404);

    // The resolved list has it, marked.
    await admin.getByTestId('admin-reports-resolved').click();
    await admin.locator('[data-testid="admin-moments"][data-state="ready"][data-showing="resolved"]').waitFor({ timeout: 10_000 });
    const resolved = admin.locator(`[data-testid="admin-report"][data-moment-id="${momentId}"]`);
    await resolved.waitFor({ timeout: 10_000 });
    expect(await resolved.getByTestId('admin-report-resolution').textContent()).toContain('Post removed');
    expect(await resolved.getAttribute('data-post-state')).toBe('removed');
    expect(await resolved.getByTestId('admin-report-remove').count()).toBe(0);
  });
});
