import { Emitter } from '@muster/kit/emitter';
import type { z } from 'zod';
import type {
  AccountErrorCode,
  AccountSettings,
  AdminUser,
  CodePurpose,
  CreatedGuestSchema,
  Device,
  PendingCodeSchema,
  PublicProfile,
  SecurityEventSchema,
  SessionReply,
  SignupPolicy,
  User,
} from '../protocol.ts';
import type { CreateMeetingInput, MyMeeting, MyMeetings } from './meetings.ts';
import type { Elevation, StoredSession, TokenStore } from './tokenStore.ts';

export type CreatedGuest = z.infer<typeof CreatedGuestSchema>;
export type SecurityEvent = z.infer<typeof SecurityEventSchema>;
export type PendingCode = z.infer<typeof PendingCodeSchema>;
export type ProfileChange = Partial<Pick<User, 'nickname' | 'gender' | 'region' | 'signature'>> & { musterId?: string };
export interface DeviceDescription {
  name: string;
  platform: string;
}

/**
 * Why the device is signed out: `logout` (this device asked, or another tab
 * did), `expired` (the refresh token is no longer accepted), or the server's
 * reason on the account socket (`signed-out`, `token-reused`, `disabled`,
 * `password-reset`, `password-changed`, `deleted`…).
 */
export type SignedOutReason = 'logout' | 'expired' | (string & {});

/** What the account socket tells a signed-in device (see watchAccount). */
export interface AccountNotice {
  kind: 'password-locked' | (string & {});
  until?: number;
}

export type AccountEvents = {
  signedIn: [User];
  signedOut: [SignedOutReason];
  /** The profile changed (an edit here, or a newer copy from a refresh). */
  userChanged: [User];
  elevationChanged: [Elevation | null];
  notice: [AccountNotice];
};

