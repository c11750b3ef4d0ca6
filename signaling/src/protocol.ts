/**
 * Muster signaling protocol, version 1.
 *
 * Client → server: socket.io events named in `ClientRequests`, each with a zod
 * schema and an acknowledgement callback that receives an `Ack`. A request that
 * fails validation, comes at the wrong time, or is unknown gets an `Ack` with
 * `ok: false` and a stable `ErrorCode` (or, without a callback, a `server.error`
 * event) and changes nothing. The checks every request goes through (limits,
 * size, version, schema, error mapping) are the kit's gateway pipeline
 * (`@muster/kit/gateway`), bound in `socket/SignalingGateway.ts`.
 *
 * Server → client: the events in `ServerEvents`.
 *
 * This file is the whole contract; docs/protocol.md explains it in prose.
 */
import type { RecordingProblemCode, RecordingSummary } from '@muster/recorder';
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/** Largest accepted request payload, serialised. SDPs of big meetings fit with room to spare. */
export const MAX_REQUEST_BYTES = 128 * 1024;

export const ERROR_CODES = [
  'BAD_REQUEST', // payload does not match the schema
  'UNKNOWN_EVENT', // no such request
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_VERSION', // the request's `v` is present and not PROTOCOL_VERSION
  'NOT_JOINED', // request needs a joined participant
  'ALREADY_JOINED',
  'BAD_STATE', // request is valid but out of order (e.g. an answer with no offer outstanding)
  'BAD_SDP', // publish / subscriber.answer: the SDP is malformed, lacks ICE credentials or a fingerprint, or has too many m-sections
  'NOT_FOUND',
  'FORBIDDEN', // the request needs a right this participant does not have (host controls, settings)
  'LOCKED', // join: the meeting is locked
  'PASSCODE_REQUIRED', // join: the meeting needs a passcode, and none or a wrong one was given
  'RATE_LIMITED',
  'MEDIA_UNAVAILABLE', // no media worker can take the request right now; retry
  'NAME_TAKEN', // join: the name is the host's (or a co-host's) in this meeting: pick another
  'SIGN_IN_REQUIRED', // join: this organisation lets only signed-in people join meetings
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

/**
 * Text one person shows to others (names, topics): NFC-normalised, trimmed,
 * and refused when it holds what would let one participant garble or spoof
 * everyone's view: C0/C1 controls, bidirectional overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069: "U+202E" turns "evil.exe" around), lone
 * surrogates, or nothing visible (only zero-width or blank characters).
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_TEXT = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const INVISIBLE = /^[\s\u200b-\u200f\u2060-\u2064\ufeff\u180e\u3164\u115f\u1160\u00ad]*$/u;

export function shownTextSchema(what: string, max: number) {
  return z
    .string()
    .max(max * 4)
    .refine((s) => !LONE_SURROGATE.test(s), `${what}: no lone surrogates`)
    .transform((s) => s.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(1, `${what} is required`)
        .max(max)
        .refine((s) => !FORBIDDEN_TEXT.test(s), `${what}: no control or text-direction characters`)
        .refine((s) => !INVISIBLE.test(s), `${what} must have a visible character`),
    );
}

export const DisplayNameSchema = shownTextSchema('a display name', 64);

const IdSchema = z.string().min(1).max(64);
const SdpSchema = z.string().min(10).max(MAX_REQUEST_BYTES).startsWith('v=0');

export const TRACK_SOURCES = ['camera', 'microphone', 'screen', 'screen-audio'] as const;
export type TrackSource = (typeof TRACK_SOURCES)[number];
export const TrackSourceSchema = z.enum(TRACK_SOURCES);

export const ROLES = ['host', 'co-host', 'participant', 'guest'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES);

/**
 * What a participant may do. `moderate` is every host control; the others are
 * the everyday actions meeting settings open or close (see `MeetingSettings`).
 */
export const RIGHTS = ['unmute', 'video', 'share', 'draw', 'chat', 'moderate'] as const;
export type Right = (typeof RIGHTS)[number];

/** Who a setting lets do something: everyone (guests too), participants and up, or only host and co-hosts. */
export const AUDIENCES = ['everyone', 'participants', 'moderators'] as const;
export type Audience = (typeof AUDIENCES)[number];
const AudienceSchema = z.enum(AUDIENCES);

/**
 * How much of a scalable video stream gets through: `high` everything, `standard`
 * up to the middle spatial layer, `low` only the smallest. Used by the
 * meeting-wide cap (`MeetingSettings.videoQuality`) and by a host's cap on one
 * participant's video (`participant.setVideoQuality`).
 */
export const VIDEO_QUALITIES = ['high', 'standard', 'low'] as const;
export type VideoQuality = (typeof VIDEO_QUALITIES)[number];
export const VideoQualitySchema = z.enum(VIDEO_QUALITIES);

/** Meeting settings: who may unmute themselves, start video, share the screen, draw and chat; the role of a joiner without an invite. */
export const MeetingSettingsSchema = z
  .object({
    unmute: AudienceSchema,
    video: AudienceSchema,
    share: AudienceSchema,
    draw: AudienceSchema,
    chat: AudienceSchema,
    /** Role of someone who joins with neither an invite nor the host key. */
    defaultRole: z.enum(['participant', 'guest']),
    /**
     * Highest video quality anyone receives (spatial layer 2 / 1 / 0 of a
     * scalable stream): the host's cap, on top of each subscriber's own
     * preference, tile size and bandwidth.
     */
    videoQuality: VideoQualitySchema,
  })
  .strict();
export type MeetingSettings = z.infer<typeof MeetingSettingsSchema>;

export const DEFAULT_SETTINGS: MeetingSettings = {
  unmute: 'everyone',
  video: 'everyone',
  share: 'participants',
  draw: 'participants',
  chat: 'everyone',
  defaultRole: 'participant',
  videoQuality: 'high',
};

/** The highest spatial layer each `videoQuality` lets through. */
export const VIDEO_QUALITY_SPATIAL_LAYER: Record<VideoQuality, number> = { high: 2, standard: 1, low: 0 };

export const TopicSchema = shownTextSchema('a topic', 200);

export const PasscodeSchema = z.string().min(1).max(64);
const KindSchema = z.enum(['audio', 'video']);
export const MAX_CHAT_TEXT = 2_000;
/** Reactions are a fixed set: free text would be a second, unmoderated chat. */
export const REACTIONS = ['👍', '👏', '😂', '❤️', '🎉', '😮', '✋'] as const;

// ---------------------------------------------------------------- client → server

export const JoinRequestSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION).optional(),
    room: RoomIdSchema,
    name: DisplayNameSchema,
    /** Present when the client rejoins after losing its socket: keeps its identity. */
    resume: z.object({ participantId: IdSchema, token: z.string().min(16).max(128) }).strict().optional(),
    /** The meeting token from an earlier join of this meeting (keeps identity and role across reloads). */
    token: z.string().min(16).max(2048).optional(),
    /** The meeting's host key: joins as host. */
    hostKey: z.string().min(8).max(128).optional(),
    /** An invite token (from an invite link): joins with the role it carries. */
    invite: z.string().min(16).max(2048).optional(),
    passcode: PasscodeSchema.optional(),
    /** The ticket from `lobby.admitted`: the join the host let in. */
    admission: z.string().min(16).max(128).optional(),
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

