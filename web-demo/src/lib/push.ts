/**
 * Offline notifications and the file cache setting, from the client's side:
 * framework-free REST calls over the account client's authenticated fetch
 * (`accounts.fetch`: this device's access token, refreshed as needed), in the
 * style of the account SDK. Refusals throw the account SDK's
 * `AccountApiError` (its `code`, `status`), so the views word them as every
 * other account error.
 *
 * The routes (push/ and files/ packages):
 *
 * - `GET /push/vapid-key` → `{ publicKey }` (base64url, the server's VAPID key)
 * - `POST /push/subscriptions` `{ kind: 'webpush', endpoint, keys: { p256dh, auth } }`
 *   or `{ kind: 'unifiedpush', endpoint }` → 201 `{ id }`
 * - `DELETE /push/subscriptions/:id` → 204
 * - `GET|PUT /me/notifications` `{ previews, dnd: { start, end, timeZone } | null }`
 * - `GET|PUT /me/files/settings` `{ cacheDays: 1 | 7 | 30 | null }`
 */
import { AccountApiError, errorOf } from '@muster/accounts/client';
import { cacheDaysOf, type CacheDays } from './mediaCache.ts';

/** `accounts.fetch`: a path below /api/v1, with this device's token. */
export type AuthedFetch = (path: string, init?: RequestInit) => Promise<Response>;

/** Do-not-disturb hours, in the person's time zone (an IANA name). `start` after `end` spans midnight. */
export interface DoNotDisturb {
  start: string;
  end: string;
  timeZone: string;
}

export interface NotificationSettings {
  /** Whether a notification shows who wrote and what (off: "New message" only). */
  previews: boolean;
  dnd: DoNotDisturb | null;
}

export type PushSubscriptionInput = { kind: 'webpush'; endpoint: string; keys: { p256dh: string; auth: string } } | { kind: 'unifiedpush'; endpoint: string };

export interface FileSettings {
  cacheDays: CacheDays;
}

export class PushApi {
  readonly #fetch: AuthedFetch;

  constructor(fetch: AuthedFetch) {
    this.#fetch = fetch;
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.#fetch(path, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    } catch (error) {
      if (error instanceof AccountApiError) throw error;
      throw new AccountApiError('NETWORK', 0, `could not reach the server (${(error as Error)?.message ?? error})`);
    }
    if (!res.ok) throw await errorOf(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** The server's VAPID public key (base64url), for `pushManager.subscribe`. */
  async vapidKey(): Promise<string> {
    const reply = await this.#call<{ publicKey?: string; key?: string }>('GET', '/push/vapid-key');
    const key = reply.publicKey ?? reply.key;
    if (!key) throw new AccountApiError('INTERNAL', 500, 'the server has no push key');
    return key;
  }

  /** Registers this device's endpoint; the id is what `unsubscribe` takes. */
  async subscribe(input: PushSubscriptionInput): Promise<string> {
    return (await this.#call<{ id: string }>('POST', '/push/subscriptions', input)).id;
  }

  async unsubscribe(id: string): Promise<void> {
    await this.#call('DELETE', `/push/subscriptions/${encodeURIComponent(id)}`);
  }

  notificationSettings(): Promise<NotificationSettings> {
    return this.#call<NotificationSettings>('GET', '/me/notifications');
  }

  updateNotificationSettings(settings: NotificationSettings): Promise<NotificationSettings> {
    return this.#call<NotificationSettings>('PUT', '/me/notifications', settings);
  }

  async fileSettings(): Promise<FileSettings> {
    const reply = await this.#call<Partial<FileSettings>>('GET', '/me/files/settings');
    return { ...reply, cacheDays: cacheDaysOf(reply.cacheDays) };
  }

  async updateFileSettings(change: FileSettings): Promise<FileSettings> {
    const reply = await this.#call<Partial<FileSettings>>('PUT', '/me/files/settings', change);
    return { ...reply, cacheDays: cacheDaysOf(reply.cacheDays ?? change.cacheDays) };
  }
}

// ----------------------------------------------------------------- pure helpers

/** A base64url VAPID key as the bytes `applicationServerKey` takes. */
export function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesToBase64Url(buffer: ArrayBuffer): string {
  let binary = '';
  for (const b of new Uint8Array(buffer)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** What the server stores for a browser's push subscription (`PushSubscription.toJSON()`'s shape). */
export function webPushInput(subscription: { endpoint: string; getKey(name: 'p256dh' | 'auth'): ArrayBuffer | null }): PushSubscriptionInput {
  const p256dh = subscription.getKey('p256dh');
  const auth = subscription.getKey('auth');
  if (!p256dh || !auth) throw new Error('the browser gave a push subscription without keys');
  return { kind: 'webpush', endpoint: subscription.endpoint, keys: { p256dh: bytesToBase64Url(p256dh), auth: bytesToBase64Url(auth) } };
}

/** A UnifiedPush endpoint as typed: an http(s) URL (ntfy's, usually), or why not. */
export function unifiedPushProblem(endpoint: string): string | null {
  const value = endpoint.trim();
  if (!value) return 'Paste the endpoint URL your UnifiedPush distributor (ntfy) gave.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'That is not a URL.';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'The endpoint must be an http:// or https:// URL.';
  return null;
}
