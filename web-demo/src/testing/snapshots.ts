/**
 * Meeting snapshots for the view-model tests: plain data, no Room, no
 * browser. A "track" is any object: the view models only pass it along.
 */
import type { LocalView, MeetingSnapshot, PersonView } from '../meeting/model.ts';

export const track = (label: string) => ({ label }) as unknown as MediaStreamTrack;

export function person(id: string, over: Partial<PersonView> = {}): PersonView {
  return {
    id,
    name: id.charAt(0).toUpperCase() + id.slice(1),
    role: 'participant',
    joinedAt: 0,
    handRaisedAt: null,
    videoQuality: 'high',
    micMuted: false,
    cameraMuted: false,
    cameraTrack: track(`${id}-camera`),
    screen: null,
    avatar: null,
    guest: false,
    ...over,
  };
}

export function localView(over: Partial<LocalView> = {}): LocalView {
  return { mic: track('mic'), micMuted: false, camera: track('camera'), screen: null, mirrored: true, cameraCount: 1, busy: false, canShareScreen: true, ...over };
}

/** A connected meeting: you (`me`, the host unless said otherwise) and `remotes`. */
export function snapshot(over: Partial<MeetingSnapshot> & { remotes?: PersonView[] } = {}): MeetingSnapshot {
  return {
    state: 'connected',
    self: person('me', { role: 'host', cameraTrack: null }),
    remotes: [],
    activeSpeakerId: null,
    info: null,
    moderator: null,
    chat: [],
    canChat: true,
    local: localView(),
    audio: [],
    ...over,
  };
}
