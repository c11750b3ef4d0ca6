/** The sync, conversation settings, drafts, IM privacy settings and presence in the OpenAPI document (registered by imOpenApi.ts). */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  ConversationSettingsSchema,
  ConversationSettingsUpdateSchema,
  DEFAULT_SYNC_TIMEOUT,
  DraftSchema,
  ImErrorSchema,
  ImSettingsSchema,
  ImSettingsUpdateSchema,
  MAX_PRESENCE_IDS,
  MAX_SYNC_MESSAGES,
  MAX_SYNC_TIMEOUT,
  PresenceSchema,
  SyncReplySchema,
} from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const err = (description: string) => ({ description, content: json(ImErrorSchema) });
const E = {
  400: err('BAD_REQUEST: the body or query does not match the schema; TEXT_TOO_LONG: a draft over 2048 bytes of UTF-8'),
  401: err('UNAUTHORIZED: no valid access token'),
  404: err('NOT_FOUND: not one of your conversations'),
  410: err('SYNC_TOKEN_EXPIRED: the token lapsed (unused for 7 days), is not yours, or was overtaken; sync again without `since`'),
  413: err('PAYLOAD_TOO_LARGE'),
  415: err('UNSUPPORTED_MEDIA_TYPE'),
} as const;
const errors = (...codes: (keyof typeof E)[]) => Object.fromEntries(codes.map((c) => [c, E[c]]));
const ConversationParams = z.object({ id: z.string().meta({ description: 'Conversation id' }) });

export function registerSyncOpenApi(registry: OpenAPIRegistry): void {
  const route = (tags: string[], config: RouteConfig) => registry.registerPath({ tags, security: [{ userToken: [] }], ...config });
  route(['sync'], {
    method: 'get', path: '/sync', operationId: 'sync',
    summary:
      `What changed since a token, for clients without a socket: new and changed messages (newest conversations first, ascending seq in each, each once), moved read pointers, changed conversations, conversations lost, messages deleted for yourself; with \`next\`, the token to sync from next. Nothing new: waits up to \`timeout\` seconds (0–${MAX_SYNC_TIMEOUT}, ${DEFAULT_SYNC_TIMEOUT}) for something. Without \`since\`: the current state at once. At most ${MAX_SYNC_MESSAGES} messages a reply; \`more\`: sync again at once. A reply lost on the way: ask again with the same token.`,
    request: {
      query: z.object({
        since: z.string().optional().meta({ description: 'The last reply’s `next`; none: the current state' }),
        timeout: z.string().optional().meta({ description: `Seconds to wait when nothing is new, 0–${MAX_SYNC_TIMEOUT}` }),
      }),
    },
    responses: { 200: ok('What changed, and the next token', SyncReplySchema), ...errors(400, 401, 410) },
  });
  route(['conversations'], {
    method: 'get', path: '/conversations/{id}/settings', operationId: 'getConversationSettings', summary: 'Your settings of a conversation',
    request: { params: ConversationParams },
    responses: { 200: ok('Your settings', ConversationSettingsSchema), ...errors(401, 404) },
  });
  route(['conversations'], {
    method: 'patch', path: '/conversations/{id}/settings', operationId: 'updateConversationSettings',
    summary: 'Pin, mute, hide (until a new message arrives) or mark unread (until read) a conversation, on all your devices (live: im.conversation)',
    request: { params: ConversationParams, body: { required: true, content: json(ConversationSettingsUpdateSchema) } },
    responses: { 200: ok('Your settings', ConversationSettingsSchema), ...errors(400, 401, 404, 413, 415) },
  });
  route(['conversations'], {
    method: 'put', path: '/conversations/{id}/draft', operationId: 'setDraft', summary: 'Keep your unsent text of a conversation for all your devices (empty clears it)',
    request: { params: ConversationParams, body: { required: true, content: json(DraftSchema) } },
    responses: { 200: ok('Your settings, with the draft', ConversationSettingsSchema), ...errors(400, 401, 404, 413, 415) },
  });
  route(['me'], {
    method: 'get', path: '/me/im-settings', operationId: 'getImSettings', summary: 'Your IM privacy settings',
    responses: { 200: ok('Your IM settings', ImSettingsSchema), ...errors(401) },
  });
  route(['me'], {
    method: 'patch', path: '/me/im-settings', operationId: 'updateImSettings',
    summary: 'Hide your last-seen time from your contacts; take conversations from people who are not your contacts (off by default; a block still refuses)',
    request: { body: { required: true, content: json(ImSettingsUpdateSchema) } },
    responses: { 200: ok('Your IM settings', ImSettingsSchema), ...errors(400, 401, 413, 415) },
  });
  route(['contacts'], {
    method: 'get', path: '/presence', operationId: 'getPresence',
    summary: `Whether your contacts are online, and when they were last (unless they hide it); ids that are not your contacts are simply left out. Live: im.presence`,
    request: { query: z.object({ ids: z.string().meta({ description: `Comma-separated user ids, at most ${MAX_PRESENCE_IDS}` }) }) },
    responses: { 200: ok('Presence of those of them who are your contacts', z.array(PresenceSchema)), ...errors(400, 401) },
  });
}
