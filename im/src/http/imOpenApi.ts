/** The IM routes in the OpenAPI document (server/src/http/openapi.ts adds them), from the zod schemas they parse with. */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { registerCallsOpenApi } from './callsOpenApi.ts';
import { registerSearchOpenApi } from './searchOpenApi.ts';
import { registerGroupsOpenApi } from './groupsOpenApi.ts';
import { BUSY_RESPONSE, registerMessagesOpenApi } from './messagesOpenApi.ts';
import { registerSyncOpenApi } from './syncOpenApi.ts';
import { registerExportOpenApi } from '../export/exportOpenApi.ts';
import { z } from 'zod';
import { PublicProfileSchema } from '@muster/accounts/protocol';
import {
  ContactRequestBodySchema,
  ContactRequestSchema,
  ContactSchema,
  ContactUpdateSchema,
  ConversationSchema,
  ImErrorSchema,
  MessageSchema,
  OpenConversationSchema,
  ReadSchema,
  SendMessageSchema,
  SentSchema,
} from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const none = (description: string) => ({ description });
const err = (description: string) => ({ description, content: json(ImErrorSchema) });
const E = {
  400: err('BAD_REQUEST: the body or query does not match the schema; TEXT_TOO_LONG: over 2048 bytes of UTF-8'),
  401: err('UNAUTHORIZED: no valid access token'),
  403: err('FORBIDDEN (a guest account) or REFUSED_BY_RECIPIENT (they blocked you; nothing was stored)'),
  404: err('NOT_FOUND: no such person, contact or request of yours'),
  409: err('ALREADY_CONTACTS, REQUEST_EXPIRED'),
  413: err('PAYLOAD_TOO_LARGE'),
  415: err('UNSUPPORTED_MEDIA_TYPE'),
  429: err('RATE_LIMITED: too many friend requests (Retry-After)'),
} as const;
const errors = (...codes: (keyof typeof E)[]) => Object.fromEntries(codes.map((c) => [c, E[c]]));
const UserParams = z.object({ userId: z.string() });

