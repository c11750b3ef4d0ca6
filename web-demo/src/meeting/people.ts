import type { VideoQuality } from '@muster/signaling/client';
import { hostMenuItems } from './hostMenu.ts';
import { localMicOff, type MeetingSnapshot } from './model.ts';

/** One row of the people panel. */
export interface PersonEntry {
  id: string;
  name: string;
  you: boolean;
  host: boolean;
  coHost: boolean;
  hand: boolean;
  /** You may act on them: the row has a ⋯ menu. */
  menu: boolean;
  micMuted: boolean;
  videoOff: boolean;
  sharing: boolean;
  videoQuality: VideoQuality;
  avatar: string | null;
  guest: boolean;
}

/** Everyone in the meeting, you first, then in the order they joined. */
export function peopleList(m: MeetingSnapshot): PersonEntry[] {
  const entries: PersonEntry[] = [];
  const { self, local } = m;
  if (self) {
    entries.push({
      id: self.id,
      name: self.name,
      you: true,
      host: self.role === 'host',
      coHost: self.role === 'co-host',
      hand: self.handRaisedAt !== null,
      menu: false,
      micMuted: localMicOff(local),
      videoOff: !local.camera,
      sharing: !!local.screen,
      videoQuality: self.videoQuality,
      avatar: self.avatar,
      guest: self.guest,
    });
  }
  for (const p of m.remotes) {
    entries.push({
      id: p.id,
      name: p.name,
      you: false,
      host: p.role === 'host',
      coHost: p.role === 'co-host',
      hand: p.handRaisedAt !== null,
      menu: hostMenuItems(self, p).length > 0,
      micMuted: p.micMuted,
      videoOff: p.cameraMuted,
      sharing: !!p.screen,
      videoQuality: p.videoQuality,
      avatar: p.avatar,
      guest: p.guest,
    });
  }
  return entries;
}

/** Raised hands, first raised first: the order people get to speak in. */
export function handQueue(m: MeetingSnapshot): { id: string; label: string }[] {
  return [...m.remotes, ...(m.self ? [m.self] : [])]
    .filter((p) => p.handRaisedAt !== null)
    .sort((a, b) => a.handRaisedAt! - b.handRaisedAt!)
    .map((p) => ({ id: p.id, label: p.id === m.self?.id ? `${p.name} (you)` : p.name }));
}
