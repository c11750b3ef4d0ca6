import type { Request } from 'express';
import type { z } from 'zod';
import type { Principal } from '@muster/accounts';
import { codedErrors, parseOr } from '@muster/kit/coded-routes';
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
  return parseOr(schema, value, what, (message) => new ImError('BAD_REQUEST', message));
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

export { route } from '@muster/kit/coded-routes';

/** Coded replies for everything the IM routes throw; never a stack trace. */
export const imErrors = (logger: Logger) => codedErrors({ domain: 'im', logger, isCoded: isImError });
