import type { Database } from '@muster/db';
import type { CodePurpose } from '../protocol.ts';

export type CodeCheck =
  | { ok: true }
  /** No code was sent for this number and purpose (or it was used). */
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'expired' }
  /** Wrong; `left` tries remain (0: the code is spent). */
  | { ok: false; reason: 'wrong'; left: number };

/**
 * One-time codes in `auth_codes`: one live code per number and purpose, kept
 * only as a keyed hash (a 6-digit code's plain hash would fall to a
 * million guesses offline). Checking and counting a try are one write.
 */
export class CodeRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Stores a new code for the number and purpose, replacing any earlier one. */
  async put(phone: string, purpose: CodePurpose, code: string, expiresAt: number, now: number): Promise<void> {
    const phoneIndex = this.#db.sealer.blindIndex('phone', phone);
    const codeHash = this.#db.sealer.blindIndex('auth-code', `${purpose}:${phone}:${code}`);
    await this.#db.writer.write(async (trx) => {
      const values = { code_hash: codeHash, expires_at: expiresAt, attempts: 0, created_at: now };
      await trx
        .insertInto('auth_codes')
        .values({ phone_index: phoneIndex, purpose, ...values })
        .onConflict((oc) => oc.columns(['phone_index', 'purpose']).doUpdateSet(values))
        .execute();
    });
  }

  /** Checks a code; a right one is used up, a wrong one counts a try, the last try spends it. */
  async check(phone: string, purpose: CodePurpose, code: string, now: number, maxTries: number): Promise<CodeCheck> {
    const indexes = this.#db.sealer.blindIndexCandidates('phone', phone);
    const hashes = new Set(this.#db.sealer.blindIndexCandidates('auth-code', `${purpose}:${phone}:${code}`));
    return this.#db.writer.write(async (trx): Promise<CodeCheck> => {
      const row = await trx.selectFrom('auth_codes').selectAll().where('phone_index', 'in', indexes).where('purpose', '=', purpose).executeTakeFirst();
      if (!row) return { ok: false, reason: 'missing' };
      const where = trx.deleteFrom('auth_codes').where('phone_index', '=', row.phone_index).where('purpose', '=', purpose);
      if (Number(row.expires_at) <= now) {
        await where.execute();
        return { ok: false, reason: 'expired' };
      }
      if (hashes.has(row.code_hash)) {
        await where.execute();
        return { ok: true };
      }
      const attempts = Number(row.attempts) + 1;
      if (attempts >= maxTries) {
        await where.execute();
        return { ok: false, reason: 'wrong', left: 0 };
      }
      await trx.updateTable('auth_codes').set({ attempts }).where('phone_index', '=', row.phone_index).where('purpose', '=', purpose).execute();
      return { ok: false, reason: 'wrong', left: maxTries - attempts };
    });
  }

  /** Drops expired codes. */
  async purgeExpired(now: number): Promise<number> {
    return this.#db.writer.write(async (trx) => Number((await trx.deleteFrom('auth_codes').where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows));
  }
}
