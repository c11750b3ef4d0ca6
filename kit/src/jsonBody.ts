import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { jsonDepthWithin } from './jsonDepth.ts';

/** What the body parser's `verify` throws: the error handler answers with its status and code. */
class TooDeep extends Error {
  readonly status = 400;
  readonly type = 'entity.too.deep';
}

/** Deeper than any body of this API needs; shallow enough that nothing downstream recurses into a stack overflow. */
export const MAX_JSON_DEPTH = 32;

function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/**
 * The REST API's body parser: a request that carries a body must say it is
 * JSON (`Content-Type: application/json`), or it is refused with 415 instead
 * of being read as "no body" and acted on with defaults; the body is limited
 * in size (413) and in nesting depth (400, before it is parsed).
 */
export function jsonBody(options: { limit: string | number }): RequestHandler[] {
  const hasBody = (req: Request) => (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
  return [
    (req: Request, res: Response, next: NextFunction) => {
      if (hasBody(req) && !req.is('application/json')) {
        return refuse(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON, with Content-Type: application/json');
      }
      next();
    },
    // Checked on the raw bytes before JSON.parse: a deep body never reaches the parser or a schema.
    express.json({
      limit: options.limit,
      verify: (_req, _res, raw) => {
        if (!jsonDepthWithin(raw, MAX_JSON_DEPTH)) throw new TooDeep(`the body nests deeper than ${MAX_JSON_DEPTH} levels`);
      },
    }),
  ];
}
