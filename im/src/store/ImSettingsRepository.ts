import type { Database } from '@muster/db';

/** A person's IM privacy settings and when they were last seen; everyone starts with the defaults (all off, never seen). */
export interface StoredImSettings {
  accountId: string;
  hideLastSeen: boolean;
  acceptFromNonFriends: boolean;
  lastSeenAt: number | null;
}

const defaults = (accountId: string): StoredImSettings => ({ accountId, hideLastSeen: false, acceptFromNonFriends: false, lastSeenAt: null });

/** IM privacy settings and last-seen times per account, either engine; all plain (flags and a time). A missing row is the defaults. */
export class ImSettingsRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async get(accountId: string): Promise<StoredImSettings> {
    return (await this.many([accountId])).get(accountId)!;
  }

  /** The settings of each of these accounts (defaults for those without a row). */
  async many(accountIds: readonly string[]): Promise<Map<string, StoredImSettings>> {
    const found = new Map(accountIds.map((id) => [id, defaults(id)]));
    if (accountIds.length === 0) return found;
    const rows = await this.#db.kysely.selectFrom('im_settings').selectAll().where('account_id', 'in', [...new Set(accountIds)]).execute();
    for (const row of rows) {
      found.set(row.account_id, {
        accountId: row.account_id,
        hideLastSeen: Number(row.hide_last_seen) === 1,
        acceptFromNonFriends: Number(row.accept_from_non_friends) === 1,
        lastSeenAt: row.last_seen_at === null ? null : Number(row.last_seen_at),
      });
    }
    return found;
  }

  /** Sets the named settings; returns them all. */
  async update(accountId: string, change: Partial<Pick<StoredImSettings, 'hideLastSeen' | 'acceptFromNonFriends'>>, at: number): Promise<StoredImSettings> {
    const columns: { hide_last_seen?: number; accept_from_non_friends?: number } = {};
    if (change.hideLastSeen !== undefined) columns.hide_last_seen = change.hideLastSeen ? 1 : 0;
    if (change.acceptFromNonFriends !== undefined) columns.accept_from_non_friends = change.acceptFromNonFriends ? 1 : 0;
    await this.#upsert(accountId, columns, at);
    return this.get(accountId);
  }

  /** Records that the account was last online at `at` (its last device went away). */
  async setLastSeen(accountId: string, at: number): Promise<void> {
    await this.#upsert(accountId, { last_seen_at: at }, at);
  }

  async #upsert(accountId: string, columns: { hide_last_seen?: number; accept_from_non_friends?: number; last_seen_at?: number }, at: number): Promise<void> {
    await this.#db.writer.write((trx) =>
      trx
        .insertInto('im_settings')
        .values({ account_id: accountId, hide_last_seen: 0, accept_from_non_friends: 0, last_seen_at: null, ...columns, updated_at: at })
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ ...columns, updated_at: at }))
        .execute(),
    );
  }
}
