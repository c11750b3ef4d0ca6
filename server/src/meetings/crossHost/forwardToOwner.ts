import http from 'node:http';
import https from 'node:https';
import type { RequestHandler } from 'express';
import { constantTimeEqual } from '@muster/kit/constant-time';
import type { Logger } from '@muster/kit/log';
import { RoomIdSchema, type RoomManager } from '@muster/signaling';
import type { MeetingOwner, MeetingOwners } from './MeetingOwners.ts';

/** Set on a forwarded request: the app that receives it answers it itself, whatever it believes of the owner. */
export const FORWARDED_HEADER = 'x-muster-forwarded-by';
const TIMEOUT_MS = 15_000;
/** Meant for one connection, not passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

/** `/api/v1/rooms/<id>` and everything under it: the room service's calls on one meeting (Bearer API token). */
const ROOM_PATH = /^\/api\/v1\/rooms\/([^/?#]+)(?:[/?#]|$)/;
/** `/api/v1/me/meetings/<id>` (PATCH: topic, DELETE: end it): a signed-in owner's calls on a live meeting. */
const MY_MEETING_PATH = /^\/api\/v1\/me\/meetings\/([^/?#]+)(?:[?#]|$)/;

/**
 * The REST calls that act on a live meeting (host controls, the room's dump
 * and participants, topic and lock, end, recording start and stop), when
 * they reach an app that does not hold the meeting: forwarded over HTTP to
 * the app that does (its relay URL, the owner host's public port), with the
 * same method, path, headers and body, and the client's address in
 * X-Forwarded-For; its answer goes back as it came. A meeting live here, or
 * held by nobody, is answered here (stored meetings are in the shared
 * database); an owner that does not answer gets 503 and a retry.
 *
 * Only requests that would pass the route's own authentication are
 * forwarded (the API token for /rooms, a signed-in person for /me/meetings):
 * anything else is refused here, as it would be there, without a hop.
 */
export function forwardToOwner(options: { owners: MeetingOwners; rooms: RoomManager; apiToken: string; logger: Logger }): RequestHandler {
  const { owners, rooms, logger } = options;
  const target = (req: Parameters<RequestHandler>[0]): string | undefined => {
    if (req.headers[FORWARDED_HEADER] !== undefined) return undefined;
    const room = ROOM_PATH.exec(req.originalUrl);
    if (room) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      return bearer && constantTimeEqual(bearer[1]!, options.apiToken) ? room[1] : undefined;
    }
    const mine = MY_MEETING_PATH.exec(req.originalUrl);
    if (mine && (req.method === 'PATCH' || req.method === 'DELETE') && (req as { principal?: unknown }).principal) return mine[1];
    return undefined;
  };

  return (req, res, next) => {
    const raw = target(req);
    let id: string;
    try {
      id = decodeURIComponent(raw ?? '');
    } catch {
      return next();
    }
    if (!raw || !RoomIdSchema.safeParse(id).success) return next();
    const live = rooms.get(id);
    if (live && !live.closed) return next();
    const forward = (owner: MeetingOwner | null) => {
      if (!owner || owners.isSelf(owner) || owner.url === owners.self.url) return next();
      const url = new URL(req.originalUrl, owner.url);
      const headers: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
      // The client's address as this app believes it; the owner believes it when its TRUST_PROXY names this host.
      headers['x-forwarded-for'] = req.ip ?? req.socket.remoteAddress ?? '';
      headers[FORWARDED_HEADER] = owners.self.app;
      const upstream = (url.protocol === 'https:' ? https : http).request(url, { method: req.method, headers, timeout: TIMEOUT_MS }, (answer) => {
        res.status(answer.statusCode ?? 502);
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) res.setHeader(name, value);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      });
      upstream.on('timeout', () => upstream.destroy(new Error('the owner did not answer in time')));
      upstream.on('error', (error) => {
        logger.warn({ err: error, room: id, owner: owner.url, path: req.path }, 'a meeting request could not be forwarded to the app holding the meeting');
        if (res.headersSent) return void res.destroy();
        res.status(503).set('Retry-After', '1').json({ error: { code: 'UNAVAILABLE', message: 'the server holding this meeting did not answer; try again in a moment' } });
      });
      // The routes' body parsers come after this: the body is still unread, and goes on as it came.
      req.pipe(upstream);
    };
    owners.ownerOf(id).then(
      (owner) => {
        try {
          forward(owner);
        } catch (error) {
          next(error);
        }
      },
      // Redis away: answered here, as one host would.
      () => next(),
    );
  };
}
