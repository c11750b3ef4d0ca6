import { computed, effect, signal } from '@preact/signals';
import { ChannelsClient, type ChannelsTransport, type NoticeView, type SummaryView } from '@muster/channels/client';
import { imClient } from '../account/im.ts';

/**
 * The service-accounts signals: one ChannelsClient over the IM transport
 * (its REST calls with the device's token; notices ride on the one
 * `/account` socket), the chat list entry's summary (asked when the app
 * opens or regains focus: there is no live event per article, by design),
 * and the notices (loaded, then kept by the live `channels.notice` event).
 */
export const channelsClient = computed<ChannelsClient | null>(() => {
  const im = imClient.value;
  if (!im) return null;
  const t = im.transport;
  const transport: ChannelsTransport = {
    request: (method, path, body) => t.request(method, path, body),
    // The event is IM's hub's by module augmentation (channels/src/events.ts); the transport passes any name through.
    on: (event, listener) => t.on(event as never, listener as never),
  };
  return new ChannelsClient(transport);
});

/** The signed-in client; throws when signed out (these pages are only drawn signed in). */
export function channels(): ChannelsClient {
  const c = channelsClient.peek();
  if (!c) throw new Error('not signed in');
  return c;
}

export const summary = signal<SummaryView | null>(null);
export const notices = signal<readonly NoticeView[]>([]);
export const unreadNotices = signal(0);

let asking = false;
let askAgain = false;
/** Asks the server for the entry's summary again (opening the app, focus, after visiting an account); one request at a time, the last ask answered. */
export function refreshSummary(): void {
  const c = channelsClient.peek();
  if (!c) return;
  if (asking) {
    askAgain = true;
    return;
  }
  asking = true;
  c.summary()
    .then(
      (s) => {
        if (channelsClient.peek() === c) summary.value = s;
      },
      () => undefined,
    )
    .finally(() => {
      asking = false;
      if (askAgain) {
        askAgain = false;
        refreshSummary();
      }
    });
}

export async function loadNotices(): Promise<void> {
  const c = channelsClient.peek();
  if (!c) return;
  const page = await c.notices();
  notices.value = page.notices;
  unreadNotices.value = page.unread;
}

/** Marks the unread notices shown read (they were seen). */
export function markNoticesRead(): void {
  const c = channelsClient.peek();
  const ids = notices.peek().filter((n) => n.readAt === null).map((n) => n.id);
  if (!c || ids.length === 0) return;
  const now = Date.now();
  notices.value = notices.peek().map((n) => (n.readAt === null ? { ...n, readAt: now } : n));
  unreadNotices.value = 0;
  void c.readNotices(ids).catch(() => undefined);
}

let stopLive: (() => void) | null = null;
effect(() => {
  const c = channelsClient.value;
  stopLive?.();
  stopLive = null;
  summary.value = null;
  notices.value = [];
  unreadNotices.value = 0;
  if (!c) return;
  refreshSummary();
  void loadNotices().catch(() => undefined);
  stopLive = c.onNotice((n) => {
    notices.value = [n, ...notices.peek().filter((x) => x.id !== n.id)];
    unreadNotices.value = unreadNotices.peek() + 1;
  });
});

// The summary is asked for, never pushed: again whenever the app comes back to the front.
if (typeof window !== 'undefined') {
  window.addEventListener('focus', refreshSummary);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && refreshSummary());
}
