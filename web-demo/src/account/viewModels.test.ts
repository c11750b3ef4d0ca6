/** The account pages' view models: pure functions of the SDK's plain data. */
import { describe, expect, it } from 'vitest';
import type { Device, MyMeeting, User } from '@muster/accounts/client';
import { parseRoute } from '../app/routes.ts';
import { deviceRows } from './devices.ts';
import { accountErrorText, signedOutMessage, waitText } from './errors.ts';
import { codeButtonLabel, codeProblem, firstProblem, musterIdProblem, nicknameProblem, passwordProblem, phoneProblem, secondsUntil } from './forms.ts';
import { meetingRow, meetingSections, recordingRow, scheduleRequest } from './meetings.ts';
import { musterIdStatus, profileChange, profileForm } from './profile.ts';
import { forSignedOut, needsSignIn, shellTabOf, shellTabs } from './shell.ts';
import { toLocalInput } from '../lib/time.ts';

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const utc = { locale: 'en-GB', timeZone: 'UTC' };

function user(over: Partial<User> = {}): User {
  return {
    id: 'u-ada-000001',
    nickname: 'Ada',
    avatar: null,
    musterId: 'ada_l',
    phone: '+8613800000001',
    phoneVerified: true,
    role: 'user',
    status: 'active',
    gender: 'unspecified',
    region: '',
    signature: '',
    createdAt: NOW - 86_400_000,
    expiresAt: null,
    musterIdChangeableAt: null,
    hasPassword: true,
    ...over,
  };
}

describe('the shell', () => {
  it('has Chats, Contacts, Moments, Meetings and Me, and the console only for admins', () => {
    expect(shellTabs(user()).map((t) => t.id)).toEqual(['chats', 'contacts', 'moments', 'meetings', 'settings']);
    expect(shellTabs(user({ role: 'admin' })).map((t) => t.id)).toEqual(['chats', 'contacts', 'moments', 'meetings', 'settings', 'admin']);
    expect(shellTabs(user())[2]).toMatchObject({ href: '/moments', label: 'Moments' });
    expect(shellTabs(user())[3]).toMatchObject({ href: '/', label: 'Meetings' });
    expect(shellTabs(user())[4]).toMatchObject({ href: '/settings', label: 'Me' });
  });

  it('knows which tab a route is, and which routes need signing in (or out)', () => {
    const at = (pathname: string) => parseRoute({ pathname, search: '' });
    expect(shellTabOf(at('/'))).toBe('meetings');
    expect(shellTabOf(at('/settings'))).toBe('settings');
    expect(shellTabOf(at('/admin'))).toBe('admin');
    expect(shellTabOf(at('/chats'))).toBe('chats');
    expect(shellTabOf(at('/chats/cvAbcdefgh12'))).toBe('chats');
    expect(shellTabOf(at('/moments'))).toBe('moments');
    expect(needsSignIn(at('/moments'))).toBe(true);
    // Service accounts live in the Chats tab (its "Service accounts" entry).
    expect(shellTabOf(at('/service-accounts'))).toBe('chats');
    expect(needsSignIn(at('/service-accounts'))).toBe(true);
    expect(needsSignIn(at('/chats/cvAbcdefgh12'))).toBe(true);
    expect(shellTabOf(at('/m/bamo-kite-ruso'))).toBeNull();
    expect(shellTabOf(at('/login'))).toBeNull();
    expect(needsSignIn(at('/settings'))).toBe(true);
    expect(needsSignIn(at('/'))).toBe(false);
    expect(needsSignIn(at('/m/x'))).toBe(false);
    expect(forSignedOut(at('/login'))).toBe(true);
    expect(forSignedOut(at('/guest'))).toBe(false);
  });
});

