/**
 * The account SDK's own logic against a fake server (a `fetch` that answers
 * like the accounts routes): token keeping, single-flight refresh (in one
 * client and across clients sharing a store), the 401 rules, the console's
 * elevated token, sign-out. The real server is covered by e2e/src/accounts.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionReply, User } from '../protocol.ts';
import { AccountApiError, AccountClient } from './AccountClient.ts';
import { watchAccount, type AccountSocketOptions } from './accountSocket.ts';
import { MemoryTokenStore, type StoredSession, type TokenStore } from './tokenStore.ts';

const T0 = 1_700_000_000_000;
const TTL = 15 * 60_000;

function user(over: Partial<User> = {}): User {
  return {
    id: 'u-ada-000001',
    nickname: 'Ada',
    avatar: null,
    musterId: 'ada_l',
    phone: '+8613800000001',
    phoneVerified: true,
    role: 'user',
    status: 'active',
    gender: 'unspecified',
    region: '',
    signature: '',
    createdAt: T0,
    expiresAt: null,
    musterIdChangeableAt: null,
    hasPassword: true,
    ...over,
  };
}

interface Call {
  method: string;
  path: string;
  auth: string | null;
  body: unknown;
}

/**
 * The accounts routes, as far as the client's logic goes: refresh tokens
 * are single use (a reuse signs the device out, as on the server), access
 * tokens are `a<generation>` and expire on the fake clock.
 */
class FakeServer {
  now = T0;
  generation = 0;
  revoked = false;
  calls: Call[] = [];
  /** Refresh requests answered (whatever the outcome). */
  refreshes = 0;
  offline = false;
  elevated: string | null = null;
  /** Held replies: a refresh waits here while a test makes other calls. */
  gate: Promise<void> | null = null;
  signupStatus = 201;
  profile = user();

  session(): SessionReply {
    this.generation++;
    return { user: this.profile, accessToken: `a${this.generation}`, refreshToken: `r${this.generation}`, accessTokenExpiresAt: this.now + TTL, deviceId: 'd-laptop-01' };
  }

  tokenValid(token: string | null): boolean {
    if (!token || this.revoked) return false;
    if (token === this.elevated) return true;
    return token === `a${this.generation}` && this.expiresAt > this.now;
  }

  expiresAt = T0 + TTL;

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    if (this.offline) throw new TypeError('fetch failed');
    const url = new URL(String(input), 'http://muster.test');
    const path = url.pathname.replace(/^\/api\/v1/, '');
    const headers = new Headers(init.headers);
    const auth = headers.get('authorization')?.replace(/^Bearer /, '') ?? null;
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : init.body;
    const method = init.method ?? 'GET';
    this.calls.push({ method, path, auth, body });
    const json = (status: number, value: unknown, extra: Record<string, string> = {}) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json', ...extra } });
    const error = (status: number, code: string, extra?: Record<string, string>) => json(status, { error: { code, message: code.toLowerCase() } }, extra);

