import crypto from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Limit } from '@muster/kit/limits';
import { AccountError } from '../errors.ts';
import { NicknameSchema, type AccountSettings, type AdminUser, type SessionReply, type User } from '../protocol.ts';
import { CREATE_MANY_MAX, type StoredAccount } from '../store/AccountRepository.ts';
import type { SecurityEvent } from '../store/SecurityEventRepository.ts';
import type { Authenticator, ClientContext, DeviceInput } from './Authenticator.ts';
import type { PendingCode } from './CodeChannel.ts';
import { LogCodeChannel } from './CodeChannel.ts';
import { defaultMusterId, newId, type AccountsContext } from './context.ts';
import type { Profiles } from './Profiles.ts';
import type { Principal } from './SessionGuard.ts';
import { ADMIN_ELEVATION_TTL_SECONDS } from './TokenService.ts';

/** How long the first admin's set-up link works. */
export const SETUP_LINK_TTL_MS = 24 * 3600_000;
/** Admin search opens at most this many accounts (names are sealed, so they are matched opened). */
const SEARCH_SCAN_LIMIT = 20_000;

export interface CreatedGuest {
  user: User;
  /** `/guest#<token>`: works once. */
  link: string;
}

/** One line of a staff list to import. */
export interface PersonToImport {
  phone: string;
  nickname: string;
}

/** Why a line of a staff list was not imported. */
export type ImportSkip = 'PHONE_INVALID' | 'PHONE_TAKEN' | 'NICKNAME_INVALID';

export interface ImportResult {
  /** In the list's order; `phone` normalised (E.164). */
  imported: { id: string; phone: string; nickname: string }[];
  /** In the list's order, `phone` as given. A number twice in the list is imported once and skipped (PHONE_TAKEN) after. */
  skipped: { phone: string; reason: ImportSkip }[];
}

/** Drawing a default Muster ID again when one collides: how often before giving up. */
const MUSTER_ID_DRAWS = 3;

/**
 * The admin console's rules: the first admin, the second factor, users,
 * guests, the organisation's settings. Every change an admin makes goes to
 * the audit log with the admin as actor.
 */
export class Administration {
  readonly #c: AccountsContext;
  readonly #auth: Authenticator;
  readonly #profiles: Profiles;
  readonly #elevationLimit: Limit;

  constructor(context: AccountsContext, auth: Authenticator, profiles: Profiles) {
    this.#c = context;
    this.#auth = auth;
    this.#profiles = profiles;
    this.#elevationLimit = context.limits.rate({ name: 'admin-elevation', points: 5, perSeconds: 15 * 60 });
  }

  // ------------------------------------------------------------ the first admin

