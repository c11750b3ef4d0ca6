import { Redis } from 'ioredis';
import { z } from 'zod';
import type { WorkerPool, WorkerStats } from '@muster/media';
import type { Logger } from '@muster/kit/log';

/** How often a media host writes its entry, and a directory reads them all. */
export const MEDIA_HOSTS_REFRESH_MS = 2_000;

/** The Redis hash of media hosts (field: host id; value: MediaHostEntry as JSON). */
export function mediaHostsKey(prefix: string): string {
  return `${prefix}:media:hosts`;
}

/**
 * What a media host says of itself. Read from Redis, where anything may
 * have been written, so a directory parses it rather than trusting it.
 */
export const mediaHostEntry = z.object({
  id: z.string().min(1).max(200),
  /** Where its media link is served: `ws://address:port/media/link`. */
  url: z.string().max(500).regex(/^wss?:\/\//),
  /** Where other hosts reach its workers' pipe transports. */
  address: z.string().min(1).max(100),
  /** Its live workers. */
  capacity: z.number().int().nonnegative(),
  load: z.object({
    routers: z.number().nonnegative(),
    consumers: z.number().nonnegative(),
    /** CPU cores busy in its workers over the last interval (1.5 = one and a half cores). */
    cpu: z.number().nonnegative(),
  }),
  /** Milliseconds since the epoch, by the host's clock. */
  updatedAt: z.number().nonnegative(),
});
export type MediaHostEntry = z.infer<typeof mediaHostEntry>;

export interface MediaHostRegistryOptions {
  redisUrl: string;
  /** REDIS_KEY_PREFIX (`muster`). */
  prefix: string;
  host: { id: string; url: string; address: string };
  pool: WorkerPool;
  logger: Logger;
  intervalMs?: number;
}

/**
 * A media host's registration (MUSTER_ROLE=media): its entry in
 * `<prefix>:media:hosts`, written every 2 s with its capacity and load
 * (from its workers' stats), deleted when it stops. Apps find it there
 * (MediaHostDirectory). A host that dies without deleting it stops
 * refreshing it, and apps take it for gone once the entry is 10 s old.
 *
 * While Redis is away writes fail and are tried again at the next tick
 * (nothing queues up); after a restart, which may have lost the hash, the
 * next write puts the entry back.
 */
export class MediaHostRegistry {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #host: MediaHostRegistryOptions['host'];
  readonly #pool: WorkerPool;
  readonly #log: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  /** CPU used by each worker (by pid) at the last tick, and when: for the `cpu` figure. */
  #lastCpu = new Map<number, number>();
  #lastTickAt = 0;
  #failing = false;
  #stopped = false;

  constructor(options: MediaHostRegistryOptions) {
    // Commands fail instead of queueing while Redis is away: a stale write flushed late says nothing useful.
    this.#redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (attempt) => Math.min(2_000, 100 * attempt) });
    this.#redis.on('error', () => undefined);
    this.#key = mediaHostsKey(options.prefix);
    this.#host = options.host;
    this.#pool = options.pool;
    this.#log = options.logger;
    this.#intervalMs = options.intervalMs ?? MEDIA_HOSTS_REFRESH_MS;
    // Back at once after a Redis restart, not at the next tick.
    this.#redis.on('ready', () => {
      if (this.#timer) void this.#tick();
    });
  }

  /** Registers now (or as soon as Redis answers) and every interval from then on. */
  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => void this.#tick(), this.#intervalMs);
    this.#timer.unref();
    // Still connecting: the 'ready' handler registers at once, without a warning about a Redis that is merely not up yet.
    if (this.#redis.status === 'ready') void this.#tick();
  }

  /** The entry as it would be written now. */
  async entry(): Promise<MediaHostEntry> {
    const stats = await this.#pool.getStats();
    const now = Date.now();
    let cpuMicros = 0;
    const seen = new Map<number, number>();
    for (const s of stats) {
      seen.set(s.pid, s.cpuMicros);
      // A worker new since the last tick counts from its own start, which is near enough.
      cpuMicros += s.cpuMicros - (this.#lastCpu.get(s.pid) ?? s.cpuMicros);
    }
    const elapsedMicros = (now - this.#lastTickAt) * 1_000;
    const cpu = this.#lastTickAt > 0 && elapsedMicros > 0 ? Math.max(0, cpuMicros / elapsedMicros) : 0;
    this.#lastCpu = seen;
    this.#lastTickAt = now;
    return {
      ...this.#host,
      capacity: this.#pool.workers.filter((w) => !w.closed).length,
      load: { routers: sum(stats, (s) => s.routers), consumers: sum(stats, (s) => s.consumers), cpu: Math.round(cpu * 1000) / 1000 },
      updatedAt: now,
    };
  }

  /** Deletes the entry (apps drop the host at their next read) and lets go of Redis. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#writing;
    try {
      await this.#redis.hdel(this.#key, this.#host.id);
    } catch (error) {
      this.#log.warn({ err: error }, 'media host: could not remove its registration; apps drop it once it is 10 s old');
    }
    this.#redis.disconnect();
  }

  #tick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    // One write at a time: a slow Redis gets the newest figures next, not a backlog.
    this.#writing ??= this.#write().finally(() => (this.#writing = undefined));
    return this.#writing;
  }

  async #write(): Promise<void> {
    try {
      const entry = await this.entry();
      if (this.#stopped) return;
      await this.#redis.hset(this.#key, this.#host.id, JSON.stringify(entry));
      if (this.#failing) this.#log.info('media host: registered again');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing && !this.#stopped) this.#log.warn({ err: error }, 'media host: cannot register in Redis; apps keep what they know of this host meanwhile');
      this.#failing = true;
    }
  }
}

function sum(stats: WorkerStats[], read: (s: WorkerStats) => number): number {
  return stats.reduce((total, s) => total + read(s), 0);
}
