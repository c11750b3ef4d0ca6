/**
 * Muster signaling protocol, version 1.
 *
 * Client → server: socket.io events named in `ClientRequests`, each with a zod
 * schema and an acknowledgement callback that receives an `Ack`. A request that
 * fails validation, comes at the wrong time, or is unknown gets an `Ack` with
 * `ok: false` and a stable `ErrorCode` (or, without a callback, a `server.error`
 * event) and changes nothing.
 *
 * Server → client: the events in `ServerEvents`.
 *
 * This file is the whole contract; docs/protocol.md explains it in prose.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/** Largest accepted request payload, serialised. SDPs of big meetings fit with room to spare. */
export const MAX_REQUEST_BYTES = 128 * 1024;

export const ERROR_CODES = [
  'BAD_REQUEST', // payload does not match the schema
  'UNKNOWN_EVENT', // no such request
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_VERSION',
  'NOT_JOINED', // request needs a joined participant
  'ALREADY_JOINED',
  'BAD_STATE', // request is valid but out of order (e.g. an answer with no offer outstanding)
  'NOT_FOUND',
  'FORBIDDEN',
  'RATE_LIMITED',
  'MEDIA_UNAVAILABLE', // no media worker can take the request right now; retry
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ProtocolError {
  code: ErrorCode;
  message: string;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: ProtocolError };

// ---------------------------------------------------------------- primitives

export const RoomIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'room ids use letters, digits, "-" and "_"');

export const DisplayNameSchema = z
  .string()
  .trim()
  .min(1, 'a display name is required')
  .max(64)
  // Control characters would let one participant garble everyone's UI.
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters');

const IdSchema = z.string().min(1).max(64);
const SdpSchema = z.string().min(10).max(MAX_REQUEST_BYTES).startsWith('v=0');

export const TRACK_SOURCES = ['camera', 'microphone', 'screen', 'screen-audio'] as const;
export type TrackSource = (typeof TRACK_SOURCES)[number];
export const TrackSourceSchema = z.enum(TRACK_SOURCES);

export const ROLES = ['host', 'participant'] as const;
export type Role = (typeof ROLES)[number];

// ---------------------------------------------------------------- client → server

export const JoinRequestSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION).optional(),
    room: RoomIdSchema,
    name: DisplayNameSchema,
    /** Present when the client rejoins after losing its socket: keeps its identity. */
    resume: z.object({ participantId: IdSchema, token: z.string().min(16).max(128) }).strict().optional(),
  })
  .strict();

export const PublishRequestSchema = z
  .object({
    sdp: SdpSchema,
    /** The m-sections the client sends on, and what each one carries. */
    tracks: z.array(z.object({ mid: z.string().min(1).max(32), source: TrackSourceSchema }).strict()).max(8),
  })
  .strict();

export const SubscriberAnswerSchema = z.object({ offerId: z.number().int().nonnegative(), sdp: SdpSchema }).strict();

export const SetTrackMutedSchema = z.object({ source: TrackSourceSchema, muted: z.boolean() }).strict();

export const RestartMediaSchema = z
  .object({ reason: z.enum(['ice-failed', 'user', 'worker-lost']).optional() })
  .strict();

export const EmptySchema = z.object({}).strict();

export const ClientRequests = {
  join: JoinRequestSchema,
  leave: EmptySchema,
  /** Publisher offer; answers with the SFU's answer and the producers created. */
  publish: PublishRequestSchema,
  /** The client's answer to the last `subscriber.offer`. */
  'subscriber.answer': SubscriberAnswerSchema,
  /** Mute or unmute one of the client's own tracks; the server pauses the producer. */
  'track.setMuted': SetTrackMutedSchema,
  /** Rebuild both transports (ICE failure, or a user-requested reconnect). */
  'media.restart': RestartMediaSchema,
} as const;

export type ClientRequestName = keyof typeof ClientRequests;
export type ClientRequest<N extends ClientRequestName> = z.infer<(typeof ClientRequests)[N]>;

// ---------------------------------------------------------------- shared shapes

export interface TrackInfo {
  /** Producer id on the server. */
  id: string;
  kind: 'audio' | 'video';
  source: TrackSource;
  codec: string;
  /** Paused on the server: nobody receives it. */
  paused: boolean;
}

export interface ParticipantInfo {
  id: string;
  name: string;
  role: Role;
  joinedAt: number;
  tracks: TrackInfo[];
}

export interface RoomInfo {
  id: string;
  topic: string;
}

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface ConsumerInfo {
  id: string;
  /** The producer this consumer carries; matches a `TrackInfo.id`. */
  trackId: string;
  participantId: string;
  kind: 'audio' | 'video';
  source: TrackSource;
  /** The m-section of the subscriber transport carrying it. */
  mid: string;
}

// ---------------------------------------------------------------- replies

export interface ClientResponses {
  join: {
    protocolVersion: number;
    self: ParticipantInfo;
    room: RoomInfo;
    participants: ParticipantInfo[];
    /** Present this in `join.resume` to get the same identity back after a disconnect. */
    resumeToken: string;
    iceServers: IceServer[];
    activeSpeakerId: string | null;
  };
  leave: Record<string, never>;
  publish: { sdp: string; tracks: (TrackInfo & { mid: string })[] };
  'subscriber.answer': Record<string, never>;
  'track.setMuted': { track: TrackInfo | null };
  'media.restart': Record<string, never>;
}

// ---------------------------------------------------------------- server → client

export interface ServerEvents {
  'participant.joined': (p: ParticipantInfo) => void;
  'participant.updated': (p: ParticipantInfo) => void;
  'participant.left': (e: { participantId: string; reason: 'left' | 'disconnected' | 'removed' }) => void;
  /** A new offer for the subscriber transport, listing every consumer it carries. */
  'subscriber.offer': (e: { offerId: number; sdp: string; consumers: ConsumerInfo[] }) => void;
  'speaker.active': (e: { participantId: string | null }) => void;
  'room.updated': (e: RoomInfo) => void;
  'room.closed': (e: { reason: string }) => void;
  /**
   * The server lost this participant's media (its worker died) and has set up
   * new transports: drop both peer connections and publish again.
   */
  'media.reset': (e: { reason: 'worker-lost' | 'restart' }) => void;
  'server.error': (e: ProtocolError & { event?: string }) => void;
}

// ---------------------------------------------------------------- helpers

export function ok<T>(data: T): Ack<T> {
  return { ok: true, data };
}

export function fail(code: ErrorCode, message: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: { code, message } };
}

/** Error with a protocol code, thrown inside handlers and turned into an `Ack`. */
export class MusterError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