/** A refusal from the accounts API, with its stable code; `NETWORK` when the server could not be reached. */
export class AccountApiError extends Error {
  readonly code: AccountErrorCode | 'NETWORK';
  readonly status: number;
  /** RATE_LIMITED, ACCOUNT_LOCKED: seconds until a retry makes sense (the Retry-After header). */
  readonly retryAfterSeconds?: number;
  constructor(code: AccountApiError['code'], status: number, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'AccountApiError';
    this.code = code;
    this.status = status;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isAccountApiError(error: unknown, code?: AccountApiError['code']): error is AccountApiError {
  return error instanceof AccountApiError && (code === undefined || error.code === code);
}

export interface AccountClientOptions {
  store: TokenStore;
  /** The server's origin; the page's own when absent. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Sent with every log-in; the server names the device from its User-Agent when absent. */
  device?: DeviceDescription;
  /** Refresh this long before the access token expires (default 60 s). */
  refreshAheadMs?: number;
  /** Refresh on a timer ahead of expiry (default true); without it, only when a call needs a token. */
  autoRefresh?: boolean;
  now?: () => number;
}

export type SignupInput = { phone: string; nickname: string; password?: string; code?: string };
export type SignupResult = { status: 'signed-in'; user: User } | { status: 'pending'; user: User };
export type LoginInput = { phone: string; password: string } | { phone: string; code: string };

const API = '/api/v1';
/** A token this close to expiry is refreshed before use: it could expire on its way. */
const MIN_VALIDITY_MS = 15_000;
/** After a refresh that failed for want of a network, try again this much later. */
const RETRY_REFRESH_MS = 10_000;

type Auth = 'none' | 'user' | 'admin';
interface RequestSpec {
  auth: Auth;
  body?: unknown;
  /** A body sent as is (an image), with its Content-Type. */
  raw?: Blob | ArrayBuffer | Uint8Array;
  contentType?: string;
}

/**
 * The accounts API from a client's side: framework-free, for browsers and
 * Node. Signs up, logs in and out, keeps the token pair in a `TokenStore`,
 * and keeps the access token fresh: ahead of its expiry on a timer, and once
 * more when the server answers 401 UNAUTHORIZED.
 *
 * Refreshing is single-flight. A refresh token works once and presenting it
 * again signs the device out, so concurrent calls that all need a new token
 * share one refresh (and, across tabs, the store's `exclusive` lock makes
 * the others adopt the pair the first one got).
 *
 * The admin console's routes need the second factor: `elevate` gets an
 * access token that carries it, kept beside the ordinary one until it runs
 * out; the console calls use it.
 */
export class AccountClient extends Emitter<AccountEvents> {
  readonly #store: TokenStore;
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #device?: DeviceDescription;
  readonly #refreshAheadMs: number;
  readonly #autoRefresh: boolean;
  readonly #now: () => number;
  #session: StoredSession | null;
  #refreshing: Promise<StoredSession | null> | null = null;
  #timer?: ReturnType<typeof setTimeout>;
  #unsubscribe?: () => void;

  constructor(options: AccountClientOptions) {
    super();
    this.#store = options.store;
    this.#base = (options.baseUrl ?? '').replace(/\/+$/, '') + API;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#device = options.device;
    this.#refreshAheadMs = options.refreshAheadMs ?? 60_000;
    this.#autoRefresh = options.autoRefresh ?? true;
    this.#now = options.now ?? Date.now;
    this.#session = this.#store.load();
    this.#unsubscribe = this.#store.subscribe?.((session) => this.#adopt(session));
    this.#schedule();
  }

  // ---------------------------------------------------------------- state

  get user(): User | null {
    return this.#session?.user ?? null;
  }

  get signedIn(): boolean {
    return this.#session !== null;
  }

  /** The device this browser is signed in as (its id in the device list). */
  get deviceId(): string | null {
    return this.#session?.deviceId ?? null;
  }

  /** The console's second factor, while it lasts. */
  get elevation(): Elevation | null {
    const e = this.#session?.elevation;
    if (!e) return null;
    const now = this.#now();
    return e.elevatedUntil > now && e.accessTokenExpiresAt - MIN_VALIDITY_MS > now ? e : null;
  }

  /** Stops the refresh timer and the store subscription (the client is not used any more). */
  close(): void {
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
  }

  /**
   * A valid access token, refreshed first when it is about to expire; null
   * when signed out. For sockets: `auth: (cb) => client.accessToken().then((t) => cb({ accessToken: t }))`.
   */
  async accessToken(): Promise<string | null> {
    const session = this.#session;
    if (!session) return null;
    if (session.accessTokenExpiresAt - this.#now() > MIN_VALIDITY_MS) return session.accessToken;
    try {
      return (await this.refresh())?.accessToken ?? null;
    } catch (error) {
      // No network: the old token may still have seconds left; the caller's request decides.
      if (session.accessTokenExpiresAt > this.#now() && this.#session === session) return session.accessToken;
      throw error;
    }
  }

  /**
   * A new token pair, once for everyone asking at the same time. Resolves
   * null when the server no longer accepts the refresh token (the device is
   * then signed out: `signedOut` 'expired'); rejects when the server could
   * not be reached (the session is kept, and tried again later).
   */
  refresh(): Promise<StoredSession | null> {
    this.#refreshing ??= this.#refreshOnce().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #refreshOnce(): Promise<StoredSession | null> {
    const held = this.#session;
    if (!held) return null;
    const run = async (): Promise<StoredSession | null> => {
      // Another tab may have refreshed while this one waited: its pair is in the store, and ours is spent.
      const stored = this.#store.load();
      if (!stored || stored.deviceId !== held.deviceId) {
        this.#adopt(stored);
        return stored;
      }
      if (stored.refreshToken !== held.refreshToken && stored.accessTokenExpiresAt - this.#now() > MIN_VALIDITY_MS) {
        this.#adopt(stored);
        return stored;
      }
      let res: Response;
      try {
        res = await this.#send('POST', '/auth/refresh', { auth: 'none', body: { refreshToken: stored.refreshToken } }, null);
      } catch (error) {
        this.#schedule(RETRY_REFRESH_MS);
        throw error;
      }
      if (res.status === 401 || res.status === 403) {
        // Spent, revoked, or the account was disabled: this device is signed out.
        this.#end('expired');
        return null;
      }
      if (!res.ok) {
        this.#schedule(RETRY_REFRESH_MS);
        throw await errorOf(res);
      }
      const reply = (await res.json()) as SessionReply;
      if (this.#session?.deviceId !== held.deviceId) return this.#session;
      const next = { ...toStored(reply), elevation: this.#session?.elevation ?? null };
      this.#set(next);
      return next;
    };
    return this.#store.exclusive ? this.#store.exclusive(run) : run();
  }

  // ---------------------------------------------------------------- signing in and out

  /** What sign-up needs here: a code, a password alone, or an admin's approval (public). */
  async signupPolicy(): Promise<SignupPolicy> {
    return (await this.#call<{ signupPolicy: SignupPolicy }>('GET', '/auth/policy', { auth: 'none' })).signupPolicy;
  }

  /** Asks for a one-time code by SMS (or the server's log channel). */
  async requestCode(phone: string, purpose: CodePurpose): Promise<void> {
    await this.#call('POST', '/auth/codes', { auth: 'none', body: { phone, purpose } });
  }

  /**
   * Creates an account. Under the "approval" sign-up policy the server makes
   * it and signs nobody in: the result is `pending` until an admin approves.
   */
  async signup(input: SignupInput): Promise<SignupResult> {
    const res = await this.#send('POST', '/auth/signup', { auth: 'none', body: this.#withDevice(input) }, null);
    if (!res.ok) throw await errorOf(res);
    if (res.status === 202) return { status: 'pending', user: ((await res.json()) as { user: User }).user };
    const user = this.#start((await res.json()) as SessionReply);
    return { status: 'signed-in', user };
  }

  async login(input: LoginInput): Promise<User> {
    return this.#start(await this.#call<SessionReply>('POST', '/auth/login', { auth: 'none', body: this.#withDevice(input) }));
  }

  /** A guest's one-time link (`/guest#<token>`). */
  async guestLogin(token: string): Promise<User> {
    return this.#start(await this.#call<SessionReply>('POST', '/auth/guest', { auth: 'none', body: this.#withDevice({ token }) }));
  }

  /** Resets the password with a code sent to the phone; every device is signed out, so log in afterwards. */
  async resetPassword(input: { phone: string; code: string; password: string }): Promise<void> {
    await this.#call('POST', '/auth/password-reset', { auth: 'none', body: input });
  }

  /**
   * Signs this device out: on the server when it can be reached, and here in
   * any case (a device that cannot reach the server still forgets its tokens).
   */
  async logout(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    // Forgotten here first: the server's "signed out" on the account socket, which can beat the
    // HTTP reply, must not read as another device having done it.
    this.#end('logout');
    // The refresh token names the device even when the access token has expired.
    const fresh = session.accessTokenExpiresAt > this.#now();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (fresh) headers.authorization = `Bearer ${session.accessToken}`;
    try {
      await this.#fetch(this.#base + '/auth/logout', { method: 'POST', headers, body: JSON.stringify(fresh ? {} : { refreshToken: session.refreshToken }) });
    } catch {
      // Offline: forgetting the tokens here is what matters to this device.
    }
  }

  /**
   * The server signed this device out (the account socket said so, or a
   * request was refused after a refresh): forget the tokens and tell listeners.
   */
  signedOutByServer(reason: SignedOutReason): void {
    this.#end(reason);
  }

  /** A notice from the account socket, passed on to listeners (see watchAccount). */
  notify(notice: AccountNotice): void {
    this.emit('notice', notice);
  }

  // ---------------------------------------------------------------- the signed-in person

  /** Re-reads the profile (and tells listeners when it changed). */
  async me(): Promise<User> {
    return this.#setUser(await this.#call<User>('GET', '/me', { auth: 'user' }));
  }

  async updateProfile(change: ProfileChange): Promise<User> {
    return this.#setUser(await this.#call<User>('PATCH', '/me', { auth: 'user', body: change }));
  }

  /** Uploads an avatar image (JPEG, PNG, WebP…; the server makes the 64 and 256 px versions). */
  async uploadAvatar(image: Blob | ArrayBuffer | Uint8Array, contentType?: string): Promise<User> {
    const type = contentType ?? ((image as Blob).type || 'application/octet-stream');
    return this.#setUser(await this.#call<User>('PUT', '/me/avatar', { auth: 'user', raw: image, contentType: type }));
  }

  /** Changes the password; the server signs out every other device. */
  async changePassword(input: { currentPassword?: string; password: string }): Promise<void> {
    await this.#call('PUT', '/me/password', { auth: 'user', body: input });
    const user = this.user;
    if (user && !user.hasPassword) this.#setUser({ ...user, hasPassword: true });
  }

  devices(): Promise<Device[]> {
    return this.#call<Device[]>('GET', '/me/devices', { auth: 'user' });
  }

  async signOutDevice(id: string): Promise<void> {
    if (id === this.deviceId) return this.logout();
    await this.#call('DELETE', `/me/devices/${encodeURIComponent(id)}`, { auth: 'user' });
  }

  async signOutOthers(): Promise<number> {
    return (await this.#call<{ signedOut: number }>('POST', '/me/devices/sign-out-others', { auth: 'user', body: {} })).signedOut;
  }

  publicProfile(id: string): Promise<PublicProfile> {
    return this.#call<PublicProfile>('GET', `/users/${encodeURIComponent(id)}`, { auth: 'user' });
  }

  // ---------------------------------------------------------------- my meetings

  myMeetings(): Promise<MyMeetings> {
    return this.#call<MyMeetings>('GET', '/me/meetings', { auth: 'user' });
  }

  createMeeting(input: CreateMeetingInput): Promise<MyMeeting> {
    return this.#call<MyMeeting>('POST', '/me/meetings', { auth: 'user', body: input });
  }

  renameMeeting(id: string, topic: string): Promise<MyMeeting> {
    return this.#call<MyMeeting>('PATCH', `/me/meetings/${encodeURIComponent(id)}`, { auth: 'user', body: { topic } });
  }

  async deleteMeeting(id: string): Promise<void> {
    await this.#call('DELETE', `/me/meetings/${encodeURIComponent(id)}`, { auth: 'user' });
  }

  // ---------------------------------------------------------------- admin

  /** The set-up link of `npm run admin -- create-admin` (`/admin/setup#<token>`): signs the admin in. */
  async adminSetup(input: { token: string; password: string; nickname?: string; consolePassword?: string; enableTotp?: boolean }): Promise<{ user: User; totp?: { secret: string; uri: string } }> {
    const reply = await this.#call<SessionReply & { totp?: { secret: string; uri: string } }>('POST', '/admin/setup', { auth: 'none', body: input });
    const { totp, ...session } = reply;
    const user = this.#start(session);
    return totp ? { user, totp } : { user };
  }

  /** The console's second factor: a TOTP code or the console password. */
  async elevate(factor: { totp: string } | { consolePassword: string }): Promise<Elevation> {
    const reply = await this.#call<Elevation>('POST', '/admin/elevate', { auth: 'user', body: factor });
    const elevation: Elevation = { accessToken: reply.accessToken, accessTokenExpiresAt: reply.accessTokenExpiresAt, elevatedUntil: reply.elevatedUntil };
    if (this.#session) this.#set({ ...this.#session, elevation });
    this.emit('elevationChanged', elevation);
    return elevation;
  }

  /** Ends the console's second factor on this device (the ordinary token stays). */
  dropElevation(): void {
    if (!this.#session?.elevation) return;
    this.#set({ ...this.#session, elevation: null });
    this.emit('elevationChanged', null);
  }

  readonly admin = {
    users: (q = ''): Promise<AdminUser[]> => this.#call('GET', `/admin/users${q ? `?q=${encodeURIComponent(q)}` : ''}`, { auth: 'admin' }),
    user: (id: string): Promise<AdminUser> => this.#call('GET', `/admin/users/${encodeURIComponent(id)}`, { auth: 'admin' }),
    disable: (id: string): Promise<AdminUser> => this.#userAction(id, 'disable'),
    enable: (id: string): Promise<AdminUser> => this.#userAction(id, 'enable'),
    approve: (id: string): Promise<AdminUser> => this.#userAction(id, 'approve'),
    unlock: (id: string): Promise<AdminUser> => this.#userAction(id, 'unlock'),
    /** A temporary password, shown once: the person logs in with it and chooses their own. */
    resetPassword: (id: string): Promise<{ user: AdminUser; temporaryPassword: string }> => this.#userAction(id, 'reset-password'),
    signOut: (id: string): Promise<{ devices: number }> => this.#userAction(id, 'sign-out'),
    deleteUser: async (id: string): Promise<void> => {
      await this.#call('DELETE', `/admin/users/${encodeURIComponent(id)}`, { auth: 'admin' });
    },
    /** One guest, a list, or a CSV (first column the name); the links are shown only in this reply. */
    createGuests: (input: ({ nickname: string } | { nicknames: string[] } | { csv: string }) & { expiresAt: number }): Promise<CreatedGuest[]> =>
      this.#call('POST', '/admin/guests', { auth: 'admin', body: input }),
    codes: (): Promise<PendingCode[]> => this.#call('GET', '/admin/codes', { auth: 'admin' }),
    securityEvents: (options: { limit?: number; user?: string } = {}): Promise<SecurityEvent[]> => {
      const query = new URLSearchParams();
      if (options.limit !== undefined) query.set('limit', String(options.limit));
      if (options.user) query.set('user', options.user);
      const qs = query.toString();
      return this.#call('GET', `/admin/security-events${qs ? `?${qs}` : ''}`, { auth: 'admin' });
    },
    settings: (): Promise<AccountSettings> => this.#call('GET', '/admin/settings', { auth: 'admin' }),
    /**
     * `fetch` with the console's elevated token, for the console routes of
     * other packages (IM's `/admin/im/…`), with the same refusal rules as
     * the methods here (a lapsed factor: SECOND_FACTOR_REQUIRED from the server).
     */
    fetch: (path: string, init: RequestInit = {}): Promise<Response> => {
      const headers = new Headers(init.headers);
      return this.#authorized('admin', (token) => {
        headers.set('authorization', `Bearer ${token}`);
        return this.#fetch(this.#base + path, { ...init, headers });
      });
    },
    updateSettings: (change: Partial<AccountSettings>): Promise<AccountSettings> => this.#call('PATCH', '/admin/settings', { auth: 'admin', body: change }),
  };

  #userAction<T>(id: string, action: string): Promise<T> {
    return this.#call<T>('POST', `/admin/users/${encodeURIComponent(id)}/${action}`, { auth: 'admin', body: {} });
  }

  // ---------------------------------------------------------------- requests

  /**
   * `fetch` with this device's access token, for routes this client has no
   * method for (`path` below /api/v1, e.g. `/me/meetings`). Refreshes the
   * token first when it is about to expire, and once more on a 401
   * UNAUTHORIZED; after that a 401 means the device was signed out.
   */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    return this.#authorized('user', (token) => {
      headers.set('authorization', `Bearer ${token}`);
      return this.#fetch(this.#base + path, { ...init, headers });
    });
  }

  async #call<T = void>(method: string, path: string, spec: RequestSpec): Promise<T> {
    const res = spec.auth === 'none' ? await this.#send(method, path, spec, null) : await this.#authorized(spec.auth, (token) => this.#send(method, path, spec, token));
    if (!res.ok) throw await errorOf(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** Sends with a valid token (the console's elevated one for `admin`), once more after a refresh if the token is refused. */
  async #authorized(auth: Exclude<Auth, 'none'>, send: (token: string) => Promise<Response>): Promise<Response> {
    const elevation = auth === 'admin' ? this.elevation : null;
    if (elevation) {
      const res = await send(elevation.accessToken);
      if (!(await isTokenRefusal(res))) return res;
      // The elevated token was refused (revoked, or its 15 minutes ran out on the way): ask for the factor again.
      this.dropElevation();
    }
    const token = await this.accessToken();
    if (!token) throw new AccountApiError('UNAUTHORIZED', 401, 'sign in first');
    const res = await send(token);
    if (!(await isTokenRefusal(res))) return res;
    // Another call may have refreshed while this one was out: use its token rather than refreshing again.
    const current = this.#session;
    const next = current && current.accessToken !== token ? current : await this.refresh();
    if (!next) return res;
    const again = await send(next.accessToken);
    if (await isTokenRefusal(again)) this.#end('signed-out');
    return again;
  }

  async #send(method: string, path: string, spec: RequestSpec, token: string | null): Promise<Response> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (spec.raw !== undefined) {
      headers['content-type'] = spec.contentType ?? 'application/octet-stream';
      body = spec.raw as BodyInit;
    } else if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.body);
    }
    try {
      return await this.#fetch(this.#base + path, { method, headers, body });
    } catch (error) {
      throw new AccountApiError('NETWORK', 0, `could not reach the server (${(error as Error)?.message ?? error})`);
    }
  }

  #withDevice<T extends object>(body: T): T & { device?: DeviceDescription } {
    return this.#device ? { ...body, device: this.#device } : body;
  }

