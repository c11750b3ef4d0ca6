import type { LocalParticipant, Participant, RemoteParticipant, Room } from '@muster/signaling/client';
import type { LocalMedia } from './localMedia.ts';
import type { MeetingSnapshot, PersonView, RemoteAudioTrack } from './model.ts';

/** What of the Room the snapshot reads. */
export type RoomState = Pick<Room, 'state' | 'activeSpeakerId' | 'moderator' | 'chat' | 'can'> & {
  readonly remoteParticipants: ReadonlyMap<string, RemoteParticipant>;
  readonly localParticipant?: LocalParticipant;
  readonly info?: Room['info'];
};

/** What of your devices the snapshot reads. */
export type LocalState = Pick<LocalMedia, 'mic' | 'micMuted' | 'camera' | 'screen' | 'mirrored' | 'cameraCount' | 'busy' | 'canShareScreen'>;

/** The Room and your devices, read into plain data. */
export function readMeeting(room: RoomState, local: LocalState): MeetingSnapshot {
  const remotes = [...room.remoteParticipants.values()].sort((a, b) => a.joinedAt - b.joinedAt);
  const audio: RemoteAudioTrack[] = [];
  for (const p of remotes) {
    for (const t of p.tracks.values()) if (t.kind === 'audio') audio.push({ sid: t.sid, participantId: t.participantId, source: t.source, track: t.mediaStreamTrack });
  }
  return {
    state: room.state,
    self: room.localParticipant ? readPerson(room.localParticipant) : null,
    remotes: remotes.map((p) => readPerson(p, p)),
    activeSpeakerId: room.activeSpeakerId,
    info: room.info ?? null,
    moderator: room.moderator,
    chat: room.chat.slice(),
    canChat: room.can('chat'),
    local: {
      mic: local.mic,
      micMuted: local.micMuted,
      camera: local.camera,
      screen: local.screen,
      mirrored: local.mirrored,
      cameraCount: local.cameraCount,
      busy: local.busy,
      canShareScreen: local.canShareScreen,
    },
    audio,
  };
}

function readPerson(p: Participant, remote?: RemoteParticipant): PersonView {
  const screen = p.publication('screen');
  return {
    id: p.id,
    name: p.name,
    role: p.role,
    joinedAt: p.joinedAt,
    handRaisedAt: p.handRaisedAt,
    videoQuality: p.videoQuality,
    micMuted: p.isMuted('microphone'),
    cameraMuted: p.isMuted('camera'),
    cameraTrack: remote?.track('camera')?.mediaStreamTrack ?? null,
    screen: screen ? { paused: screen.paused, track: remote?.track('screen')?.mediaStreamTrack ?? null } : null,
    avatar: p.avatar,
    guest: p.guest,
  };
}
