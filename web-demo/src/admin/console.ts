import type { AdminUser, SecurityEvent } from '@muster/accounts/client';
import type { TemporaryGroupView } from '@muster/im/client';
import { fromLocalInput, relativeTime, type DateOptions } from '../lib/time.ts';

/** What an admin may do to one person, as buttons. */
export type UserAction = 'approve' | 'enable' | 'disable' | 'unlock' | 'reset-password' | 'sign-out' | 'delete';

export interface UserActionEntry {
  action: UserAction;
  label: string;
  danger: boolean;
  /** Asked before doing it. */
  confirm?: string;
}

export interface UserRow {
  id: string;
  name: string;
  /** "+8613800000001 · @ada_l" */
  detail: string;
  role: AdminUser['role'];
  status: AdminUser['status'];
  /** "Active", "Waiting for approval", "Disabled", "Locked until …", "Guest until …" */
  statusText: string;
  locked: boolean;
  actions: UserActionEntry[];
}

/** `selfId`: the admin looking; they are offered nothing that would lock themselves out. */
export function userRow(user: AdminUser, now: number, opts: DateOptions = {}, selfId?: string): UserRow {
  const self = user.id === selfId;
  const locked = user.lockedUntil !== null && user.lockedUntil > now;
  const statusText =
    user.status === 'pending'
      ? 'Waiting for approval'
      : user.status === 'disabled'
        ? 'Disabled'
        : locked
          ? `Locked (unlocks ${relativeTime(user.lockedUntil!, now, opts)})`
          : user.expiresAt !== null
            ? user.expiresAt > now
              ? `Guest, expires ${relativeTime(user.expiresAt, now, opts)}`
              : 'Guest, expired'
            : 'Active';
  const actions: UserActionEntry[] = [];
  if (user.status === 'pending') actions.push({ action: 'approve', label: 'Approve', danger: false });
  if (user.status === 'disabled') actions.push({ action: 'enable', label: 'Enable', danger: false });
  if (user.status === 'active' && !self) actions.push({ action: 'disable', label: 'Disable', danger: true, confirm: `Disable ${user.nickname}? They are signed out everywhere and cannot log in until enabled.` });
  if (locked) actions.push({ action: 'unlock', label: 'Unlock', danger: false });
  if (user.role !== 'guest' && !self) actions.push({ action: 'reset-password', label: 'Reset password', danger: false, confirm: `Give ${user.nickname} a temporary password? Their devices are signed out.` });
  if (user.devices > 0 && !self) actions.push({ action: 'sign-out', label: `Sign out everywhere (${user.devices})`, danger: false });
  if (!self) actions.push({ action: 'delete', label: 'Delete', danger: true, confirm: `Delete ${user.nickname}'s account? This cannot be undone.` });
  return {
    id: user.id,
    name: user.nickname,
    detail: [user.phone, user.musterId ? `@${user.musterId}` : null, user.role === 'admin' ? 'admin' : user.role === 'guest' ? 'guest' : null].filter(Boolean).join(' · '),
    role: user.role,
    status: user.status,
    statusText,
    locked,
    actions,
  };
}

export type GuestMode = 'single' | 'list' | 'csv';

export interface GuestForm {
  mode: GuestMode;
  nickname: string;
  /** One name per line. */
  list: string;
  csv: string;
  /** `<input type="datetime-local">` */
  expires: string;
}

export type GuestRequest = ({ nickname: string } | { nicknames: string[] } | { csv: string }) & { expiresAt: number };

/** Guests expire a week out unless the admin says otherwise. */
export const DEFAULT_GUEST_DAYS = 7;