    if (path === '/auth/login' || path === '/auth/guest' || path === '/admin/setup') {
      this.revoked = false;
      const s = this.session();
      this.expiresAt = s.accessTokenExpiresAt;
      return json(path === '/admin/setup' ? 201 : 200, path === '/admin/setup' ? { ...s, totp: { secret: 'S', uri: 'otpauth://x' } } : s);
    }
    if (path === '/auth/signup') {
      if (this.signupStatus === 202) return json(202, { user: { ...this.profile, status: 'pending' } });
      const s = this.session();
      this.expiresAt = s.accessTokenExpiresAt;
      return json(201, s);
    }
    if (path === '/auth/codes') return new Response(null, { status: 204 });
    if (path === '/auth/refresh') {
      this.refreshes++;
      if (this.gate) await this.gate;
      const presented = (body as { refreshToken: string }).refreshToken;
      if (this.revoked || presented !== `r${this.generation}`) {
        // A spent token: the real server signs the device out.
        this.revoked = true;
        return error(401, 'UNAUTHORIZED');
      }
      const s = this.session();
      this.expiresAt = s.accessTokenExpiresAt;
      return json(200, s);
    }
    if (path === '/auth/logout') return new Response(null, { status: 204 });
    if (path.startsWith('/admin/')) {
      if (!this.tokenValid(auth)) return error(401, 'UNAUTHORIZED');
      if (path === '/admin/elevate') {
        this.elevated = `e${this.generation}`;
        return json(200, { accessToken: this.elevated, accessTokenExpiresAt: this.now + TTL, elevatedUntil: this.now + 2 * TTL });
      }
      if (auth !== this.elevated) return error(403, 'SECOND_FACTOR_REQUIRED');
      return json(200, []);
    }
    if (!this.tokenValid(auth)) return error(401, 'UNAUTHORIZED', { 'www-authenticate': 'Bearer' });
    if (path === '/me' && method === 'GET') return json(200, this.profile);
    if (path === '/me' && method === 'PATCH') {
      this.profile = { ...this.profile, ...(body as object) };
      return json(200, this.profile);
    }
    if (path === '/me/password') return (body as { currentPassword?: string }).currentPassword === 'right-one-123' ? new Response(null, { status: 204 }) : error(401, 'INVALID_CREDENTIALS');
    if (path === '/me/avatar') return json(200, { ...this.profile, avatar: { small: '/s.webp', large: '/l.webp' } });
    if (path === '/me/devices') return json(200, [{ id: 'd-laptop-01', name: 'Laptop', platform: 'web', lastSeenAt: this.now, createdAt: T0, location: '10.0.0.2', current: true }]);
    if (path === '/me/meetings') return json(200, { scheduled: [], recent: [], recordings: [] });
    return error(404, 'NOT_FOUND');
  };

  count(path: string): number {
    return this.calls.filter((c) => c.path === path).length;
  }
}

