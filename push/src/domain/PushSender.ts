import type { Logger } from '@muster/kit/log';
import type { SubscriptionRepository } from '../store/SubscriptionRepository.ts';
import { endpointHost } from './httpPush.ts';
import type { DeliveryResult, OutgoingNotification, PushGateway, PushSubscription, PushTarget } from './PushGateway.ts';

export interface SendReport {
  delivered: number;
  gone: number;
  failed: number;
  skipped: number;
}

/**
 * Sends one notification to every subscription of its person, each through
 * the first gateway that supports it (the organisation's, latest added
 * first, then the built-in ones), all at once. A dead subscription (404,
 * 410: `gone`) is removed; a success is recorded; a failure is logged with
 * the endpoint's host only (the URL is a secret) and not retried.
 */
export class PushSender {
  readonly #store: SubscriptionRepository;
  readonly #builtIn: readonly PushGateway[];
  readonly #custom: PushGateway[] = [];
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #targets: (accountId: string) => Promise<readonly PushSubscription[]>;

  /** `targets`: an account's subscriptions when `send` is given none (Push: those of devices still signed in); the store's by default. */
  constructor(options: { store: SubscriptionRepository; gateways: readonly PushGateway[]; logger: Logger; now?: () => number; targets?: (accountId: string) => Promise<readonly PushSubscription[]> }) {
    this.#store = options.store;
    this.#targets = options.targets ?? ((accountId) => this.#store.forAccount(accountId));
    this.#builtIn = options.gateways;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Adds an organisation's gateway: it is asked before the ones added earlier and before the built-in ones. */
  use(gateway: PushGateway): void {
    this.#custom.unshift(gateway);
  }

  /** The gateway that delivers to this target, if any. */
  gatewayFor(target: PushTarget): PushGateway | undefined {
    for (const gateway of [...this.#custom, ...this.#builtIn]) {
      try {
        if (gateway.supports(target)) return gateway;
      } catch {
        // A gateway that cannot tell does not support it.
      }
    }
    return undefined;
  }

  async send(notification: OutgoingNotification, subscriptions?: readonly PushSubscription[]): Promise<SendReport> {
    const report: SendReport = { delivered: 0, gone: 0, failed: 0, skipped: 0 };
    const targets = subscriptions ?? (await this.#targets(notification.accountId));
    await Promise.all(
      targets.map(async (subscription) => {
        const result = await this.#deliverOne(subscription, notification);
        report[result.status]++;
      }),
    );
    return report;
  }

  async #deliverOne(subscription: PushSubscription, notification: OutgoingNotification): Promise<DeliveryResult> {
    const gateway = this.gatewayFor(subscription);
    const where = { subscription: subscription.id, kind: subscription.kind, host: endpointHost(subscription.endpoint) };
    if (!gateway) {
      this.#logger.warn(where, 'push: no gateway delivers to this subscription (was an organisation gateway removed?)');
      return { status: 'skipped', reason: 'no gateway' };
    }
    let result: DeliveryResult;
    try {
      result = await gateway.deliver(subscription, notification);
    } catch (error) {
      result = { status: 'failed', reason: (error as Error).message ?? String(error) };
    }
    try {
      if (result.status === 'delivered') await this.#store.markSuccess(subscription.id, this.#now());
      if (result.status === 'gone') {
        await this.#store.removeDead(subscription.id);
        this.#logger.info({ ...where, gateway: gateway.name, reason: result.reason }, 'push: subscription gone; removed');
      }
    } catch (error) {
      this.#logger.warn({ ...where, err: error }, 'push: could not record a delivery');
    }
    if (result.status === 'failed') this.#logger.warn({ ...where, gateway: gateway.name, reason: result.reason }, 'push: delivery failed');
    return result;
  }
}
