/**
 * With REDIS_URL, two server processes count one person's code requests
 * together: a burst spread over both is refused as it would be on one.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisTestsEnabled, TEST_REDIS_URL } from '@muster/kit/testing';
import { startTestServer } from '../testing/index.ts';

const enabled = await redisTestsEnabled('the shared-limits test (server/src/accounts/sharedLimits.test.ts)');

describe.runIf(enabled)('limits shared through Redis', () => {
  const prefix = `muster-test-${crypto.randomBytes(6).toString('hex')}`;
  let servers: Awaited<ReturnType<typeof startTestServer>>[] = [];

  beforeAll(async () => {
    servers = [await startTestServer({ redisUrl: TEST_REDIS_URL, redisKeyPrefix: prefix }), await startTestServer({ redisUrl: TEST_REDIS_URL, redisKeyPrefix: prefix })];
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('refuses the sixth code for one number across two servers', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const server = servers[i % 2]!;
      const res = await fetch(`${server.url}/api/v1/auth/codes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: '+8613911119999', purpose: 'signup' }) });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([204, 204, 204, 204, 204, 429]);
  });
});
