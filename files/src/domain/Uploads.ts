/**
 * Resumable uploads: the tus protocol (@tus/server) at `<publicPath>/uploads`,
 * for signed-in people (the accounts router in front sets req.principal).
 *
 * In front of tus, one check per request: the upload named in the path must
 * be the caller's own, or it does not exist for them (404, as a missing one).
 * tus itself then does the protocol (offsets, lengths, locks) on an
 * EncryptingStore. At creation the Upload-Metadata is checked and sealed in
 * the database (filename, conversationId, filetype, keepLocation); when the
 * last byte is stored, `finish` processes the file before the reply.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server, type ServerOptions } from '@tus/server';
import { ERRORS, type Upload } from '@tus/utils';
import type { Principal } from '@muster/accounts';
import { retryText, type Limit } from '@muster/kit/limits';
import type { Logger } from '@muster/kit/log';
import { FilesError, isFilesError, isStorageFull } from '../errors.ts';
import { FileIdSchema } from '../protocol.ts';
import type { FileMeta, FileRepository, StoredFile } from '../store/FileRepository.ts';
import { isBlockedName, isBlockedType } from './blockedTypes.ts';
import type { EncryptingStore } from './EncryptingStore.ts';
import { newFileId } from './fileIds.ts';

const CONVERSATION_ID = /^cv[A-Za-z0-9_-]{8,40}$/;
const MAX_NAME_CHARS = 255;

export interface UploadsOptions {
  /** `/api/v1/uploads` */
  path: string;
  store: EncryptingStore;
  files: FileRepository;
  logger: Logger;
  now: () => number;
  newContentKey(): Buffer;
  maxUploadBytes(): Promise<number>;
  blockedTypes(): Promise<readonly string[]>;
  /** Upload creations per account (a creation that is refused gives its point back). */
  creations: Limit;
  /** Whether the person may upload for this conversation (the port im fills); no check: any. */
  uploadCheck(accountId: string, conversationId: string): Promise<boolean>;
  /** Processes a fully stored upload (throws FILE_TYPE_BLOCKED after deleting it). */
  finish(id: string): Promise<void>;
}

/**
 * tus answers every refusal as text/plain; the refusals mapped from a
 * FilesError (onResponseError) are JSON, `{ error: { code, message } }`,
 * and say so. tus's own protocol errors (412, 409…) stay plain text.
 */
class TusServer extends Server {
  override write(...args: Parameters<Server['write']>): ReturnType<Server['write']> {
    const [, headers, status, body] = args;
    if (status >= 400 && body?.startsWith('{"error":')) headers.set('Content-Type', 'application/json; charset=utf-8');
    return super.write(...args);
  }
}

type NodeReq = IncomingMessage & { principal?: Principal; originalUrl?: string };
type WebReq = Parameters<NonNullable<ServerOptions['onUploadCreate']>>[0];

function principalOf(req: WebReq): Principal | undefined {
  return ((req as unknown as { runtime?: { node?: { req?: NodeReq } } }).runtime?.node?.req)?.principal;
}

export class Uploads {
  readonly tus: Server;
  readonly #o: UploadsOptions;

  constructor(options: UploadsOptions) {
    this.#o = options;
    this.tus = new TusServer({
      path: options.path,
      datastore: options.store,
      // Location is `<path>/<id>`, relative: right behind any proxy, whatever its host name.
      relativeLocation: true,
      // CORS is the server's (ALLOWED_ORIGINS); tus adds no Access-Control-Allow-Origin of its own.
      allowedOrigins: () => false,
      disableTerminationForFinishedUploads: true,
      maxSize: () => options.maxUploadBytes(),
      namingFunction: () => newFileId(),
      getFileIdFromRequest: (req) => idInPath(new URL(req.url).pathname, options.path),
      onUploadCreate: (req, upload) => this.#create(req, upload),
      onUploadFinish: async (_req, upload) => {
        await options.finish(upload.id);
        return {};
      },
      onResponseError: (_req, error) => this.#mapError(error),
    });
  }

