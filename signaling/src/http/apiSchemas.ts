/**
 * The REST API's replies, as zod schemas: the OpenAPI document
 * (`openapi.ts`) is generated from them and from the request schemas of the
 * routes (`roomsApi.ts`, `recordingsApi.ts`), and the contract test checks
 * every reply of a real server against that document.
 */
import { z } from 'zod';
import { ERROR_CODES, MeetingSettingsSchema, RoleSchema, TrackSourceSchema, VideoQualitySchema } from '../protocol.ts';

const Int = z.number().int();
const Kind = z.enum(['audio', 'video']);

/** Every coded error of the REST API: `{ error: { code, message } }`. */
export const API_ERROR_CODES = [...ERROR_CODES, 'CONFLICT', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE'] as const;
export const ApiErrorSchema = z
  .object({ error: z.object({ code: z.enum(API_ERROR_CODES), message: z.string() }) })
  .meta({ id: 'Error', description: 'A coded error; never a stack trace, never a 500 for bad input.' });

export const RoomInfoSchema = z
  .object({
    id: z.string(),
    topic: z.string(),
    locked: z.boolean(),
    lobby: z.boolean(),
    recording: z.boolean(),
    settings: MeetingSettingsSchema,
    startsAt: Int.nullable().meta({ description: 'Scheduled start, ms since epoch' }),
    hasPasscode: z.boolean(),
  })
  .meta({ id: 'RoomInfo' });

/** `GET /rooms`: a live room or a scheduled meeting. */
export const RoomSummarySchema = RoomInfoSchema.extend({ createdAt: Int, live: z.boolean(), participants: Int.nonnegative() }).meta({ id: 'RoomSummary' });

export const CreatedRoomSchema = RoomSummarySchema.extend({
  hostKey: z.string(),
  links: z.object({
    host: z.string().meta({ description: 'path with ?key=: makes its holder host' }),
    participant: z.string().meta({ description: 'path with ?invite=: joins as participant, no passcode needed' }),
  }),
}).meta({ id: 'CreatedRoom', description: 'The host key and the invite links are only shown here' });

/** `GET /rooms/:id` of a meeting nobody is in. */
export const ScheduledRoomSchema = RoomInfoSchema.extend({ createdAt: Int, live: z.literal(false), participants: z.array(z.unknown()).max(0) }).meta({ id: 'ScheduledRoom' });

const TrackSchema = z.object({
  id: z.string(),
  kind: Kind,
  source: TrackSourceSchema,
  codec: z.string(),
  paused: z.boolean().meta({ description: 'true: the server forwards nothing (muted)' }),
});

/** `GET /rooms/:id/participants`. */
export const ParticipantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    joinedAt: Int,
    tracks: z.array(TrackSchema),
    handRaisedAt: Int.nullable(),
    blocked: z.array(Kind),
    videoQuality: VideoQualitySchema.meta({ description: "A host's cap on this person's video (high: none); the meeting's settings.videoQuality applies on top" }),
    connected: z.boolean(),
    userId: z.string().nullable().meta({ description: 'The account of a signed-in participant; null for a link joiner' }),
    avatar: z.string().nullable(),
    guest: z.boolean().meta({ description: 'Joined by link without an account, or with a guest account' }),
  })
  .meta({ id: 'Participant' });

const DumpProducerSchema = z.object({
  id: z.string(),
  kind: Kind,
  source: TrackSourceSchema,
  codec: z.string(),
  paused: z.boolean(),
  scalabilityMode: z.string().optional(),
  layers: z.array(z.object({ spatialLayer: Int, temporalLayer: Int, bitrate: z.number() })).optional(),
  resolutions: z.array(z.object({ spatialLayer: Int, width: Int, height: Int })).optional(),
  encodings: z
    .array(z.object({ rid: z.string(), ssrc: Int.nullable(), spatialLayer: Int, width: Int, height: Int, bitrate: z.number() }))
    .optional(),
});

const DumpConsumerSchema = z.object({
  id: z.string(),
  producerId: z.string(),
  participantId: z.string(),
  kind: Kind,
  paused: z.boolean(),
  layers: z.object({ currentSpatialLayer: Int, currentTemporalLayer: Int, targetSpatialLayer: Int, targetTemporalLayer: Int }).optional(),
  preferences: z.object({}).loose().optional(),
  estimatedBandwidth: z.number().nullable().optional(),
  bweSource: z.enum(['twcc', 'remb']).nullable().optional(),
});

