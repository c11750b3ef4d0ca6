/**
 * The REST API's OpenAPI 3.1 description, generated from the zod schemas
 * that parse the requests (`roomsApi.ts`, `recordingsApi.ts`, the
 * whiteboard's `boardsApi.ts`) and from those of the replies
 * (`apiSchemas.ts`), so that it cannot drift from the code. Served at
 * `GET /api/v1/openapi.json`; `openapi.test.ts` checks every route's replies
 * against it.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { registerBoardsOpenApi } from '@muster/whiteboard';
import { registerAccountsOpenApi } from '@muster/accounts/rest';
import { registerImOpenApi } from '@muster/im/rest';
import { registerPushOpenApi } from '@muster/push/rest';
import { registerChannelsOpenApi } from '@muster/channels/rest';
import { registerMomentsOpenApi } from '@muster/moments/rest';
import { registerFilesOpenApi } from '@muster/files/rest';
import { RoomIdSchema, RoomUpdateSchema } from '@muster/signaling/protocol';
import { AnnouncementBodySchema, AnnouncementSchema } from '../announcements/announcementsApi.ts';
import {
  ApiErrorSchema,
  AuditSchema,
  CreatedRoomSchema,
  DeliveredSchema,
  EndedRoomSchema,
  MutedAllSchema,
  MutedSchema,
  ParticipantSchema,
  RecordingSchema,
  RecordingWithManifestSchema,
  RemovedSchema,
  RoomDumpSchema,
  RoomInfoSchema,
  RoomSummarySchema,
  ScheduledRoomSchema,
  VideoQualityCappedSchema,
} from '@muster/signaling/rest';
import { EmptyBodySchema, FileNameSchema, RecordingIdSchema } from '@muster/signaling/rest';
import { MyMeetingSchema, MyMeetingsSchema, MyMeetingUpdateSchema, ScheduleMeetingSchema } from '@muster/signaling/rest';
import {
  BanQuerySchema,
  CreateRoomSchema,
  DataBodySchema,
  MuteAllBodySchema,
  MuteBodySchema,
  ParticipantIdSchema,
  VideoQualityBodySchema,
} from '@muster/signaling/rest';

type Responses = RouteConfig['responses'];

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const error = (description: string) => ({ description, content: json(ApiErrorSchema) });
const body = (schema: z.ZodType, required = true) => ({ required, content: json(schema) });

/** Replies every route of the room service can give. */
const E = {
  400: error('BAD_REQUEST: the input does not match the schema, the JSON is malformed or nests more than 32 deep'),
  401: error('UNAUTHORIZED: no valid Bearer token'),
  403: error('FORBIDDEN'),
  404: error('NOT_FOUND: no such room (or nobody in it yet), participant or recording'),
  409: error('CONFLICT, BAD_STATE or LOCKED: the request is valid but the state does not allow it'),
  413: error('PAYLOAD_TOO_LARGE: the body is over 256 KiB (data messages: 16 KiB)'),
  415: error('UNSUPPORTED_MEDIA_TYPE: a body sent without Content-Type: application/json'),
  503: error('MEDIA_UNAVAILABLE: no media worker can take the request right now; retry'),
} as const;
type Status = keyof typeof E;
const errors = (...codes: Status[]): Responses => Object.fromEntries(codes.map((c) => [c, E[c]]));

/** The request bodies, named in components/schemas. */
const Bodies = {
  CreateRoom: CreateRoomSchema.meta({ id: 'CreateRoom' }),
  RoomUpdate: RoomUpdateSchema.meta({ id: 'RoomUpdate' }),
  Mute: MuteBodySchema.meta({ id: 'Mute' }),
  VideoQualityCap: VideoQualityBodySchema.meta({ id: 'VideoQualityCap' }),
  MuteAll: MuteAllBodySchema.meta({ id: 'MuteAll' }),
  DataMessage: DataBodySchema.meta({ id: 'DataMessage' }),
};

