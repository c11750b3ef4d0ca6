/**
 * The installable app in headless Chromium against a whole server (issue 17):
 *
 * - the web app manifest, its icons and /sw.js are served with the right
 *   types (and the worker with no HTTP caching); index.html links them;
 * - the service worker registers at `/` and controls the page, and its
 *   shell cache holds the app, never an API reply;
 * - offline (`context.setOffline`), a reload still starts the app from the
 *   worker's cache and the Chats tab shows the conversations and messages
 *   the device kept, under an "offline" banner;
 * - a push delivered over the DevTools protocol (`ServiceWorker.deliverPushMessage`)
 *   becomes a notification (title, body, data.url), and its click (a
 *   `notificationclick` dispatched in the worker) brings the open window
 *   to that conversation;
 * - the media cache: an entry older than the person's cacheDays goes once
 *   `page.clock` jumps past it and the page's expiry runs; Me → Settings →
 *   Storage shows the size and "Clear cache" empties it;
 * - Me → Settings → Notifications: previews and quiet hours saved through
 *   `/me/notifications`, a UnifiedPush endpoint registered and removed
 *   through `/push/subscriptions` (the push package's routes), "Turn on
 *   notifications" as far as the browser's push service;
 * - logging out removes the device's push registrations from the server
 *   and forgets the kept chats and media.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@muster/server/testing';
import { browserTestsEnabled, expectNoCspViolations } from './fixtures/browser.ts';
import { e2ePeople, openWebClient } from './fixtures/people.ts';

type Server = Awaited<ReturnType<typeof openWebClient>>['server'];

const MEDIA_CACHE = 'muster-media-v1';
const DAY_MS = 86_400_000;

/** A PNG's width and height from its IHDR chunk. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect([...bytes.slice(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Waits until the page is controlled by Muster's service worker. */
async function waitForWorker(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller?.scriptURL.endsWith('/sw.js') === true, undefined, { timeout: 20_000 });
}

/** The conversation ids with messages the device kept for offline use (IndexedDB `muster-offline`). */
function keptTimelines(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const open = indexedDB.open('muster-offline', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('chats');
        open.onerror = () => resolve([]);
        open.onsuccess = () => {
          const db = open.result;
          const all = db.transaction('chats', 'readonly').objectStore('chats').getAll();
          all.onsuccess = () => {
            db.close();
            resolve((all.result as { timelines: Record<string, unknown[]> }[]).flatMap((s) => Object.keys(s.timelines).filter((id) => s.timelines[id]!.length > 0)));
          };
          all.onerror = () => resolve([]);
        };
      }),
  );
}

/** Puts an entry in the media cache as lib/mediaCache.ts stores one (keyed by file id, its time and size in headers). */
function putMedia(page: Page, fileId: string, size: number, cachedAt?: number): Promise<void> {
  return page.evaluate(
    async ({ cache, fileId, size, cachedAt }) => {
      const store = await caches.open(cache);
      const headers = { 'content-type': 'image/jpeg', 'x-muster-cached-at': String(cachedAt ?? Date.now()), 'x-muster-size': String(size) };
      await store.put(`/media-cache/${encodeURIComponent(fileId)}`, new Response(new Uint8Array(size), { headers }));
    },
    { cache: MEDIA_CACHE, fileId, size, cachedAt },
  );
}

function mediaKeys(page: Page): Promise<string[]> {
  return page.evaluate(async (cache) => ((await caches.has(cache)) ? (await (await caches.open(cache)).keys()).map((r) => new URL(r.url).pathname) : []), MEDIA_CACHE);
}