/** The guest form, checked and turned into the request; or what is wrong with it. */
export function guestRequest(form: GuestForm, now: number): { ok: true; request: GuestRequest; count: number } | { ok: false; error: string } {
  const expiresAt = fromLocalInput(form.expires);
  if (expiresAt === null) return { ok: false, error: 'Pick when the guest accounts stop working.' };
  if (expiresAt <= now) return { ok: false, error: 'The expiry must be in the future.' };
  switch (form.mode) {
    case 'single': {
      const nickname = form.nickname.trim();
      if (!nickname) return { ok: false, error: 'Enter the guest’s name.' };
      if (nickname.length > 40) return { ok: false, error: 'A name has at most 40 characters.' };
      return { ok: true, request: { nickname, expiresAt }, count: 1 };
    }
    case 'list': {
      const nicknames = form.list
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean);
      if (nicknames.length === 0) return { ok: false, error: 'Enter one name per line.' };
      if (nicknames.length > 500) return { ok: false, error: 'At most 500 guests at once.' };
      const long = nicknames.find((n) => n.length > 40);
      if (long) return { ok: false, error: `“${long.slice(0, 40)}…” is longer than 40 characters.` };
      return { ok: true, request: { nicknames, expiresAt }, count: nicknames.length };
    }
    case 'csv': {
      const csv = form.csv.trim();
      if (!csv) return { ok: false, error: 'Paste the CSV, or choose a file: one guest per line, the name first.' };
      if (csv.length > 100_000) return { ok: false, error: 'That CSV is too large (100 kB at most).' };
      return { ok: true, request: { csv, expiresAt }, count: csv.split(/\r?\n/).filter((l) => l.trim()).length };
    }
  }
}

/** A guest link as the admin hands it out: the whole URL. */
export function guestUrl(origin: string, link: string): string {
  return /^https?:\/\//.test(link) ? link : `${origin}${link.startsWith('/') ? '' : '/'}${link}`;
}

const EVENT_TEXT: Record<string, string> = {
  signup: 'Signed up',
  login: 'Logged in',
  'guest.login': 'Guest logged in by link',
  'login.failed': 'Failed log-in',
  'login.locked': 'Locked after failed log-ins',
  'token.reused': 'Refresh token reused (device signed out)',
  'password.reset': 'Password reset by code',
  'password.changed': 'Password changed',
  'device.signed-out': 'Device signed out',
  'admin.elevated': 'Console opened (second factor)',
  'admin.elevation-failed': 'Wrong console second factor',
};

/** One line of the security log: what happened, to whom, from where. */
export function eventLine(event: SecurityEvent, now: number, opts: DateOptions = {}): { id: string; when: string; what: string; who: string; details: string } {
  const details = Object.entries(event.details)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ');
  return { id: event.id, when: relativeTime(event.at, now, opts), what: EVENT_TEXT[event.kind] ?? event.kind, who: event.userId ?? '—', details };
}

/** One idle temporary group in the console: what it is, how idle, when it goes. */
export function temporaryGroupRow(group: TemporaryGroupView, now: number, opts: DateOptions = {}): { id: string; name: string; detail: string; clears: string; warned: boolean } {
  const idle = group.lastMessageAt === null ? `no message since it was made ${relativeTime(group.createdAt, now, opts)}` : `last message ${relativeTime(group.lastMessageAt, now, opts)}`;
  const why = group.expiresAt !== null && group.expiresAt <= group.clearsAt ? 'expires' : 'cleared if idle';
  return {
    id: group.id,
    name: group.name,
    detail: `${group.members} ${group.members === 1 ? 'member' : 'members'} · ${idle}`,
    clears: `${why} ${relativeTime(group.clearsAt, now, opts)}`,
    warned: group.noticeSent,
  };
}

/** The idle-days field of the console, checked: a whole number of days from 1 to 3650. */
export function idleDaysValue(input: string): { ok: true; days: number } | { ok: false; error: string } {
  const days = Number(input.trim());
  if (!Number.isInteger(days) || days < 1 || days > 3650) return { ok: false, error: 'Enter a whole number of days, from 1 to 3650.' };
  return { ok: true, days };
}
