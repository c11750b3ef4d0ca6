import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { BoardError, BoardIdSchema, BoardJsonSchema, MAX_OBJECTS_PER_BOARD, MAX_PAGES_PER_BOARD, PinnedSymbolsSchema, zodMessage } from '../protocol.ts';
import type { BoardService } from './BoardService.ts';
import { jsonDepthWithin } from '@muster/kit/json-depth';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'whiteboard' });

/**
 * Board JSON nests 6 deep (board, pages, page, objects, object, points or
 * modifiers); pinned symbols 2. Checked on the raw bytes before `JSON.parse`.
 */
const MAX_JSON_DEPTH = 8;
const MAX_PINNED_BODY = '64kb';

export const BOARDS_API_ERROR_CODES = ['BAD_REQUEST', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'BOARD_FULL', 'INTERNAL'] as const;
type ErrorCode = (typeof BOARDS_API_ERROR_CODES)[number];
const STATUS: Record<ErrorCode, number> = { BAD_REQUEST: 400, NOT_FOUND: 404, PAYLOAD_TOO_LARGE: 413, BOARD_FULL: 413, INTERNAL: 500 };

function fail(res: Response, code: ErrorCode, message: string): void {
  res.status(STATUS[code]).json({ error: { code, message } });
}

class BadBody extends Error {
  readonly status = 400;
  readonly type = 'entity.refused';
}

/** Runs on the raw bytes, before `JSON.parse`. */
function checkDepth(_req: IncomingMessage, _res: unknown, body: Buffer, encoding: string): void {
  // The depth scan reads ASCII brackets and quotes, which only UTF-8 keeps as single bytes.
  if (encoding.toLowerCase() !== 'utf-8' && encoding.toLowerCase() !== 'utf8') throw new BadBody('JSON bodies must be UTF-8');
  if (!jsonDepthWithin(body, MAX_JSON_DEPTH)) throw new BadBody(`JSON bodies nest at most ${MAX_JSON_DEPTH} deep`);
}

/** Counts pages and objects of a parsed body before the schema walks them (the schema's totals come after it has). */
function countsWithin(body: unknown): boolean {
  const pages = (body as { pages?: unknown } | null)?.pages;
  if (!Array.isArray(pages)) return true; // the schema says what is wrong
  if (pages.length > MAX_PAGES_PER_BOARD) return false;
  let objects = 0;
  for (const page of pages) {
    const list = (page as { objects?: unknown } | null)?.objects;
    if (Array.isArray(list)) objects += list.length;
  }
  return objects <= MAX_OBJECTS_PER_BOARD;
}

/**
 * `/api/v1/boards` and `/api/v1/symbols/pinned`. Mount behind the Bearer
 * check; it parses its own (larger) JSON bodies, so mount it before any
 * smaller body parser.
 *
 * Import bounds: the body is at most twice the board size cap (JSON is
 * larger than the Yjs state it makes), nests at most `MAX_JSON_DEPTH` (checked
 * on the raw bytes before parsing), holds at most `MAX_PAGES_PER_BOARD` pages
 * and `MAX_OBJECTS_PER_BOARD` objects (counted before the schema runs), and
 * the board it makes must fit the size cap (BOARD_FULL, nothing replaced).
 */
export function boardsApi(service: BoardService): Router {
  const router = express.Router();
  const boardBodyBytes = Math.max(1024 * 1024, 2 * service.maxBoardBytes);
  const boardJson = express.json({ limit: boardBodyBytes, verify: checkDepth });
  const pinnedJson = express.json({ limit: MAX_PINNED_BODY, verify: checkDepth });

  router.get('/boards', async (_req, res) => {
    const stored = await service.store.list();
    const ids = new Set(stored.map((b) => b.id));
    const live = service.boards.filter((b) => !ids.has(b.id)).map((b) => ({ id: b.id, createdAt: b.createdAt, updatedAt: Date.now(), bytes: 0 }));
    res.json([...stored, ...live].map((b) => ({ ...b, open: service.get(b.id)?.members.size ?? 0 })));
  });

  router.get('/boards/:id', async (req, res) => {
    const id = BoardIdSchema.safeParse(req.params.id);
    if (!id.success) return fail(res, 'BAD_REQUEST', 'invalid board id');
    const board = await service.exportJson(id.data);
    if (!board) return fail(res, 'NOT_FOUND', `no board ${id.data}`);
    res.json(board);
  });

  router.put('/boards/:id', boardJson, async (req, res) => {
    const id = BoardIdSchema.safeParse(req.params.id);
    if (!id.success) return fail(res, 'BAD_REQUEST', 'invalid board id');
    if (!countsWithin(req.body)) return fail(res, 'BAD_REQUEST', `a board holds at most ${MAX_PAGES_PER_BOARD} pages and ${MAX_OBJECTS_PER_BOARD} objects`);
    const body = BoardJsonSchema.safeParse(req.body);
    if (!body.success) return fail(res, 'BAD_REQUEST', zodMessage(body.error));
    if (body.data.id !== id.data) return fail(res, 'BAD_REQUEST', `the body is board ${body.data.id}, the URL board ${id.data}`);
    let created: boolean;
    try {
      ({ created } = await service.importJson(id.data, body.data));
    } catch (error) {
      if (error instanceof BoardError && error.code === 'BOARD_FULL') return fail(res, 'BOARD_FULL', error.message);
      throw error;
    }
    const objects = body.data.pages.reduce((n, p) => n + p.objects.length, 0);
    res.status(created ? 201 : 200).json({ id: id.data, pages: body.data.pages.length, objects });
  });

  router.get('/symbols/pinned', (_req, res) => {
    res.json(service.pinnedSymbols);
  });

  router.put('/symbols/pinned', pinnedJson, (req, res) => {
    const body = PinnedSymbolsSchema.safeParse(req.body);
    if (!body.success) return fail(res, 'BAD_REQUEST', zodMessage(body.error));
    service.setPinnedSymbols(body.data);
    res.json(service.pinnedSymbols);
  });

  // Malformed, oversized or too deep JSON on these routes: a coded reply, never a stack trace.
  router.use((error: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (error.type === 'entity.too.large') return fail(res, 'PAYLOAD_TOO_LARGE', `this body is limited to ${(error as { limit?: number }).limit ?? boardBodyBytes} bytes`);
    if (error instanceof BadBody) return fail(res, 'BAD_REQUEST', error.message);
    if (error.status && error.status >= 400 && error.status < 500) return fail(res, 'BAD_REQUEST', error.message);
    log.error({ err: error, method: req.method, path: req.path }, 'board REST request failed');
    fail(res, 'INTERNAL', 'internal error');
  });

  return router;
}
