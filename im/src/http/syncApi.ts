import express, { type Router } from 'express';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Im } from '../Im.ts';
import {
  ConversationSettingsUpdateSchema,
  DEFAULT_SYNC_TIMEOUT,
  DraftSchema,
  ImSettingsUpdateSchema,
  PresenceQuerySchema,
  SyncQuerySchema,
} from '../protocol.ts';
import { conversationParam, imErrors, parse, route, who } from './routing.ts';

/**
 * The sync long-poll, a person's conversation settings and drafts, their IM
 * privacy settings, and their contacts' presence, under /api/v1.
 */
export function syncApi(im: Im, options: { logger: Logger }): Router {
  const router = express.Router();
  // A draft is at most 2048 bytes of text: ~8 KiB as JSON with escapes.
  const json = jsonBody({ limit: '32kb' });

  router.get('/sync', route(async (req, res) => {
    const principal = who(req);
    const query = parse(SyncQuerySchema, req.query, 'query');
    // Without `since` it is the current state at once; with it, a wait of up to `timeout` when nothing is new.
    res.set('Cache-Control', 'no-store');
    // A client that hangs up stops the wait (the response's close before it finished: the connection went).
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const reply = await im.sync.sync(principal, query.since, query.since === undefined ? 0 : (query.timeout ?? DEFAULT_SYNC_TIMEOUT), gone.signal);
    if (!gone.signal.aborted) res.json(reply);
  }));

  router.get('/conversations/:id/settings', route(async (req, res) => {
    const principal = who(req);
    res.json(await im.prefs.get(principal, conversationParam(req)));
  }));
  router.patch('/conversations/:id/settings', json, route(async (req, res) => {
    const principal = who(req);
    const id = conversationParam(req);
    res.json(await im.prefs.update(principal, id, parse(ConversationSettingsUpdateSchema, req.body)));
  }));
  router.put('/conversations/:id/draft', json, route(async (req, res) => {
    const principal = who(req);
    const id = conversationParam(req);
    res.json(await im.prefs.setDraft(principal, id, parse(DraftSchema, req.body).text));
  }));

  router.get('/me/im-settings', route(async (req, res) => {
    res.json(await im.privacy.get(who(req)));
  }));
  router.patch('/me/im-settings', json, route(async (req, res) => {
    const principal = who(req);
    res.json(await im.privacy.update(principal, parse(ImSettingsUpdateSchema, req.body)));
  }));

  router.get('/presence', route(async (req, res) => {
    const principal = who(req);
    res.json(await im.presence.of(principal, parse(PresenceQuerySchema, req.query, 'query').ids));
  }));

  router.use(imErrors(options.logger));
  return router;
}