describe.skipIf(!browserTestsEnabled())('installable app: manifest, service worker, offline chats, push, media cache', () => {
  afterEach(expectNoCspViolations);
  let server: Server;
  let browser: Browser;
  const people = e2ePeople(() => server, () => browser);
  const { api, account, befriend, device, logIn } = people;
  let ann: Awaited<ReturnType<typeof account>>;
  let ben: Awaited<ReturnType<typeof account>>;
  let conversationId: string;
  let annPage: Page;

  beforeAll(async () => {
    ({ server, browser } = await openWebClient());
    ann = await account('+8613900001701', 'Ann');
    ben = await account('+8613900001702', 'Ben');
    await befriend(ann, ben, 'hi');
    const conversation = await api('POST', '/conversations', ann.token, { userId: ben.id });
    expect(conversation.status).toBeLessThan(300);
    conversationId = conversation.body.id;
    let n = 0;
    for (const [token, text] of [
      [ben.token, 'Lunch on Friday?'],
      [ann.token, 'Yes, at noon'],
      [ben.token, 'The offline one: see you by the river'],
    ] as const) {
      const sent = await api('POST', `/conversations/${conversationId}/messages`, token, { clientMsgId: `cm-pwa-${++n}`, type: 'text', text });
      expect(sent.status).toBe(201);
    }
  });

  afterAll(() => people.closeAll());

  it('serves the manifest, its icons and the service worker; index.html links them', async () => {
    const manifestRes = await fetch(`${server.url}/manifest.webmanifest`);
    expect(manifestRes.status).toBe(200);
    expect(manifestRes.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
    expect(manifestRes.headers.get('cache-control')).toBe('no-cache');
    const manifest = (await manifestRes.json()) as { name: string; short_name: string; start_url: string; scope: string; display: string; theme_color: string; background_color: string; icons: { src: string; sizes: string; type: string; purpose: string }[] };
    expect(manifest).toMatchObject({ name: 'Muster', short_name: 'Muster', start_url: '/', display: 'standalone', theme_color: '#0d0f13', background_color: '#0d0f13' });
    for (const [size, purpose] of [
      [192, 'any'],
      [512, 'any'],
      [192, 'maskable'],
      [512, 'maskable'],
    ] as const) {
      const icon = manifest.icons.find((i) => i.sizes === `${size}x${size}` && i.purpose === purpose);
      expect(icon, `${size} ${purpose}`).toBeDefined();
      expect(icon!.src.startsWith('/')).toBe(true);
      const res = await fetch(`${server.url}${icon!.src}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(pngSize(new Uint8Array(await res.arrayBuffer()))).toEqual({ width: size, height: size });
    }

    const sw = await fetch(`${server.url}/sw.js`);
    expect(sw.status).toBe(200);
    expect(sw.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    const script = await sw.text();
    expect(script).toContain('muster-shell-');
    expect(script).not.toMatch(/^import |\bimport\(/m);

    const html = await (await fetch(`${server.url}/chats`)).text();
    expect(html).toContain('<link rel="manifest" href="/manifest.webmanifest"');
    expect(html).toContain('<link rel="apple-touch-icon" href="/icons/apple-touch-icon.png"');
    expect(html).toContain('<meta name="theme-color" content="#0d0f13"');
    // Nothing from anywhere else: closed networks.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('registers the service worker, which controls the page and caches the shell, never the API', async () => {
    annPage = await device('ann');
    await logIn(annPage, ann.phone);
    await waitForWorker(annPage);
    const registration = await annPage.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      return { scope: reg.scope, script: reg.active?.scriptURL };
    });
    expect(registration).toEqual({ scope: `${server.url}/`, script: `${server.url}/sw.js` });
    const shell = await annPage.evaluate(async () => {
      const names = (await caches.keys()).filter((n) => n.startsWith('muster-shell-'));
      const paths = names.length ? (await (await caches.open(names[0]!)).keys()).map((r) => new URL(r.url).pathname) : [];
      return { names, paths };
    });
    expect(shell.names).toHaveLength(1);
    expect(shell.paths).toContain('/index.html');
    expect(shell.paths).toContain('/manifest.webmanifest');
    expect(shell.paths.some((p) => /^\/assets\/index-.*\.js$/.test(p))).toBe(true);
    expect(shell.paths.filter((p) => p.startsWith('/api/') || p.startsWith('/socket.io/'))).toEqual([]);
  });

  it('offline, a reload still shows the shell with the kept conversations and messages, under an offline banner', async () => {
    await annPage.getByTestId('tab-chats').click();
    await annPage.locator(`[data-testid="chat-item"]`).first().waitFor({ timeout: 10_000 });
    await annPage.getByTestId('chat-item').first().click();
    const view = annPage.getByTestId('chat-view');
    await view.waitFor();
    expect(await view.getAttribute('data-id')).toBe(conversationId);
    await annPage.getByTestId('message-text').filter({ hasText: 'see you by the river' }).waitFor({ timeout: 10_000 });
    // The device keeps the list and this conversation's messages (saved off the change, a moment later).
    await waitUntil(async () => (await keptTimelines(annPage)).includes(conversationId), 10_000, 'the conversation kept for offline use');

    const context = annPage.context();
    await context.setOffline(true);
    try {
      await annPage.reload();
      await annPage.getByTestId('shell').waitFor({ timeout: 15_000 });
      await annPage.getByTestId('offline-banner').waitFor({ timeout: 10_000 });
      expect(await annPage.getByTestId('offline-banner').textContent()).toMatch(/Offline/);
      const row = annPage.getByTestId('chat-item').filter({ hasText: 'Ben' });
      await row.waitFor({ timeout: 10_000 });
      expect(await annPage.getByTestId('chat-view').getAttribute('data-id')).toBe(conversationId);
      await annPage.getByTestId('message-text').filter({ hasText: 'see you by the river' }).waitFor({ timeout: 10_000 });
      expect(await annPage.getByTestId('message-text').filter({ hasText: 'Lunch on Friday?' }).count()).toBe(1);
    } finally {
      await context.setOffline(false);
    }
    await annPage.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('shows a pushed message as a notification, and its click opens that conversation in the open window', async () => {
    const context = annPage.context();
    await context.grantPermissions(['notifications'], { origin: server.url });
    // Somewhere else first, so the click has somewhere to go.
    await annPage.getByTestId('tab-settings').click();
    await annPage.getByTestId('settings-page').waitFor();

    const cdp = await context.newCDPSession(annPage);
    const registrations = new Map<string, { scopeURL: string; isDeleted: boolean }>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => {
      for (const r of updated) registrations.set(r.registrationId, r);
    });
    await cdp.send('ServiceWorker.enable');
    const registrationId = await waitUntil(() => [...registrations].find(([, r]) => r.scopeURL === `${server.url}/` && !r.isDeleted)?.[0], 10_000, 'the worker registration over CDP');

    const payload = { v: 1, kind: 'message', conversationId, title: 'Ben', body: 'Pushed: are you coming?', count: 1, url: `/chats/${conversationId}`, tag: conversationId };
    const notifications = () => annPage.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as unknown })));
    // DevTools hands the push to the worker only once it is running; on a loaded machine a delivery made while
    // the browser starts the worker can be dropped (a push service retries; this stands in for it). The same tag
    // replaces, so a second delivery still shows one notification.
    let shown: Awaited<ReturnType<typeof notifications>> | undefined;
    for (let attempt = 1; !shown; attempt++) {
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: server.url, registrationId, data: JSON.stringify(payload) });
      shown = await waitUntil(async () => ((await notifications()).length > 0 ? await notifications() : undefined), 5_000, 'the notification').catch((error: unknown) => {
        if (attempt >= 3) throw error;
        return undefined;
      });
    }
    expect(shown).toEqual([{ title: 'Ben', body: 'Pushed: are you coming?', tag: conversationId, data: { url: `/chats/${conversationId}`, conversationId } }]);

    // The click, in the worker: the notification the worker showed, through its own notificationclick handler.
    const worker = context.serviceWorkers().find((w) => w.url() === `${server.url}/sw.js`) ?? (await context.waitForEvent('serviceworker', { timeout: 10_000 }));
    await worker.evaluate(async () => {
      const scope = self as unknown as { registration: ServiceWorkerRegistration; dispatchEvent(e: Event): boolean };
      const [notification] = await scope.registration.getNotifications();
      const NotificationEventCtor = (globalThis as unknown as { NotificationEvent: new (type: string, init: { notification: Notification }) => Event }).NotificationEvent;
      scope.dispatchEvent(new NotificationEventCtor('notificationclick', { notification: notification! }));
    });
    await annPage.waitForURL(`**/chats/${conversationId}`, { timeout: 10_000 });
    const view = annPage.getByTestId('chat-view');
    await view.waitFor({ timeout: 10_000 });
    expect(await view.getAttribute('data-id')).toBe(conversationId);
    // The click closed it.
    await waitUntil(async () => (await annPage.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).length)) === 0, 5_000, 'the notification closed');
    await cdp.detach();
  });

  it('expires media older than cacheDays when the clock passes it, and "Clear cache" shows the size and empties it', async () => {
    const page = await device('ann-clock');
    // Fake timers from the first script on: the page's expiry timer runs on this clock.
    await page.clock.install();
    await logIn(page, ann.phone);
    await waitForWorker(page);
    // The default (7 days) unless Ann chose otherwise; she has not.
    await putMedia(page, 'file-old', 3000);
    expect(await mediaKeys(page)).toEqual(['/media-cache/file-old']);
    // Eight days later: the page's periodic expiry fires once and the entry has outlived 7 days.
    await page.clock.fastForward(8 * DAY_MS);
    await waitUntil(async () => (await mediaKeys(page)).length === 0, 10_000, 'the expired entry gone');

    // Two fresh entries: 1,500 + 2,500 bytes.
    await putMedia(page, 'file-a', 1500);
    await putMedia(page, 'file-b', 2500);
    await page.getByTestId('tab-settings').click();
    const usage = page.getByTestId('storage-usage');
    await waitUntil(async () => (await usage.getAttribute('data-bytes')) === '4000', 10_000, 'the usage measured');
    expect(await usage.textContent()).toBe('2 files, 3.9 KB, kept on this device.');
    expect(await page.getByTestId('storage-clear').textContent()).toBe('Clear cache (3.9 KB)');
    await page.getByTestId('storage-clear').click();
    await waitUntil(async () => (await page.getByTestId('storage-info').textContent()) === 'Cleared 3.9 KB (2 files).', 10_000, 'cleared');
    expect(await mediaKeys(page)).toEqual([]);
    expect(await usage.textContent()).toBe('No media kept on this device.');
  });

  it('saves previews and quiet hours, and registers a UnifiedPush endpoint (the push routes)', async () => {
    // These routes are the push package's: fail clearly if the server does not have them yet.
    const probe = await api('GET', '/me/notifications', ann.token);
    expect(probe.status, `GET /api/v1/me/notifications: ${JSON.stringify(probe.body)} (push routes not wired into the server?)`).toBe(200);

    await annPage.getByTestId('tab-settings').click();
    const form = annPage.getByTestId('notifications-form');
    await waitUntil(async () => (await form.getAttribute('data-state')) === 'ready', 10_000, 'notification settings loaded');
    const previews = annPage.getByTestId('notifications-previews');
    if (await previews.isChecked()) await previews.click();
    await annPage.getByTestId('notifications-dnd').click();
    await annPage.getByTestId('notifications-dnd-start').fill('22:30');
    await annPage.getByTestId('notifications-dnd-end').fill('06:45');
    await annPage.getByTestId('notifications-dnd-zone').fill('Asia/Shanghai');
    await annPage.getByTestId('notifications-save').click();
    await waitUntil(async () => (await annPage.getByTestId('notifications-saved').textContent()) === 'Saved.', 10_000, 'saved');
    const stored = await api('GET', '/me/notifications', ann.token);
    expect(stored.body).toEqual({ previews: false, dnd: { start: '22:30', end: '06:45', timeZone: 'Asia/Shanghai' } });

    await annPage.getByTestId('unifiedpush-endpoint').fill('https://ntfy.example.org/upE2eAnn?up=1');
    await annPage.getByTestId('unifiedpush-register').click();
    await annPage.getByTestId('unifiedpush-registered').waitFor({ timeout: 10_000 });
    expect(await annPage.getByTestId('unifiedpush-registered').textContent()).toContain('https://ntfy.example.org/upE2eAnn?up=1');
    await annPage.getByTestId('unifiedpush-remove').click();
    await annPage.getByTestId('unifiedpush-registered').waitFor({ state: 'detached', timeout: 10_000 });
    expect(await annPage.getByTestId('unifiedpush-error').textContent()).toBe('');

    // This device: permission (granted above), the server's VAPID key, the worker's pushManager.subscribe.
    // Headless Chromium on a closed network has no browser push service to subscribe with, so this ends
    // either on (the subscription registered with the server) or with the push service named as the
    // reason, never earlier (permission, key or worker).
    const deviceBlock = annPage.getByTestId('notifications-device');
    expect(await deviceBlock.getAttribute('data-state')).toBe('off');
    await annPage.getByTestId('notifications-enable').click();
    await waitUntil(
      async () => (await deviceBlock.getAttribute('data-state')) === 'on' || ((await annPage.getByTestId('notifications-error').textContent()) ?? '') !== '',
      30_000,
      'turning notifications on to end',
    );
    if ((await deviceBlock.getAttribute('data-state')) === 'on') {
      const subscriptions = await api('GET', '/push/subscriptions', ann.token);
      expect(JSON.stringify(subscriptions.body)).toContain('webpush');
    } else {
      expect(await annPage.getByTestId('notifications-error').textContent()).toMatch(/push service could not be reached/);
    }
  });

  it('logging out removes this device’s push registrations from the server and forgets the kept chats and media', async () => {
    await annPage.getByTestId('unifiedpush-endpoint').fill('https://ntfy.example.org/upE2eBye?up=1');
    await annPage.getByTestId('unifiedpush-register').click();
    await annPage.getByTestId('unifiedpush-registered').waitFor({ timeout: 10_000 });
    const unifiedCount = async () => ((await api('GET', '/push/subscriptions', ann.token)).body as { kind: string }[]).filter((s) => s.kind === 'unifiedpush').length;
    expect(await unifiedCount()).toBe(1);
    await putMedia(annPage, 'file-bye', 100);
    expect(await keptTimelines(annPage)).toContain(conversationId);

    await annPage.getByTestId('logout').click();
    await annPage.getByTestId('home-sign-in').waitFor({ timeout: 10_000 });
    expect(await unifiedCount()).toBe(0);
    await waitUntil(async () => (await keptTimelines(annPage)).length === 0 && (await mediaKeys(annPage)).length === 0, 10_000, 'kept chats and media forgotten');
  });
});
