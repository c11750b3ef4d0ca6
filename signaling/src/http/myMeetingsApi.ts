import { randomBytes } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../controls/RoomControls.ts';
import type { RoomRecorder } from '../controls/RoomRecorder.ts';
import { PasscodeSchema, RoomIdSchema, TopicSchema } from '../protocol.ts';
import { userIdentity } from '../rooms/admission.ts';
import type { LiveRoomEntry } from '../rooms/LiveRooms.ts';
import type { MeetingConfig } from '../rooms/MeetingStore.ts';
import { newMeetingConfig, type RoomManager } from '../rooms/RoomManager.ts';
import { HttpError, route } from './roomsApi.ts';

/** ms since epoch, or an ISO 8601 date-time. */
const StartsAtSchema = z.union([z.number().int().nonnegative().max(8.64e15), z.iso.datetime({ offset: true })]);

export const ScheduleMeetingSchema = z
  .object({
    topic: TopicSchema,
    startsAt: StartsAtSchema.optional(),
    passcode: PasscodeSchema.nullable().optional(),
    lobby: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'ScheduleMeeting' });
export const MyMeetingUpdateSchema = z.object({ topic: TopicSchema }).strict().meta({ id: 'MyMeetingUpdate' });

export const MyMeetingSchema = z
  .object({
    id: z.string(),
    topic: z.string(),
    startsAt: z.number().int().nullable(),
    createdAt: z.number().int(),
    live: z.boolean(),
    participants: z.number().int().nonnegative(),
    hasPasscode: z.boolean(),
    lobby: z.boolean(),
    link: z.string().meta({ description: 'The meeting’s path; its owner hosts it from any device, signed in' }),
  })
  .meta({ id: 'MyMeeting' });
export type MyMeeting = z.infer<typeof MyMeetingSchema>;

export const MyRecordingSchema = z
  .object({
    id: z.string(),
    roomId: z.string(),
    topic: z.string().nullable().meta({ description: "The meeting's topic now (null when the meeting is no longer kept)" }),
    startedAt: z.number().int(),
    durationMs: z.number().int().nullable(),
    state: z.string(),
    download: z.string().nullable().meta({ description: 'A signed link to the composite, valid ten minutes; null until it is ready' }),
  })
  .meta({ id: 'MyRecording' });

export const MyMeetingsSchema = z
  .object({
    scheduled: z.array(MyMeetingSchema).meta({ description: 'Meetings with a start time that has not long passed, soonest first' }),
    recent: z.array(MyMeetingSchema).meta({ description: 'The others: live ones first, then the newest (at most 100)' }),
    recordings: z.array(MyRecordingSchema).meta({ description: 'Recordings of sessions you hosted, newest first (at most 100)' }),
  })
  .meta({ id: 'MyMeetings' });

/** The newest this many recent meetings and recordings are listed (scheduled ones all are). */
const MAX_LISTED = 100;
/** A scheduled meeting counts as upcoming until this long after its start. */
const SCHEDULED_GRACE_MS = 2 * 3600_000;

/** Who is asking: set by the accounts layer from the Bearer access token (see @muster/accounts readPrincipal). */
type SignedInRequest = Request & { principal?: { accountId: string } };

function accountOf(req: Request): string {
  const principal = (req as SignedInRequest).principal;
  if (!principal) throw new HttpError('UNAUTHORIZED', 'sign in: a valid access token is required');
  return principal.accountId;
}

/**
 * "My meetings" for a signed-in person: the meetings they own (scheduled,
 * or opened while signed in), with their topics editable, and the
 * recordings of sessions they hosted. Another person's meeting is NOT_FOUND.
 */
