import crypto from 'node:crypto';
import type { Limit } from '@muster/kit/limits';
import { AccountError } from '../errors.ts';
import type { AccountErrorCode, CodePurpose, Device, SessionReply } from '../protocol.ts';
import type { StoredAccount } from '../store/AccountRepository.ts';
import { CREATE_MANY_SESSIONS_MAX, type DeviceInfo, type StoredSession } from '../store/SessionRepository.ts';
import { defaultMusterId, isExpired, newId, type AccountsContext } from './context.ts';
import { lastFour } from './phone.ts';
import type { Principal, Revocation } from './SessionGuard.ts';
import { RefreshTokens } from './TokenService.ts';
import type { Profiles } from './Profiles.ts';

export const CODE_TTL_MS = 5 * 60_000;
export const CODE_MAX_TRIES = 5;
/** Failed password log-ins for one account from one address before password log-in is locked. */
export const LOCKOUT_FAILURES = 10;
export const LOCKOUT_MS = 15 * 60_000;
/** How long after a refresh the refresh token it replaced may be presented again (a lost answer) and get the current pair: see Authenticator.refresh. */
export const REFRESH_RETRY_GRACE_MS = 60_000;

export interface ClientContext {
  /** The client's address (req.ip / the socket's), shown as the device's location. */
  address: string;
  /** A default device description from the User-Agent, when the body names none. */
  userAgent?: string;
}

export interface DeviceInput {
  name: string;
  platform: string;
}

/** A device signed in by `startSessions`: a log-in's tokens, without the profile. */
export interface StartedSession {
  accountId: string;
  deviceId: string;
  accessToken: string;
  accessTokenExpiresAt: number;
  refreshToken: string;
}

/** The refusals and limits, named, so tests and operators can reason about them. */
export interface AuthLimits {
  codesPerNumber: Limit;
  codesPerAddress: Limit;
  loginsPerAddress: Limit;
  signupsPerAddress: Limit;
  passwordFailures: Limit;
}

export function authLimits(context: AccountsContext): AuthLimits {
  const { limits } = context;
  return {
    // A person waits for a code and may ask again; five in 15 minutes is plenty, and bounds SMS cost.
    codesPerNumber: limits.rate({ name: 'auth-codes-number', points: 5, perSeconds: 15 * 60 }),
    codesPerAddress: limits.rate({ name: 'auth-codes-address', points: 20, perSeconds: 15 * 60 }),
    loginsPerAddress: limits.rate({ name: 'auth-logins-address', points: 60, perSeconds: 60 }),
    signupsPerAddress: limits.rate({ name: 'auth-signups-address', points: 20, perSeconds: 60 * 60 }),
    // The 10th failure is refused by the limit: that is when the account is locked.
    passwordFailures: limits.rate({ name: 'auth-password-failures', points: LOCKOUT_FAILURES - 1, perSeconds: LOCKOUT_MS / 1000 }),
  };
}

/**
 * Sign-up, log-in, one-time codes, refresh tokens and devices: the rules of
 * who may get tokens, and when a device stops having them.
 */
export class Authenticator {
  readonly #c: AccountsContext;
  readonly #limits: AuthLimits;
  readonly #profiles: Profiles;
  /** Lock-out notices go to the account's signed-in devices (the socket layer listens). */
  readonly #noticeListeners = new Set<(accountId: string, notice: { kind: 'password-locked'; until: number }) => void>();

  constructor(context: AccountsContext, profiles: Profiles) {
    this.#c = context;
    this.#limits = authLimits(context);
    this.#profiles = profiles;
  }

  onNotice(listener: (accountId: string, notice: { kind: 'password-locked'; until: number }) => void): () => void {
    this.#noticeListeners.add(listener);
    return () => this.#noticeListeners.delete(listener);
  }

  // ------------------------------------------------------------ codes

