import type { Request } from 'express';
import type { Principal } from '@muster/accounts';
import { codedErrors } from '@muster/kit/coded-routes';
import type { Logger } from '@muster/kit/log';
import { PushError, isPushError } from '../errors.ts';

/** Set by the accounts router from the access token (see @muster/accounts readPrincipal). */
type SignedInRequest = Request & { principal?: Principal };

export function who(req: Request): Principal {
  const principal = (req as SignedInRequest).principal;
  if (!principal) throw new PushError('UNAUTHORIZED', 'sign in: a valid access token is required');
  return principal;
}

export { route } from '@muster/kit/coded-routes';

/** Coded replies for everything the push routes throw; never a stack trace. */
export const pushErrors = (logger: Logger) => codedErrors({ domain: 'push', logger, isCoded: isPushError });
