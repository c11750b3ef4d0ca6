import type { ImTransport } from '@muster/im/client';
import type { Badge, CommentPage, MomentPage, MomentView, NoticePage, Visibility } from '../protocol.ts';

/** What a feed page asks for: one of the three views, or one person's profile (not both), optionally a search. */
export type FeedQuery = { view: FeedView; userId?: never } | { userId: string; view?: never };
export type FeedView = 'all' | 'friends' | 'mine';

export interface NewMoment {
  text?: string;
  fileIds?: string[];
  location?: string;
  visibility: Visibility;
}

/** The query string of a feed page (the cursor and size added). */
export function feedSearch(query: FeedQuery, before?: string | null, limit?: number): string {
  const params = new URLSearchParams();
  if (query.userId !== undefined) params.set('userId', query.userId);
  else params.set('view', query.view);
  if (before) params.set('before', before);
  if (limit !== undefined) params.set('limit', String(limit));
  return params.toString();
}

const at = (id: string) => `/moments/${encodeURIComponent(id)}`;

/**
 * The Moments REST routes (docs/moments.md) over IM's transport (the
 * signed-in person's token, refreshed as needed; refusals reject with
 * ImClientError and the server's code). A post the viewer may not see is
 * NOT_FOUND, as one that does not exist.
 */
export class MomentsApi {
  readonly #t: ImTransport;

  constructor(transport: ImTransport) {
    this.#t = transport;
  }

  page(query: FeedQuery, before?: string | null, limit?: number): Promise<MomentPage> {
    return this.#t.request('GET', `/moments?${feedSearch(query, before, limit)}`);
  }

  one(id: string): Promise<MomentView> {
    return this.#t.request('GET', at(id));
  }

  create(input: NewMoment): Promise<{ id: string }> {
    return this.#t.request('POST', '/moments', input);
  }

  /** Changes who sees a post of mine; the post as it is now. */
  setVisibility(id: string, visibility: Visibility): Promise<MomentView> {
    return this.#t.request('PATCH', at(id), { visibility });
  }

  remove(id: string): Promise<void> {
    return this.#t.request('DELETE', at(id));
  }

  like(id: string): Promise<void> {
    return this.#t.request('POST', `${at(id)}/likes`, {});
  }

  unlike(id: string): Promise<void> {
    return this.#t.request('DELETE', `${at(id)}/likes`);
  }

  comments(id: string, after?: string | null): Promise<CommentPage> {
    return this.#t.request('GET', `${at(id)}/comments${after ? `?after=${encodeURIComponent(after)}` : ''}`);
  }

  comment(id: string, text: string, replyTo?: string | null): Promise<{ id: string }> {
    return this.#t.request('POST', `${at(id)}/comments`, replyTo ? { text, replyTo } : { text });
  }

  removeComment(id: string, commentId: string): Promise<void> {
    return this.#t.request('DELETE', `${at(id)}/comments/${encodeURIComponent(commentId)}`);
  }

  report(id: string, reason: string): Promise<{ id: string }> {
    return this.#t.request('POST', `${at(id)}/reports`, { reason });
  }

  badge(): Promise<Badge> {
    return this.#t.request('GET', '/moments/badge');
  }

  /** The tab was opened: friends' posts until now are no longer new. */
  seen(): Promise<void> {
    return this.#t.request('POST', '/moments/seen', {});
  }

  notices(before?: string | null): Promise<NoticePage> {
    return this.#t.request('GET', `/moments/notices${before ? `?before=${encodeURIComponent(before)}` : ''}`);
  }

  readNotices(): Promise<void> {
    return this.#t.request('POST', '/moments/notices/read', {});
  }
}
