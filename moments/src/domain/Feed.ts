import type { Principal } from '@muster/accounts';
import { tokenize } from '@muster/im';
import { MomentsError } from '../errors.ts';
import { BADGE_CAP, DEFAULT_PAGE, MAX_QUERY_WORDS, type FeedQuery, type MomentPage, type MomentView } from '../protocol.ts';
import type { FeedSeenRepository } from '../store/FeedSeenRepository.ts';
import type { MomentPageQuery, MomentRepository, StoredMoment } from '../store/MomentRepository.ts';
import { maySeePost, viewerOf, type Audience } from './Audience.ts';
import { decodeCursor, encodeCursor, type TimeCursor } from './cursors.ts';
import type { MomentViews } from './MomentViews.ts';
import type { Posts } from './Posts.ts';

export interface FeedOptions {
  moments: MomentRepository;
  seen: FeedSeenRepository;
  posts: Posts;
  views: MomentViews;
  audience: Audience;
  now: () => number;
}

/** Candidate pages looked at per request at most (each a limit + 1 long): what posts the viewer may not see, or stale search hits, can cost. */
const MAX_ROUNDS = 5;

/**
 * Reading Moments: the feeds (all: every post the viewer may see; friends:
 * posts by their contacts; mine), a person's profile, search in the posts'
 * text, one post by id, and the new-posts badge. Every page is narrowed in
 * SQL and decided again post by post by the Audience, so a path never
 * shows what another would not.
 */
export class Feed {
  readonly #o: FeedOptions;

  constructor(options: FeedOptions) {
    this.#o = options;
  }

  async page(principal: Principal, query: FeedQuery): Promise<MomentPage> {
    const viewer = viewerOf(principal);
    const limit = query.limit ?? DEFAULT_PAGE;
    let tokens: string[] | undefined;
    if (query.q !== undefined) {
      tokens = tokenize(query.q);
      if (tokens.length === 0) throw new MomentsError('BAD_REQUEST', 'q: nothing to search for (no words in it)');
      if (tokens.length > MAX_QUERY_WORDS) throw new MomentsError('BAD_REQUEST', `q: at most ${MAX_QUERY_WORDS} words`);
    }
    let before: TimeCursor | undefined = query.before === undefined ? undefined : decodeCursor(query.before);
    // Guests have no Moments: nothing to show.
    if (viewer.guest) return { items: [], next: null };
    const scope: MomentPageQuery['scope'] =
      query.userId !== undefined
        ? { kind: 'author', authorId: query.userId }
        : query.view === 'friends'
          ? { kind: 'friends' }
          : query.view === 'mine'
            ? { kind: 'author', authorId: viewer.accountId }
            : { kind: 'all' };
    const terms = tokens?.map((token) => this.#o.moments.termCandidates(token));
    const items: MomentView[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const candidates = await this.#o.moments.page({ viewerId: viewer.accountId, scope, ...(before ? { before } : {}), ...(terms ? { terms } : {}), limit: limit + 1 });
      // The index is checked against the opened text: a hash collision is never a hit.
      const matching = tokens ? candidates.filter((post) => hasEvery(post, tokens)) : candidates;
      for (const view of await this.#o.views.build(viewer, matching)) {
        items.push(view);
        if (items.length > limit) return { items: items.slice(0, limit), next: encodeCursor(items[limit - 1]!) };
      }
      if (candidates.length <= limit) return { items, next: null };
      const last = candidates.at(-1)!;
      before = { createdAt: last.createdAt, id: last.id };
    }
    // Many candidates were left out: the client asks on from here.
    return { items, next: before ? encodeCursor(before) : null };
  }

  /** One post, when the viewer may see it; NOT_FOUND otherwise. */
  async one(principal: Principal, id: string): Promise<MomentView> {
    const viewer = viewerOf(principal);
    const { post } = await this.#o.posts.visible(viewer, id);
    const [view] = await this.#o.views.build(viewer, [post]);
    if (!view) throw new MomentsError('NOT_FOUND', 'no such post');
    return view;
  }

  /** Posts by the person's contacts since they last opened Moments, that they may see, up to the cap. */
  async newPosts(principal: Principal): Promise<number> {
    const viewer = viewerOf(principal);
    if (viewer.guest) return 0;
    const since = (await this.#o.seen.seenAt(viewer.accountId)) ?? 0;
    const candidates = await this.#o.moments.page({ viewerId: viewer.accountId, scope: { kind: 'friends' }, since, limit: BADGE_CAP + 1 });
    const relations = await this.#o.audience.relations(viewer, candidates.map((p) => p.authorId));
    return Math.min(BADGE_CAP, candidates.filter((post) => maySeePost(post, viewer, relations)).length);
  }

  /** The person opened Moments: the new-posts badge starts again from now. */
  async markSeen(principal: Principal): Promise<void> {
    await this.#o.seen.markSeen(principal.accountId, this.#o.now());
  }
}

function hasEvery(post: StoredMoment, tokens: readonly string[]): boolean {
  const words = new Set(tokenize(post.text ?? ''));
  return tokens.every((token) => words.has(token));
}
