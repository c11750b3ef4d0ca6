import type { Logger } from '@muster/kit/log';
import type { Database } from '@muster/db';
import type { AccountRole } from '../protocol.ts';
import type { AccountRepository } from '../store/AccountRepository.ts';
import type { SessionRepository } from '../store/SessionRepository.ts';
import type { AccessClaims, TokenService } from './TokenService.ts';

/** Who is asking: a signed-in device of an account. */
export interface Principal {
  accountId: string;
  sessionId: string;
  role: AccountRole;
  /** Admins: until when (ms) the console's second factor holds, if given. */
  elevatedUntil?: number;
}

export interface Revocation {
  accountId: string;
  sessionIds: string[];
  reason: 'signed-out' | 'token-reused' | 'disabled' | 'password-reset' | 'password-changed' | 'expired' | 'deleted';
}

type RevocationListener = (revocation: Revocation) => void;

interface CachedSession {
  active: boolean;
  accountId: string;
  /** Guests: the account stops at this time. */
  expiresAt: number | null;
  checkedAt: number;
}

/** How long a looked-up session is believed without asking the database again (ms). */
const CACHE_MS = 30_000;
/** A device's "last seen" is written at most this often (ms). */
const SEEN_WRITE_MS = 60_000;
/** How often other processes' revocations are picked up from the database (ms): "within 1 s, on every process". */
export const REVOCATION_POLL_MS = 500;

/**
 * Decides whether an access token still speaks for its device. A token is
 * valid for 15 minutes, but signing a device out must stop it at once: the
 * guard keeps the state of sessions it has seen, revokes them in memory
 * the moment this process revokes them, and picks up revocations made by
 * other processes from the database every half second (one indexed query).
 * Listeners (the socket layer) hear of every revocation, to close sockets.
 */
export class SessionGuard {
  readonly #tokens: TokenService;
  readonly #sessions: SessionRepository;
  readonly #accounts: AccountRepository;
  readonly #db: Database;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #cache = new Map<string, CachedSession>();
  readonly #listeners = new Set<RevocationListener>();
  /** When each device was last recorded as seen (its "last seen" is written at most once a minute). */
  readonly #seen = new Map<string, number>();
  #lastPoll: number;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #closed = false;

  constructor(options: { tokens: TokenService; sessions: SessionRepository; accounts: AccountRepository; db: Database; logger: Logger; pollMs?: number; now?: () => number }) {
    this.#now = options.now ?? Date.now;
    this.#tokens = options.tokens;
    this.#sessions = options.sessions;
    this.#accounts = options.accounts;
    this.#db = options.db;
    this.#logger = options.logger;
    this.#lastPoll = Date.now();
    this.#timer = setInterval(() => void this.#poll(), options.pollMs ?? REVOCATION_POLL_MS);
    this.#timer.unref();
  }

  /** The principal an access token speaks for, or null (invalid, expired, signed out, account disabled or expired). */
  async authenticate(accessToken: string, now = this.#now()): Promise<Principal | null> {
    const claims = await this.#tokens.verifyAccess(accessToken);
    if (!claims) return null;
    if (!(await this.#active(claims, now))) return null;
    this.#markSeen(claims.sessionId, now);
    return principalOf(claims);
  }

  /** The device list's "last seen": a device in use is seen, not only when it refreshes. */
  #markSeen(sessionId: string, now: number): void {
    const last = this.#seen.get(sessionId) ?? 0;
    if (now - last < SEEN_WRITE_MS) return;
    this.#seen.set(sessionId, now);
    if (this.#seen.size > 100_000) this.#seen.delete(this.#seen.keys().next().value!);
    this.#sessions.touch(sessionId, now).catch((error: unknown) => this.#logger.warn({ err: error }, 'accounts: could not record a device as seen'));
  }

  /** Whether a session is active now (sockets re-check theirs with this). */
  async isActive(sessionId: string, now = this.#now()): Promise<boolean> {
    const state = await this.#state(sessionId, now);
    return state !== null && state.active && (state.expiresAt === null || state.expiresAt > now);
  }

  /** Which of these sessions are signed in now, read from the database (many at once: a person's devices for a push). */
  signedIn(sessionIds: readonly string[], now = this.#now()): Promise<Set<string>> {
    return this.#sessions.signedIn(sessionIds, now);
  }

    /** Tells this process and its listeners at once; other processes see it in the database within REVOCATION_POLL_MS. */
  revoked(revocation: Revocation): void {
    for (const id of revocation.sessionIds) {
      const cached = this.#cache.get(id);
      this.#cache.set(id, { active: false, accountId: revocation.accountId, expiresAt: cached?.expiresAt ?? null, checkedAt: Date.now() });
    }
    if (revocation.sessionIds.length === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(revocation);
      } catch (error) {
        this.#logger.error({ err: error }, 'accounts: a revocation listener failed');
      }
    }
  }

  onRevoked(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Forgets what it knows of an account's sessions (its expiry changed). */
  forgetAccount(accountId: string): void {
    for (const [id, state] of this.#cache) if (state.accountId === accountId) this.#cache.delete(id);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#listeners.clear();
  }

  async #active(claims: AccessClaims, now: number): Promise<boolean> {
    const state = await this.#state(claims.sessionId, now);
    if (!state || !state.active || state.accountId !== claims.accountId) return false;
    return state.expiresAt === null || state.expiresAt > now;
  }

  async #state(sessionId: string, now: number): Promise<CachedSession | null> {
    const cached = this.#cache.get(sessionId);
    if (cached && (!cached.active || now - cached.checkedAt < CACHE_MS)) return cached;
    const session = await this.#sessions.get(sessionId);
    if (!session) {
      this.#cache.delete(sessionId);
      return null;
    }
    const account = await this.#accounts.get(session.accountId);
    const active = session.revokedAt === null && account !== null && account.status === 'active';
    const state: CachedSession = { active, accountId: session.accountId, expiresAt: account?.expiresAt ?? null, checkedAt: now };
    this.#cache.set(sessionId, state);
    if (this.#cache.size > 100_000) this.#cache.delete(this.#cache.keys().next().value!);
    return state;
  }

  /** Sessions revoked since the last poll, by any process. */
  async #poll(): Promise<void> {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    const since = this.#lastPoll - 2_000; // overlap: a revocation committed just before the last poll's read is not missed
    const startedAt = Date.now();
    try {
      const rows = await this.#db.kysely.selectFrom('account_sessions').select(['id', 'account_id']).where('revoked_at', '>=', since).execute();
      this.#lastPoll = startedAt;
      const byAccount = new Map<string, string[]>();
      for (const row of rows) {
        const cached = this.#cache.get(row.id);
        if (cached && !cached.active) continue;
        byAccount.set(row.account_id, [...(byAccount.get(row.account_id) ?? []), row.id]);
      }
      // The database keeps when, not why: another process's revocation reaches sockets here as a sign-out.
      for (const [accountId, sessionIds] of byAccount) this.revoked({ accountId, sessionIds, reason: 'signed-out' });
    } catch (error) {
      if (!this.#closed) this.#logger.warn({ err: error }, 'accounts: could not read revocations; retrying');
    } finally {
      this.#polling = false;
    }
  }
}

function principalOf(claims: AccessClaims): Principal {
  const principal: Principal = { accountId: claims.accountId, sessionId: claims.sessionId, role: claims.role };
  if (claims.elevatedUntil !== undefined) principal.elevatedUntil = claims.elevatedUntil * 1000;
  return principal;
}
