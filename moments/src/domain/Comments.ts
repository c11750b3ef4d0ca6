import type { Principal } from '@muster/accounts';
import type { Limit } from '@muster/kit/limits';
import type { Logger } from '@muster/kit/log';
import { MomentsError } from '../errors.ts';
import { DEFAULT_PAGE, type CommentPage, type CommentView } from '../protocol.ts';
import type { CommentMeta, CommentRepository } from '../store/CommentRepository.ts';
import { maySeeReaction, viewerOf, type Audience } from './Audience.ts';
import { decodeCursor, encodeCursor } from './cursors.ts';
import { commentView, type MomentViews } from './MomentViews.ts';
import type { Notices } from './Notices.ts';
import { newId } from './ids.ts';
import type { Posts } from './Posts.ts';

export interface CommentsOptions {
  comments: CommentRepository;
  posts: Posts;
  views: MomentViews;
  audience: Audience;
  notices: Notices;
  limit: Limit;
  logger: Logger;
  now: () => number;
}

/**
 * Comments and replies: anyone who may see a post comments on it, or
 * answers a comment of it they can see. Each is seen by whom the
 * Audience's rule says (its author, the post's author, and people who may
 * see the post and are contacts of both; of the person answered too, for a
 * reply). Its author or the post's author deletes it. A comment the viewer
 * may not see, on a post they may not see or not, is NOT_FOUND.
 */
export class Comments {
  readonly #o: CommentsOptions;

  constructor(options: CommentsOptions) {
    this.#o = options;
  }

  async add(principal: Principal, momentId: string, input: { text: string; replyTo?: string | undefined }): Promise<{ id: string }> {
    const viewer = viewerOf(principal);
    const { post } = await this.#o.posts.visible(viewer, momentId);
    let answered: CommentMeta | null = null;
    if (input.replyTo !== undefined) {
      const parent = await this.#o.comments.get(input.replyTo);
      const relations = parent ? await this.#o.audience.relations(viewer, [post.authorId, parent.authorId, ...(parent.replyToAuthor ? [parent.replyToAuthor] : [])]) : null;
      // One message for a comment that is not there and one the commenter may not see: nothing is learnt from it.
      if (!parent || parent.momentId !== momentId || !relations || !maySeeReaction(post, parent.authorId, viewer, relations, parent.replyToAuthor)) {
        throw new MomentsError('BAD_REQUEST', 'replyTo: no such comment on this post');
      }
      answered = parent;
    }
    const verdict = await this.#o.limit.take(principal.accountId);
    if (!verdict.allowed) throw new MomentsError('RATE_LIMITED', 'too many comments; try again later', verdict.retryAfterMs / 1000);
    const comment = {
      id: newId('mc'),
      momentId,
      authorId: principal.accountId,
      replyTo: answered?.id ?? null,
      replyToAuthor: answered?.authorId ?? null,
      text: input.text,
      createdAt: this.#o.now(),
    };
    await this.#o.comments.add(comment);
    await this.#o.notices.commented(post, comment).catch((error: unknown) => this.#o.logger.warn({ err: error, momentId }, 'moments: could not write the notices of a comment'));
    return { id: comment.id };
  }

  /** The comment's author or the post's author deletes it (its notices go with it); anyone else who sees it: FORBIDDEN. */
  async remove(principal: Principal, momentId: string, commentId: string): Promise<void> {
    const viewer = viewerOf(principal);
    const { post } = await this.#o.posts.visible(viewer, momentId);
    const comment = await this.#o.comments.get(commentId);
    if (!comment || comment.momentId !== momentId) throw new MomentsError('NOT_FOUND', 'no such comment');
    if (comment.authorId !== principal.accountId && post.authorId !== principal.accountId) {
      const people = await this.#o.audience.relations(viewer, [post.authorId, comment.authorId, ...(comment.replyToAuthor ? [comment.replyToAuthor] : [])]);
      if (maySeeReaction(post, comment.authorId, viewer, people, comment.replyToAuthor)) throw new MomentsError('FORBIDDEN', 'only its author or the post’s author deletes a comment');
      throw new MomentsError('NOT_FOUND', 'no such comment');
    }
    if (!(await this.#o.comments.remove(momentId, commentId))) throw new MomentsError('NOT_FOUND', 'no such comment');
  }

  /** One comment the viewer may see; NOT_FOUND otherwise. */
  async one(principal: Principal, momentId: string, commentId: string): Promise<CommentView> {
    const viewer = viewerOf(principal);
    const { post } = await this.#o.posts.visible(viewer, momentId);
    const seen = await this.#o.views.seen(viewer, [post]);
    const meta = (seen.comments.get(momentId) ?? []).find((c) => c.id === commentId);
    const text = meta ? (await this.#o.comments.texts([meta.id])).get(meta.id) : undefined;
    if (!meta || text === undefined) throw new MomentsError('NOT_FOUND', 'no such comment');
    return commentView(meta, text, seen.relations);
  }

  /** The comments of a post the viewer may see, oldest first, a page at a time. */
  async page(principal: Principal, momentId: string, input: { after?: string; limit?: number }): Promise<CommentPage> {
    const viewer = viewerOf(principal);
    const after = input.after === undefined ? undefined : decodeCursor(input.after);
    const limit = input.limit ?? DEFAULT_PAGE;
    const { post } = await this.#o.posts.visible(viewer, momentId);
    const seen = await this.#o.views.seen(viewer, [post]);
    const visible = (seen.comments.get(momentId) ?? []).filter((c) => !after || c.createdAt > after.createdAt || (c.createdAt === after.createdAt && c.id > after.id));
    const page = visible.slice(0, limit);
    const texts = await this.#o.comments.texts(page.map((c) => c.id));
    const items = page.flatMap((c) => {
      const text = texts.get(c.id);
      return text === undefined ? [] : [commentView(c, text, seen.relations)];
    });
    const last = page.at(-1);
    return { items, next: visible.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }
}
