import express, { type Request, type Router } from 'express';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Calls } from '../domain/Calls.ts';
import { ImError } from '../errors.ts';
import { CallIdSchema, InviteToMeetingSchema, StartCallSchema } from '../callProtocol.ts';
import { imErrors, parse, route, who } from './routing.ts';

function callParam(req: Request): string {
  const id = CallIdSchema.safeParse(req.params.id);
  if (!id.success) throw new ImError('NOT_FOUND', 'no such call');
  return id.data;
}

/**
 * Calls under /api/v1: start one in a conversation of yours, answer,
 * decline, cancel, hang up, read its state; ring people into a meeting you
 * host. Another person's call (or one in a conversation you are not in) is 404.
 */
export function callsApi(calls: Calls, options: { logger: Logger }): Router {
  const router = express.Router();
  const json = jsonBody({ limit: '16kb' });

  router.post('/calls', json, route(async (req, res) => {
    const principal = who(req);
    res.status(201).json(await calls.start(principal, parse(StartCallSchema, req.body)));
  }));
  router.get('/calls', route(async (req, res) => {
    res.json(await calls.active(who(req)));
  }));
  router.get('/calls/:id', route(async (req, res) => {
    const principal = who(req);
    res.json(await calls.get(principal, callParam(req)));
  }));
  for (const action of ['accept', 'decline', 'cancel', 'hangup'] as const) {
    router.post(`/calls/:id/${action}`, json, route(async (req, res) => {
      const principal = who(req);
      res.json(await calls[action](principal, callParam(req)));
    }));
  }
  router.post('/me/meetings/:id/invite', json, route(async (req, res) => {
    const principal = who(req);
    const roomId = String(req.params.id ?? '');
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(roomId)) throw new ImError('NOT_FOUND', 'no such meeting of yours');
    res.status(201).json(await calls.inviteToMeeting(principal, roomId, parse(InviteToMeetingSchema, req.body)));
  }));

  router.use(imErrors(options.logger));
  return router;
}
