/**
 * Times as people read them in lists: "5 minutes ago", "Today 14:30",
 * "1:02:03". Pure (the clock and the time zone are arguments where it
 * matters), so tested without a browser.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 minutes ago", "in 2 hours", then a date. */
export function relativeTime(at: number, now: number, opts: DateOptions = {}): string {
  const diff = now - at;
  const abs = Math.abs(diff);
  const say = (n: number, unit: string) => {
    const text = `${n} ${unit}${n === 1 ? '' : 's'}`;
    return diff >= 0 ? `${text} ago` : `in ${text}`;
  };
  if (abs < MINUTE) return 'just now';
  if (abs < HOUR) return say(Math.floor(abs / MINUTE), 'minute');
  if (abs < DAY) return say(Math.floor(abs / HOUR), 'hour');
  if (abs < 7 * DAY) return say(Math.floor(abs / DAY), 'day');
  return formatDate(at, opts);
}

export interface DateOptions {
  locale?: string;
  timeZone?: string;
}

export function formatDate(at: number, opts: DateOptions = {}): string {
  return new Intl.DateTimeFormat(opts.locale, { dateStyle: 'medium', timeZone: opts.timeZone }).format(at);
}

export function formatDateTime(at: number, opts: DateOptions = {}): string {
  return new Intl.DateTimeFormat(opts.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: opts.timeZone }).format(at);
}

/** "Today 14:30", "Tomorrow 09:00", "Yesterday 18:15", else the date and time. */
export function dayAndTime(at: number, now: number, opts: DateOptions = {}): string {
  const day = (t: number) => new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: opts.timeZone }).format(t);
  const time = new Intl.DateTimeFormat(opts.locale, { timeStyle: 'short', timeZone: opts.timeZone }).format(at);
  const target = day(at);
  if (target === day(now)) return `Today ${time}`;
  if (target === day(now + DAY)) return `Tomorrow ${time}`;
  if (target === day(now - DAY)) return `Yesterday ${time}`;
  return formatDateTime(at, opts);
}

/** "0:42", "12:05", "1:02:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/**
 * The value of an `<input type="datetime-local">` for a moment: local time,
 * to the minute. `offsetMinutes` is Date#getTimezoneOffset's (minutes to add
 * to local time to get UTC), the browser's own when absent.
 */
export function toLocalInput(at: number, offsetMinutes = new Date(at).getTimezoneOffset()): string {
  return new Date(at - offsetMinutes * MINUTE).toISOString().slice(0, 16);
}

/** The moment an `<input type="datetime-local">` names, in the browser's time zone; null when empty or malformed. */
export function fromLocalInput(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const at = new Date(value).getTime();
  return Number.isFinite(at) ? at : null;
}