export function myMeetingsApi(rooms: RoomManager, recorder: RoomRecorder): Router {
  const router = express.Router();

  /** `live`: the meetings live anywhere (this app's and, with several app hosts, the others'), by id. */
  const view = (config: MeetingConfig, live: ReadonlyMap<string, LiveRoomEntry>): MyMeeting => {
    const room = live.get(config.id);
    return {
      id: config.id,
      topic: room ? room.topic : config.topic,
      startsAt: config.startsAt,
      createdAt: config.createdAt,
      live: !!room,
      participants: room ? room.participants : 0,
      hasPasscode: config.passcode !== null,
      lobby: room ? room.lobby : config.lobby,
      link: `/m/${encodeURIComponent(config.id)}`,
    };
  };
  const liveNow = async () => new Map((await rooms.liveEverywhere()).map((room) => [room.id, room]));

  const owned = async (req: Request): Promise<MeetingConfig> => {
    const accountId = accountOf(req);
    const id = RoomIdSchema.safeParse(req.params.id);
    const config = id.success ? await rooms.meetings.get(id.data) : undefined;
    if (!config || config.ownerId !== accountId) throw new HttpError('NOT_FOUND', 'no such meeting of yours');
    return config;
  };

  router.get(
    '/me/meetings',
    route(async (req) => {
      const accountId = accountOf(req);
      const now = Date.now();
      const live = await liveNow();
      const mine = (await rooms.meetings.listOwnedBy(accountId)).map((config) => view(config, live));
      const scheduled = mine.filter((m) => m.startsAt !== null && m.startsAt + SCHEDULED_GRACE_MS > now && !m.live).sort((a, b) => a.startsAt! - b.startsAt!);
      const upcoming = new Set(scheduled.map((m) => m.id));
      const recent = mine
        .filter((m) => !upcoming.has(m.id))
        .sort((a, b) => Number(b.live) - Number(a.live) || b.createdAt - a.createdAt)
        .slice(0, MAX_LISTED);
      const topics = new Map(mine.map((m) => [m.id, m.topic]));
      const recordings = (await recorder.hostedBy(userIdentity(accountId)))
        .sort((a, b) => b.startedAt - a.startedAt)
        .slice(0, MAX_LISTED)
        .map((r) => ({ id: r.id, roomId: r.roomId, topic: topics.get(r.roomId) ?? null, startedAt: r.startedAt, durationMs: r.durationMs, state: r.state, download: r.downloadUrl }));
      return { scheduled, recent, recordings };
    }),
  );

  router.post(
    '/me/meetings',
    route(async (req, res) => {
      const ownerId = accountOf(req);
      const body = ScheduleMeetingSchema.safeParse(req.body ?? {});
      if (!body.success) throw new HttpError('BAD_REQUEST', `body: ${body.error.issues[0]?.path.join('.') ?? ''} ${body.error.issues[0]?.message ?? 'invalid'}`.trim());
      const id = `m${randomBytes(6).toString('hex')}`;
      const { topic, startsAt, passcode, lobby } = body.data;
      const config = newMeetingConfig(id, {
        topic,
        startsAt: startsAt === undefined ? null : typeof startsAt === 'number' ? startsAt : Date.parse(startsAt),
        passcode: passcode ?? null,
        lobby: lobby ?? false,
        persistent: true,
        ownerId,
      });
      await rooms.meetings.put(config);
      res.status(201);
      return view(config, new Map());
    }),
  );

  router.patch(
    '/me/meetings/:id',
    route(async (req) => {
      const config = await owned(req);
      const body = MyMeetingUpdateSchema.safeParse(req.body ?? {});
      if (!body.success) throw new HttpError('BAD_REQUEST', `body: ${body.error.issues[0]?.message ?? 'invalid'}`);
      const next = { ...config, topic: body.data.topic };
      await rooms.meetings.put(next);
      // In a running meeting everyone sees the new topic at once.
      const room = rooms.get(config.id);
      const owner: Actor = { type: 'api' };
      if (room && !room.closed) await rooms.controls.execute(room, owner, 'room.update', { topic: body.data.topic });
      return view(next, await liveNow());
    }),
  );

  router.delete(
    '/me/meetings/:id',
    route(async (req, res) => {
      const config = await owned(req);
      const room = rooms.get(config.id);
      if (room && !room.closed) await rooms.controls.execute(room, { type: 'api' }, 'room.end', {});
      await rooms.meetings.delete(config.id);
      res.status(204).end();
    }),
  );

  return router;
}
