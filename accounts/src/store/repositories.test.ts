/**
 * The accounts store's contract, on every engine: SQLite, and PostgreSQL
 * (skipped loudly without a server, failed under CI=true).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@muster/db';
import { rawQuery, testEngines, testLocation, type TestLocation } from '@muster/db/testing';
import { isAccountError } from '../errors.ts';
import { AccountRepository, CREATE_MANY_MAX, type StoredAccount } from './AccountRepository.ts';
import { CodeRepository } from './CodeRepository.ts';
import { LinkRepository } from './LinkRepository.ts';
import { SecurityEventRepository } from './SecurityEventRepository.ts';
import { CREATE_MANY_SESSIONS_MAX, SessionRepository, type StoredSession } from './SessionRepository.ts';
import { SettingsRepository } from './SettingsRepository.ts';

const engines = await testEngines('the PostgreSQL accounts store contract (accounts/src/store/repositories.test.ts)');

const uid = (prefix = 'u') => `${prefix}${crypto.randomBytes(8).toString('hex')}`;
/**
 * A distinct valid Chinese mobile number per call: consecutive numbers from a
 * random start, so a 1000-account batch never draws one twice (random digits
 * alone did, about one run in three) and earlier runs' rows in a kept
 * PostgreSQL database are unlikely to be met.
 */
let phoneSerial = crypto.randomInt(0, 1e8);
const phone = () => `+86138${String(phoneSerial++ % 1e8).padStart(8, '0')}`;