  /**
   * `npm run admin -- create-admin <phone>`: makes the account with this
   * number an admin (creating it if needed) and returns a one-time set-up
   * link, where the admin sets a password and the console's second factor.
   */
  async createAdmin(phoneInput: string): Promise<{ account: StoredAccount; link: string; created: boolean }> {
    const phone = this.#c.phones.normalise(phoneInput);
    const now = this.#c.now();
    let account = await this.#c.accounts.findByPhone(phone);
    let created = false;
    if (!account) {
      account = {
        id: newId('u'),
        musterId: null,
        role: 'admin',
        status: 'active',
        createdAt: now,
        updatedAt: now,
        expiresAt: null,
        lockedUntil: null,
        profile: { phone, phoneVerified: false, nickname: 'Administrator', gender: 'unspecified', region: '', signature: '', avatarVersion: null, musterIdChangedAt: null },
        credentials: {},
      };
      await this.#c.accounts.create(account);
      created = true;
    } else {
      account = (await this.#c.accounts.update(account.id, (a) => ({ ...a, role: 'admin', status: 'active', expiresAt: null, updatedAt: now }))) ?? account;
    }
    const token = crypto.randomBytes(32).toString('base64url');
    await this.#c.links.cancel(account.id, 'admin-setup');
    await this.#c.links.create(token, account.id, 'admin-setup', now + SETUP_LINK_TTL_MS, now);
    await this.#c.audit.append({ actor: 'operator', action: 'admin.create', target: account.id, details: { created } });
    return { account, link: `${this.#c.publicUrl}/admin/setup#${token}`, created };
  }

  /**
   * The set-up link's form: a password, and a second factor for the console
   * (a console password, a TOTP app, or both). Signs the device in.
   */
  async setup(
    input: { token: string; password: string; nickname?: string; consolePassword?: string; enableTotp?: boolean; device?: DeviceInput },
    client: ClientContext,
  ): Promise<{ session: SessionReply; totp?: { secret: string; uri: string } }> {
    const peek = await this.#c.links.peek(input.token, 'admin-setup', this.#c.now());
    if (!peek.ok) throw new AccountError('LINK_INVALID', 'this set-up link is not valid (used, or older than a day); run create-admin again');
    if (!input.consolePassword && !input.enableTotp) throw new AccountError('BAD_REQUEST', 'choose a console password, a TOTP app, or both: the console needs a second factor');
    const current = await this.#c.accounts.get(peek.accountId);
    if (!current) throw new AccountError('LINK_INVALID', 'this set-up link is not valid');
    this.#c.passwords.check(input.password, { phone: current.profile.phone });
    if (input.consolePassword !== undefined) {
      this.#c.passwords.check(input.consolePassword);
      if (input.consolePassword === input.password) throw new AccountError('PASSWORD_WEAK', 'the console password must differ from the log-in password');
    }
    const use = await this.#c.links.use(input.token, 'admin-setup', this.#c.now());
    if (!use.ok) throw new AccountError('LINK_INVALID', 'this set-up link has been used');
    const now = this.#c.now();
    const passwordHash = await this.#c.passwords.hash(input.password);
    const consolePasswordHash = input.consolePassword === undefined ? undefined : await this.#c.passwords.hash(input.consolePassword);
    const totpSecret = input.enableTotp ? new Secret({ size: 20 }).base32 : undefined;
    const account = await this.#c.accounts.update(use.accountId, (a) => ({
      ...a,
      updatedAt: now,
      lockedUntil: null,
      profile: { ...a.profile, nickname: input.nickname ?? a.profile.nickname },
      credentials: {
        ...a.credentials,
        passwordHash,
        passwordChangedAt: now,
        ...(consolePasswordHash ? { consolePasswordHash } : {}),
        ...(totpSecret ? { totpSecret } : {}),
      },
    }));
    if (!account) throw new AccountError('LINK_INVALID', 'this set-up link is not valid');
    await this.#c.audit.append({ actor: account.id, action: 'admin.setup', target: account.id, details: { consolePassword: consolePasswordHash !== undefined, totp: totpSecret !== undefined } });
    const session = await this.#auth.startSession(account, input.device, client);
    return totpSecret ? { session, totp: { secret: totpSecret, uri: this.#totp(account, totpSecret).toString() } } : { session };
  }

  /**
   * The console's second factor: a TOTP code or the console password. Returns
   * an access token that carries it for 30 minutes; the admin's other
   * tokens never do.
   */
  async elevate(principal: Principal, input: { totp?: string; consolePassword?: string }, client: ClientContext): Promise<{ accessToken: string; accessTokenExpiresAt: number; elevatedUntil: number }> {
    const account = await this.#adminAccount(principal);
    const verdict = await this.#elevationLimit.take(account.id);
    if (!verdict.allowed) throw new AccountError('RATE_LIMITED', 'too many second-factor attempts; wait and try again', verdict.retryAfterMs / 1000);
    let ok = false;
    if (input.totp !== undefined && account.credentials.totpSecret) {
      ok = this.#totp(account, account.credentials.totpSecret).validate({ token: input.totp, window: 1 }) !== null;
    } else if (input.consolePassword !== undefined && account.credentials.consolePasswordHash) {
      ok = await this.#c.passwords.verify(account.credentials.consolePasswordHash, input.consolePassword);
    }
    if (!ok) {
      await this.#c.securityEvent('admin.elevation-failed', account.id, { address: client.address });
      throw new AccountError('INVALID_CREDENTIALS', 'the second factor is not right');
    }
    await this.#elevationLimit.reset(account.id);
    const now = this.#c.now();
    const elevatedUntil = Math.floor(now / 1000) + ADMIN_ELEVATION_TTL_SECONDS;
    const access = await this.#c.tokens.signAccess({ accountId: account.id, sessionId: principal.sessionId, role: 'admin', elevatedUntil }, now);
    await this.#c.securityEvent('admin.elevated', account.id, { address: client.address });
    return { accessToken: access.token, accessTokenExpiresAt: access.expiresAt, elevatedUntil: elevatedUntil * 1000 };
  }

  /** What an admin's token allows: the console only with the second factor; anyone else sees NOT_FOUND. */
  assertConsole(principal: Principal | null): asserts principal is Principal {
    if (!principal || principal.role !== 'admin') throw new AccountError('NOT_FOUND', 'no such API route');
    if (principal.elevatedUntil === undefined || principal.elevatedUntil <= this.#c.now()) {
      throw new AccountError('SECOND_FACTOR_REQUIRED', 'enter your TOTP code or console password to open the console');
    }
  }

  // ------------------------------------------------------------ users

  async searchUsers(query: string, limit = 50): Promise<AdminUser[]> {
    const q = query.trim().toLowerCase();
    const found: StoredAccount[] = [];
    // A phone number is found exactly through its blind index.
    if (q !== '') {
      try {
        const byPhone = await this.#c.accounts.findByPhone(this.#c.phones.normalise(q));
        if (byPhone) found.push(byPhone);
      } catch {
        // not a phone number
      }
    }
    let after: { createdAt: number; id: string } | undefined;
    let scanned = 0;
    while (found.length < limit && scanned < SEARCH_SCAN_LIMIT) {
      const page = await this.#c.accounts.list({ limit: 500, after });
      if (page.length === 0) break;
      scanned += page.length;
      for (const account of page) {
        if (found.length >= limit) break;
        if (found.some((f) => f.id === account.id)) continue;
        if (q === '' || matches(account, q)) found.push(account);
      }
      const last = page.at(-1)!;
      after = { createdAt: last.createdAt, id: last.id };
    }
    return Promise.all(found.map((a) => this.#adminUser(a)));
  }

  async user(id: string): Promise<AdminUser> {
    return this.#adminUser(await this.#existing(id));
  }

  async setStatus(admin: Principal, id: string, status: 'active' | 'disabled'): Promise<AdminUser> {
    notSelf(admin, id, 'disable or enable');
    const account = await this.#change(admin, id, `user.${status === 'disabled' ? 'disable' : 'enable'}`, (a) => ({ ...a, status }));
    if (status === 'disabled') await this.#auth.signOutEverywhere(id, 'disabled');
    this.#c.guard.forgetAccount(id);
    return this.#adminUser(account);
  }

  async approve(admin: Principal, id: string): Promise<AdminUser> {
    const existing = await this.#existing(id);
    if (existing.status !== 'pending') throw new AccountError('BAD_REQUEST', 'this account is not waiting for approval');
    return this.#adminUser(await this.#change(admin, id, 'user.approve', (a) => ({ ...a, status: 'active' })));
  }

  async unlock(admin: Principal, id: string): Promise<AdminUser> {
    return this.#adminUser(await this.#change(admin, id, 'user.unlock', (a) => ({ ...a, lockedUntil: null })));
  }

  /** Sets a temporary password (returned once) and signs every device out. */
  async resetPassword(admin: Principal, id: string): Promise<{ user: AdminUser; temporaryPassword: string }> {
    notSelf(admin, id, 'reset the password of');
    const temporaryPassword = `${crypto.randomBytes(6).toString('base64url')}-${crypto.randomBytes(6).toString('base64url')}`;
    const hash = await this.#c.passwords.hash(temporaryPassword);
    const now = this.#c.now();
    const account = await this.#change(admin, id, 'user.reset-password', (a) => ({ ...a, lockedUntil: null, credentials: { ...a.credentials, passwordHash: hash, passwordChangedAt: now } }));
    await this.#auth.signOutEverywhere(id, 'password-reset');
    await this.#c.securityEvent('password.reset', id, { by: admin.accountId });
    return { user: await this.#adminUser(account), temporaryPassword };
  }

  async signOutEverywhere(admin: Principal, id: string): Promise<{ devices: number }> {
    notSelf(admin, id, 'sign out');
    await this.#existing(id);
    const devices = await this.#auth.signOutEverywhere(id, 'signed-out');
    await this.#c.audit.append({ actor: admin.accountId, action: 'user.sign-out-everywhere', target: id, details: { devices } });
    return { devices };
  }

  /** Deletes an account and everything stored with it (an expired guest's data stays until this). */
  async deleteUser(admin: Principal, id: string): Promise<void> {
    notSelf(admin, id, 'delete');
    await this.#existing(id);
    await this.#auth.signOutEverywhere(id, 'deleted');
    await this.#c.accounts.delete(id);
    await this.#c.audit.append({ actor: admin.accountId, action: 'user.delete', target: id, details: {} });
  }

  /**
   * An organisation's staff list, imported at once: one active account per
   * person, with a default Muster ID and no password (people sign in by
   * one-time code; the number counts as verified once a code has proved it).
   * Invalid numbers or nicknames, numbers other accounts have, and numbers
   * repeated in the list are skipped and returned. Stored CREATE_MANY_MAX
   * people a transaction, each batch recorded in the audit log with `actor`.
   */
  async importPeople(people: readonly PersonToImport[], actor = 'operator'): Promise<ImportResult> {
    const imported: ImportResult['imported'] = [];
    /** With each one's line in the list, to report them in its order. */
    const skipped: (ImportResult['skipped'][number] & { line: number })[] = [];
    /** Normalised number → its line. */
    const lineOf = new Map<string, number>();
    const now = this.#c.now();
    const accounts: StoredAccount[] = [];
    people.forEach((person, line) => {
      let phone: string;
      try {
        phone = this.#c.phones.normalise(person.phone);
      } catch {
        return void skipped.push({ phone: person.phone, reason: 'PHONE_INVALID', line });
      }
      const nickname = NicknameSchema.safeParse(person.nickname);
      if (!nickname.success) return void skipped.push({ phone: person.phone, reason: 'NICKNAME_INVALID', line });
      if (lineOf.has(phone)) return void skipped.push({ phone: person.phone, reason: 'PHONE_TAKEN', line });
      lineOf.set(phone, line);
      accounts.push({
        id: newId('u'),
        musterId: defaultMusterId(),
        role: 'user',
        status: 'active',
        createdAt: now,
        updatedAt: now,
        expiresAt: null,
        lockedUntil: null,
        profile: { phone, phoneVerified: false, nickname: nickname.data, gender: 'unspecified', region: '', signature: '', avatarVersion: null, musterIdChangedAt: null },
        credentials: {},
      });
    });
    for (let i = 0; i < accounts.length; i += CREATE_MANY_MAX) {
      const batch = accounts.slice(i, i + CREATE_MANY_MAX);
      const taken = new Set((await this.#createBatch(batch)).taken);
      const stored: StoredAccount[] = [];
      for (const account of batch) {
        const phone = account.profile.phone!;
        const line = lineOf.get(phone)!;
        if (taken.has(phone)) skipped.push({ phone: people[line]!.phone, reason: 'PHONE_TAKEN', line });
        else stored.push(account);
      }
      for (const a of stored) imported.push({ id: a.id, phone: a.profile.phone!, nickname: a.profile.nickname });
      if (stored.length > 0) await this.#c.audit.append({ actor, action: 'user.import', target: 'accounts', details: { count: stored.length, ids: stored.map((a) => a.id) } });
    }
    return { imported, skipped: skipped.sort((a, b) => a.line - b.line).map(({ line: _line, ...skip }) => skip) };
  }

  /** One batch of an import; a default Muster ID drawn twice (rare) fails the batch, which is drawn again. */
  async #createBatch(batch: StoredAccount[]): Promise<{ taken: string[] }> {
    for (let draw = 1; ; draw++) {
      try {
        return await this.#c.accounts.createMany(batch);
      } catch (error) {
        if (!(error instanceof AccountError && error.code === 'MUSTER_ID_TAKEN') || draw >= MUSTER_ID_DRAWS) throw error;
        for (const account of batch) account.musterId = defaultMusterId();
      }
    }
  }

  // ------------------------------------------------------------ guests

  /** One guest per name; each gets a single-use log-in link, shown only now. */
  async createGuests(admin: Principal, names: string[], expiresAt: number): Promise<CreatedGuest[]> {
    const now = this.#c.now();
    if (expiresAt <= now) throw new AccountError('BAD_REQUEST', 'a guest must expire in the future');
    const created: CreatedGuest[] = [];
    for (const nickname of names) {
      const account: StoredAccount = {
        id: newId('g'),
        musterId: null,
        role: 'guest',
        status: 'active',
        createdAt: now,
        updatedAt: now,
        expiresAt,
        lockedUntil: null,
        profile: { phone: null, phoneVerified: false, nickname, gender: 'unspecified', region: '', signature: '', avatarVersion: null, musterIdChangedAt: null },
        credentials: {},
      };
      await this.#c.accounts.create(account);
      const token = crypto.randomBytes(32).toString('base64url');
      await this.#c.links.create(token, account.id, 'guest', expiresAt, now);
      created.push({ user: await this.#profiles.userOf(account), link: `${this.#c.publicUrl}/guest#${token}` });
    }
    await this.#c.audit.append({ actor: admin.accountId, action: 'guest.create', target: 'guests', details: { count: created.length, expiresAt, ids: created.map((g) => g.user.id) } });
    return created;
  }

  // ------------------------------------------------------------ console views

  pendingCodes(): PendingCode[] {
    return this.#c.channel instanceof LogCodeChannel ? this.#c.channel.pending(this.#c.now()) : [];
  }

  /** Newest first, as the console shows them (`userId`: the account's id). */
  async securityEvents(options: { limit: number; accountId?: string }): Promise<{ id: string; at: number; userId: string | null; kind: SecurityEvent['kind']; details: Record<string, unknown> }[]> {
    return (await this.#c.events.list(options)).map(({ accountId, ...event }) => ({ ...event, userId: accountId }));
  }

  settings(): Promise<AccountSettings> {
    return this.#c.readSettings();
  }

  async updateSettings(admin: Principal, change: Partial<AccountSettings>): Promise<AccountSettings> {
    const next = { ...(await this.#c.readSettings()), ...change };
    await this.#c.writeSettings(next);
    await this.#c.audit.append({ actor: admin.accountId, action: 'settings.update', target: 'accounts', details: change });
    return next;
  }

  // ------------------------------------------------------------ helpers

  async #adminAccount(principal: Principal): Promise<StoredAccount> {
    const account = await this.#c.accounts.get(principal.accountId);
    if (!account || account.role !== 'admin' || principal.role !== 'admin') throw new AccountError('NOT_FOUND', 'no such API route');
    return account;
  }

  async #existing(id: string): Promise<StoredAccount> {
    const account = await this.#c.accounts.get(id);
    if (!account) throw new AccountError('NOT_FOUND', 'no such user');
    return account;
  }

  async #change(admin: Principal, id: string, action: string, change: (a: StoredAccount) => StoredAccount): Promise<StoredAccount> {
    const now = this.#c.now();
    const account = await this.#c.accounts.update(id, (a) => ({ ...change(a), updatedAt: now }));
    if (!account) throw new AccountError('NOT_FOUND', 'no such user');
    await this.#c.audit.append({ actor: admin.accountId, action, target: id, details: {} });
    return account;
  }

  async #adminUser(account: StoredAccount): Promise<AdminUser> {
    return { ...(await this.#profiles.userOf(account)), lockedUntil: account.lockedUntil, devices: await this.#c.sessions.countActive(account.id) };
  }

  #totp(account: StoredAccount, secret: string): TOTP {
    return new TOTP({ issuer: 'Muster', label: account.profile.phone ?? account.id, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
  }
}

/** An admin does not lock themselves out of the console from it: another admin (or the settings page) does that. */
function notSelf(admin: Principal, id: string, what: string): void {
  if (id === admin.accountId) throw new AccountError('BAD_REQUEST', `an admin cannot ${what} their own account from the console`);
}

function matches(account: StoredAccount, q: string): boolean {
  return (
    account.id.toLowerCase() === q ||
    account.profile.nickname.toLowerCase().includes(q) ||
    (account.musterId ?? '').includes(q) ||
    (account.profile.phone ?? '').includes(q.replace(/[\s-]/g, ''))
  );
}

