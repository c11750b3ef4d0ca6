import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { zodMessage } from '@muster/kit/gateway';
import type { Actor } from '../controls/RoomControls.ts';
import {
  MeetingSettingsSchema,
  MusterError,
  PasscodeSchema,
  RoomIdSchema,
  RoomUpdateSchema,
  TopicSchema,
  VideoQualitySchema,
  type ErrorCode,
  type RoomInfo,
} from '../protocol.ts';
import type { MeetingConfig } from '../rooms/MeetingStore.ts';
import type { Room } from '../rooms/Room.ts';
import { newMeetingConfig, type RoomManager } from '../rooms/RoomManager.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'http' });

export const ParticipantIdSchema = z.string().min(1).max(64);
const KindSchema = z.enum(['audio', 'video']);
/** A data message is for small signals between an integration and clients, not for files. */
const MAX_DATA_BYTES = 16 * 1024;

export const CreateRoomSchema = z
  .object({
    id: RoomIdSchema.optional(),
    topic: TopicSchema.optional(),
    /** ms since epoch, or an ISO 8601 date-time. */
    startsAt: z.union([z.number().int().nonnegative().max(8.64e15), z.iso.datetime({ offset: true })]).optional(),
    passcode: PasscodeSchema.optional(),
    lobby: z.boolean().optional(),
    locked: z.boolean().optional(),
    settings: MeetingSettingsSchema.partial().strict().optional(),
  })
  .strict();
export const MuteBodySchema = z.object({ kind: KindSchema }).strict();
export const VideoQualityBodySchema = z.object({ quality: VideoQualitySchema }).strict();
export const MuteAllBodySchema = z.object({ kind: KindSchema, allowUnmute: z.boolean() }).strict();
export const DataBodySchema = z
  .object({
    data: z.unknown().refine((v) => v !== undefined, 'data is required'),
    topic: z.string().min(1).max(64).optional(),
    /** Participant ids; everyone when absent. */
    to: z.array(ParticipantIdSchema).min(1).max(1000).optional(),
  })
  .strict();
export const BanQuerySchema = z.object({ ban: z.enum(['true', 'false']).optional() }).loose();

const API: Actor = { type: 'api' };

const STATUS: Partial<Record<ErrorCode | 'CONFLICT' | 'UNAUTHORIZED', number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  BAD_STATE: 409,
  LOCKED: 409,
  PAYLOAD_TOO_LARGE: 413,
  MEDIA_UNAVAILABLE: 503,
};

export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode | 'CONFLICT' | 'UNAUTHORIZED',
    message: string,
  ) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what = 'body'): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError('BAD_REQUEST', `${what}: ${zodMessage(result.error)}`);
  return result.data;
}

/** Wraps a route: coded errors become their status; anything else is a logged 500 with no detail. */
export function route(handler: (req: Request, res: Response) => unknown): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    try {
      const body = await handler(req, res);
      if (!res.headersSent) res.json(body);
    } catch (error) {
      if (error instanceof HttpError || error instanceof MusterError) {
        res.status(STATUS[error.code] ?? 400).json({ error: { code: error.code, message: error.message } });
        return;
      }
      log.error({ err: error, method: req.method, path: req.path }, 'room API failed');
      res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
    }
  };
}

function meetingView(config: MeetingConfig): RoomInfo & { createdAt: number; live: false; participants: 0 } {
  return {
    id: config.id,
    topic: config.topic,
    locked: config.locked,
    lobby: config.lobby,
    recording: false,
    settings: config.settings,
    startsAt: config.startsAt,
    hasPasscode: config.passcode !== null,
    createdAt: config.createdAt,
    live: false,
    participants: 0,
  };
}

/**
 * `/api/v1/rooms`: the room service for integrations and operators. Every
 * control goes through `RoomControls`, the same code (and checks, and audit)
 * as the socket protocol; the API acts with every right.
 */
