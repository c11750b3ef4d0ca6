/**
 * Limits on Redis: counted once across processes, and still enforced (in
 * memory) while Redis cannot be reached.
 */
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisLimits } from './redisLimits.ts';
import { redisTestsEnabled, TEST_REDIS_URL } from './testing/redis.ts';

const enabled = await redisTestsEnabled('the Redis limits tests (kit/src/redisLimits.test.ts)');

describe.runIf(enabled)('RedisLimits', () => {
  const prefix = `muster-test:${crypto.randomBytes(6).toString('hex')}`;
  const opened: RedisLimits[] = [];
  const open = async (url = TEST_REDIS_URL) => {
    const limits = new RedisLimits(url, { prefix });
    opened.push(limits);
    if (url === TEST_REDIS_URL) expect(await limits.ready()).toBe(true);
    return limits;
  };
  afterAll(async () => {
    for (const limits of opened) await limits.close();
  });

  it('counts one rate across processes', async () => {
    const [a, b] = [await open(), await open()];
    const options = { name: 'codes', points: 5, perSeconds: 60 };
    const onA = a.rate(options);
    const onB = b.rate(options);
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push((await onA.take('+8613800138000')).allowed);
    for (let i = 0; i < 3; i++) verdicts.push((await onB.take('+8613800138000')).allowed);
    expect(verdicts).toEqual([true, true, true, true, true, false]);
    const refused = await onA.take('+8613800138000');
    expect(refused.allowed ? 0 : refused.retryAfterMs).toBeGreaterThan(0);
    await onB.reset('+8613800138000');
    expect((await onA.take('+8613800138000')).allowed).toBe(true);
  });

  it('locks out across processes', async () => {
    const [a, b] = [await open(), await open()];
    const options = { name: 'guesses', attempts: 2, perSeconds: 60, lockSeconds: 30, maxLockSeconds: 600 };
    expect((await a.lockout(options).take('10.0.0.1')).allowed).toBe(true);
    expect((await b.lockout(options).take('10.0.0.1')).allowed).toBe(true);
    const locked = await a.lockout(options).take('10.0.0.1');
    expect(locked).toEqual({ allowed: false, retryAfterMs: 30_000 });
    expect((await b.lockout(options).take('10.0.0.1')).allowed).toBe(false);
  });

  it('while Redis is unreachable, limits still hold, in this process’s memory', async () => {
    const down = await open('redis://127.0.0.1:1');
    expect(await down.ready(200)).toBe(false);
    const limit = down.rate({ name: 'offline', points: 3, perSeconds: 60 });
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push((await limit.take('k')).allowed);
    expect(verdicts).toEqual([true, true, true, false]);
  });
});
