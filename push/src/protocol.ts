/**
 * The push package's wire contract, as zod: the REST bodies and replies, the
 * error codes, and the payload a service worker (or a UnifiedPush app, or an
 * organisation gateway) receives. The routes parse with these, and the
 * OpenAPI document is generated from them.
 */
import { z } from 'zod';

export const PUSH_ERROR_CODES = [
  'BAD_REQUEST',
  'ENDPOINT_INVALID',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'SUBSCRIPTION_LIMIT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL',
] as const;
export type PushErrorCode = (typeof PUSH_ERROR_CODES)[number];

export const PushErrorSchema = z
  .object({ error: z.object({ code: z.enum(PUSH_ERROR_CODES), message: z.string() }) })
  .meta({ id: 'PushError', description: 'A coded error; another person’s subscription is NOT_FOUND' });

/** Push subscriptions one account keeps at most (every browser and phone it uses; dead ones are removed when the push service says so). */
export const MAX_SUBSCRIPTIONS_PER_ACCOUNT = 20;
/** An endpoint URL is at most this long. */
export const MAX_ENDPOINT_LENGTH = 2048;

/** base64url without padding (RFC 4648 §5), as browsers give PushSubscription keys. */
const Base64Url = z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, 'not base64url');
const bytesOf = (value: string) => Buffer.from(value.replace(/=+$/, ''), 'base64url');
/** The browser's ECDH public key: an uncompressed P-256 point, 65 bytes. */
export const P256dhSchema = Base64Url.max(100).refine((v) => {
  const bytes = bytesOf(v);
  return bytes.length === 65 && bytes[0] === 0x04;
}, 'p256dh is an uncompressed P-256 public key (65 bytes, base64url)');
/** The browser's authentication secret: 16 bytes. */
export const AuthSecretSchema = Base64Url.max(40).refine((v) => bytesOf(v).length === 16, 'auth is 16 bytes, base64url');
export const PushKeysSchema = z.object({ p256dh: P256dhSchema, auth: AuthSecretSchema }).strict().meta({ id: 'PushKeys', description: 'The subscription’s keys (RFC 8291): the payload is encrypted to them' });
export type PushKeys = z.infer<typeof PushKeysSchema>;

const EndpointSchema = z.string().min(8).max(MAX_ENDPOINT_LENGTH).meta({ description: 'The push service’s URL for this browser or device (http or https; private and loopback hosts are allowed: closed networks)' });

export const WebPushSubscribeSchema = z
  .object({ kind: z.literal('webpush'), endpoint: EndpointSchema, keys: PushKeysSchema })
  .strict()
  .meta({ id: 'WebPushSubscribe', description: 'A browser’s PushSubscription (its toJSON(), with kind)' });
export const UnifiedPushSubscribeSchema = z
  .object({ kind: z.literal('unifiedpush'), endpoint: EndpointSchema, keys: PushKeysSchema.optional() })
  .strict()
  .meta({ id: 'UnifiedPushSubscribe', description: 'A UnifiedPush endpoint (a distributor such as a self-hosted ntfy server). With keys the payload is encrypted (RFC 8291); without them it is the JSON itself' });
/** A kind an organisation's gateway handles (see PushGateway): its address is whatever that gateway understands. */
export const GatewaySubscribeSchema = z
  .object({
    kind: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'a gateway kind: lower-case letters, digits and dashes').refine((k) => k !== 'webpush' && k !== 'unifiedpush', 'webpush and unifiedpush have their own shapes'),
    endpoint: z.string().min(1).max(MAX_ENDPOINT_LENGTH),
    keys: z.record(z.string().max(64), z.string().max(512)).optional(),
  })
  .strict()
  .meta({ id: 'GatewaySubscribe', description: 'A subscription for a channel the organisation added (vendor push, SMS…): accepted only when one of its gateways supports it' });
export const SubscribeSchema = z.union([WebPushSubscribeSchema, UnifiedPushSubscribeSchema, GatewaySubscribeSchema]).meta({ id: 'Subscribe' });
export type SubscribeInput = z.infer<typeof SubscribeSchema>;

export const SubscribedSchema = z.object({ id: z.string() }).meta({ id: 'Subscribed' });
export const SubscriptionIdSchema = z.string().regex(/^ps[A-Za-z0-9_-]{16,40}$/, 'not a subscription id');
export const SubscriptionViewSchema = z
  .object({
    id: z.string(),
    kind: z.string().meta({ description: 'webpush, unifiedpush, or an organisation gateway’s kind' }),
    created: z.number().int().meta({ description: 'When it was registered (ms)' }),
    lastSuccessAt: z.number().int().nullable().meta({ description: 'When its push service last took a notification (ms), or null' }),
    endpointHost: z.string().meta({ description: 'The host of its endpoint only (the full URL is a secret)' }),
  })
  .meta({ id: 'PushSubscription' });
export type SubscriptionView = z.infer<typeof SubscriptionViewSchema>;

export const VapidKeySchema = z.object({ publicKey: z.string().meta({ description: 'The server’s VAPID public key (base64url, 65 bytes): PushManager.subscribe’s applicationServerKey' }) }).meta({ id: 'VapidKey' });

/** 'HH:MM', 00:00–23:59. */
export const ClockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day, HH:MM');
export const TimeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as Asia/Shanghai');
export const DndSchema = z
  .object({ start: ClockTimeSchema, end: ClockTimeSchema, timeZone: TimeZoneSchema })
  .strict()
  .meta({ id: 'DoNotDisturb', description: 'Quiet hours, every day, in this time zone: from start up to end (an end before the start runs past midnight; equal times: all day). No notification is sent then, and none is kept for later' });
export type Dnd = z.infer<typeof DndSchema>;
export const NotificationSettingsSchema = z
  .object({
    previews: z.boolean().meta({ description: 'Show message text in notifications (off by default: only who wrote and how many)' }),
    dnd: z.union([DndSchema, z.null()]).meta({ description: 'Do-not-disturb hours, or null' }),
  })
  .strict()
  .meta({ id: 'NotificationSettings' });
export type NotificationSettings = z.infer<typeof NotificationSettingsSchema>;
export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = { previews: false, dnd: null };

/**
 * What the service worker (or a UnifiedPush app) receives, as JSON: a fixed
 * contract, version 1. `tag` groups a conversation's notifications (a new
 * one replaces the last); `url` opens the conversation.
 */
export const NotificationPayloadSchema = z
  .object({
    v: z.literal(1),
    kind: z.literal('message'),
    conversationId: z.string(),
    title: z.string(),
    body: z.string(),
    count: z.number().int().positive(),
    url: z.string(),
    tag: z.string(),
  })
  .meta({ id: 'PushPayload' });
export type NotificationPayload = z.infer<typeof NotificationPayloadSchema>;