  // ---------------------------------------------------------------- session bookkeeping

  #start(reply: SessionReply): User {
    const was = this.#session;
    this.#set({ ...toStored(reply), elevation: null });
    if (was && was.deviceId !== reply.deviceId) this.emit('signedOut', 'logout');
    this.emit('signedIn', reply.user);
    return reply.user;
  }

  #setUser(user: User): User {
    const session = this.#session;
    if (session) {
      this.#session = { ...session, user };
      this.#store.save(this.#session);
    }
    this.emit('userChanged', user);
    return user;
  }

  #set(session: StoredSession | null): void {
    const previous = this.#session;
    this.#session = session;
    this.#store.save(session);
    this.#schedule();
    if (session && previous && previous.deviceId === session.deviceId && JSON.stringify(previous.user) !== JSON.stringify(session.user)) this.emit('userChanged', session.user);
  }

  #end(reason: SignedOutReason): void {
    if (!this.#session) return;
    this.#session = null;
    this.#store.save(null);
    clearTimeout(this.#timer);
    this.emit('signedOut', reason);
  }

  /** The store changed under us (another tab logged in, refreshed or logged out). */
  #adopt(session: StoredSession | null): void {
    const previous = this.#session;
    if (session === null) {
      if (!previous) return;
      this.#session = null;
      clearTimeout(this.#timer);
      this.emit('signedOut', 'logout');
      return;
    }
    this.#session = session;
    this.#schedule();
    if (!previous || previous.deviceId !== session.deviceId) {
      if (previous) this.emit('signedOut', 'logout');
      this.emit('signedIn', session.user);
    } else if (JSON.stringify(previous.user) !== JSON.stringify(session.user)) this.emit('userChanged', session.user);
  }

  #schedule(delayMs?: number): void {
    clearTimeout(this.#timer);
    const session = this.#session;
    if (!session || !this.#autoRefresh) return;
    const wait = delayMs ?? Math.max(1_000, session.accessTokenExpiresAt - this.#refreshAheadMs - this.#now());
    this.#timer = setTimeout(() => {
      void this.refresh().catch(() => undefined);
    }, wait);
    // In Node, a pending refresh must not keep the process alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}

function toStored(reply: SessionReply): StoredSession {
  return { user: reply.user, accessToken: reply.accessToken, accessTokenExpiresAt: reply.accessTokenExpiresAt, refreshToken: reply.refreshToken, deviceId: reply.deviceId };
}

/** A 401 about the token itself (not, say, a wrong current password, which is also a 401). */
async function isTokenRefusal(res: Response): Promise<boolean> {
  if (res.status !== 401) return false;
  const body = (await res
    .clone()
    .json()
    .catch(() => null)) as { error?: { code?: string } } | null;
  return body?.error?.code === 'UNAUTHORIZED' || body === null;
}

/** The coded error of a reply that is not 2xx. */
export async function errorOf(res: Response): Promise<AccountApiError> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: AccountErrorCode; message?: string } } | null;
  const retry = Number(res.headers.get('retry-after'));
  return new AccountApiError(body?.error?.code ?? (res.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), res.status, body?.error?.message ?? `${res.status} ${res.statusText}`, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}
