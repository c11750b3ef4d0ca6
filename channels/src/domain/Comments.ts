import crypto from 'node:crypto';
import type { Accounts } from '@muster/accounts';
import type { Limit } from '@muster/kit/limits';
import type { Logger } from '@muster/kit/log';
import { ChannelsError, isChannelsError } from '../errors.ts';
import { DEFAULT_PAGE, type CommentState, type CommentView } from '../protocol.ts';
import type { CommentRepository, StoredComment } from '../store/CommentRepository.ts';
import type { StoredArticle } from '../store/ArticleRepository.ts';
import type { Actor } from './Actor.ts';
import type { Articles } from './Articles.ts';
import { CONTENT_CHECK_TIMEOUT_MS, type ContentCheck, type ContentVerdict } from './ContentCheck.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { Notices } from './Notices.ts';
import type { ServiceAccounts } from './ServiceAccounts.ts';

export interface CommentsOptions {
  store: CommentRepository;
  articles: Articles;
  serviceAccounts: ServiceAccounts;
  notices: Notices;
  accounts: Accounts;
  /** The checks every new comment passes (the keyword list first; `Channels.useContentCheck` adds more). */
  checks: readonly ContentCheck[];
  /** Comments one person may write per minute. */
  rate: Limit;
  logger: Logger;
  now: () => number;
}

const newId = () => `cm${crypto.randomBytes(16).toString('base64url')}`;

/**
 * Comments, moderated as WeChat's official accounts do: a reader's comment
 * is seen by its author and the editors only, until an editor approves it.
 * Approving it, or an editor deleting it, sends the commenter a system
 * message (Notices). Editors work through the account's queue (by state,
 * flag, article), reply, pin approved comments, and turn comments off for
 * an article (readers then see none; editors still see all). Content checks
 * flag comments for review; a check that fails or times out flags too.
 *
 * What a person may not see is NOT_FOUND (another's pending comment); what
 * they see but may not do is FORBIDDEN (a reader approving).
 */
export class Comments {
  readonly #o: CommentsOptions;

  constructor(options: CommentsOptions) {
    this.#o = options;
  }

  async add(actor: Actor, articleId: string, text: string): Promise<{ id: string; state: 'pending' }> {
    if (actor.kind !== 'person') throw new ChannelsError('FORBIDDEN', 'the organisation’s token cannot comment: reply to comments instead');
    if (actor.principal.role === 'guest') throw new ChannelsError('FORBIDDEN', 'guest accounts cannot comment');
    const { article, account } = await this.#o.articles.visible(articleId);
    if (!article.commentsEnabled) throw new ChannelsError('COMMENTS_CLOSED', 'the editors turned comments off for this article');
    const verdict = await this.#o.rate.take(actor.principal.accountId);
    if (!verdict.allowed) throw new ChannelsError('RATE_LIMITED', 'too many comments; try again shortly', verdict.retryAfterMs / 1000);
    const checked = await this.#check(text);
    const id = newId();
    await this.#o.store.create({ id, articleId, serviceAccountId: account.id, authorId: actor.principal.accountId, text, reasons: checked.reasons, flagged: checked.flagged, createdAt: this.#o.now() });
    return { id, state: 'pending' };
  }

