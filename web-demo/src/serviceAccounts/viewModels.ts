/**
 * Pure view models of the service-accounts pages (tested in
 * serviceAccounts.test.ts): labels, the chat-list entry, comment badges.
 */
import type { CommentView, NoticeView, SummaryView } from '@muster/channels/client';

export const kindLabel = (kind: 'subscription' | 'service'): string => (kind === 'service' ? '服务号 Service account' : '公众号 Subscription account');

/** The chat list's entry: the newest article's account and title, and whether to show the dot (never a count). */
export function entryView(summary: SummaryView | null): { line: string; dot: boolean } {
  if (!summary) return { line: '', dot: false };
  return { line: summary.latest ? `${summary.latest.name}: ${summary.latest.title}` : 'No articles yet', dot: summary.dot };
}

/** A date and time, short: today's as the time, else the date. */
export function shortTime(at: number, now: number = Date.now()): string {
  const d = new Date(at);
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString([], d.getFullYear() === today.getFullYear() ? { month: 'short', day: 'numeric' } : { year: 'numeric', month: 'short', day: 'numeric' });
}

/** What a reader sees of a comment's state: "awaiting approval" for their own pending one, "pinned" for a pinned one. */
export function commentBadges(c: Pick<CommentView, 'state' | 'pinned' | 'mine' | 'flagged'>): string[] {
  const out: string[] = [];
  if (c.pinned) out.push('Pinned');
  if (c.state === 'pending') out.push(c.mine ? 'Awaiting approval' : 'Pending');
  if (c.flagged) out.push('Flagged');
  return out;
}

/** A notice in words. */
export function noticeText(n: Pick<NoticeView, 'kind' | 'articleTitle' | 'excerpt'>): string {
  const where = n.articleTitle ? `“${n.articleTitle}”` : 'a deleted article';
  return n.kind === 'comment-approved' ? `Your comment on ${where} was approved: ${n.excerpt}` : `Your comment on ${where} was removed by the editors: ${n.excerpt}`;
}

/** The error line for a refusal: the server's reason (BAD_DOCUMENT names the problem) in words. */
export function errorText(error: unknown): string {
  const e = error as { code?: string; message?: string } | null;
  switch (e?.code) {
    case 'NETWORK':
    case 'TIMEOUT':
      return 'No connection. Try again.';
    case 'BAD_DOCUMENT':
      return `The article was refused: ${e.message ?? 'bad document'}`;
    case 'DAILY_CAP_REACHED':
      return 'This account has published its articles for today. Try again later.';
    case 'COMMENTS_CLOSED':
      return 'Comments are off for this article.';
    case 'RATE_LIMITED':
      return 'Too many comments. Try again in a minute.';
    case 'NOT_FOUND':
      return 'Not found.';
    default:
      return e?.message ?? 'Something went wrong.';
  }
}
