/** The push routes in the OpenAPI document (server/src/http/openapi.ts adds them), from the zod schemas they parse with. */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  MAX_SUBSCRIPTIONS_PER_ACCOUNT,
  NotificationSettingsSchema,
  PushErrorSchema,
  SubscribeSchema,
  SubscribedSchema,
  SubscriptionViewSchema,
  VapidKeySchema,
} from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const err = (description: string) => ({ description, content: json(PushErrorSchema) });
const E = {
  400: err('BAD_REQUEST: the body does not match the schema (or no gateway takes its kind); ENDPOINT_INVALID: not an http(s) URL, credentials in it, or keys that are no P-256 point'),
  401: err('UNAUTHORIZED: no valid access token'),
  404: err('NOT_FOUND: no such subscription of yours'),
  409: err(`SUBSCRIPTION_LIMIT: you have ${MAX_SUBSCRIPTIONS_PER_ACCOUNT} subscriptions; remove one first`),
  413: err('PAYLOAD_TOO_LARGE'),
  415: err('UNSUPPORTED_MEDIA_TYPE'),
} as const;
const errors = (...codes: (keyof typeof E)[]) => Object.fromEntries(codes.map((c) => [c, E[c]]));

export function registerPushOpenApi(registry: OpenAPIRegistry): void {
  const route = (config: RouteConfig) => registry.registerPath({ tags: ['notifications'], security: [{ userToken: [] }], ...config });
  route({
    method: 'get', path: '/push/vapid-key', operationId: 'getVapidKey',
    summary: 'The server’s VAPID public key, for PushManager.subscribe({ userVisibleOnly: true, applicationServerKey })',
    responses: { 200: ok('The key', VapidKeySchema), ...errors(401) },
  });
  route({
    method: 'post', path: '/push/subscriptions', operationId: 'subscribePush',
    summary: `Send your notifications to a browser (Web Push), a UnifiedPush endpoint (e.g. a self-hosted ntfy topic) or a channel your organisation added. It belongs to the device (session) you are signed in on: signing that device out removes it. The same endpoint again answers the same id (and moves it to this device); at most ${MAX_SUBSCRIPTIONS_PER_ACCOUNT} per account. The endpoint and keys are kept sealed`,
    request: { body: { required: true, content: json(SubscribeSchema) } },
    responses: { 201: ok('Registered', SubscribedSchema), ...errors(400, 401, 409, 413, 415) },
  });
  route({
    method: 'get', path: '/push/subscriptions', operationId: 'listPushSubscriptions',
    summary: 'Your push subscriptions of devices still signed in, oldest first, with each endpoint’s host only',
    responses: { 200: ok('Your subscriptions', z.array(SubscriptionViewSchema)), ...errors(401) },
  });
  route({
    method: 'delete', path: '/push/subscriptions/{id}', operationId: 'unsubscribePush',
    summary: 'Stop sending notifications to one of your subscriptions',
    request: { params: z.object({ id: z.string().meta({ description: 'Subscription id' }) }) },
    responses: { 204: { description: 'Removed' }, ...errors(401, 404) },
  });
  route({
    method: 'get', path: '/me/notifications', operationId: 'getNotificationSettings',
    summary: 'Your notification settings: message previews (off by default) and do-not-disturb hours',
    responses: { 200: ok('Your settings', NotificationSettingsSchema), ...errors(401) },
  });
  route({
    method: 'put', path: '/me/notifications', operationId: 'setNotificationSettings',
    summary: 'Replace your notification settings. During do-not-disturb hours nothing is pushed, and nothing is kept for afterwards',
    request: { body: { required: true, content: json(NotificationSettingsSchema) } },
    responses: { 200: ok('Your settings', NotificationSettingsSchema), ...errors(400, 401, 413, 415) },
  });
}