/** Largest tile size a client may report, in device pixels. */
export const MAX_TILE_PIXELS = 16384;
const LayerIdSchema = z.number().int().min(0).max(2);

/**
 * How the client shows each video it receives: tile size in device pixels
 * (0 × 0 or `visible: false`: hidden, the server pauses it) and an optional
 * layer preference. The server forwards each subscriber only the layers of a
 * scalable (SVC) stream that this size, the preference and its bandwidth need.
 */
export const SubscriptionUpdateSchema = z
  .object({
    tracks: z
      .array(
        z
          .object({
            trackId: IdSchema,
            visible: z.boolean().optional(),
            width: z.number().int().min(0).max(MAX_TILE_PIXELS).optional(),
            height: z.number().int().min(0).max(MAX_TILE_PIXELS).optional(),
            spatialLayer: LayerIdSchema.optional(),
            temporalLayer: LayerIdSchema.optional(),
          })
          .strict(),
      )
      .min(1)
      .max(64),
  })
  .strict();

// Host controls and everyone's meeting actions. Each one is carried out by
// `controls/RoomControls.ts`, the same code the REST API calls.

export const MuteParticipantSchema = z.object({ participantId: IdSchema, kind: KindSchema }).strict();
export const AskUnmuteSchema = z.object({ participantId: IdSchema, kind: KindSchema.default('audio') }).strict();
export const MuteAllSchema = z.object({ kind: KindSchema, allowUnmute: z.boolean() }).strict();
export const AskUnmuteAllSchema = z.object({ kind: KindSchema.default('audio') }).strict();
export const RemoveParticipantSchema = z.object({ participantId: IdSchema, ban: z.boolean().default(false) }).strict();
/** `role: 'host'` transfers host: the current host becomes a co-host. */
export const SetRoleSchema = z.object({ participantId: IdSchema, role: RoleSchema }).strict();
/** Caps one person's published video for everyone who receives it; `high` lifts the cap. */
export const SetVideoQualitySchema = z.object({ participantId: IdSchema, quality: VideoQualitySchema }).strict();
export const RoomUpdateSchema = z
  .object({
    topic: TopicSchema.optional(),
    locked: z.boolean().optional(),
    lobby: z.boolean().optional(),
    settings: MeetingSettingsSchema.partial().strict().optional(),
  })
  .strict();
