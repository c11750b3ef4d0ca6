import type { Principal } from '@muster/accounts';
import type { Limit } from '@muster/kit/limits';
import type { Logger } from '@muster/kit/log';
import { MomentsError } from '../errors.ts';
import type { LikeRepository } from '../store/LikeRepository.ts';
import { viewerOf } from './Audience.ts';
import type { Notices } from './Notices.ts';
import type { Posts } from './Posts.ts';

export interface LikesOptions {
  likes: LikeRepository;
  posts: Posts;
  notices: Notices;
  /** New likes per person (liking what one likes already is free). */
  limit: Limit;
  logger: Logger;
  now: () => number;
}

/**
 * Likes: anyone who may see a post likes it (once: liking again changes
 * nothing) and unlikes it; the post's author gets a notice of a new like,
 * and loses it on an unlike. Who sees a like is the Audience's rule.
 */
export class Likes {
  readonly #o: LikesOptions;

  constructor(options: LikesOptions) {
    this.#o = options;
  }

  async like(principal: Principal, momentId: string): Promise<void> {
    const { post } = await this.#o.posts.visible(viewerOf(principal), momentId);
    if (await this.#o.likes.has(momentId, principal.accountId)) return;
    const verdict = await this.#o.limit.take(principal.accountId);
    if (!verdict.allowed) throw new MomentsError('RATE_LIMITED', 'too many likes; try again later', verdict.retryAfterMs / 1000);
    const at = this.#o.now();
    if (!(await this.#o.likes.like(momentId, principal.accountId, at))) return;
    await this.#o.notices.liked(post, principal.accountId, at).catch((error: unknown) => this.#o.logger.warn({ err: error, momentId }, 'moments: could not write the notice of a like'));
  }

  async unlike(principal: Principal, momentId: string): Promise<void> {
    await this.#o.posts.visible(viewerOf(principal), momentId);
    await this.#o.likes.unlike(momentId, principal.accountId);
  }
}
