import type { NotificationPayload } from '../protocol.ts';

/** Where a notification goes: what a person registered (a Web Push subscription, a UnifiedPush URL, a gateway's address). */
export interface PushTarget {
  /** webpush, unifiedpush, or a gateway's own kind. */
  kind: string;
  /** A URL for webpush and unifiedpush; whatever the gateway understands for its own kinds. */
  endpoint: string;
  /** Web Push: p256dh and auth (RFC 8291); a gateway's kind: what it asked for; null: none. */
  keys: Record<string, string> | null;
}

/** A stored subscription, as a gateway delivers to it. */
export interface PushSubscription extends PushTarget {
  id: string;
  accountId: string;
  createdAt: number;
  lastSuccessAt: number | null;
}

/** RFC 8030 §5.3. */
export type PushUrgency = 'very-low' | 'low' | 'normal' | 'high';

/** One notification for one person, as every gateway gets it. */
export interface OutgoingNotification {
  /** Whom it is for. */
  accountId: string;
  /** The JSON the service worker or app receives (the fixed contract, v1). */
  payload: NotificationPayload;
  /** RFC 8030 Urgency: high for a direct message or an @mention, normal otherwise. */
  urgency: PushUrgency;
  /**
   * RFC 8030 Topic (≤ 32 base64url characters, a keyed hash of the
   * conversation id): a push service replaces an undelivered earlier push of
   * the same topic with this one.
   */
  topic: string;
  /** How long a push service keeps it for an unreachable device (seconds). */
  ttlSeconds: number;
  /** It includes an @mention of this person (or @everyone): a gateway may deliver only these (an SMS fallback). */
  mentioned: boolean;
  /** The conversation's absolute URL when the server knows its public address (PUBLIC_URL), else null; `payload.url` is relative. */
  link: string | null;
}

/**
 * What became of one delivery: `delivered` (the push service took it),
 * `gone` (the subscription is dead: 404 or 410; it is removed), `failed`
 * (anything else: logged, not retried; the next message pushes again, and
 * the topic makes it replace this one), `skipped` (the gateway chose not to
 * deliver this one, e.g. an SMS gateway that only sends @mentions).
 */
export type DeliveryResult =
  | { status: 'delivered' }
  | { status: 'gone'; reason: string }
  | { status: 'failed'; reason: string }
  | { status: 'skipped'; reason?: string };

/**
 * A channel notifications go out through. Web Push and UnifiedPush are
 * built in; an organisation adds its own (a vendor push service, an SMS
 * fallback for @mentions…) with `push.useGateway(gateway)`. For each
 * subscription the first gateway that `supports` it delivers, the
 * organisation's (latest added first) before the built-in ones; a
 * subscription of a kind no gateway supports is refused at registration.
 */
export interface PushGateway {
  readonly name: string;
  /** Whether this gateway delivers to this target (asked at registration too: a kind nobody supports is refused). */
  supports(subscription: PushTarget): boolean;
  /** Sends one notification; must not throw for a refusal (a throw counts as `failed`), and must bound its own time. */
  deliver(subscription: PushSubscription, notification: OutgoingNotification): Promise<DeliveryResult>;
}
