import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Principal } from '@muster/accounts';
import { CALL_OPS, CallIdSchema, IM_ERROR_CODES, ImError, isImError, type CallClaim, type CallDirectory, type CallRequest, type CallView, type ImErrorCode } from '@muster/im';
import type { Logger } from '@muster/kit/log';

/** A call's owner record and its people's claims live this long unless refreshed: an owner that died frees them this long after, at most. */
export const CALL_CLAIM_TTL_MS = 15_000;
const REFRESH_MS = 5_000;
/** Redis slower than this counts as away (the request is refused UNAVAILABLE rather than kept waiting). */
const REDIS_TIMEOUT_MS = 2_000;
/** How long a forwarded request waits for the owner's answer. */
export const FORWARD_TIMEOUT_MS = 5_000;

/** Both people claimed in one step unless either is in a call (1: the caller, 2: the callee); the owner recorded either way. */
const CLAIM = `
if redis.call('exists', KEYS[2]) == 1 then return 1 end
redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
if redis.call('exists', KEYS[3]) == 1 then return 2 end
redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[3])
redis.call('set', KEYS[3], ARGV[1], 'PX', ARGV[3])
return 0`;
/** Deletes the key only while it still names this value: a call never frees its successor's claim. */
const DELETE_IF = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Sets the key's lifetime only while it still names this value. */
const EXPIRE_IF = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Extends the key while it names this value; writes it again when Redis lost it (a restart); 0 when someone else holds it now. */
const EXTEND_OR_SET = `
local value = redis.call('get', KEYS[1])
if value == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if value == false then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0`;

type Answer = { t: 'a'; id: string; view: CallView } | { t: 'a'; id: string; error: { code: ImErrorCode; message: string; retryAfter?: number } };
type Question = { t: 'q'; id: string; from: string; op: CallRequest['op']; callId: string; principal: Principal };

interface Pending {
  resolve(view: CallView): void;
  reject(error: ImError): void;
  timer: NodeJS.Timeout;
}

/**
 * IM calls shared by the app processes of several hosts, through Redis:
 * - `<prefix>:call-owner:<callId>` names the app (its instance, random per
 *   start) that started the call and holds its state and timers;
 * - `<prefix>:call-busy:<accountId>` is the call an account is in (a
 *   one-to-one call, ringing or connected), set for both people in one Lua
 *   step only if neither has one;
 * - `<prefix>:call-rings:<accountId>` lists the group invitations ringing
 *   an account (sorted by when they stop), for GET /calls;
 * - `<prefix>:call-app:<app>` says the app is alive.
 * The owner extends its records every 5 s while the call lives (15 s
 * lifetime) and, when the call ends, deletes the claims (compare-and-delete)
 * and keeps the owner record only as long as the call is kept for GET.
 *
 * A request on a call another app owns travels as a message on the owner's
 * channel (`<prefix>:calls:<app>`, pub/sub) with a correlation id and the
 * principal, and the answer comes back on the asker's channel. PUBLISH says
 * how many listened: none, and the owner's liveness key gone, means the
 * owner stopped or died (NOT_FOUND, and the asker's claim on that call goes
 * at once); none while it is alive, or no answer within 5 s, is UNAVAILABLE.
 * The owner believes the principal because only the apps reach Redis.
 */
export class RedisCallDirectory implements CallDirectory {
  readonly app = randomBytes(9).toString('base64url');
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #log: Logger;
  /** Calls held here that live: the people each claimed (a one-to-one call) and those it rings (a group call). */
  readonly #live = new Map<string, { claimed: string[]; rung: string[] }>();
  /** Ended calls whose owner record still names this app, until when. */
  readonly #kept = new Map<string, number>();
  readonly #pending = new Map<string, Pending>();
  readonly #subscribed: Promise<void>;
  readonly #timer: NodeJS.Timeout;
  #handler: ((request: CallRequest) => Promise<CallView>) | undefined;
  #closed = false;
  #warned = false;