/** `GET /rooms/:id` of a live room: see docs/rest-api.md for every field. */
export const RoomDumpSchema = RoomInfoSchema.extend({
  createdAt: Int,
  waiting: z.array(z.object({ lobbyId: z.string(), name: z.string(), since: Int })),
  workerId: Int,
  mediaRouters: z
    .array(z.object({ routerId: z.string(), workerId: Int, host: z.string().meta({ description: "'local', or the media host the worker runs on" }), participants: Int }))
    .meta({ description: 'The routers of the room, the home one first: more than one when the room spans workers or media hosts, joined by pipe transports' }),
  activeSpeakerId: z.string().nullable(),
  participants: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      role: RoleSchema,
      connected: z.boolean(),
      handRaisedAt: Int.nullable(),
      blocked: z.array(Kind),
      videoQuality: VideoQualitySchema,
      producers: z.array(DumpProducerSchema),
      consumers: z.array(DumpConsumerSchema),
    }),
  ),
}).meta({ id: 'RoomDump' });

export const EndedRoomSchema = z.object({ id: z.string(), ended: z.literal(true) });
export const MutedSchema = z.object({ muted: z.literal(true) });
export const VideoQualityCappedSchema = z.object({ participantId: z.string(), videoQuality: VideoQualitySchema });
export const RemovedSchema = z.object({ removed: z.literal(true), banned: z.boolean() });
export const MutedAllSchema = z.object({ muted: Int.nonnegative().meta({ description: 'how many were muted' }) });
export const DeliveredSchema = z.object({ delivered: Int.nonnegative() });

export const AuditSchema = z
  .object({
    entries: z.array(
      z.object({
        at: Int,
        actor: z.discriminatedUnion('type', [
          z.object({ type: z.literal('participant'), participantId: z.string(), name: z.string(), role: RoleSchema }),
          z.object({ type: z.literal('api') }),
          z.object({ type: z.literal('system') }),
        ]),
        action: z.string().meta({ description: 'the control, named as its protocol request, e.g. participant.mute' }),
        target: z.object({ participantId: z.string(), name: z.string() }).nullable(),
        details: z.record(z.string(), z.unknown()),
      }),
    ),
    dropped: Int.nonnegative(),
    endedAt: Int.nullable().meta({ description: 'null while the meeting runs' }),
  })
  .meta({ id: 'Audit' });

export const RecordingSchema = z
  .object({
    id: z.string(),
    roomId: z.string(),
    state: z.enum(['recording', 'processing', 'ready', 'failed']),
    startedAt: Int.meta({ description: 'ms since epoch' }),
    endedAt: Int.nullable(),
    durationMs: Int.nullable(),
    startedBy: z.string(),
    sessionId: z.string().nullable(),
    compose: z.enum(['live', 'after']),
    participants: Int.nonnegative(),
    tracks: Int.nonnegative(),
    hasComposite: z.boolean(),
    problems: z.array(z.object({ at: Int, code: z.enum(['TRACK_FAILED', 'DISK_FULL', 'COMPOSITE_FAILED', 'MEDIA_MOVED']), message: z.string() })),
    error: z.string().nullable(),
  })
  .meta({ id: 'Recording' });

export const RecordingManifestSchema = z
  .object({
    version: z.literal(1),
    participants: z.array(z.object({ participantId: z.string(), name: z.string(), joinedAtMs: z.number(), leftAtMs: z.number().nullable() })),
    tracks: z.array(
      z.object({
        trackId: z.string(),
        producerId: z.string(),
        participantId: z.string(),
        kind: Kind,
        source: z.string(),
        codec: z.string(),
        status: z.enum(['recording', 'ended', 'unsupported', 'failed']),
        parts: z.array(
          z.object({
            startMs: z.number().nullable(),
            endMs: z.number().nullable(),
            files: z.array(z.string()),
            endReason: z.string().nullable(),
            producerId: z.string().optional(),
          }),
        ),
      }),
    ),
    composite: z.object({ file: z.string(), layout: z.literal('grid'), width: Int, height: Int, cpuSeconds: z.number().nullable() }).nullable(),
  })
  .meta({ id: 'RecordingManifest', description: "Offsets are ms from the recording's start." });

export const RecordingWithManifestSchema = RecordingSchema.extend({ manifest: RecordingManifestSchema }).meta({ id: 'RecordingWithManifest' });
