import type { Database } from '@muster/db';
import type { ServiceAccountKind } from '../protocol.ts';
import type { ArticleHead } from './ArticleRepository.ts';

export interface StoredSubscription {
  accountId: string;
  serviceAccountId: string;
  pinned: boolean;
  position: number;
  subscribedAt: number;
  seenAt: number;
}

/** One subscription as the person's list shows it: the account and its newest article's head. */
export interface FeedRow extends StoredSubscription {
  name: string;
  kind: ServiceAccountKind;
  avatarFileId: string | null;
  latestArticleAt: number | null;
  latest: { articleId: string; head: ArticleHead; publishedAt: number } | null;
}

const headAad = (id: string) => ({ table: 'articles', column: 'head', rowId: id });
const CHUNK = 500;

/**
 * Who subscribes to what, either engine: one row per person and account,
 * with their pin, its place among their pinned accounts, and when they last
 * opened it (`seen_at`). Reading is diffusion: a person's feed is their own
 * rows joined with the accounts' latest article, so what a publish costs
 * does not depend on these rows at all.
 */
export class SubscriptionRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Subscribes (seen now: older articles show no dot); true when new, false when already subscribed. */
  async subscribe(accountId: string, serviceAccountId: string, at: number): Promise<boolean> {
    const result = await this.#db.writer.write((trx) =>
      trx
        .insertInto('service_subscriptions')
        .values({ account_id: accountId, service_account_id: serviceAccountId, pinned: 0, position: 0, subscribed_at: at, seen_at: at })
        .onConflict((oc) => oc.columns(['account_id', 'service_account_id']).doNothing())
        .executeTakeFirst(),
    );
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Subscribes many people at once (an organisation's import; tests of large audiences); those subscribed already stay as they are. */
  async subscribeMany(accountIds: readonly string[], serviceAccountId: string, at: number): Promise<void> {
    const ids = [...new Set(accountIds)];
    // Six parameters a row: 500 rows stay far below either engine's limit; one write per chunk keeps each batch short.
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      await this.#db.writer.write((trx) =>
        trx
          .insertInto('service_subscriptions')
          .values(chunk.map((accountId) => ({ account_id: accountId, service_account_id: serviceAccountId, pinned: 0, position: 0, subscribed_at: at, seen_at: at })))
          .onConflict((oc) => oc.columns(['account_id', 'service_account_id']).doNothing())
          .execute(),
      );
    }
  }

  /** Unsubscribes; false when not subscribed. */
  async unsubscribe(accountId: string, serviceAccountId: string): Promise<boolean> {
    const result = await this.#db.writer.write((trx) => trx.deleteFrom('service_subscriptions').where('account_id', '=', accountId).where('service_account_id', '=', serviceAccountId).executeTakeFirst());
    return Number(result.numDeletedRows) > 0;
  }

  async get(accountId: string, serviceAccountId: string): Promise<StoredSubscription | null> {
    const row = await this.#db.kysely.selectFrom('service_subscriptions').selectAll().where('account_id', '=', accountId).where('service_account_id', '=', serviceAccountId).executeTakeFirst();
    return row
      ? { accountId: row.account_id, serviceAccountId: row.service_account_id, pinned: Number(row.pinned) === 1, position: Number(row.position), subscribedAt: Number(row.subscribed_at), seenAt: Number(row.seen_at) }
      : null;
  }

  /** Which of these accounts the person subscribes to. */
  async subscribedAmong(accountId: string, serviceAccountIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const ids = [...new Set(serviceAccountIds)];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.#db.kysely
        .selectFrom('service_subscriptions')
        .select('service_account_id')
        .where('account_id', '=', accountId)
        .where('service_account_id', 'in', ids.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) found.add(row.service_account_id);
    }
    return found;
  }

  /**
   * Pins or unpins, and places. Pinning without a position puts the account
   * before the person's other pinned ones. False when not subscribed.
   */
  async arrange(accountId: string, serviceAccountId: string, change: { pinned?: boolean; position?: number }): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const row = await trx.selectFrom('service_subscriptions').select(['pinned']).where('account_id', '=', accountId).where('service_account_id', '=', serviceAccountId).executeTakeFirst();
      if (!row) return false;
      let position = change.position;
      if (position === undefined && change.pinned === true && Number(row.pinned) !== 1) {
        const first = await trx
          .selectFrom('service_subscriptions')
          .select((eb) => eb.fn.min('position').as('min'))
          .where('account_id', '=', accountId)
          .where('pinned', '=', 1)
          .executeTakeFirst();
        position = first?.min === null || first?.min === undefined ? 0 : Number(first.min) - 1;
      }
      await trx
        .updateTable('service_subscriptions')
        .set({ ...(change.pinned !== undefined ? { pinned: change.pinned ? 1 : 0 } : {}), ...(position !== undefined ? { position } : {}) })
        .where('account_id', '=', accountId)
        .where('service_account_id', '=', serviceAccountId)
        .execute();
      return true;
    }, { lockKey: `${accountId}~subscriptions` });
  }

  /**
   * Marks the account seen, when it has an article newer than the last
   * visit (`latestAt`): opening it again costs no write.
   */
  async markSeen(accountId: string, serviceAccountId: string, latestAt: number, at: number): Promise<void> {
    await this.#db.writer.write((trx) =>
      trx
        .updateTable('service_subscriptions')
        .set({ seen_at: Math.max(at, latestAt) })
        .where('account_id', '=', accountId)
        .where('service_account_id', '=', serviceAccountId)
        .where('seen_at', '<', latestAt)
        .execute(),
    );
  }

  /** The person's subscriptions to live accounts, with each one's newest article (one query, whatever the audiences). */
  async feed(accountId: string): Promise<FeedRow[]> {
    const rows = await this.#db.kysely
      .selectFrom('service_subscriptions as s')
      .innerJoin('service_accounts as a', 'a.id', 's.service_account_id')
      .leftJoin('articles as r', 'r.id', 'a.latest_article_id')
      .select(['s.account_id', 's.service_account_id', 's.pinned', 's.position', 's.subscribed_at', 's.seen_at', 'a.name', 'a.kind', 'a.avatar_file_id', 'a.latest_article_at', 'a.latest_article_id', 'r.head', 'r.published_at'])
      .where('s.account_id', '=', accountId)
      .where('a.deleted_at', 'is', null)
      .execute();
    const feed: FeedRow[] = [];
    for (const row of rows) {
      let latest: FeedRow['latest'] = null;
      if (row.latest_article_id && row.head && row.published_at !== null) {
        try {
          latest = { articleId: row.latest_article_id, head: this.#db.sealer.openJson<ArticleHead>(row.head, headAad(row.latest_article_id)), publishedAt: Number(row.published_at) };
        } catch (error) {
          // Tamper evidence: the entry stays, without the head that does not open.
          this.#db.logger.error({ table: 'articles', rowId: row.latest_article_id, err: error }, 'channels: an article head does not open; left out of the feed');
        }
      }
      feed.push({
        accountId: row.account_id,
        serviceAccountId: row.service_account_id,
        pinned: Number(row.pinned) === 1,
        position: Number(row.position),
        subscribedAt: Number(row.subscribed_at),
        seenAt: Number(row.seen_at),
        name: row.name,
        kind: row.kind as ServiceAccountKind,
        avatarFileId: row.avatar_file_id,
        latestArticleAt: row.latest_article_at === null ? null : Number(row.latest_article_at),
        latest,
      });
    }
    return feed;
  }

  /**
   * The chat list's entry: whether any subscribed account has an article
   * newer than its last visit, and the newest article of them all (its
   * account and head). Two indexed queries over the person's own rows.
   */
  async summary(accountId: string): Promise<{ dot: boolean; latest: { serviceAccountId: string; name: string; articleId: string; head: ArticleHead | null; publishedAt: number } | null }> {
    const base = () =>
      this.#db.kysely
        .selectFrom('service_subscriptions as s')
        .innerJoin('service_accounts as a', 'a.id', 's.service_account_id')
        .where('s.account_id', '=', accountId)
        .where('a.deleted_at', 'is', null)
        .where('a.latest_article_at', 'is not', null);
    const unseen = await base().select('s.service_account_id').whereRef('a.latest_article_at', '>', 's.seen_at').limit(1).executeTakeFirst();
    const newest = await base()
      .leftJoin('articles as r', 'r.id', 'a.latest_article_id')
      .select(['a.id', 'a.name', 'a.latest_article_id', 'a.latest_article_at', 'r.head'])
      .orderBy('a.latest_article_at', 'desc')
      .orderBy('a.id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!newest || !newest.latest_article_id) return { dot: unseen !== undefined, latest: null };
    let head: ArticleHead | null = null;
    if (newest.head) {
      try {
        head = this.#db.sealer.openJson<ArticleHead>(newest.head, headAad(newest.latest_article_id));
      } catch (error) {
        this.#db.logger.error({ table: 'articles', rowId: newest.latest_article_id, err: error }, 'channels: an article head does not open');
      }
    }
    return { dot: unseen !== undefined, latest: { serviceAccountId: newest.id, name: newest.name, articleId: newest.latest_article_id, head, publishedAt: Number(newest.latest_article_at) } };
  }

  /** Subscribers of an account (an indexed count). */
  async count(serviceAccountId: string): Promise<number> {
    const row = await this.#db.kysely.selectFrom('service_subscriptions').select((eb) => eb.fn.countAll<number>().as('n')).where('service_account_id', '=', serviceAccountId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
