import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '@muster/kit/log';
import { LiveRoomEntrySchema, type LiveRoomEntry, type RemoteLiveRooms } from '@muster/signaling';
import { redisReady, timed } from '../../crossHost/timed.ts';

/** How often each app tells the others its live meetings. */
const REPORT_MS = 2_000;
/** A report lives this long: an app that died without a word drops out of the listings this long after. */
const REPORT_TTL_MS = 10_000;
/** A listing does not wait longer than this for Redis: it shows this app's meetings only. */
const REDIS_TIMEOUT_MS = 1_000;
const EntriesSchema = z.array(z.unknown()).max(100_000);

/**
 * The live meetings of every app host, for the listings (`GET /rooms`, "my
 * meetings"): each app writes its own as one Redis value every 2 s
 * (`<prefix>:live-rooms:<app>`, expiring after 10 s) and names itself in a
 * sorted set by that expiry (`<prefix>:live-room-apps`); a listing reads the
 * apps whose report has not expired, in one round trip each. Entries from
 * Redis are checked (LiveRoomEntrySchema) and a bad one is dropped.
 * Without Redis a listing shows this app's meetings: nothing fails.
 */
export class LiveRoomsBoard implements RemoteLiveRooms {
  readonly #redis: Redis;
  readonly #app: string;
  readonly #appsKey: string;
  readonly #prefix: string;
  readonly #here: () => LiveRoomEntry[];
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout;
  #last = '';
  #closed = false;
  #warned = false;

  /** `app`: this app's instance id (its meeting claims'); `here`: its live meetings now. */
  constructor(options: { redisUrl: string; prefix: string; app: string; here: () => LiveRoomEntry[]; logger: Logger }) {
    this.#redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (attempt) => Math.min(2_000, 100 * attempt) });
    this.#redis.on('error', () => undefined);
    this.#app = options.app;
    this.#prefix = `${options.prefix}:live-rooms:`;
    this.#appsKey = `${options.prefix}:live-room-apps`;
    this.#here = options.here;
    this.#log = options.logger;
    this.#timer = setInterval(() => void this.report(), REPORT_MS);
    this.#timer.unref();
  }

  /** Whether Redis answers, waiting at most `timeoutMs` (see redisReady). */
  ready(timeoutMs: number): Promise<boolean> {
    return redisReady(this.#redis, timeoutMs);
  }

  /** Tells the others this app's live meetings now (every 2 s by itself; a report with none is kept short). */
  async report(): Promise<void> {
    if (this.#closed) return;
    const here = this.#here();
    const value = JSON.stringify(here);
    const expiresAt = Date.now() + REPORT_TTL_MS;
    try {
      // Apps whose report expired leave the set here, once per report, not on every listing.
      const stale = this.#redis.multi().zremrangebyscore(this.#appsKey, '-inf', Date.now());
      if (here.length === 0 && this.#last === '[]') {
        // Nothing live, and the others know it: the set entry alone keeps being refreshed.
        await timed(stale.zadd(this.#appsKey, expiresAt, this.#app).exec(), REDIS_TIMEOUT_MS);
      } else {
        await timed(stale.set(`${this.#prefix}${this.#app}`, value, 'PX', REPORT_TTL_MS).zadd(this.#appsKey, expiresAt, this.#app).exec(), REDIS_TIMEOUT_MS);
        this.#last = value;
      }
      this.#warned = false;
    } catch (error) {
      this.#last = '';
      if (!this.#warned) this.#log.warn({ err: error }, 'live meetings: could not report this app’s to the others (Redis); listings elsewhere miss them meanwhile');
      this.#warned = true;
    }
  }

  async list(): Promise<LiveRoomEntry[]> {
    const now = Date.now();
    const apps = (await timed(this.#redis.zrangebyscore(this.#appsKey, now, '+inf'), REDIS_TIMEOUT_MS)).filter((app) => app !== this.#app);
    if (apps.length === 0) return [];
    const values = await timed(this.#redis.mget(apps.map((app) => `${this.#prefix}${app}`)), REDIS_TIMEOUT_MS);
    const entries: LiveRoomEntry[] = [];
    for (const value of values) {
      if (value === null) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        continue;
      }
      const list = EntriesSchema.safeParse(parsed);
      if (!list.success) continue;
      for (const item of list.data) {
        const entry = LiveRoomEntrySchema.safeParse(item);
        if (entry.success) entries.push(entry.data as LiveRoomEntry);
      }
    }
    return entries;
  }

  /** Stops reporting and takes this app's report away (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await timed(this.#redis.multi().del(`${this.#prefix}${this.#app}`).zrem(this.#appsKey, this.#app).exec(), REDIS_TIMEOUT_MS).catch(() => undefined);
    this.#redis.disconnect();
  }
}