const RoomParams = z.object({ id: RoomIdSchema.meta({ description: 'Room id' }) });
const ParticipantParams = RoomParams.extend({ pid: ParticipantIdSchema.meta({ description: 'Participant id' }) });
const RecordingParams = z.object({ id: RecordingIdSchema.meta({ description: 'Recording id' }) });
const DownloadQuery = z.object({
  access: z.string().max(199).optional().meta({ description: 'Instead of the Bearer token: the signed link a host gets from recordings.list (ten minutes, this one file)' }),
});
/** A download: the API token, or the signed link in `?access=`. */
const downloadSecurity: Record<string, string[]>[] = [{ bearer: [] }, {}];

function roomRoutes(registry: OpenAPIRegistry): void {
  const route = (config: RouteConfig) => registry.registerPath({ tags: ['rooms'], ...config });
  route({
    method: 'get',
    path: '/rooms',
    operationId: 'listRooms',
    summary: 'List live rooms and scheduled meetings',
    responses: { 200: ok('Rooms', z.array(RoomSummarySchema)), ...errors(401) },
  });
  route({
    method: 'post',
    path: '/rooms',
    operationId: 'createRoom',
    summary: 'Create (or schedule) a meeting with settings',
    request: { body: body(Bodies.CreateRoom, false) },
    responses: { 201: ok('Created; the host key and invite links are only shown here', CreatedRoomSchema), ...errors(400, 401, 409, 413, 415) },
  });
  route({
    method: 'get',
    path: '/rooms/{id}',
    operationId: 'getRoom',
    summary: "A live room's dump (participants, producers with `paused`, consumers), or a scheduled meeting",
    request: { params: RoomParams },
    responses: { 200: ok('The room', z.union([RoomDumpSchema, ScheduledRoomSchema])), ...errors(400, 401, 404) },
  });
  route({
    method: 'patch',
    path: '/rooms/{id}',
    operationId: 'updateRoom',
    summary: 'Change topic, lock, lobby and settings',
    request: { params: RoomParams, body: body(Bodies.RoomUpdate, false) },
    responses: { 200: ok('The room after the change', RoomInfoSchema), ...errors(400, 401, 403, 404, 409, 413, 415) },
  });
  route({
    method: 'delete',
    path: '/rooms/{id}',
    operationId: 'endRoom',
    summary: 'End the meeting for everyone (and forget a scheduled one)',
    request: { params: RoomParams },
    responses: { 200: ok('Ended', EndedRoomSchema), ...errors(400, 401, 404) },
  });
  route({
    method: 'get',
    path: '/rooms/{id}/participants',
    operationId: 'listParticipants',
    summary: 'Who is in the meeting',
    request: { params: RoomParams },
    responses: { 200: ok('Participants', z.array(ParticipantSchema)), ...errors(400, 401, 404) },
  });
  route({
    method: 'post',
    path: '/rooms/{id}/participants/{pid}/mute',
    operationId: 'muteParticipant',
    summary: "Mute a participant's microphone (audio) or stop their camera (video); the server pauses the producer",
    request: { params: ParticipantParams, body: body(Bodies.Mute) },
    responses: { 200: ok('Muted', MutedSchema), ...errors(400, 401, 404, 409, 413, 415) },
  });
  route({
    method: 'post',
    path: '/rooms/{id}/participants/{pid}/video-quality',
    operationId: 'setParticipantVideoQuality',
    summary: "Cap a participant's video for everyone who receives it (high lifts the cap); kept for the rest of their time in the meeting",
    request: { params: ParticipantParams, body: body(Bodies.VideoQualityCap) },
    responses: { 200: ok('Capped (or the cap lifted)', VideoQualityCappedSchema), ...errors(400, 401, 404, 409, 413, 415) },
  });
  route({
    method: 'delete',
    path: '/rooms/{id}/participants/{pid}',
    operationId: 'removeParticipant',
    summary: 'Remove a participant; `?ban=true` bars them from rejoining',
    request: { params: ParticipantParams, query: BanQuerySchema },
    responses: { 200: ok('Removed', RemovedSchema), ...errors(400, 401, 404, 409) },
  });
  route({
    method: 'post',
    path: '/rooms/{id}/mute-all',
    operationId: 'muteAll',
    summary: 'Mute everyone but hosts and co-hosts',
    request: { params: RoomParams, body: body(Bodies.MuteAll) },
    responses: { 200: ok('How many were muted', MutedAllSchema), ...errors(400, 401, 404, 409, 413, 415) },
  });
  route({
    method: 'post',
    path: '/rooms/{id}/data',
    operationId: 'sendData',
    summary: 'Send a data message (`data.message` event) to everyone or to some participants',
    request: { params: RoomParams, body: body(Bodies.DataMessage) },
    responses: { 200: ok('Delivered', DeliveredSchema), ...errors(400, 401, 404, 413, 415) },
  });
  route({
    method: 'get',
    path: '/rooms/{id}/audit',
    operationId: 'getAudit',
    summary: "The meeting's audit log: who did what, to whom, and when (also after it ended)",
    request: { params: RoomParams },
    responses: { 200: ok('Entries, oldest first', AuditSchema), ...errors(400, 401, 404) },
  });
}

