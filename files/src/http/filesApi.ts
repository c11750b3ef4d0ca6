/**
 * The files routes under /api/v1: downloads (Range, signed links), issuing
 * links, the console's settings and a person's cache setting. Access is
 * checked on every request through Files.canRead; a file you may not read
 * answers exactly as one that does not exist.
 */
import { pipeline } from 'node:stream/promises';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Files } from '../Files.ts';
import { FilesError } from '../errors.ts';
import { FileIdSchema, FilesAdminSettingsUpdateSchema, LinksRequestSchema, MyFileSettingsSchema } from '../protocol.ts';
import type { StoredFile } from '../store/FileRepository.ts';
import { contentDisposition, inlineAllowed, noneMatch, rangeOf } from './downloads.ts';
import { filesErrors, parse, route, who, type SignedInRequest } from './routing.ts';

const NOT_FOUND = () => new FilesError('NOT_FOUND', 'no such file');

export function filesApi(files: Files, options: { logger: Logger }): Router {
  const router = express.Router();
  const json = jsonBody({ limit: '16kb' });

  /** The reader: the Bearer token's person, or the one a valid signed link names (for this file and variant). */
  function reader(req: Request, id: string, variant: 'file' | 'thumbnail'): string {
    const principal = (req as SignedInRequest).principal;
    if (principal) return principal.accountId;
    const sig = req.query.sig;
    if (typeof sig === 'string' && sig !== '') {
      const accountId = files.verifyLink(id, variant, sig);
      if (!accountId) throw new FilesError('UNAUTHORIZED', 'this link is not valid (it lasts 5 minutes): ask for a new one');
      return accountId;
    }
    throw new FilesError('UNAUTHORIZED', 'sign in, or use a signed link');
  }

  async function readable(req: Request, variant: 'file' | 'thumbnail'): Promise<StoredFile> {
    const id = FileIdSchema.safeParse(req.params.id);
    // A malformed id names no file (404), before anything else is said about the request.
    if (!id.success) throw NOT_FOUND();
    const accountId = reader(req, id.data, variant);
    if (!(await files.canRead(id.data, accountId))) throw NOT_FOUND();
    return files.downloadable(id.data);
  }

  const common = (res: Response) => {
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Cache-Control', 'private');
    // Whatever the bytes are, they run nothing if opened in place.
    res.set('Content-Security-Policy', "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox");
    res.set('Cross-Origin-Resource-Policy', 'same-site');
  };

  router.get('/files/:id', route(async (req, res) => {
    const file = await readable(req, 'file');
    const size = file.size ?? 0;
    const mime = file.meta.mime ?? 'application/octet-stream';
    const kind = file.kind ?? 'other';
    const inline = req.query.download !== '1' && inlineAllowed(kind, mime);
    const etag = `"${file.id}.${file.meta.content ?? 'original'}.${size}"`;
    common(res);
    res.set('ETag', etag);
    res.set('Accept-Ranges', 'bytes');
    res.set('Content-Type', kind === 'other' ? 'application/octet-stream' : mime);
    res.set('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', file.meta.name));
    if (noneMatch(req.get('if-none-match'), etag)) return void res.status(304).end();
    // If-Range: the range only while the file is still the one the client has part of.
    const ifRange = req.get('if-range');
    const range = ifRange !== undefined && ifRange.trim() !== etag ? { kind: 'whole' as const } : rangeOf(req.get('range'), size);
    if (range.kind === 'unsatisfiable') {
      const error = Object.assign(new FilesError('RANGE_NOT_SATISFIABLE', `the range is not within the file's ${size} bytes`), { size });
      throw error;
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
    if (range.kind === 'partial') res.status(206).set('Content-Range', `bytes ${start}-${end}/${size}`);
    else res.status(200);
    res.set('Content-Length', String(Math.max(0, end - start + 1)));
    if (req.method === 'HEAD' || size === 0) return void res.end();
    const stream = await files.read(file.id, { start, end });
    await pipeline(stream, res).catch((error: unknown) => {
      // The client went away mid-download: nothing to report.
      if ((error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
    });
  }));

  router.get('/files/:id/thumbnail', route(async (req, res) => {
    const file = await readable(req, 'thumbnail');
    const bytes = await files.readThumbnail(file.id);
    if (!bytes) throw NOT_FOUND();
    const etag = `"${file.id}.thumbnail.${bytes.length}"`;
    common(res);
    res.set('ETag', etag);
    res.set('Content-Type', file.meta.thumbnailMime ?? 'image/webp');
    res.set('Content-Disposition', contentDisposition('inline', `${file.meta.name}.thumbnail`));
    if (noneMatch(req.get('if-none-match'), etag)) return void res.status(304).end();
    res.status(200).send(bytes);
  }));

  router.post('/files/links', json, route(async (req, res) => {
    const { accountId } = who(req);
    await files.admitLinkRequest(accountId);
    const { fileIds } = parse(LinksRequestSchema, req.body);
    const wanted = [...new Set(fileIds)].filter((id) => FileIdSchema.safeParse(id).success);
    const views = await files.views(wanted);
    const links = [];
    for (const id of wanted) {
      const view = views.get(id);
      // Only files you can read and that still have bytes; the others are left out, without saying why.
      if (!view || view.expired || !(await files.canRead(id, accountId))) continue;
      const file = files.signLink(id, accountId, 'file');
      links.push({ fileId: id, url: file.url, ...(view.thumbnail ? { thumbnailUrl: files.signLink(id, accountId, 'thumbnail').url } : {}), expiresAt: file.expiresAt });
    }
    res.json({ links });
  }));

  // ---------------------------------------------------------------- settings
  // The accounts router in front already turns away anyone but an elevated admin
  // from /admin; the same check again here keeps these routes safe wherever they are mounted.
  const consoleOnly: RequestHandler = (req, _res, next) => {
    const principal = (req as SignedInRequest).principal;
    if (!principal || principal.role !== 'admin') return next(new FilesError('NOT_FOUND', 'no such API route'));
    if (principal.elevatedUntil === undefined || principal.elevatedUntil <= files.now()) {
      return next(new FilesError('SECOND_FACTOR_REQUIRED', 'enter your TOTP code or console password to open the console'));
    }
    next();
  };
  router.get('/admin/files/settings', consoleOnly, route(async (_req, res) => {
    res.json(await files.retention.settings());
  }));
  router.put('/admin/files/settings', consoleOnly, json, route(async (req, res) => {
    const principal = who(req);
    res.json(await files.retention.updateSettings(principal.accountId, parse(FilesAdminSettingsUpdateSchema, req.body)));
  }));
  router.get('/me/files/settings', route(async (req, res) => {
    res.json({ cacheDays: await files.retention.cacheDays(who(req).accountId) });
  }));
  router.put('/me/files/settings', json, route(async (req, res) => {
    const { accountId } = who(req);
    const { cacheDays } = parse(MyFileSettingsSchema, req.body);
    res.json({ cacheDays: await files.retention.setCacheDays(accountId, cacheDays) });
  }));

  router.use(filesErrors(options.logger));
  return router;
}