export function roomsApi(rooms: RoomManager): Router {
  const router = express.Router();

  const roomId = (req: Request) => parse(RoomIdSchema, req.params.id, 'room id');
  const liveRoom = async (req: Request): Promise<Room> => {
    const id = roomId(req);
    const room = rooms.get(id);
    if (!room || room.closed) throw new HttpError('NOT_FOUND', (await rooms.meetings.get(id)) ? `room ${id} has nobody in it yet` : `no room ${id}`);
    return room;
  };
  const participantId = (req: Request) => parse(ParticipantIdSchema, req.params.pid, 'participant id');

  router.get(
    '/rooms',
    route(async () => {
      const stored = await rooms.meetings.list();
      // Live anywhere: this app's meetings and, with several app hosts, the others'.
      const live = (await rooms.liveEverywhere()).map((room) => ({ ...room, live: true }));
      const liveIds = new Set(live.map((r) => r.id));
      const scheduled = stored
        .filter((c) => !liveIds.has(c.id))
        .map(meetingView);
      return [...live, ...scheduled];
    }),
  );

  router.post(
    '/rooms',
    route(async (req, res) => {
      const body = parse(CreateRoomSchema, req.body ?? {});
      const id = body.id ?? `m${randomBytes(6).toString('hex')}`;
      if (rooms.get(id) || (await rooms.meetings.get(id))) throw new HttpError('CONFLICT', `room ${id} already exists`);
      const config = newMeetingConfig(id, {
        topic: body.topic ?? id,
        startsAt: body.startsAt === undefined ? null : typeof body.startsAt === 'number' ? body.startsAt : Date.parse(body.startsAt),
        passcode: body.passcode ?? null,
        lobby: body.lobby ?? false,
        locked: body.locked ?? false,
        settings: { ...newMeetingConfig(id).settings, ...body.settings },
        persistent: true,
      });
      await rooms.meetings.put(config);
      const path = `/m/${encodeURIComponent(id)}`;
      res.status(201);
      return {
        ...meetingView(config),
        hostKey: config.hostKey,
        links: {
          host: `${path}?key=${encodeURIComponent(config.hostKey)}`,
          participant: `${path}?invite=${encodeURIComponent(rooms.tokens.issueInvite({ room: id, role: 'participant' }))}`,
        },
      };
    }),
  );

  router.get(
    '/rooms/:id',
    route(async (req) => {
      const id = roomId(req);
      const room = rooms.get(id);
      // With the media worker's view: codecs, SVC layers and bitrates, consumer layers and bandwidth.
      if (room && !room.closed) return room.dumpWithMedia();
      const config = await rooms.meetings.get(id);
      if (config) return { ...meetingView(config), participants: [] };
      throw new HttpError('NOT_FOUND', `no room ${id}`);
    }),
  );

  router.patch(
    '/rooms/:id',
    route(async (req) => {
      const id = roomId(req);
      const update = parse(RoomUpdateSchema, req.body ?? {});
      const room = rooms.get(id);
      if (room && !room.closed) return (await rooms.controls.execute(room, API, 'room.update', update)).room;
      const config = await rooms.meetings.get(id);
      if (!config) throw new HttpError('NOT_FOUND', `no room ${id}`);
      const next: MeetingConfig = {
        ...config,
        topic: update.topic ?? config.topic,
        locked: update.locked ?? config.locked,
        lobby: update.lobby ?? config.lobby,
        settings: { ...config.settings, ...update.settings },
      };
      await rooms.meetings.put(next);
      return meetingView(next);
    }),
  );

  router.delete(
    '/rooms/:id',
    route(async (req) => {
      const id = roomId(req);
      const room = rooms.get(id);
      const scheduled = await rooms.meetings.delete(id);
      if (room && !room.closed) await rooms.controls.execute(room, API, 'room.end', {});
      else if (!scheduled) throw new HttpError('NOT_FOUND', `no room ${id}`);
      return { id, ended: true };
    }),
  );

  router.get(
    '/rooms/:id/participants',
    route(async (req) => {
      const room = await liveRoom(req);
      return [...room.participants.values()].map((p) => ({ ...p.info(), connected: p.connected }));
    }),
  );

  router.post(
    '/rooms/:id/participants/:pid/mute',
    route(async (req) => {
      const room = await liveRoom(req);
      const { kind } = parse(MuteBodySchema, req.body ?? {});
      await rooms.controls.execute(room, API, 'participant.mute', { participantId: participantId(req), kind });
      return { muted: true };
    }),
  );

  router.post(
    '/rooms/:id/participants/:pid/video-quality',
    route(async (req) => {
      const room = await liveRoom(req);
      const { quality } = parse(VideoQualityBodySchema, req.body ?? {});
      const id = participantId(req);
      await rooms.controls.execute(room, API, 'participant.setVideoQuality', { participantId: id, quality });
      return { participantId: id, videoQuality: quality };
    }),
  );

  router.delete(
    '/rooms/:id/participants/:pid',
    route(async (req) => {
      const room = await liveRoom(req);
      const { ban } = parse(BanQuerySchema, req.query, 'query');
      await rooms.controls.execute(room, API, 'participant.remove', { participantId: participantId(req), ban: ban === 'true' });
      return { removed: true, banned: ban === 'true' };
    }),
  );

  router.post(
    '/rooms/:id/mute-all',
    route(async (req) => {
      const room = await liveRoom(req);
      const body = parse(MuteAllBodySchema, req.body ?? {});
      return rooms.controls.execute(room, API, 'room.muteAll', body);
    }),
  );

  router.post(
    '/rooms/:id/data',
    route(async (req) => {
      const room = await liveRoom(req);
      const body = parse(DataBodySchema, req.body ?? {});
      if (Buffer.byteLength(JSON.stringify(body.data)) > MAX_DATA_BYTES) throw new HttpError('PAYLOAD_TOO_LARGE', `data is limited to ${MAX_DATA_BYTES} bytes`);
      return rooms.controls.sendData(room, body.data, body.topic ?? null, body.to ?? null);
    }),
  );

  router.get(
    '/rooms/:id/audit',
    route((req) => {
      const id = roomId(req);
      const audit = rooms.auditOf(id);
      if (!audit) throw new HttpError('NOT_FOUND', `no audit log for room ${id}`);
      return audit;
    }),
  );

  return router;
}
