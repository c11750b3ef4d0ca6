import type {
  ArticlePageSchema,
  ArticleVersionEntry,
  ArticleVersionView,
  ArticleView,
  CommentPageSchema,
  CommentView,
  DirectoryEntry,
  FeedEntry,
  NoticePageSchema,
  NoticeView,
  QueuePageSchema,
  ServiceAccountView,
  SummaryView,
} from '../protocol.ts';
import type { z } from 'zod';
import type { ChannelsTransport } from './transport.ts';
import type { SubscriptionChange } from './feed.ts';

export type ArticlePage = z.infer<typeof ArticlePageSchema>;
export type CommentPage = z.infer<typeof CommentPageSchema>;
export type QueuePage = z.infer<typeof QueuePageSchema>;
export type NoticePage = z.infer<typeof NoticePageSchema>;
export interface QueueFilter {
  state?: 'pending' | 'approved';
  flagged?: boolean;
  articleId?: string;
  before?: string;
}

const id = (value: string) => encodeURIComponent(value);
function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * The service-accounts SDK (`@muster/channels/client`), framework-free:
 * one method per REST route a person's client uses (the directory,
 * subscriptions and the summary dot, articles and their versions, comments
 * and moderation, notices), over any ChannelsTransport. Errors are the
 * transport's (with the server's `code`: BAD_DOCUMENT, COMMENTS_CLOSED…).
 */
export class ChannelsClient {
  readonly #t: ChannelsTransport;

  constructor(transport: ChannelsTransport) {
    this.#t = transport;
  }

  // ---------------------------------------------------------------- accounts

  async directory(q = ''): Promise<DirectoryEntry[]> {
    return (await this.#t.request<{ accounts: DirectoryEntry[] }>('GET', `/service-accounts${query({ q: q.trim() })}`)).accounts;
  }
  account(serviceAccountId: string): Promise<ServiceAccountView> {
    return this.#t.request('GET', `/service-accounts/${id(serviceAccountId)}`);
  }
  subscribe(serviceAccountId: string): Promise<void> {
    return this.#t.request('POST', `/service-accounts/${id(serviceAccountId)}/subscription`);
  }
  unsubscribe(serviceAccountId: string): Promise<void> {
    return this.#t.request('DELETE', `/service-accounts/${id(serviceAccountId)}/subscription`);
  }
  /** Pin, unpin or place one subscription (one change from feed.ts's setPinned / movePinned). */
  changeSubscription(change: SubscriptionChange): Promise<FeedEntry> {
    const { serviceAccountId, ...body } = change;
    return this.#t.request('PATCH', `/service-accounts/${id(serviceAccountId)}/subscription`, body);
  }
  async subscribed(): Promise<FeedEntry[]> {
    return (await this.#t.request<{ accounts: FeedEntry[] }>('GET', '/service-accounts/subscribed')).accounts;
  }
  /** The chat list's entry: a dot and the newest article (never a count). */
  summary(): Promise<SummaryView> {
    return this.#t.request('GET', '/service-accounts/summary');
  }

  // ---------------------------------------------------------------- articles

  /** An account's articles, newest first (`q`: all of its words), a page from `before`. */
  articles(serviceAccountId: string, options: { q?: string; before?: string | null; limit?: number } = {}): Promise<ArticlePage> {
    return this.#t.request('GET', `/service-accounts/${id(serviceAccountId)}/articles${query({ q: options.q?.trim(), before: options.before, limit: options.limit })}`);
  }
  article(articleId: string): Promise<ArticleView> {
    return this.#t.request('GET', `/articles/${id(articleId)}`);
  }
  async publish(serviceAccountId: string, article: { title: string; content: unknown; commentsEnabled?: boolean }): Promise<string> {
    return (await this.#t.request<{ id: string }>('POST', `/service-accounts/${id(serviceAccountId)}/articles`, article)).id;
  }
  edit(articleId: string, article: { title: string; content: unknown }): Promise<ArticleView> {
    return this.#t.request('PUT', `/articles/${id(articleId)}`, article);
  }
  setCommentsEnabled(articleId: string, commentsEnabled: boolean): Promise<ArticleView> {
    return this.#t.request('PATCH', `/articles/${id(articleId)}`, { commentsEnabled });
  }
  deleteArticle(articleId: string): Promise<void> {
    return this.#t.request('DELETE', `/articles/${id(articleId)}`);
  }
  async versions(articleId: string): Promise<ArticleVersionEntry[]> {
    return (await this.#t.request<{ versions: ArticleVersionEntry[] }>('GET', `/articles/${id(articleId)}/versions`)).versions;
  }
  version(articleId: string, version: number): Promise<ArticleVersionView> {
    return this.#t.request('GET', `/articles/${id(articleId)}/versions/${version}`);
  }

  // ---------------------------------------------------------------- comments

  /** Approved comments (pinned first) and my own pending ones; editors see all. */
  comments(articleId: string, before?: string | null): Promise<CommentPage> {
    return this.#t.request('GET', `/articles/${id(articleId)}/comments${query({ before })}`);
  }
  comment(articleId: string, text: string): Promise<{ id: string; state: 'pending' }> {
    return this.#t.request('POST', `/articles/${id(articleId)}/comments`, { text });
  }
  /** The moderation queue of an account (editors), newest first. */
  queue(serviceAccountId: string, filter: QueueFilter = {}): Promise<QueuePage> {
    const flagged = filter.flagged === undefined ? undefined : String(filter.flagged);
    return this.#t.request('GET', `/service-accounts/${id(serviceAccountId)}/comments${query({ state: filter.state, flagged, articleId: filter.articleId, before: filter.before })}`);
  }
  approve(commentId: string): Promise<CommentView> {
    return this.#t.request('POST', `/comments/${id(commentId)}/approve`);
  }
  deleteComment(commentId: string): Promise<void> {
    return this.#t.request('DELETE', `/comments/${id(commentId)}`);
  }
  /** The account's reply (null removes it). */
  reply(commentId: string, text: string | null): Promise<CommentView> {
    return this.#t.request('POST', `/comments/${id(commentId)}/reply`, { text });
  }
  pin(commentId: string, pinned: boolean): Promise<CommentView> {
    return this.#t.request('POST', `/comments/${id(commentId)}/pin`, { pinned });
  }

  // ---------------------------------------------------------------- notices

  notices(before?: string | null): Promise<NoticePage> {
    return this.#t.request('GET', `/service-accounts/notices${query({ before })}`);
  }
  /** Marks these notices read (all of mine without ids). */
  readNotices(ids?: readonly string[]): Promise<unknown> {
    return this.#t.request('POST', '/service-accounts/notices/read', ids && ids.length > 0 ? { ids } : {});
  }
  /** The live `channels.notice` event (to my own devices); returns the unsubscribe. */
  onNotice(listener: (notice: NoticeView) => void): () => void {
    return this.#t.on?.('channels.notice', listener) ?? (() => undefined);
  }
}
