export { Room, MusterRequestError, waitForIceGathering, type RoomEvents, type RoomOptions, type ConnectionState } from './Room.ts';
export { Participant, LocalParticipant, RemoteParticipant, type RemoteTrack } from './Participant.ts';
export { Emitter } from './Emitter.ts';
export type * from '../protocol.ts';