describe('form checks', () => {
  it('checks phone numbers, passwords, codes, names and Muster IDs as the server does', () => {
    expect(phoneProblem('+86 138-0013-8000')).toBeNull();
    expect(phoneProblem('(010) 1234 5678')).toBeNull();
    expect(phoneProblem('')).toMatch(/Enter/);
    expect(phoneProblem('call me')).toMatch(/digits/);
    expect(phoneProblem('123')).toMatch(/short/);
    expect(passwordProblem('short')).toMatch(/8 characters/);
    expect(passwordProblem('long-enough')).toBeNull();
    expect(codeProblem(' 123456 ')).toBeNull();
    expect(codeProblem('12345')).toMatch(/6 digits/);
    expect(nicknameProblem('  ')).toMatch(/name/);
    expect(nicknameProblem('x'.repeat(41))).toMatch(/40/);
    expect(nicknameProblem('Ada\u0007')).toMatch(/cannot be shown/);
    expect(musterIdProblem('ada_l')).toBeNull();
    expect(musterIdProblem('1ada')).toMatch(/starting with a letter/);
    expect(musterIdProblem('abc')).not.toBeNull();
    expect(firstProblem(null, 'b', 'c')).toBe('b');
    expect(firstProblem(null, null)).toBeNull();
  });

  it('counts down before another code may be asked for', () => {
    expect(codeButtonLabel(0, false)).toBe('Send code');
    expect(codeButtonLabel(42, true)).toBe('Resend in 42 s');
    expect(codeButtonLabel(0, true)).toBe('Resend code');
    expect(secondsUntil(NOW + 41_200, NOW)).toBe(42);
    expect(secondsUntil(NOW - 5, NOW)).toBe(0);
  });
});

describe('error texts', () => {
  it('says what the server’s codes mean, and how long to wait', () => {
    expect(accountErrorText({ code: 'CODE_REQUIRED', message: 'x' })).toMatch(/Send code/);
    expect(accountErrorText({ code: 'RATE_LIMITED', message: 'x', retryAfterSeconds: 42 })).toBe('Too many attempts. Try again in 42 seconds.');
    expect(accountErrorText({ code: 'ACCOUNT_LOCKED', message: 'x', retryAfterSeconds: 900 })).toMatch(/15 minutes.*code/);
    expect(accountErrorText({ code: 'CODE_INVALID', message: 'the code is not right (4 tries left)' })).toBe('The code is not right (4 tries left).');
    expect(accountErrorText({ code: 'NETWORK', message: 'fetch failed' })).toMatch(/could not be reached/);
    expect(accountErrorText(new Error('boom'))).toBe('Boom.');
    expect(waitText(7200)).toBe('2 hours');
    expect(signedOutMessage('password-changed')).toMatch(/another device/);
    expect(signedOutMessage('signed-out')).toMatch(/signed out from another device/);
  });
});