function clientOf(server: FakeServer, store: TokenStore = new MemoryTokenStore()) {
  return new AccountClient({ store, fetch: server.fetch as typeof fetch, now: () => server.now, autoRefresh: false });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('AccountClient', () => {
  it('logs in, keeps the pair in its store, and calls the API with the access token', async () => {
    const server = new FakeServer();
    const store = new MemoryTokenStore();
    const client = clientOf(server, store);
    const seen: string[] = [];
    client.on('signedIn', (u) => seen.push(`in:${u.nickname}`));
    await client.login({ phone: '+86 138 0000 0001', password: 'right-one-123' });
    expect(seen).toEqual(['in:Ada']);
    expect(client.signedIn).toBe(true);
    expect(store.load()).toMatchObject({ accessToken: 'a1', refreshToken: 'r1', deviceId: 'd-laptop-01' });
    expect((await client.me()).nickname).toBe('Ada');
    expect(server.calls.at(-1)).toMatchObject({ path: '/me', auth: 'a1' });
    // The authorized fetch, for routes without a method of their own.
    const res = await client.fetch('/me/meetings', { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(server.calls.at(-1)).toMatchObject({ path: '/me/meetings', auth: 'a1' });
    // A client made later from the same store is signed in without asking the server.
    const again = clientOf(server, store);
    expect(again.user?.id).toBe('u-ada-000001');
  });

  it('two calls with an expired token share one refresh (a second would present a spent token)', async () => {
    const server = new FakeServer();
    const client = clientOf(server);
    await client.login({ phone: '1', password: 'right-one-123' });
    server.now += TTL + 1;
    const [a, b, c] = await Promise.all([client.me(), client.devices(), client.myMeetings()]);
    expect(a.nickname).toBe('Ada');
    expect(b).toHaveLength(1);
    expect(c.recent).toEqual([]);
    expect(server.refreshes).toBe(1);
    expect(server.revoked).toBe(false);
    expect(server.calls.filter((call) => call.path !== '/auth/login' && call.path !== '/auth/refresh').every((call) => call.auth === 'a2')).toBe(true);
  });

  it('a 401 UNAUTHORIZED refreshes once and retries; concurrent 401s still refresh once', async () => {
    const server = new FakeServer();
    const client = clientOf(server);
    await client.login({ phone: '1', password: 'right-one-123' });
    // The server stopped accepting a1 early (its clock runs ahead of ours).
    server.expiresAt = server.now - 1;
    let release!: () => void;
    server.gate = new Promise((r) => (release = r));
    const both = Promise.all([client.me(), client.devices()]);
    await vi.waitFor(() => expect(server.refreshes).toBe(1));
    release();
    server.gate = null;
    const [me, devices] = await both;
    expect(me.id).toBe('u-ada-000001');
    expect(devices[0]!.current).toBe(true);
    expect(server.refreshes).toBe(1);
    expect(client.signedIn).toBe(true);
  });

  it('a 401 about something else (a wrong current password) is the caller’s error, not a refresh', async () => {
    const server = new FakeServer();
    const client = clientOf(server);
    await client.login({ phone: '1', password: 'right-one-123' });
    await expect(client.changePassword({ currentPassword: 'wrong-one-456', password: 'new-password-789' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS', status: 401 });
    expect(server.refreshes).toBe(0);
    expect(client.signedIn).toBe(true);
    await client.changePassword({ currentPassword: 'right-one-123', password: 'new-password-789' });
  });

  it('signs out when the refresh token is refused, and when a fresh token is refused too', async () => {
    const server = new FakeServer();
    const store = new MemoryTokenStore();
    const client = clientOf(server, store);
    const reasons: string[] = [];
    client.on('signedOut', (reason) => reasons.push(reason));
    await client.login({ phone: '1', password: 'right-one-123' });
    server.revoked = true;
    await expect(client.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(reasons).toEqual(['expired']);
    expect(client.signedIn).toBe(false);
    expect(store.load()).toBeNull();
    await expect(client.me()).rejects.toBeInstanceOf(AccountApiError);
    expect(server.refreshes).toBe(1);
  });

  it('keeps the session when the server cannot be reached for a refresh', async () => {
    const server = new FakeServer();
    const client = clientOf(server);
    await client.login({ phone: '1', password: 'right-one-123' });
    server.now += TTL + 1;
    server.offline = true;
    await expect(client.me()).rejects.toMatchObject({ code: 'NETWORK' });
    expect(client.signedIn).toBe(true);
    server.offline = false;
    expect((await client.me()).nickname).toBe('Ada');
    expect(server.refreshes).toBe(1);
  });

  it('clients sharing a store (tabs) refresh once between them: the other adopts the new pair', async () => {
    const server = new FakeServer();
    const store = new LockingStore();
    const first = clientOf(server, store);
    await first.login({ phone: '1', password: 'right-one-123' });
    const second = clientOf(server, store);
    server.now += TTL + 1;
    const [a, b] = await Promise.all([first.accessToken(), second.accessToken()]);
    expect(a).toBe('a2');
    expect(b).toBe('a2');
    expect(server.refreshes).toBe(1);
    expect(server.revoked).toBe(false);
  });

  it('hears another tab log out and log in through the store', async () => {
    const server = new FakeServer();
    const store = new LockingStore();
    const tab = clientOf(server, store);
    const other = clientOf(server, store);
    const events: string[] = [];
    tab.on('signedIn', () => events.push('in'));
    tab.on('signedOut', (reason) => events.push(`out:${reason}`));
    await other.login({ phone: '1', password: 'right-one-123' });
    expect(tab.signedIn).toBe(true);
    await other.logout();
    expect(tab.signedIn).toBe(false);
    expect(events).toEqual(['in', 'out:logout']);
  });

  it('signs up, or reports an account that waits for approval without signing in', async () => {
    const server = new FakeServer();
    const client = clientOf(server);
    server.signupStatus = 202;
    const pending = await client.signup({ phone: '1', nickname: 'Ada', password: 'right-one-123' });
    expect(pending).toMatchObject({ status: 'pending', user: { status: 'pending' } });
    expect(client.signedIn).toBe(false);
    server.signupStatus = 201;
    expect(await client.signup({ phone: '1', nickname: 'Ada', code: '123456' })).toMatchObject({ status: 'signed-in' });
    expect(client.signedIn).toBe(true);
  });

  it('uses the elevated token for the console while it lasts, then asks for the factor again', async () => {
    const server = new FakeServer();
    const client = clientOf(server);
    await client.adminSetup({ token: 't'.repeat(43), password: 'right-one-123', consolePassword: 'console-pass-1' });
    await expect(client.admin.users()).rejects.toMatchObject({ code: 'SECOND_FACTOR_REQUIRED', status: 403 });
    const changes: (string | null)[] = [];
    client.on('elevationChanged', (e) => changes.push(e?.accessToken ?? null));
    await client.elevate({ consolePassword: 'console-pass-1' });
    expect(await client.admin.users('ada')).toEqual([]);
    expect(server.calls.at(-1)).toMatchObject({ path: '/admin/users', auth: 'e1' });
    // Other packages' console routes go out with the same elevated token.
    await client.admin.fetch('/admin/users?q=bo');
    expect(server.calls.at(-1)).toMatchObject({ path: '/admin/users', auth: 'e1' });
    // An ordinary refresh keeps the elevation: it has its own expiry.
    await client.refresh();
    expect(client.elevation?.accessToken).toBe('e1');
    server.now += TTL - 10_000;
    expect(client.elevation).toBeNull();
    await expect(client.admin.settings()).rejects.toMatchObject({ code: 'SECOND_FACTOR_REQUIRED' });
    expect(changes).toEqual(['e1']);
  });

  it('refreshes on its own ahead of expiry', async () => {
    vi.useFakeTimers({ now: T0 });
    const server = new FakeServer();
    // The server's clock is the faked one too, so each new token expires 15 minutes after it was made.
    Object.defineProperty(server, 'now', { get: () => Date.now() });
    const client = new AccountClient({ store: new MemoryTokenStore(), fetch: server.fetch as typeof fetch, now: () => Date.now(), refreshAheadMs: 60_000 });
    await client.login({ phone: '1', password: 'right-one-123' });
    await vi.advanceTimersByTimeAsync(TTL - 61_000);
    expect(server.refreshes).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(server.refreshes).toBe(1);
    expect(await client.accessToken()).toBe('a2');
    // The next one is planned from the new token's expiry.
    await vi.advanceTimersByTimeAsync(TTL - 62_000);
    expect(server.refreshes).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(server.refreshes).toBe(2);
    client.close();
  });

  it('logs out on the server and forgets the pair, even offline', async () => {
    const server = new FakeServer();
    const store = new MemoryTokenStore();
    const client = clientOf(server, store);
    const reasons: string[] = [];
    client.on('signedOut', (reason) => reasons.push(reason));
    await client.login({ phone: '1', password: 'right-one-123' });
    await client.logout();
    expect(server.calls.at(-1)).toMatchObject({ path: '/auth/logout', auth: 'a1' });
    await client.login({ phone: '1', password: 'right-one-123' });
    server.offline = true;
    await client.logout();
    expect(store.load()).toBeNull();
    expect(reasons).toEqual(['logout', 'logout']);
  });

  it('reads coded errors with their Retry-After', async () => {
    const fetch = async () => new Response(JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'too many codes' } }), { status: 429, headers: { 'retry-after': '42' } });
    const client = new AccountClient({ store: new MemoryTokenStore(), fetch: fetch as typeof globalThis.fetch, autoRefresh: false });
    await expect(client.requestCode('1', 'login')).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterSeconds: 42, message: 'too many codes' });
  });

  it('sends the avatar as it is, with its type, and tells listeners about the new profile', async () => {
    const server = new FakeServer();
    const client = clientOf(server);
    await client.login({ phone: '1', password: 'right-one-123' });
    const changed: (string | undefined)[] = [];
    client.on('userChanged', (u) => changed.push(u.avatar?.large));
    const image = new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' });
    const updated = await client.uploadAvatar(image);
    expect(updated.avatar?.large).toBe('/l.webp');
    expect(server.calls.at(-1)!.body).toBe(image);
    expect(changed).toEqual(['/l.webp']);
    expect(client.user?.avatar?.large).toBe('/l.webp');
  });
});

describe('watchAccount', () => {
  class FakeSocket {
    readonly listeners = new Map<string, ((...args: unknown[]) => void)[]>();
    connects = 0;
    disconnected = false;
    constructor(readonly url: string, readonly options: AccountSocketOptions) {}
    on(event: string, listener: (...args: unknown[]) => void) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
      return this;
    }
    fire(event: string, ...args: unknown[]) {
      for (const l of this.listeners.get(event) ?? []) l(...args);
    }
    connect() {
      this.connects++;
    }
    disconnect() {
      this.disconnected = true;
    }
  }

  it('opens /account with a fresh token while signed in; the server’s sign-out signs the client out', async () => {
    const server = new FakeServer();
    const client = clientOf(server);
    const sockets: FakeSocket[] = [];
    const stop = watchAccount(client, (url, options) => {
      const socket = new FakeSocket(url, options);
      sockets.push(socket);
      return socket;
    });
    expect(sockets).toHaveLength(0);
    await client.login({ phone: '1', password: 'right-one-123' });
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.url).toBe('/account');
    const auth = await new Promise<object>((resolve) => sockets[0]!.options.auth(resolve));
    expect(auth).toEqual({ accessToken: 'a1' });

    const notices: unknown[] = [];
    client.on('notice', (n) => notices.push(n));
    sockets[0]!.fire('account.notice', { kind: 'password-locked', until: T0 + 900_000 });
    expect(notices).toEqual([{ kind: 'password-locked', until: T0 + 900_000 }]);

    const reasons: string[] = [];
    client.on('signedOut', (reason) => reasons.push(reason));
    sockets[0]!.fire('account.signed-out', { reason: 'password-changed' });
    expect(reasons).toEqual(['password-changed']);
    expect(client.signedIn).toBe(false);
    expect(sockets[0]!.disconnected).toBe(true);
    stop();
  });

  it('retries a refused handshake after a refresh, and stops when signed out', async () => {
    vi.useFakeTimers({ now: T0 });
    const server = new FakeServer();
    server.now = T0;
    const client = clientOf(server);
    await client.login({ phone: '1', password: 'right-one-123' });
    const sockets: FakeSocket[] = [];
    const stop = watchAccount(client, (url, options) => {
      const socket = new FakeSocket(url, options);
      sockets.push(socket);
      return socket;
    });
    sockets[0]!.fire('connect_error', { message: 'not valid', data: { code: 'UNAUTHORIZED' } });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(server.refreshes).toBe(1);
    expect(sockets[0]!.connects).toBe(1);
    // A transport error is socket.io's to retry.
    sockets[0]!.fire('connect_error', { message: 'websocket error' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets[0]!.connects).toBe(1);
    await client.logout();
    expect(sockets[0]!.disconnected).toBe(true);
    stop();
  });

  it('tells onSocket of each socket it opens and closes, so other layers (IM) ride on the same connection', async () => {
    const server = new FakeServer();
    const client = clientOf(server);
    const told: (FakeSocket | null)[] = [];
    const sockets: FakeSocket[] = [];
    const stop = watchAccount(
      client,
      (url, options) => {
        const socket = new FakeSocket(url, options);
        sockets.push(socket);
        return socket;
      },
      { onSocket: (s) => told.push(s as FakeSocket | null) },
    );
    expect(told).toEqual([]);
    await client.login({ phone: '1', password: 'right-one-123' });
    expect(told).toEqual([sockets[0]]);
    await client.logout();
    expect(told).toEqual([sockets[0], null]);
    stop();
  });
});

/** A shared store with a lock and change notices, as the browser's localStorage + Web Locks give tabs. */
class LockingStore implements TokenStore {
  #session: StoredSession | null = null;
  #listeners = new Set<(s: StoredSession | null) => void>();
  #chain: Promise<unknown> = Promise.resolve();
  load() {
    return this.#session;
  }
  save(session: StoredSession | null) {
    this.#session = session;
    // Like the storage event: every other holder hears of it (here, all of them; the client ignores its own).
    for (const l of this.#listeners) l(session);
  }
  subscribe(listener: (s: StoredSession | null) => void) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(task, task);
    this.#chain = run.catch(() => undefined);
    return run;
  }
}
