import type { ChatMessage, ConnectionState, ModeratorInfo, Role, RoomInfo, TrackSource, VideoQuality } from '@muster/signaling/client';

/**
 * The meeting as plain data: what the view models read. meeting/store.ts
 * takes one of these from the Room and the local devices after every SDK
 * event; the view models (tiles, main tile, host menu, people list) are pure
 * functions of it, so they are tested without a browser or a server.
 */
export interface MeetingSnapshot {
  state: ConnectionState;
  /** You, once joined. */
  self: PersonView | null;
  /** Everyone else, in the order they joined. */
  remotes: PersonView[];
  activeSpeakerId: string | null;
  info: RoomInfo | null;
  /** Hosts' and co-hosts' extras: invite links, the lobby. */
  moderator: ModeratorInfo | null;
  chat: readonly ChatMessage[];
  canChat: boolean;
  local: LocalView;
  /** Every remote audio track received (microphones and shared tab audio), each played by its own <audio>. */
  audio: RemoteAudioTrack[];
}

export interface RemoteAudioTrack {
  /** The consumer id: stable while the subscription lasts. */
  sid: string;
  participantId: string;
  source: TrackSource;
  track: MediaStreamTrack;
}

/** One person, as the server describes them, with the tracks this client receives of them. */
export interface PersonView {
  id: string;
  name: string;
  role: Role;
  joinedAt: number;
  handRaisedAt: number | null;
  videoQuality: VideoQuality;
  /** Mic not published or paused. */
  micMuted: boolean;
  /** Camera not published or paused. */
  cameraMuted: boolean;
  /** The received camera track (remote people only). */
  cameraTrack: MediaStreamTrack | null;
  /** Their screen share, when they publish one; `track` once received. */
  screen: { paused: boolean; track: MediaStreamTrack | null } | null;
  /** Path of their avatar (signed in, with a photo), else null: initials stand in. */
  avatar: string | null;
  /** Joined by link without an account, or with a guest account: shown as "guest". */
  guest: boolean;
}

/** Your own devices (meeting/localMedia.ts). */
export interface LocalView {
  mic: MediaStreamTrack | null;
  micMuted: boolean;
  camera: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
  mirrored: boolean;
  cameraCount: number;
  /** A camera switch is under way. */
  busy: boolean;
  canShareScreen: boolean;
}

export function isModerator(person: Pick<PersonView, 'role'>): boolean {
  return person.role === 'host' || person.role === 'co-host';
}

/** Muted as far as anyone can hear: no microphone at all counts as muted. */
export function localMicOff(local: LocalView): boolean {
  return local.micMuted || !local.mic;
}
