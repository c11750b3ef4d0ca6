import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { Principal } from '@muster/accounts';
import { parseOr } from '@muster/kit/coded-routes';
import type { Logger } from '@muster/kit/log';
import { FilesError, isFilesError } from '../errors.ts';

/** Set by the accounts router from the access token (see @muster/accounts readPrincipal). */
export type SignedInRequest = Request & { principal?: Principal };

export function who(req: Request): Principal {
  const principal = (req as SignedInRequest).principal;
  if (!principal) throw new FilesError('UNAUTHORIZED', 'sign in: a valid access token is required');
  return principal;
}

export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  return parseOr(schema, value, what, (message) => new FilesError('BAD_REQUEST', message));
}

export { route } from '@muster/kit/coded-routes';

/**
 * Coded replies for everything the files routes throw; never a stack trace.
 * Not kit's codedErrors: a download may fail after its headers went out
 * (cut short then), and an error must not keep a download's headers.
 */
export function filesErrors(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      // A download that failed mid-stream: nothing more can be said than cutting it short.
      logger.warn({ err: error, method: req.method, path: req.path }, 'files: a reply failed after it started');
      res.destroy();
      return;
    }
    void next;
    // Error replies are JSON, whatever a download had set before failing.
    res.removeHeader('Content-Type');
    res.removeHeader('Content-Length');
    res.removeHeader('Content-Disposition');
    res.removeHeader('Content-Range');
    res.removeHeader('ETag');
    if (isFilesError(error)) {
      if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
      if (error.code === 'RANGE_NOT_SATISFIABLE' && (error as FilesError & { size?: number }).size !== undefined) res.set('Content-Range', `bytes */${(error as FilesError & { size?: number }).size}`);
      res.status(error.status).json({ error: { code: error.code, message: error.message } });
      return;
    }
    const e = error as { status?: number; type?: string; message?: string };
    if (e.type === 'entity.too.large') return void res.status(413).json({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is too large' } });
    if (e.status && e.status >= 400 && e.status < 500) return void res.status(400).json({ error: { code: 'BAD_REQUEST', message: e.message ?? 'bad request' } });
    // req.path only: a signed link's query (its signature) never goes into a line.
    logger.error({ err: error, method: req.method, path: req.path }, 'files: request failed');
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  };
}
