import crypto from 'node:crypto';
import type { Logger } from '@muster/kit/log';
import { MemoryLimits, type LimitStore } from '@muster/kit/limits';
import type { Database } from '@muster/db';
import type { AccountSettings } from '../protocol.ts';
import { Administration } from './Administration.ts';
import { Authenticator } from './Authenticator.ts';
import { LogCodeChannel, type CodeChannel } from './CodeChannel.ts';
import { DEFAULT_SETTINGS, repositories, SETTINGS_KEY, type AccountsContext } from './context.ts';
import { DEFAULT_PASSWORD_COST, Passwords, type PasswordCost } from './passwords.ts';
import { PhoneNumbers } from './phone.ts';
import { Profiles } from './Profiles.ts';
import { SessionGuard, type Principal } from './SessionGuard.ts';
import { TokenService } from './TokenService.ts';

export interface AccountsOptions {
  db: Database;
  logger: Logger;
  /** The server's shared limits (Redis when scaled out); a memory store of its own otherwise. */
  limits?: LimitStore;
  /** Where codes go; the `log` channel by default. */
  channel?: CodeChannel;
  /** DEFAULT_PHONE_REGION: how numbers typed without +country are read (default CN). */
  phoneRegion?: string;
  /** PUBLIC_URL, for links shown outside the browser (the admin set-up link); relative paths when absent. */
  publicUrl?: string;
  /** Tests only: a cheaper Argon2id. */
  passwordCost?: PasswordCost;
  now?: () => number;
}

const AVATAR_KEY_SETTING = 'accounts.avatar-url-key';
const HOUSEKEEPING_MS = 3600_000;
const REVOKED_KEPT_MS = 30 * 24 * 3600_000;

/**
 * The accounts domain, assembled: `auth` (codes, sign-up, log-in, tokens,
 * devices, passwords), `profiles`, `admin` (console, guests, settings) and
 * `guard` (which access tokens still speak for a device).
 */
export class Accounts {
  readonly auth: Authenticator;
  readonly profiles: Profiles;
  readonly admin: Administration;
  readonly guard: SessionGuard;
  readonly channel: CodeChannel;
  readonly phones: PhoneNumbers;
  readonly #context: AccountsContext;
  readonly #housekeeping: NodeJS.Timeout;
  #closed = false;

  private constructor(context: AccountsContext) {
    this.#context = context;
    this.guard = context.guard;
    this.channel = context.channel;
    this.phones = context.phones;
    this.profiles = new Profiles(context);
    this.auth = new Authenticator(context, this.profiles);
    this.admin = new Administration(context, this.auth, this.profiles);
    this.#housekeeping = setInterval(() => void this.housekeeping(), HOUSEKEEPING_MS);
    this.#housekeeping.unref();
  }

  /**
   * Drops what only served for a while: expired codes, and devices signed out
   * long ago (kept a month, so a reused refresh token is still recognised).
   */
  async housekeeping(): Promise<{ codes: number; sessions: number }> {
    const now = this.#context.now();
    try {
      return { codes: await this.#context.codes.purgeExpired(now), sessions: await this.#context.sessions.purgeRevoked(now - REVOKED_KEPT_MS) };
    } catch (error) {
      if (!this.#closed) this.#context.logger.warn({ err: error }, 'accounts: housekeeping failed; retrying later');
      return { codes: 0, sessions: 0 };
    }
  }

  static async open(options: AccountsOptions): Promise<Accounts> {
    const { db, logger } = options;
    const stores = repositories(db);
    const tokens = await TokenService.open(stores.settings);
    const avatarKey = Buffer.from(await stores.settings.putIfAbsent(AVATAR_KEY_SETTING, crypto.randomBytes(32).toString('base64')), 'base64');
    const now = options.now ?? Date.now;
    const guard = new SessionGuard({ tokens, sessions: stores.sessions, accounts: stores.accounts, db, logger, now });
    let settingsCache: AccountSettings | undefined;
    let settingsReadAt = 0;
    const context: AccountsContext = {
      db,
      ...stores,
      audit: db.audit,
      tokens,
      guard,
      passwords: new Passwords(options.passwordCost ?? DEFAULT_PASSWORD_COST),
      phones: new PhoneNumbers(options.phoneRegion ?? 'CN'),
      channel: options.channel ?? new LogCodeChannel(logger),
      limits: options.limits ?? new MemoryLimits(),
      logger,
      now,
      publicUrl: (options.publicUrl ?? '').replace(/\/+$/, ''),
      avatarKey,
      // Read through a short cache: another process's change shows within a few seconds.
      async readSettings() {
        if (!settingsCache || now() - settingsReadAt > 5_000) {
          settingsCache = { ...DEFAULT_SETTINGS, ...((await stores.settings.get<Partial<AccountSettings>>(SETTINGS_KEY)) ?? {}) };
          settingsReadAt = now();
        }
        return settingsCache;
      },
      async writeSettings(settings) {
        await stores.settings.put(SETTINGS_KEY, settings);
        settingsCache = settings;
        settingsReadAt = now();
      },
      async securityEvent(kind, accountId, details) {
        await stores.events.add({ at: now(), accountId, kind, details });
      },
    };
    return new Accounts(context);
  }

  /**
   * Who a signed-in device is in a meeting or on a board: the account's id,
   * nickname and small avatar; null when its session is no longer active or
   * the account cannot sign in.
   */
  async meetingIdentity(principal: Principal): Promise<{ userId: string; name: string; avatar: string | null; guest: boolean } | null> {
    if (!(await this.guard.isActive(principal.sessionId))) return null;
    const account = await this.#context.accounts.get(principal.accountId);
    if (!account || account.status !== 'active') return null;
    const profile = this.profiles.publicOf(account);
    // The 256 px image: a camera-off tile shows it large.
    return { userId: account.id, name: profile.nickname, avatar: profile.avatar?.large ?? null, guest: account.role === 'guest' };
  }

  settings(): Promise<AccountSettings> {
    return this.#context.readSettings();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#housekeeping);
    this.guard.close();
  }
}
