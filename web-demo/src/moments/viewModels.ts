import type { LikeView, NoticeView, Visibility } from '@muster/moments/client';

/**
 * The Moments tab's pure view models (tested in moments.test.ts): what the
 * badge says, the visibility's words, a notice's line, how the pictures of
 * a post are laid out.
 */

/** The tab's badge: new posts by friends and unread notices together; "99+" past 99. */
export function badgeCount(b: { newPosts: number; unreadNotices: number }): number {
  return Math.max(0, b.newPosts) + Math.max(0, b.unreadNotices);
}

export function badgeText(n: number): string {
  return n > 99 ? '99+' : String(n);
}

export const VISIBILITY_LABELS: Record<Visibility, string> = { all: 'All', friends: 'Friends', private: 'Only me' };

/** Who sees a post, as its author reads it under the post. */
export function visibilityHint(v: Visibility): string {
  switch (v) {
    case 'all':
      return 'Everyone in the organisation';
    case 'friends':
      return 'Your contacts';
    case 'private':
      return 'Only you';
  }
}

/** A notice's line: "Ben liked your post", "Ben commented: …", "Ben replied to you: …". */
export function noticeText(n: Pick<NoticeView, 'kind' | 'actor' | 'comment'>): string {
  const who = n.actor.nickname;
  switch (n.kind) {
    case 'like':
      return `${who} liked your post`;
    case 'comment':
      return `${who} commented: ${n.comment?.text ?? ''}`.trimEnd();
    case 'reply':
      return `${who} replied to you: ${n.comment?.text ?? ''}`.trimEnd();
  }
}

/**
 * The columns of a post's picture grid, as WeChat lays them out: one
 * picture alone (larger), two or four in two columns, else three.
 */
export function gridColumns(count: number): 1 | 2 | 3 {
  if (count <= 1) return 1;
  if (count === 2 || count === 4) return 2;
  return 3;
}

/** The names under the heart, in the order they liked; the rest counted when the server holds more than it sent. */
export function likesLine(likes: readonly LikeView[], likeCount: number): string {
  const names = likes.map((l) => l.user.nickname).join(', ');
  const more = likeCount - likes.length;
  return more > 0 ? `${names} and ${more} more` : names;
}

/** The post page's title for a profile: "Ann's moments", else (no name yet) "Moments". */
export function profileTitle(name: string | null, mine: boolean): string {
  if (mine) return 'My moments';
  return name ? `${name}’s moments` : 'Moments';
}