export const LobbyDecisionSchema = z.union([z.object({ lobbyId: IdSchema }).strict(), z.object({ all: z.literal(true) }).strict()]);
export const SetHandSchema = z.object({ raised: z.boolean(), participantId: IdSchema.optional() }).strict();
export const ReactionSchema = z.object({ emoji: z.enum(REACTIONS) }).strict();
export const ChatSendSchema = z
  .object({
    text: z.string().trim().min(1, 'a message is required').max(MAX_CHAT_TEXT),
    /** A participant id for a private message; absent for everyone. */
    to: IdSchema.optional(),
  })
  .strict();
export const RecordingSchema = z.object({ on: z.boolean() }).strict();

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
  /** Tile sizes, visibility and layer preferences of the videos you receive. */
  'subscription.update': SubscriptionUpdateSchema,
  // ---- host controls (refused with FORBIDDEN without the `moderate` right)
  /** Pause one person's microphone (`audio`) or camera (`video`) on the server. */
  'participant.mute': MuteParticipantSchema,
  /** Ask one person to unmute; their client prompts, never unmutes by itself. */
  'participant.askUnmute': AskUnmuteSchema,
  'participant.remove': RemoveParticipantSchema,
  'participant.setRole': SetRoleSchema,
  /** Cap one person's video for everyone who receives it (`high`: no cap). */
  'participant.setVideoQuality': SetVideoQualitySchema,
  'room.muteAll': MuteAllSchema,
  'room.askUnmuteAll': AskUnmuteAllSchema,
  /** Topic, lock, lobby and settings. */
  'room.update': RoomUpdateSchema,
  'room.end': EmptySchema,
  'lobby.admit': LobbyDecisionSchema,
  'lobby.deny': LobbyDecisionSchema,
  'hands.lowerAll': EmptySchema,
  'recording.set': RecordingSchema,
  /** The meeting's recordings, with download links (hosts and co-hosts). */
  'recordings.list': EmptySchema,
  // ---- everyone
  /** Raise or lower your hand; lowering someone else's needs `moderate`. */
  'hand.set': SetHandSchema,
  'reaction.send': ReactionSchema,
  'chat.send': ChatSendSchema,
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
  /** When the hand went up (the raise-hand queue is ordered by it); null when down. */
  handRaisedAt: number | null;
  /** Kinds a host muted with "may not unmute": the person cannot unmute them until asked to. */
  blocked: ('audio' | 'video')[];
  /**
   * A host's cap on this person's video for everyone who receives it
   * (`high`: none). The meeting's `videoQuality` applies on top: the lower wins.
   */
  videoQuality: VideoQuality;
  /** The account of a signed-in participant (their name and avatar come from its profile); null for a link joiner. */
  userId: string | null;
  /** Path of a signed-in participant's avatar (256 px WebP), or null. */
  avatar: string | null;
  /** Joined by link without an account, or with a temporary (guest) account: shown as "guest". */
  guest: boolean;
}

export interface RoomInfo {
  id: string;
  topic: string;
  locked: boolean;
  lobby: boolean;
  recording: boolean;
  settings: MeetingSettings;
  /** Scheduled start (ms since epoch), if the meeting was scheduled. */
  startsAt: number | null;
  hasPasscode: boolean;
}

export interface ChatMessage {
  id: string;
  at: number;
  from: { participantId: string; name: string };
  /** Set on a private message: the one participant it is for. */
  to: { participantId: string; name: string } | null;
  text: string;
}

// What a recording is, and its problem codes, are the recorder's (recorder/src/manifest.ts): one definition for storage, REST and this protocol.
export type { RecordingProblemCode, RecordingState } from '@muster/recorder';

