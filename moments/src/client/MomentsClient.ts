import type { PublicProfile } from '@muster/accounts/protocol';
import type { ImTransport } from '@muster/im/client';
import { Emitter } from '@muster/kit/emitter';
import type { Badge, MomentView, NoticeView, Visibility } from '../protocol.ts';
import type {} from '../events.ts';
import { MomentsApi, type FeedQuery } from './api.ts';
import { EMPTY_FEED, appendPage, findPost, mergeRefresh, removePost, replacePost, rollbackLike, toggleLike, type FeedState } from './feed.ts';

export interface FeedSnapshot extends FeedState {
  /** A page is on its way. */
  loading: boolean;
  /** Why the last load failed (its code), or null. */
  error: string | null;
}

/**
 * One feed (a view or a person's profile), framework-free: pages newest
 * first, a refresh merged with what is loaded, and the actions on a post
 * that show at once (a like) and are put back when the server refuses.
 * `subscribe` for each new snapshot.
 */
export class MomentsFeed extends Emitter<{ change: [FeedSnapshot] }> {
  readonly query: FeedQuery;
  readonly #api: MomentsApi;
  readonly #me: () => PublicProfile | null;
  readonly #now: () => number;
  #snapshot: FeedSnapshot = { ...EMPTY_FEED, loading: false, error: null };
  #loading: Promise<void> | null = null;

  constructor(api: MomentsApi, query: FeedQuery, options: { me: () => PublicProfile | null; now?: () => number }) {
    super();
    this.#api = api;
    this.query = query;
    this.#me = options.me;
    this.#now = options.now ?? Date.now;
  }