  /**
   * The front door (an Express-style handler for everything under the path):
   * who is asking, and is the upload theirs; then tus.
   */
  async handle(req: NodeReq, res: ServerResponse): Promise<void> {
    const url = new URL(req.originalUrl ?? req.url ?? '/', 'http://muster.invalid');
    // Express strips the mount path from req.url; tus wants the whole path back.
    req.url = url.pathname + url.search;
    if (req.method === 'OPTIONS') return this.#tus(req, res);
    const principal = req.principal;
    if (!principal) return reply(res, new FilesError('UNAUTHORIZED', 'sign in: a valid access token is required'));
    const rest = url.pathname.slice(this.#o.path.length);
    if (rest === '' || rest === '/') {
      if (req.method !== 'POST') return reply(res, new FilesError('NOT_FOUND', 'no such upload'));
      return this.#creation(principal, req, res);
    }
    const id = idInPath(url.pathname, this.#o.path);
    const file = id ? await this.#o.files.get(id) : null;
    // Someone else's upload, or one retention removed: as if it never existed.
    if (!file || file.ownerId !== principal.accountId || file.status === 'deleting' || file.status === 'expired') {
      return reply(res, new FilesError('NOT_FOUND', 'no such upload'));
    }
    if (file.status === 'uploading' && req.method === 'HEAD') await this.#recover(file);
    const now = await this.#o.files.get(file.id);
    if (!now) return reply(res, new FilesError('NOT_FOUND', 'no such upload'));
    if (now.status === 'ready') {
      // Finished (and processed): its bytes may have been replaced (a GPS-stripped image), so tus's view of the upload is no longer the file's.
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'Tus-Resumable': '1.0.0', 'Upload-Offset': String(now.size ?? 0), 'Upload-Length': String(now.size ?? 0), 'Cache-Control': 'no-store' });
        return void res.end();
      }
      return reply(res, new FilesError('BAD_REQUEST', 'this upload is finished'));
    }
    return this.#tus(req, res);
  }

  /** A creation, counted against the account's limit (RATE_LIMITED with Retry-After past it); one refused for another reason gives its point back. */
  async #creation(principal: Principal, req: NodeReq, res: ServerResponse): Promise<void> {
    const verdict = await this.#o.creations.take(principal.accountId);
    if (!verdict.allowed) return reply(res, new FilesError('RATE_LIMITED', `too many uploads started; ${retryText(verdict.retryAfterMs)}`, { retryAfterMs: verdict.retryAfterMs }));
    try {
      await this.#tus(req, res);
    } finally {
      if (res.statusCode !== 201) await this.#o.creations.reward(principal.accountId).catch((error: unknown) => this.#o.logger.warn({ err: error }, 'files: could not give back a refused upload\'s limit point'));
    }
  }

  async #tus(req: NodeReq, res: ServerResponse): Promise<void> {
    await this.tus.handle(req, res);
  }

  /**
   * A HEAD on an upload whose bytes are all stored but which is not finished:
   * the process that stored the last byte died before processing it (or
   * processing failed). Finish it now, so the client that resumes finds it done.
   */
  async #recover(file: StoredFile): Promise<void> {
    if (file.size === null) return;
    let offset: number;
    try {
      offset = (await this.#o.store.getUpload(file.id)).offset;
    } catch {
      return;
    }
    if (offset !== file.size) return;
    try {
      await this.#o.finish(file.id);
    } catch (error) {
      if (!isFilesError(error, 'FILE_TYPE_BLOCKED')) this.#o.logger.error({ err: error, fileId: file.id }, 'files: finishing a stored upload failed');
    }
  }

  async #create(req: WebReq, upload: Upload): Promise<{ metadata: Record<string, string> }> {
    const principal = principalOf(req);
    if (!principal) throw new FilesError('UNAUTHORIZED', 'sign in: a valid access token is required');
    const meta = upload.metadata ?? {};
    const name = (meta.filename ?? '').trim();
    if (name === '' || [...name].length > MAX_NAME_CHARS || /[\u0000-\u001f\u007f]/.test(name)) {
      throw new FilesError('BAD_REQUEST', `Upload-Metadata: filename is required (1–${MAX_NAME_CHARS} characters, no control characters)`);
    }
    const conversationId = meta.conversationId ?? null;
    if (conversationId !== null) {
      // Not a conversation of yours: as a missing one.
      if (!CONVERSATION_ID.test(conversationId) || !(await this.#o.uploadCheck(principal.accountId, conversationId))) {
        throw new FilesError('NOT_FOUND', 'no such conversation');
      }
    }
    const declared = meta.filetype ?? undefined;
    if (declared !== undefined && (declared.length > 255 || !/^[\w.+-]+\/[\w.+-]+$/.test(declared))) throw new FilesError('BAD_REQUEST', 'Upload-Metadata: filetype is not a MIME type');
    const blocked = await this.#o.blockedTypes();
    // Refused before any byte is stored when the name or the declared type says so; processing checks the true type again.
    if (isBlockedName(name, blocked) || (declared !== undefined && isBlockedType(declared, blocked))) {
      throw new FilesError('FILE_TYPE_BLOCKED', 'files of this type are not accepted here');
    }
    const sealed: FileMeta = { name };
    if (declared) sealed.declaredMime = declared.toLowerCase();
    if (meta.keepLocation === '1') sealed.keepLocation = true;
    await this.#o.files.create({
      id: upload.id,
      ownerId: principal.accountId,
      conversationId,
      size: upload.size ?? null,
      meta: sealed,
      contentKey: this.#o.newContentKey(),
      createdAt: this.#o.now(),
    });
    // Nothing of the metadata goes to the store (EncryptingStore strips it again).
    return { metadata: {} };
  }

  #mapError(error: Error | { status_code: number; body: string }): { status_code: number; body: string } | undefined {
    if (isFilesError(error)) return { status_code: error.status, body: error.toJson() };
    // The disk's own error can reach here first (it tears the whole request pipeline down), before the store's STORAGE_FULL.
    if (isStorageFull(error)) {
      this.#o.logger.error({ err: error }, 'files: STORAGE FULL: an upload stopped for lack of space');
      return { status_code: 507, body: new FilesError('STORAGE_FULL', 'the server has no room left for files; try again later').toJson() };
    }
    const status = (error as { status_code?: number }).status_code;
    if (status === ERRORS.ERR_MAX_SIZE_EXCEEDED.status_code) {
      return { status_code: 413, body: new FilesError('PAYLOAD_TOO_LARGE', 'the upload is larger than this server accepts').toJson() };
    }
    if (status === undefined || status >= 500) {
      this.#o.logger.error({ err: error }, 'files: upload request failed');
      return { status_code: 500, body: new FilesError('INTERNAL', 'internal error').toJson() };
    }
    return undefined;
  }
}

/** The upload id in a path below `base`, or undefined. */
function idInPath(pathname: string, base: string): string | undefined {
  if (!pathname.startsWith(`${base}/`)) return undefined;
  const rest = pathname.slice(base.length + 1).replace(/\/$/, '');
  return FileIdSchema.safeParse(rest).success ? rest : undefined;
}

function reply(res: ServerResponse, error: FilesError): void {
  res.writeHead(error.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Tus-Resumable': '1.0.0',
    'Cache-Control': 'no-store',
    ...(error.retryAfterSeconds !== undefined ? { 'Retry-After': String(error.retryAfterSeconds) } : {}),
  });
  res.end(error.toJson());
}
