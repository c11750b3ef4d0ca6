import { describe, expect, it } from 'vitest';
import { inQuietHours } from './quietHours.ts';
import { notificationText, previewOf } from './notificationText.ts';

describe('do-not-disturb hours', () => {
  const at = (iso: string) => Date.parse(iso);
  it('spans midnight on the zone’s own wall clock, start included, end excluded', () => {
    const night = { start: '22:00', end: '07:00', timeZone: 'Asia/Shanghai' };
    expect(inQuietHours(night, at('2030-01-15T14:00:00Z'))).toBe(true); // 22:00 in Shanghai
    expect(inQuietHours(night, at('2030-01-15T13:59:00Z'))).toBe(false);
    expect(inQuietHours(night, at('2030-01-15T22:59:00Z'))).toBe(true); // 06:59
    expect(inQuietHours(night, at('2030-01-15T23:00:00Z'))).toBe(false); // 07:00
    expect(inQuietHours({ start: '12:00', end: '13:30', timeZone: 'UTC' }, at('2030-01-15T13:29:00Z'))).toBe(true);
    expect(inQuietHours({ start: '12:00', end: '13:30', timeZone: 'UTC' }, at('2030-01-15T11:00:00Z'))).toBe(false);
    expect(inQuietHours({ start: '09:00', end: '09:00', timeZone: 'UTC' }, at('2030-01-15T03:00:00Z'))).toBe(true);
    expect(inQuietHours(null, 0)).toBe(false);
  });
  it('follows daylight saving time', () => {
    const evening = { start: '20:00', end: '21:00', timeZone: 'Europe/Berlin' };
    expect(inQuietHours(evening, at('2030-01-15T19:30:00Z'))).toBe(true); // 20:30 CET
    expect(inQuietHours(evening, at('2030-07-15T18:30:00Z'))).toBe(true); // 20:30 CEST
    expect(inQuietHours(evening, at('2030-07-15T19:30:00Z'))).toBe(false); // 21:30 CEST
  });
});

describe('notification text', () => {
  it('says who and how many, and what only with a preview', () => {
    const base = { groupName: null, senders: ['张三'], lastSender: '张三', mentionedBy: null, preview: null };
    expect(notificationText({ ...base, kind: 'direct', count: 3 })).toEqual({ title: '张三', body: '3 new messages from 张三' });
    expect(notificationText({ ...base, kind: 'direct', count: 1, preview: 'hi' })).toEqual({ title: '张三', body: 'hi' });
    expect(notificationText({ ...base, kind: 'group', groupName: '开发组', senders: ['张三', '王五'], count: 3 })).toEqual({ title: '开发组', body: '张三 and others in 开发组: 3 new messages' });
    expect(notificationText({ ...base, kind: 'group', groupName: '开发组', count: 1 })).toEqual({ title: '开发组', body: '张三 in 开发组: 1 new message' });
    expect(notificationText({ ...base, kind: 'group', groupName: '开发组', count: 2, preview: 'ok', lastSender: '王五', mentionedBy: '张三' }).body).toBe('[You were mentioned] [2] 王五: ok');
    expect(previewOf({ type: 'image' })).toBe('[Photo]');
    expect(previewOf({ type: 'text', text: 'a\n\nb' })).toBe('a b');
    expect(previewOf({ type: 'text', text: 'x'.repeat(300) })).toHaveLength(140);
  });
});
