import { describe, expect, it } from 'vitest';
import type { AdminUser } from '@muster/accounts/client';
import { toLocalInput } from '../lib/time.ts';
import { eventLine, guestRequest, guestUrl, idleDaysValue, temporaryGroupRow, userRow } from './console.ts';

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);

function admin(over: Partial<AdminUser> = {}): AdminUser {
  return {
    id: 'u-lin-000001',
    nickname: 'Lin',
    avatar: null,
    musterId: 'lin_w',
    phone: '+8613800000009',
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
    lockedUntil: null,
    devices: 2,
    ...over,
  };
}

const actions = (u: AdminUser) => userRow(u, NOW).actions.map((a) => a.action);

describe('the console’s user list', () => {
  it('offers what fits each person’s state', () => {
    expect(actions(admin())).toEqual(['disable', 'reset-password', 'sign-out', 'delete']);
    expect(actions(admin({ status: 'pending', devices: 0 }))).toEqual(['approve', 'reset-password', 'delete']);
    expect(actions(admin({ status: 'disabled', devices: 0 }))).toEqual(['enable', 'reset-password', 'delete']);
    expect(actions(admin({ lockedUntil: NOW + 600_000 }))).toContain('unlock');
    expect(actions(admin({ lockedUntil: NOW - 1 }))).not.toContain('unlock');
    expect(actions(admin({ role: 'guest', phone: null, expiresAt: NOW + 86_400_000 }))).not.toContain('reset-password');
  });

  it('offers an admin nothing that would lock themselves out', () => {
    expect(userRow(admin({ role: 'admin' }), NOW, {}, 'u-lin-000001').actions).toEqual([]);
  });

  it('says the state in words', () => {
    expect(userRow(admin(), NOW)).toMatchObject({ statusText: 'Active', detail: '+8613800000009 · @lin_w' });
    expect(userRow(admin({ status: 'pending' }), NOW).statusText).toBe('Waiting for approval');
    expect(userRow(admin({ lockedUntil: NOW + 15 * 60_000 }), NOW).statusText).toBe('Locked (unlocks in 15 minutes)');
    expect(userRow(admin({ role: 'guest', phone: null, musterId: null, expiresAt: NOW + 2 * 86_400_000 }), NOW)).toMatchObject({ statusText: 'Guest, expires in 2 days', detail: 'guest' });
    expect(userRow(admin({ role: 'admin' }), NOW).detail).toMatch(/admin$/);
  });
});

describe('creating guests', () => {
  const expires = toLocalInput(NOW + 7 * 86_400_000);

  it('builds one, a list, or a CSV request', () => {
    expect(guestRequest({ mode: 'single', nickname: ' Visitor ', list: '', csv: '', expires }, NOW)).toEqual({ ok: true, count: 1, request: { nickname: 'Visitor', expiresAt: NOW + 7 * 86_400_000 } });
    expect(guestRequest({ mode: 'list', nickname: '', list: 'A\n\n B \r\nC', csv: '', expires }, NOW)).toMatchObject({ ok: true, count: 3, request: { nicknames: ['A', 'B', 'C'] } });
    expect(guestRequest({ mode: 'csv', nickname: '', list: '', csv: 'name,unit\nA,1\nB,2\n', expires }, NOW)).toMatchObject({ ok: true, request: { csv: 'name,unit\nA,1\nB,2' } });
  });

  it('refuses what the server would', () => {
    expect(guestRequest({ mode: 'single', nickname: '', list: '', csv: '', expires }, NOW)).toMatchObject({ ok: false });
    expect(guestRequest({ mode: 'list', nickname: '', list: 'x'.repeat(41), csv: '', expires }, NOW)).toMatchObject({ ok: false, error: expect.stringMatching(/40/) });
    expect(guestRequest({ mode: 'single', nickname: 'A', list: '', csv: '', expires: toLocalInput(NOW - 60_000) }, NOW)).toMatchObject({ ok: false, error: expect.stringMatching(/future/) });
    expect(guestRequest({ mode: 'csv', nickname: '', list: '', csv: ' ', expires }, NOW)).toMatchObject({ ok: false });
  });

  it('hands out whole links', () => {
    expect(guestUrl('https://muster.example', '/guest#abc')).toBe('https://muster.example/guest#abc');
    expect(guestUrl('https://muster.example', 'https://other/guest#abc')).toBe('https://other/guest#abc');
  });
});

describe('the security log', () => {
  it('reads events as lines, leaving nested details out', () => {
    expect(eventLine({ id: 'e1', at: NOW - 5 * 60_000, userId: 'u-lin-000001', kind: 'login.failed', details: { address: '10.0.0.7', nested: { a: 1 } } }, NOW)).toEqual({
      id: 'e1',
      when: '5 minutes ago',
      what: 'Failed log-in',
      who: 'u-lin-000001',
      details: 'address: 10.0.0.7',
    });
    expect(eventLine({ id: 'e2', at: NOW, userId: null, kind: 'something.new', details: {} }, NOW)).toMatchObject({ what: 'something.new', who: '—' });
  });

  it('describes an idle temporary group: members, idleness, when and why it goes, whether members were warned', () => {
    const day = 86_400_000;
    const idle = temporaryGroupRow({ id: 'cvgroup00001', name: '演习组', members: 3, createdAt: NOW - 40 * day, lastMessageAt: NOW - 28 * day, expiresAt: null, clearsAt: NOW + 2 * day, noticeSent: true }, NOW);
    expect(idle).toMatchObject({ name: '演习组', warned: true });
    expect(idle.detail).toMatch(/^3 members · last message /);
    expect(idle.clears).toMatch(/^cleared if idle /);
    const expiring = temporaryGroupRow({ id: 'cvgroup00002', name: 'Drill', members: 1, createdAt: NOW - day, lastMessageAt: null, expiresAt: NOW + day, clearsAt: NOW + day, noticeSent: false }, NOW);
    expect(expiring.detail).toMatch(/^1 member · no message since it was made /);
    expect(expiring.clears).toMatch(/^expires /);
    expect(idleDaysValue(' 14 ')).toEqual({ ok: true, days: 14 });
    for (const bad of ['0', '3651', '1.5', 'x', '']) expect(idleDaysValue(bad).ok).toBe(false);
  });
});
