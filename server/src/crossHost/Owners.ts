import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '@muster/kit/log';
import { redisReady, timed } from './timed.ts';

/** An app process that holds something live (a meeting, a board): its instance (random per start) and where other hosts reach its port. */
export interface Owner {
  app: string;
  url: string;
}

/** `fresh`: this very call made the claim (nobody held it): whatever this app kept of it from before may be out of date. */
export type Claim = { mine: true; fresh: boolean } | { mine: false; owner: Owner };

/** A claim lives this long unless refreshed: an owner that died without a word is replaced this long after, at most. */
export const OWNER_TTL_MS = 15_000;
const REFRESH_MS = 5_000;
/** Redis slower than this counts as away: a join is served here rather than kept waiting (see claim). */
const REDIS_TIMEOUT_MS = 2_000;

/** Deletes the key only while it still names this value: an owner never deletes its successor's claim. */
const DELETE_IF = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Extends the key only while it still names this value. */
const EXTEND_IF = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * Which app process holds each live thing of one kind, in Redis (several app
 * hosts): `<prefix>:<kind>-owner:<id>` names the owner's instance and its
 * relay URL (`SET NX PX`). Kinds: `meeting` (the app that opens a meeting's
 * room, or reserves a private room for a call, claims it) and `board` (the
 * app that first opens a standalone board for someone). The owner refreshes
 * its claims every 5 s while it holds something of them (`inUse`), and
 * deletes them (only if still its own) when it no longer does, or when it
 * stops. An owner that died stops refreshing and its claim expires; one found
 * dead sooner (its URL refuses) is replaced with `replace`, which deletes only
 * that very claim.
 *
 * Operations on one id run one after another, so a release deciding
 * "nothing held" never overtakes a claim for a join that has just begun.
 */
export class Owners {
  readonly self: Owner;
  readonly kind: string;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #inUse: (id: string) => boolean;
  /** What this app means to own (its claim may be missing for a moment: Redis away, restarted). */
  readonly #held = new Set<string>();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;
  #warned = false;

  constructor(options: { redisUrl: string; prefix: string; kind: 'meeting' | 'board'; url: string; logger: Logger; inUse: (id: string) => boolean }) {
    this.self = { app: randomBytes(9).toString('base64url'), url: options.url };
    // Commands fail instead of queueing while Redis is away: a join must not wait for it (see claim).
    this.#redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (attempt) => Math.min(2_000, 100 * attempt) });
    this.#redis.on('error', () => undefined);
    this.kind = options.kind;
    this.#prefix = `${options.prefix}:${options.kind}-owner:`;
    this.#log = options.logger;
    this.#inUse = options.inUse;
    this.#timer = setInterval(() => void this.#refresh(), REFRESH_MS);
    this.#timer.unref();
  }

