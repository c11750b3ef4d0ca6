/**
 * View models of Me → Settings → Notifications and Storage (pure, tested in
 * notifications.test.ts): what the device's switch says, the do-not-disturb
 * form and the request it makes, the cache's choices and sizes.
 */
import type { CacheDays } from '../lib/mediaCache.ts';
import type { NotificationSettings } from '../lib/push.ts';

// ----------------------------------------------------------------- this device

export interface DeviceFacts {
  /** Service worker, Push API and notifications here (secure context: https or localhost). */
  supported: boolean;
  permission: NotificationPermission | 'unsupported';
  /** This device has a push subscription the server knows (its id is kept here). */
  subscribed: boolean;
}

export interface DeviceStatus {
  state: 'unsupported' | 'blocked' | 'off' | 'on';
  text: string;
  canEnable: boolean;
  canDisable: boolean;
}

export function deviceStatus(f: DeviceFacts): DeviceStatus {
  if (!f.supported || f.permission === 'unsupported') {
    return {
      state: 'unsupported',
      text: 'This browser cannot receive notifications from Muster here. They need the app opened over https (or installed), in a browser with Web Push.',
      canEnable: false,
      canDisable: f.subscribed,
    };
  }
  if (f.permission === 'denied') {
    return { state: 'blocked', text: 'Notifications are blocked for this site. Allow them in the browser’s site settings, then turn them on here.', canEnable: false, canDisable: f.subscribed };
  }
  if (f.subscribed && f.permission === 'granted') return { state: 'on', text: 'On: this device shows new messages while Muster is closed.', canEnable: false, canDisable: true };
  return { state: 'off', text: 'Off: new messages show only while Muster is open.', canEnable: true, canDisable: f.subscribed };
}

// ----------------------------------------------------------------- previews and do-not-disturb

export interface NotificationForm {
  previews: boolean;
  dndOn: boolean;
  start: string;
  end: string;
  timeZone: string;
}

export const DEFAULT_DND = { start: '22:00', end: '07:00' };

export function notificationForm(settings: NotificationSettings, localTimeZone: string): NotificationForm {
  return {
    previews: settings.previews,
    dndOn: settings.dnd !== null,
    start: settings.dnd?.start ?? DEFAULT_DND.start,
    end: settings.dnd?.end ?? DEFAULT_DND.end,
    timeZone: settings.dnd?.timeZone || localTimeZone,
  };
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The PUT body of a form, or why it cannot be saved. */
export function notificationRequest(form: NotificationForm): { settings: NotificationSettings; error: null } | { settings: null; error: string } {
  if (!form.dndOn) return { settings: { previews: form.previews, dnd: null }, error: null };
  if (!HHMM.test(form.start) || !HHMM.test(form.end)) return { settings: null, error: 'Give the quiet hours as HH:MM, e.g. 22:00 to 07:00.' };
  if (form.start === form.end) return { settings: null, error: 'Quiet hours must start and end at different times.' };
  if (!form.timeZone) return { settings: null, error: 'Pick a time zone for the quiet hours.' };
  return { settings: { previews: form.previews, dnd: { start: form.start, end: form.end, timeZone: form.timeZone } }, error: null };
}

/** "22:00–07:00 (overnight)" and the like, under the switch. */
export function dndSummary(form: NotificationForm): string {
  if (!form.dndOn) return 'Notifications come at any hour.';
  if (!HHMM.test(form.start) || !HHMM.test(form.end)) return '';
  const overnight = form.start > form.end ? ', overnight' : '';
  return `Quiet from ${form.start} to ${form.end}${overnight} (${form.timeZone}). Messages still arrive; this device is not woken.`;
}

// ----------------------------------------------------------------- storage

export const CACHE_DAY_CHOICES: readonly { value: CacheDays; label: string }[] = [
  { value: 1, label: '1 day' },
  { value: 7, label: '7 days' },
  { value: 30, label: '30 days' },
  { value: null, label: 'For ever' },
];

/** The select's value for a setting ('never' stands for null). */
export function cacheDaysValue(days: CacheDays): string {
  return days === null ? 'never' : String(days);
}

export function cacheDaysFromValue(value: string): CacheDays {
  if (value === 'never') return null;
  const n = Number(value);
  return n === 1 || n === 7 || n === 30 ? n : 7;
}

/** Bytes as people read them: 0 B, 950 B, 12.3 KB, 4.5 MB, 1.2 GB (powers of 1024, one decimal below 100). */
export function bytesText(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value < 100 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value)} ${units[unit]}`;
}

/** What the Storage section says the cache holds. */
export function usageText(u: { entries: number; bytes: number; estimate: boolean }): string {
  if (u.estimate) return `About ${bytesText(u.bytes)} stored by Muster on this device.`;
  if (u.entries === 0) return 'No media kept on this device.';
  return `${u.entries} ${u.entries === 1 ? 'file' : 'files'}, ${bytesText(u.bytes)}, kept on this device.`;
}

export function clearedText(freed: { entries: number; bytes: number }): string {
  return freed.entries === 0 ? 'Nothing to clear.' : `Cleared ${bytesText(freed.bytes)} (${freed.entries} ${freed.entries === 1 ? 'file' : 'files'}).`;
}
