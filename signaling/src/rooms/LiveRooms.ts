import { z } from 'zod';
import { MeetingSettingsSchema, RoomIdSchema, type RoomInfo } from '../protocol.ts';

/** A live meeting as listings show it: what participants see of the room, when it opened, and how many are in it. */
export interface LiveRoomEntry extends RoomInfo {
  createdAt: number;
  participants: number;
}

/**
 * A LiveRoomEntry as it crosses processes (another app host's list, read
 * from Redis): checked like any input, so a bad entry is dropped, not shown.
 */
export const LiveRoomEntrySchema = z.object({
  id: RoomIdSchema,
  topic: z.string().max(500),
  locked: z.boolean(),
  lobby: z.boolean(),
  recording: z.boolean(),
  settings: MeetingSettingsSchema,
  startsAt: z.number().nullable(),
  hasPasscode: z.boolean(),
  createdAt: z.number(),
  participants: z.number().int().min(0),
});

/**
 * The live meetings other app hosts hold (several hosts; the server's
 * implementation publishes each app's in Redis). Listings (`GET /rooms`, "my
 * meetings") show them live, with their people, as they show this app's.
 */
export interface RemoteLiveRooms {
  /** Every other app's live meetings it knows of; [] when it cannot tell (the listing then shows this app's only). */
  list(): Promise<LiveRoomEntry[]>;
}
