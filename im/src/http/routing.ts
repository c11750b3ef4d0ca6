import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Principal } from '@muster/accounts';
import { zodMessage } from '@muster/kit/gateway';
import type { Logger } from '@muster/kit/log';
import { ImError, isImError } from '../errors.ts';
import { ConversationIdSchema, UserIdSchema } from '../protocol.ts';

/** Set by the accounts router from the access token (see @muster/accounts readPrincipal). */
type SignedInRequest = Request & { principal?: Principal };

export function who(req: Request): Principal {
  const principal = (req as SignedInRequest).principal;
  if (!principal) throw new ImError('UNAUTHORIZED', 'sign in: a valid access token is required');
  return principal;
}

export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new ImError('BAD_REQUEST', `${what}: ${zodMessage(result.error)}`);
  return result.data;
}

/** The conversation id in the path; a malformed one names no conversation of yours: NOT_FOUND. */
export function conversationParam(req: Request): string {
  const id = ConversationIdSchema.safeParse(req.params.id);
  if (!id.success) throw new ImError('NOT_FOUND', 'no such conversation');
  return id.data;
}

export function userParam(req: Request, what: string): string {
  const id = UserIdSchema.safeParse(req.params.userId ?? req.params.id);
  if (!id.success) throw new ImError('NOT_FOUND', `no such ${what}`);
  return id.data;
}

export const route =
  (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    handler(req, res).catch(next);
  };

/** Coded replies for everything the IM routes throw; never a stack trace. */
export function imErrors(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (isImError(error)) {
      if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
      res.status(error.status).json({ error: { code: error.code, message: error.message } });
      return;
    }
    const e = error as { status?: number; type?: string; message?: string };
    if (e.type === 'entity.too.large') return void res.status(413).json({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is too large' } });
    if (e.status && e.status >= 400 && e.status < 500) return void res.status(400).json({ error: { code: 'BAD_REQUEST', message: e.message ?? 'bad request' } });
    logger.error({ err: error, method: req.method, path: req.path }, 'im: request failed');
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  };
}
