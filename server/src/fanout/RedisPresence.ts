import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { PresenceDirectory } from '@muster/im';
import type { Logger } from '@muster/kit/log';

/** An app that has not refreshed its liveness key for this long is gone, and its connections with it. */
const ALIVE_TTL_S = 15;
const REFRESH_MS = 5_000;

type PresenceMessage = { app: string; account: string; here: boolean } | { app: string; gone: true };

/**
 * IM presence across app processes (hosts), in Redis:
 * - a count per account of the apps holding a connection of it
 *   (`<prefix>:presence:count`, HINCRBY): the app whose change takes it
 *   from 0 to 1 or from 1 to 0 is the one that announces, so contacts hear
 *   each change once, whatever the races between apps;
 * - each app's set of accounts (`<prefix>:presence:app:<app>`), a liveness
 *   key it refreshes every 5 s, and a message per change, from which every
 *   app mirrors the others in memory: `elsewhere` is a map lookup (the
 *   notifier asks it for every recipient).
 * An app whose liveness key expired died holding connections: the first app
 * to notice claims its set (RENAME succeeds once), takes its accounts off
 * the counts, and announces offline those that reached 0. After a Redis
 * restart, each app writes its set and counts again.
 */
export class RedisPresence implements PresenceDirectory {
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #app = randomBytes(6).toString('base64url');
  readonly #log: Logger;
  /** Accounts this app holds (what its Redis set should say). */
  readonly #here = new Set<string>();
  /** The other apps' accounts, and the apps holding each account. */
  readonly #byApp = new Map<string, Set<string>>();
  readonly #byAccount = new Map<string, Set<string>>();
  #onOrphanOffline: (accountId: string) => void = () => undefined;
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: { redisUrl: string; prefix: string; logger: Logger }) {
    const connection = { maxRetriesPerRequest: null, retryStrategy: (attempt: number) => Math.min(2_000, 100 * attempt) };
    this.#redis = new Redis(options.redisUrl, connection);
    this.#subscriber = new Redis(options.redisUrl, connection);
    this.#redis.on('error', () => undefined);
    this.#subscriber.on('error', () => undefined);
    this.#prefix = `${options.prefix}:presence`;
    this.#log = options.logger;
    this.#subscriber.on('message', (_channel: string, raw: string) => this.#onMessage(raw));
    // (Re)connected: subscribe, write our set afresh, read everyone else's.
    this.#subscriber.on('ready', () => void this.#subscriber.subscribe(this.#channel).catch(() => undefined));
    this.#redis.on('ready', () => void this.#resync());
    this.#timer = setInterval(() => void this.#refresh(), REFRESH_MS);
    this.#timer.unref();
  }

  /** Told of accounts a dead app left online that are now offline everywhere (Presence.wentOfflineElsewhere). */
  onOrphanOffline(listener: (accountId: string) => void): void {
    this.#onOrphanOffline = listener;
  }

  async changed(accountId: string, here: boolean): Promise<boolean> {
    if (here) this.#here.add(accountId);
    else this.#here.delete(accountId);
    const set = this.#setKey(this.#app);
    const message = JSON.stringify({ app: this.#app, account: accountId, here } satisfies PresenceMessage);
    const results = await (here ? this.#redis.multi().sadd(set, accountId).hincrby(this.#countKey, accountId, 1) : this.#redis.multi().srem(set, accountId).hincrby(this.#countKey, accountId, -1))
      .publish(this.#channel, message)
      .exec();
    const count = Number(results?.[1]?.[1]);
    if (!Number.isFinite(count)) throw new Error('presence: no count from Redis');
    return here ? count === 1 : count <= 0;
  }

  elsewhere(accountId: string): boolean {
    return this.#byAccount.has(accountId);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    // Gone at once for the others, rather than after the liveness key expires: the first to hear claims this
    // app's set and takes its accounts off the counts, as for an app that died.
    await this.#redis
      .multi()
      .del(this.#aliveKey(this.#app))
      .publish(this.#channel, JSON.stringify({ app: this.#app, gone: true } satisfies PresenceMessage))
      .exec()
      .catch(() => undefined);
    this.#subscriber.disconnect();
    this.#redis.disconnect();
  }

  get #countKey(): string {
    return `${this.#prefix}:count`;
  }

  get #channel(): string {
    return `${this.#prefix}:changes`;
  }

  #setKey(app: string): string {
    return `${this.#prefix}:app:${app}`;
  }

  #aliveKey(app: string): string {
    return `${this.#prefix}:alive:${app}`;
  }

  #onMessage(raw: string): void {
    let message: PresenceMessage;
    try {
      message = JSON.parse(raw) as PresenceMessage;
    } catch {
      return;
    }
    if (message.app === this.#app) return;
    if ('gone' in message) return this.#forgetApp(message.app, true);
    this.#set(message.app, message.account, message.here);
  }

  #set(app: string, account: string, here: boolean): void {
    let accounts = this.#byApp.get(app);
    let apps = this.#byAccount.get(account);
    if (here) {
      if (!accounts) this.#byApp.set(app, (accounts = new Set()));
      if (!apps) this.#byAccount.set(account, (apps = new Set()));
      if (apps.has(app)) return;
      accounts.add(account);
      apps.add(app);
    } else {
      if (!apps?.delete(app)) return;
      accounts?.delete(account);
      if (apps.size === 0) this.#byAccount.delete(account);
    }
  }

  /** Another app is gone: out of the mirror; and if it died (its set still there), its accounts off the counts, once. */
  #forgetApp(app: string, died = false): void {
    const accounts = this.#byApp.get(app);
    if (accounts) {
      this.#byApp.delete(app);
      for (const account of [...accounts]) this.#set(app, account, false);
    }
    if (died) void this.#claim(app);
  }

  async #claim(app: string): Promise<void> {
    if (this.#closed) return;
    const claimed = `${this.#setKey(app)}:claimed-by:${this.#app}`;
    try {
      // Only one app's RENAME finds the set: that app takes the dead one's accounts off the counts.
      await this.#redis.rename(this.#setKey(app), claimed);
    } catch {
      return;
    }
    try {
      const accounts = await this.#redis.smembers(claimed);
      for (const accountId of accounts) {
        const count = await this.#redis.hincrby(this.#countKey, accountId, -1);
        if (count <= 0 && !this.#here.has(accountId)) this.#onOrphanOffline(accountId);
      }
      await this.#redis.del(claimed);
      this.#log.info({ app, accounts: accounts.length }, 'presence: an app died holding connections; its accounts are offline unless held elsewhere');
    } catch (error) {
      if (!this.#closed) this.#log.warn({ err: error }, 'presence: could not take a dead app’s accounts off the counts');
    }
  }

  /** Our set written afresh, and every live app's set read into the mirror. */
  async #resync(): Promise<void> {
    if (this.#closed) return;
    try {
      const key = this.#setKey(this.#app);
      // After a Redis restart our set is gone, and our part of the counts with it: both written again.
      const existed = (await this.#redis.exists(key)) === 1;
      const write = this.#redis.multi().del(key);
      if (this.#here.size > 0) {
        write.sadd(key, ...this.#here);
        if (!existed) for (const accountId of this.#here) write.hincrby(this.#countKey, accountId, 1);
      }
      await write.set(this.#aliveKey(this.#app), '1', 'EX', ALIVE_TTL_S).exec();
      await this.#readOthers();
    } catch (error) {
      this.#log.warn({ err: error }, 'presence: could not share with the other processes; retrying');
    }
  }

  async #refresh(): Promise<void> {
    try {
      await this.#redis.set(this.#aliveKey(this.#app), '1', 'EX', ALIVE_TTL_S);
      // Apps whose liveness key expired died without saying so.
      const known = [...this.#byApp.keys()];
      if (known.length === 0) return;
      const alive = await this.#redis.mget(...known.map((app) => this.#aliveKey(app)));
      known.forEach((app, i) => alive[i] === null && this.#forgetApp(app, true));
    } catch {
      // Redis is away: the next refresh, or the resync at reconnection, puts things right.
    }
  }

  async #readOthers(): Promise<void> {
    const aliveKeys: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${this.#prefix}:alive:*`, 'COUNT', 1000);
      cursor = next;
      aliveKeys.push(...keys);
    } while (cursor !== '0');
    const apps = aliveKeys.map((key) => key.slice(`${this.#prefix}:alive:`.length)).filter((app) => app !== this.#app);
    for (const app of [...this.#byApp.keys()]) if (!apps.includes(app)) this.#forgetApp(app, true);
    for (const app of apps) {
      const members = new Set(await this.#redis.smembers(this.#setKey(app)));
      for (const account of this.#byApp.get(app) ?? []) if (!members.has(account)) this.#set(app, account, false);
      for (const account of members) this.#set(app, account, true);
    }
  }
}
