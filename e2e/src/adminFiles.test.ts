/**
 * The admin console's Files section in Chromium against a whole server: the
 * admin (made with a set-up link, the console opened with its second factor,
 * as in accounts.test.ts) sees the upload limit, is told in words when a
 * limit above the server's ceiling is refused, keeps files 30 days (warned
 * that older ones are deleted for good) and blocks "exe"; after a reload the
 * settings are still there. Then a signed-in person's tus upload of x.exe,
 * accepted before, is refused with FILE_TYPE_BLOCKED.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@muster/server/testing';
import { browserTestsEnabled, expectNoCspViolations } from './fixtures/browser.ts';
import { e2ePeople, openWebClient, openAdminConsole } from './fixtures/people.ts';

type Server = Awaited<ReturnType<typeof openWebClient>>['server'];

const CONSOLE_PASSWORD = 'second-factor-717';

describe.skipIf(!browserTestsEnabled())('the admin console’s Files section', () => {
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

  /** The Files section, loaded. */
  async function openFiles(admin: Page): Promise<void> {
    await admin.getByTestId('admin-tab-files').click();
    await admin.locator('[data-testid="admin-files"][data-state="ready"]').waitFor({ timeout: 10_000 });
  }

  /** Creates a tus upload as `token` (10 bytes, named x.exe): the status and the error code of the reply. */
  async function createUpload(token: string, filename: string): Promise<{ status: number; code?: string; location: string | null }> {
    const res = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-length': '10', 'upload-metadata': `filename ${Buffer.from(filename).toString('base64')}` },
    });
    const text = await res.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
    } catch {
      code = undefined;
    }
    return { status: res.status, code, location: res.headers.get('location') };
  }

  it('keeps 30 days and blocks exe, kept across a reload; an upload of x.exe is then refused', async () => {
    const person = await people.account('+8613900000601', 'Katherine Johnson');
    // Before the admin blocks anything, the same upload is taken (then cancelled).
    const before = await createUpload(person.token, 'x.exe');
    expect(before.status).toBe(201);
    const cancel = await fetch(new URL(before.location!, `${server.url}/api/v1/uploads/`), { method: 'DELETE', headers: { authorization: `Bearer ${person.token}`, 'tus-resumable': '1.0.0' } });
    expect(cancel.status).toBe(204);

    const admin = await openConsole('+8613900000699');
    await openFiles(admin);
    // The server's defaults: 1 GB, for ever, nothing blocked.
    expect(await admin.getByTestId('admin-files-limit').inputValue()).toBe('1');
    expect(await admin.getByTestId('admin-files-limit-unit').inputValue()).toBe('GB');
    expect(await admin.getByTestId('admin-files-keep-forever').isChecked()).toBe(true);
    expect(await admin.getByTestId('admin-files-blocked').count()).toBe(0);

    // A limit above the server's ceiling: the server refuses it, and the console says so in words.
    await admin.getByTestId('admin-files-limit').fill('2');
    await admin.getByTestId('admin-files-save').click();
    await waitUntil(async () => ((await admin.getByTestId('admin-files-error').textContent()) ?? '').includes('at most 1 GB'), 10_000, 'the ceiling named');
    expect(await admin.getByTestId('admin-files-error').textContent()).toBe('The upload limit can be at most 1 GB, the server’s ceiling (MUSTER_MAX_UPLOAD_BYTES).');
    await admin.getByTestId('admin-files-reset').click();

    // 30 days, with the warning; "exe" blocked (typed as ".EXE"), and a wrong entry refused before anything is sent.
    await admin.getByTestId('admin-files-keep-days').check();
    await admin.getByTestId('admin-files-days').fill('30');
    await waitUntil(async () => ((await admin.getByTestId('admin-files-retention-warning').textContent()) ?? '').includes('older than 30 days are deleted for good'), 10_000, 'the retention warning');
    expect(await admin.getByTestId('admin-files-retention-warning').textContent()).toContain('“expired”');
    await admin.getByTestId('admin-files-blocked-input').fill('not a/type/');
    await admin.getByTestId('admin-files-blocked-add').click();
    await waitUntil(async () => ((await admin.getByTestId('admin-files-blocked-error').textContent()) ?? '') !== '', 10_000, 'the entry refused');
    await admin.getByTestId('admin-files-blocked-input').fill('.EXE');
    await admin.getByTestId('admin-files-blocked-add').click();
    await admin.locator('[data-testid="admin-files-blocked"][data-entry="exe"]').waitFor({ timeout: 10_000 });
    await admin.getByTestId('admin-files-save').click();
    await waitUntil(async () => (await admin.getByTestId('admin-files-saved').textContent()) === 'Saved.', 10_000, 'the files settings saved');

    // A reload: the console (still open: the second factor has not lapsed) shows what was saved.
    await admin.reload();
    await admin.getByTestId('admin-console').waitFor({ timeout: 15_000 });
    await openFiles(admin);
    expect(await admin.getByTestId('admin-files-keep-days').isChecked()).toBe(true);
    expect(await admin.getByTestId('admin-files-days').inputValue()).toBe('30');
    expect(await admin.locator('[data-testid="admin-files-blocked"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entry')))).toEqual(['exe']);
    expect(await admin.getByTestId('admin-files-limit').inputValue()).toBe('1');

    // Now the person's upload of x.exe is refused at creation.
    const after = await createUpload(person.token, 'x.exe');
    expect(after.status).toBeGreaterThanOrEqual(400);
    expect(after.status).toBeLessThan(500);
    expect(after.code).toBe('FILE_TYPE_BLOCKED');
    // Another name is still taken.
    expect((await createUpload(person.token, 'x.txt')).status).toBe(201);
  });
});
