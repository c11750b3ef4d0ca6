/**
 * The accounts rules, end to end through the domain services on a real
 * (SQLite) database: sign-up policies, log-in by password and by code,
 * codes' expiry and tries, rate limits, lock-out, refresh-token rotation and
 * reuse, devices, revocation, password reset, guests, the console's second
 * factor, profiles and avatars. The store's contract runs on both engines in
 * store/repositories.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@muster/db/testing';
import { isAccountError } from '../errors.ts';
import { openTestAccounts, type TestAccounts } from '../testing/index.ts';
import { LOCKOUT_FAILURES, LOCKOUT_MS, CODE_TTL_MS, REFRESH_RETRY_GRACE_MS } from './Authenticator.ts';
import { HttpCodeChannel } from './CodeChannel.ts';
import { createLogger } from '@muster/kit/log';
import { LOOKUPS_PER_HOUR, MUSTER_ID_CHANGE_MS } from './Profiles.ts';
import type { Principal } from './SessionGuard.ts';

const client = { address: '10.9.8.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36' };
const other = { address: '10.9.8.6' };

async function codeOf<T>(promise: Promise<T>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isAccountError(error)) throw new Error(`expected an AccountError, got ${error === null ? 'success' : String(error)}`);
  return error.code;
}

describe('accounts', () => {
  const testDb = useTestDatabase('sqlite');
  let counter = 0;
  const newPhone = () => `+86139${String(10_000_000 + counter++ * 7919).slice(-8)}`;

  async function setup(): Promise<TestAccounts> {
    return openTestAccounts(await testDb.open());
  }

  /** A signed-up account (policy code) and its first session. */
  async function signedUp(t: TestAccounts, password = 'violet-harbor-88') {
    const phone = newPhone();
    await t.accounts.auth.requestCode(phone, 'signup', client);
    const { session, account } = await t.accounts.auth.signup({ phone, code: t.code(phone, 'signup'), password, nickname: '王五' }, client);
    const principal = (await t.accounts.guard.authenticate(session!.accessToken))!;
    return { phone, account, session: session!, principal };
  }

  describe('sign-up', () => {
    it('with a code: verified, signed in, with a default Muster ID', async () => {
      const t = await setup();
      const { session, principal } = await signedUp(t);
      expect(session.user).toMatchObject({ nickname: '王五', phoneVerified: true, role: 'user', status: 'active', hasPassword: true, musterId: expect.stringMatching(/^mu[a-z2-9]{8}$/) });
      expect(principal).toMatchObject({ accountId: session.user.id, sessionId: session.deviceId, role: 'user' });
      expect(await t.accounts.auth.devices(principal)).toMatchObject([{ name: 'Chrome on Linux', platform: 'web', location: client.address, current: true }]);
    });

    it('normalises numbers: national and international forms are one account', async () => {
      const t = await setup();
      await t.accounts.auth.requestCode('138 0013 8000', 'signup', client);
      await t.accounts.auth.signup({ phone: '138-0013-8000', code: t.code('+8613800138000', 'signup'), nickname: 'A' }, client);
      expect(await codeOf(t.accounts.auth.signup({ phone: '+86 138 0013 8000', password: 'violet-harbor-88', nickname: 'B' }, client))).toBe('CODE_REQUIRED');
      await t.accounts.admin.updateSettings({ accountId: 'root', sessionId: 's', role: 'admin' }, { signupPolicy: 'password' });
      expect(await codeOf(t.accounts.auth.signup({ phone: '+86 138 0013 8000', password: 'violet-harbor-88', nickname: 'B' }, client))).toBe('PHONE_TAKEN');
      expect(await codeOf(t.accounts.auth.requestCode('12345', 'signup', client))).toBe('PHONE_INVALID');
    });

    it('under the password policy: no code needed, the number stays unverified; weak passwords are refused', async () => {
      const t = await setup();
      await t.accounts.admin.updateSettings({ accountId: 'root', sessionId: 's', role: 'admin' }, { signupPolicy: 'password' });
      const phone = newPhone();
      expect(await codeOf(t.accounts.auth.signup({ phone, nickname: 'C' }, client))).toBe('PASSWORD_REQUIRED');
      expect(await codeOf(t.accounts.auth.signup({ phone, password: 'short', nickname: 'C' }, client))).toBe('PASSWORD_WEAK');
      expect(await codeOf(t.accounts.auth.signup({ phone, password: 'password123', nickname: 'C' }, client))).toBe('PASSWORD_WEAK');
      expect(await codeOf(t.accounts.auth.signup({ phone, password: 'Qwertyuiop', nickname: 'C' }, client))).toBe('PASSWORD_WEAK');
      const { session } = await t.accounts.auth.signup({ phone, password: 'violet-harbor-88', nickname: 'C' }, client);
      expect(session!.user.phoneVerified).toBe(false);
    });

    it('under the approval policy: pending until an admin approves', async () => {
      const t = await setup();
      const admin: Principal = { accountId: 'root', sessionId: 's', role: 'admin' };
      await t.accounts.admin.updateSettings(admin, { signupPolicy: 'approval' });
      const phone = newPhone();
      const { session, account } = await t.accounts.auth.signup({ phone, password: 'violet-harbor-88', nickname: 'D' }, client);
      expect(session).toBeNull();
      expect(account.status).toBe('pending');
      expect(await codeOf(t.accounts.auth.login({ phone, password: 'violet-harbor-88' }, client))).toBe('ACCOUNT_PENDING');
      await t.accounts.admin.approve(admin, account.id);
      expect((await t.accounts.auth.login({ phone, password: 'violet-harbor-88' }, client)).user.status).toBe('active');
    });
  });

  describe('codes', () => {
    it('log channel: one line with the word code, the 6 digits and the last four digits, never the whole number', async () => {
      const t = await setup();
      const phone = newPhone();
      await t.accounts.auth.requestCode(phone, 'signup', client);
      const code = t.code(phone, 'signup');
      expect(code).toMatch(/^\d{6}$/);
      const lines = t.logLines.filter((l) => l.includes(code));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/\bcode\b/);
      expect(lines[0]).toContain(phone.slice(-4));
      expect(lines[0]).not.toContain(phone.slice(1, -4));
      expect(t.channel.pending().map((p) => [p.phone, p.code])).toContainEqual([phone, code]);
    });

    it('expire after 5 minutes, and allow 5 tries', async () => {
      const t = await setup();
      const { phone } = await signedUp(t);
      await t.accounts.auth.requestCode(phone, 'login', client);
      t.clock.advance(CODE_TTL_MS + 1);
      expect(await codeOf(t.accounts.auth.login({ phone, code: t.code(phone, 'login') }, client))).toBe('CODE_EXPIRED');
      await t.accounts.auth.requestCode(phone, 'login', client);
      const right = t.code(phone, 'login');
      const wrong = right === '000000' ? '000001' : '000000';
      for (let i = 0; i < 4; i++) expect(await codeOf(t.accounts.auth.login({ phone, code: wrong }, client))).toBe('CODE_INVALID');
      expect(await codeOf(t.accounts.auth.login({ phone, code: wrong }, client))).toBe('CODE_EXPIRED');
      expect(await codeOf(t.accounts.auth.login({ phone, code: right }, client))).toBe('CODE_INVALID');
    });

    it('a burst of requests for one number is RATE_LIMITED with a retry time', async () => {
      const t = await setup();
      const { phone } = await signedUp(t);
      const results = [];
      for (let i = 0; i < 8; i++) results.push(await t.accounts.auth.requestCode(phone, 'login', { address: `10.0.0.${i}` }).then(() => 'ok', (e) => e));
      // The sign-up code counted too: 5 per number in 15 minutes.
      expect(results.filter((r) => r === 'ok')).toHaveLength(4);
      const refused = results.find((r) => r !== 'ok');
      expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
      expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    });

    it('a burst from one address across numbers is RATE_LIMITED', async () => {
      const t = await setup();
      const verdicts = [];
      for (let i = 0; i < 25; i++) verdicts.push(await codeOf(t.accounts.auth.requestCode(newPhone(), 'signup', other)).catch(() => 'ok'));
      expect(verdicts.slice(0, 20).every((v) => v === 'ok')).toBe(true);
      expect(verdicts.slice(20)).toEqual(Array(5).fill('RATE_LIMITED'));
    });

    it('are sent only where they make sense (no log-in code for a number without an account)', async () => {
      const t = await setup();
      const phone = newPhone();
      await t.accounts.auth.requestCode(phone, 'login', client);
      expect(() => t.code(phone, 'login')).toThrow();
      expect(await codeOf(t.accounts.auth.login({ phone, code: '123456' }, client))).toBe('CODE_INVALID');
    });

    it('http channel: POSTs the template with JSON-escaped values', async () => {
      const bodies: { body: string; headers: http.IncomingHttpHeaders }[] = [];
      const gateway = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          bodies.push({ body, headers: req.headers });
          res.statusCode = bodies.length === 1 ? 200 : 500;
          res.end();
        });
      });
      await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/sms`;
        const channel = new HttpCodeChannel({ url, bodyTemplate: '{"to":"{{phone}}","msg":"code {{code}} \\"{{purpose}}\\""}', authorization: 'Key abc' }, createLogger({ level: 'silent' }));
        await channel.deliver({ phone: '+8613800138000', code: '123456', purpose: 'login', expiresAt: Date.now() + 300_000 });
        expect(JSON.parse(bodies[0]!.body)).toEqual({ to: '+8613800138000', msg: 'code 123456 "login"' });
        expect(bodies[0]!.headers.authorization).toBe('Key abc');
        const failed = await channel.deliver({ phone: '+8613800138000', code: '654321', purpose: 'login', expiresAt: Date.now() + 300_000 }).catch((e: unknown) => e);
        expect(failed).toMatchObject({ code: 'CODE_DELIVERY_FAILED' });
      } finally {
        gateway.close();
      }
    });
  });

  describe('log-in', () => {
    it('by password and by code; a wrong password and an unknown number look the same', async () => {
      const t = await setup();
      const { phone } = await signedUp(t);
      const byPassword = await t.accounts.auth.login({ phone, password: 'violet-harbor-88', device: { name: 'Work laptop', platform: 'desktop' } }, client);
      expect(byPassword.user.phone).toBe(phone);
      await t.accounts.auth.requestCode(phone, 'login', client);
      const byCode = await t.accounts.auth.login({ phone, code: t.code(phone, 'login') }, client);
      expect(byCode.deviceId).not.toBe(byPassword.deviceId);
      expect(await codeOf(t.accounts.auth.login({ phone, password: 'wrong-password-1' }, client))).toBe('INVALID_CREDENTIALS');
      expect(await codeOf(t.accounts.auth.login({ phone: newPhone(), password: 'violet-harbor-88' }, client))).toBe('INVALID_CREDENTIALS');
      expect(await codeOf(t.accounts.auth.login({ phone: 'garbage', password: 'violet-harbor-88' }, client))).toBe('INVALID_CREDENTIALS');
      // Failures are logged without the password.
      expect(t.logLines.join('\n')).not.toContain('wrong-password-1');
    });

    it(`locks password log-in after ${LOCKOUT_FAILURES} failures from one address; a code still works; the devices hear of it`, async () => {
      const t = await setup();
      const { phone, account } = await signedUp(t);
      const notices: unknown[] = [];
      t.accounts.auth.onNotice((accountId, notice) => notices.push({ accountId, ...notice }));
      const codes = [];
      for (let i = 0; i < LOCKOUT_FAILURES; i++) codes.push(await codeOf(t.accounts.auth.login({ phone, password: `wrong-${i}-password` }, client)));
      expect(codes.slice(0, -1).every((c) => c === 'INVALID_CREDENTIALS')).toBe(true);
      expect(codes.at(-1)).toBe('ACCOUNT_LOCKED');
      expect(notices).toEqual([{ accountId: account.id, kind: 'password-locked', until: t.clock.now() + LOCKOUT_MS }]);
      // Locked even with the right password, from anywhere.
      const locked = await t.accounts.auth.login({ phone, password: 'violet-harbor-88' }, other).catch((e: unknown) => e);
      expect(locked).toMatchObject({ code: 'ACCOUNT_LOCKED' });
      expect((locked as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(14 * 60);
      await t.accounts.auth.requestCode(phone, 'login', client);
      expect((await t.accounts.auth.login({ phone, code: t.code(phone, 'login') }, client)).user.id).toBe(account.id);
      const events = await t.accounts.admin.securityEvents({ limit: 50, accountId: account.id });
      expect(events.map((e) => e.kind)).toContain('login.locked');
      t.clock.advance(LOCKOUT_MS);
      expect((await t.accounts.auth.login({ phone, password: 'violet-harbor-88' }, client)).user.id).toBe(account.id);
    });

    it('an admin can unlock', async () => {
      const t = await setup();
      const { phone, account } = await signedUp(t);
      for (let i = 0; i < LOCKOUT_FAILURES; i++) await codeOf(t.accounts.auth.login({ phone, password: `nope-${i}-nope` }, client));
      expect(await codeOf(t.accounts.auth.login({ phone, password: 'violet-harbor-88' }, client))).toBe('ACCOUNT_LOCKED');
      await t.accounts.admin.unlock({ accountId: 'root', sessionId: 's', role: 'admin' }, account.id);
      expect((await t.accounts.auth.login({ phone, password: 'violet-harbor-88' }, client)).user.id).toBe(account.id);
    });
  });

  describe('tokens and devices', () => {
    it('a refresh token works once; using it again signs the device out', async () => {
      const t = await setup();
      const { session } = await signedUp(t);
      const next = await t.accounts.auth.refresh(session.refreshToken, client);
      expect(next.refreshToken).not.toBe(session.refreshToken);
      expect(next.deviceId).toBe(session.deviceId);
      expect(await t.accounts.guard.authenticate(next.accessToken)).not.toBeNull();
      const revoked: unknown[] = [];
      t.accounts.guard.onRevoked((r) => revoked.push(r));
      // The old one again, after the grace for a lost answer: a stolen copy is in use.
      t.clock.advance(REFRESH_RETRY_GRACE_MS + 1);
      expect(await codeOf(t.accounts.auth.refresh(session.refreshToken, client))).toBe('UNAUTHORIZED');
      expect(revoked).toEqual([{ accountId: session.user.id, sessionIds: [session.deviceId], reason: 'token-reused' }]);
      expect(await codeOf(t.accounts.auth.refresh(next.refreshToken, client))).toBe('UNAUTHORIZED');
      expect(await t.accounts.guard.authenticate(next.accessToken)).toBeNull();
      expect(await t.accounts.guard.authenticate(session.accessToken)).toBeNull();
    });

    it('a refresh whose answer was lost may be asked again for a minute: the same current pair, the device stays signed in', async () => {
      const t = await setup();
      const { session } = await signedUp(t);
      const revoked: unknown[] = [];
      t.accounts.guard.onRevoked((r) => revoked.push(r));
      const lost = await t.accounts.auth.refresh(session.refreshToken, client);
      // The client never read that answer and asks again with the token it has, within the grace.
      t.clock.advance(REFRESH_RETRY_GRACE_MS - 1_000);
      const again = await t.accounts.auth.refresh(session.refreshToken, client);
      expect(again.refreshToken).toBe(lost.refreshToken);
      expect(again.deviceId).toBe(session.deviceId);
      expect(await t.accounts.guard.authenticate(again.accessToken)).not.toBeNull();
      expect(revoked).toEqual([]);
      // The pair it got goes on as usual, once: the next rotation…
      const third = await t.accounts.auth.refresh(again.refreshToken, client);
      // …after which the first token is two generations old: a reuse, whatever the time.
      expect(await codeOf(t.accounts.auth.refresh(session.refreshToken, client))).toBe('UNAUTHORIZED');
      expect(revoked).toEqual([{ accountId: session.user.id, sessionIds: [session.deviceId], reason: 'token-reused' }]);
      expect(await t.accounts.guard.authenticate(third.accessToken)).toBeNull();
    });

    it('a device in use is seen; housekeeping forgets spent codes and long-revoked devices', async () => {
      const t = await setup();
      const { phone, session, principal } = await signedUp(t);
      t.clock.advance(5 * 60_000);
      await t.accounts.guard.authenticate(session.accessToken);
      const { waitUntil } = await import('@muster/kit/testing');
      await waitUntil(async () => (await t.accounts.auth.devices(principal))[0]!.lastSeenAt === t.clock.now(), 5_000, 'last seen to be written');
      await t.accounts.auth.requestCode(phone, 'login', client);
      await t.accounts.auth.logout(principal);
      t.clock.advance(31 * 24 * 3600_000);
      expect(await t.accounts.housekeeping()).toEqual({ codes: 1, sessions: 1 });
    });

    it('a forged or malformed refresh token is refused without touching the device', async () => {
      const t = await setup();
      const { session } = await signedUp(t);
      const [prefix, id, generation] = session.refreshToken.split('.');
      expect(await codeOf(t.accounts.auth.refresh(`${prefix}.${id}.${generation}.${'A'.repeat(43)}`, client))).toBe('UNAUTHORIZED');
      expect(await codeOf(t.accounts.auth.refresh(`${prefix}.${id}.0.${'A'.repeat(43)}`, client))).toBe('UNAUTHORIZED');
      expect(await codeOf(t.accounts.auth.refresh('garbage', client))).toBe('UNAUTHORIZED');
      expect((await t.accounts.auth.refresh(session.refreshToken, client)).deviceId).toBe(session.deviceId);
    });

    it('devices: sign out one, sign out all others; another account’s device is NOT_FOUND', async () => {
      const t = await setup();
      const { phone, principal } = await signedUp(t);
      const phoneLogin = await t.accounts.auth.login({ phone, password: 'violet-harbor-88', device: { name: 'Phone', platform: 'android' } }, other);
      const tablet = await t.accounts.auth.login({ phone, password: 'violet-harbor-88', device: { name: 'Tablet', platform: 'ios' } }, other);
      expect((await t.accounts.auth.devices(principal)).map((d) => d.name).sort()).toEqual(['Chrome on Linux', 'Phone', 'Tablet']);
      const stranger = await signedUp(t);
      expect(await codeOf(t.accounts.auth.signOutDevice(stranger.principal, phoneLogin.deviceId))).toBe('NOT_FOUND');
      await t.accounts.auth.signOutDevice(principal, phoneLogin.deviceId);
      expect(await t.accounts.guard.authenticate(phoneLogin.accessToken)).toBeNull();
      expect(await t.accounts.auth.signOutOthers(principal)).toBe(1);
      expect(await t.accounts.guard.authenticate(tablet.accessToken)).toBeNull();
      expect((await t.accounts.auth.devices(principal)).map((d) => d.current)).toEqual([true]);
      await t.accounts.auth.logout(principal);
      expect(await t.accounts.guard.authenticate((await t.accounts.auth.login({ phone, password: 'violet-harbor-88' }, client)).accessToken)).not.toBeNull();
    });

    it('a revocation made by another process is seen through the database', async () => {
      const db = await testDb.open();
      const a = await openTestAccounts(db);
      const b = await openTestAccounts(db);
      const phone = newPhone();
      await a.accounts.auth.requestCode(phone, 'signup', client);
      const { session } = await a.accounts.auth.signup({ phone, code: a.code(phone, 'signup'), nickname: 'X' }, client);
      const seenByB: string[][] = [];
      b.accounts.guard.onRevoked((r) => seenByB.push(r.sessionIds));
      expect(await b.accounts.guard.authenticate(session!.accessToken)).not.toBeNull();
      await a.accounts.auth.logout((await a.accounts.guard.authenticate(session!.accessToken))!);
      const { waitUntil } = await import('@muster/kit/testing');
      await waitUntil(() => seenByB.length > 0, 5_000, 'the other process to hear of the revocation');
      expect(seenByB[0]).toEqual([session!.deviceId]);
      expect(await b.accounts.guard.authenticate(session!.accessToken)).toBeNull();
      a.accounts.close();
      b.accounts.close();
    });

    it('a password reset by code signs every device out; a change signs out the others', async () => {
      const t = await setup();
      const { phone, session, principal } = await signedUp(t);
      const second = await t.accounts.auth.login({ phone, password: 'violet-harbor-88' }, other);
      await t.accounts.auth.changePassword(principal, { currentPassword: 'violet-harbor-88', password: 'amber-forest-12' }, client);
      expect(await t.accounts.guard.authenticate(second.accessToken)).toBeNull();
      expect(await t.accounts.guard.authenticate(session.accessToken)).not.toBeNull();
      expect(await codeOf(t.accounts.auth.changePassword(principal, { currentPassword: 'violet-harbor-88', password: 'x-amber-forest-13' }, client))).toBe('INVALID_CREDENTIALS');
      await t.accounts.auth.requestCode(phone, 'reset', client);
      await t.accounts.auth.resetPassword({ phone, code: t.code(phone, 'reset'), password: 'cobalt-river-34' }, client);
      expect(await t.accounts.guard.authenticate(session.accessToken)).toBeNull();
      expect(await codeOf(t.accounts.auth.login({ phone, password: 'amber-forest-12' }, client))).toBe('INVALID_CREDENTIALS');
      expect((await t.accounts.auth.login({ phone, password: 'cobalt-river-34' }, client)).user.phone).toBe(phone);
    });

    it('disabling an account revokes its sessions and refuses log-in', async () => {
      const t = await setup();
      const { phone, session, account } = await signedUp(t);
      await t.accounts.admin.setStatus({ accountId: 'root', sessionId: 's', role: 'admin' }, account.id, 'disabled');
      expect(await t.accounts.guard.authenticate(session.accessToken)).toBeNull();
      expect(await codeOf(t.accounts.auth.login({ phone, password: 'violet-harbor-88' }, client))).toBe('ACCOUNT_DISABLED');
      expect(await codeOf(t.accounts.auth.refresh(session.refreshToken, client))).toBe('UNAUTHORIZED');
    });
  });

  describe('guests', () => {
    it('sign in once by link, and not after they expire; their data stays until deleted', async () => {
      const t = await setup();
      const admin: Principal = { accountId: 'root', sessionId: 's', role: 'admin' };
      const [guest, spare] = await t.accounts.admin.createGuests(admin, ['访客甲', 'Visitor'], t.clock.now() + 3_600_000);
      expect(guest!.user).toMatchObject({ role: 'guest', phone: null, nickname: '访客甲' });
      const token = guest!.link.split('#')[1]!;
      const session = await t.accounts.auth.guestLogin(token, undefined, client);
      expect(session.user.role).toBe('guest');
      expect(await codeOf(t.accounts.auth.guestLogin(token, undefined, client))).toBe('LINK_INVALID');
      t.clock.advance(3_600_001);
      expect(await t.accounts.guard.authenticate(session.accessToken)).toBeNull();
      expect(await codeOf(t.accounts.auth.guestLogin(spare!.link.split('#')[1]!, undefined, client))).toBe('LINK_INVALID');
      expect(await codeOf(t.accounts.auth.refresh(session.refreshToken, client))).toBe('ACCOUNT_EXPIRED');
      expect((await t.accounts.admin.user(guest!.user.id)).nickname).toBe('访客甲');
      await t.accounts.admin.deleteUser(admin, guest!.user.id);
      expect(await codeOf(t.accounts.admin.user(guest!.user.id))).toBe('NOT_FOUND');
    });
  });

  describe('the console', () => {
    it('the first admin sets up by link; the console needs TOTP or the console password', async () => {
      const t = await setup();
      const made = await t.accounts.admin.createAdmin('+8613700001111');
      expect(made.link).toMatch(/^\/admin\/setup#[A-Za-z0-9_-]{43}$/);
      const token = made.link.split('#')[1]!;
      expect(await codeOf(t.accounts.admin.setup({ token, password: 'slate-meadow-21' }, client))).toBe('BAD_REQUEST');
      const { session, totp } = await t.accounts.admin.setup({ token, password: 'slate-meadow-21', consolePassword: 'console-only-pass', enableTotp: true }, client);
      expect(await codeOf(t.accounts.admin.setup({ token, password: 'slate-meadow-21', consolePassword: 'console-only-pass' }, client))).toBe('LINK_INVALID');
      const principal = (await t.accounts.guard.authenticate(session.accessToken))!;
      expect(principal.role).toBe('admin');
      expect(() => t.accounts.admin.assertConsole(principal)).toThrow(expect.objectContaining({ code: 'SECOND_FACTOR_REQUIRED' }));
      expect(await codeOf(t.accounts.admin.elevate(principal, { consolePassword: 'slate-meadow-21' }, client))).toBe('INVALID_CREDENTIALS');
      const byPassword = await t.accounts.admin.elevate(principal, { consolePassword: 'console-only-pass' }, client);
      expect(byPassword.accessTokenExpiresAt).toBe(byPassword.elevatedUntil);
      for (const selfAction of [(): Promise<unknown> => t.accounts.admin.setStatus(principal, principal.accountId, 'disabled'), () => t.accounts.admin.resetPassword(principal, principal.accountId), () => t.accounts.admin.signOutEverywhere(principal, principal.accountId), () => t.accounts.admin.deleteUser(principal, principal.accountId)]) {
        expect(await codeOf(selfAction())).toBe('BAD_REQUEST');
      }
      const elevated = (await t.accounts.guard.authenticate(byPassword.accessToken))!;
      expect(() => t.accounts.admin.assertConsole(elevated)).not.toThrow();
      const code = new TOTP({ secret: Secret.fromBase32(totp!.secret), digits: 6, period: 30 }).generate({ timestamp: t.clock.now() });
      expect((await t.accounts.admin.elevate(principal, { totp: code }, client)).elevatedUntil).toBeGreaterThan(t.clock.now());
      const user = await signedUp(t);
      expect(() => t.accounts.admin.assertConsole(user.principal)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
      expect(await codeOf(t.accounts.admin.elevate(user.principal, { consolePassword: 'console-only-pass' }, client))).toBe('NOT_FOUND');
      // The console's search finds people by name, number or Muster ID, though all are sealed.
      expect((await t.accounts.admin.searchUsers('王五')).map((u) => u.id)).toContain(user.account.id);
      expect((await t.accounts.admin.searchUsers(user.phone.slice(3))).map((u) => u.id)).toContain(user.account.id);
    });
  });

  describe('profiles', () => {
    it('changes the profile; the Muster ID only once a year, and unique', async () => {
      const t = await setup();
      const { principal } = await signedUp(t);
      const me = await t.accounts.profiles.update(principal, { nickname: '小王', musterId: 'Wang_Five', gender: 'male', region: '北京', signature: '你好' });
      expect(me).toMatchObject({ nickname: '小王', musterId: 'wang_five', gender: 'male', region: '北京', signature: '你好' });
      expect(me.musterIdChangeableAt).toBe(t.clock.now() + MUSTER_ID_CHANGE_MS);
      expect(await codeOf(t.accounts.profiles.update(principal, { musterId: 'another_one' }))).toBe('MUSTER_ID_TOO_SOON');
      const other = await signedUp(t);
      expect(await codeOf(t.accounts.profiles.update(other.principal, { musterId: 'WANG_FIVE' }))).toBe('MUSTER_ID_TAKEN');
      t.clock.advance(MUSTER_ID_CHANGE_MS);
      expect((await t.accounts.profiles.update(principal, { musterId: 'another_one' })).musterId).toBe('another_one');
      expect(await t.accounts.profiles.publicProfile(me.id)).toEqual({ id: me.id, nickname: '小王', musterId: 'another_one', avatar: null });
      expect(await codeOf(t.accounts.profiles.publicProfile('u-nobody'))).toBe('NOT_FOUND');
      // Found by the exact Muster ID or number only, and at a person's pace.
      expect((await t.accounts.profiles.lookup(other.principal, { musterId: 'ANOTHER_ONE' })).id).toBe(me.id);
      expect((await t.accounts.profiles.lookup(other.principal, { phone: me.phone!.slice(3) })).id).toBe(me.id);
      expect(await codeOf(t.accounts.profiles.lookup(other.principal, { musterId: 'another' }))).toBe('NOT_FOUND');
      expect(await codeOf(t.accounts.profiles.lookup(other.principal, { phone: 'nonsense' }))).toBe('NOT_FOUND');
      for (let i = 0; i < LOOKUPS_PER_HOUR; i++) await t.accounts.profiles.lookup(principal, { musterId: 'nobody_here' }).catch(() => undefined);
      expect(await codeOf(t.accounts.profiles.lookup(principal, { musterId: 'another_one' }))).toBe('RATE_LIMITED');
    });

    it('an avatar is cropped square and stored as 64 and 256 px WebP, behind signed paths', async () => {
      const t = await setup();
      const { principal } = await signedUp(t);
      const jpeg = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#c33' } }).jpeg().toBuffer();
      const me = await t.accounts.profiles.setAvatar(principal, jpeg);
      const [, id, version, file, sig] = /^\/api\/v1\/avatars\/([^/]+)\/(\d+)\/(small|large)\.webp\?sig=(.+)$/.exec(me.avatar!.small)!;
      const small = await t.accounts.profiles.avatar(id!, Number(version), file as 'small', sig!);
      expect(await sharp(small).metadata()).toMatchObject({ format: 'webp', width: 64, height: 64 });
      const largeSig = /sig=(.+)$/.exec(me.avatar!.large)![1]!;
      expect(await sharp(await t.accounts.profiles.avatar(id!, Number(version), 'large', largeSig)).metadata()).toMatchObject({ width: 256, height: 256 });
      expect(await codeOf(t.accounts.profiles.avatar(id!, Number(version), 'small', largeSig))).toBe('NOT_FOUND');
      expect(await codeOf(t.accounts.profiles.setAvatar(principal, Buffer.from('not an image at all')))).toBe('IMAGE_INVALID');
      // A new avatar gets a new path; the old one stops working.
      const next = await t.accounts.profiles.setAvatar(principal, jpeg);
      expect(next.avatar!.small).not.toBe(me.avatar!.small);
      expect(await codeOf(t.accounts.profiles.avatar(id!, Number(version), 'small', sig!))).toBe('NOT_FOUND');
    });
  });
});
