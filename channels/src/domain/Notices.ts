import crypto from 'node:crypto';
import type { ImHub } from '@muster/im';
import type { Logger } from '@muster/kit/log';
import { ChannelsError } from '../errors.ts';
import { NOTICE_EVENT } from '../events.ts';
import { DEFAULT_PAGE, type NoticeKind, type NoticeView } from '../protocol.ts';
import type { ArticleRepository } from '../store/ArticleRepository.ts';
import type { NoticeRepository, StoredNotice } from '../store/NoticeRepository.ts';
import type { ServiceAccountRepository } from '../store/ServiceAccountRepository.ts';
import type { Actor } from './Actor.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

export interface NoticesOptions {
  store: NoticeRepository;
  articles: ArticleRepository;
  accounts: ServiceAccountRepository;
  hub: ImHub;
  logger: Logger;
  now: () => number;
}

const newId = () => `cn${crypto.randomBytes(16).toString('base64url')}`;
/** A notice quotes this many characters of the comment. */
export const EXCERPT_CHARS = 40;

/**
 * The commenters' system messages: "your comment was approved", "…was
 * deleted by the editors". Stored (listed until read, like any system
 * message) and sent live on IM's hub as `channels.notice`, to the
 * commenter's own devices only.
 */
export class Notices {
  readonly #o: NoticesOptions;

  constructor(options: NoticesOptions) {
    this.#o = options;
  }

  /** Stores a notice for the commenter and tells their connected devices. */
  async send(kind: NoticeKind, comment: { id: string; articleId: string; authorId: string; text: string }): Promise<void> {
    const chars = Array.from(comment.text);
    const notice: StoredNotice = {
      id: newId(),
      accountId: comment.authorId,
      kind,
      articleId: comment.articleId,
      commentId: comment.id,
      excerpt: chars.length > EXCERPT_CHARS ? `${chars.slice(0, EXCERPT_CHARS - 1).join('')}…` : comment.text,
      at: this.#o.now(),
      readAt: null,
    };
    await this.#o.store.add(notice);
    const [view] = await this.#views([notice]);
    this.#o.hub.publish(NOTICE_EVENT, [notice.accountId], view!);
  }

  /** The person's notices, newest first, and how many they have not read. */
  async list(actor: Actor, query: { before?: string; limit?: number }): Promise<{ notices: NoticeView[]; unread: number; next: string | null }> {
    const accountId = own(actor);
    const cursor = decodeCursor(query.before, ['number', 'string'] as const);
    const limit = query.limit ?? DEFAULT_PAGE;
    const notices = await this.#o.store.list(accountId, cursor ? { at: cursor[0], id: cursor[1] } : undefined, limit);
    const last = notices[notices.length - 1];
    return { notices: await this.#views(notices), unread: await this.#o.store.unread(accountId), next: notices.length === limit && last ? encodeCursor([last.at, last.id]) : null };
  }

  /** Marks the person's notices read (these, or all). */
  async markRead(actor: Actor, ids: readonly string[] | undefined): Promise<{ read: number }> {
    return { read: await this.#o.store.markRead(own(actor), ids, this.#o.now()) };
  }

  async #views(notices: readonly StoredNotice[]): Promise<NoticeView[]> {
    const articles = await this.#o.articles.getMany(notices.map((n) => n.articleId));
    const live = await this.#o.accounts.getMany([...articles.values()].map((a) => a.serviceAccountId));
    return notices.map((n) => {
      const article = articles.get(n.articleId);
      const visible = article && live.has(article.serviceAccountId) ? article : undefined;
      return {
        id: n.id,
        kind: n.kind,
        articleId: n.articleId,
        articleTitle: visible?.head.title ?? null,
        serviceAccountId: visible?.serviceAccountId ?? null,
        commentId: n.commentId,
        excerpt: n.excerpt,
        at: n.at,
        readAt: n.readAt,
      };
    });
  }
}

function own(actor: Actor): string {
  if (actor.kind !== 'person') throw new ChannelsError('FORBIDDEN', 'notices are a person’s: the organisation’s token has none');
  return actor.principal.accountId;
}
