import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import type { Principal } from '@muster/accounts';
import { zodMessage } from '@muster/kit/gateway';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Contacts } from '../domain/Contacts.ts';
import { ImError, isImError } from '../errors.ts';
import { ContactQuerySchema, ContactRequestBodySchema, ContactUpdateSchema, UserIdSchema } from '../protocol.ts';

/** Set by the accounts router from the access token (see @muster/accounts readPrincipal). */
type SignedInRequest = Request & { principal?: Principal };

function who(req: Request): Principal {
  const principal = (req as SignedInRequest).principal;
  if (!principal) throw new ImError('UNAUTHORIZED', 'sign in: a valid access token is required');
  return principal;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new ImError('BAD_REQUEST', `${what}: ${zodMessage(result.error)}`);
  return result.data;
}

function userParam(req: Request, what: string): string {
  const id = UserIdSchema.safeParse(req.params.userId ?? req.params.id);
  if (!id.success) throw new ImError('NOT_FOUND', `no such ${what}`);
  return id.data;
}

const route =
  (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    handler(req, res).catch(next);
  };

/** The contacts routes under /api/v1 (a person's own token; anything not theirs is NOT_FOUND). */
export function contactsApi(contacts: Contacts, options: { logger: Logger }): Router {
  const router = express.Router();
  const json = jsonBody({ limit: '16kb' });

  router.post('/contacts/requests', json, route(async (req, res) => {
    const body = parse(ContactRequestBodySchema, req.body);
    res.status(201).json(await contacts.request(who(req), body.to, body.greeting));
  }));
  router.get('/contacts/requests', route(async (req, res) => {
    res.json(await contacts.requests(who(req)));
  }));
  for (const [action, accept] of [['accept', true], ['decline', false]] as const) {
    router.post(`/contacts/requests/:id/${action}`, json, route(async (req, res) => {
      const principal = who(req);
      const id = String(req.params.id ?? '');
      if (!/^fr[A-Za-z0-9_-]{10,40}$/.test(id)) throw new ImError('NOT_FOUND', 'no such request');
      await contacts.answer(principal, id, accept);
      res.status(204).end();
    }));
  }
  router.get('/contacts', route(async (req, res) => {
    const principal = who(req);
    res.json(await contacts.list(principal, parse(ContactQuerySchema, req.query, 'query').q));
  }));
  router.get('/contacts/blocked', route(async (req, res) => {
    res.json(await contacts.blocked(who(req)));
  }));
  router.put('/contacts/blocked/:userId', json, route(async (req, res) => {
    await contacts.block(who(req), userParam(req, 'user'));
    res.status(204).end();
  }));
  router.delete('/contacts/blocked/:userId', route(async (req, res) => {
    await contacts.unblock(who(req), userParam(req, 'user'));
    res.status(204).end();
  }));
  router.patch('/contacts/:userId', json, route(async (req, res) => {
    const principal = who(req);
    res.json(await contacts.update(principal, userParam(req, 'contact'), parse(ContactUpdateSchema, req.body)));
  }));
  router.delete('/contacts/:userId', route(async (req, res) => {
    await contacts.remove(who(req), userParam(req, 'contact'));
    res.status(204).end();
  }));

  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (isImError(error)) {
      if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
      res.status(error.status).json({ error: { code: error.code, message: error.message } });
      return;
    }
    const e = error as { status?: number; type?: string; message?: string };
    if (e.type === 'entity.too.large') return void res.status(413).json({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is too large' } });
    if (e.status && e.status >= 400 && e.status < 500) return void res.status(400).json({ error: { code: 'BAD_REQUEST', message: e.message ?? 'bad request' } });
    options.logger.error({ err: error, method: req.method, path: req.path }, 'im: request failed');
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  return router;
}
