/** The message operations (recall, edit, delete for me, readers, typing, forward) in the OpenAPI document (imOpenApi registers them with the rest of IM). */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { EditMessageSchema, ForwardedSchema, ForwardMessagesSchema, ImErrorSchema, MessageSchema, ReadersSchema } from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const none = (description: string) => ({ description });
const err = (description: string) => ({ description, content: json(ImErrorSchema) });
const E = {
  400: err('BAD_REQUEST: the body does not match the schema, or the message cannot take it (a system notice, a recalled or non-text message); TEXT_TOO_LONG: over 2048 bytes of UTF-8'),
  401: err('UNAUTHORIZED: no valid access token'),
  403: err('FORBIDDEN: not your message (and not a group you own or administer); REFUSED_BY_RECIPIENT: they blocked you'),
  404: err('NOT_FOUND: no such conversation of yours, or no such message in it'),
  409: err('RECALL_WINDOW_PASSED: your own message is older than the recall window (2 minutes by default)'),
  413: err('PAYLOAD_TOO_LARGE'),
  415: err('UNSUPPORTED_MEDIA_TYPE'),
} as const;
const errors = (...codes: (keyof typeof E)[]) => Object.fromEntries(codes.map((c) => [c, E[c]]));
/** Sends and forwards (both take a send slot, see SendBudget): imOpenApi's send route uses it too. */
export const BUSY_RESPONSE = err('BUSY: the server has as many sends in flight as it takes; nothing was stored. Retry after Retry-After (1 s) with the same clientMsgId');
const ConversationParams = z.object({ id: z.string().meta({ description: 'Conversation id' }) });
const MessageParams = ConversationParams.extend({ messageId: z.string().meta({ description: 'Message id' }) });

export function registerMessagesOpenApi(registry: OpenAPIRegistry): void {
  const route = (config: RouteConfig) => registry.registerPath({ tags: ['conversations'], security: [{ userToken: [] }], ...config });
  route({
    method: 'post', path: '/conversations/{id}/messages/{messageId}/recall', operationId: 'recallMessage',
    summary: 'Recall a message: your own within the recall window, or any in a group you own (an admin: a plain member’s). Its content is gone for everyone; members get im.changed',
    request: { params: MessageParams },
    responses: { 200: ok('The message as it is now (recalled)', MessageSchema), ...errors(400, 401, 403, 404, 409) },
  });
  route({
    method: 'patch', path: '/conversations/{id}/messages/{messageId}', operationId: 'editMessage',
    summary: 'Edit your own text message (not a recalled one): shown as edited; members get im.changed. Someone else’s message is FORBIDDEN',
    request: { params: MessageParams, body: { required: true, content: json(EditMessageSchema) } },
    responses: { 200: ok('The message as it is now', MessageSchema), ...errors(400, 401, 403, 404, 413, 415) },
  });
  route({
    method: 'delete', path: '/conversations/{id}/messages/{messageId}', operationId: 'hideMessage',
    summary: 'Delete for me: the message leaves your history on all of your devices (im.hidden to them); the others still see it',
    request: { params: MessageParams },
    responses: { 204: none('Hidden'), ...errors(401, 404) },
  });
  route({
    method: 'get', path: '/conversations/{id}/messages/{messageId}/readers', operationId: 'messageReaders',
    summary: 'Who has read your message ("read by N" in a group): members whose read pointer reached it, and the rest',
    request: { params: MessageParams },
    responses: { 200: ok('Readers', ReadersSchema), ...errors(401, 403, 404) },
  });
  route({
    method: 'post', path: '/conversations/{id}/typing', operationId: 'typing',
    summary: '"Typing…" to the other person of a one-to-one conversation (im.typing); at most one a second is passed on, the rest dropped',
    request: { params: ConversationParams },
    responses: { 204: none('Passed on (or dropped)'), ...errors(400, 401, 404) },
  });
  route({
    method: 'post', path: '/messages/forward', operationId: 'forwardMessages',
    summary: 'Forward up to 100 messages you see to up to 9 of your conversations, one by one or merged into one chat history; a retry with the same clientMsgId stores nothing new',
    request: { body: { required: true, content: json(ForwardMessagesSchema) } },
    responses: { 200: ok('What each conversation stored, or why it refused', ForwardedSchema), ...errors(400, 401, 404, 413, 415), 503: BUSY_RESPONSE },
  });
}
