/**
 * `POST /api/v1/conversations/:id/export`: the chat as minutes, answered
 * with the document itself (200, Content-Disposition: attachment). A
 * conversation that is not yours is NOT_FOUND, as every IM route.
 */
import express, { type Router } from 'express';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import { conversationParam, imErrors, parse, route, who } from '../http/routing.ts';
import type { ChatExport } from './ChatExport.ts';
import { ExportRequestSchema } from './exportProtocol.ts';
import type { MinutesLang } from './minutes.ts';

/** `attachment` with the UTF-8 name (RFC 6266/5987) and a plain ASCII one for old clients. */
export function attachmentHeader(filename: string): string {
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const ext = filename.slice(filename.lastIndexOf('.'));
  const ascii = filename.replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '').trim();
  const fallback = ascii.length > ext.length && !ascii.startsWith('.') ? ascii : `chat-minutes${ext}`;
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export function exportApi(exports: ChatExport, options: { logger: Logger }): Router {
  const router = express.Router();
  // 1000 message ids of up to 45 characters: about 50 KiB as JSON.
  const json = jsonBody({ limit: '64kb' });

  router.post('/conversations/:id/export', json, route(async (req, res) => {
    const principal = who(req);
    const id = conversationParam(req);
    const body = parse(ExportRequestSchema, req.body);
    // The document's own words (headings, notices) follow the client's language: Chinese unless it prefers English.
    const lang: MinutesLang = req.acceptsLanguages('zh', 'en') === 'en' ? 'en' : 'zh';
    const doc = await exports.export(principal, id, { ...body, lang });
    res.status(200);
    res.set({
      'Content-Type': doc.mime,
      'Content-Disposition': attachmentHeader(doc.filename),
      'Content-Length': String(doc.bytes.length),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Muster-Export-Count': String(doc.count),
      ...(doc.saved ? { 'Muster-Export-Message': doc.saved.messageId } : {}),
    });
    res.end(doc.bytes);
  }));

  router.use(imErrors(options.logger));
  return router;
}
