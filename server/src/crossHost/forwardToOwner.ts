import http from 'node:http';
import https from 'node:https';
import type { Request, RequestHandler } from 'express';
import { constantTimeEqual } from '@muster/kit/constant-time';
import type { Logger } from '@muster/kit/log';
import type { Owner } from './Owners.ts';

/** Set on a forwarded request: the app that receives it answers it itself, whatever it believes of the owner. */
export const FORWARDED_HEADER = 'x-muster-forwarded-by';
const TIMEOUT_MS = 15_000;
/** Meant for one connection, not passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

/**
 * Which app holds what a request acts on, for forwardToOwner: Owners (a live
 * meeting or board, claimed in Redis), or another directory (the host whose
 * disk holds a recording's files).
 */
export interface OwnerDirectory {
  readonly self: Owner;
  /** What is held, in log lines and answers ("meeting", "board", "recording"). */
  readonly kind: string;
  isSelf(owner: Owner): boolean;
  /** The app holding it, or null when nobody does (answered here). */
  ownerOf(id: string): Promise<Owner | null>;
}

/** Which REST requests act on something live that one app holds (a meeting, a board), for forwardToOwner. */
export interface OwnedRequests {
  /**
   * The id the request acts on (decoded and valid), when it is one to
   * forward: only requests that would pass the route's own authentication
   * (anything else is refused here, as it would be there, without a hop).
   */
  target(req: Request): string | undefined;
  /** Live here: answered here without asking Redis. */
  live(id: string): boolean;
  /** Held by nobody: answered here, once this is done (a board drops a copy it kept: the store is the truth). */
  unheld?(id: string): Promise<void>;
}

/**
 * The REST calls that act on something live (a meeting's host controls, its
 * dump and participants, topic and lock, end, recording start and stop; a
 * board's export and import), when they reach an app that does not hold it:
 * forwarded over HTTP to the app that does (its relay URL, the owner host's
 * public port), with the same method, path, headers and body, and the
 * client's address in X-Forwarded-For; its answer goes back as it came.
 * Something live here, or held by nobody, is answered here (what is stored is
 * in the shared database); an owner that does not answer gets 503 and a retry.
 */
export function forwardToOwner(options: { owners: OwnerDirectory; requests: OwnedRequests; logger: Logger }): RequestHandler {
  const { owners, requests, logger } = options;
  return (req, res, next) => {
    const id = req.headers[FORWARDED_HEADER] === undefined ? requests.target(req) : undefined;
    if (id === undefined || requests.live(id)) return next();
    const forward = (owner: Owner | null) => {
      if (!owner || owners.isSelf(owner) || owner.url === owners.self.url) {
        if (owner || !requests.unheld) return next();
        return void requests.unheld(id).then(() => next(), next);
      }
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
        logger.warn({ err: error, [owners.kind]: id, owner: owner.url, path: req.path }, `a ${owners.kind} request could not be forwarded to the app holding the ${owners.kind}`);
        if (res.headersSent) return void res.destroy();
        res.status(503).set('Retry-After', '1').json({ error: { code: 'UNAVAILABLE', message: `the server holding this ${owners.kind} did not answer; try again in a moment` } });
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

/** The id in the first group of `path` matched against the request's URL, decoded, if `valid`. */
export function idInPath(req: Request, path: RegExp, valid: (id: string) => boolean): string | undefined {
  const raw = path.exec(req.originalUrl)?.[1];
  if (!raw) return undefined;
  try {
    const id = decodeURIComponent(raw);
    return valid(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the request carries the REST API's Bearer token (the routes check it again). */
export function hasApiToken(req: Request, apiToken: string): boolean {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return !!bearer && constantTimeEqual(bearer[1]!, apiToken);
}
