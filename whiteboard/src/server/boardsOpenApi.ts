import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BoardIdSchema, BoardJsonSchema, MAX_OBJECTS_PER_BOARD, MAX_PAGES_PER_BOARD, PinnedSymbolsSchema } from '../protocol.ts';
import { BOARDS_API_ERROR_CODES } from './boardsApi.ts';

/**
 * The replies of `boardsApi.ts`, as zod schemas, and its routes for the
 * server's OpenAPI document: the whiteboard describes its own REST API, from
 * the same schemas that parse it, and the server adds it to its registry.
 */
const Int = z.number().int();

/** The board routes' errors; `UNAUTHORIZED` comes from the server's Bearer check in front of them. */
export const BoardApiErrorSchema = z
  .object({ error: z.object({ code: z.enum([...BOARDS_API_ERROR_CODES, 'UNAUTHORIZED']), message: z.string() }) })
  .meta({ id: 'BoardApiError', description: 'A coded error of the board routes' });

export const BoardSummarySchema = z
  .object({ id: z.string(), createdAt: Int, updatedAt: Int, bytes: Int.nonnegative(), open: Int.nonnegative().meta({ description: 'people connected now' }) })
  .meta({ id: 'BoardSummary' });

export const BoardSchema = BoardJsonSchema.meta({
  id: 'Board',
  description: `A whiteboard as JSON (see docs/rest-api.md for every object field); at most ${MAX_PAGES_PER_BOARD} pages and ${MAX_OBJECTS_PER_BOARD} objects.`,
});

export const BoardImportedSchema = z
  .object({ id: z.string(), pages: Int.nonnegative().meta({ description: 'how many' }), objects: Int.nonnegative().meta({ description: 'how many' }) })
  .meta({ id: 'BoardImported' });

export const PinnedSymbolListSchema = PinnedSymbolsSchema.meta({
  id: 'PinnedSymbols',
  description: "The organisation's fixed symbol set, pinned at the top of every palette.",
});

const BoardParams = z.object({ id: BoardIdSchema.meta({ description: 'Board id; a meeting board is m.<room>' }) });

function error(description: string) {
  return { description, content: { 'application/json': { schema: BoardApiErrorSchema } } };
}
const unauthorized = error('No valid Bearer token');
const badRequest = error('The body or the id does not match the schema, is not JSON, or nests too deep');

/** Adds `/boards` and `/symbols/pinned` to the server's registry (paths relative to `/api/v1`). */
export function registerBoardsOpenApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/boards',
    operationId: 'listBoards',
    summary: 'Stored and open boards',
    tags: ['boards'],
    responses: {
      200: { description: 'Boards', content: { 'application/json': { schema: z.array(BoardSummarySchema) } } },
      401: unauthorized,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/boards/{id}',
    operationId: 'getBoard',
    summary: 'The board as JSON',
    tags: ['boards'],
    request: { params: BoardParams },
    responses: {
      200: { description: 'The board', content: { 'application/json': { schema: BoardSchema } } },
      400: error('Not a board id'),
      401: unauthorized,
      404: error('No such board'),
    },
  });
  registry.registerPath({
    method: 'put',
    path: '/boards/{id}',
    operationId: 'importBoard',
    summary: "Import a board: replaces its whole content, and everyone connected sees it at once (the body's id must match the URL)",
    tags: ['boards'],
    request: { params: BoardParams, body: { required: true, content: { 'application/json': { schema: BoardSchema } } } },
    responses: {
      200: { description: 'Replaced an existing board', content: { 'application/json': { schema: BoardImportedSchema } } },
      201: { description: 'Created the board', content: { 'application/json': { schema: BoardImportedSchema } } },
      400: badRequest,
      401: unauthorized,
      413: error('The body is too large (PAYLOAD_TOO_LARGE), or the board it makes is over the size cap (BOARD_FULL)'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/symbols/pinned',
    operationId: 'getPinnedSymbols',
    summary: "The organisation's pinned symbols",
    tags: ['boards'],
    responses: {
      200: { description: 'Pinned symbols', content: { 'application/json': { schema: PinnedSymbolListSchema } } },
      401: unauthorized,
    },
  });
  registry.registerPath({
    method: 'put',
    path: '/symbols/pinned',
    operationId: 'setPinnedSymbols',
    summary: 'Replace the pinned symbols',
    tags: ['boards'],
    request: { body: { required: true, content: { 'application/json': { schema: PinnedSymbolListSchema } } } },
    responses: {
      200: { description: 'The pinned symbols now', content: { 'application/json': { schema: PinnedSymbolListSchema } } },
      400: badRequest,
      401: unauthorized,
      413: error('The body is too large'),
    },
  });
}
