import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Limits on how often a key (a client address, a meeting, a board) may do
 * something, shared by every gateway and route. Per-socket token buckets stop
 * one connection from flooding; these stop many connections from one address,
 * or many addresses against one meeting, which a per-socket limit cannot see.
 *
 * Every limit goes through `rate-limiter-flexible`, in memory today. The
 * scale-out issue swaps `MemoryLimits` for one on Redis with the same
 * interface, so the counters are shared between processes.
 *
 * Exported as `@muster/signaling/limits`, a leaf module: the whiteboard uses
 * it without loading the signaling server.
 */

export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/** One named limit. */
export interface Limit {
  readonly name: string;
  /** Counts `points` (default 1) against `key`; refused, nothing is counted beyond the limit. */
  take(key: string, points?: number): Promise<LimitVerdict>;
  /** Gives back points taken by `take` (a try that turned out right does not count). */
  reward(key: string, points?: number): Promise<void>;
  /** Forgets everything counted against `key`. */
  reset(key: string): Promise<void>;
}

export interface RateOptions {
  name: string;
  /** How many points a key may take... */
  points: number;
  /** ...in this many seconds. */
  perSeconds: number;
}

export interface BurstOptions {
  name: string;
  /** Sustained rate... */
  perSecond: number;
  /** ...with bursts up to this many at once (a token bucket's shape). */
  burst: number;
}

export interface LockoutOptions {
  name: string;
  /** Failures a key may have... */
  attempts: number;
  /** ...in this many seconds before it is locked out. */
  perSeconds: number;
  /** The first lockout; each further one within a day doubles it... */
  lockSeconds: number;
  /** ...up to this. */
  maxLockSeconds: number;
}

/** Makes limits; one implementation per backing store. */
export interface LimitStore {
  /** At most `points` per `perSeconds` for each key. */
  rate(options: RateOptions): Limit;
  /** `perSecond` sustained, bursts up to `burst`: one connection's requests. */
  bursty(options: BurstOptions): Limit;
  /** Like `rate`, but a key that runs out is locked out for a time that doubles with each lockout (passcode guessing). */
  lockout(options: LockoutOptions): Limit;
}

const DAY_SECONDS = 86_400;

function verdictOf(result: unknown): LimitVerdict {
  if (result instanceof RateLimiterRes) return { allowed: false, retryAfterMs: Math.max(1, Math.ceil(result.msBeforeNext)) };
  // A store error (Redis down, later) must not let everything through unnoticed, nor lock everyone out:
  // it is thrown, and the caller's error path answers INTERNAL.
  throw result;
}

/** A limit on one or more rate-limiter-flexible limiters: the first is the steady rate, any other a burst allowance on top. */
class RateLimit implements Limit {
  readonly name: string;
  readonly #consumer: { consume(key: string, points: number): Promise<unknown> };
  readonly #limiters: RateLimiterAbstract[];

  constructor(name: string, limiters: [RateLimiterAbstract, ...RateLimiterAbstract[]]) {
    this.name = name;
    this.#limiters = limiters;
    this.#consumer = limiters.length === 1 ? limiters[0] : new BurstyRateLimiter(limiters[0], limiters[1]!);
  }

  async take(key: string, points = 1): Promise<LimitVerdict> {
    try {
      await this.#consumer.consume(key, points);
      return { allowed: true };
    } catch (result) {
      return verdictOf(result);
    }
  }

  async reward(key: string, points = 1): Promise<void> {
    await this.#limiters[0]!.reward(key, points);
  }

  async reset(key: string): Promise<void> {
    await Promise.all(this.#limiters.map((limiter) => limiter.delete(key)));
  }
}

class LockoutLimit implements Limit {
  readonly name: string;
  readonly #attempts: RateLimiterAbstract;
  readonly #lockouts: RateLimiterAbstract;
  readonly #options: LockoutOptions;

  constructor(options: LockoutOptions, attempts: RateLimiterAbstract, lockouts: RateLimiterAbstract) {
    this.name = options.name;
    this.#options = options;
    this.#attempts = attempts;
    this.#lockouts = lockouts;
  }

  async take(key: string, points = 1): Promise<LimitVerdict> {
    try {
      await this.#attempts.consume(key, points);
      return { allowed: true };
    } catch (result) {
      const verdict = verdictOf(result);
      // The try that ran out starts a lockout; tries during one only report it.
      const res = result as RateLimiterRes;
      if (res.consumedPoints - points <= this.#options.attempts) {
        // Never refused: its points are unlimited; it only counts lockouts within a day.
        const lockouts = await this.#lockouts.consume(key);
        const seconds = Math.min(this.#options.maxLockSeconds, this.#options.lockSeconds * 2 ** Math.min(30, lockouts.consumedPoints - 1));
        await this.#attempts.block(key, seconds);
        return { allowed: false, retryAfterMs: seconds * 1000 };
      }
      return verdict;
    }
  }

  async reward(key: string, points = 1): Promise<void> {
    await this.#attempts.reward(key, points);
  }

  async reset(key: string): Promise<void> {
    await this.#attempts.delete(key);
  }
}

/** What one counter needs: rate-limiter-flexible's options common to every store. */
export interface CounterOptions {
  keyPrefix: string;
  points: number;
  duration: number;
}

/**
 * The shapes of limit, over any rate-limiter-flexible store: a subclass
 * says where counters live (this process's memory, Redis).
 */
export abstract class CounterLimits implements LimitStore {
  protected abstract counter(options: CounterOptions): RateLimiterAbstract;

  rate(options: RateOptions): Limit {
    return new RateLimit(options.name, [this.counter({ keyPrefix: options.name, points: options.points, duration: options.perSeconds })]);
  }

  bursty(options: BurstOptions): Limit {
    const steady = this.counter({ keyPrefix: options.name, points: options.perSecond, duration: 1 });
    // What a bucket holds beyond one second's rate, refilled over the time the steady rate takes to earn it.
    const extra = Math.max(1, options.burst - options.perSecond);
    const burst = this.counter({ keyPrefix: `${options.name}:burst`, points: extra, duration: Math.max(1, Math.ceil(extra / options.perSecond)) });
    return new RateLimit(options.name, [steady, burst]);
  }

  lockout(options: LockoutOptions): Limit {
    const attempts = this.counter({ keyPrefix: options.name, points: options.attempts, duration: options.perSeconds });
    const lockouts = this.counter({ keyPrefix: `${options.name}:lockouts`, points: Number.MAX_SAFE_INTEGER, duration: DAY_SECONDS });
    return new LockoutLimit(options, attempts, lockouts);
  }
}

/** Limits kept in this process's memory: right for one process (RedisLimits shares them between processes). */
export class MemoryLimits extends CounterLimits {
  protected counter(options: CounterOptions): RateLimiterAbstract {
    return new RateLimiterMemory(options);
  }
}

/** A readable "try again in …" for a refusal. */
export function retryText(retryAfterMs: number): string {
  const seconds = Math.ceil(retryAfterMs / 1000);
  return seconds < 120 ? `try again in ${seconds} s` : `try again in ${Math.ceil(seconds / 60)} min`;
}