describe('my meetings', () => {
  const meeting = (over: Partial<MyMeeting> = {}): MyMeeting => ({ id: 'm0a1b2c3d4e5f', topic: 'Weekly', startsAt: null, createdAt: NOW - 2 * 3600_000, live: false, participants: 0, hasPasscode: false, ...over });

  it('shows scheduled meetings by their start and the others by when they were opened', () => {
    const sections = meetingSections({ scheduled: [meeting({ id: 'mplan', startsAt: Date.UTC(2026, 2, 11, 9, 0) })], recent: [meeting({ live: true, participants: 3 }), meeting({ id: 'mold', topic: '' })], recordings: [] }, NOW, utc);
    expect(sections.scheduled[0]).toMatchObject({ id: 'mplan', when: 'Tomorrow 09:00', action: 'Start', href: '/m/mplan' });
    expect(sections.recent[0]).toMatchObject({ when: 'Opened 2 hours ago', live: true, liveText: '3 people in it', action: 'Join' });
    expect(sections.recent[1]).toMatchObject({ topic: 'Untitled meeting', action: 'Start', liveText: '' });
    expect(meetingRow(meeting({ live: true, participants: 1 }), NOW).liveText).toBe('1 person in it');
  });

  it('offers a recording’s download only when it is ready', () => {
    const base = { id: 'r1', roomId: 'bamo-kite-ruso', startedAt: NOW - 3600_000, durationMs: 754_000, download: '/api/v1/recordings/r1/file?sig=x' };
    expect(recordingRow({ ...base, state: 'ready' }, NOW, utc)).toMatchObject({ title: 'bamo-kite-ruso', duration: '12:34', download: base.download, stateText: '' });
    expect(recordingRow({ ...base, state: 'processing', durationMs: null, topic: 'Review' }, NOW, utc)).toMatchObject({ title: 'Review', duration: '', download: null, stateText: 'Processing…' });
  });

  it('checks the schedule form and builds the request', () => {
    const when = toLocalInput(NOW + 86_400_000);
    expect(scheduleRequest({ topic: ' Review ', when, passcode: ' 1234 ', lobby: true }, NOW)).toEqual({ ok: true, input: { topic: 'Review', startsAt: NOW + 86_400_000, passcode: '1234', lobby: true } });
    expect(scheduleRequest({ topic: 'Now', when: '', passcode: '', lobby: false }, NOW)).toEqual({ ok: true, input: { topic: 'Now', lobby: false } });
    expect(scheduleRequest({ topic: '', when, passcode: '', lobby: false }, NOW)).toMatchObject({ ok: false, field: 'topic' });
    expect(scheduleRequest({ topic: 'Late', when: toLocalInput(NOW - 86_400_000), passcode: '', lobby: false }, NOW)).toMatchObject({ ok: false, field: 'when', error: expect.stringMatching(/passed/) });
    expect(scheduleRequest({ topic: 'Odd', when: 'soon', passcode: '', lobby: false }, NOW)).toMatchObject({ ok: false, field: 'when' });
    expect(scheduleRequest({ topic: 'Code', when: '', passcode: 'x'.repeat(65), lobby: false }, NOW)).toMatchObject({ ok: false, field: 'passcode' });
  });
});

describe('settings', () => {
  it('lists this device first, then by last seen, with platform and address', () => {
    const devices: Device[] = [
      { id: 'd-old', name: 'Old laptop', platform: 'web', lastSeenAt: NOW - 3 * 86_400_000, createdAt: 0, location: '10.0.0.9', current: false },
      { id: 'd-phone', name: 'Chrome on Android', platform: 'mobile-web', lastSeenAt: NOW - 60_000, createdAt: 0, location: '10.0.0.7', current: false },
      { id: 'd-here', name: 'Chrome on Linux', platform: 'web', lastSeenAt: NOW - 3600_000, createdAt: 0, location: '127.0.0.1', current: true },
    ];
    expect(deviceRows(devices, NOW)).toEqual([
      { id: 'd-here', name: 'Chrome on Linux', detail: 'Web · 127.0.0.1', lastSeen: 'This device', current: true },
      { id: 'd-phone', name: 'Chrome on Android', detail: 'Phone browser · 10.0.0.7', lastSeen: 'Active now', current: false },
      { id: 'd-old', name: 'Old laptop', detail: 'Web · 10.0.0.9', lastSeen: 'Last seen 3 days ago', current: false },
    ]);
  });

  it('says when the Muster ID can change again', () => {
    expect(musterIdStatus(user(), NOW).editable).toBe(true);
    expect(musterIdStatus(user({ musterIdChangeableAt: Date.UTC(2027, 0, 5) }), NOW, utc)).toEqual({ editable: false, note: 'You can change it again on 5 Jan 2027.' });
  });

  it('sends only what changed, so an unchanged Muster ID is not spent', () => {
    const u = user({ region: 'Beijing' });
    expect(profileChange(u, profileForm(u))).toEqual({ change: {}, error: null });
    expect(profileChange(u, { ...profileForm(u), nickname: ' Ada L ', signature: 'hi ' })).toEqual({ change: { nickname: 'Ada L', signature: 'hi' }, error: null });
    expect(profileChange(u, { ...profileForm(u), musterId: 'ada_2026' }).change).toEqual({ musterId: 'ada_2026' });
    expect(profileChange(u, { ...profileForm(u), musterId: '2bad' })).toMatchObject({ change: null, error: expect.stringMatching(/Muster ID/) });
    expect(profileChange(u, { ...profileForm(u), nickname: '' })).toMatchObject({ change: null });
  });
});
