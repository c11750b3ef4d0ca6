import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { BoardIdSchema, BoardJsonSchema, PinnedSymbolsSchema, zodMessage } from '../protocol.ts';
import type { BoardService } from './BoardService.ts';

/** A 2000-object board is well under a megabyte; this leaves room for long freehand strokes. */
const MAX_BOARD_BODY = '16mb';

type ErrorCode = 'BAD_REQUEST' | 'NOT_FOUND' | 'PAYLOAD_TOO_LARGE' | 'INTERNAL';
const STATUS: Record<ErrorCode, number> = { BAD_REQUEST: 400, NOT_FOUND: 404, PAYLOAD_TOO_LARGE: 413, INTERNAL: 500 };

function fail(res: Response, code: ErrorCode, message: string): void {
  res.status(STATUS[code]).json({ error: { code, message } });
}

/**
 * `/api/v1/boards` and `/api/v1/symbols/pinned`. Mount behind the Bearer
 * check; it parses its own (larger) JSON bodies, so mount it before any
 * smaller body parser.
 */
export function boardsApi(service: BoardService): Router {
  const router = express.Router();
  const json = express.json({ limit: MAX_BOARD_BODY });

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

  router.put('/boards/:id', json, async (req, res) => {
    const id = BoardIdSchema.safeParse(req.params.id);
    if (!id.success) return fail(res, 'BAD_REQUEST', 'invalid board id');
    const body = BoardJsonSchema.safeParse(req.body);
    if (!body.success) return fail(res, 'BAD_REQUEST', zodMessage(body.error));
    if (body.data.id !== id.data) return fail(res, 'BAD_REQUEST', `the body is board ${body.data.id}, the URL board ${id.data}`);
    const { created } = await service.importJson(id.data, body.data);
    const objects = body.data.pages.reduce((n, p) => n + p.objects.length, 0);
    res.status(created ? 201 : 200).json({ id: id.data, pages: body.data.pages.length, objects });
  });

  router.get('/symbols/pinned', (_req, res) => {
    res.json(service.pinnedSymbols);
  });

  router.put('/symbols/pinned', json, (req, res) => {
    const body = PinnedSymbolsSchema.safeParse(req.body);
    if (!body.success) return fail(res, 'BAD_REQUEST', zodMessage(body.error));
    service.setPinnedSymbols(body.data);
    res.json(service.pinnedSymbols);
  });

  // Malformed or oversized JSON on these routes: a coded reply, never a stack trace.
  router.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (error.type === 'entity.too.large') return fail(res, 'PAYLOAD_TOO_LARGE', `board bodies are limited to ${MAX_BOARD_BODY}`);
    if (error.status && error.status >= 400 && error.status < 500) return fail(res, 'BAD_REQUEST', error.message);
    console.error('[whiteboard] REST error:', error);
    fail(res, 'INTERNAL', 'internal error');
  });

  return router;
}
