import { describe, expect, it } from 'vitest';
import { MemoryLimits, retryText } from './limits.ts';

describe('limits', () => {
  it('a rate limit refuses past its points, per key, and says when to retry', async () => {
    const limit = new MemoryLimits().rate({ name: 'test-rate', points: 3, perSeconds: 60 });
    for (let i = 0; i < 3; i++) expect(await limit.take('a')).toEqual({ allowed: true });
    const refused = await limit.take('a');
    expect(refused.allowed).toBe(false);
    expect(!refused.allowed && refused.retryAfterMs).toBeGreaterThan(0);
    expect(await limit.take('b')).toEqual({ allowed: true });
    await limit.reward('a');
    await limit.reset('a');
    expect(await limit.take('a')).toEqual({ allowed: true });
  });

  it('a lockout doubles with each lockout of the same key, up to its maximum', async () => {
    const limit = new MemoryLimits().lockout({ name: 'test-lockout', attempts: 2, perSeconds: 600, lockSeconds: 10, maxLockSeconds: 25 });
    const lockAfterRunOut = async (): Promise<number> => {
      await limit.reset('k');
      for (let i = 0; i < 2; i++) expect(await limit.take('k')).toEqual({ allowed: true });
      const verdict = await limit.take('k');
      if (verdict.allowed) throw new Error('expected a lockout');
      return verdict.retryAfterMs;
    };
    expect(await lockAfterRunOut()).toBe(10_000);
    // Tries during the lockout do not extend or restart it.
    const during = await limit.take('k');
    expect(during.allowed).toBe(false);
    expect(!during.allowed && during.retryAfterMs).toBeLessThanOrEqual(10_000);
    expect(await lockAfterRunOut()).toBe(20_000);
    expect(await lockAfterRunOut()).toBe(25_000);
  });

  it('a bursty limit lets a burst through, then the sustained rate', async () => {
    const limit = new MemoryLimits().bursty({ name: 'test-bursty', perSecond: 10, burst: 25 });
    const verdicts = await Promise.all(Array.from({ length: 40 }, () => limit.take('s')));
    const allowed = verdicts.filter((v) => v.allowed).length;
    expect(allowed).toBeGreaterThanOrEqual(25);
    expect(allowed).toBeLessThan(40);
    expect(await limit.take('other')).toEqual({ allowed: true });
  });

  it('a reward gives back a try that turned out right', async () => {
    const limit = new MemoryLimits().lockout({ name: 'test-reward', attempts: 2, perSeconds: 600, lockSeconds: 10, maxLockSeconds: 10 });
    for (let i = 0; i < 10; i++) {
      expect(await limit.take('ok')).toEqual({ allowed: true });
      await limit.reward('ok');
    }
  });

  it('says when to retry in words', () => {
    expect(retryText(1_500)).toBe('try again in 2 s');
    expect(retryText(600_000)).toBe('try again in 10 min');
  });
});
