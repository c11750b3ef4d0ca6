import express, { type Router } from 'express';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Contacts } from '../domain/Contacts.ts';
import { ImError } from '../errors.ts';
import { ContactQuerySchema, ContactRequestBodySchema, ContactUpdateSchema } from '../protocol.ts';
import { imErrors, parse, route, userParam, who } from './routing.ts';

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

  router.use(imErrors(options.logger));
  return router;
}
