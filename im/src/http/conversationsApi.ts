import express, { type Request, type Router } from 'express';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Conversations } from '../domain/Conversations.ts';
import { ImError } from '../errors.ts';
import { ConversationIdSchema, CreateGroupSchema, MessagesQuerySchema, OpenConversationSchema, ReadSchema, SendMessageSchema } from '../protocol.ts';
import { imErrors, parse, route, who } from './routing.ts';

function conversationParam(req: Request): string {
  const id = ConversationIdSchema.safeParse(req.params.id);
  if (!id.success) throw new ImError('NOT_FOUND', 'no such conversation');
  return id.data;
}

/** Conversations and messages under /api/v1: only a member reaches a conversation; anyone else gets 404. */
export function conversationsApi(conversations: Conversations, options: { logger: Logger }): Router {
  const router = express.Router();
  // A 2048-byte text is at most ~8 KiB as JSON with escapes; 32 KiB leaves room for the rest.
  const json = jsonBody({ limit: '32kb' });

  router.post('/conversations', json, route(async (req, res) => {
    const body = parse(OpenConversationSchema, req.body);
    res.json(await conversations.openDirect(who(req), body.userId));
  }));
  // 999 ids of up to 64 characters: well under 128 KiB.
  router.post('/groups', jsonBody({ limit: '128kb' }), route(async (req, res) => {
    const principal = who(req);
    res.status(201).json(await conversations.createGroup(principal, parse(CreateGroupSchema, req.body)));
  }));
  router.get('/conversations', route(async (req, res) => {
    res.json(await conversations.list(who(req)));
  }));
  router.post('/conversations/:id/messages', json, route(async (req, res) => {
    const principal = who(req);
    const id = conversationParam(req);
    const body = parse(SendMessageSchema, req.body);
    const sent = await conversations.send(principal, id, body);
    // A retry is answered like the first send, with the first message's id and seq.
    res.status(sent.duplicate ? 200 : 201).json({ id: sent.id, seq: sent.seq, sentAt: sent.sentAt });
  }));
  router.get('/conversations/:id/messages', route(async (req, res) => {
    const principal = who(req);
    const id = conversationParam(req);
    res.json(await conversations.messages(principal, id, parse(MessagesQuerySchema, req.query, 'query')));
  }));
  router.post('/conversations/:id/read', json, route(async (req, res) => {
    const principal = who(req);
    const id = conversationParam(req);
    res.json(await conversations.markRead(principal, id, parse(ReadSchema, req.body).seq));
  }));

  router.use(imErrors(options.logger));
  return router;
}
