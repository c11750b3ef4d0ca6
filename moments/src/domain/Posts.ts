import type { Principal } from '@muster/accounts';
import { tokenize, type ContactRepository, type ImHub } from '@muster/im';
import type { Limit } from '@muster/kit/limits';
import type { Logger } from '@muster/kit/log';
import { MomentsError } from '../errors.ts';
import { MAX_POST_IMAGES, type CreateMomentInput, type Visibility } from '../protocol.ts';
import type { MomentRepository, StoredMoment } from '../store/MomentRepository.ts';
import { maySeePost, viewerOf, type Audience, type PostFacts, type Relations, type Viewer } from './Audience.ts';
import { newId } from './ids.ts';
import type { MomentFiles } from './MomentFiles.ts';
import '../events.ts';

export interface PostsOptions {
  moments: MomentRepository;
  contacts: ContactRepository;
  audience: Audience;
  files: MomentFiles;
  hub: ImHub;
  /** Whether an account has a connection now (IM's presence): only online contacts are told of a new post. */
  isOnline: (accountId: string) => boolean;
  posts: Limit;
  logger: Logger;
  now: () => number;
}

/**
 * Posts: writing one (text, 1–9 images or one video, a location, a
 * visibility), changing its visibility, deleting it (its author) or
 * removing it (an admin, audited), and finding one the viewer may see.
 * Anything the viewer may not see is NOT_FOUND, as a post that does not
 * exist; one they see but is not theirs to change is FORBIDDEN.
 */
export class Posts {
  readonly #o: PostsOptions;

  constructor(options: PostsOptions) {
    this.#o = options;
  }

  async create(principal: Principal, input: CreateMomentInput): Promise<{ id: string }> {
    if (principal.role === 'guest') throw new MomentsError('FORBIDDEN', 'guest accounts cannot post in Moments');
    const text = input.text !== undefined && input.text !== '' ? input.text : null;
    const location = input.location !== undefined && input.location !== '' ? input.location : null;
    const fileIds = input.fileIds ?? [];
    if (text === null && fileIds.length === 0) throw new MomentsError('BAD_REQUEST', 'a post has text, files or both');
    await this.#checkFiles(principal.accountId, fileIds);
    const verdict = await this.#o.posts.take(principal.accountId);
    if (!verdict.allowed) throw new MomentsError('RATE_LIMITED', 'too many posts; try again later', verdict.retryAfterMs / 1000);
    const now = this.#o.now();
    const post = { id: newId('mo'), authorId: principal.accountId, visibility: input.visibility, text, location, fileIds, createdAt: now };
    await this.#o.moments.create(post, text === null ? [] : tokenize(text));
    if (fileIds.length > 0) {
      // Files no message or post references are forgotten after a week; this one is referenced from now on.
      await this.#o.files.referenced(fileIds, now).catch((error: unknown) => this.#o.logger.warn({ err: error, momentId: post.id }, 'moments: could not mark the post’s files referenced'));
    }
    await this.#announce({ ...post, deletedAt: null }).catch((error: unknown) => this.#o.logger.warn({ err: error, momentId: post.id }, 'moments: could not tell contacts of a new post'));
    return { id: post.id };
  }

  /** The visibility changes; only its author may (anyone else who sees it: FORBIDDEN). */
  async setVisibility(principal: Principal, id: string, visibility: Visibility): Promise<void> {
    const post = await this.#existing(id);
    if (post.authorId !== principal.accountId) return this.#refuse(principal, post, 'only its author changes who sees a post');
    if (!(await this.#o.moments.setVisibility(id, principal.accountId, visibility, this.#o.now()))) throw new MomentsError('NOT_FOUND', 'no such post');
  }

  /**
   * Its author deletes it; an admin removes anyone's, even one they cannot
   * see (audited, and its open reports resolved). Either way it is gone
   * from every read at once, its files unreadable to anyone but their
   * uploader.
   */
  async remove(principal: Principal, id: string): Promise<void> {
    const post = await this.#existing(id);
    const at = this.#o.now();
    if (post.authorId === principal.accountId) {
      await this.#o.moments.remove(id, { by: principal.accountId, at });
      return;
    }
    if (principal.role !== 'admin') return this.#refuse(principal, post, 'only its author or an admin removes a post');
    const { removed } = await this.#o.moments.remove(id, {
      by: principal.accountId,
      at,
      resolveReports: true,
      audit: { actor: principal.accountId, action: 'moment.remove', target: id, details: { authorId: post.authorId }, at },
    });
    if (removed) this.#o.logger.info({ momentId: id, adminId: principal.accountId }, 'moments: an admin removed a post');
  }

  /** The post, when the viewer may see it (with the relations that decided it); NOT_FOUND otherwise. */
  async visible(viewer: Viewer, id: string, people: Iterable<string> = []): Promise<{ post: StoredMoment; relations: Relations }> {
    const post = await this.#o.moments.get(id);
    if (post) {
      const relations = await this.#o.audience.relations(viewer, [post.authorId, ...people]);
      if (maySeePost(post, viewer, relations)) return { post, relations };
    }
    throw new MomentsError('NOT_FOUND', 'no such post');
  }

  async #existing(id: string): Promise<StoredMoment> {
    const post = await this.#o.moments.get(id);
    if (!post || post.deletedAt !== null) throw new MomentsError('NOT_FOUND', 'no such post');
    return post;
  }

  /** FORBIDDEN to someone who sees the post; NOT_FOUND to anyone else (as if there were none). */
  async #refuse(principal: Principal, post: StoredMoment, message: string): Promise<never> {
    const viewer = viewerOf(principal);
    const relations = await this.#o.audience.relations(viewer, [post.authorId]);
    if (maySeePost(post, viewer, relations)) throw new MomentsError('FORBIDDEN', message);
    throw new MomentsError('NOT_FOUND', 'no such post');
  }

  /** 1–9 images or exactly one video, each the author's own finished upload, not expired: BAD_ATTACHMENTS otherwise. */
  async #checkFiles(accountId: string, fileIds: readonly string[]): Promise<void> {
    if (fileIds.length === 0) return;
    const views = await Promise.all(fileIds.map((id) => this.#o.files.attachable(id, accountId, 'upload')));
    for (const [i, view] of views.entries()) {
      if (!view) throw new MomentsError('BAD_ATTACHMENTS', `fileIds[${i}]: not a finished upload of yours`);
      if (view.expired) throw new MomentsError('BAD_ATTACHMENTS', `fileIds[${i}]: this file has expired (the retention period deleted it)`);
    }
    const kinds = views.map((v) => v!.kind);
    if (kinds.every((k) => k === 'image') && kinds.length <= MAX_POST_IMAGES) return;
    if (kinds.length === 1 && kinds[0] === 'video') return;
    throw new MomentsError('BAD_ATTACHMENTS', `a post carries 1–${MAX_POST_IMAGES} images or exactly one video (these are: ${kinds.join(', ')})`);
  }

  /** Tells the author's online contacts who may see the new post (the badge): never for "Only me". */
  async #announce(post: PostFacts & { authorId: string }): Promise<void> {
    if (post.visibility === 'private') return;
    const online = [...(await this.#o.contacts.contactIds(post.authorId))].filter((id) => this.#o.isOnline(id));
    if (online.length === 0) return;
    const relations = await this.#o.audience.contactsRelations(post.authorId, online);
    const to = online.filter((id) => maySeePost(post, { accountId: id, guest: false }, relations.get(id)!));
    this.#o.hub.publish('moments.post', to, { authorId: post.authorId });
  }
}
