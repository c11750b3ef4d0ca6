import { describe, expect, it } from 'vitest';
import { dayAndTime, formatDuration, fromLocalInput, relativeTime, toLocalInput } from './time.ts';

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const utc = { locale: 'en-GB', timeZone: 'UTC' };

describe('times in lists', () => {
  it('says how long ago, or how soon, then falls back to the date', () => {
    expect(relativeTime(NOW - 20_000, NOW)).toBe('just now');
    expect(relativeTime(NOW - 60_000, NOW)).toBe('1 minute ago');
    expect(relativeTime(NOW - 5 * 60_000, NOW)).toBe('5 minutes ago');
    expect(relativeTime(NOW - 3 * 3600_000, NOW)).toBe('3 hours ago');
    expect(relativeTime(NOW + 2 * 3600_000, NOW)).toBe('in 2 hours');
    expect(relativeTime(NOW - 2 * 86_400_000, NOW)).toBe('2 days ago');
    expect(relativeTime(NOW - 30 * 86_400_000, NOW, utc)).toBe('8 Feb 2026');
  });

  it('names today, tomorrow and yesterday in the given time zone', () => {
    expect(dayAndTime(Date.UTC(2026, 2, 10, 14, 30), NOW, utc)).toBe('Today 14:30');
    expect(dayAndTime(Date.UTC(2026, 2, 11, 9, 0), NOW, utc)).toBe('Tomorrow 09:00');
    expect(dayAndTime(Date.UTC(2026, 2, 9, 18, 15), NOW, utc)).toBe('Yesterday 18:15');
    expect(dayAndTime(Date.UTC(2026, 2, 20, 8, 0), NOW, utc)).toBe('20 Mar 2026, 08:00');
    // 23:30 UTC is already tomorrow in Shanghai.
    expect(dayAndTime(Date.UTC(2026, 2, 10, 23, 30), NOW, { locale: 'en-GB', timeZone: 'Asia/Shanghai' })).toBe('Tomorrow 07:30');
  });

  it('writes durations as a clock', () => {
    expect(formatDuration(42_000)).toBe('0:42');
    expect(formatDuration(12 * 60_000 + 5_000)).toBe('12:05');
    expect(formatDuration(3723_000)).toBe('1:02:03');
    expect(formatDuration(-5)).toBe('0:00');
  });

  it('fills and reads datetime-local inputs', () => {
    expect(toLocalInput(Date.UTC(2026, 2, 10, 14, 30), 0)).toBe('2026-03-10T14:30');
    expect(toLocalInput(Date.UTC(2026, 2, 10, 14, 30), -480)).toBe('2026-03-10T22:30');
    const at = Date.UTC(2026, 2, 10, 14, 30);
    expect(fromLocalInput(toLocalInput(at))).toBe(at);
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('tomorrow')).toBeNull();
  });
});
