import { describe, expect, it } from 'vitest';
import { LocalParticipant, RemoteParticipant, type ParticipantInfo, type TrackInfo } from '@muster/signaling/client';
import { track } from '../testing/snapshots.ts';
import { readMeeting, type LocalState, type RoomState } from './readMeeting.ts';

const info = (id: string, over: Partial<ParticipantInfo> = {}): ParticipantInfo => ({ id, name: id, role: 'participant', joinedAt: 0, tracks: [], handRaisedAt: null, blocked: [], videoQuality: 'high', userId: null, avatar: null, guest: false, ...over });
const pub = (source: TrackInfo['source'], paused = false): TrackInfo => ({ id: `${source}-producer`, kind: source === 'microphone' || source === 'screen-audio' ? 'audio' : 'video', source, codec: 'x', paused });

function room(over: Partial<RoomState> = {}): RoomState {
  return { state: 'connected', activeSpeakerId: null, moderator: null, chat: [], can: () => true, remoteParticipants: new Map(), ...over } as RoomState;
}
const local: LocalState = { mic: null, micMuted: true, camera: null, screen: null, mirrored: true, cameraCount: 0, busy: false, canShareScreen: false };

describe('readMeeting', () => {
  it('reads the SDK’s participants into plain data, others in the order they joined', () => {
    const late = new RemoteParticipant(info('late', { joinedAt: 20, tracks: [pub('microphone', true), pub('camera')] }));
    const early = new RemoteParticipant(info('early', { joinedAt: 10, role: 'co-host', handRaisedAt: 5, tracks: [pub('camera', true), pub('screen')] }));
    const camera = track('late-camera');
    late.tracks.set('c1', { sid: 'c1', trackId: 'camera-producer', participantId: 'late', kind: 'video', source: 'camera', mediaStreamTrack: camera });
    const m = readMeeting(room({ remoteParticipants: new Map([['late', late], ['early', early]]), localParticipant: new LocalParticipant(info('me', { role: 'host' })) }), local);

    expect(m.self).toMatchObject({ id: 'me', role: 'host', cameraTrack: null, screen: null });
    expect(m.remotes.map((p) => p.id)).toEqual(['early', 'late']);
    expect(m.remotes[0]).toMatchObject({ role: 'co-host', handRaisedAt: 5, micMuted: true, cameraMuted: true, cameraTrack: null, screen: { paused: false, track: null } });
    expect(m.remotes[1]).toMatchObject({ micMuted: true, cameraMuted: false, cameraTrack: camera, screen: null });
  });

  it('lists every received audio track for the <audio> elements', () => {
    const p = new RemoteParticipant(info('bob', { tracks: [pub('microphone'), pub('screen-audio')] }));
    const mic = track('mic');
    const tab = track('tab');
    p.tracks.set('a1', { sid: 'a1', trackId: 'm', participantId: 'bob', kind: 'audio', source: 'microphone', mediaStreamTrack: mic });
    p.tracks.set('a2', { sid: 'a2', trackId: 's', participantId: 'bob', kind: 'audio', source: 'screen-audio', mediaStreamTrack: tab });
    p.tracks.set('v1', { sid: 'v1', trackId: 'c', participantId: 'bob', kind: 'video', source: 'camera', mediaStreamTrack: track('cam') });
    expect(readMeeting(room({ remoteParticipants: new Map([['bob', p]]) }), local).audio).toEqual([
      { sid: 'a1', participantId: 'bob', source: 'microphone', track: mic },
      { sid: 'a2', participantId: 'bob', source: 'screen-audio', track: tab },
    ]);
  });

  it('copies the chat, so a new message makes a new snapshot list', () => {
    const chat = [{ id: '1', at: 0, from: { participantId: 'a', name: 'A' }, to: null, text: 'hi' }];
    const m = readMeeting(room({ chat, can: (right) => right !== 'chat' }), local);
    expect(m.chat).toEqual(chat);
    expect(m.chat).not.toBe(chat);
    expect(m.canChat).toBe(false);
    expect(m.self).toBe(null);
  });
});
