import type { Request } from 'express';
import { RoomIdSchema, type RoomManager } from '@muster/signaling';
import { hasApiToken, idInPath, type OwnedRequests } from '../../crossHost/forwardToOwner.ts';

/** `/api/v1/rooms/<id>` and everything under it: the room service's calls on one meeting (Bearer API token). */
const ROOM_PATH = /^\/api\/v1\/rooms\/([^/?#]+)(?:[/?#]|$)/;
/** `/api/v1/me/meetings/<id>` (PATCH: topic, DELETE: end it): a signed-in owner's calls on a live meeting. */
const MY_MEETING_PATH = /^\/api\/v1\/me\/meetings\/([^/?#]+)(?:[?#]|$)/;

/**
 * The REST calls on a live meeting that forwardToOwner carries to the app
 * holding it: the room service's (with the API token) and a signed-in
 * owner's PATCH and DELETE of /me/meetings/<id>.
 */
export function meetingRequests(rooms: RoomManager, apiToken: string): OwnedRequests {
  const valid = (id: string) => RoomIdSchema.safeParse(id).success;
  return {
    target: (req: Request) => {
      if (ROOM_PATH.test(req.originalUrl)) return hasApiToken(req, apiToken) ? idInPath(req, ROOM_PATH, valid) : undefined;
      if ((req.method === 'PATCH' || req.method === 'DELETE') && (req as { principal?: unknown }).principal) return idInPath(req, MY_MEETING_PATH, valid);
      return undefined;
    },
    live: (id) => {
      const room = rooms.get(id);
      return !!room && !room.closed;
    },
  };
}
