import type { PublicProfile } from '@muster/accounts/protocol';
import type { CommentView, MomentView } from '../protocol.ts';

/**
 * A feed's state, pure: the posts loaded (newest first), the cursor of the
 * next older page, and whether it has loaded. Every change makes a new
 * state, so a view redraws by identity and a rollback is the old value.
 */
export interface FeedState {
  items: readonly MomentView[];
  /** The next older page's cursor; null: nothing older. */
  next: string | null;
  /** The first page has come. */
  loaded: boolean;
}

export const EMPTY_FEED: FeedState = { items: [], next: null, loaded: false };

const newerFirst = (a: Pick<MomentView, 'createdAt' | 'id'>, b: Pick<MomentView, 'createdAt' | 'id'>): number =>
  b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** An older page added below what is loaded (a post already there is replaced, not repeated). */
export function appendPage(state: FeedState, page: { items: readonly MomentView[]; next: string | null }): FeedState {
  const fresh = new Map(page.items.map((m) => [m.id, m]));
  const kept = state.items.map((m) => fresh.get(m.id) ?? m);
  const seen = new Set(kept.map((m) => m.id));
  return { items: [...kept, ...page.items.filter((m) => !seen.has(m.id))], next: page.next, loaded: true };
}

/**
 * The newest page loaded again, merged with what is shown: its posts are
 * the truth for the span of time it covers (new ones come in on top,
 * changed ones are replaced, ones missing from it were deleted or hidden
 * and go); older posts already loaded below it stay, as does the cursor
 * that reaches past them. A full page that ends before what was loaded
 * leaves a gap, so the older posts are dropped and its cursor taken.
 */
export function mergeRefresh(state: FeedState, page: { items: readonly MomentView[]; next: string | null }): FeedState {
  if (!state.loaded) return appendPage(EMPTY_FEED, page);
  const oldest = page.items[page.items.length - 1];
  // No more after this page: it is the whole feed.
  if (page.next === null || !oldest) return { items: [...page.items], next: page.next, loaded: true };
  const older = state.items.filter((m) => newerFirst(m, oldest) > 0);
  const overlaps = state.items.length === 0 || older.length < state.items.length;
  if (!overlaps) return { items: [...page.items], next: page.next, loaded: true };
  return { items: [...page.items, ...older], next: older.length > 0 ? state.next : page.next, loaded: true };
}

/** One post changed (its view from the server, or an optimistic one). */
export function replacePost(state: FeedState, post: MomentView): FeedState {
  if (!state.items.some((m) => m.id === post.id)) return state;
  return { ...state, items: state.items.map((m) => (m.id === post.id ? post : m)) };
}

/** A post gone (deleted, or no longer visible to the viewer). */
export function removePost(state: FeedState, id: string): FeedState {
  if (!state.items.some((m) => m.id === id)) return state;
  return { ...state, items: state.items.filter((m) => m.id !== id) };
}

export function findPost(state: FeedState, id: string): MomentView | undefined {
  return state.items.find((m) => m.id === id);
}

/**
 * A post as it looks once `me` likes it (or no longer does): at once, before
 * the server answers. Liking adds me at the end (likes come oldest first);
 * unliking takes me out.
 */
export function withLike(post: MomentView, liked: boolean, me: PublicProfile, now: number): MomentView {
  if (post.likedByMe === liked) return post;
  const likes = liked ? [...post.likes.filter((l) => l.user.id !== me.id), { user: me, at: now }] : post.likes.filter((l) => l.user.id !== me.id);
  return { ...post, likedByMe: liked, likes, likeCount: Math.max(0, post.likeCount + (liked ? 1 : -1)) };
}

/** The like toggled on one post of the feed, optimistically; `before` is what to put back if the server refuses. */
export function toggleLike(state: FeedState, id: string, me: PublicProfile, now: number): { state: FeedState; before: MomentView | null; liked: boolean } {
  const before = findPost(state, id) ?? null;
  if (!before) return { state, before: null, liked: false };
  const liked = !before.likedByMe;
  return { state: replacePost(state, withLike(before, liked, me, now)), before, liked };
}

/** The refused toggle undone: the post's likes as they were (the rest of the post as it is now). */
export function rollbackLike(state: FeedState, before: MomentView): FeedState {
  const now = findPost(state, before.id);
  if (!now) return state;
  return replacePost(state, { ...now, likedByMe: before.likedByMe, likes: before.likes, likeCount: before.likeCount });
}

/** A comment of mine added to a post (the server's own view of it follows with the next refresh). */
export function withComment(post: MomentView, comment: CommentView): MomentView {
  if (post.comments.some((c) => c.id === comment.id)) return post;
  return { ...post, comments: [...post.comments, comment], commentCount: post.commentCount + 1 };
}

export function withoutComment(post: MomentView, commentId: string): MomentView {
  if (!post.comments.some((c) => c.id === commentId)) return post;
  return { ...post, comments: post.comments.filter((c) => c.id !== commentId), commentCount: Math.max(0, post.commentCount - 1) };
}