  async requestCode(phoneInput: string, purpose: CodePurpose, client: ClientContext): Promise<void> {
    const phone = this.#c.phones.normalise(phoneInput);
    await take(this.#limits.codesPerAddress, client.address, 'too many codes requested from this address');
    await take(this.#limits.codesPerNumber, phone, 'too many codes requested for this number');
    // Whether an account exists is not told here (204 either way): a code for
    // "login" to an unknown number is simply never sent, and "signup" to a
    // taken number neither; the next step answers precisely.
    const account = await this.#c.accounts.findByPhone(phone);
    const wanted = purpose === 'signup' ? account === null : account !== null && account.role !== 'guest';
    if (!wanted) {
      this.#c.logger.info({ purpose, phoneEnding: lastFour(phone) }, 'accounts: no code sent (no account for a log-in or reset, or the number is taken for a sign-up)');
      return;
    }
    const now = this.#c.now();
    const code = crypto.randomInt(0, 1_000_000).toString().padStart(6, '0');
    const expiresAt = now + CODE_TTL_MS;
    await this.#c.codes.put(phone, purpose, code, expiresAt, now);
    await this.#c.channel.deliver({ phone, code, purpose, expiresAt });
  }

  async #checkCode(phone: string, purpose: CodePurpose, code: string): Promise<void> {
    const result = await this.#c.codes.check(phone, purpose, code, this.#c.now(), CODE_MAX_TRIES);
    if (result.ok) return;
    if (result.reason === 'expired') throw new AccountError('CODE_EXPIRED', 'the code has expired; ask for a new one');
    if (result.reason === 'missing') throw new AccountError('CODE_INVALID', 'no code is waiting for this number; ask for one');
    if (result.left === 0) throw new AccountError('CODE_EXPIRED', 'too many wrong codes; ask for a new one');
    throw new AccountError('CODE_INVALID', `the code is not right (${result.left} ${result.left === 1 ? 'try' : 'tries'} left)`);
  }

  // ------------------------------------------------------------ sign-up

  /** Creates an account and signs its first device in; under the approval policy, no session until an admin approves. */
  async signup(
    input: { phone: string; password?: string; code?: string; nickname: string; device?: DeviceInput },
    client: ClientContext,
  ): Promise<{ account: StoredAccount; session: SessionReply | null }> {
    const phone = this.#c.phones.normalise(input.phone);
    await take(this.#limits.signupsPerAddress, client.address, 'too many sign-ups from this address');
    const policy = (await this.#c.readSettings()).signupPolicy;
    if (policy === 'code' && input.code === undefined) throw new AccountError('CODE_REQUIRED', 'sign-up needs the code sent to your phone');
    if (input.code === undefined && input.password === undefined) throw new AccountError('PASSWORD_REQUIRED', 'choose a password (or sign up with a code)');
    if (input.password !== undefined) this.#c.passwords.check(input.password, { phone, nickname: input.nickname });
    if (await this.#c.accounts.findByPhone(phone)) throw new AccountError('PHONE_TAKEN', 'an account with this phone number exists; log in instead');
    if (input.code !== undefined) await this.#checkCode(phone, 'signup', input.code);
    const now = this.#c.now();
    const account: StoredAccount = {
      id: newId('u'),
      musterId: defaultMusterId(),
      role: 'user',
      status: policy === 'approval' ? 'pending' : 'active',
      createdAt: now,
      updatedAt: now,
      expiresAt: null,
      lockedUntil: null,
      profile: {
        phone,
        phoneVerified: input.code !== undefined,
        nickname: input.nickname,
        gender: 'unspecified',
        region: '',
        signature: '',
        avatarVersion: null,
        musterIdChangedAt: null,
      },
      credentials: input.password === undefined ? {} : { passwordHash: await this.#c.passwords.hash(input.password), passwordChangedAt: now },
    };
    await this.#c.accounts.create(account);
    await this.#c.securityEvent('signup', account.id, { address: client.address, verified: account.profile.phoneVerified, status: account.status });
    if (account.status === 'pending') return { account, session: null };
    return { account, session: await this.#startSession(account, input.device, client) };
  }

  // ------------------------------------------------------------ log-in

  async login(input: { phone: string; password?: string; code?: string; device?: DeviceInput }, client: ClientContext): Promise<SessionReply> {
    await take(this.#limits.loginsPerAddress, client.address, 'too many log-ins from this address');
    let phone: string;
    try {
      phone = this.#c.phones.normalise(input.phone);
    } catch {
      // An invalid number has no account: the same answer as a wrong password.
      throw invalidCredentials();
    }
    const account = await this.#c.accounts.findByPhone(phone);
    if (input.code !== undefined) {
      if (!account) throw new AccountError('CODE_INVALID', 'no code is waiting for this number; ask for one');
      await this.#checkCode(phone, 'login', input.code);
      this.#assertMaySignIn(account);
      // A code proves the number: it is verified from now on.
      const verified = account.profile.phoneVerified
        ? account
        : ((await this.#c.accounts.update(account.id, (a) => ({ ...a, profile: { ...a.profile, phoneVerified: true } }))) ?? account);
      await this.#c.securityEvent('login', account.id, { address: client.address, method: 'code' });
      return this.#startSession(verified, input.device, client);
    }
    const password = input.password ?? '';
    if (!account || !account.credentials.passwordHash) {
      await this.#c.passwords.verifyNothing(password);
      throw invalidCredentials();
    }
    const now = this.#c.now();
    if (account.lockedUntil !== null && account.lockedUntil > now) throw locked(account.lockedUntil - now);
    if (!(await this.#c.passwords.verify(account.credentials.passwordHash, password))) {
      await this.#passwordFailed(account, client);
      throw invalidCredentials();
    }
    this.#assertMaySignIn(account);
    await this.#limits.passwordFailures.reset(`${account.id}|${client.address}`);
    await this.#c.securityEvent('login', account.id, { address: client.address, method: 'password' });
    return this.#startSession(account, input.device, client);
  }

  async #passwordFailed(account: StoredAccount, client: ClientContext): Promise<void> {
    // Never the password: only who, from where.
    this.#c.logger.warn({ accountId: account.id, address: client.address }, 'accounts: a password log-in failed');
    const verdict = await this.#limits.passwordFailures.take(`${account.id}|${client.address}`);
    await this.#c.securityEvent('login.failed', account.id, { address: client.address });
    if (verdict.allowed) return;
    const until = this.#c.now() + LOCKOUT_MS;
    await this.#c.accounts.update(account.id, (a) => ({ ...a, lockedUntil: until }));
    await this.#limits.passwordFailures.reset(`${account.id}|${client.address}`);
    await this.#c.securityEvent('login.locked', account.id, { address: client.address, until });
    this.#c.logger.warn({ accountId: account.id, address: client.address, until }, 'accounts: password log-in locked after repeated failures');
    for (const listener of this.#noticeListeners) listener(account.id, { kind: 'password-locked', until });
    throw locked(LOCKOUT_MS);
  }

  #assertMaySignIn(account: StoredAccount): void {
    if (account.status === 'disabled') throw new AccountError('ACCOUNT_DISABLED', 'this account is disabled; ask an administrator');
    if (account.status === 'pending') throw new AccountError('ACCOUNT_PENDING', 'this account waits for an administrator to approve it');
    if (isExpired(account, this.#c.now())) throw new AccountError('ACCOUNT_EXPIRED', 'this guest account has expired');
  }

  /** A guest's one-time link: it works once, before the guest account expires. */
  async guestLogin(token: string, device: DeviceInput | undefined, client: ClientContext): Promise<SessionReply> {
    await take(this.#limits.loginsPerAddress, client.address, 'too many log-ins from this address');
    const use = await this.#c.links.use(token, 'guest', this.#c.now());
    if (!use.ok) throw new AccountError('LINK_INVALID', use.reason === 'used' ? 'this link has been used; ask for a new one' : 'this link is not valid (or has expired)');
    const account = await this.#c.accounts.get(use.accountId);
    if (!account) throw new AccountError('LINK_INVALID', 'this link is not valid (or has expired)');
    this.#assertMaySignIn(account);
    await this.#c.securityEvent('guest.login', account.id, { address: client.address });
    return this.#startSession(account, device, client);
  }

  /** Signs a device in for an account that has just proved itself (also: an admin's set-up link). */
  async startSession(account: StoredAccount, device: DeviceInput | undefined, client: ClientContext): Promise<SessionReply> {
    return this.#startSession(account, device, client);
  }

  /**
   * Signs one new device in for each of these accounts at once (an operator
   * provisioning the devices of imported staff, kiosks, a load test's fleet):
   * the session and tokens a log-in gives, stored CREATE_MANY_SESSIONS_MAX a
   * transaction. Accounts that may not sign in now (unknown, disabled,
   * pending, an expired guest) get none and are returned apart. Each batch
   * is recorded in the audit log with `actor`.
   */
  async startSessions(
    accountIds: readonly string[],
    device: DeviceInput,
    client: ClientContext,
    actor = 'operator',
  ): Promise<{ started: StartedSession[]; refused: { accountId: string; reason: AccountErrorCode }[] }> {
    const started: StartedSession[] = [];
    const refused: { accountId: string; reason: AccountErrorCode }[] = [];
    const info: DeviceInfo = { ...device, address: client.address };
    for (let i = 0; i < accountIds.length; i += CREATE_MANY_SESSIONS_MAX) {
      const ids = accountIds.slice(i, i + CREATE_MANY_SESSIONS_MAX);
      const byId = new Map((await this.#c.accounts.getMany(ids)).map((a) => [a.id, a]));
      const now = this.#c.now();
      const batch: { account: StoredAccount; session: StoredSession }[] = [];
      for (const id of ids) {
        const account = byId.get(id);
        if (!account) {
          refused.push({ accountId: id, reason: 'NOT_FOUND' });
          continue;
        }
        try {
          this.#assertMaySignIn(account);
        } catch (error) {
          refused.push({ accountId: id, reason: (error as AccountError).code });
          continue;
        }
        batch.push({ account, session: newSession(account.id, info, now) });
      }
      await this.#c.sessions.createMany(batch.map((b) => b.session));
      if (batch.length > 0) await this.#c.audit.append({ actor, action: 'session.start-many', target: 'accounts', details: { count: batch.length, devices: batch.map((b) => b.session.id) } });
      for (const tokens of await Promise.all(batch.map(({ account, session }) => this.#tokensOf(account, session, now)))) started.push(tokens);
    }
    return { started, refused };
  }

  async #startSession(account: StoredAccount, device: DeviceInput | undefined, client: ClientContext): Promise<SessionReply> {
    const now = this.#c.now();
    const session = newSession(account.id, { ...(device ?? deviceFromUserAgent(client.userAgent)), address: client.address }, now);
    await this.#c.sessions.create(session);
    const { accountId: _accountId, ...tokens } = await this.#tokensOf(account, session, now);
    return { user: await this.#profiles.userOf(account), ...tokens };
  }

  /** A new session's first tokens: an access token, and the refresh token of generation 1. */
  async #tokensOf(account: StoredAccount, session: StoredSession, now: number): Promise<StartedSession> {
    const access = await this.#c.tokens.signAccess({ accountId: account.id, sessionId: session.id, role: account.role }, now);
    return { accountId: account.id, deviceId: session.id, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken: RefreshTokens.make(session.id, 1, session.secret) };
  }

  // ------------------------------------------------------------ refresh, log-out

  /**
   * A new token pair for the current refresh token. A refresh token that was
   * already used (an older generation of a real token) means two parties hold
   * it: the device is signed out, and both must log in again.
   *
   * Except for the one just replaced, within REFRESH_RETRY_GRACE_MS of its
   * rotation: that is a client whose answer was lost (a dropped connection,
   * a request it gave up waiting for on a busy server) asking again, and it
   * gets the current pair, the one it missed, instead of being signed out
   * (the reuse interval of token rotation, as Auth0 and Okta have it). A
   * thief racing the device inside that window shares the session until the
   * next rotation, when the loser presents an old token and the device is
   * signed out.
   */
  async refresh(refreshToken: string, client: ClientContext): Promise<SessionReply> {
    const parsed = RefreshTokens.parse(refreshToken);
    if (!parsed) throw invalidToken();
    const session = await this.#c.sessions.get(parsed.sessionId);
    if (!session || !RefreshTokens.authentic(parsed, session.secret)) throw invalidToken();
    if (session.revokedAt !== null) throw invalidToken();
    const now = this.#c.now();
    const retried = parsed.generation === session.generation - 1 && session.rotatedAt != null && now - session.rotatedAt <= REFRESH_RETRY_GRACE_MS;
    if (retried) return this.#renewed(session, session.generation);
    if (parsed.generation !== session.generation || !(await this.#c.sessions.advance(session.id, parsed.generation, now, client.address))) {
      await this.#revoke(session.accountId, [session.id], 'token-reused');
      await this.#c.securityEvent('token.reused', session.accountId, { address: client.address, device: session.id });
      this.#c.logger.warn({ accountId: session.accountId, device: session.id, address: client.address }, 'accounts: a refresh token was used twice; the device is signed out');
      throw new AccountError('UNAUTHORIZED', 'this refresh token was already used; the device has been signed out for safety');
    }
    return this.#renewed(session, parsed.generation + 1);
  }

  /** The token pair of a session at `generation` (its refresh token, and a new access token), if its account may still sign in. */
  async #renewed(session: StoredSession, generation: number): Promise<SessionReply> {
    const account = await this.#c.accounts.get(session.accountId);
    if (!account) throw invalidToken();
    try {
      this.#assertMaySignIn(account);
    } catch (error) {
      await this.#revoke(account.id, [session.id], account.status === 'disabled' ? 'disabled' : 'expired');
      throw error;
    }
    const access = await this.#c.tokens.signAccess({ accountId: account.id, sessionId: session.id, role: account.role }, this.#c.now());
    return {
      user: await this.#profiles.userOf(account),
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: RefreshTokens.make(session.id, generation, session.secret),
      deviceId: session.id,
    };
  }

  /** Signs out the device the principal speaks for (or the one a refresh token names, when that is all the client has). */
  async logout(principal: Principal | null, refreshToken?: string): Promise<void> {
    if (principal) {
      await this.#revoke(principal.accountId, [principal.sessionId], 'signed-out');
      return;
    }
    const parsed = refreshToken ? RefreshTokens.parse(refreshToken) : null;
    if (!parsed) throw invalidToken();
    const session = await this.#c.sessions.get(parsed.sessionId);
    if (!session || session.revokedAt !== null || !RefreshTokens.authentic(parsed, session.secret)) throw invalidToken();
    await this.#revoke(session.accountId, [session.id], 'signed-out');
  }

  // ------------------------------------------------------------ devices

  async devices(principal: Principal): Promise<Device[]> {
    const sessions = await this.#c.sessions.listActive(principal.accountId);
    return sessions.map((s) => ({
      id: s.id,
      name: s.device.name,
      platform: s.device.platform,
      location: s.device.address,
      lastSeenAt: s.lastSeenAt,
      createdAt: s.createdAt,
      current: s.id === principal.sessionId,
    }));
  }

  /** Signs out one of the principal's devices; another account's device is NOT_FOUND. */
  async signOutDevice(principal: Principal, deviceId: string): Promise<void> {
    const session = await this.#c.sessions.get(deviceId);
    if (!session || session.accountId !== principal.accountId || session.revokedAt !== null) throw new AccountError('NOT_FOUND', 'no such device');
    await this.#revoke(principal.accountId, [deviceId], 'signed-out');
    await this.#c.securityEvent('device.signed-out', principal.accountId, { device: deviceId, by: principal.sessionId });
  }

  async signOutOthers(principal: Principal): Promise<number> {
    const ids = await this.#c.sessions.revokeAll(principal.accountId, this.#c.now(), principal.sessionId);
    this.#c.guard.revoked({ accountId: principal.accountId, sessionIds: ids, reason: 'signed-out' });
    if (ids.length > 0) await this.#c.securityEvent('device.signed-out', principal.accountId, { devices: ids.length, by: principal.sessionId });
    return ids.length;
  }

  /** Signs out every device of an account (an admin, a reset, a disable). */
  async signOutEverywhere(accountId: string, reason: Revocation['reason']): Promise<number> {
    const ids = await this.#c.sessions.revokeAll(accountId, this.#c.now());
    this.#c.guard.revoked({ accountId, sessionIds: ids, reason });
    return ids.length;
  }

  async #revoke(accountId: string, sessionIds: string[], reason: Revocation['reason']): Promise<void> {
    const revoked: string[] = [];
    for (const id of sessionIds) if (await this.#c.sessions.revoke(id, this.#c.now())) revoked.push(id);
    this.#c.guard.revoked({ accountId, sessionIds: revoked, reason });
  }

  // ------------------------------------------------------------ passwords

  /** Reset by code: every device is signed out (whoever knew the old password is out). */
  async resetPassword(input: { phone: string; code: string; password: string }, client: ClientContext): Promise<void> {
    await take(this.#limits.loginsPerAddress, client.address, 'too many attempts from this address');
    const phone = this.#c.phones.normalise(input.phone);
    const account = await this.#c.accounts.findByPhone(phone);
    if (!account) throw new AccountError('CODE_INVALID', 'no code is waiting for this number; ask for one');
    this.#c.passwords.check(input.password, { phone, nickname: account.profile.nickname });
    await this.#checkCode(phone, 'reset', input.code);
    const hash = await this.#c.passwords.hash(input.password);
    const now = this.#c.now();
    await this.#c.accounts.update(account.id, (a) => ({
      ...a,
      lockedUntil: null,
      updatedAt: now,
      profile: { ...a.profile, phoneVerified: true },
      credentials: { ...a.credentials, passwordHash: hash, passwordChangedAt: now },
    }));
    await this.signOutEverywhere(account.id, 'password-reset');
    await this.#c.securityEvent('password.reset', account.id, { address: client.address });
  }

  /** Change while signed in: the current password is asked for when there is one; the other devices are signed out. */
  async changePassword(principal: Principal, input: { currentPassword?: string; password: string }, client: ClientContext): Promise<void> {
    const account = await this.#c.accounts.get(principal.accountId);
    if (!account) throw invalidToken();
    if (account.credentials.passwordHash) {
      if (input.currentPassword === undefined || !(await this.#c.passwords.verify(account.credentials.passwordHash, input.currentPassword))) {
        throw new AccountError('INVALID_CREDENTIALS', 'the current password is not right');
      }
    }
    this.#c.passwords.check(input.password, { phone: account.profile.phone, nickname: account.profile.nickname });
    const hash = await this.#c.passwords.hash(input.password);
    const now = this.#c.now();
    await this.#c.accounts.update(account.id, (a) => ({ ...a, updatedAt: now, credentials: { ...a.credentials, passwordHash: hash, passwordChangedAt: now } }));
    const others = await this.#c.sessions.revokeAll(account.id, now, principal.sessionId);
    this.#c.guard.revoked({ accountId: account.id, sessionIds: others, reason: 'password-changed' });
    await this.#c.securityEvent('password.changed', account.id, { address: client.address, devicesSignedOut: others.length });
  }
}

/** A device session at its first generation, with a fresh refresh secret. */
function newSession(accountId: string, device: DeviceInfo, now: number): StoredSession {
  return { id: newId('d'), accountId, createdAt: now, lastSeenAt: now, generation: 1, revokedAt: null, secret: RefreshTokens.newSecret(), device };
}

async function take(limit: Limit, key: string, what: string): Promise<void> {
  const verdict = await limit.take(key);
  if (!verdict.allowed) throw new AccountError('RATE_LIMITED', `${what}; try again in ${Math.ceil(verdict.retryAfterMs / 1000)} s`, verdict.retryAfterMs / 1000);
}

function invalidCredentials(): AccountError {
  return new AccountError('INVALID_CREDENTIALS', 'the phone number or password is not right');
}

function invalidToken(): AccountError {
  return new AccountError('UNAUTHORIZED', 'sign in again');
}

function locked(remainingMs: number): AccountError {
  const minutes = Math.max(1, Math.ceil(remainingMs / 60_000));
  return new AccountError('ACCOUNT_LOCKED', `too many wrong passwords: password log-in is locked for ${minutes} min; log in with a code instead`, remainingMs / 1000);
}

/** "Chrome on Windows" from a User-Agent, for devices that do not name themselves. */
export function deviceFromUserAgent(userAgent: string | undefined): DeviceInput {
  const ua = userAgent ?? '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  const name = browser && os ? `${browser} on ${os}` : browser ?? os ?? 'Unknown device';
  const platform = /Android|iPhone|iPad/.test(ua) ? 'mobile-web' : ua ? 'web' : 'api';
  return { name, platform };
}
