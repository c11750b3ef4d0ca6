import type { ProfileChange, User } from '@muster/accounts/client';
import { formatDate, type DateOptions } from '../lib/time.ts';
import { firstProblem, musterIdProblem, nicknameProblem } from './forms.ts';

export interface ProfileForm {
  nickname: string;
  musterId: string;
  gender: User['gender'];
  region: string;
  signature: string;
}

export function profileForm(user: User): ProfileForm {
  return { nickname: user.nickname, musterId: user.musterId ?? '', gender: user.gender, region: user.region, signature: user.signature };
}

/** Whether the Muster ID may be changed now, and what to say about it. */
export function musterIdStatus(user: Pick<User, 'musterIdChangeableAt'>, now: number, opts: DateOptions = {}): { editable: boolean; note: string } {
  const at = user.musterIdChangeableAt;
  if (at === null || at <= now) return { editable: true, note: 'Your unique ID. You can change it once a year.' };
  return { editable: false, note: `You can change it again on ${formatDate(at, opts)}.` };
}

/**
 * Only what changed, trimmed: the server limits Muster ID changes, so an
 * unchanged ID must not be sent. Null with `error` when a field is wrong.
 */
export function profileChange(user: User, form: ProfileForm): { change: ProfileChange; error: null } | { change: null; error: string } {
  const change: ProfileChange = {};
  const nickname = form.nickname.trim();
  const musterId = form.musterId.trim();
  if (nickname !== user.nickname) change.nickname = nickname;
  if (musterId !== (user.musterId ?? '')) change.musterId = musterId;
  if (form.gender !== user.gender) change.gender = form.gender;
  if (form.region.trim() !== user.region) change.region = form.region.trim();
  if (form.signature.trim() !== user.signature) change.signature = form.signature.trim();
  const error = firstProblem(
    change.nickname !== undefined ? nicknameProblem(nickname) : null,
    change.musterId !== undefined ? musterIdProblem(musterId) : null,
    form.region.trim().length > 60 ? 'A region has at most 60 characters.' : null,
    form.signature.trim().length > 120 ? 'A signature has at most 120 characters.' : null,
  );
  return error ? { change: null, error } : { change, error: null };
}
