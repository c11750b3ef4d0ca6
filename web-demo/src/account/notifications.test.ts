import { describe, expect, it } from 'vitest';
import { bytesText, cacheDaysFromValue, cacheDaysValue, clearedText, deviceStatus, dndSummary, notificationForm, notificationRequest, usageText } from './notifications.ts';

describe('this device’s notifications', () => {
  it('offers to turn on when permitted or not yet asked', () => {
    expect(deviceStatus({ supported: true, permission: 'default', subscribed: false })).toMatchObject({ state: 'off', canEnable: true, canDisable: false });
    expect(deviceStatus({ supported: true, permission: 'granted', subscribed: false })).toMatchObject({ state: 'off', canEnable: true });
  });
  it('is on with a subscription and permission, and offers to turn off', () => {
    expect(deviceStatus({ supported: true, permission: 'granted', subscribed: true })).toMatchObject({ state: 'on', canEnable: false, canDisable: true });
  });
  it('says what to do when blocked, and that it cannot here when unsupported', () => {
    const blocked = deviceStatus({ supported: true, permission: 'denied', subscribed: false });
    expect(blocked.state).toBe('blocked');
    expect(blocked.canEnable).toBe(false);
    expect(blocked.text).toMatch(/site settings/);
    const none = deviceStatus({ supported: false, permission: 'unsupported', subscribed: false });
    expect(none).toMatchObject({ state: 'unsupported', canEnable: false, canDisable: false });
    expect(none.text).toMatch(/https/);
  });
});

describe('previews and quiet hours', () => {
  it('fills the form from the server, with defaults and the local zone when there are no quiet hours', () => {
    expect(notificationForm({ previews: false, dnd: null }, 'Asia/Shanghai')).toEqual({ previews: false, dndOn: false, start: '22:00', end: '07:00', timeZone: 'Asia/Shanghai' });
    expect(notificationForm({ previews: true, dnd: { start: '23:30', end: '06:00', timeZone: 'Europe/Paris' } }, 'UTC')).toEqual({
      previews: true,
      dndOn: true,
      start: '23:30',
      end: '06:00',
      timeZone: 'Europe/Paris',
    });
  });
  it('makes the PUT body, null quiet hours when off', () => {
    const form = { previews: true, dndOn: false, start: 'junk', end: '', timeZone: '' };
    expect(notificationRequest(form)).toEqual({ settings: { previews: true, dnd: null }, error: null });
    expect(notificationRequest({ ...form, dndOn: true, start: '22:00', end: '07:00', timeZone: 'UTC' })).toEqual({
      settings: { previews: true, dnd: { start: '22:00', end: '07:00', timeZone: 'UTC' } },
      error: null,
    });
  });
  it('refuses times that are not HH:MM, equal, or without a zone', () => {
    const on = { previews: true, dndOn: true, start: '22:00', end: '07:00', timeZone: 'UTC' };
    expect(notificationRequest({ ...on, start: '24:00' }).error).toMatch(/HH:MM/);
    expect(notificationRequest({ ...on, end: '7:00' }).error).toMatch(/HH:MM/);
    expect(notificationRequest({ ...on, end: '22:00' }).error).toMatch(/different/);
    expect(notificationRequest({ ...on, timeZone: '' }).error).toMatch(/time zone/);
  });
  it('summarises the quiet hours, overnight or not', () => {
    const on = { previews: true, dndOn: true, start: '22:00', end: '07:00', timeZone: 'UTC' };
    expect(dndSummary(on)).toMatch(/22:00 to 07:00, overnight \(UTC\)/);
    expect(dndSummary({ ...on, start: '12:00', end: '13:00' })).not.toMatch(/overnight/);
    expect(dndSummary({ ...on, dndOn: false })).toBe('Notifications come at any hour.');
  });
});

describe('storage', () => {
  it('maps the cache setting to the select and back', () => {
    for (const days of [1, 7, 30, null] as const) expect(cacheDaysFromValue(cacheDaysValue(days))).toBe(days);
    expect(cacheDaysFromValue('5')).toBe(7);
  });
  it('writes sizes as people read them', () => {
    expect(bytesText(0)).toBe('0 B');
    expect(bytesText(950)).toBe('950 B');
    expect(bytesText(1024)).toBe('1 KB');
    expect(bytesText(12_600)).toBe('12.3 KB');
    expect(bytesText(4.5 * 1024 * 1024)).toBe('4.5 MB');
    expect(bytesText(300 * 1024 * 1024)).toBe('300 MB');
  });
  it('says what the cache holds and what clearing freed', () => {
    expect(usageText({ entries: 0, bytes: 0, estimate: false })).toBe('No media kept on this device.');
    expect(usageText({ entries: 2, bytes: 2048, estimate: false })).toBe('2 files, 2 KB, kept on this device.');
    expect(usageText({ entries: 0, bytes: 5 * 1024 * 1024, estimate: true })).toMatch(/About 5 MB/);
    expect(clearedText({ entries: 1, bytes: 1500 })).toBe('Cleared 1.5 KB (1 file).');
    expect(clearedText({ entries: 0, bytes: 0 })).toBe('Nothing to clear.');
  });
});
