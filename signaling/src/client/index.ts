export { Room, MusterRequestError, waitForIceGathering, type RoomEvents, type RoomOptions, type ConnectionState, type JoinCredentials } from './Room.ts';
export { Participant, LocalParticipant, RemoteParticipant, type RemoteTrack } from './Participant.ts';
export { Emitter } from '@muster/kit/emitter';
export type * from '../protocol.ts';
export { canPublish, preferCodec, SIMULCAST_ENCODINGS, videoTransceiverInit, type VideoCodecName, type VideoPublishOptions } from './videoEncoding.ts';