  constructor(options: { redisUrl: string; prefix: string; logger: Logger }) {
    const retryStrategy = (attempt: number) => Math.min(2_000, 100 * attempt);
    // Commands fail instead of queueing while Redis is away: a call request is refused, not kept waiting.
    this.#redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy });
    // ioredis subscribes again by itself after a reconnection.
    this.#subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: null, retryStrategy });
    this.#redis.on('error', () => undefined);
    this.#subscriber.on('error', () => undefined);
    this.#prefix = options.prefix;
    this.#log = options.logger;
    this.#subscriber.on('message', (_channel: string, raw: string) => this.#onMessage(raw));
    this.#subscribed = this.#subscriber.subscribe(this.#channel(this.app)).then(() => undefined);
    this.#subscribed.catch(() => undefined);
    this.#redis.on('ready', () => void this.#refresh());
    this.#timer = setInterval(() => void this.#refresh(), REFRESH_MS);
    this.#timer.unref();
  }

  /** Whether Redis answers and this app hears its channel, waiting at most `timeoutMs`. */
  async ready(timeoutMs: number): Promise<boolean> {
    let onReady: (() => void) | undefined;
    const connected = this.#redis.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => this.#redis.once('ready', (onReady = resolve)));
    const ok = await within(Promise.all([connected, this.#subscribed]).then(() => true), timeoutMs, false);
    if (onReady) this.#redis.off('ready', onReady);
    return ok;
  }

  serve(handler: (request: CallRequest) => Promise<CallView>): void {
    this.#handler = handler;
  }

  async claim(call: { id: string; callerId: string; calleeId: string }): Promise<CallClaim> {
    const result = await this.#command(
      this.#redis.eval(CLAIM, 3, this.#ownerKey(call.id), this.#busyKey(call.callerId), this.#busyKey(call.calleeId), call.id, this.app, String(CALL_CLAIM_TTL_MS)),
    );
    if (result === 1) return 'caller-busy';
    this.#live.set(call.id, { claimed: result === 0 ? [call.callerId, call.calleeId] : [], rung: [] });
    return result === 0 ? 'claimed' : 'callee-busy';
  }

  async hold(call: { id: string; invitees: readonly string[]; ringsUntil: number }): Promise<void> {
    const write = this.#redis.multi().set(this.#ownerKey(call.id), this.app, 'PX', CALL_CLAIM_TTL_MS);
    for (const accountId of call.invitees) {
      const key = this.#ringsKey(accountId);
      write.zremrangebyscore(key, '-inf', Date.now()).zadd(key, call.ringsUntil, call.id).pexpireat(key, call.ringsUntil);
    }
    await this.#command(write.exec());
    this.#live.set(call.id, { claimed: [], rung: [...call.invitees] });
  }

  async ended(callId: string, keepMs: number): Promise<void> {
    const live = this.#live.get(callId);
    // No longer refreshed from here on, whatever Redis says below: a claim it keeps lapses by itself.
    this.#live.delete(callId);
    const write = this.#redis.multi();
    for (const accountId of live?.claimed ?? []) write.eval(DELETE_IF, 1, this.#busyKey(accountId), callId);
    for (const accountId of live?.rung ?? []) write.zrem(this.#ringsKey(accountId), callId);
    if (keepMs > 0) {
      write.eval(EXPIRE_IF, 1, this.#ownerKey(callId), this.app, String(keepMs));
      this.#kept.set(callId, Date.now() + keepMs);
    } else write.eval(DELETE_IF, 1, this.#ownerKey(callId), this.app);
    try {
      await this.#command(write.exec());
    } catch (error) {
      this.#warnOnce(error);
    }
  }

  async callsOf(accountId: string): Promise<string[]> {
    const results = await this.#command(this.#redis.multi().get(this.#busyKey(accountId)).zrangebyscore(this.#ringsKey(accountId), Date.now(), '+inf').exec());
    const busy = results?.[0]?.[1] as string | null | undefined;
    const rung = (results?.[1]?.[1] as string[] | undefined) ?? [];
    return [...(busy ? [busy] : []), ...rung];
  }

  async forward(request: CallRequest): Promise<CallView> {
    const owner = await this.#command(this.#redis.get(this.#ownerKey(request.callId)));
    // A call named as this app's but not in its memory was forgotten here (kept long enough, or a former run's).
    if (owner === null || owner === this.app) throw new ImError('NOT_FOUND', 'no such call');
    return this.#ask(owner, request);
  }

  /** Stops answering, refuses what waits for an answer, and deletes this app's records: the others find its calls gone at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#subscriber.disconnect();
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(new ImError('UNAVAILABLE', 'this server is stopping; try again', 1));
    }
    const write = this.#redis.multi().del(this.#aliveKey(this.app));
    for (const [callId, live] of this.#live) {
      write.eval(DELETE_IF, 1, this.#ownerKey(callId), this.app);
      for (const accountId of live.claimed) write.eval(DELETE_IF, 1, this.#busyKey(accountId), callId);
    }
    for (const callId of this.#kept.keys()) write.eval(DELETE_IF, 1, this.#ownerKey(callId), this.app);
    await within(write.exec().catch(() => undefined), REDIS_TIMEOUT_MS, undefined);
    this.#live.clear();
    this.#kept.clear();
    this.#redis.disconnect();
  }

  async #ask(owner: string, request: CallRequest): Promise<CallView> {
    if (!(await within(this.#subscribed.then(() => true), REDIS_TIMEOUT_MS, false))) throw unavailable();
    const id = randomBytes(9).toString('base64url');
    // Waiting before the question goes: the answer may come back before PUBLISH's reply does.
    const answer = new Promise<CallView>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ImError('UNAVAILABLE', 'the server holding this call did not answer; try again in a moment', 1));
      }, FORWARD_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
    });
    const question: Question = { t: 'q', id, from: this.app, op: request.op, callId: request.callId, principal: request.principal };
    let listeners: number;
    try {
      listeners = await this.#command(this.#redis.publish(this.#channel(owner), JSON.stringify(question)));
    } catch (error) {
      this.#drop(id);
      throw error;
    }
    if (listeners > 0) return answer;
    this.#drop(id);
    // Alive but not listening: its subscription is reconnecting.
    if ((await this.#command(this.#redis.exists(this.#aliveKey(owner)))) === 1) throw unavailable();
    await this.#forgetGone(owner, request);
    throw new ImError('NOT_FOUND', 'no such call');
  }

  /** The owner stopped or died: its record of the call goes, and so does the asker's claim on it (hanging up frees them at once). */
  async #forgetGone(owner: string, request: CallRequest): Promise<void> {
    const write = this.#redis
      .multi()
      .eval(DELETE_IF, 1, this.#ownerKey(request.callId), owner)
      .eval(DELETE_IF, 1, this.#busyKey(request.principal.accountId), request.callId)
      .zrem(this.#ringsKey(request.principal.accountId), request.callId);
    await this.#command(write.exec()).catch(() => undefined);
    this.#log.info({ call: request.callId, owner }, 'calls: the app that held a call is gone; the call is forgotten');
  }

  #drop(id: string): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
  }

  #onMessage(raw: string): void {
    let message: Question | Answer;
    try {
      message = JSON.parse(raw) as Question | Answer;
    } catch {
      return;
    }
    // Only the apps publish here, but a message that is not what they send must not take this process down.
    if (typeof message !== 'object' || message === null || typeof message.id !== 'string') return;
    if (message.t === 'q') return void this.#answer(message);
    if (message.t !== 'a') return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#drop(message.id);
    if ('view' in message && typeof message.view === 'object' && message.view !== null) return pending.resolve(message.view);
    const error = (message as Partial<Extract<Answer, { error: unknown }>>).error;
    // A code this version does not know (an app of another version answered): a failure all the same.
    const known = typeof error === 'object' && error !== null && (IM_ERROR_CODES as readonly string[]).includes(error.code);
    pending.reject(known ? new ImError(error.code, String(error.message), error.retryAfter) : new ImError('INTERNAL', 'internal error'));
  }

  /** A request forwarded here: answered by Calls, refusals with their own code; what Calls did not code is INTERNAL, as a local request's is. */
  async #answer(question: Question): Promise<void> {
    if (typeof question.from !== 'string') return;
    let answer: Answer;
    const refuse = (code: ImErrorCode, message: string, retryAfter?: number): Answer => ({ t: 'a', id: question.id, error: { code, message, ...(retryAfter !== undefined ? { retryAfter } : {}) } });
    const request = requestOf(question);
    if (this.#closed || !this.#handler) answer = refuse('UNAVAILABLE', 'this server is stopping; try again', 1);
    else if (!request) answer = refuse('BAD_REQUEST', 'a malformed call request');
    else {
      try {
        answer = { t: 'a', id: question.id, view: await this.#handler(request) };
      } catch (error) {
        if (isImError(error)) answer = refuse(error.code, error.message, error.retryAfterSeconds);
        else {
          this.#log.error({ err: error, call: request.callId, op: request.op }, 'calls: a forwarded request failed');
          answer = refuse('INTERNAL', 'internal error');
        }
      }
    }
    try {
      await this.#command(this.#redis.publish(this.#channel(question.from), JSON.stringify(answer)));
    } catch (error) {
      // The asker times out and answers UNAVAILABLE.
      this.#warnOnce(error);
    }
  }

  /** This app alive; every live call's records extended (or written again after a Redis restart); forgotten ended calls dropped. */
  async #refresh(): Promise<void> {
    if (this.#closed) return;
    const now = Date.now();
    for (const [callId, until] of this.#kept) if (until <= now) this.#kept.delete(callId);
    const ttl = String(CALL_CLAIM_TTL_MS);
    const checks: { key: string; callId: string }[] = [];
    const write = this.#redis.pipeline().set(this.#aliveKey(this.app), '1', 'PX', CALL_CLAIM_TTL_MS);
    for (const [callId, live] of this.#live) {
      checks.push({ key: this.#ownerKey(callId), callId });
      write.eval(EXTEND_OR_SET, 1, this.#ownerKey(callId), this.app, ttl);
      for (const accountId of live.claimed) {
        checks.push({ key: this.#busyKey(accountId), callId });
        write.eval(EXTEND_OR_SET, 1, this.#busyKey(accountId), callId, ttl);
      }
    }
    try {
      const results = (await within(write.exec(), REDIS_TIMEOUT_MS, null)) ?? [];
      if (results.length === 0) throw new Error('Redis did not answer in time');
      // Only after a Redis restart: someone else took a key of a live call meanwhile (two calls hold one person until one ends).
      checks.forEach((check, i) => results[i + 1]?.[1] === 0 && this.#log.warn({ call: check.callId, key: check.key }, 'calls: a record of a live call is held by another call'));
      if (this.#warned) this.#log.info('calls: Redis answers again');
      this.#warned = false;
    } catch (error) {
      this.#warnOnce(error);
    }
  }

  /** A Redis command, at most REDIS_TIMEOUT_MS; failing: UNAVAILABLE. */
  async #command<T>(operation: Promise<T>): Promise<T> {
    const timedOut = Symbol('timeout');
    try {
      const result = await within<T | typeof timedOut>(operation, REDIS_TIMEOUT_MS, timedOut);
      if (result === timedOut) throw new Error('Redis did not answer in time');
      return result;
    } catch (error) {
      this.#warnOnce(error);
      throw unavailable();
    }
  }

  #warnOnce(error: unknown): void {
    if (this.#closed || this.#warned) return;
    this.#warned = true;
    this.#log.warn({ err: error }, 'calls: Redis is away; calls cannot start or be answered across hosts until it is back');
  }

  #ownerKey(callId: string): string {
    return `${this.#prefix}:call-owner:${callId}`;
  }

  #busyKey(accountId: string): string {
    return `${this.#prefix}:call-busy:${accountId}`;
  }

  #ringsKey(accountId: string): string {
    return `${this.#prefix}:call-rings:${accountId}`;
  }

  #aliveKey(app: string): string {
    return `${this.#prefix}:call-app:${app}`;
  }

  #channel(app: string): string {
    return `${this.#prefix}:calls:${app}`;
  }
}

function unavailable(): ImError {
  return new ImError('UNAVAILABLE', 'calls are unavailable for a moment; try again', 1);
}

/** `operation`'s result, or `fallback` once `ms` have passed (the operation goes on unheard). */
function within<T>(operation: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
}

/** The request a question carries, if well formed (the apps send only these; anything else is refused, not trusted). */
function requestOf(question: Question): CallRequest | null {
  const p = question.principal as Partial<Principal> | undefined;
  if (!(CALL_OPS as readonly unknown[]).includes(question.op) || !CallIdSchema.safeParse(question.callId).success) return null;
  if (!p || typeof p.accountId !== 'string' || typeof p.sessionId !== 'string' || typeof p.role !== 'string') return null;
  const principal: Principal = { accountId: p.accountId, sessionId: p.sessionId, role: p.role, ...(typeof p.elevatedUntil === 'number' ? { elevatedUntil: p.elevatedUntil } : {}) };
  return { op: question.op, callId: question.callId, principal };
}