/** A signed-in person's meetings: their access token, not the API token. */
function myMeetingRoutes(registry: OpenAPIRegistry): void {
  const route = (config: RouteConfig) => registry.registerPath({ tags: ['me'], security: [{ userToken: [] }], ...config });
  const unauthorized = error('UNAUTHORIZED: no valid access token');
  const notYours = error('NOT_FOUND: no such meeting of yours');
  route({
    method: 'get',
    path: '/me/meetings',
    operationId: 'listMyMeetings',
    summary: 'Your meetings (scheduled, and the others you opened while signed in) and the recordings of sessions you hosted',
    responses: { 200: ok('Your meetings', MyMeetingsSchema), 401: unauthorized },
  });
  route({
    method: 'post',
    path: '/me/meetings',
    operationId: 'scheduleMeeting',
    summary: 'Schedule a meeting you own: you host it from any device, signed in, without a host key',
    request: { body: body(ScheduleMeetingSchema) },
    responses: { 201: ok('Scheduled', MyMeetingSchema), 400: E[400], 401: unauthorized, 413: E[413], 415: E[415] },
  });
  route({
    method: 'patch',
    path: '/me/meetings/{id}',
    operationId: 'updateMyMeeting',
    summary: 'Change the topic of a meeting you own (everyone in it sees the change at once)',
    request: { params: RoomParams, body: body(MyMeetingUpdateSchema) },
    responses: { 200: ok('The meeting', MyMeetingSchema), 400: E[400], 401: unauthorized, 404: notYours, 413: E[413], 415: E[415] },
  });
  route({
    method: 'delete',
    path: '/me/meetings/{id}',
    operationId: 'deleteMyMeeting',
    summary: 'Forget a meeting you own (ending it for everyone if it is running)',
    request: { params: RoomParams },
    responses: { 204: { description: 'Forgotten' }, 401: unauthorized, 404: notYours },
  });
}