export function registerImOpenApi(registry: OpenAPIRegistry): void {
  registerCallsOpenApi(registry);
  registerSearchOpenApi(registry);
  registerGroupsOpenApi(registry);
  registerMessagesOpenApi(registry);
  registerSyncOpenApi(registry);
  registerExportOpenApi(registry);
  const route = (config: RouteConfig) => registry.registerPath({ tags: ['contacts'], security: [{ userToken: [] }], ...config });
  route({
    method: 'post', path: '/contacts/requests', operationId: 'sendContactRequest',
    summary: 'Ask someone to be your contact, with a greeting (it lapses after 30 days; asking someone who asked you accepts theirs)',
    request: { body: { required: true, content: json(ContactRequestBodySchema) } },
    responses: { 201: ok('Sent (or accepted)', z.object({ id: z.string(), state: z.enum(['pending', 'accepted']) })), ...errors(400, 401, 403, 404, 409, 413, 415, 429) },
  });
  route({ method: 'get', path: '/contacts/requests', operationId: 'listContactRequests', summary: '"New friends": requests to and from you, newest first', responses: { 200: ok('Requests', z.array(ContactRequestSchema)), ...errors(401) } });
  for (const action of ['accept', 'decline'] as const) {
    route({
      method: 'post', path: `/contacts/requests/{id}/${action}`, operationId: `${action}ContactRequest`,
      summary: action === 'accept' ? 'Accept a request made to you: you become each other’s contacts' : 'Decline a request made to you',
      request: { params: z.object({ id: z.string() }) },
      responses: { 204: none(action === 'accept' ? 'Accepted' : 'Declined'), ...errors(401, 404, 409) },
    });
  }
  route({
    method: 'get', path: '/contacts', operationId: 'listContacts',
    summary: 'Your contacts in pinyin order with their A–Z letter; q matches the remark or nickname, its full pinyin or initials ("zs" finds 张三)',
    request: { query: z.object({ q: z.string().optional() }) },
    responses: { 200: ok('Contacts', z.array(ContactSchema)), ...errors(400, 401) },
  });
  route({
    method: 'patch', path: '/contacts/{userId}', operationId: 'updateContact', summary: 'Your remark and tags for a contact (seen only by you)',
    request: { params: UserParams, body: { required: true, content: json(ContactUpdateSchema) } },
    responses: { 200: ok('The contact', ContactSchema), ...errors(400, 401, 404, 413, 415) },
  });
  route({ method: 'delete', path: '/contacts/{userId}', operationId: 'removeContact', summary: 'Remove a contact (on both sides)', request: { params: UserParams }, responses: { 204: none('Removed'), ...errors(401, 404) } });
  route({ method: 'get', path: '/contacts/blocked', operationId: 'listBlocked', summary: 'People you blocked', responses: { 200: ok('Blocked', z.array(PublicProfileSchema.extend({ since: z.number().int() }))), ...errors(401) } });
  route({
    method: 'put', path: '/contacts/blocked/{userId}', operationId: 'blockUser',
    summary: 'Block someone: their requests (and next their messages and calls) are refused with REFUSED_BY_RECIPIENT',
    request: { params: UserParams }, responses: { 204: none('Blocked'), ...errors(400, 401, 404) },
  });
  const talk = (config: RouteConfig) => registry.registerPath({ tags: ['conversations'], security: [{ userToken: [] }], ...config });
  const ConversationParams = z.object({ id: z.string().meta({ description: 'Conversation id' }) });
  talk({
    method: 'post', path: '/conversations', operationId: 'openConversation', summary: 'Open (or return) the one-to-one conversation with a contact',
    request: { body: { required: true, content: json(OpenConversationSchema) } },
    responses: { 200: ok('The conversation', ConversationSchema), ...errors(400, 401, 403, 404, 413, 415) },
  });
  talk({
    method: 'get', path: '/conversations', operationId: 'listConversations',
    summary: 'Your conversations, pinned first, then most recently active first, with unread counts and your settings of each; hidden ones only with hidden=1',
    request: { query: z.object({ hidden: z.enum(['0', '1']).optional().meta({ description: '1: include the conversations you hid' }) }) },
    responses: { 200: ok('Conversations', z.array(ConversationSchema)), ...errors(400, 401) },
  });
  talk({
    method: 'post', path: '/conversations/{id}/messages', operationId: 'sendMessage',
    summary: 'Send a text (at most 2048 bytes of UTF-8) or one emoji, maybe replying to a message of this conversation (replyTo: NOT_FOUND if it is not there) and @mentioning members; a retry with the same clientMsgId returns the first message (200) instead of storing another',
    request: { params: ConversationParams, body: { required: true, content: json(SendMessageSchema) } },
    responses: {
      201: ok('Stored under the next seq', SentSchema),
      200: ok('A retry: the message first stored', SentSchema),
      ...errors(400, 401, 403, 404, 413, 415),
      // Groups' send rules (Groups.checkSend): nothing is stored.
      403: err('REFUSED_BY_RECIPIENT (they blocked you); MUTED (you are muted in this group, or only its owner and admins may speak now); FORBIDDEN (@everyone is for the owner and admins). Nothing was stored'),
      410: err('GROUP_DISSOLVED: the group was dissolved; nobody sends in it any more'),
      503: BUSY_RESPONSE,
    },
  });
  talk({
    method: 'get', path: '/conversations/{id}/messages', operationId: 'listMessages',
    summary: 'Messages by seq: afterSeq (catching up, oldest first) and/or beforeSeq (paging back: the newest below it), limit ≤ 200 (50)',
    request: { params: ConversationParams, query: z.object({ afterSeq: z.string().optional(), beforeSeq: z.string().optional(), limit: z.string().optional() }) },
    responses: { 200: ok('Messages, oldest first', z.array(MessageSchema)), ...errors(400, 401, 404) },
  });
  talk({
    method: 'post', path: '/conversations/{id}/read', operationId: 'markRead', summary: 'Move your read pointer forward to seq (never back, never past the last message)',
    request: { params: ConversationParams, body: { required: true, content: json(ReadSchema) } },
    responses: { 200: ok('Your read pointer and unread count', z.object({ readSeq: z.number().int(), unread: z.number().int() })), ...errors(400, 401, 404, 413, 415) },
  });
  route({ method: 'delete', path: '/contacts/blocked/{userId}', operationId: 'unblockUser', summary: 'Unblock', request: { params: UserParams }, responses: { 204: none('Unblocked'), ...errors(401, 404) } });
}
