import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Principal } from '@muster/accounts';
import type { Logger } from '@muster/kit/log';
import { PushError, isPushError } from '../errors.ts';

/** Set by the accounts router from the access token (see @muster/accounts readPrincipal). */
type SignedInRequest = Request & { principal?: Principal };

export function who(req: Request): Principal {
  const principal = (req as SignedInRequest).principal;
  if (!principal) throw new PushError('UNAUTHORIZED', 'sign in: a valid access token is required');
  return principal;
}

export const route =
  (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    handler(req, res).catch(next);
  };

/** Coded replies for everything the push routes throw; never a stack trace. */
export function pushErrors(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (isPushError(error)) return void res.status(error.status).json({ error: { code: error.code, message: error.message } });
    const e = error as { status?: number; type?: string; message?: string };
    if (e.type === 'entity.too.large') return void res.status(413).json({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is too large' } });
    if (e.status && e.status >= 400 && e.status < 500) return void res.status(400).json({ error: { code: 'BAD_REQUEST', message: e.message ?? 'bad request' } });
    logger.error({ err: error, method: req.method, path: req.path }, 'push: request failed');
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  };
}
