import type { Principal } from '@muster/accounts';
import type { ImHub } from '@muster/im';
import type { Logger } from '@muster/kit/log';
import { BADGE_CAP, DEFAULT_PAGE, type NoticeKind, type NoticePage, type NoticeView } from '../protocol.ts';
import type { CommentMeta, CommentRepository } from '../store/CommentRepository.ts';
import type { MomentRepository, StoredMoment } from '../store/MomentRepository.ts';
import type { NoticeRepository, StoredNotice } from '../store/NoticeRepository.ts';
import { maySeeReaction, viewerOf, type Audience, type Viewer } from './Audience.ts';
import { decodeCursor, encodeCursor, type TimeCursor } from './cursors.ts';
import { commentView, type MomentViews } from './MomentViews.ts';
import { newId } from './ids.ts';
import '../events.ts';

export interface NoticesOptions {
  notices: NoticeRepository;
  moments: MomentRepository;
  comments: CommentRepository;
  views: MomentViews;
  audience: Audience;
  hub: ImHub;
  logger: Logger;
  now: () => number;
}

/** Candidate pages looked at per listing at most. */
const MAX_ROUNDS = 5;
/** Unread notices looked at for the badge (it shows at most BADGE_CAP). */
const UNREAD_SCAN = 200;
/** Characters of a post's text a notice carries. */
const EXCERPT_CHARS = 80;

/**
 * "Likes and comments on your posts", and replies to your comments: a like
 * or comment on your post, or a reply to your comment, by someone else,
 * writes a notice for you (only if you may see that like or comment) and
 * tells your devices (`moments.notice`). Listing them checks each again: a
 * notice whose post, like or comment is gone, or that you may no longer
 * see, is left out, and the unread count counts only what the list shows.
 */
export class Notices {
  readonly #o: NoticesOptions;

  constructor(options: NoticesOptions) {
    this.#o = options;
  }

  /** A like on `post` by `actorId`, just made. */
  async liked(post: StoredMoment, actorId: string, at: number): Promise<void> {
    if (actorId === post.authorId) return;
    await this.#notify({ recipientId: post.authorId, kind: 'like', post, actorId, comment: null, at });
  }

  /** A comment on `post`, just made: its author is told, and the person it answers. */
  async commented(post: StoredMoment, comment: CommentMeta): Promise<void> {
    const answered = comment.replyToAuthor;
    if (comment.authorId !== post.authorId) {
      await this.#notify({ recipientId: post.authorId, kind: answered === post.authorId ? 'reply' : 'comment', post, actorId: comment.authorId, comment, at: comment.createdAt });
    }
    if (answered !== null && answered !== post.authorId && answered !== comment.authorId) {
      await this.#notify({ recipientId: answered, kind: 'reply', post, actorId: comment.authorId, comment, at: comment.createdAt });
    }
  }

  async list(principal: Principal, input: { before?: string; limit?: number }): Promise<NoticePage> {
    const viewer = viewerOf(principal);
    const limit = input.limit ?? DEFAULT_PAGE;
    let before: TimeCursor | undefined = input.before === undefined ? undefined : decodeCursor(input.before);
    const items: NoticeView[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const rows = await this.#o.notices.page(viewer.accountId, { ...(before ? { before } : {}), limit: limit + 1 });
      const views = await this.#views(viewer, rows);
      for (const row of rows) {
        const view = views.get(row.id);
        if (!view) continue;
        items.push(view);
        if (items.length > limit) return { items: items.slice(0, limit), next: encodeCursor({ createdAt: items[limit - 1]!.at, id: items[limit - 1]!.id }) };
      }
      if (rows.length <= limit) return { items, next: null };
      const last = rows.at(-1)!;
      before = { createdAt: last.createdAt, id: last.id };
    }
    return { items, next: before ? encodeCursor(before) : null };
  }

  /** Unread notices the list would show, up to the cap. */
  async unread(principal: Principal): Promise<number> {
    const viewer = viewerOf(principal);
    const rows = await this.#o.notices.page(viewer.accountId, { unread: true, limit: UNREAD_SCAN });
    return Math.min(BADGE_CAP, (await this.#views(viewer, rows)).size);
  }

  async markRead(principal: Principal): Promise<void> {
    await this.#o.notices.markRead(principal.accountId, this.#o.now());
  }

  async #notify(input: { recipientId: string; kind: NoticeKind; post: StoredMoment; actorId: string; comment: CommentMeta | null; at: number }): Promise<void> {
    const recipient: Viewer = { accountId: input.recipientId, guest: false };
    const relations = await this.#o.audience.relations(recipient, [input.post.authorId, input.actorId, ...(input.comment?.replyToAuthor ? [input.comment.replyToAuthor] : [])]);
    // Never a notice of what its recipient may not see.
    if (!maySeeReaction(input.post, input.actorId, recipient, relations, input.comment?.replyToAuthor ?? null)) return;
    const notice: StoredNotice = {
      id: newId('mn'),
      recipientId: input.recipientId,
      kind: input.kind,
      momentId: input.post.id,
      actorId: input.actorId,
      commentId: input.comment?.id ?? null,
      createdAt: input.at,
      readAt: null,
    };
    await this.#o.notices.add(notice);
    const view = (await this.#views(recipient, [notice])).get(notice.id);
    if (view) this.#o.hub.publish('moments.notice', [input.recipientId], view);
  }

  /** The views of these notices that their recipient may still see, by notice id. */
  async #views(viewer: Viewer, notices: readonly StoredNotice[]): Promise<Map<string, NoticeView>> {
    const views = new Map<string, NoticeView>();
    if (notices.length === 0) return views;
    const posts = await this.#o.moments.getMany(notices.map((n) => n.momentId));
    const seen = await this.#o.views.seen(viewer, posts);
    const byId = new Map(seen.posts.map((p) => [p.id, p]));
    const shown = new Map<string, CommentMeta>();
    for (const notice of notices) {
      if (notice.commentId === null) continue;
      const comment = (seen.comments.get(notice.momentId) ?? []).find((c) => c.id === notice.commentId);
      if (comment) shown.set(comment.id, comment);
    }
    const [texts, files] = await Promise.all([this.#o.comments.texts([...shown.keys()]), this.#o.views.fileViews(seen.posts)]);
    for (const notice of notices) {
      const post = byId.get(notice.momentId);
      const actor = seen.relations.profile(notice.actorId);
      if (!post || !actor) continue;
      let comment: NoticeView['comment'] = null;
      if (notice.kind === 'like') {
        if (!(seen.likes.get(post.id) ?? []).some((like) => like.accountId === notice.actorId)) continue;
      } else {
        const meta = notice.commentId === null ? undefined : shown.get(notice.commentId);
        const text = meta ? texts.get(meta.id) : undefined;
        if (!meta || text === undefined) continue;
        comment = commentView(meta, text, seen.relations);
      }
      const firstFile = post.fileIds.map((id) => files.get(id)).find((f) => f !== undefined) ?? null;
      views.set(notice.id, {
        id: notice.id,
        kind: notice.kind,
        actor,
        moment: { id: post.id, text: excerpt(post.text), file: firstFile },
        comment,
        at: notice.createdAt,
        read: notice.readAt !== null,
      });
    }
    return views;
  }
}

function excerpt(text: string | null): string | null {
  if (text === null) return null;
  const chars = Array.from(text);
  return chars.length <= EXCERPT_CHARS ? text : `${chars.slice(0, EXCERPT_CHARS).join('')}…`;
}
