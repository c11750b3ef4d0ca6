import { effect, signal } from '@preact/signals';
import { useEffect, useState } from 'preact/hooks';
import type { PublicProfile } from '@muster/accounts/protocol';
import { MomentsClient, type BadgeSnapshot, type FeedQuery, type FeedSnapshot, type MomentsFeed } from '@muster/moments/client';
import { imClient } from '../account/im.ts';
import { currentUser } from '../account/session.ts';

/**
 * The Moments tab's signals over the SDK (`@muster/moments/client`): one
 * MomentsClient per signed-in person, a part of account/im.ts's ImClient
 * (so it rides on the same socket and starts, stops and catches up with
 * it), its badge as a signal, and the feeds opened this session (kept, so
 * going back to a view shows it at once while it refreshes).
 */
const EMPTY_BADGE: BadgeSnapshot = { newPosts: 0, unreadNotices: 0, loaded: false };

export const momentsClient = signal<MomentsClient | null>(null);
export const momentsBadge = signal<BadgeSnapshot>(EMPTY_BADGE);

const feeds = new Map<string, MomentsFeed>();
let unfollow: (() => void) | null = null;

function me(): PublicProfile | null {
  const u = currentUser.peek();
  return u ? { id: u.id, nickname: u.nickname, avatar: u.avatar, musterId: u.musterId } : null;
}

effect(() => {
  const client = imClient.value;
  unfollow?.();
  unfollow = null;
  feeds.clear();
  if (!client) {
    momentsClient.value = null;
    momentsBadge.value = EMPTY_BADGE;
    return;
  }
  const moments = client.use((transport) => new MomentsClient(transport, { me }));
  momentsClient.value = moments;
  momentsBadge.value = moments.badge;
  const stops = [
    moments.subscribeBadge((b) => (momentsBadge.value = b)),
    // A like or comment on my post: the feeds showing it draw it as the server now has it.
    moments.onNotice((n) => {
      const id = n.moment.id;
      for (const feed of feeds.values()) if (feed.post(id)) void feed.reload(id).catch(() => undefined);
    }),
  ];
  unfollow = () => stops.forEach((stop) => stop());
});

/** The signed-in SDK; throws when signed out (the tab is only drawn signed in). */
export function moments(): MomentsClient {
  const client = momentsClient.peek();
  if (!client) throw new Error('not signed in');
  return client;
}

const keyOf = (q: FeedQuery) => (q.userId !== undefined ? `u:${q.userId}` : `v:${q.view}`);

/** The feed for a view or a profile, kept for this sign-in. */
export function feedFor(query: FeedQuery): MomentsFeed {
  const key = keyOf(query);
  let feed = feeds.get(key);
  if (!feed) feeds.set(key, (feed = moments().feed(query)));
  return feed;
}

/** Every kept feed (a post I changed or deleted shows the same in each). */
export function everyFeed(): MomentsFeed[] {
  return [...feeds.values()];
}

/** A feed's snapshot as component state, refreshed when the component shows it. */
export function useFeed(feed: MomentsFeed): FeedSnapshot {
  const [snapshot, setSnapshot] = useState(feed.snapshot);
  useEffect(() => {
    setSnapshot(feed.snapshot);
    const stop = feed.subscribe(setSnapshot);
    void feed.refresh();
    return stop;
  }, [feed]);
  return snapshot;
}

/** The words for a refusal, for a form's error line. */
export function errorText(error: unknown): string {
  const e = error as { code?: string; message?: string };
  switch (e?.code) {
    case 'NETWORK':
    case 'TIMEOUT':
      return 'No connection. Try again.';
    case 'RATE_LIMITED':
      return 'Too many at once. Try again later.';
    case 'NOT_FOUND':
      return 'This post is no longer there.';
    case 'BAD_ATTACHMENTS':
      return 'The photos or video could not be attached. Try adding them again.';
    case 'FORBIDDEN':
      return 'You may not do that.';
    default:
      return e?.message ? e.message : 'Something went wrong.';
  }
}
