/**
 * What every domain's REST router shares: handlers that may be async, bodies
 * and queries parsed with zod into the domain's own BAD_REQUEST, and one
 * error handler that turns the domain's coded errors into
 * `{ error: { code, message } }` replies (with Retry-After and
 * WWW-Authenticate where they apply), a body parser's refusal into 413 or
 * 400, and anything else into a logged 500 that tells the client nothing.
 * Each domain keeps its own error class and codes; only the plumbing is here.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { zodMessage } from './gateway.ts';
import type { Logger } from './log.ts';

/** An error a domain throws on purpose: the reply's status, its stable code, a readable message. */
export interface CodedError {
  status: number;
  code: string;
  message: string;
  /** RATE_LIMITED, BUSY…: when to try again (seconds). */
  retryAfterSeconds?: number;
}

/** An async handler whose rejection goes to the router's error handler (Express 5 would too; this keeps it explicit). */
export const route =
  (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    handler(req, res).catch(next);
  };

/** `value` parsed by `schema`, or the error `refuse` makes of a message naming `what` (body, query…) and the problem. */
export function parseOr<S extends z.ZodType>(schema: S, value: unknown, what: string, refuse: (message: string) => Error): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw refuse(`${what}: ${zodMessage(result.error)}`);
  return result.data;
}

export interface CodedErrorsOptions {
  /** The domain, as the log line of an unexpected failure names it. */
  domain: string;
  logger: Logger;
  isCoded(error: unknown): error is CodedError;
  /** The domain's own reading of a body parser's refusal, asked first (channels: an article nested too deep is BAD_DOCUMENT). */
  parserError?(error: { type?: string; message?: string }, res: Response): { code: string; message: string } | undefined;
}

/** The error handler a domain's router ends with: coded replies for everything its routes throw, never a stack trace. */
export function codedErrors(options: CodedErrorsOptions): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    if (options.isCoded(error)) {
      if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
      if (error.status === 401) res.set('WWW-Authenticate', 'Bearer');
      return void res.status(error.status).json({ error: { code: error.code, message: error.message } });
    }
    const e = error as { status?: number; type?: string; message?: string };
    if (e.type === 'entity.too.large') return void res.status(413).json({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is too large' } });
    const own = options.parserError?.(e, res);
    if (own) return void res.status(400).json({ error: own });
    if (e.status && e.status >= 400 && e.status < 500) return void res.status(400).json({ error: { code: 'BAD_REQUEST', message: e.message ?? 'bad request' } });
    options.logger.error({ err: error, method: req.method, path: req.route?.path ?? req.path }, `${options.domain}: request failed`);
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  };
}
