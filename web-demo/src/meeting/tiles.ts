import { hostMenuItems } from './hostMenu.ts';
import { localMicOff, type MeetingSnapshot, type PersonView } from './model.ts';

/** One video tile: a participant's camera, or someone's screen share. */
export interface TileModel {
  /** `local`, `p:<id>` (a camera), `screen:local` or `screen:<id>`. */
  key: string;
  kind: 'camera' | 'screen';
  participantId: string;
  name: string;
  /** Their avatar image (shown while the camera is off), or null for initials. */
  avatar: string | null;
  /** Shown under the name: "You", "Presenting"… */
  label?: string;
  videoTrack: MediaStreamTrack | null;
  /** False when the camera is off or paused: the avatar shows instead of a frozen frame. */
  videoOn: boolean;
  micMuted: boolean;
  speaking: boolean;
  host: boolean;
  coHost: boolean;
  handRaised: boolean;
  /** Show the host menu button (you moderate, and may act on this person). */
  menu: boolean;
  /** Your own camera, unless it is a rear one. */
  mirrored: boolean;
  local: boolean;
}

/**
 * Every tile, in display order: screen shares first (other people's, then
 * your own preview), then your camera, then everyone else's in the order they
 * joined. Exactly one camera tile per person, yourself included, whether or
 * not their camera is on.
 */
export function tileList(m: MeetingSnapshot): TileModel[] {
  const { self, local } = m;
  const tiles: TileModel[] = [];
  const screen = { micMuted: false, speaking: false, host: false, coHost: false, handRaised: false, menu: false, mirrored: false };
  for (const p of m.remotes) {
    if (!p.screen) continue;
    tiles.push({ ...screen, key: `screen:${p.id}`, kind: 'screen', participantId: p.id, name: p.name, avatar: p.avatar, label: 'Presenting', videoTrack: p.screen.track, videoOn: !!p.screen.track && !p.screen.paused, local: false });
  }
  if (self && local.screen) {
    tiles.push({ ...screen, key: 'screen:local', kind: 'screen', participantId: self.id, name: self.name, avatar: self.avatar, label: 'You are presenting', videoTrack: local.screen, videoOn: true, local: true });
  }
  if (self) {
    tiles.push({
      ...people(self, m),
      key: 'local',
      kind: 'camera',
      label: 'You',
      videoTrack: local.camera,
      videoOn: !!local.camera,
      micMuted: localMicOff(local),
      menu: false,
      mirrored: local.mirrored,
      local: true,
    });
  }
  for (const p of m.remotes) {
    tiles.push({
      ...people(p, m),
      key: `p:${p.id}`,
      kind: 'camera',
      videoTrack: p.cameraTrack,
      videoOn: !!p.cameraTrack && !p.cameraMuted,
      micMuted: p.micMuted,
      menu: hostMenuItems(self, p).length > 0,
      mirrored: false,
      local: false,
    });
  }
  return tiles;
}

function people(p: PersonView, m: MeetingSnapshot) {
  return {
    participantId: p.id,
    name: p.name,
    avatar: p.avatar,
    speaking: m.activeSpeakerId === p.id,
    host: p.role === 'host',
    coHost: p.role === 'co-host',
    handRaised: p.handRaisedAt !== null,
  };
}

/** The participant a tile key names, for a camera tile of someone else (`p:<id>`). */
export function remoteIdOf(key: string): string | null {
  return key.startsWith('p:') ? key.slice(2) : null;
}
