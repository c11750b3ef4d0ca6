/** A person's file settings (file_prefs): how long their devices keep downloaded files. No row: the default. */
import type { Database } from '@muster/db';

export class FilePrefsRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Their cache period in days (null: for ever), or undefined when they never chose one. */
  async cacheDays(accountId: string): Promise<number | null | undefined> {
    const row = await this.#db.kysely.selectFrom('file_prefs').select('cache_days').where('account_id', '=', accountId).executeTakeFirst();
    return row ? (row.cache_days === null ? null : Number(row.cache_days)) : undefined;
  }

  async setCacheDays(accountId: string, days: number | null, at: number): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx
        .insertInto('file_prefs')
        .values({ account_id: accountId, cache_days: days, updated_at: at })
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ cache_days: days, updated_at: at }))
        .execute();
    });
  }
}
