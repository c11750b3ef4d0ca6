import type { ClientRequest, ClientRequestName, VideoQuality } from '@muster/signaling/client';
import { isModerator, type PersonView } from './model.ts';

/** A request to the server, as a value: the menu says what to ask, the view sends it. */
export type HostRequest = { [N in ClientRequestName]: { name: N; payload: ClientRequest<N> } }[ClientRequestName];

/** One entry of the ⋯ menu on another person's tile or row. */
export interface HostMenuItem {
  label: string;
  testId: string;
  danger?: boolean;
  request: HostRequest;
  /** Asked first (and nothing is sent if the answer is no). */
  confirm?: string;
}

const VIDEO_LIMITS: [VideoQuality, string][] = [
  ['standard', 'Limit video to standard'],
  ['low', 'Limit video to low'],
  ['high', 'Lift video limit'],
];

type Person = Pick<PersonView, 'id' | 'name' | 'role' | 'micMuted' | 'cameraMuted' | 'handRaisedAt' | 'videoQuality'>;

/**
 * What you, as host or co-host, may do to one person. The server checks
 * every one of these again; the menu only leaves out what it would refuse.
 * Empty when you do not moderate, for yourself, and for a co-host looking at
 * the host.
 */
export function hostMenuItems(self: Pick<PersonView, 'id' | 'role'> | null, target: Person): HostMenuItem[] {
  if (!self || !isModerator(self) || target.id === self.id) return [];
  if (self.role === 'co-host' && target.role === 'host') return [];
  const participantId = target.id;
  const items: HostMenuItem[] = [];
  items.push(
    target.micMuted
      ? { label: 'Ask to unmute', testId: 'host-ask-unmute', request: { name: 'participant.askUnmute', payload: { participantId, kind: 'audio' } } }
      : { label: 'Mute', testId: 'host-mute', request: { name: 'participant.mute', payload: { participantId, kind: 'audio' } } },
  );
  items.push(
    target.cameraMuted
      ? { label: 'Ask to start video', testId: 'host-ask-video', request: { name: 'participant.askUnmute', payload: { participantId, kind: 'video' } } }
      : { label: 'Stop video', testId: 'host-stop-video', request: { name: 'participant.mute', payload: { participantId, kind: 'video' } } },
  );
  // A cap on what everyone receives of this person's video (kept while they stay): the two choices it is not at now.
  for (const [quality, label] of VIDEO_LIMITS) {
    if (quality === target.videoQuality) continue;
    items.push({ label, testId: `host-video-${quality}`, request: { name: 'participant.setVideoQuality', payload: { participantId, quality } } });
  }
  if (target.handRaisedAt !== null) items.push({ label: 'Lower hand', testId: 'host-lower-hand', request: { name: 'hand.set', payload: { participantId, raised: false } } });
  if (target.role === 'co-host') items.push({ label: 'Remove co-host', testId: 'host-remove-cohost', request: { name: 'participant.setRole', payload: { participantId, role: 'participant' } } });
  else if (target.role !== 'host') items.push({ label: 'Make co-host', testId: 'host-make-cohost', request: { name: 'participant.setRole', payload: { participantId, role: 'co-host' } } });
  if (self.role === 'host' && target.role !== 'host') items.push({ label: 'Make host', testId: 'host-make-host', request: { name: 'participant.setRole', payload: { participantId, role: 'host' } } });
  items.push(
    { label: 'Remove from meeting', testId: 'host-remove', danger: true, request: { name: 'participant.remove', payload: { participantId, ban: false } } },
    {
      label: 'Remove and block',
      testId: 'host-ban',
      danger: true,
      request: { name: 'participant.remove', payload: { participantId, ban: true } },
      confirm: `Remove ${target.name} and stop them from rejoining this meeting?`,
    },
  );
  return items;
}
