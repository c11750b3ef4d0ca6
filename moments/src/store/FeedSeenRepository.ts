import type { Database } from '@muster/db';

/** When each person last opened the Moments tab, either engine: the badge counts their friends' posts since. */
export class FeedSeenRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** When the person last opened the tab; null: never. */
  async seenAt(accountId: string): Promise<number | null> {
    const row = await this.#db.kysely.selectFrom('moment_feed_seen').select('seen_at').where('account_id', '=', accountId).executeTakeFirst();
    return row ? Number(row.seen_at) : null;
  }

  /** The tab was opened at `at` (never moves back: two devices opening it race harmlessly). */
  async markSeen(accountId: string, at: number): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx
        .insertInto('moment_feed_seen')
        .values({ account_id: accountId, seen_at: at })
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ seen_at: at }).where('moment_feed_seen.seen_at', '<', at))
        .execute();
    });
  }
}
