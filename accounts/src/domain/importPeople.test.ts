/**
 * Bulk provisioning, on every engine: an organisation's staff list imported
 * at once (admin.importPeople), and one device signed in for each of many
 * accounts at once (auth.startSessions), with what each refuses.
 */
import { describe, expect, it } from 'vitest';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { openTestAccounts } from '../testing/index.ts';

const engines = await testEngines('the PostgreSQL bulk import tests (accounts/src/domain/importPeople.test.ts)');
const client = { address: '10.1.2.3' };
const device = { name: 'Front desk', platform: 'api' };
/** Valid Chinese mobile numbers, distinct per test file run. */
const run = String(Date.now() % 10_000).padStart(4, '0');
const phoneOf = (i: number) => `+86137${run}${String(i).padStart(4, '0')}`;

describe.each(engines)('bulk provisioning (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('imports a staff list in batches, skipping what cannot be imported', async () => {
    const t = await openTestAccounts(await testDb.open());
    const { session } = await t.accounts.auth.signup({ phone: phoneOf(9000), code: await codeFor(t, phoneOf(9000)), nickname: 'Already here' }, client);
    const people = Array.from({ length: 1200 }, (_, i) => ({ phone: phoneOf(i), nickname: `员工 ${i}` }));
    const result = await t.accounts.admin.importPeople([
      ...people,
      { phone: 'not a number', nickname: 'x' },
      { phone: phoneOf(1200), nickname: '' },
      { phone: phoneOf(5), nickname: 'Twice in the list' },
      { phone: phoneOf(9000), nickname: 'Has an account' },
    ]);
    expect(result.imported).toHaveLength(1200);
    expect(result.imported[5]).toMatchObject({ phone: phoneOf(5), nickname: '员工 5' });
    expect(result.skipped).toEqual([
      { phone: 'not a number', reason: 'PHONE_INVALID' },
      { phone: phoneOf(1200), reason: 'NICKNAME_INVALID' },
      { phone: phoneOf(5), reason: 'PHONE_TAKEN' },
      { phone: phoneOf(9000), reason: 'PHONE_TAKEN' },
    ]);
    // The one already there is untouched.
    expect((await t.accounts.profiles.me({ accountId: session!.user.id, sessionId: session!.deviceId, role: 'user' })).nickname).toBe('Already here');

    // Imported people are active, without a password, and sign in by code like anyone.
    const user = await t.accounts.admin.user(result.imported[1100]!.id);
    expect(user).toMatchObject({ nickname: '员工 1100', status: 'active', role: 'user', hasPassword: false, phoneVerified: false, devices: 0, musterId: expect.stringMatching(/^mu[a-z2-9]{8}$/) });
    await t.accounts.auth.requestCode(phoneOf(1100), 'login', client);
    const login = await t.accounts.auth.login({ phone: phoneOf(1100), code: t.code(phoneOf(1100), 'login') }, client);
    expect(login.user).toMatchObject({ id: user.id, phoneVerified: true });

    // Imported again: every number is taken now.
    const again = await t.accounts.admin.importPeople(people.slice(0, 3));
    expect(again).toEqual({ imported: [], skipped: people.slice(0, 3).map((p) => ({ phone: p.phone, reason: 'PHONE_TAKEN' })) });
  });

  it('signs one device in for each of many accounts, refusing those that may not sign in', async () => {
    const t = await openTestAccounts(await testDb.open());
    const { imported } = await t.accounts.admin.importPeople(Array.from({ length: 700 }, (_, i) => ({ phone: phoneOf(2000 + i), nickname: `bot ${i}` })));
    const admin = { accountId: 'u-admin', sessionId: 'd-admin', role: 'admin' as const };
    await t.accounts.admin.setStatus(admin, imported[3]!.id, 'disabled');
    const ids = [...imported.map((p) => p.id), 'u-nobody'];
    const { started, refused } = await t.accounts.auth.startSessions(ids, device, client);
    expect(refused).toEqual([
      { accountId: imported[3]!.id, reason: 'ACCOUNT_DISABLED' },
      { accountId: 'u-nobody', reason: 'NOT_FOUND' },
    ]);
    expect(started).toHaveLength(699);
    expect(new Set(started.map((s) => s.deviceId)).size).toBe(699);

    // Each is a real session: the access token speaks for it, the refresh token rotates, the device is listed.
    const first = started[0]!;
    expect(first.accountId).toBe(imported[0]!.id);
    const principal = await t.accounts.guard.authenticate(first.accessToken);
    expect(principal).toEqual({ accountId: first.accountId, sessionId: first.deviceId, role: 'user' });
    expect(await t.accounts.auth.devices(principal!)).toMatchObject([{ id: first.deviceId, name: 'Front desk', platform: 'api', location: client.address, current: true }]);
    const refreshed = await t.accounts.auth.refresh(started[650]!.refreshToken, client);
    expect(refreshed).toMatchObject({ deviceId: started[650]!.deviceId, user: { id: started[650]!.accountId } });
    expect(await t.accounts.guard.authenticate(refreshed.accessToken)).not.toBeNull();
  });
});

/** A sign-up code, as the log channel delivered it. */
async function codeFor(t: Awaited<ReturnType<typeof openTestAccounts>>, phone: string): Promise<string> {
  await t.accounts.auth.requestCode(phone, 'signup', client);
  return t.code(phone, 'signup');
}
