import crypto from 'node:crypto';
import type { Principal } from '@muster/accounts';
import { zodMessage } from '@muster/kit/gateway';
import type { Logger } from '@muster/kit/log';
import { PushError } from '../errors.ts';
import {
  GatewaySubscribeSchema,
  MAX_SUBSCRIPTIONS_PER_ACCOUNT,
  SubscriptionIdSchema,
  UnifiedPushSubscribeSchema,
  WebPushSubscribeSchema,
  type SubscriptionView,
} from '../protocol.ts';
import type { StoredSubscription, SubscriptionRepository } from '../store/SubscriptionRepository.ts';
import type { ActiveSessions } from './ActiveSessions.ts';
import { endpointHost } from './httpPush.ts';
import type { PushTarget } from './PushGateway.ts';

export interface SubscriptionsOptions {
  store: SubscriptionRepository;
  /** Which devices (accounts' sessions) are still signed in: a subscription of any other is deleted, never used. */
  sessions: ActiveSessions;
  /** Whether some gateway delivers to this target (an organisation's kinds are accepted only then). */
  supported: (target: PushTarget) => boolean;
  now?: () => number;
  /** Subscriptions per account (default MAX_SUBSCRIPTIONS_PER_ACCOUNT). */
  maxPerAccount?: number;
  /** Where a failed clean-up is told (the subscriptions are skipped all the same, and deleted next time). */
  logger?: Logger;
}

const subscriptionId = () => `ps${crypto.randomBytes(16).toString('base64url')}`;

/** The endpoint as stored (normalised, so the same URL written twice is one subscription), or ENDPOINT_INVALID. */
export function checkEndpointUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new PushError('ENDPOINT_INVALID', 'endpoint: not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PushError('ENDPOINT_INVALID', 'endpoint: an http or https URL');
  if (url.username || url.password) throw new PushError('ENDPOINT_INVALID', 'endpoint: no user name or password in the URL (ntfy takes an access token as ?auth=…)');
  if (!url.hostname) throw new PushError('ENDPOINT_INVALID', 'endpoint: a URL with a host');
  // Private and loopback hosts are allowed: on a closed network the push service is one of them.
  url.hash = '';
  return url.href;
}

/** ENDPOINT_INVALID unless p256dh is a point on P-256 (a browser's key always is). */
function checkP256Point(p256dh: string): void {
  const point = Buffer.from(p256dh.replace(/=+$/, ''), 'base64url');
  try {
    crypto.createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') }, format: 'jwk' });
  } catch {
    throw new PushError('ENDPOINT_INVALID', 'keys.p256dh: not a point on P-256');
  }
}

/**
 * Where each person's notifications go: their browsers' Web Push
 * subscriptions, UnifiedPush endpoints, and the addresses an organisation's
 * own gateways take. Registering is idempotent per endpoint; at most 20 per
 * account; anyone else's subscription is NOT_FOUND. Dead ones (the push
 * service answered 404 or 410) are removed by the sender.
 *
 * Each belongs to the signed-in device (session) that registered it. Once
 * that device is signed out (by itself or another, a password change, an
 * admin, a guest account's end), its subscriptions are deleted: at once by
 * the process that revoked it (Push listens to the session guard), and in
 * any case when they are next read for delivery or listing (`forAccount`,
 * `list`), which check the sessions in the database.
 */
export class Subscriptions {
  readonly #store: SubscriptionRepository;
  readonly #sessions: ActiveSessions;
  readonly #supported: (target: PushTarget) => boolean;
  readonly #now: () => number;
  readonly #max: number;
  readonly #logger: Logger | undefined;

  constructor(options: SubscriptionsOptions) {
    this.#store = options.store;
    this.#sessions = options.sessions;
    this.#supported = options.supported;
    this.#now = options.now ?? Date.now;
    this.#max = options.maxPerAccount ?? MAX_SUBSCRIPTIONS_PER_ACCOUNT;
    this.#logger = options.logger;
  }

