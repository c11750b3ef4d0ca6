import type { MomentsFeed } from '@muster/moments/client';
import type { PostActions } from './PostCard.tsx';
import { everyFeed } from './state.ts';

/** A post changed or deleted through one feed: every other kept feed that shows it asks the server again. */
function echo(from: MomentsFeed | null, id: string): void {
  for (const feed of everyFeed()) if (feed !== from && feed.post(id)) void feed.reload(id).catch(() => undefined);
}

/** The buttons of a post in a feed: through the feed's SDK store (the like shows at once and is put back if refused). */
export function feedActions(feed: MomentsFeed): PostActions {
  return {
    like: (p) => feed.toggleLike(p.id).then(() => echo(feed, p.id)),
    comment: (p, text, replyTo) => feed.comment(p.id, text, replyTo).then(() => echo(feed, p.id)),
    removeComment: (p, commentId) => feed.removeComment(p.id, commentId).then(() => echo(feed, p.id)),
    setVisibility: (p, v) => feed.setVisibility(p.id, v).then(() => echo(feed, p.id)),
    remove: (p) => feed.remove(p.id).then(() => echo(feed, p.id)),
  };
}