function account(overrides: Partial<StoredAccount> = {}, profile: Partial<StoredAccount['profile']> = {}): StoredAccount {
  return {
    id: uid(),
    musterId: null,
    role: 'user',
    status: 'active',
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    expiresAt: null,
    lockedUntil: null,
    profile: { phone: phone(), phoneVerified: true, nickname: '张三', gender: 'unspecified', region: '', signature: '', avatarVersion: null, musterIdChangedAt: null, ...profile },
    credentials: { passwordHash: '$argon2id$fake' },
    ...overrides,
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(isAccountError(error) ? error.code : error).toBe(code);
}

for (const engine of engines) {
  describe(`accounts store (${engine})`, () => {
    let location: TestLocation;
    let db: Database;
    let accounts: AccountRepository;
    let sessions: SessionRepository;
    let codes: CodeRepository;
    let links: LinkRepository;
    let events: SecurityEventRepository;
    let settings: SettingsRepository;

    beforeAll(async () => {
      location = await testLocation(engine);
      db = await location.open();
      accounts = new AccountRepository(db);
      sessions = new SessionRepository(db);
      codes = new CodeRepository(db);
      links = new LinkRepository(db);
      events = new SecurityEventRepository(db);
      settings = new SettingsRepository(db);
    });
    afterAll(async () => {
      await db?.close();
      await location?.remove();
    });

    describe('AccountRepository', () => {
      it('stores an account and finds it by id, phone and Muster ID (case-insensitively)', async () => {
        const a = account({ musterId: 'Zhang_San' });
        await accounts.create(a);
        const expected = { ...a, musterId: 'zhang_san' };
        expect(await accounts.get(a.id)).toEqual(expected);
        expect(await accounts.findByPhone(a.profile.phone!)).toEqual(expected);
        expect(await accounts.findByMusterId('ZHANG_SAN')).toEqual(expected);
        expect(await accounts.get(uid())).toBeNull();
        expect(await accounts.findByPhone('+8613912345678')).toBeNull();
      });

      it('refuses a second account with the same phone number or Muster ID', async () => {
        const a = account({ musterId: uid('m').slice(0, 12) });
        await accounts.create(a);
        await rejectsWith(accounts.create(account({}, { phone: a.profile.phone })), 'PHONE_TAKEN');
        await rejectsWith(accounts.create(account({ musterId: a.musterId!.toUpperCase() })), 'MUSTER_ID_TAKEN');
      });

      it('creates many in one call, leaving out the numbers other accounts have', async () => {
        const existing = account();
        await accounts.create(existing);
        const batch = Array.from({ length: CREATE_MANY_MAX - 2 }, () => account({ musterId: uid('m').slice(0, 12) }));
        const clash = account({}, { phone: existing.profile.phone });
        const guest = account({ role: 'guest' }, { phone: null });
        expect(await accounts.createMany([...batch, clash, guest])).toEqual({ taken: [existing.profile.phone] });
        expect(await accounts.getMany(batch.map((a) => a.id))).toHaveLength(batch.length);
        expect(await accounts.findByPhone(batch[7]!.profile.phone!)).toEqual({ ...batch[7], musterId: batch[7]!.musterId!.toLowerCase() });
        expect(await accounts.get(clash.id)).toBeNull();
        expect(await accounts.get(guest.id)).not.toBeNull();
        expect(await accounts.createMany([])).toEqual({ taken: [] });
        await expect(accounts.createMany(Array.from({ length: CREATE_MANY_MAX + 1 }, () => account()))).rejects.toThrow(RangeError);
      });

      it('stores none of a batch when one Muster ID is taken', async () => {
        const a = account({ musterId: uid('m').slice(0, 12) });
        await accounts.create(a);
        const fresh = account();
        await rejectsWith(accounts.createMany([fresh, account({ musterId: a.musterId })]), 'MUSTER_ID_TAKEN');
        expect(await accounts.get(fresh.id)).toBeNull();
      });

      it('keeps guests without phone numbers side by side', async () => {
        const g1 = account({ role: 'guest', expiresAt: 5 }, { phone: null });
        const g2 = account({ role: 'guest', expiresAt: 5 }, { phone: null });
        await accounts.create(g1);
        await accounts.create(g2);
        expect((await accounts.get(g2.id))!.profile.phone).toBeNull();
      });

      it('updates through a function, and refuses a change to a taken Muster ID or number', async () => {
        const a = account();
        const b = account({ musterId: uid('m').slice(0, 12) });
        await accounts.create(a);
        await accounts.create(b);
        const updated = await accounts.update(a.id, (x) => ({ ...x, lockedUntil: 99, profile: { ...x.profile, nickname: '李四' } }));
        expect(updated).toMatchObject({ lockedUntil: 99, profile: { nickname: '李四' } });
        expect((await accounts.get(a.id))!.profile.nickname).toBe('李四');
        await rejectsWith(accounts.update(a.id, (x) => ({ ...x, musterId: b.musterId })), 'MUSTER_ID_TAKEN');
        await rejectsWith(accounts.update(a.id, (x) => ({ ...x, profile: { ...x.profile, phone: b.profile.phone } })), 'PHONE_TAKEN');
        expect(await accounts.update(uid(), (x) => x)).toBeNull();
        // null from the change function leaves it as it is.
        expect((await accounts.update(a.id, () => null))!.profile.nickname).toBe('李四');
      });

      it('lists in creation order, page by page', async () => {
        const first = await accounts.list({ limit: 2 });
        expect(first).toHaveLength(2);
        const next = await accounts.list({ limit: 1000, after: { createdAt: first[1]!.createdAt, id: first[1]!.id } });
        const all = await accounts.list({ limit: 1000 });
        expect([...first, ...next].map((a) => a.id)).toEqual(all.map((a) => a.id));
        expect(await accounts.count()).toBe(all.length);
      });

      it('stores the avatar sealed, and deletes it with the account', async () => {
        const a = account();
        await accounts.create(a);
        await accounts.putAvatar(a.id, { version: 1, small: Buffer.from('small-1'), large: Buffer.from('large-1') });
        await accounts.putAvatar(a.id, { version: 2, small: Buffer.from('small-2'), large: Buffer.from('large-2') });
        expect(await accounts.getAvatar(a.id)).toEqual({ version: 2, small: Buffer.from('small-2'), large: Buffer.from('large-2') });
        expect(await accounts.delete(a.id)).toBe(true);
        expect(await accounts.get(a.id)).toBeNull();
        expect(await accounts.getAvatar(a.id)).toBeNull();
        expect(await accounts.delete(a.id)).toBe(false);
      });

      it('keeps phone and nickname out of the plain columns', async () => {
        const a = account({}, { nickname: 'plain-nick-marker' });
        await accounts.create(a);
        const rows = await rawQuery<Record<string, unknown>>(location, `select * from accounts where id = '${a.id}'`);
        const text = JSON.stringify(rows[0], (_k, v) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
        expect(text).not.toContain('plain-nick-marker');
        expect(text).not.toContain(a.profile.phone!.slice(1));
      });
    });

    describe('SessionRepository', () => {
      it('creates, advances one generation at a time, and revokes', async () => {
        const a = account();
        await accounts.create(a);
        const id = uid('d');
        const secret = crypto.randomBytes(32);
        await sessions.create({ id, accountId: a.id, createdAt: 10, lastSeenAt: 10, generation: 1, revokedAt: null, secret, device: { name: 'Chrome on Linux', platform: 'web', address: '10.0.0.1' } });
        expect(await sessions.get(id)).toMatchObject({ id, accountId: a.id, generation: 1, revokedAt: null, secret, device: { name: 'Chrome on Linux', address: '10.0.0.1' } });
        expect(await sessions.advance(id, 1, 20, '10.0.0.2')).toBe(true);
        // The same generation again: only one of two racing refreshes wins.
        expect(await sessions.advance(id, 1, 21, '10.0.0.3')).toBe(false);
        expect(await sessions.get(id)).toMatchObject({ generation: 2, lastSeenAt: 20, device: { address: '10.0.0.2' } });
        expect(await sessions.revoke(id, 30)).toBe(true);
        expect(await sessions.revoke(id, 31)).toBe(false);
        expect(await sessions.advance(id, 2, 40, '10.0.0.4')).toBe(false);
        expect((await sessions.get(id))!.revokedAt).toBe(30);
      });

      it('creates many in one call, each with its own sealed secret', async () => {
        const owners = [account(), account()];
        await accounts.createMany(owners);
        const many: StoredSession[] = Array.from({ length: CREATE_MANY_SESSIONS_MAX }, (_, i) => ({
          id: uid('d'),
          accountId: owners[i % 2]!.id,
          createdAt: 5,
          lastSeenAt: 5,
          generation: 1,
          revokedAt: null,
          secret: crypto.randomBytes(32),
          device: { name: `bot ${i}`, platform: 'api', address: '127.0.0.1' },
        }));
        await sessions.createMany(many);
        expect(await sessions.get(many[3]!.id)).toEqual(many[3]);
        expect(await sessions.countActive(owners[0]!.id)).toBe(CREATE_MANY_SESSIONS_MAX / 2);
        expect((await sessions.signedIn(many.map((s) => s.id), 10)).size).toBe(CREATE_MANY_SESSIONS_MAX);
        await expect(sessions.createMany([...many, ...many])).rejects.toThrow(RangeError);
      });

      it('lists active devices, most recent first, and revokes all but one', async () => {
        const a = account();
        await accounts.create(a);
        const make = async (lastSeenAt: number) => {
          const id = uid('d');
          await sessions.create({ id, accountId: a.id, createdAt: 1, lastSeenAt, generation: 1, revokedAt: null, secret: crypto.randomBytes(32), device: { name: `d${lastSeenAt}`, platform: 'web', address: '::1' } });
          return id;
        };
        const [old, mid, recent] = [await make(100), await make(200), await make(300)];
        expect((await sessions.listActive(a.id)).map((s) => s.id)).toEqual([recent, mid, old]);
        expect((await sessions.revokeAll(a.id, 400, mid)).sort()).toEqual([old, recent].sort());
        expect((await sessions.listActive(a.id)).map((s) => s.id)).toEqual([mid]);
        expect(await sessions.countActive(a.id)).toBe(1);
        await sessions.touch(mid, 500);
        expect((await sessions.get(mid))!.lastSeenAt).toBe(500);
        expect(await sessions.purgeRevoked(401)).toBeGreaterThanOrEqual(2);
        expect(await sessions.get(old)).toBeNull();
      });
    });

    describe('CodeRepository', () => {
      it('accepts the right code once', async () => {
        const p = phone();
        await codes.put(p, 'login', '123456', 1_000, 0);
        expect(await codes.check(p, 'login', '123456', 10, 5)).toEqual({ ok: true });
        expect(await codes.check(p, 'login', '123456', 10, 5)).toEqual({ ok: false, reason: 'missing' });
      });

      it('keeps purposes apart and a newer code replaces an older one', async () => {
        const p = phone();
        await codes.put(p, 'signup', '111111', 1_000, 0);
        await codes.put(p, 'reset', '222222', 1_000, 0);
        await codes.put(p, 'signup', '333333', 1_000, 0);
        expect(await codes.check(p, 'signup', '111111', 10, 5)).toEqual({ ok: false, reason: 'wrong', left: 4 });
        expect(await codes.check(p, 'signup', '222222', 10, 5)).toEqual({ ok: false, reason: 'wrong', left: 3 });
        expect(await codes.check(p, 'signup', '333333', 10, 5)).toEqual({ ok: true });
        expect(await codes.check(p, 'reset', '222222', 10, 5)).toEqual({ ok: true });
      });

      it('counts tries and spends the code on the last', async () => {
        const p = phone();
        await codes.put(p, 'login', '654321', 1_000, 0);
        for (let left = 4; left >= 1; left--) expect(await codes.check(p, 'login', '000000', 10, 5)).toEqual({ ok: false, reason: 'wrong', left });
        expect(await codes.check(p, 'login', '000000', 10, 5)).toEqual({ ok: false, reason: 'wrong', left: 0 });
        expect(await codes.check(p, 'login', '654321', 10, 5)).toEqual({ ok: false, reason: 'missing' });
      });

      it('expires', async () => {
        const p = phone();
        await codes.put(p, 'login', '123123', 1_000, 0);
        expect(await codes.check(p, 'login', '123123', 1_000, 5)).toEqual({ ok: false, reason: 'expired' });
        await codes.put(p, 'login', '123123', 1_000, 0);
        expect(await codes.purgeExpired(2_000)).toBeGreaterThanOrEqual(1);
      });

      it('stores neither the code nor the number', async () => {
        const p = phone();
        await codes.put(p, 'login', '987654', 1_000, 0);
        const rows = await rawQuery<Record<string, unknown>>(location, 'select * from auth_codes');
        const text = JSON.stringify(rows);
        expect(text).not.toContain('987654');
        expect(text).not.toContain(p.slice(1));
      });
    });

    describe('LinkRepository', () => {
      it('works once, before it expires', async () => {
        const a = account();
        await accounts.create(a);
        const token = crypto.randomBytes(32).toString('base64url');
        await links.create(token, a.id, 'guest', 1_000, 0);
        expect(await links.peek(token, 'guest', 10)).toEqual({ ok: true, accountId: a.id });
        expect(await links.use(token, 'admin-setup', 10)).toEqual({ ok: false, reason: 'unknown' });
        expect(await links.use(token, 'guest', 10)).toEqual({ ok: true, accountId: a.id });
        expect(await links.use(token, 'guest', 11)).toEqual({ ok: false, reason: 'used' });
        const late = crypto.randomBytes(32).toString('base64url');
        await links.create(late, a.id, 'guest', 1_000, 0);
        expect(await links.use(late, 'guest', 1_000)).toEqual({ ok: false, reason: 'expired' });
        const cancelled = crypto.randomBytes(32).toString('base64url');
        await links.create(cancelled, a.id, 'admin-setup', 1_000, 0);
        await links.cancel(a.id, 'admin-setup');
        expect(await links.use(cancelled, 'admin-setup', 10)).toEqual({ ok: false, reason: 'unknown' });
      });
    });

    describe('SecurityEventRepository', () => {
      it('lists newest first, by account and kind', async () => {
        const a = uid();
        await events.add({ at: 1_000, accountId: a, kind: 'login', details: { address: '10.1.1.1' } });
        await events.add({ at: 2_000, accountId: a, kind: 'login.failed', details: { address: '10.1.1.2' } });
        await events.add({ at: 3_000, accountId: uid(), kind: 'login', details: {} });
        expect((await events.list({ limit: 10, accountId: a })).map((e) => [e.kind, e.details])).toEqual([
          ['login.failed', { address: '10.1.1.2' }],
          ['login', { address: '10.1.1.1' }],
        ]);
        expect((await events.list({ limit: 10, accountId: a, kinds: ['login'] })).length).toBe(1);
      });
    });

    describe('SettingsRepository', () => {
      it('stores JSON values, and putIfAbsent keeps the first', async () => {
        const key = uid('k');
        expect(await settings.get(key)).toBeNull();
        await settings.put(key, { policy: 'code' });
        expect(await settings.get(key)).toEqual({ policy: 'code' });
        const other = uid('k');
        expect(await settings.putIfAbsent(other, { v: 1 })).toEqual({ v: 1 });
        expect(await settings.putIfAbsent(other, { v: 2 })).toEqual({ v: 1 });
      });
    });
  });
}
