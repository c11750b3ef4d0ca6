import express, { type Router } from 'express';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Push } from '../Push.ts';
import { pushErrors, route, who } from './routing.ts';

/**
 * The push routes under /api/v1, each for the signed-in person (the
 * accounts router in front has read their access token): the VAPID public
 * key, their push subscriptions, their notification settings.
 */
export function pushApi(push: Push, options: { logger: Logger }): Router {
  const router = express.Router();
  // A subscription is an endpoint URL (≤ 2 KiB) and two short keys.
  const json = jsonBody({ limit: '16kb' });

  router.get('/push/vapid-key', route(async (req, res) => {
    who(req);
    res.set('Cache-Control', 'no-cache').json({ publicKey: push.vapidPublicKey });
  }));

  router.post('/push/subscriptions', json, route(async (req, res) => {
    const principal = who(req);
    const { id } = await push.subscriptions.subscribe(principal, req.body);
    res.status(201).json({ id });
  }));
  router.get('/push/subscriptions', route(async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await push.subscriptions.list(who(req)));
  }));
  router.delete('/push/subscriptions/:id', route(async (req, res) => {
    const principal = who(req);
    await push.subscriptions.remove(principal, String(req.params.id));
    res.status(204).end();
  }));

  router.get('/me/notifications', route(async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await push.settings.get(who(req)));
  }));
  router.put('/me/notifications', json, route(async (req, res) => {
    const principal = who(req);
    res.json(await push.settings.put(principal, req.body));
  }));

  router.use(pushErrors(options.logger));
  return router;
}
