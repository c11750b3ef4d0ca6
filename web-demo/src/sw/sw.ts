/**
 * Muster's service worker, served as `/sw.js` (scope `/`).
 *
 * Built by vite.config.ts's `serviceWorker()` plugin as a separate classic
 * script (IIFE, no imports: module service workers are not in every browser
 * we support), after the app's own build, with the list of files to
 * precache (index.html, every hashed asset, the icons and the manifest) and
 * a version made from that list put in through `define`. Typed by
 * TypeScript like the rest of the client; its decisions live in logic.ts,
 * tested in Node.
 *
 * - install: precaches the app shell in `muster-shell-<version>`; activate
 *   deletes the older shells (never the page's media cache) and takes over
 *   open pages at once.
 * - fetch: page loads go to the network first and fall back to the cached
 *   index.html (offline: the app starts and shows what the device saved);
 *   the shell's files come from the cache; the API, socket.io, media and
 *   everything else are not touched.
 * - push: a message push becomes a notification, one per conversation.
 * - notificationclick: an open Muster window is focused and told to go to
 *   the conversation (the app's router does it, keeping its connection);
 *   with none open, a new window opens there.
 */
import { clickTarget, isStaleShellCache, NAVIGATE_MESSAGE, notificationFor, parsePushPayload, pickWindow, routeRequest, SHELL_CACHE_PREFIX } from './logic.ts';

// ----------------------------------------------------------------- the worker's globals
// The root tsconfig type-checks the client with the DOM library, which has no
// ServiceWorkerGlobalScope; the little of it this file uses is declared here.

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface PushEvent extends ExtendableEvent {
  readonly data: { json(): unknown; text(): string } | null;
}
interface NotificationEvent extends ExtendableEvent {
  readonly notification: Notification;
}
interface WindowClient {
  readonly url: string;
  readonly focused: boolean;
  focus(): Promise<WindowClient>;
  postMessage(message: unknown): void;
}
interface WorkerScope {
  readonly registration: ServiceWorkerRegistration;
  readonly location: Location;
  readonly clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClient[]>;
    openWindow(url: string): Promise<WindowClient | null>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  addEventListener(type: 'push', listener: (event: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: NotificationEvent) => void): void;
}

declare const self: WorkerScope;
/** Put in by the build: the files of the app shell (paths from `/`). */
declare const __MUSTER_PRECACHE__: string[];
/** Put in by the build: changes whenever any of those files does. */
declare const __MUSTER_SW_VERSION__: string;

const SHELL = `${SHELL_CACHE_PREFIX}${__MUSTER_SW_VERSION__}`;
const PRECACHE = new Set(__MUSTER_PRECACHE__);
const ORIGIN = self.location.origin;

/** waitUntil, also for events a test (or the page) made itself, whose waitUntil throws. */
function keepAlive(event: ExtendableEvent, work: Promise<unknown>): void {
  try {
    event.waitUntil(work);
  } catch {
    // An untrusted event: the work runs all the same.
  }
}

self.addEventListener('install', (event) => {
  keepAlive(
    event,
    (async () => {
      const cache = await caches.open(SHELL);
      // `reload`: straight from the server, never from the HTTP cache of an older deploy.
      await cache.addAll([...PRECACHE].map((path) => new Request(path, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  keepAlive(
    event,
    (async () => {
      for (const name of await caches.keys()) if (isStaleShellCache(name, SHELL)) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

async function fromShell(path: string): Promise<Response | undefined> {
  const cache = await caches.open(SHELL);
  return cache.match(path);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const route = routeRequest(request, ORIGIN, PRECACHE);
  if (route === 'pass') return;
  if (route === 'navigate') {
    event.respondWith(
      fetch(request).catch(async (error: unknown) => {
        // Offline (or the server is down): the app shell; the app shows what the device saved.
        const shell = (await fromShell('/index.html')) ?? (await fromShell('/'));
        if (shell) return shell;
        throw error;
      }),
    );
    return;
  }
  event.respondWith(
    (async () => {
      const path = new URL(request.url).pathname;
      const hit = await fromShell(path);
      if (hit) return hit;
      const response = await fetch(request);
      // A hashed asset never changes: keep one the precache missed (a newer build's, fetched by an open page).
      if (response.ok && path.startsWith('/assets/')) {
        const copy = response.clone();
        keepAlive(event, caches.open(SHELL).then((cache) => cache.put(path, copy)));
      }
      return response;
    })(),
  );
});

self.addEventListener('push', (event) => {
  let raw: unknown = null;
  try {
    raw = event.data?.json() ?? null;
  } catch {
    raw = event.data?.text() ?? null;
  }
  const shown = notificationFor(parsePushPayload(raw));
  keepAlive(event, self.registration.showNotification(shown.title, shown.options as NotificationOptions));
});

async function openFromNotification(notification: Notification): Promise<void> {
  const url = clickTarget(notification.data);
  notification.close();
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const target = pickWindow(windows, ORIGIN);
  if (target) {
    // Focusing is allowed for a real click only; a window that stays behind is still told where to go.
    await target.focus().catch(() => undefined);
    target.postMessage({ type: NAVIGATE_MESSAGE, url });
    return;
  }
  await self.clients.openWindow(url);
}

self.addEventListener('notificationclick', (event) => {
  keepAlive(event, openFromNotification(event.notification));
});
