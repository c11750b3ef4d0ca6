/** Search in messages in the OpenAPI document (registered by imOpenApi.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ImErrorSchema, SearchResultsSchema } from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });

export function registerSearchOpenApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    tags: ['search'],
    security: [{ userToken: [] }],
    method: 'get',
    path: '/search/messages',
    operationId: 'searchMessages',
    summary:
      'Search your messages by words, Chinese or not (会议 finds 明天的会议改到三点): every word must be in a message; in all your conversations or one; newest first. Recalled messages and those you deleted for yourself are left out. The index is built off the send path and may lag a moment behind a send.',
    request: {
      query: z.object({
        q: z.string().meta({ description: 'At most 100 characters, 16 words' }),
        conversationId: z.string().optional(),
        beforeSeq: z.string().optional().meta({ description: 'With conversationId: only messages before this seq' }),
        before: z.string().optional().meta({ description: 'The previous page’s `next`' }),
        limit: z.string().optional().meta({ description: '1–50 (20)' }),
      }),
    },
    responses: {
      200: { description: 'Results, newest first', content: json(SearchResultsSchema) },
      400: { description: 'BAD_REQUEST: q empty, without words, too long; a malformed conversation id or cursor', content: json(ImErrorSchema) },
      401: { description: 'UNAUTHORIZED: no valid access token', content: json(ImErrorSchema) },
      404: { description: 'NOT_FOUND: conversationId is not one of your conversations', content: json(ImErrorSchema) },
    },
  });
}
