import type { FileView } from '@muster/files';
import { INLINE_COMMENTS, INLINE_LIKES, type CommentView, type LikeView, type MomentView } from '../protocol.ts';
import type { CommentMeta, CommentRepository } from '../store/CommentRepository.ts';
import type { LikeRepository, StoredLike } from '../store/LikeRepository.ts';
import type { StoredMoment } from '../store/MomentRepository.ts';
import { maySeePost, maySeeReaction, type Audience, type Relations, type Viewer } from './Audience.ts';
import type { MomentFiles } from './MomentFiles.ts';

/** The posts a viewer may see, with what of their likes and comments the viewer may see, and the relations that decided it. */
export interface Seen {
  relations: Relations;
  posts: StoredMoment[];
  likes: Map<string, StoredLike[]>;
  comments: Map<string, CommentMeta[]>;
}

/**
 * Builds what a viewer is shown of posts: each post the Audience lets them
 * see (others are left out), with the likes and comments they may see, the
 * counts of those, the files' views, and the visibility on their own
 * posts only.
 */
export class MomentViews {
  readonly #likes: LikeRepository;
  readonly #comments: CommentRepository;
  readonly #audience: Audience;
  readonly #files: MomentFiles;

  constructor(options: { likes: LikeRepository; comments: CommentRepository; audience: Audience; files: MomentFiles }) {
    this.#likes = options.likes;
    this.#comments = options.comments;
    this.#audience = options.audience;
    this.#files = options.files;
  }

  /** The posts the viewer may see, in the given order, with the likes and comments they may see. */
  async seen(viewer: Viewer, candidates: readonly StoredMoment[]): Promise<Seen> {
    const ids = candidates.map((p) => p.id);
    const [likes, comments] = await Promise.all([this.#likes.forMoments(ids), this.#comments.forMoments(ids)]);
    const people = new Set<string>();
    // Whose blocks of the viewer matter beyond the viewer's contacts: the authors, and who reacted to the viewer's own posts.
    const blocksOf = new Set<string>();
    for (const post of candidates) {
      people.add(post.authorId);
      blocksOf.add(post.authorId);
      const own = post.authorId === viewer.accountId;
      for (const like of likes.get(post.id) ?? []) {
        people.add(like.accountId);
        if (own) blocksOf.add(like.accountId);
      }
      for (const comment of comments.get(post.id) ?? []) {
        for (const id of [comment.authorId, comment.replyToAuthor]) {
          if (id === null) continue;
          people.add(id);
          if (own) blocksOf.add(id);
        }
      }
    }
    const relations = await this.#audience.relations(viewer, people, { blocksOf });
    const posts = candidates.filter((post) => maySeePost(post, viewer, relations));
    const visibleLikes = new Map<string, StoredLike[]>();
    const visibleComments = new Map<string, CommentMeta[]>();
    for (const post of posts) {
      visibleLikes.set(post.id, (likes.get(post.id) ?? []).filter((like) => maySeeReaction(post, like.accountId, viewer, relations)));
      visibleComments.set(post.id, (comments.get(post.id) ?? []).filter((c) => maySeeReaction(post, c.authorId, viewer, relations, c.replyToAuthor)));
    }
    return { relations, posts, likes: visibleLikes, comments: visibleComments };
  }

  /** The views of the posts the viewer may see among `candidates`, in their order. */
  async build(viewer: Viewer, candidates: readonly StoredMoment[]): Promise<MomentView[]> {
    const seen = await this.seen(viewer, candidates);
    const inline = new Map<string, CommentMeta[]>();
    for (const post of seen.posts) inline.set(post.id, (seen.comments.get(post.id) ?? []).slice(0, INLINE_COMMENTS));
    const [texts, files] = await Promise.all([this.#comments.texts([...inline.values()].flat().map((c) => c.id)), this.fileViews(seen.posts)]);
    return seen.posts.map((post) => {
      const likes = seen.likes.get(post.id) ?? [];
      const comments = seen.comments.get(post.id) ?? [];
      return {
        id: post.id,
        author: seen.relations.profile(post.authorId)!,
        text: post.text,
        location: post.location,
        files: post.fileIds.flatMap((id) => files.get(id) ?? []),
        ...(post.authorId === viewer.accountId ? { visibility: post.visibility } : {}),
        createdAt: post.createdAt,
        likes: likes.slice(0, INLINE_LIKES).flatMap((like): LikeView[] => {
          const user = seen.relations.profile(like.accountId);
          return user ? [{ user, at: like.at }] : [];
        }),
        comments: (inline.get(post.id) ?? []).flatMap((c) => {
          const text = texts.get(c.id);
          return text === undefined ? [] : [commentView(c, text, seen.relations)];
        }),
        likeCount: likes.length,
        commentCount: comments.length,
        likedByMe: likes.some((like) => like.accountId === viewer.accountId),
      };
    });
  }

  /** The views of the files of these posts, by file id (a file the files domain forgot is left out). */
  fileViews(posts: readonly StoredMoment[]): Promise<Map<string, FileView>> {
    const ids = posts.flatMap((p) => p.fileIds);
    return ids.length === 0 ? Promise.resolve(new Map()) : this.#files.views(ids);
  }
}

/** A comment as its viewers see it (the caller decided they may). */
export function commentView(comment: CommentMeta, text: string, relations: Relations): CommentView {
  const answered = comment.replyTo !== null && comment.replyToAuthor !== null ? relations.profile(comment.replyToAuthor) : undefined;
  return {
    id: comment.id,
    momentId: comment.momentId,
    author: relations.profile(comment.authorId)!,
    text,
    replyTo: answered && comment.replyTo ? { commentId: comment.replyTo, user: answered } : null,
    createdAt: comment.createdAt,
  };
}
