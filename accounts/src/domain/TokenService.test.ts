/**
 * Access tokens: what verifies and what does not, the same answer from the
 * cache of verified tokens as from a first verification, and nothing from
 * it that was not verified (another payload under a copied signature, a
 * token past its expiry).
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@muster/db/testing';
import { SettingsRepository } from '../store/SettingsRepository.ts';
import { ACCESS_TOKEN_TTL_SECONDS, TokenService } from './TokenService.ts';

const waitUntil = async (check: () => Promise<boolean>) => {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
};

describe('access tokens', () => {
  const testDb = useTestDatabase('sqlite');

  it('verify the same way twice (the second from the cache), and refuse a payload changed under a verified signature', async () => {
    const tokens = await TokenService.open(new SettingsRepository(await testDb.open()));
    const { token, expiresAt } = await tokens.signAccess({ accountId: 'acc-1', sessionId: 'ses-1', role: 'user' });
    const claims = { accountId: 'acc-1', sessionId: 'ses-1', role: 'user', expiresAt };
    expect(await tokens.verifyAccess(token)).toEqual(claims);
    const again = await tokens.verifyAccess(token);
    expect(again).toEqual(claims);
    // The caller's copy: changing it changes nothing remembered.
    again!.role = 'admin';
    expect(await tokens.verifyAccess(token)).toEqual(claims);

    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin' })).toString('base64url');
    expect(await tokens.verifyAccess(`${header}.${forged}.${signature}`)).toBeNull();
    // A changed signature: its first character, always different (the last two, as "AA", left it unchanged one time
    // in sixteen: an Ed25519 signature's last byte is often 0).
    const changed = `${signature![0] === 'A' ? 'B' : 'A'}${signature!.slice(1)}`;
    expect(await tokens.verifyAccess(`${header}.${payload}.${changed}`)).toBeNull();
    expect(await tokens.verifyAccess('x'.repeat(2001))).toBeNull();
  });

  it('refuse a remembered token once it expires', async () => {
    const tokens = await TokenService.open(new SettingsRepository(await testDb.open()));
    // Issued long enough ago that it expires in about a second.
    const { token, expiresAt } = await tokens.signAccess({ accountId: 'acc-2', sessionId: 'ses-2', role: 'user' }, Date.now() - ACCESS_TOKEN_TTL_SECONDS * 1000 + 1_000);
    expect(await tokens.verifyAccess(token)).toMatchObject({ accountId: 'acc-2', expiresAt });
    await waitUntil(async () => Date.now() > expiresAt);
    expect(await tokens.verifyAccess(token)).toBeNull();
  });
});
