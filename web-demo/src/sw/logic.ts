/**
 * The service worker's decisions, pure (no worker globals), so they are
 * tested in Node (logic.test.ts) and sw.ts only wires them to events.
 */

/** Shell caches are `muster-shell-<version>`; activation deletes the other versions (never the media cache). */
export const SHELL_CACHE_PREFIX = 'muster-shell-';

/** What the page posts the worker, and the worker the page. */
export const NAVIGATE_MESSAGE = 'muster:navigate';

/** A push the Muster server sends (push/ package): one per conversation, collapsed by `tag`. */
export interface PushPayload {
  v: 1;
  kind: 'message';
  conversationId: string;
  title: string;
  body: string;
  /** Unread messages in that conversation the push stands for. */
  count: number;
  /** Where a click goes: `/chats/<conversationId>`. */
  url: string;
  /** The conversation id: a newer push replaces the older notification. */
  tag: string;
}

/** `showNotification`'s options as used here (TypeScript's DOM types leave out `renotify`). */
export interface ShownNotification {
  title: string;
  options: {
    body: string;
    tag?: string;
    renotify?: boolean;
    data: { url: string; conversationId?: string };
    icon: string;
    badge: string;
  };
}

export const NOTIFICATION_ICON = '/icons/icon-192.png';
export const NOTIFICATION_BADGE = '/icons/badge-96.png';

const str = (v: unknown, max: number): string | null => (typeof v === 'string' ? v.slice(0, max) : null);

/** A payload read from a push's data (JSON text or already parsed); null when it is not one of ours. */
export function parsePushPayload(raw: unknown): PushPayload | null {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      return null;
    }
  }
  if (!value || typeof value !== 'object') return null;
  const o = value as Record<string, unknown>;
  if (o.v !== 1 || o.kind !== 'message') return null;
  const conversationId = str(o.conversationId, 64);
  const title = str(o.title, 200);
  if (!conversationId || title === null) return null;
  const count = typeof o.count === 'number' && Number.isFinite(o.count) && o.count > 0 ? Math.floor(o.count) : 1;
  return {
    v: 1,
    kind: 'message',
    conversationId,
    title,
    body: str(o.body, 1000) ?? '',
    count,
    url: safeAppPath(str(o.url, 300)) ?? `/chats/${encodeURIComponent(conversationId)}`,
    tag: str(o.tag, 64) || conversationId,
  };
}

/**
 * What to show for a push. A push that is not ours (or carries nothing a
 * browser could read) still shows a notification: with `userVisibleOnly`
 * a push that shows none is held against the site.
 */
export function notificationFor(payload: PushPayload | null): ShownNotification {
  if (!payload) {
    return { title: 'Muster', options: { body: 'You have new messages.', data: { url: '/chats' }, icon: NOTIFICATION_ICON, badge: NOTIFICATION_BADGE } };
  }
  const body = payload.body || (payload.count > 1 ? `${payload.count} new messages` : 'New message');
  return {
    title: payload.title || 'Muster',
    options: { body, tag: payload.tag, renotify: true, data: { url: payload.url, conversationId: payload.conversationId }, icon: NOTIFICATION_ICON, badge: NOTIFICATION_BADGE },
  };
}

/**
 * A path of this app to open, never another site's address: `/chats/…`
 * yes, `//evil.example` or `https://…` no (a push's url comes from our
 * server, but a click must not become a way out of it).
 */
export function safeAppPath(url: string | null | undefined): string | null {
  if (!url || !url.startsWith('/') || url.startsWith('//') || url.startsWith('/\\')) return null;
  if (/[\u0000-\u001f]/.test(url)) return null;
  return url;
}

/** The URL a clicked notification opens (its data.url, else the chat list). */
export function clickTarget(data: unknown): string {
  const url = data && typeof data === 'object' ? (data as { url?: unknown }).url : undefined;
  return safeAppPath(typeof url === 'string' ? url : null) ?? '/chats';
}

/** Which open window a notification click uses: a focused one of ours, else the most recent one of ours, else none. */
export function pickWindow<T extends { url: string; focused?: boolean }>(windows: readonly T[], origin: string): T | null {
  const ours = windows.filter((w) => {
    try {
      return new URL(w.url).origin === origin;
    } catch {
      return false;
    }
  });
  return ours.find((w) => w.focused) ?? ours[0] ?? null;
}

/**
 * How the worker answers a request:
 * - `navigate`: a page load; the network first, the cached shell when it fails (offline);
 * - `asset`: the shell's files (hashed assets, icons, manifest); the cache first;
 * - `pass`: everything else, untouched: the API, socket.io, media with its
 *   signed links, other origins, anything but GET. The worker never caches
 *   what carries a person's data (media goes through the page's media cache).
 */
export type Route = 'navigate' | 'asset' | 'pass';

export function routeRequest(request: { method: string; url: string; mode?: string }, origin: string, precached: ReadonlySet<string>): Route {
  if (request.method !== 'GET') return 'pass';
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return 'pass';
  }
  if (url.origin !== origin) return 'pass';
  const path = url.pathname;
  if (path.startsWith('/api/') || path === '/api' || path.startsWith('/socket.io/') || path === '/sw.js') return 'pass';
  if (request.mode === 'navigate') return 'navigate';
  if (url.search === '' && (precached.has(path) || path.startsWith('/assets/'))) return 'asset';
  return 'pass';
}

/** Whether a shell cache (by name) belongs to another version and may go. */
export function isStaleShellCache(name: string, current: string): boolean {
  return name.startsWith(SHELL_CACHE_PREFIX) && name !== current;
}
