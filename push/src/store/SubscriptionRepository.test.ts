/**
 * The push stores on SQLite and PostgreSQL: one row per endpoint (the same
 * account again keeps its id, and it moves to the device that registered it
 * last; another account takes the endpoint over), the per-account cap,
 * removal of one's own only and of signed-out devices', which sessions are
 * still signed in (accounts' store: revoked, deleted, disabled, a guest's
 * end), endpoints and keys and
 * do-not-disturb hours sealed at rest; and the VAPID keys generated once and
 * kept (sealed) for every later start.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openTestAccounts } from '@muster/accounts/testing';
import { SessionRepository } from '@muster/accounts';
import { bytesAtRest, foundAtRest, silentLogger, testEngines, useTestDatabase } from '@muster/db/testing';
import { loadVapidKeys, VapidConfigError } from '../domain/VapidKeys.ts';
import { NotificationSettingsRepository } from './NotificationSettingsRepository.ts';
import { SignedInSessions } from './SignedInSessions.ts';
import { SubscriptionRepository } from './SubscriptionRepository.ts';

const engines = await testEngines('the PostgreSQL push store contract (push/src/store/SubscriptionRepository.test.ts)');
const uid = (p = 'u') => `${p}${crypto.randomBytes(6).toString('hex')}`;

describe.each(engines)('push stores (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('keeps one row per endpoint: the same account keeps its id (on the device that registered it last), another account takes it over, the cap refuses more', async () => {
    const db = await testDb.open();
    const store = new SubscriptionRepository(db);
    const [ann, ben] = [uid(), uid()];
    const [annOld, annNew, benDevice] = [uid('d'), uid('d'), uid('d')];
    const endpoint = 'https://push.example.internal/wpush/v2/secret-endpoint-token';
    const first = await store.put({ newId: uid('ps'), accountId: ann, sessionId: annOld, kind: 'webpush', endpoint, keys: { p256dh: 'a', auth: 'b' }, at: 1, max: 2 });
    expect(first).toMatchObject({ created: true });
    expect((await store.forAccount(ann))[0]!.sessionId).toBe(annOld);
    // Signed in again on that browser (a new session), it registers the same endpoint: same row, the new session's.
    const again = await store.put({ newId: uid('ps'), accountId: ann, sessionId: annNew, kind: 'webpush', endpoint, keys: { p256dh: 'c', auth: 'd' }, at: 2, max: 2 });
    expect(again).toEqual({ id: (first as { id: string }).id, created: false });
    expect(await store.forAccount(ann)).toEqual([{ id: (first as { id: string }).id, accountId: ann, sessionId: annNew, kind: 'webpush', endpoint, keys: { p256dh: 'c', auth: 'd' }, createdAt: 1, lastSuccessAt: null }]);
    // Signing the old session out no longer touches it.
    expect(await store.removeForSessions(ann, [annOld])).toBe(0);

    const device = benDevice;
    const taken = await store.put({ newId: uid('ps'), accountId: ben, sessionId: device, kind: 'webpush', endpoint, keys: null, at: 3, max: 2 });
    expect(taken).toMatchObject({ created: true });
    expect((taken as { id: string }).id).not.toBe((first as { id: string }).id);
    expect(await store.forAccount(ann)).toEqual([]);
    expect(await store.accountsWithSubscriptions([ann, ben, uid()])).toEqual(new Set([ben]));

    await store.put({ newId: uid('ps'), accountId: ben, sessionId: device, kind: 'unifiedpush', endpoint: 'http://10.0.0.5/up1', keys: null, at: 4, max: 2 });
    expect(await store.put({ newId: uid('ps'), accountId: ben, sessionId: device, kind: 'unifiedpush', endpoint: 'http://10.0.0.5/up2', keys: null, at: 5, max: 2 })).toEqual({ limited: true });
    // Registering one it already has is not "one more".
    expect(await store.put({ newId: uid('ps'), accountId: ben, sessionId: device, kind: 'unifiedpush', endpoint: 'http://10.0.0.5/up1', keys: null, at: 6, max: 2 })).toMatchObject({ created: false });
  });

  it('removes only one’s own, records successes, and removes dead ones', async () => {
    const store = new SubscriptionRepository(await testDb.open());
    const [ann, ben] = [uid(), uid()];
    const device = uid('d');
    const { id } = (await store.put({ newId: uid('ps'), accountId: ann, sessionId: device, kind: 'webpush', endpoint: 'https://p.example/1', keys: null, at: 1, max: 20 })) as { id: string };
    expect(await store.remove(ben, id)).toBe(false);
    await store.markSuccess(id, 42);
    expect((await store.forAccount(ann))[0]!.lastSuccessAt).toBe(42);
    expect(await store.remove(ann, id)).toBe(true);
    const other = (await store.put({ newId: uid('ps'), accountId: ann, sessionId: device, kind: 'webpush', endpoint: 'https://p.example/2', keys: null, at: 1, max: 20 })) as { id: string };
    await store.removeDead(other.id);
    expect(await store.forAccount(ann)).toEqual([]);
  });

  it('removes the subscriptions of signed-out sessions, of that account only', async () => {
    const store = new SubscriptionRepository(await testDb.open());
    const [ann, ben] = [uid(), uid()];
    const [laptop, phone, benPhone] = [uid('d'), uid('d'), uid('d')];
    const put = async (accountId: string, sessionId: string, n: number) =>
      ((await store.put({ newId: uid('ps'), accountId, sessionId, kind: 'unifiedpush', endpoint: `http://10.0.0.5/up${n}`, keys: null, at: n, max: 20 })) as { id: string }).id;
    await put(ann, laptop, 1);
    await put(ann, laptop, 2);
    const kept = await put(ann, phone, 3);
    const bens = await put(ben, benPhone, 4);
    // Another account's session id names none of Ann's.
    expect(await store.removeForSessions(ann, [benPhone])).toBe(0);
    expect(await store.removeForSessions(ann, [laptop, uid('d')])).toBe(2);
    expect((await store.forAccount(ann)).map((s) => s.id)).toEqual([kept]);
    await store.removeMany([kept]);
    expect(await store.forAccount(ann)).toEqual([]);
    expect((await store.forAccount(ben)).map((s) => s.id)).toEqual([bens]);
    expect(await store.removeForSessions(ben, [])).toBe(0);
  });

  it('tells which sessions are still signed in from accounts’ store: not revoked, not deleted, the account active and not expired', async () => {
    const db = await testDb.open();
    const t = await openTestAccounts(db);
    testDb.defer(() => t.accounts.close());
    await t.accounts.admin.updateSettings({ accountId: 'root', sessionId: 's', role: 'admin' }, { signupPolicy: 'password' });
    const admin = { accountId: 'root', sessionId: 's', role: 'admin' as const };
    const signup = async (phone: string) => (await t.accounts.auth.signup({ phone, password: 'tulip-granite-73', nickname: 'n' }, { address: '10.1.2.3' })).session!;
    const login = async (phone: string) => t.accounts.auth.login({ phone, password: 'tulip-granite-73' }, { address: '10.1.2.3' });
    const ann = await signup('+8613700009001');
    const annPhone = await login('+8613700009001');
    const annTablet = await login('+8613700009001');
    const ben = await signup('+8613700009002');
    const sessions = new SignedInSessions(t.accounts);
    const all = [ann.deviceId, annPhone.deviceId, annTablet.deviceId, ben.deviceId, uid('d')];
    expect(await sessions.activeSessions(all)).toEqual(new Set(all.slice(0, 4)));
    expect(await sessions.activeSessions([])).toEqual(new Set());

    // Revoked in the store only (as another process does): no longer signed in, whatever this process's guard knows.
    await new SessionRepository(db).revoke(annTablet.deviceId, t.clock.now());
    expect(await sessions.activeSessions(all)).toEqual(new Set([ann.deviceId, annPhone.deviceId, ben.deviceId]));
    // A disabled account's sessions (revoked with it), and a deleted account's (gone).
    await t.accounts.admin.setStatus(admin, ben.user.id, 'disabled');
    expect(await sessions.activeSessions(all)).toEqual(new Set([ann.deviceId, annPhone.deviceId]));
    await t.accounts.admin.deleteUser(admin, ben.user.id);
    expect(await sessions.activeSessions([ben.deviceId])).toEqual(new Set());

    // A guest whose account runs out: nothing revokes the session, yet it is no longer signed in.
    const [guest] = await t.accounts.admin.createGuests(admin, ['Visitor'], t.clock.now() + 60_000);
    const guestSession = await t.accounts.auth.guestLogin(guest!.link.split('#')[1]!, undefined, { address: '10.1.2.3' });
    expect(await sessions.activeSessions([guestSession.deviceId])).toEqual(new Set([guestSession.deviceId]));
    t.clock.advance(60_000);
    expect(await sessions.activeSessions([guestSession.deviceId, ann.deviceId])).toEqual(new Set([ann.deviceId]));
  });

  it('seals endpoints, keys and do-not-disturb hours at rest', async () => {
    const db = await testDb.open();
    const store = new SubscriptionRepository(db);
    const settings = new NotificationSettingsRepository(db);
    const account = uid();
    const device = uid('d');
    const marker = `endpoint-marker-${crypto.randomBytes(6).toString('hex')}`;
    await store.put({ newId: uid('ps'), accountId: account, sessionId: device, kind: 'webpush', endpoint: `https://push.example/${marker}`, keys: { p256dh: 'keymarker-p256dh-value', auth: 'keymarker-auth-value' }, at: 1, max: 20 });
    expect(await settings.get(account)).toEqual({ previews: false, dnd: null });
    await settings.put(account, { previews: true, dnd: { start: '22:00', end: '07:00', timeZone: 'Pacific/Chatham' } }, 1);
    expect(await settings.get(account)).toEqual({ previews: true, dnd: { start: '22:00', end: '07:00', timeZone: 'Pacific/Chatham' } });
    await db.writer.whenIdle();
    const location = testDb.location;
    await db.close();
    for (const [where, bytes] of await bytesAtRest(engine, location, db)) {
      for (const secret of [marker, 'keymarker-p256dh-value', 'keymarker-auth-value', 'Pacific/Chatham']) expect(foundAtRest(bytes, secret), `${secret} in ${where}`).toBe(false);
    }
  });

  it('generates the VAPID key pair once and keeps it; takes it from the environment instead when both keys are set', async () => {
    const db = await testDb.open();
    const first = await loadVapidKeys({ db, env: {}, logger: silentLogger });
    expect(Buffer.from(first.publicKey, 'base64url')).toHaveLength(65);
    expect(first.subject).toBe('mailto:admin@localhost');
    const again = await loadVapidKeys({ db, env: { VAPID_SUBJECT: 'https://chat.example.org' }, logger: silentLogger });
    expect(again).toEqual({ ...first, subject: 'https://chat.example.org' });
    const fromEnv = await loadVapidKeys({ db, env: { VAPID_PUBLIC_KEY: again.publicKey, VAPID_PRIVATE_KEY: again.privateKey, VAPID_SUBJECT: 'mailto:ops@example.org' }, logger: silentLogger });
    expect(fromEnv.subject).toBe('mailto:ops@example.org');
    await expect(loadVapidKeys({ db, env: { VAPID_PUBLIC_KEY: first.publicKey }, logger: silentLogger })).rejects.toBeInstanceOf(VapidConfigError);
    await expect(loadVapidKeys({ db, env: { VAPID_PUBLIC_KEY: 'short', VAPID_PRIVATE_KEY: first.privateKey }, logger: silentLogger })).rejects.toBeInstanceOf(VapidConfigError);
    await expect(loadVapidKeys({ db, env: { VAPID_SUBJECT: 'http://insecure.example' }, logger: silentLogger })).rejects.toBeInstanceOf(VapidConfigError);
    // The private key is sealed in the settings row.
    await db.writer.whenIdle();
    const location = testDb.location;
    await db.close();
    for (const [where, bytes] of await bytesAtRest(engine, location, db)) expect(foundAtRest(bytes, first.privateKey), where).toBe(false);
  });
});
