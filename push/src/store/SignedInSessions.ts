import type { Accounts } from '@muster/accounts';
import type { ActiveSessions } from '../domain/ActiveSessions.ts';

/**
 * The ActiveSessions port over accounts (SessionGuard.signedIn): a session
 * is signed in while its row exists, is not revoked, and its account is
 * active and (a guest's) not expired. Read from the database, not a
 * process's memory: a session revoked on another process, or one whose
 * guest account simply ran out, counts too.
 */
export class SignedInSessions implements ActiveSessions {
  readonly #accounts: Accounts;

  constructor(accounts: Accounts) {
    this.#accounts = accounts;
  }

  activeSessions(sessionIds: readonly string[]): Promise<Set<string>> {
    return this.#accounts.guard.signedIn(sessionIds);
  }
}
