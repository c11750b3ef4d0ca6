/**
 * This device's push registrations: the browser's Web Push subscription
 * (through the service worker) and an operator's UnifiedPush endpoint,
 * each registered with the server and remembered here by the id it gave
 * (localStorage `muster.push`, for this signed-in person only), so they can
 * be removed again. Signing out drops the browser's subscription: the push
 * service then refuses the server's next push and the server forgets it.
 */
import { base64UrlToBytes, webPushInput, type PushApi } from '../lib/push.ts';

const KEY = 'muster.push';

interface Registered {
  id: string;
  endpoint: string;
}
interface Stored {
  userId: string;
  webpush?: Registered;
  unifiedpush?: Registered;
}

function load(userId: string): Stored {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Stored | null;
    if (value && value.userId === userId) return value;
  } catch {
    // A damaged entry: nothing registered.
  }
  return { userId };
}

function save(stored: Stored): void {
  try {
    if (!stored.webpush && !stored.unifiedpush) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, JSON.stringify(stored));
  } catch {
    // Not kept: the registration works, this device just cannot name it later.
  }
}

/** Service worker, Push API and notifications, in a secure context. */
export function pushSupported(): boolean {
  return typeof window !== 'undefined' && window.isSecureContext && 'serviceWorker' in navigator && 'PushManager' in window && typeof Notification !== 'undefined';
}

export function permission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

async function registration(): Promise<ServiceWorkerRegistration> {
  const reg = await navigator.serviceWorker.getRegistration('/');
  if (!reg) throw new Error('Muster’s service worker is not installed here (it needs https). Reload the page and try again.');
  // A worker still installing: wait for it to be the active one.
  return reg.active ? reg : navigator.serviceWorker.ready;
}

/** Whether this device has a Web Push subscription registered with the server (for this person). */
export async function webPushRegistered(userId: string): Promise<boolean> {
  const stored = load(userId).webpush;
  if (!stored || !pushSupported()) return false;
  const reg = await navigator.serviceWorker.getRegistration('/');
  const sub = await reg?.pushManager.getSubscription();
  return !!sub && sub.endpoint === stored.endpoint;
}

/**
 * Turns notifications on for this device: asks the browser's permission
 * (call from a click), subscribes with the server's VAPID key and registers
 * the subscription. Throws with a sentence to show when any step is refused.
 */
export async function enableWebPush(api: PushApi, userId: string): Promise<void> {
  if (!pushSupported()) throw new Error('This browser cannot receive push notifications here.');
  const answer = await Notification.requestPermission();
  if (answer !== 'granted') throw new Error(answer === 'denied' ? 'Notifications are blocked for this site in the browser’s settings.' : 'Notifications were not allowed.');
  const key = await api.vapidKey();
  const reg = await registration();
  let sub = await reg.pushManager.getSubscription();
  // A subscription made with another key (the server's key changed) cannot be used.
  if (sub && !sameKey(sub.options.applicationServerKey, key)) {
    await sub.unsubscribe().catch(() => undefined);
    sub = null;
  }
  try {
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key) });
  } catch (error) {
    throw new Error(`The browser’s push service could not be reached (${(error as Error)?.message ?? error}). On a closed network, ask your administrator about UnifiedPush.`);
  }
  const stored = load(userId);
  if (stored.webpush && stored.webpush.endpoint !== sub.endpoint) await api.unsubscribe(stored.webpush.id).catch(() => undefined);
  const id = await api.subscribe(webPushInput(sub));
  save({ ...load(userId), webpush: { id, endpoint: sub.endpoint } });
}

function sameKey(current: ArrayBuffer | null | undefined, key: string): boolean {
  if (!current) return true;
  const a = new Uint8Array(current);
  const b = base64UrlToBytes(key);
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Turns them off: the browser's subscription goes, and the server's record of it. */
export async function disableWebPush(api: PushApi, userId: string): Promise<void> {
  const stored = load(userId);
  if (pushSupported()) {
    const reg = await navigator.serviceWorker.getRegistration('/');
    await (await reg?.pushManager.getSubscription())?.unsubscribe().catch(() => undefined);
  }
  if (stored.webpush) await api.unsubscribe(stored.webpush.id).catch((error: { status?: number }) => {
    // Already gone on the server: nothing left to undo.
    if (error?.status !== 404) throw error;
  });
  save({ ...stored, webpush: undefined });
}

/** The UnifiedPush endpoint this device registered, if any. */
export function unifiedPushEndpoint(userId: string): string | null {
  return load(userId).unifiedpush?.endpoint ?? null;
}

export async function registerUnifiedPush(api: PushApi, userId: string, endpoint: string): Promise<void> {
  const stored = load(userId);
  if (stored.unifiedpush) await api.unsubscribe(stored.unifiedpush.id).catch(() => undefined);
  const id = await api.subscribe({ kind: 'unifiedpush', endpoint: endpoint.trim() });
  save({ ...load(userId), unifiedpush: { id, endpoint: endpoint.trim() } });
}

export async function removeUnifiedPush(api: PushApi, userId: string): Promise<void> {
  const stored = load(userId);
  if (stored.unifiedpush) await api.unsubscribe(stored.unifiedpush.id).catch((error: { status?: number }) => {
    if (error?.status !== 404) throw error;
  });
  save({ ...stored, unifiedpush: undefined });
}

/** Before logging out: this device's registrations go from the server too (they belong to the account, not the device). */
export async function dropPushRegistrations(api: PushApi, userId: string): Promise<void> {
  const stored = load(userId);
  for (const registered of [stored.webpush, stored.unifiedpush]) if (registered) await api.unsubscribe(registered.id).catch(() => undefined);
}

/** At sign-out: the browser's subscription goes (the token to tell the server is gone already) and the ids are forgotten. */
export async function forgetPush(): Promise<void> {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing kept.
  }
  if (!pushSupported()) return;
  const reg = await navigator.serviceWorker.getRegistration('/').catch(() => undefined);
  await (await reg?.pushManager.getSubscription().catch(() => null))?.unsubscribe().catch(() => undefined);
}
