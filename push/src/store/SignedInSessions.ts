import type { Database } from '@muster/db';
import type { ActiveSessions } from '../domain/ActiveSessions.ts';

/**
 * The ActiveSessions port over accounts' session store (`account_sessions`
 * and `accounts`, either engine), read-only: a session is signed in while
 * its row exists, is not revoked, and its account is active and (a guest's)
 * not expired, as accounts' SessionGuard decides it. The database, not a
 * process's memory: a session revoked on another process, or one whose
 * guest account simply ran out, counts too.
 */
export class SignedInSessions implements ActiveSessions {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  async activeSessions(sessionIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const ids = [...new Set(sessionIds)];
    const now = this.#now();
    // One query for a person's devices (at most 20); in chunks only to stay under the engines' bound-value limits.
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.#db.kysely
        .selectFrom('account_sessions')
        .innerJoin('accounts', 'accounts.id', 'account_sessions.account_id')
        .select('account_sessions.id as id')
        .where('account_sessions.id', 'in', ids.slice(i, i + 1000))
        .where('account_sessions.revoked_at', 'is', null)
        .where('accounts.status', '=', 'active')
        .where((eb) => eb.or([eb('accounts.expires_at', 'is', null), eb('accounts.expires_at', '>', now)]))
        .execute();
      for (const row of rows) found.add(row.id);
    }
    return found;
  }
}
