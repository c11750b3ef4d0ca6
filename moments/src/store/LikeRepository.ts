import type { Database } from '@muster/db';

export interface StoredLike {
  momentId: string;
  accountId: string;
  at: number;
}

const CHUNK = 300;

/** Likes, either engine: one row per post and person (liking twice is one like). */
export class LikeRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** True when this made the like (false: it was there). */
  async like(momentId: string, accountId: string, at: number): Promise<boolean> {
    const result = await this.#db.writer.write((trx) =>
      trx.insertInto('moment_likes').values({ moment_id: momentId, account_id: accountId, created_at: at }).onConflict((oc) => oc.columns(['moment_id', 'account_id']).doNothing()).executeTakeFirst(),
    );
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Removes the like and the notice it gave, in one write; false when there was none. */
  async unlike(momentId: string, accountId: string): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const result = await trx.deleteFrom('moment_likes').where('moment_id', '=', momentId).where('account_id', '=', accountId).executeTakeFirst();
      await trx.deleteFrom('moment_notices').where('moment_id', '=', momentId).where('actor_id', '=', accountId).where('kind', '=', 'like').execute();
      return Number(result.numDeletedRows) > 0;
    });
  }

  /** The likes of these posts, each post's oldest first. */
  async forMoments(momentIds: readonly string[]): Promise<Map<string, StoredLike[]>> {
    const found = new Map<string, StoredLike[]>();
    const ids = [...new Set(momentIds)];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.#db.kysely.selectFrom('moment_likes').selectAll().where('moment_id', 'in', ids.slice(i, i + CHUNK)).orderBy('moment_id').orderBy('created_at').orderBy('account_id').execute();
      for (const row of rows) {
        const list = found.get(row.moment_id) ?? [];
        list.push({ momentId: row.moment_id, accountId: row.account_id, at: Number(row.created_at) });
        found.set(row.moment_id, list);
      }
    }
    return found;
  }

  /** Whether this person likes this post. */
  async has(momentId: string, accountId: string): Promise<boolean> {
    return (await this.#db.kysely.selectFrom('moment_likes').select('account_id').where('moment_id', '=', momentId).where('account_id', '=', accountId).executeTakeFirst()) !== undefined;
  }
}