/** One recording of a meeting, as `recordings.list` and `GET /api/v1/rooms/:id/recordings` show it: the recorder's summary. */
export interface RecordingListEntry extends RecordingSummary {
  /** `recordings.list` only: a link to the composite that works without the API token for an hour; null until it is ready. */
  downloadUrl?: string | null;
}

export interface LobbyEntry {
  lobbyId: string;
  name: string;
  since: number;
}

/** A host's action as its target sees it; the client shows a notice and never acts on its own. */
export type ControlNotice =
  | { type: 'muted'; kind: 'audio' | 'video'; by: string; mayUnmute: boolean }
  | { type: 'askUnmute'; kind: 'audio' | 'video'; by: string }
  | { type: 'roleChanged'; role: Role; by: string }
  | { type: 'handLowered'; by: string };

/** What a moderator gets on top of the ordinary join reply. */
export interface ModeratorInfo {
  /** The host key (host only): a link with it makes its holder host. */
  hostKey: string | null;
  /** Invite token for a participant-role link (`?invite=`). */
  participantInvite: string;
  lobby: LobbyEntry[];
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

export interface JoinedReply {
    status: 'joined';
    protocolVersion: number;
    self: ParticipantInfo;
    room: RoomInfo;
    participants: ParticipantInfo[];
    /** Present this in `join.resume` to get the same identity back after a disconnect. */
    resumeToken: string;
    iceServers: IceServer[];
    activeSpeakerId: string | null;
    /** Signed meeting token (JWT): present it in a later `join.token` to come back as the same person with the same role. */
    meetingToken: string;
    /** Public messages and the private ones to or from you, oldest first. */
    chat: ChatMessage[];
    /** Present when you are host or co-host. */
    moderator: ModeratorInfo | null;
}

/** The meeting has a lobby: wait for `lobby.admitted` (then join again with its ticket) or `lobby.denied`. */
export interface WaitingReply {
  status: 'waiting';
  lobbyId: string;
  room: RoomInfo;
}

export interface ClientResponses {
  join: JoinedReply | WaitingReply;
  leave: Record<string, never>;
  publish: { sdp: string; tracks: (TrackInfo & { mid: string })[] };
  'subscriber.answer': Record<string, never>;
  'track.setMuted': { track: TrackInfo | null };
  'media.restart': Record<string, never>;
  /** Track ids you asked about that you do not receive (e.g. not yet subscribed) are listed, not refused. */
  'subscription.update': { unknownTrackIds: string[] };
  'participant.mute': Record<string, never>;
  'participant.askUnmute': Record<string, never>;
  'participant.remove': Record<string, never>;
  'participant.setRole': Record<string, never>;
  'participant.setVideoQuality': Record<string, never>;
  'room.muteAll': { muted: number };
  'room.askUnmuteAll': Record<string, never>;
  'room.update': { room: RoomInfo };
  'room.end': Record<string, never>;
  'lobby.admit': { admitted: number };
  'lobby.deny': { denied: number };
  'hands.lowerAll': { lowered: number };
  'recording.set': { room: RoomInfo };
  'recordings.list': { recordings: RecordingListEntry[] };
  'hand.set': Record<string, never>;
  'reaction.send': Record<string, never>;
  'chat.send': { message: ChatMessage };
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
  /** A host acted on you: show a notice ("the host muted you", "asks you to unmute"). */
  'control.notice': (e: ControlNotice) => void;
  'chat.message': (m: ChatMessage) => void;
  'reaction': (e: { participantId: string; emoji: (typeof REACTIONS)[number] }) => void;
  /** A data message from an integration (REST `POST /rooms/:id/data`). */
  'data.message': (e: { from: 'server'; topic: string | null; data: unknown }) => void;
  /** To hosts and co-hosts: who waits in the lobby now. */
  'lobby.updated': (e: { lobby: LobbyEntry[] }) => void;
  /** To someone waiting: you are let in; `join` again with `admission: ticket`. */
  'lobby.admitted': (e: { ticket: string }) => void;
  /** To someone waiting: the host did not let you in. */
  'lobby.denied': (e: { reason: string }) => void;
  /**
   * To hosts and co-hosts: something went wrong with the recording (a track's
   * recorder died, the disk filled). `stopped`: the recording ended because
   * of it. The meeting itself goes on.
   */
  'recording.problem': (e: { recordingId: string; code: RecordingProblemCode; message: string; stopped: boolean }) => void;
  /** Your role changed: hosts and co-hosts get the moderator details, others null. */
  'moderator.updated': (e: ModeratorInfo | null) => void;
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
