/**
 * A data key rotation re-seals accounts and recomputes their phone's blind
 * index under the new key: once the old key is gone, every account is still
 * found by its number, and a taken number is still refused.
 */
import { describe, expect, it } from 'vitest';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { isAccountError } from '../errors.ts';
import { AccountRepository, type StoredAccount } from './AccountRepository.ts';

const engines = await testEngines('the PostgreSQL accounts rotation test (accounts/src/store/rotation.test.ts)');

const make = (i: number): StoredAccount => ({
  id: `u-rot-${i}`,
  musterId: null,
  role: 'user',
  status: 'active',
  createdAt: i,
  updatedAt: i,
  expiresAt: null,
  lockedUntil: null,
  profile: { phone: `+861390000${String(i).padStart(4, '0')}`, phoneVerified: true, nickname: `n${i}`, gender: 'unspecified', region: '', signature: '', avatarVersion: null, musterIdChangedAt: null },
  credentials: {},
});

describe.each(engines)('accounts across a key rotation (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('finds every account by phone after the old key is retired', async () => {
    const db = await testDb.open({ rotationBatchSize: 3 });
    const accounts = new AccountRepository(db);
    for (let i = 0; i < 10; i++) await accounts.create(make(i));
    const [oldKey] = db.sealer.keyIds;
    expect(oldKey).toBeTruthy();
    await db.rotation.start();
    // Found during the rotation too (through every key's index).
    expect((await accounts.findByPhone(make(4).profile.phone!))!.id).toBe('u-rot-4');
    await db.rotation.run();
    expect((await db.rotation.status()).retiringKeyIds).toEqual([]);
    expect(db.sealer.keyIds).not.toContain(oldKey);
    for (let i = 0; i < 10; i++) expect((await accounts.findByPhone(make(i).profile.phone!))!.id).toBe(`u-rot-${i}`);
    const duplicate = await accounts.create({ ...make(3), id: 'u-rot-dup' }).then(() => null, (e: unknown) => e);
    expect(isAccountError(duplicate, 'PHONE_TAKEN')).toBe(true);
  });
});
