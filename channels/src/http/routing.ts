import type { Request, RequestHandler } from 'express';
import type { z } from 'zod';
import type { Principal } from '@muster/accounts';
import { constantTimeEqual } from '@muster/kit/constant-time';
import { codedErrors, parseOr } from '@muster/kit/coded-routes';
import type { Logger } from '@muster/kit/log';
import { organisation, person, type Actor } from '../domain/Actor.ts';
import { ChannelsError, isChannelsError } from '../errors.ts';

/** Set by the accounts router from the access token (see @muster/accounts readPrincipal). */
type SignedInRequest = Request & { principal?: Principal };

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Who asks: the person whose access token the accounts router read, or the
 * organisation when the bearer is its API token (the accounts router lets a
 * token that is no access token through untouched). UNAUTHORIZED otherwise.
 */
export function actorOf(req: Request, apiToken: string | undefined): Actor {
  const principal = (req as SignedInRequest).principal;
  if (principal) return person(principal);
  const bearer = BEARER.exec(req.headers.authorization ?? '')?.[1];
  if (bearer !== undefined && apiToken !== undefined && apiToken.length > 0 && constantTimeEqual(bearer, apiToken)) return organisation;
  throw new ChannelsError('UNAUTHORIZED', 'sign in: a valid access token (or the organisation’s API token) is required');
}

export { route } from '@muster/kit/coded-routes';

export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  return parseOr(schema, value, what, (message) => new ChannelsError('BAD_REQUEST', message));
}

/** A path id of the right shape, or NOT_FOUND (an id that cannot exist names nothing you may see). */
export function idParam(schema: z.ZodType<string>, value: unknown, what: string): string {
  const result = schema.safeParse(value);
  if (!result.success) throw new ChannelsError('NOT_FOUND', `no such ${what}`);
  return result.data;
}

/** Marks a route whose body is an article: a body too deep to parse is a BAD_DOCUMENT there. */
export const documentBody: RequestHandler = (_req, res, next) => {
  res.locals.documentBody = true;
  next();
};

/** Coded replies for everything the routes throw; never a stack trace. An article's body too deep to parse is a BAD_DOCUMENT. */
export const channelsErrors = (logger: Logger) =>
  codedErrors({
    domain: 'channels',
    logger,
    isCoded: isChannelsError,
    parserError: (error, res) => (error.type === 'entity.too.deep' && res.locals.documentBody === true ? { code: 'BAD_DOCUMENT', message: `doc: ${error.message ?? 'nested too deep'}` } : undefined),
  });
