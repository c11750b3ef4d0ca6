import crypto from 'node:crypto';
import type { Database } from '@muster/db';

export type LinkPurpose = 'guest' | 'admin-setup';

export type LinkUse = { ok: true; accountId: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/** A link token has 256 random bits: a plain SHA-256 of it cannot be reversed, and finds it by equality. */
export function hashLinkToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Single-use links (guest log-in, an admin's set-up) in `one_time_links`. */
export class LinkRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async create(token: string, accountId: string, purpose: LinkPurpose, expiresAt: number, now: number): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx.insertInto('one_time_links').values({ token_hash: hashLinkToken(token), account_id: accountId, purpose, expires_at: expiresAt, used_at: null, created_at: now }).execute();
    });
  }

  /** Uses the link: it works once, before it expires. */
  async use(token: string, purpose: LinkPurpose, now: number): Promise<LinkUse> {
    const tokenHash = hashLinkToken(token);
    return this.#db.writer.write(async (trx): Promise<LinkUse> => {
      const row = await trx.selectFrom('one_time_links').selectAll().where('token_hash', '=', tokenHash).where('purpose', '=', purpose).executeTakeFirst();
      if (!row) return { ok: false, reason: 'unknown' };
      if (row.used_at !== null) return { ok: false, reason: 'used' };
      if (Number(row.expires_at) <= now) return { ok: false, reason: 'expired' };
      const result = await trx.updateTable('one_time_links').set({ used_at: now }).where('token_hash', '=', tokenHash).where('used_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return { ok: false, reason: 'used' };
      return { ok: true, accountId: row.account_id };
    });
  }

  /** Whether the link would work now, without using it (the set-up page asks before showing its form). */
  async peek(token: string, purpose: LinkPurpose, now: number): Promise<LinkUse> {
    const row = await this.#db.kysely.selectFrom('one_time_links').selectAll().where('token_hash', '=', hashLinkToken(token)).where('purpose', '=', purpose).executeTakeFirst();
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.used_at !== null) return { ok: false, reason: 'used' };
    if (Number(row.expires_at) <= now) return { ok: false, reason: 'expired' };
    return { ok: true, accountId: row.account_id };
  }

  /** Cancels the account's unused links of a purpose (a new guest link replaces the old one). */
  async cancel(accountId: string, purpose: LinkPurpose): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx.deleteFrom('one_time_links').where('account_id', '=', accountId).where('purpose', '=', purpose).where('used_at', 'is', null).execute();
    });
  }
}