  /** Parses a registration by its kind (a precise message for each kind's mistakes), as the REST body or a test gives it. */
  static parse(value: unknown): PushTarget {
    const kind = typeof value === 'object' && value !== null && 'kind' in value ? (value as { kind: unknown }).kind : undefined;
    const schema = kind === 'webpush' ? WebPushSubscribeSchema : kind === 'unifiedpush' ? UnifiedPushSubscribeSchema : GatewaySubscribeSchema;
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new PushError('BAD_REQUEST', `body: ${zodMessage(parsed.error)}`);
    return { kind: parsed.data.kind, endpoint: parsed.data.endpoint, keys: parsed.data.keys ?? null };
  }

  /**
   * Registers a target for the notifications of the person on this device
   * (`principal.sessionId`); the same endpoint again answers the same id,
   * and belongs to this device from now on.
   */
  async subscribe(principal: Principal, input: unknown): Promise<{ id: string; created: boolean }> {
    const target = Subscriptions.parse(input);
    if (target.kind === 'webpush' || target.kind === 'unifiedpush') {
      target.endpoint = checkEndpointUrl(target.endpoint);
      if (target.keys?.p256dh) checkP256Point(target.keys.p256dh);
    }
    if (!this.#supported(target)) throw new PushError('BAD_REQUEST', `no gateway of this server delivers to kind ${target.kind}`);
    const put = () => this.#store.put({ newId: subscriptionId(), accountId: principal.accountId, sessionId: principal.sessionId, kind: target.kind, endpoint: target.endpoint, keys: target.keys, at: this.#now(), max: this.#max });
    let result = await put();
    // Subscriptions of signed-out devices not yet cleared do not count against the cap.
    if ('limited' in result && (await this.#prune(await this.#store.forAccount(principal.accountId))).pruned) result = await put();
    if ('limited' in result) throw new PushError('SUBSCRIPTION_LIMIT', `an account has at most ${this.#max} push subscriptions: remove one first`);
    return result;
  }

  /** The person's own subscriptions, without their secrets: the endpoint's host only. */
  async list(principal: Principal): Promise<SubscriptionView[]> {
    return (await this.forAccount(principal.accountId)).map((s) => ({ id: s.id, kind: s.kind, created: s.createdAt, lastSuccessAt: s.lastSuccessAt, endpointHost: endpointHost(s.endpoint) }));
  }

  /** Removes one of the person's subscriptions; anyone else's (or none) is NOT_FOUND. */
  async remove(principal: Principal, id: string): Promise<void> {
    if (!SubscriptionIdSchema.safeParse(id).success || !(await this.#store.remove(principal.accountId, id))) throw new PushError('NOT_FOUND', 'no such subscription of yours');
  }

  /**
   * An account's subscriptions of devices still signed in, opened (for
   * delivery); those of signed-out devices are deleted (one query for the
   * sessions, one delete).
   */
  async forAccount(accountId: string): Promise<StoredSubscription[]> {
    return (await this.#prune(await this.#store.forAccount(accountId))).live;
  }

  /** Which of these accounts have at least one subscription (signed in or not: `forAccount` decides when it goes out). */
  accountsWithSubscriptions(accountIds: readonly string[]): Promise<Set<string>> {
    return this.#store.accountsWithSubscriptions(accountIds);
  }

  /** Deletes the subscriptions these signed-out sessions of the account registered (the session guard's revocations). */
  removeForSessions(accountId: string, sessionIds: readonly string[]): Promise<number> {
    return this.#store.removeForSessions(accountId, sessionIds);
  }

  async #prune(subscriptions: StoredSubscription[]): Promise<{ live: StoredSubscription[]; pruned: boolean }> {
    if (subscriptions.length === 0) return { live: subscriptions, pruned: false };
    const active = await this.#sessions.activeSessions(subscriptions.map((s) => s.sessionId));
    const stale = subscriptions.filter((s) => !active.has(s.sessionId));
    if (stale.length > 0) {
      try {
        await this.#store.removeMany(stale.map((s) => s.id));
      } catch (error) {
        // Skipped all the same: the next read deletes them.
        this.#logger?.warn({ err: error, subscriptions: stale.length }, 'push: could not delete the subscriptions of signed-out devices');
      }
    }
    return { live: subscriptions.filter((s) => active.has(s.sessionId)), pruned: stale.length > 0 };
  }
}
