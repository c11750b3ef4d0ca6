import { Redis } from 'ioredis';
import { MediaHostLink, type WorkerPool } from '@muster/media';
import type { Logger } from '@muster/kit/log';
import { MEDIA_HOSTS_REFRESH_MS, mediaHostEntry, mediaHostsKey, type MediaHostEntry } from './MediaHostRegistry.ts';

/** An entry not refreshed for this long belongs to a host that is gone. */
export const MEDIA_HOST_STALE_MS = 10_000;

export interface MediaHostDirectoryOptions {
  redisUrl: string;
  /** REDIS_KEY_PREFIX (`muster`). */
  prefix: string;
  /** MEDIA_SECRET: what every media host expects on its link. */
  secret: string;
  /** The app's pool: each host's workers are attached to it. */
  pool: WorkerPool;
  logger: Logger;
  intervalMs?: number;
  staleMs?: number;
}

interface Known {
  entry: MediaHostEntry;
  link: MediaHostLink;
  /** By this process's clock: when the entry was last seen to change (hosts' clocks may differ from ours). */
  freshAt: number;
  /** When the entry was first found missing or stale, while the link was still up. */
  absentSince?: number;
}

/**
 * The app's view of the media hosts (MUSTER_ROLE=media) that registered in
 * Redis (MediaHostRegistry): it reads `<prefix>:media:hosts` every 2 s,
 * keeps a MediaHostLink to each live host (its entry refreshed within the
 * last 10 s), and attaches every worker the link announces to the app's
 * WorkerPool, where rooms are placed on them by load like on local ones.
 *
 * A host's death is its link's business: a link that breaks has its
 * workers die at once, and their rooms move (RoomManager, on the pool's
 * `workerdied`). The directory only decides which hosts to link to: it
 * drops a host whose entry is gone or stale once its link is down too, or,
 * if the link is still up, after the entry has been missing for another
 * 10 s (Redis restarted empty, and the host has not written again yet: its
 * rooms stay). While Redis is away, the hosts known last are kept.
 */
export class MediaHostDirectory {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #secret: string;
  readonly #pool: WorkerPool;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #staleMs: number;
  readonly #hosts = new Map<string, Known>();
  /** `updatedAt` of entries seen but not linked to (stale at first sight): one that changes is a live host whose clock is off. */
  readonly #unlinked = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #failing = false;
  #closed = false;
  #badEntries = new Set<string>();

  constructor(options: MediaHostDirectoryOptions) {
    // Commands fail instead of queueing while Redis is away: the last known hosts stand meanwhile.
    this.#redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (attempt) => Math.min(2_000, 100 * attempt) });
    this.#redis.on('error', () => undefined);
    this.#redis.on('ready', () => {
      if (this.#timer) void this.refresh();
    });
    this.#key = mediaHostsKey(options.prefix);
    this.#secret = options.secret;
    this.#pool = options.pool;
    this.#log = options.logger;
    this.#intervalMs = options.intervalMs ?? MEDIA_HOSTS_REFRESH_MS;
    this.#staleMs = options.staleMs ?? MEDIA_HOST_STALE_MS;
  }

  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => void this.refresh(), this.#intervalMs);
    this.#timer.unref();
    // Still connecting: the 'ready' handler reads at once, without a warning about a Redis that is merely not up yet.
    if (this.#redis.status === 'ready') void this.refresh();
  }

  /** The hosts linked to (or being linked to) now. */
  hosts(): { id: string; url: string; address: string; connected: boolean; workers: number }[] {
    return [...this.#hosts.values()].map(({ entry, link }) => ({ id: entry.id, url: entry.url, address: entry.address, connected: link.connected, workers: link.workers.length }));
  }

  /** Reads the registry now (it also does so every interval); one read at a time. */
  refresh(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  /** Lets go of every host quietly (the app is stopping: its rooms are closed) and of Redis. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#reading;
    for (const { link } of this.#hosts.values()) link.close();
    this.#hosts.clear();
    this.#redis.disconnect();
  }

  async #read(): Promise<void> {
    let raw: Record<string, string>;
    try {
      raw = await this.#redis.hgetall(this.#key);
    } catch (error) {
      if (!this.#failing && !this.#closed) this.#log.warn({ err: error }, 'media hosts: cannot read the registry in Redis; keeping the hosts known last');
      this.#failing = true;
      return;
    }
    if (this.#closed) return;
    const now = Date.now();
    const wasAway = this.#failing;
    if (wasAway) this.#log.info('media hosts: reading the registry again');
    this.#failing = false;

    const present = new Map<string, MediaHostEntry>();
    for (const [id, value] of Object.entries(raw)) {
      const entry = parse(value);
      if (!entry || entry.id !== id) {
        if (!this.#badEntries.has(id)) this.#log.warn({ mediaHost: id.slice(0, 200) }, 'media hosts: ignoring an unreadable registry entry');
        this.#badEntries.add(id);
        continue;
      }
      present.set(id, entry);
    }

    for (const [id, entry] of present) {
      const known = this.#hosts.get(id);
      if (!known) {
        // Live if recent by its own clock (a dead host's entry lingers until someone removes it), or if it
        // changed since the last read (a live host whose clock is behind ours).
        const before = this.#unlinked.get(id);
        if (now - entry.updatedAt <= this.#staleMs || (before !== undefined && before !== entry.updatedAt)) {
          this.#unlinked.delete(id);
          this.#link(entry, now);
        } else this.#unlinked.set(id, entry.updatedAt);
        continue;
      }
      if (known.entry.url !== entry.url || known.entry.address !== entry.address) {
        // The host came back elsewhere (a restart on another port): the old link is to nobody.
        this.#drop(known, 'it registered a new address');
        this.#link(entry, now);
        continue;
      }
      // After a Redis outage nobody could write: what is there gets a fresh window rather than a verdict.
      if (entry.updatedAt !== known.entry.updatedAt || wasAway) known.freshAt = now;
      known.entry = entry;
    }

    for (const id of [...this.#unlinked.keys()]) if (!present.has(id)) this.#unlinked.delete(id);
    for (const known of [...this.#hosts.values()]) {
      const live = present.has(known.entry.id) && now - known.freshAt <= this.#staleMs;
      if (live) {
        known.absentSince = undefined;
        continue;
      }
      if (!known.link.connected) {
        this.#drop(known, present.has(known.entry.id) ? 'its registration is stale' : 'it left the registry');
        continue;
      }
      known.absentSince ??= now;
      if (now - known.absentSince > this.#staleMs) this.#drop(known, 'it has not registered for a while, though its link is up');
    }
  }

  #link(entry: MediaHostEntry, now: number): void {
    const link = new MediaHostLink({ host: entry.id, url: entry.url, address: entry.address, secret: this.#secret, logger: this.#log });
    link.on('worker', (worker) => this.#pool.attach(worker));
    this.#hosts.set(entry.id, { entry, link, freshAt: now });
    this.#log.info({ mediaHost: entry.id, url: entry.url, capacity: entry.capacity }, 'media hosts: linking to a media host');
    link.start();
  }

  #drop(known: Known, why: string): void {
    this.#hosts.delete(known.entry.id);
    this.#log.info({ mediaHost: known.entry.id, why }, 'media hosts: dropping a media host; rooms still on it move');
    known.link.close({ dying: true });
  }
}

function parse(value: string): MediaHostEntry | undefined {
  try {
    const parsed = mediaHostEntry.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
