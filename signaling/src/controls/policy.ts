/**
 * Who may do what: the one permission table of a meeting. Pure (no Node
 * imports) so the client SDK shows the same rights the server enforces.
 */
import type { Audience, MeetingSettings, Right, Role, TrackSource } from '../protocol.ts';

const RANK: Record<Role, number> = { guest: 0, participant: 1, 'co-host': 2, host: 3 };

export function isModerator(role: Role): boolean {
  return RANK[role] >= RANK['co-host'];
}

function admits(audience: Audience, role: Role): boolean {
  if (audience === 'everyone') return true;
  if (audience === 'participants') return RANK[role] >= RANK.participant;
  return isModerator(role);
}

/** The rights a role has under the meeting's settings. Host and co-hosts always have all of them. */
export function rightsOf(role: Role, settings: MeetingSettings): Set<Right> {
  const rights = new Set<Right>();
  if (isModerator(role)) {
    for (const right of ['unmute', 'video', 'share', 'draw', 'chat', 'moderate'] as const) rights.add(right);
    return rights;
  }
  for (const right of ['unmute', 'video', 'share', 'draw', 'chat'] as const) {
    if (admits(settings[right], role)) rights.add(right);
  }
  return rights;
}

export function hasRight(role: Role, settings: MeetingSettings, right: Right): boolean {
  return rightsOf(role, settings).has(right);
}

/** The right needed to send media from a source (unmute it, or start it). */
export function rightForSource(source: TrackSource): Right {
  if (source === 'microphone') return 'unmute';
  if (source === 'camera') return 'video';
  return 'share';
}

/**
 * Whether `actor` may act on `target` at all: co-hosts moderate everyone but
 * the host; only a host changes another host or co-host's role.
 */
export function outranks(actor: Role, target: Role): boolean {
  if (actor === 'host') return true;
  return isModerator(actor) && target !== 'host';
}