  /** Whether Redis answers, waiting at most `timeoutMs` for it (at start: the first joins should not find it still connecting). */
  ready(timeoutMs: number): Promise<boolean> {
    return redisReady(this.#redis, timeoutMs);
  }

  /** Whether this instance is the one `owner` names. */
  isSelf(owner: Owner): boolean {
    return owner.app === this.self.app;
  }

  /** The id is this app's now (it claimed it, or already had it), or another's. Throws when Redis does not answer. */
  claim(id: string): Promise<Claim> {
    return this.#serial(id, () => this.#claim(id));
  }

  /** `stale` is dead (its URL refuses, or it is a former run of this app): its claim goes, if still there, and this app claims. */
  replace(id: string, stale: Owner): Promise<Claim> {
    return this.#serial(id, async () => {
      const removed = await this.#timed(this.#redis.eval(DELETE_IF, 1, this.#key(id), encode(stale)));
      if (removed === 1) this.#log.info({ [this.kind]: id, owner: stale.url }, `the claim of a ${this.kind} owner that is gone (unreachable, or a former run of this app) is taken over here`);
      return this.#claim(id);
    });
  }

  /** Who holds it, if anyone. */
  async ownerOf(id: string): Promise<Owner | null> {
    const value = await this.#timed(this.#redis.get(this.#key(id)));
    return value === null ? null : decode(value);
  }

  /** Something of it was opened here (the RoomManager opened a meeting's room): it is claimed (again) if it is not already. */
  hold(id: string): void {
    if (this.#closed || this.#held.has(id)) return;
    void this.claim(id).then(
      (claim) => {
        // Opened here while another app holds it: two copies (rooms of one meeting), until one of them closes.
        if (!claim.mine) this.#log.warn({ [this.kind]: id, owner: claim.owner.url }, `a ${this.kind} opened here is held by another app`);
      },
      (error: unknown) => {
        // Redis away: the refresh claims it once Redis is back.
        this.#held.add(id);
        this.#warnOnce(error);
      },
    );
  }

  /** Nothing of it may be held here any more: its claim goes, unless `inUse` still says otherwise. */
  release(id: string): void {
    if (this.#closed) return;
    void this.#serial(id, () => this.#release(id)).catch((error: unknown) => this.#warnOnce(error));
  }

  /** Every claim of this app deleted (others take its meetings or boards at their next join), and the connection closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.allSettled([...this.#queues.values()]);
    const mine = encode(this.self);
    await Promise.allSettled([...this.#held].map((id) => this.#timed(this.#redis.eval(DELETE_IF, 1, this.#key(id), mine))));
    this.#held.clear();
    this.#redis.disconnect();
  }

  async #claim(id: string): Promise<Claim> {
    const key = this.#key(id);
    const mine = encode(this.self);
    // Twice at most: a claim that expired between our SET and GET leaves the key free for a second SET.
    for (let attempt = 0; attempt < 2; attempt++) {
      if ((await this.#timed(this.#redis.set(key, mine, 'PX', OWNER_TTL_MS, 'NX'))) === 'OK') {
        this.#held.add(id);
        return { mine: true, fresh: true };
      }
      const value = await this.#timed(this.#redis.get(key));
      if (value === null) continue;
      if (value === mine) {
        this.#held.add(id);
        return { mine: true, fresh: false };
      }
      return { mine: false, owner: decode(value) };
    }
    throw new Error(`${this.kind} ownership: the claim kept expiring`);
  }

  async #release(id: string): Promise<void> {
    if (!this.#held.has(id) || this.#inUse(id)) return;
    this.#held.delete(id);
    await this.#timed(this.#redis.eval(DELETE_IF, 1, this.#key(id), encode(this.self)));
  }

  /** Extends every claim still in use; lets go of the others; claims again what Redis lost (a restart). */
  async #refresh(): Promise<void> {
    const ids = [...this.#held];
    if (ids.length === 0) return;
    const mine = encode(this.self);
    try {
      const pipeline = this.#redis.pipeline();
      for (const id of ids) pipeline.eval(EXTEND_IF, 1, this.#key(id), mine, String(OWNER_TTL_MS));
      const results = (await this.#timed(pipeline.exec())) ?? [];
      for (const [i, id] of ids.entries()) {
        if (!this.#inUse(id)) {
          this.release(id);
          continue;
        }
        if (results[i]?.[1] === 1) continue;
        const claim = await this.claim(id);
        if (!claim.mine) {
          // Someone else holds it now (Redis lost our claim and another app took it): two copies until one closes.
          this.#held.delete(id);
          this.#log.warn({ [this.kind]: id, owner: claim.owner.url }, `${this.kind} ownership lost to another app while it is open here`);
        }
      }
      if (this.#warned) this.#log.info(`${this.kind} ownership: Redis answers again`);
      this.#warned = false;
    } catch (error) {
      this.#warnOnce(error);
    }
  }

  #serial<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(id, settled);
    void settled.then(() => {
      if (this.#queues.get(id) === settled) this.#queues.delete(id);
    });
    return next;
  }

  #timed<T>(operation: Promise<T>): Promise<T> {
    return timed(operation, REDIS_TIMEOUT_MS);
  }

  /** Redis did not answer a claim: said once, until it answers again. */
  away(error: unknown): void {
    this.#warnOnce(error);
  }

  #warnOnce(error: unknown): void {
    if (this.#closed || this.#warned) return;
    this.#warned = true;
    this.#log.warn({ err: error }, `${this.kind} ownership: Redis is away; ${this.kind}s are served where they are opened until it is back`);
  }

  #key(id: string): string {
    return `${this.#prefix}${id}`;
  }
}

/** `<instance> <url>`: the instance first, so that a restarted app at the same URL is told apart from its former run. */
function encode(owner: Owner): string {
  return `${owner.app} ${owner.url}`;
}

function decode(value: string): Owner {
  const space = value.indexOf(' ');
  return space < 0 ? { app: value, url: '' } : { app: value.slice(0, space), url: value.slice(space + 1) };
}