function recordingRoutes(registry: OpenAPIRegistry): void {
  const route = (config: RouteConfig) => registry.registerPath({ tags: ['recordings'], ...config });
  route({
    method: 'post',
    path: '/rooms/{id}/recordings',
    operationId: 'startRecording',
    summary: "Start recording the running meeting (as the host's Start recording)",
    description: 'Every participant sees the recording indicator (`RoomInfo.recording`); late joiners get it in their join reply. No body, or `{}`.',
    request: { params: RoomParams, body: body(EmptyBodySchema, false) },
    responses: { 201: ok('Recording started', RecordingSchema), ...errors(400, 401, 404, 409, 413, 415, 503) },
  });
  route({
    method: 'delete',
    path: '/rooms/{id}/recordings/current',
    operationId: 'stopRecording',
    summary: 'Stop the running recording; the composite is encoded in the background (state processing, then ready)',
    request: { params: RoomParams },
    responses: { 200: ok('The recording, now processing', RecordingSchema), ...errors(400, 401, 404) },
  });
  route({
    method: 'get',
    path: '/rooms/{id}/recordings',
    operationId: 'listRecordings',
    summary: "List the room's recordings (live and past meetings)",
    request: { params: RoomParams },
    responses: { 200: ok('Recordings, oldest first', z.array(RecordingSchema)), ...errors(400, 401) },
  });
  route({
    method: 'get',
    path: '/recordings/{id}',
    operationId: 'getRecording',
    summary: 'One recording with its manifest (participants, tracks, their offsets and files)',
    request: { params: RecordingParams },
    responses: { 200: ok('The recording', RecordingWithManifestSchema), ...errors(401, 404) },
  });
  const binary = (type: string) => ({ schema: { type: 'string' as const, contentMediaType: type } });
  // Several app hosts: the files are on the disk of the host that recorded them, and a download reaching another is answered by it.
  const filesHostAway = error('UNAVAILABLE: the app host whose disk holds this recording did not answer; retry (Retry-After)');
  route({
    method: 'get',
    path: '/recordings/{id}/file',
    operationId: 'downloadComposite',
    summary: 'The composite video (sent as an attachment)',
    security: downloadSecurity,
    request: { params: RecordingParams, query: DownloadQuery },
    responses: { 200: { description: 'The composite', content: { 'video/mp4': binary('video/mp4') } }, ...errors(401, 404, 409), 503: filesHostAway },
  });
  route({
    method: 'get',
    path: '/recordings/{id}/files/{name}',
    operationId: 'downloadRecordingFile',
    summary: "One file the manifest names: a track's WebM segment, or manifest.json",
    security: downloadSecurity,
    request: { params: RecordingParams.extend({ name: FileNameSchema.meta({ description: 'File name, as in the manifest' }) }), query: DownloadQuery },
    responses: {
      200: { description: 'The file', content: { 'video/webm': binary('video/webm'), 'application/json': binary('application/json') } },
      ...errors(401, 404, 409),
      503: filesHostAway,
    },
  });
}

function announcementRoutes(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/announcements',
    operationId: 'announce',
    tags: ['announcements'],
    summary: 'Send a notice to everyone connected now',
    description:
      'Every signed-in connection receives it at once: longlink connections (`/longlink`, on the gateways) as the event `announcement`, socket.io `/account` sockets as `account.announcement`. It is not stored: people offline now do not receive it later.',
    request: { body: body(AnnouncementBodySchema.meta({ id: 'AnnouncementBody' })) },
    responses: { 202: ok('Sent to everyone connected', AnnouncementSchema.meta({ id: 'Announcement' })), ...errors(400, 401, 413, 415) },
  });
}

/** Builds the document: the room service, recordings and (from the whiteboard package) boards. */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: "The server's API token" });
  roomRoutes(registry);
  recordingRoutes(registry);
  announcementRoutes(registry);
  registerBoardsOpenApi(registry);
  registerAccountsOpenApi(registry);
  registerImOpenApi(registry);
  registerPushOpenApi(registry);
  registerChannelsOpenApi(registry);
  registerMomentsOpenApi(registry);
  registerFilesOpenApi(registry);
  myMeetingRoutes(registry);
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document (public: integrators read it before they hold a token)',
    tags: ['meta'],
    security: [],
    responses: { 200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Muster room service',
      version: '1.0.0',
      description:
        'Rooms, host controls, recordings, audit and boards for integrations and operators. Every call needs `Authorization: Bearer <token>` (the server\'s API token). Controls here run through the same implementation and audit log as the host controls in meetings; the API acts with every right. Errors are `{ error: { code, message } }` with a 4xx status, never a 500 for bad input.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
  });
}

/** Served at `/api/v1/openapi.json`. */
export const openApiDocument = buildOpenApiDocument();