  get snapshot(): FeedSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: (s: FeedSnapshot) => void): () => void {
    this.on('change', listener);
    return () => this.off('change', listener);
  }

  #set(next: Partial<FeedSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...next };
    this.emit('change', this.#snapshot);
  }

  #feed(change: (s: FeedState) => FeedState): void {
    const s = this.#snapshot;
    const f = change(s);
    if (f.items !== s.items || f.next !== s.next || f.loaded !== s.loaded) this.#set({ items: f.items, next: f.next, loaded: f.loaded });
  }

  /** The newest page again, merged with what is shown (the first load too). */
  refresh(): Promise<void> {
    return this.#load(async () => {
      const page = await this.#api.page(this.query);
      this.#feed((s) => mergeRefresh(s, page));
    });
  }

  /** The next older page, if there is one. */
  more(): Promise<void> {
    if (!this.#snapshot.loaded) return this.refresh();
    if (this.#snapshot.next === null) return Promise.resolve();
    return this.#load(async () => {
      const before = this.#snapshot.next;
      if (before === null) return;
      const page = await this.#api.page(this.query, before);
      this.#feed((s) => appendPage(s, page));
    });
  }

  #load(run: () => Promise<void>): Promise<void> {
    // One page at a time: a second call while one loads waits for it.
    if (this.#loading) return this.#loading;
    this.#set({ loading: true, error: null });
    const p = run()
      .then(
        () => this.#set({ loading: false }),
        (e: { code?: string }) => this.#set({ loading: false, error: e?.code ?? 'INTERNAL' }),
      )
      .finally(() => {
        this.#loading = null;
      });
    return (this.#loading = p);
  }

  /** Likes or unlikes a post: shown at once, put back if the server refuses (the error is rethrown). */
  async toggleLike(id: string): Promise<void> {
    const me = this.#me();
    if (!me) return;
    const { state, before, liked } = toggleLike(this.#snapshot, id, me, this.#now());
    if (!before) return;
    this.#feed(() => state);
    try {
      await (liked ? this.#api.like(id) : this.#api.unlike(id));
    } catch (error) {
      this.#feed((s) => rollbackLike(s, before));
      throw error;
    }
  }

  /** Adds a comment (or a reply to one) and shows the post as the server now has it. */
  async comment(id: string, text: string, replyTo?: string | null): Promise<void> {
    await this.#api.comment(id, text, replyTo);
    await this.reload(id);
  }

  async removeComment(id: string, commentId: string): Promise<void> {
    await this.#api.removeComment(id, commentId);
    await this.reload(id);
  }

  async setVisibility(id: string, visibility: Visibility): Promise<void> {
    const post = await this.#api.setVisibility(id, visibility);
    this.#feed((s) => replacePost(s, post));
  }

  async remove(id: string): Promise<void> {
    await this.#api.remove(id);
    this.#feed((s) => removePost(s, id));
  }

  /** One post again from the server; gone from the feed when the viewer may no longer see it. */
  async reload(id: string): Promise<MomentView | null> {
    try {
      const post = await this.#api.one(id);
      this.#feed((s) => replacePost(s, post));
      return post;
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_FOUND') {
        this.#feed((s) => removePost(s, id));
        return null;
      }
      throw error;
    }
  }

  post(id: string): MomentView | undefined {
    return findPost(this.#snapshot, id);
  }
}

export interface BadgeSnapshot extends Badge {
  loaded: boolean;
}

/**
 * Moments in the SDK: the REST routes (`api`), feeds, and the tab's badge,
 * kept live from the account socket's `moments.post` (a contact posted) and
 * `moments.notice` (a like, comment or reply for me) and caught up after
 * each reconnection. An ImClient part: `imClient.use((t) => new
 * MomentsClient(t, …))` starts and stops it with the client.
 */
export class MomentsClient extends Emitter<{ badge: [BadgeSnapshot]; notice: [NoticeView] }> {
  readonly api: MomentsApi;
  readonly #transport: ImTransport;
  readonly #me: () => PublicProfile | null;
  #badge: BadgeSnapshot = { newPosts: 0, unreadNotices: 0, loaded: false };
  #stops: (() => void)[] = [];
  #fetching: Promise<void> | null = null;
  #again = false;

  constructor(transport: ImTransport, options: { me: () => PublicProfile | null }) {
    super();
    this.#transport = transport;
    this.api = new MomentsApi(transport);
    this.#me = options.me;
  }

  feed(query: FeedQuery, now?: () => number): MomentsFeed {
    return new MomentsFeed(this.api, query, { me: this.#me, ...(now ? { now } : {}) });
  }

  get badge(): BadgeSnapshot {
    return this.#badge;
  }

  subscribeBadge(listener: (b: BadgeSnapshot) => void): () => void {
    this.on('badge', listener);
    return () => this.off('badge', listener);
  }

  /** A listener for each live notice (a like, comment or reply on something of mine). */
  onNotice(listener: (notice: NoticeView) => void): () => void {
    this.on('notice', listener);
    return () => this.off('notice', listener);
  }

  start(): Promise<void> {
    this.stop();
    this.#stops = [
      // The event says only who posted; the count (capped, by the visibility rule) is the server's to say.
      this.#transport.on('moments.post', () => void this.refreshBadge()),
      this.#transport.on('moments.notice', (n) => {
        this.emit('notice', n);
        void this.refreshBadge();
      }),
      this.#transport.onConnected(() => void this.refreshBadge()),
    ];
    return this.refreshBadge();
  }

  stop(): void {
    for (const stop of this.#stops.splice(0)) stop();
  }

  #setBadge(b: Partial<BadgeSnapshot>): void {
    this.#badge = { ...this.#badge, ...b, loaded: true };
    this.emit('badge', this.#badge);
  }

  /** The badge from the server; events during a fetch cause one more (coalesced), not one each. */
  refreshBadge(): Promise<void> {
    if (this.#fetching) {
      this.#again = true;
      return this.#fetching;
    }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        try {
          const b = await this.api.badge();
          this.#setBadge({ newPosts: b.newPosts, unreadNotices: b.unreadNotices });
        } catch {
          // Offline or refused: the badge stays; the next event or reconnection tries again.
        }
      } while (this.#again);
    };
    return (this.#fetching = run().finally(() => (this.#fetching = null)));
  }

  /** The tab was opened: no new posts any more (at once here; on the server by POST /moments/seen). */
  async markSeen(): Promise<void> {
    this.#setBadge({ newPosts: 0 });
    await this.api.seen();
  }

  /** The notices were opened: all read. */
  async markNoticesRead(): Promise<void> {
    this.#setBadge({ unreadNotices: 0 });
    await this.api.readNotices();
  }
}
