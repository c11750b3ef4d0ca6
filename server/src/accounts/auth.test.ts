/**
 * Accounts through a whole server: the REST contract's error codes and
 * headers, malformed bodies of every auth route (fuzzed), tokens on sockets
 * and their revocation within a second, what a person's token may reach
 * (and the API token still does), and nothing identifying in plaintext on
 * disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogCodeChannel, SessionReply } from '@muster/accounts';
import { mulberry32 } from '@muster/kit/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const PHONE_MARKER = '+8613911112222';
const NICK_MARKER = '赵钱孙李测试';

describe('accounts over HTTP and sockets', () => {
  let server: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server?.close();
  });

  const post = (url: string, body: unknown, init: { token?: string; raw?: string; type?: string } = {}) =>
    fetch(`${server.url}/api/v1${url}`, {
      method: 'POST',
      headers: {
        'content-type': init.type ?? 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      body: init.raw ?? JSON.stringify(body),
    });
  const get = (url: string, token?: string) => fetch(`${server.url}/api/v1${url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const code = (phone: string, purpose: string) => (server.accounts.channel as LogCodeChannel).pending().find((p) => p.phone === phone && p.purpose === purpose)!.code;

  async function signup(phone: string, nickname = 'Tester'): Promise<SessionReply> {
    expect((await post('/auth/codes', { phone, purpose: 'signup' })).status).toBe(204);
    const res = await post('/auth/signup', { phone, code: code(phone, 'signup'), password: 'heron-valley-63', nickname });
    expect(res.status).toBe(201);
    return (await res.json()) as SessionReply;
  }

  function socketOf(namespace: string, accessToken: string | undefined): Promise<Socket> {
    const socket = connect(`${server.url}${namespace}`, { transports: ['websocket'], auth: accessToken === undefined ? {} : { accessToken }, reconnection: false, forceNew: true });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (error) => reject(error));
    });
  }

  it('answers the contract’s errors with their codes, 401 for every token problem, and Retry-After when limited', async () => {
    const phone = '+8613900000101';
    const session = await signup(phone);
    const bad = async (res: Response, status: number, errorCode: string) => {
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ error: { code: errorCode, message: expect.any(String) } });
      return res;
    };
    await bad(await post('/auth/login', { phone, password: 'not-the-password' }), 401, 'INVALID_CREDENTIALS');
    await bad(await get('/me'), 401, 'UNAUTHORIZED');
    await bad(await get('/me', 'not.a.token'), 401, 'UNAUTHORIZED');
    await bad(await get('/me', server.apiToken), 401, 'UNAUTHORIZED');
    await bad(await post('/auth/signup', { phone, password: 'heron-valley-63', nickname: 'again', code: '123456' }), 409, 'PHONE_TAKEN');
    const next = (await (await post('/auth/refresh', { refreshToken: session.refreshToken })).json()) as SessionReply;
    // The token it replaced, asked again within the minute (an answer lost on the way): the same current pair.
    const retried = await post('/auth/refresh', { refreshToken: session.refreshToken });
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as SessionReply).refreshToken).toBe(next.refreshToken);
    const third = (await (await post('/auth/refresh', { refreshToken: next.refreshToken })).json()) as SessionReply;
    // Two generations old: a stolen copy is in use.
    await bad(await post('/auth/refresh', { refreshToken: session.refreshToken }), 401, 'UNAUTHORIZED');
    // The reuse signed the device out: the newer pair is dead too.
    await bad(await post('/auth/refresh', { refreshToken: third.refreshToken }), 401, 'UNAUTHORIZED');
    await bad(await get('/me', third.accessToken), 401, 'UNAUTHORIZED');

    await post('/auth/codes', { phone, purpose: 'login' });
    const wrong = code(phone, 'login') === '000000' ? '111111' : '000000';
    await bad(await post('/auth/login', { phone, code: wrong }), 401, 'CODE_INVALID');

    let limited: Response | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const res = await post('/auth/codes', { phone, purpose: 'login' });
      if (res.status === 429) limited = res;
    }
    await bad(limited!, 429, 'RATE_LIMITED');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);

    let locked: Response | undefined;
    for (let i = 0; i < 12 && !locked; i++) {
      const res = await post('/auth/login', { phone, password: `wrong-${i}-password` });
      if (res.status === 423) locked = res;
    }
    await bad(locked!, 423, 'ACCOUNT_LOCKED');
    expect(Number(locked!.headers.get('retry-after'))).toBeGreaterThan(800);
  });

  it('fuzzes every auth route with malformed bodies: coded 4xx only, and the server keeps serving', async () => {
    const rand = mulberry32(15_2026);
    const routes = ['/auth/codes', '/auth/signup', '/auth/login', '/auth/refresh', '/auth/logout', '/auth/password-reset', '/auth/guest', '/admin/setup', '/admin/elevate'];
    const values = [null, true, 0, -1, 1e308, '', ' ', 'x'.repeat(5000), '+86', '１３８００１３８０００', '<script>', '\u0000', [], {}, { $gt: '' }, ['+8613800138000']];
    const keys = ['phone', 'password', 'code', 'nickname', 'purpose', 'refreshToken', 'token', 'device', 'totp', 'consolePassword', '__proto__', 'constructor'];
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    const raws = ['{', '[1,2', 'null', '"just a string"', '{"phone": }', '\u00ff\u00fe', `${'['.repeat(200)}${']'.repeat(200)}`];
    for (let i = 0; i < 300; i++) {
      const route = pick(routes);
      let res: Response;
      if (i % 5 === 0) res = await post(route, undefined, { raw: pick(raws) });
      else if (i % 7 === 0) res = await post(route, undefined, { raw: 'phone=1', type: 'text/plain' });
      else {
        const body: Record<string, unknown> = {};
        for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) body[pick(keys)] = pick(values);
        res = await post(route, body);
      }
      expect(res.status, `${route} #${i}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${route} #${i}`).toBeLessThan(500);
      const reply = (await res.json()) as { error: { code: string; message: string } };
      expect(reply.error.code).toMatch(/^[A-Z_]+$/);
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('fuzzes the signed-in, contacts and console routes with malformed bodies: never a 500, and the server keeps serving', async () => {
    const rand = mulberry32(15_2027);
    const user = await signup('+8613900000105');
    const made = await server.accounts.admin.createAdmin('+8613900000106');
    const admin = (await (await post('/admin/setup', { token: made.link.split('#')[1], password: 'admin-quartz-55', consolePassword: 'console-ember-66' })).json()) as SessionReply;
    const elevated = ((await (await post('/admin/elevate', { consolePassword: 'console-ember-66' }, { token: admin.accessToken })).json()) as { accessToken: string }).accessToken;
    const targets: [string, string, string][] = [
      ['PATCH', '/me', user.accessToken],
      ['PUT', '/me/password', user.accessToken],
      ['POST', '/me/meetings', user.accessToken],
      ['PATCH', '/me/meetings/owned-by-nobody', user.accessToken],
      ['POST', '/admin/guests', elevated],
      ['PATCH', '/admin/settings', elevated],
      ['POST', '/admin/elevate', admin.accessToken],
      ['POST', '/contacts/requests', user.accessToken],
      ['PATCH', `/contacts/${admin.user.id}`, user.accessToken],
      ['POST', '/contacts/requests/fr0123456789abcdef/accept', user.accessToken],
      ['PUT', '/contacts/blocked/not-an-id!', user.accessToken],
      ['POST', '/conversations', user.accessToken],
      ['POST', '/groups', user.accessToken],
      ['POST', '/conversations/cvunknown0000000/messages', user.accessToken],
      ['POST', '/conversations/cvunknown0000000/read', user.accessToken],
    ];
    const values = [null, true, -1, 1e308, '', 'x'.repeat(3000), '2031-13-45T99:00:00Z', '\u0000', [], {}, { a: { b: { c: [] } } }, ['a', 'b']];
    const keys = ['name', 'members', 'temporary', 'userId', 'clientMsgId', 'type', 'text', 'seq', 'replyTo', 'mentions', 'to', 'greeting', 'remark', 'tags', 'nickname', 'musterId', 'gender', 'region', 'signature', 'password', 'currentPassword', 'topic', 'startsAt', 'passcode', 'lobby', 'csv', 'nicknames', 'expiresAt', 'signupPolicy', 'anonymousJoins', 'totp', 'consolePassword', '__proto__'];
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    for (let i = 0; i < 200; i++) {
      const [method, url, token] = pick(targets);
      const body: Record<string, unknown> = {};
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) body[pick(keys)] = pick(values);
      const res = await fetch(`${server.url}/api/v1${url}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: i % 9 === 0 ? '{"broken": ' : JSON.stringify(body) });
      expect(res.status, `${method} ${url} #${i}`).toBeLessThan(500);
      if (res.status >= 400) expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/^[A-Z_]+$/);
      else await res.arrayBuffer();
    }
    // The settings the fuzzer may have changed are put back; the server still answers its owner.
    await fetch(`${server.url}/api/v1/admin/settings`, { method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${elevated}` }, body: JSON.stringify({ signupPolicy: 'code', anonymousJoins: true, boardsSignedInOnly: false }) });
    expect((await get('/me', admin.accessToken)).status).toBe(200);
  });

  it('a person’s token reaches only their own routes; the API token still works for the integration routes', async () => {
    const session = await signup('+8613900000102');
    expect((await get('/rooms', session.accessToken)).status).toBe(401);
    expect((await get('/rooms', server.apiToken)).status).toBe(200);
    expect((await get('/admin/users', session.accessToken)).status).toBe(404);
    expect((await get('/me', session.accessToken)).status).toBe(200);
  });

  it('signing a device out closes its sockets and refuses its token within a second; other devices stay', async () => {
    const phone = '+8613900000103';
    const first = await signup(phone);
    const second = (await (await post('/auth/login', { phone, password: 'heron-valley-63', device: { name: 'Phone', platform: 'android' } })).json()) as SessionReply;
    const accountSocket = await socketOf('/account', second.accessToken);
    const meetingSocket = await socketOf('/', second.accessToken);
    const keep = await socketOf('/account', first.accessToken);
    await expect(socketOf('/account', 'forged.token.here')).rejects.toMatchObject({ message: expect.stringContaining('not valid') });
    await expect(socketOf('/account', undefined)).rejects.toBeTruthy();
    const told: unknown[] = [];
    accountSocket.on('account.signed-out', (e) => told.push(e));

    const res = await fetch(`${server.url}/api/v1/me/devices/${second.deviceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${first.accessToken}` } });
    expect(res.status).toBe(204);
    await waitUntil(() => !accountSocket.connected && !meetingSocket.connected, 1_000, 'the signed-out device’s sockets to close');
    expect(told).toEqual([{ reason: 'signed-out' }]);
    expect((await get('/me', second.accessToken)).status).toBe(401);
    expect(keep.connected).toBe(true);
    expect((await get('/me', first.accessToken)).status).toBe(200);
    await expect(socketOf('/', second.accessToken)).rejects.toBeTruthy();
  });

  it('a lock-out notice reaches the account’s signed-in devices', async () => {
    const phone = '+8613900000104';
    const session = await signup(phone);
    const socket = await socketOf('/account', session.accessToken);
    const notices: { kind: string; until: number }[] = [];
    socket.on('account.notice', (n) => notices.push(n));
    for (let i = 0; i < 10; i++) await post('/auth/login', { phone, password: `guess-${i}-guess` });
    await waitUntil(() => notices.length > 0, 5_000, 'the lock-out notice');
    expect(notices[0]).toMatchObject({ kind: 'password-locked', until: expect.any(Number) });
  });

  it('stores no phone number or nickname in plaintext under the data directory', async () => {
    const session = await signup(PHONE_MARKER, NICK_MARKER);
    expect((await (await get('/me', session.accessToken)).json()) as object).toMatchObject({ phone: PHONE_MARKER, nickname: NICK_MARKER });
    // Every write was acknowledged (committed) before the replies: the main file and the WAL hold it all.
    const files = fs.readdirSync(server.dataDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
    expect(files.some((f) => f.endsWith('muster.db'))).toBe(true);
    const found = files.flatMap((file) => {
      const bytes = fs.readFileSync(file);
      return [PHONE_MARKER, PHONE_MARKER.slice(1), NICK_MARKER].flatMap((m) => (['utf8', 'utf16le'] as const).filter((e) => bytes.includes(Buffer.from(m, e))).map((e) => `${path.basename(file)}: ${m} (${e})`));
    });
    expect(found).toEqual([]);
  });
});
