import express, { type Request, type Router } from 'express';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Conversations } from '../domain/Conversations.ts';
import { ImError } from '../errors.ts';
import {
  ConversationListQuerySchema,
  EditMessageSchema,
  ForwardMessagesSchema,
  MessageIdSchema,
  MessagesQuerySchema,
  OpenConversationSchema,
  ReadSchema,
  SendMessageSchema,
} from '../protocol.ts';
import { conversationParam, imErrors, parse, route, who } from './routing.ts';

/** A malformed message id names no message of yours: NOT_FOUND, as a conversation's. */
function messageParam(req: Request): string {
  const id = MessageIdSchema.safeParse(req.params.messageId);
  if (!id.success) throw new ImError('NOT_FOUND', 'no such message');
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
  router.get('/conversations', route(async (req, res) => {
    const principal = who(req);
    // Hidden conversations (the person's setting) are left out unless asked for.
    res.json(await conversations.list(principal, { hidden: parse(ConversationListQuerySchema, req.query, 'query').hidden === '1' }));
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

  router.post('/conversations/:id/messages/:messageId/recall', json, route(async (req, res) => {
    const principal = who(req);
    const id = conversationParam(req);
    res.json(await conversations.recall(principal, id, messageParam(req)));
  }));
  router.patch('/conversations/:id/messages/:messageId', json, route(async (req, res) => {
    const principal = who(req);
    const id = conversationParam(req);
    const messageId = messageParam(req);
    res.json(await conversations.edit(principal, id, messageId, parse(EditMessageSchema, req.body).text));
  }));
  // "Delete for me": the message leaves this person's history on all of their devices.
  router.delete('/conversations/:id/messages/:messageId', route(async (req, res) => {
    const principal = who(req);
    const id = conversationParam(req);
    await conversations.hide(principal, id, [messageParam(req)]);
    res.status(204).end();
  }));
  router.get('/conversations/:id/messages/:messageId/readers', route(async (req, res) => {
    const principal = who(req);
    const id = conversationParam(req);
    res.json(await conversations.readers(principal, id, messageParam(req)));
  }));
  router.post('/conversations/:id/typing', json, route(async (req, res) => {
    const principal = who(req);
    await conversations.typing(principal, conversationParam(req));
    res.status(204).end();
  }));
  // 100 ids and 9 targets: a few KiB.
  router.post('/messages/forward', json, route(async (req, res) => {
    const principal = who(req);
    res.json(await conversations.forward(principal, parse(ForwardMessagesSchema, req.body)));
  }));

  router.use(imErrors(options.logger));
  return router;
}
