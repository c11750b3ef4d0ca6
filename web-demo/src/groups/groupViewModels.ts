/**
 * Group pages' pure parts: a new group's default name, a member's labels,
 * the member search, and mute durations.
 */
import type { GroupMemberView } from '@muster/im/client';

/** The first names joined, as WeChat names an unnamed group: "Ann、Ben、Cy…" within 60 characters. */
export function defaultGroupName(names: readonly string[]): string {
  const shown = names.filter((n) => n.trim() !== '');
  let name = '';
  for (const [i, n] of shown.entries()) {
    const next = name ? `${name}、${n}` : n;
    if (i >= 4 || next.length > 56) return `${name}…`;
    name = next;
  }
  return name;
}

/** The role and mute labels beside a member's name. */
export function memberBadges(member: Pick<GroupMemberView, 'role' | 'mutedUntil'>, now: number): string[] {
  const badges: string[] = [];
  if (member.role === 'owner') badges.push('Owner');
  if (member.role === 'admin') badges.push('Admin');
  if (member.mutedUntil === null || (member.mutedUntil !== undefined && member.mutedUntil > now)) badges.push('Muted');
  return badges;
}

export function isMuted(member: Pick<GroupMemberView, 'mutedUntil'>, now: number): boolean {
  return member.mutedUntil === null || (member.mutedUntil !== undefined && member.mutedUntil > now);
}

/** Mute choices: label and how long (null: until unmuted). */
export const MUTE_CHOICES: readonly { label: string; ms: number | null }[] = [
  { label: 'Mute for 10 minutes', ms: 10 * 60_000 },
  { label: 'Mute for 1 hour', ms: 3600_000 },
  { label: 'Mute for 1 day', ms: 24 * 3600_000 },
  { label: 'Mute until unmuted', ms: null },
];
