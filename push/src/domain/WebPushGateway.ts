import webpush from 'web-push';
import { DEFAULT_PUSH_TIMEOUT_MS, postPush } from './httpPush.ts';
import type { DeliveryResult, OutgoingNotification, PushGateway, PushSubscription, PushTarget } from './PushGateway.ts';
import type { VapidDetails } from './VapidKeys.ts';

/** Header values as fetch takes them. */
export function stringHeaders(headers: Record<string, string | number | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
}

/**
 * Web Push (RFC 8030) to a browser's push service: the payload encrypted to
 * the subscription's keys (RFC 8291, aes128gcm) and the request signed with
 * the server's VAPID key (RFC 8292), with TTL, Urgency and Topic. Built with
 * the `web-push` library, sent with fetch: no redirect followed, the whole
 * request bounded in time.
 */
export class WebPushGateway implements PushGateway {
  readonly name = 'webpush';
  readonly #vapid: VapidDetails;
  readonly #timeoutMs: number;

  constructor(options: { vapid: VapidDetails; timeoutMs?: number }) {
    this.#vapid = options.vapid;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS;
  }

  supports(subscription: PushTarget): boolean {
    return subscription.kind === 'webpush' && typeof subscription.keys?.p256dh === 'string' && typeof subscription.keys?.auth === 'string';
  }

  async deliver(subscription: PushSubscription, notification: OutgoingNotification): Promise<DeliveryResult> {
    const details = webpush.generateRequestDetails(
      { endpoint: subscription.endpoint, keys: { p256dh: subscription.keys!.p256dh!, auth: subscription.keys!.auth! } },
      JSON.stringify(notification.payload),
      { vapidDetails: this.#vapid, TTL: notification.ttlSeconds, urgency: notification.urgency, topic: notification.topic, contentEncoding: 'aes128gcm' },
    );
    return postPush(subscription.endpoint, { headers: stringHeaders(details.headers), body: details.body, timeoutMs: this.#timeoutMs });
  }
}
