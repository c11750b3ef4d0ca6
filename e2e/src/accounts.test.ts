/**
 * Accounts in the real web client, in headless Chromium against a whole
 * server: sign up with a code, log out, log in with the password, a new
 * avatar (a generated PNG through the file input), the lock-out notice
 * after someone else's wrong passwords, a log-in by code, a password reset
 * by code, two devices and signing
 * the other one out (it lands on /login by itself, told by the account
 * socket), a meeting opened signed in (named from the profile, hosted by its
 * owner, kept in "My meetings" with its topic editable), and the admin
 * console: the set-up link, the second factor, finding and disabling a
 * user, a guest link, the log channel's codes.
 *
 * Codes are read where an operator of a closed network reads them: the
 * server's log code channel.
 */
import zlib from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@muster/server/testing';
import { browserTestsEnabled, expectNoCspViolations, openMeeting, waitForJoined } from './fixtures/browser.ts';
import { DESKTOP, e2ePeople, openWebClient, PASSWORD } from './fixtures/people.ts';

type Server = Awaited<ReturnType<typeof openWebClient>>['server'];

describe.skipIf(!browserTestsEnabled())('accounts in the web client', () => {
  afterEach(expectNoCspViolations);
  let server: Server;
  let browser: Browser;
  const people = e2ePeople(() => server, () => browser);
  const { api, account, codeFor, logIn } = people;

  beforeAll(async () => {
    ({ server, browser } = await openWebClient());
  });

  afterAll(() => people.closeAll());

  /** A browser context of its own: another device. Confirm dialogs are accepted. */
  const device = (label: string, viewport = DESKTOP): Promise<Page> => people.device(label, { context: { viewport }, console: ['error', 'warning'], acceptDialogs: true });

  /** An account made over the API (for the flows that are not about signing up). */
  async function accountOf(phone: string, nickname: string): Promise<void> {
    const { refreshToken } = await account(phone, nickname);
    // Sign-up signed this script in as a device: sign it out, so the browsers are the only devices.
    expect((await api('POST', '/auth/logout', undefined, { refreshToken })).status).toBe(204);
  }

  const storedSession = (page: Page) => page.evaluate(() => localStorage.getItem('muster.session'));

  it('signs up with a code, logs out, logs back in with the password, changes the avatar, and hears of a lock-out', async () => {
    const phone = '+8613900000201';
    const page = await device('ada');
    await page.goto(server.url);
    // Signed out, the start page is as before, with a way to sign in.
    await page.getByTestId('home-create').waitFor();
    await page.getByTestId('home-sign-in').click();
    await page.getByTestId('login-page').waitFor();
    await page.getByTestId('to-signup').click();
    // The form says what this organisation asks for (GET /auth/policy).
    await page.locator('[data-testid=signup-policy][data-policy=code]').waitFor({ timeout: 10_000 });

    await page.getByTestId('signup-phone').fill(phone);
    await page.getByTestId('signup-password').fill(PASSWORD);
    await page.getByTestId('signup-nickname').fill('Ada Lovelace');
    // Under the default policy a code is required: the server says so, and the form shows it.
    await page.getByTestId('signup-submit').click();
    await waitUntil(async () => /Send code/.test((await page.getByTestId('signup-error').textContent()) ?? ''), 10_000, 'the CODE_REQUIRED message');
    await page.getByTestId('signup-send-code').click();
    await waitUntil(async () => /Resend in \d+ s/.test((await page.getByTestId('signup-send-code').textContent()) ?? ''), 10_000, 'the resend countdown');
    await page.getByTestId('signup-code').fill(await codeFor(phone, 'signup'));
    await page.getByTestId('signup-submit').click();

    // Signed in: the shell, Meetings first, named from the profile.
    await page.getByTestId('shell').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('tab-meetings').getAttribute('aria-current')).toBe('page');
    expect(await page.getByTestId('shell-nickname').textContent()).toBe('Ada Lovelace');
    await page.locator('[data-testid="my-meetings"][data-state="ready"]').waitFor();
    expect(JSON.parse((await storedSession(page))!)).toMatchObject({ user: { nickname: 'Ada Lovelace', phone } });

    await page.getByTestId('shell-logout').click();
    await page.getByTestId('home-sign-in').waitFor();
    expect(await storedSession(page)).toBeNull();

    // Typed as people do, with spaces: the server normalises it.
    await logIn(page, '+86 139 0000 0201');
    expect(await page.getByTestId('shell-nickname').textContent()).toBe('Ada Lovelace');

    await page.getByTestId('tab-settings').click();
    await page.getByTestId('settings-page').waitFor();
    expect(await page.getByTestId('profile-avatar').evaluate((el) => el.tagName)).toBe('SPAN');
    await page.getByTestId('avatar-input').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png(300, 200, [200, 90, 40]) });
    // The 256 px picture replaces the initials once it has loaded.
    await waitUntil(
      () => page.getByTestId('profile-avatar').evaluate((el) => el.tagName === 'IMG' && (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth),
      15_000,
      'the new avatar to load',
    );
    const avatar = await page.getByTestId('profile-avatar').evaluate((el) => ({ src: (el as HTMLImageElement).src, width: (el as HTMLImageElement).naturalWidth }));
    expect(avatar.src).toContain('/large.webp');
    expect(avatar.width).toBe(256);
    // The shell's corner shows the small one.
    await waitUntil(() => page.locator('[data-testid="shell-me"] img').count(), 5_000, 'the avatar in the shell');

    // Someone else guesses the password until it locks: the signed-in page is told on its account socket.
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone, password: `guess-${i}-guess` }) });
      if (res.status === 423) break;
    }
    const notice = page.locator('[data-testid="account-notice"][data-kind="password-locked"]');
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.textContent()).toMatch(/locked/);

    // The organisation's announcement to everyone connected reaches the open page on its longlink.
    const sent = await fetch(`${server.url}/api/v1/announcements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Maintenance tonight at 22:00' }),
    });
    expect(sent.status).toBe(202);
    const announcement = page.getByTestId('announcement');
    await announcement.waitFor({ timeout: 10_000 });
    expect(await announcement.textContent()).toMatch(/Maintenance tonight at 22:00/);
    await page.getByTestId('announcement-close').click();
    await announcement.waitFor({ state: 'detached' });
  });

  it('shows both devices, and signing the other out sends it to the log-in page by itself', async () => {
    const phone = '+8613900000202';
    await accountOf(phone, 'Grace');
    const laptop = await device('grace-laptop');
    const phoneDevice = await device('grace-phone', { width: 390, height: 844 });
    await logIn(laptop, phone);
    // The phone logs in with a code instead of the password.
    await phoneDevice.goto(`${server.url}/login`);
    await phoneDevice.getByTestId('login-mode-code').click();
    await phoneDevice.getByTestId('login-phone').fill(phone);
    await phoneDevice.getByTestId('login-send-code').click();
    await phoneDevice.getByTestId('login-code').fill(await codeFor(phone, 'login'));
    await phoneDevice.getByTestId('login-submit').click();
    await phoneDevice.getByTestId('shell').waitFor({ timeout: 15_000 });
    // The phone has the bottom tab bar, inside the viewport.
    const bar = await phoneDevice.getByTestId('shell-nav').boundingBox();
    expect(bar!.y + bar!.height).toBeLessThanOrEqual(844);
    expect(bar!.y).toBeGreaterThan(844 / 2);

    await laptop.getByTestId('tab-settings').click();
    await laptop.locator('[data-testid="devices"][data-state="ready"]').waitFor();
    await waitUntil(() => laptop.getByTestId('device-item').count().then((n) => n === 2), 10_000, 'two devices listed');
    expect(await laptop.locator('[data-testid="device-item"][data-current="true"] [data-testid="device-last-seen"]').textContent()).toBe('This device');
    await laptop.locator('[data-testid="device-item"][data-current="false"] [data-testid="device-sign-out"]').click();

    // The phone hears it on its account socket: straight to /login, saying why, tokens gone.
    await waitUntil(async () => new URL(phoneDevice.url()).pathname === '/login' && (await phoneDevice.getByTestId('login-notice').textContent())!.length > 0, 10_000, 'the phone to be signed out');
    expect(await phoneDevice.getByTestId('login-notice').textContent()).toMatch(/signed out/);
    expect(await storedSession(phoneDevice)).toBeNull();
    await waitUntil(() => laptop.getByTestId('device-item').count().then((n) => n === 1), 10_000, 'one device left');
    // The laptop is still signed in.
    await laptop.reload();
    await laptop.getByTestId('settings-page').waitFor();
  });

  it('resets a forgotten password with a code, then logs in with the new one', async () => {
    const phone = '+8613900000206';
    await accountOf(phone, 'Mary Jackson');
    const page = await device('mary');
    await page.goto(`${server.url}/login`);
    await page.getByTestId('to-reset').click();
    await page.getByTestId('reset-phone').fill(phone);
    await page.getByTestId('reset-send-code').click();
    await page.getByTestId('reset-code').fill(await codeFor(phone, 'reset'));
    await page.getByTestId('reset-password').fill('copper-lantern-88');
    await page.getByTestId('reset-submit').click();
    await page.getByTestId('login-page').waitFor();
    expect(await page.getByTestId('login-notice').textContent()).toMatch(/changed/);
    await page.getByTestId('login-phone').fill(phone);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await waitUntil(async () => /not right|match/.test((await page.getByTestId('login-error').textContent()) ?? ''), 10_000, 'the old password refused');
    await page.getByTestId('login-password').fill('copper-lantern-88');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('shell').waitFor({ timeout: 15_000 });
  });

  it('a meeting opened signed in is named from the profile, hosted by its owner, and kept in My meetings', async () => {
    const phone = '+8613900000203';
    await accountOf(phone, 'Katherine Johnson');
    const page = await device('katherine');
    await logIn(page, phone);
    await page.getByTestId('new-meeting').click();
    await page.getByTestId('prejoin').waitFor();
    // No name to type: the profile's is shown.
    expect(await page.getByTestId('prejoin-name').count()).toBe(0);
    expect(await page.getByTestId('prejoin-profile-name').textContent()).toBe('Katherine Johnson');
    const room = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
    await page.getByTestId('join').click();
    await waitForJoined(page, 45_000);

    // Someone with a link and no account joins as before, and sees the profile's name; they are the guest.
    const guest = await openMeeting(browser, server.url, room, 'Link Joiner', { query: 'camera=0&mic=0' });
    people.track(guest.context());
    await guest.locator('[data-participant-name="Katherine Johnson"]').waitFor({ timeout: 20_000 });
    await guest.getByTestId('participants-toggle').click();
    const row = (name: string) => guest.locator('[data-testid="participant-item"]', { hasText: name });
    await waitUntil(() => row('Katherine Johnson').count(), 10_000, 'the owner in the people list');
    expect(await row('Katherine Johnson').getAttribute('data-host')).toBe('true');
    expect(await row('Katherine Johnson').getAttribute('data-guest')).toBe('false');
    expect(await row('Link Joiner').getAttribute('data-guest')).toBe('true');
    expect(await row('Link Joiner').getByTestId('guest-badge').count()).toBe(1);

    await page.getByTestId('leave').click();
    await page.getByTestId('left-screen').waitFor();
    await page.goto(server.url);
    const item = page.locator(`[data-testid="meeting-item"][data-meeting-id="${room}"]`);
    await item.waitFor({ timeout: 10_000 });

    // Rename in place.
    await item.getByTestId('meeting-topic').click();
    await item.getByTestId('meeting-topic-input').fill('Orbit review');
    await item.getByTestId('meeting-topic-input').press('Enter');
    await waitUntil(async () => (await item.getByTestId('meeting-topic').textContent()) === 'Orbit review', 10_000, 'the new topic');
    await page.reload();
    await waitUntil(async () => (await page.locator(`[data-meeting-id="${room}"] [data-testid="meeting-topic"]`).textContent()) === 'Orbit review', 10_000, 'the topic after a reload');

    // Schedule one.
    await page.getByTestId('schedule-toggle').click();
    await page.getByTestId('schedule-topic').fill('Launch window');
    await page.getByTestId('schedule-lobby').check();
    await page.getByTestId('schedule-submit').click();
    const scheduled = page.locator('[data-testid="scheduled-meetings"] [data-testid="meeting-item"]', { hasText: 'Launch window' });
    await scheduled.waitFor({ timeout: 10_000 });
    expect(await scheduled.getByTestId('meeting-open').textContent()).toBe('Start');
  });

  it('the admin console: set-up link, second factor, find and disable a user, a guest link, pending codes, approval sign-up', async () => {
    const userPhone = '+8613900000204';
    await accountOf(userPhone, 'Dorothy Vaughan');
    const userPage = await device('dorothy');
    await logIn(userPage, userPhone);

    const made = await server.accounts.admin.createAdmin('+8613900000299');
    const token = made.link.split('#')[1]!;
    const admin = await device('admin');
    await admin.goto(`${server.url}/admin/setup#${token}`);
    await admin.getByTestId('admin-setup').waitFor();
    // The token leaves the address bar at once.
    expect(new URL(admin.url()).hash).toBe('');
    await admin.getByTestId('setup-nickname').fill('Operator');
    await admin.getByTestId('setup-password').fill('granite-meadow-55');
    await admin.getByTestId('setup-console-password').fill('second-factor-909');
    await admin.getByTestId('setup-submit').click();
    await admin.getByTestId('admin-setup-open').click();

    // The console asks for its second factor first.
    await admin.getByTestId('admin-factor').waitFor();
    await admin.getByTestId('admin-factor-input').fill('not-the-factor-1');
    await admin.getByTestId('admin-elevate').click();
    await waitUntil(async () => ((await admin.getByTestId('admin-factor-error').textContent()) ?? '').length > 0, 10_000, 'the refusal');
    await admin.getByTestId('admin-factor-input').fill('second-factor-909');
    await admin.getByTestId('admin-elevate').click();
    await admin.getByTestId('admin-console').waitFor({ timeout: 10_000 });

    await admin.getByTestId('admin-user-search').fill('Dorothy');
    await admin.getByTestId('admin-user-search-go').click();
    const row = admin.locator('[data-testid="admin-user"]', { hasText: 'Dorothy Vaughan' });
    await waitUntil(() => admin.locator('[data-testid="admin-user"]').count().then((n) => n === 1), 10_000, 'one match');
    expect(await row.getAttribute('data-status')).toBe('active');
    await row.getByTestId('admin-disable').click();
    await waitUntil(async () => (await row.getAttribute('data-status')) === 'disabled', 10_000, 'the user disabled');
    // Disabling signs the person out everywhere: their open page goes to /login and says why.
    await waitUntil(async () => new URL(userPage.url()).pathname === '/login' && /disabled/.test((await userPage.getByTestId('login-notice').textContent()) ?? ''), 10_000, 'the user signed out');
    const refused = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: userPhone, password: PASSWORD }) });
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('ACCOUNT_DISABLED');

    // A guest: the link is shown once, and signs a browser in.
    await admin.getByTestId('admin-tab-guests').click();
    await admin.getByTestId('admin-guest-nickname').fill('Visiting Inspector');
    await admin.getByTestId('admin-guest-create').click();
    const link = await admin.getByTestId('admin-guest-link').getAttribute('data-url', { timeout: 10_000 });
    expect(link).toMatch(/\/guest#/);
    const visitor = await device('guest');
    await visitor.goto(`${server.url}/guest#${link!.split('#')[1]}`);
    await visitor.getByTestId('shell').waitFor({ timeout: 15_000 });
    expect(await visitor.getByTestId('shell-nickname').textContent()).toBe('Visiting Inspector');

    // Codes of the log channel, for networks without SMS.
    await fetch(`${server.url}/api/v1/auth/codes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: '+8613900000205', purpose: 'signup' }) });
    await admin.getByTestId('admin-tab-codes').click();
    await admin.locator('[data-testid="admin-code"][data-phone="+8613900000205"]').waitFor({ timeout: 10_000 });

    // IM: the idle days that clear temporary groups, kept; the list of temporary groups.
    await admin.getByTestId('admin-tab-im').click();
    await admin.locator('[data-testid="admin-im"][data-state="ready"]').waitFor({ timeout: 10_000 });
    expect(await admin.getByTestId('admin-im-idle-days').inputValue()).toBe('30');
    await admin.getByTestId('admin-im-idle-days').fill('14');
    await admin.getByTestId('admin-im-save').click();
    await waitUntil(async () => (await admin.getByTestId('admin-im-saved').textContent()) === 'Saved.', 10_000, 'the IM settings saved');
    await admin.getByTestId('admin-tab-codes').click();
    await admin.getByTestId('admin-tab-im').click();
    await waitUntil(async () => (await admin.getByTestId('admin-im-idle-days').inputValue()) === '14', 10_000, 'the idle days kept');

    // Sign-up by approval: a new account waits, the admin approves it, then it logs in.
    await admin.getByTestId('admin-tab-settings').click();
    await admin.getByTestId('admin-signup-policy').selectOption('approval');
    await admin.getByTestId('admin-settings-save').click();
    await waitUntil(async () => (await admin.getByTestId('admin-settings-saved').textContent()) === 'Saved.', 10_000, 'the settings saved');
    const newcomer = await device('newcomer');
    await newcomer.goto(`${server.url}/signup`);
    await newcomer.locator('[data-testid=signup-policy][data-policy=approval]').waitFor({ timeout: 10_000 });
    await newcomer.getByTestId('signup-phone').fill('+8613900000207');
    await newcomer.getByTestId('signup-password').fill(PASSWORD);
    await newcomer.getByTestId('signup-nickname').fill('Christine Darden');
    await newcomer.getByTestId('signup-submit').click();
    await newcomer.getByTestId('signup-pending').waitFor({ timeout: 10_000 });
    expect(await storedSession(newcomer)).toBeNull();
    await admin.getByTestId('admin-tab-users').click();
    await admin.getByTestId('admin-user-search').fill('Christine');
    await admin.getByTestId('admin-user-search-go').click();
    const pending = admin.locator('[data-testid="admin-user"][data-status="pending"]', { hasText: 'Christine Darden' });
    await pending.getByTestId('admin-approve').click();
    await admin.locator('[data-testid="admin-user"][data-status="active"]', { hasText: 'Christine Darden' }).waitFor({ timeout: 10_000 });
    await logIn(newcomer, '+8613900000207');
    expect(await newcomer.getByTestId('shell-nickname').textContent()).toBe('Christine Darden');
  });
});

/** A solid-colour PNG, made here (no image library): what a phone's photo picker would hand over. */
function png(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
