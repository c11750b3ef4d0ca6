import type { Dnd } from '../protocol.ts';

/** Minutes since midnight of `at` (ms) on the wall clock of `timeZone`. */
export function minutesIn(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at));
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return hour * 60 + minute;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Whether `at` falls in the do-not-disturb hours: from `start` (included)
 * to `end` (excluded) on the time zone's wall clock, every day. An end
 * before the start runs past midnight (22:00–07:00); equal times mean all
 * day. Daylight-saving changes follow the zone's own clock.
 */
export function inQuietHours(dnd: Dnd | null, at: number): boolean {
  if (!dnd) return false;
  const now = minutesIn(dnd.timeZone, at);
  const start = minutesOf(dnd.start);
  const end = minutesOf(dnd.end);
  if (start === end) return true;
  return start < end ? now >= start && now < end : now >= start || now < end;
}
