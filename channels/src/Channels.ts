import { SettingsRepository, type Accounts } from '@muster/accounts';
import type { Database } from '@muster/db';
import { FileIdSchema } from '@muster/files/protocol';
import type { Im } from '@muster/im';
import { MemoryLimits, type LimitStore } from '@muster/kit/limits';
import { log as rootLog, type Logger } from '@muster/kit/log';
import './events.ts';
import type { Actor } from './domain/Actor.ts';
import { Articles } from './domain/Articles.ts';
import type { ChannelFiles } from './domain/ChannelFiles.ts';
import { Comments } from './domain/Comments.ts';
import type { ContentCheck } from './domain/ContentCheck.ts';
import { FileAccess } from './domain/FileAccess.ts';
import { KeywordContentCheck } from './domain/KeywordContentCheck.ts';
import { ModerationSettings } from './domain/ModerationSettings.ts';
import { Notices } from './domain/Notices.ts';
import { ServiceAccounts } from './domain/ServiceAccounts.ts';
import { Subscriptions } from './domain/Subscriptions.ts';
import type { ChannelsSettings } from './protocol.ts';
import { ArticleRepository } from './store/ArticleRepository.ts';
import { CommentRepository } from './store/CommentRepository.ts';
import { NoticeRepository } from './store/NoticeRepository.ts';
import { ServiceAccountRepository } from './store/ServiceAccountRepository.ts';
import { SubscriptionRepository } from './store/SubscriptionRepository.ts';

export interface ChannelsOptions {
  db: Database;
  accounts: Accounts;
  /** IM: its hub of live events (a commenter's notices go out there as `channels.notice`). */
  im: Im;
  /** Files (the server passes `Files`): attaching uploads to articles, their views; the server wires files.useReaders to readsFile. */
  files: ChannelFiles;
  logger?: Logger;
  now?: () => number;
  /** Keywords the built-in content check flags, besides those admins set in the console. */
  keywords?: readonly string[];
  /** Rate limits (shared through Redis when the server has it). */
  limits?: LimitStore;
  /** Comments one person may write per minute (default 10). */
  commentsPerMinute?: number;
}

/** Comments one person may write per minute, unless told otherwise. */
export const DEFAULT_COMMENTS_PER_MINUTE = 10;

/**
 * Service accounts (公众号 / 服务号) as one object, as Im and Push are:
 * accounts and their editors, articles (structured documents, versions,
 * search), subscriptions read by diffusion (a dot, never a count, never a
 * push), moderated comments with their notices. `close()` is idempotent.
 */
export class Channels {
  readonly serviceAccounts: ServiceAccounts;
  readonly articles: Articles;
  readonly subscriptions: Subscriptions;
  readonly comments: Comments;
  readonly notices: Notices;
  /** The console's settings: the keyword list of the built-in content check. */
  readonly settings: ModerationSettings;
  readonly #checks: ContentCheck[];
  readonly #logger: Logger;
  #closed: Promise<void> | undefined;

  constructor(options: ChannelsOptions) {
    const { db } = options;
    const now = options.now ?? Date.now;
    this.#logger = options.logger ?? rootLog.child({ component: 'channels' });
    const accountStore = new ServiceAccountRepository(db);
    const articleStore = new ArticleRepository(db);
    const subscriptionStore = new SubscriptionRepository(db);
    const fileAccess = new FileAccess(options.files);
    this.settings = new ModerationSettings({ settings: new SettingsRepository(db), audit: db.audit, configured: options.keywords ?? [] });
    this.#checks = [new KeywordContentCheck(() => this.settings.keywords())];
    this.serviceAccounts = new ServiceAccounts({ store: accountStore, subscriptions: subscriptionStore, accounts: options.accounts, files: fileAccess, audit: db.audit, now });
    this.articles = new Articles({
      store: articleStore,
      accountStore,
      serviceAccounts: this.serviceAccounts,
      subscriptions: subscriptionStore,
      files: options.files,
      fileAccess,
      logger: this.#logger,
      now,
    });
    this.subscriptions = new Subscriptions({ store: subscriptionStore, serviceAccounts: this.serviceAccounts, now });
    this.notices = new Notices({ store: new NoticeRepository(db), articles: articleStore, accounts: accountStore, hub: options.im.hub, logger: this.#logger, now });
    this.comments = new Comments({
      store: new CommentRepository(db),
      articles: this.articles,
      serviceAccounts: this.serviceAccounts,
      notices: this.notices,
      accounts: options.accounts,
      checks: this.#checks,
      rate: (options.limits ?? new MemoryLimits()).rate({ name: 'channel-comments', points: options.commentsPerMinute ?? DEFAULT_COMMENTS_PER_MINUTE, perSeconds: 60 }),
      logger: this.#logger,
      now,
    });
  }

  /**
   * Adds a content check (an organisation's review system) that every new
   * comment passes besides the keyword list: a comment any check flags
   * stays pending with the reasons, first in the editors' flagged filter.
   */
  useContentCheck(check: ContentCheck): void {
    this.#checks.push(check);
  }

  /** The console's settings (an elevated admin, or the organisation's token). */
  async getSettings(actor: Actor): Promise<ChannelsSettings> {
    this.serviceAccounts.assertConsole(actor);
    return this.settings.get();
  }

  async putSettings(actor: Actor, settings: ChannelsSettings): Promise<ChannelsSettings> {
    this.serviceAccounts.assertConsole(actor);
    return this.settings.put(actor, settings);
  }

  /**
   * Whether `accountId` may read a file because something of this domain it
   * may see carries it: a live account's avatar or a live article's current
   * version (anyone signed in), or, for an account's editors, any version of
   * its articles (older ones, deleted ones).
   */
  async readsFile(fileId: string, accountId: string): Promise<boolean> {
    if (!FileIdSchema.safeParse(fileId).success) return false;
    return this.articles.readsFile(fileId, accountId);
  }

  close(): Promise<void> {
    this.#closed ??= Promise.resolve().then(() => this.#logger.debug('channels: closed'));
    return this.#closed;
  }
}

