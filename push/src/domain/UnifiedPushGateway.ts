import webpush from 'web-push';
import { DEFAULT_PUSH_TIMEOUT_MS, postPush } from './httpPush.ts';
import type { DeliveryResult, OutgoingNotification, PushGateway, PushSubscription, PushTarget } from './PushGateway.ts';
import { stringHeaders } from './WebPushGateway.ts';

/**
 * UnifiedPush: the notification is POSTed to the endpoint the client's
 * distributor gave it (a self-hosted ntfy server, NextPush…), and the body is
 * the message itself: the same JSON a Web Push service worker gets, in the
 * clear, or encrypted to the subscription's keys (RFC 8291 aes128gcm, as Web
 * Push) when the client registered some. TTL, Urgency and Topic go along as
 * in Web Push. No VAPID signature: distributors do not check one yet (ntfy
 * would take the Authorization header for its own access control).
 *
 * Unencrypted, the request also carries ntfy's publishing headers, so a
 * plain ntfy topic shows a readable notification: the title and text from
 * the JSON (ntfy's templating, `X-Template`, ntfy 2.10 and later) and a click
 * that opens the conversation (`X-Click`, when the server's public URL is
 * known). Other distributors ignore them, and ntfy ignores them for a
 * UnifiedPush (`?up=1`) topic, passing the JSON on untouched.
 */
export class UnifiedPushGateway implements PushGateway {
  readonly name = 'unifiedpush';
  readonly #timeoutMs: number;

  constructor(options: { timeoutMs?: number } = {}) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS;
  }

  supports(subscription: PushTarget): boolean {
    return subscription.kind === 'unifiedpush';
  }

  async deliver(subscription: PushSubscription, notification: OutgoingNotification): Promise<DeliveryResult> {
    const json = JSON.stringify(notification.payload);
    const common = { TTL: notification.ttlSeconds, Urgency: notification.urgency, Topic: notification.topic };
    const keys = subscription.keys;
    if (keys?.p256dh && keys.auth) {
      const details = webpush.generateRequestDetails({ endpoint: subscription.endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } }, json, {
        TTL: notification.ttlSeconds,
        urgency: notification.urgency,
        topic: notification.topic,
        contentEncoding: 'aes128gcm',
      });
      return postPush(subscription.endpoint, { headers: stringHeaders(details.headers), body: details.body, timeoutMs: this.#timeoutMs });
    }
    const headers = stringHeaders({
      ...common,
      'Content-Type': 'application/json',
      'X-Template': 'yes',
      'X-Title': '{{.title}}',
      'X-Message': '{{.body}}',
      'X-Click': notification.link ?? undefined,
    });
    return postPush(subscription.endpoint, { headers, body: Buffer.from(json), timeoutMs: this.#timeoutMs });
  }
}
