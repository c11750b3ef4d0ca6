import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Redis } from 'ioredis';
import { CounterLimits, type CounterOptions } from './limits.ts';
import { log as rootLog } from './log.ts';

const log = rootLog.child({ component: 'redis' });

/**
 * Limits shared by every process through Redis (`REDIS_URL`): a burst of
 * code requests spread over several servers is counted once. While Redis is
 * unreachable (restarting, a network cut) each limit falls back to a counter
 * in this process's memory (rate-limiter-flexible's insurance limiter), so
 * nothing is let through unlimited and nothing is refused for the outage;
 * ioredis reconnects by itself and the shared counters take over again.
 */
export class RedisLimits extends CounterLimits {
  readonly client: Redis;
  readonly #prefix: string;
  readonly #owned: boolean;

  /** `client`: an ioredis client (its offline queue off, so a down Redis answers at once); or a URL to connect to. */
  constructor(client: Redis | string, options: { prefix?: string } = {}) {
    super();
    this.#owned = typeof client === 'string';
    this.client = typeof client === 'string' ? redisClient(client) : client;
    this.#prefix = options.prefix ?? 'muster:limits';
  }

  protected counter(options: CounterOptions): RateLimiterAbstract {
    return new RateLimiterRedis({
      storeClient: this.client,
      ...options,
      keyPrefix: `${this.#prefix}:${options.keyPrefix}`,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  }

  /**
   * Resolves once connected, or false after `timeoutMs`: a server waits for
   * this at start, so its first limits are shared ones; if Redis is down
   * then, it starts anyway on the insurance counters.
   */
  async ready(timeoutMs = 5_000): Promise<boolean> {
    if (this.client.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.client.once('ready', onReady);
    });
  }

  /** Disconnects the client it made (a client handed in stays its owner's). */
  async close(): Promise<void> {
    if (this.#owned) this.client.disconnect();
  }
}

/** An ioredis client for limits: fails fast while disconnected (the insurance limiter answers), reconnects forever. */
export function redisClient(url: string): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(2_000, 50 * times),
  });
  // One line when Redis goes away and one when it is back, not one per retry.
  let down = false;
  const where = redactUrl(url);
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: error, redis: where }, 'redis: unreachable; limits count in this process until it is back');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: where }, 'redis: reachable again; limits are shared again');
  });
  return client;
}

/** The URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis';
  }
}
