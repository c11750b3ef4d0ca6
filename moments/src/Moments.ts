import { AccountRepository, type Accounts, type Principal } from '@muster/accounts';
import type { Database } from '@muster/db';
import type { Files } from '@muster/files';
import { ContactRepository, type Im } from '@muster/im';
import { MemoryLimits, type LimitStore } from '@muster/kit/limits';
import { log as rootLog, type Logger } from '@muster/kit/log';
import { Audience, maySeePost } from './domain/Audience.ts';
import { Comments } from './domain/Comments.ts';
import { Feed } from './domain/Feed.ts';
import { Likes } from './domain/Likes.ts';
import type { MomentFiles } from './domain/MomentFiles.ts';
import { MomentIndexer } from './domain/MomentIndexer.ts';
import { MomentViews } from './domain/MomentViews.ts';
import { Notices } from './domain/Notices.ts';
import { Posts } from './domain/Posts.ts';
import { Reports } from './domain/Reports.ts';
import { COMMENTS_PER_HOUR, LIKES_PER_HOUR, POSTS_PER_HOUR, REPORTS_PER_HOUR, type Badge } from './protocol.ts';
import { CommentRepository } from './store/CommentRepository.ts';
import { FeedSeenRepository } from './store/FeedSeenRepository.ts';
import { LikeRepository } from './store/LikeRepository.ts';
import { MomentRepository } from './store/MomentRepository.ts';
import { NoticeRepository } from './store/NoticeRepository.ts';
import { ReportRepository } from './store/ReportRepository.ts';
import './events.ts';

export interface MomentsOptions {
  db: Database;
  accounts: Accounts;
  /** IM: contacts (friends, blocks), presence, and its hub of live events. */
  im: Im;
  /** Files: the views of attached files (the server wires files.useReaders to readsFile). */
  files: Files | MomentFiles;
  logger?: Logger;
  now?: () => number;
  /** Rate limits (posts, comments, reports per hour); this process's memory by default. */
  limits?: LimitStore;
  /** The search index's re-hasher after key rotations (default on; tests may call `indexer.sweep()` themselves). */
  indexer?: boolean;
}

/**
 * Moments (战友圈) as one object, as Im and Push are: posts with a
 * visibility (all, friends, Only me), the feeds and profiles, likes and
 * comments seen by mutual friends, notices and the tab's badge, reports
 * for the admin console, and the answer to the files domain's question
 * of who may read a post's files. Who sees what is one rule (see
 * domain/Audience.ts) that every read path asks. `close()` stops the
 * indexer; it is idempotent.
 */
export class Moments {
  readonly posts: Posts;
  readonly feed: Feed;
  readonly likes: Likes;
  readonly comments: Comments;
  readonly notices: Notices;
  readonly reports: Reports;
  readonly indexer: MomentIndexer;
  readonly #store: MomentRepository;
  readonly #reportStore: ReportRepository;
  readonly #audience: Audience;
  readonly #logger: Logger;
  #closed: Promise<void> | undefined;

  constructor(options: MomentsOptions) {
    const { db } = options;
    const now = options.now ?? Date.now;
    const logger = (this.#logger = options.logger ?? rootLog.child({ component: 'moments' }));
    const limits = options.limits ?? new MemoryLimits();
    const contacts = new ContactRepository(db);
    const moments = (this.#store = new MomentRepository(db));
    const comments = new CommentRepository(db);
    const likes = new LikeRepository(db);
    const reports = (this.#reportStore = new ReportRepository(db));
    const audience = (this.#audience = new Audience({ contacts, accounts: options.accounts, accountStore: new AccountRepository(db) }));
    const views = new MomentViews({ likes, comments, audience, files: options.files });
    this.posts = new Posts({
      moments,
      contacts,
      audience,
      files: options.files,
      hub: options.im.hub,
      isOnline: (id) => options.im.presence.isOnline(id),
      posts: limits.rate({ name: 'moment-posts', points: POSTS_PER_HOUR, perSeconds: 3600 }),
      logger,
      now,
    });
    this.feed = new Feed({ moments, seen: new FeedSeenRepository(db), posts: this.posts, views, audience, now });
    this.notices = new Notices({ notices: new NoticeRepository(db), moments, comments, views, audience, hub: options.im.hub, logger, now });
    this.likes = new Likes({ likes, posts: this.posts, notices: this.notices, limit: limits.rate({ name: 'moment-likes', points: LIKES_PER_HOUR, perSeconds: 3600 }), logger, now });
    this.comments = new Comments({
      comments,
      posts: this.posts,
      views,
      audience,
      notices: this.notices,
      limit: limits.rate({ name: 'moment-comments', points: COMMENTS_PER_HOUR, perSeconds: 3600 }),
      logger,
      now,
    });
    this.reports = new Reports({
      reports,
      moments,
      posts: this.posts,
      views,
      accounts: options.accounts,
      limit: limits.rate({ name: 'moment-reports', points: REPORTS_PER_HOUR, perSeconds: 3600 }),
      logger,
      now,
    });
    this.indexer = new MomentIndexer({ moments, logger });
    if (options.indexer !== false) this.indexer.start();
  }

  /** The Moments tab's badge: friends' new posts since it was last opened, and unread notices. */
  async badge(principal: Principal): Promise<Badge> {
    const [newPosts, unreadNotices] = await Promise.all([this.feed.newPosts(principal), this.notices.unread(principal)]);
    return { newPosts, unreadNotices };
  }

  /**
   * Whether `accountId` may read a file because a post it may see carries
   * it (the files domain's canRead asks; its uploader may always). A
   * deleted or removed post gives nobody access. While a post has an open
   * report, admins may read its files too, to review it.
   */
  async readsFile(fileId: string, accountId: string): Promise<boolean> {
    const posts = await this.#store.carrying(fileId);
    if (posts.length === 0) return false;
    const viewer = { accountId, guest: !(await this.#audience.isRegularUser(accountId)) };
    const relations = await this.#audience.relations(viewer, posts.map((p) => p.authorId));
    if (posts.some((post) => maySeePost(post, viewer, relations))) return true;
    for (const post of posts) {
      if ((await this.#reportStore.hasOpen(post.id)) && (await this.#audience.isAdmin(accountId))) return true;
    }
    return false;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.indexer.stop();
      this.#logger.debug('moments: closed');
    })();
    return this.#closed;
  }
}
