import { z } from 'zod';

// The SDK runs under a Content-Security-Policy without 'unsafe-eval': zod 4 would otherwise probe
// `new Function('')` to decide whether to compile its parsers, and that probe is itself a violation.
z.config({ jitless: true });

export { Room, MusterRequestError, waitForIceGathering, type RoomEvents, type RoomOptions, type ConnectionState, type JoinCredentials } from './Room.ts';
export { Participant, LocalParticipant, RemoteParticipant, type RemoteTrack } from './Participant.ts';
export { Emitter } from '@muster/kit/emitter';
export type * from '../protocol.ts';
export { canPublish, preferCodec, SIMULCAST_ENCODINGS, videoTransceiverInit, type VideoCodecName, type VideoPublishOptions } from './videoEncoding.ts';