  /** Every check's verdict, together: flagged when any flags (or fails, or takes too long). */
  async #check(text: string): Promise<ContentVerdict> {
    const verdicts = await Promise.all(
      this.#o.checks.map(async (check) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          return await Promise.race([
            check.check(text),
            new Promise<ContentVerdict>((resolve) => {
              timer = setTimeout(() => resolve({ flagged: true, reasons: ['content check: no answer in time'] }), CONTENT_CHECK_TIMEOUT_MS);
              timer.unref();
            }),
          ]);
        } catch (error) {
          this.#o.logger.warn({ err: error }, 'channels: a content check failed; the comment is flagged for review');
          return { flagged: true, reasons: ['content check: unavailable'] };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const reasons = [...new Set(verdicts.flatMap((v) => (Array.isArray(v.reasons) ? v.reasons.filter((r): r is string => typeof r === 'string').map((r) => r.slice(0, 200)) : [])))].slice(0, 20);
    return { flagged: verdicts.some((v) => v.flagged === true), reasons };
  }

  /**
   * An article's comments as the actor sees them: approved ones (pinned
   * first, then newest) and their own pending ones; editors see all, with
   * flags and reasons. Comments turned off: readers see none.
   */
  async list(actor: Actor, articleId: string, query: { before?: string; limit?: number }): Promise<{ comments: CommentView[]; commentsEnabled: boolean; next: string | null }> {
    const { article, account } = await this.#o.articles.visible(articleId);
    const editor = await this.#o.serviceAccounts.isEditor(actor, account.id);
    const cursor = decodeCursor(query.before, ['boolean', 'number', 'string'] as const);
    const limit = query.limit ?? DEFAULT_PAGE;
    if (!editor && !article.commentsEnabled) return { comments: [], commentsEnabled: false, next: null };
    const viewer = editor ? ({ all: true } as const) : { viewerId: actor.kind === 'person' ? actor.principal.accountId : null };
    const comments = await this.#o.store.forArticle(articleId, viewer, cursor ? { pinned: cursor[0], at: cursor[1], id: cursor[2] } : undefined, limit);
    const last = comments[comments.length - 1];
    return {
      comments: await this.#views(actor, comments, editor),
      commentsEnabled: article.commentsEnabled,
      next: comments.length === limit && last ? encodeCursor([last.pinned, last.createdAt, last.id]) : null,
    };
  }

  /** An account's moderation queue (editors, the organisation's token): newest first, by state, flag and article. */
  async queue(actor: Actor, serviceAccountId: string, query: { state?: CommentState; flagged?: boolean; articleId?: string; before?: string; limit?: number }): Promise<{ comments: CommentView[]; next: string | null }> {
    await this.#o.serviceAccounts.asEditor(actor, serviceAccountId);
    const cursor = decodeCursor(query.before, ['number', 'string'] as const);
    const limit = query.limit ?? DEFAULT_PAGE;
    const comments = await this.#o.store.queue(serviceAccountId, {
      ...(query.state ? { state: query.state } : {}),
      ...(query.flagged !== undefined ? { flagged: query.flagged } : {}),
      ...(query.articleId ? { articleId: query.articleId } : {}),
      ...(cursor ? { before: { at: cursor[0], id: cursor[1] } } : {}),
      limit,
    });
    const last = comments[comments.length - 1];
    // Comments of a deleted article are gone with it.
    const heads = await this.#o.articles.heads(comments.map((c) => c.articleId));
    const live = comments.filter((c) => heads.has(c.articleId));
    const views = await this.#views(actor, live, true);
    return {
      comments: views.map((v) => ({ ...v, articleTitle: heads.get(v.articleId)!.head.title })),
      next: comments.length === limit && last ? encodeCursor([last.createdAt, last.id]) : null,
    };
  }

  /** Approves a comment: readers see it; the commenter gets a system message (once). */
  async approve(actor: Actor, commentId: string): Promise<CommentView> {
    const { comment } = await this.#asEditor(actor, commentId);
    if (await this.#o.store.approve(commentId, this.#o.now())) await this.#tell('comment-approved', comment);
    return this.#view(actor, commentId);
  }

  /**
   * Deletes a comment: its author may delete their own; editors delete any,
   * and the commenter gets a system message saying so.
   */
  async delete(actor: Actor, commentId: string): Promise<void> {
    const { comment, editor } = await this.#visible(actor, commentId);
    const mine = actor.kind === 'person' && actor.principal.accountId === comment.authorId;
    if (!mine && !editor) throw new ChannelsError('FORBIDDEN', 'only its author and the account’s editors may delete a comment');
    if (!(await this.#o.store.delete(commentId, this.#o.now()))) throw new ChannelsError('NOT_FOUND', 'no such comment');
    if (!mine) await this.#tell('comment-deleted', comment);
  }

  /** The account's reply under a comment (null removes it). */
  async reply(actor: Actor, commentId: string, text: string | null): Promise<CommentView> {
    await this.#asEditor(actor, commentId);
    if (!(await this.#o.store.reply(commentId, text === null ? null : { text, at: this.#o.now() }))) throw new ChannelsError('NOT_FOUND', 'no such comment');
    return this.#view(actor, commentId);
  }

  /** Pins an approved comment above the others (or unpins it); COMMENT_PENDING before it is approved. */
  async pin(actor: Actor, commentId: string, pinned: boolean): Promise<CommentView> {
    const { comment } = await this.#asEditor(actor, commentId);
    if (comment.state !== 'approved') throw new ChannelsError('COMMENT_PENDING', 'approve the comment before pinning it');
    if (!(await this.#o.store.pin(commentId, pinned))) throw new ChannelsError('NOT_FOUND', 'no such comment');
    return this.#view(actor, commentId);
  }

  async #tell(kind: 'comment-approved' | 'comment-deleted', comment: StoredComment): Promise<void> {
    try {
      await this.#o.notices.send(kind, comment);
    } catch (error) {
      // The moderation stands; only its message is lost (logged, never with the text).
      this.#o.logger.error({ err: error, commentId: comment.id, kind }, 'channels: could not send a comment notice');
    }
  }

  /**
   * The comment as the actor may see it: editors see every comment of their
   * accounts; others see approved ones (comments on) and their own.
   * NOT_FOUND otherwise.
   */
  async #visible(actor: Actor, commentId: string): Promise<{ comment: StoredComment; article: StoredArticle; editor: boolean }> {
    const comment = await this.#o.store.get(commentId);
    if (!comment) throw new ChannelsError('NOT_FOUND', 'no such comment');
    // A comment of a deleted article (or account) is gone with it.
    const { article } = await this.#o.articles.visible(comment.articleId).catch((error: unknown) => {
      throw isChannelsError(error, 'NOT_FOUND') ? new ChannelsError('NOT_FOUND', 'no such comment') : error;
    });
    const editor = await this.#o.serviceAccounts.isEditor(actor, comment.serviceAccountId);
    const mine = actor.kind === 'person' && actor.principal.accountId === comment.authorId;
    if (!editor && !mine && !(comment.state === 'approved' && article.commentsEnabled)) throw new ChannelsError('NOT_FOUND', 'no such comment');
    return { comment, article, editor };
  }

  async #asEditor(actor: Actor, commentId: string): Promise<{ comment: StoredComment; article: StoredArticle }> {
    const { comment, article, editor } = await this.#visible(actor, commentId);
    if (!editor) throw new ChannelsError('FORBIDDEN', 'only the account’s editors moderate its comments');
    return { comment, article };
  }

  async #view(actor: Actor, commentId: string): Promise<CommentView> {
    const { comment, editor } = await this.#visible(actor, commentId);
    return (await this.#views(actor, [comment], editor))[0]!;
  }

  async #views(actor: Actor, comments: readonly StoredComment[], editor: boolean): Promise<CommentView[]> {
    const profiles = await this.#o.accounts.profiles.publicProfiles(comments.map((c) => c.authorId));
    const me = actor.kind === 'person' ? actor.principal.accountId : null;
    return comments.map((c) => {
      const p = profiles.get(c.authorId);
      const view: CommentView = {
        id: c.id,
        articleId: c.articleId,
        author: p ? { id: p.id, nickname: p.nickname, avatar: p.avatar } : null,
        text: c.text,
        state: c.state,
        pinned: c.pinned,
        createdAt: c.createdAt,
        approvedAt: c.approvedAt,
        reply: c.reply,
        mine: c.authorId === me,
      };
      if (editor) {
        view.flagged = c.flagged;
        view.reasons = c.reasons;
      }
      return view;
    });
  }
}
