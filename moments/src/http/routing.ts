import type { Request } from 'express';
import type { z } from 'zod';
import type { Principal } from '@muster/accounts';
import { codedErrors, parseOr } from '@muster/kit/coded-routes';
import type { Logger } from '@muster/kit/log';
import { MomentsError, isMomentsError } from '../errors.ts';
import { CommentIdSchema, MomentIdSchema, ReportIdSchema } from '../protocol.ts';

/** Set by the accounts router from the access token (see @muster/accounts readPrincipal). */
type SignedInRequest = Request & { principal?: Principal };

export function principalOf(req: Request): Principal | undefined {
  return (req as SignedInRequest).principal;
}

export function who(req: Request): Principal {
  const principal = principalOf(req);
  if (!principal) throw new MomentsError('UNAUTHORIZED', 'sign in: a valid access token is required');
  return principal;
}

export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  return parseOr(schema, value, what, (message) => new MomentsError('BAD_REQUEST', message));
}

/** An id in the path: a malformed one names nothing the caller may see, so NOT_FOUND as any other. */
function param(schema: z.ZodType<string>, value: unknown, what: string): string {
  const id = schema.safeParse(value);
  if (!id.success) throw new MomentsError('NOT_FOUND', `no such ${what}`);
  return id.data;
}

export const momentParam = (req: Request) => param(MomentIdSchema, req.params.id, 'post');
export const commentParam = (req: Request) => param(CommentIdSchema, req.params.commentId, 'comment');
export const reportParam = (req: Request) => param(ReportIdSchema, req.params.id, 'report');

export { route } from '@muster/kit/coded-routes';

/** Coded replies for everything the Moments routes throw; never a stack trace. */
export const momentsErrors = (logger: Logger) => codedErrors({ domain: 'moments', logger, isCoded: isMomentsError });
