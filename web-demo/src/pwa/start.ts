/**
 * The installable app's page side, started once from main.tsx:
 *
 * - registers the service worker (`/sw.js`, scope `/`; built from src/sw/);
 *   where there is none (the vite dev server, plain http) the app runs as before;
 * - follows the worker's "go to" messages (a clicked notification) with the
 *   app's router;
 * - `online`: whether the browser has a network (the offline banner, and
 *   the Chats tab showing what this device kept: offlineChats.ts);
 * - the media cache's expiry, in the page with `Date.now()`: at start-up and
 *   every five minutes, by the person's `cacheDays` (fetched when signed in,
 *   remembered for starts without a network);
 * - sign-out forgets what this device kept: chats, media, push registrations
 *   (logging out here first removes this device's registrations from the server).
 */
import { computed, effect, signal } from '@preact/signals';
import { imClient } from '../account/im.ts';
import { accounts, beforeLogOut, currentUser } from '../account/session.ts';
import { navigate } from '../app/router.ts';
import { activeConversation, chatList, chatsLoaded, timelineOf } from '../chats/state.ts';
import { cacheDaysOf, clear as clearMediaCache, DEFAULT_CACHE_DAYS, expire, type CacheDays } from '../lib/mediaCache.ts';
import { PushApi } from '../lib/push.ts';
import { NAVIGATE_MESSAGE, safeAppPath } from '../sw/logic.ts';
import { clearOfflineChats, startOfflineChats } from './offlineChats.ts';
import { dropPushRegistrations, forgetPush } from './pushDevice.ts';

/** The REST calls of notifications and the file cache, as this device. */
export const pushApi = new PushApi((path, init) => accounts.fetch(path, init));

export const online = signal(typeof navigator === 'undefined' ? true : navigator.onLine);

const CACHE_DAYS_KEY = 'muster.cacheDays';
/** How long downloaded media stays on this device (the person's setting; 7 days until the server says). */
export const cacheDays = signal<CacheDays>(rememberedCacheDays());

/** How often the page looks for expired media while open. */
export const EXPIRY_INTERVAL_MS = 5 * 60_000;

function rememberedCacheDays(): CacheDays {
  try {
    const raw = localStorage.getItem(CACHE_DAYS_KEY);
    return raw === null ? DEFAULT_CACHE_DAYS : cacheDaysOf(JSON.parse(raw));
  } catch {
    return DEFAULT_CACHE_DAYS;
  }
}

/** Sets (and remembers) the cache setting here; Settings calls it once the server has it. */
export function setCacheDays(days: CacheDays): void {
  cacheDays.value = days;
  try {
    localStorage.setItem(CACHE_DAYS_KEY, JSON.stringify(days));
  } catch {
    // Not remembered: the server's copy is read at the next start.
  }
  void expireMedia();
}

/** Drops the media that outlived the setting, now. */
export async function expireMedia(): Promise<{ removed: number; bytes: number }> {
  return expire(Date.now(), cacheDays.peek()).catch(() => ({ removed: 0, bytes: 0 }));
}

let started = false;

export function startPwa(): void {
  if (started) return;
  started = true;

  addEventListener('online', () => (online.value = true));
  addEventListener('offline', () => (online.value = false));

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as { type?: unknown; url?: unknown } | null;
      if (data?.type !== NAVIGATE_MESSAGE) return;
      const url = safeAppPath(typeof data.url === 'string' ? data.url : null);
      if (url && url !== location.pathname + location.search) navigate(url);
    });
    navigator.serviceWorker.startMessages();
    // After the page's own loading: the precache must not compete with the first screen.
    const register = () => void navigator.serviceWorker.register('/sw.js', { scope: '/', updateViaCache: 'none' }).catch(() => undefined);
    if (document.readyState === 'complete') register();
    else addEventListener('load', register, { once: true });
  }

  startOfflineChats({
    online,
    userId: computed(() => currentUser.value?.id ?? null),
    client: imClient,
    chatList,
    chatsLoaded,
    activeConversation,
    timelineOf,
  });

  // The person's cache setting, whenever someone signs in (a failure keeps the remembered one).
  effect(() => {
    const user = currentUser.value;
    if (!user) return;
    void pushApi.fileSettings().then(
      (settings) => currentUser.peek()?.id === user.id && setCacheDays(settings.cacheDays),
      () => undefined,
    );
  });
  void expireMedia();
  setInterval(() => void expireMedia(), EXPIRY_INTERVAL_MS);

  beforeLogOut(async () => {
    const userId = accounts.user?.id;
    if (userId) await dropPushRegistrations(pushApi, userId);
  });
  accounts.on('signedOut', () => {
    void clearOfflineChats();
    void clearMediaCache().catch(() => undefined);
    void forgetPush().catch(() => undefined);
    try {
      localStorage.removeItem(CACHE_DAYS_KEY);
    } catch {
      // Nothing kept.
    }
    cacheDays.value = DEFAULT_CACHE_DAYS;
  });
}
