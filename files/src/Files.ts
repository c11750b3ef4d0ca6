/**
 * The files domain, assembled: uploads (tus), encrypted storage on disk or
 * S3, processing, downloads and signed links, access through the readers
 * port, retention. The server builds one with Files.open and mounts its
 * routes with mountFiles (`@muster/files/rest`); IM reaches it through its
 * ChatFiles port (attachable, views, referenced) and answers for its
 * conversations through useReaders.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { Upload } from '@tus/utils';
import type { Database } from '@muster/db';
import { MemoryLimits, retryText, type Limit, type LimitStore } from '@muster/kit/limits';
import type { Logger } from '@muster/kit/log';
import type { BlobStorage } from './domain/BlobStorage.ts';
import { newContentKey, packContentKey, unpackContentKey, variantKey, cryptStream, type ContentKey } from './domain/ContentCipher.ts';
import { EncryptingStore } from './domain/EncryptingStore.ts';
import { contentSource, FileProcessor, type Analyze } from './domain/FileProcessor.ts';
import { FileRetention } from './domain/FileRetention.ts';
import { newFileId } from './domain/fileIds.ts';
import { LocalStorage } from './domain/LocalStorage.ts';
import type { S3Options } from '@muster/kit/s3-options';
import { S3Storage } from './domain/S3Storage.ts';
import { SignedLinks, type LinkVariant } from './domain/SignedLinks.ts';
import { Uploads } from './domain/Uploads.ts';
import { FilesError } from './errors.ts';
import { analyze } from './processing/analyze.ts';
import { DEFAULT_MAX_UPLOAD_BYTES, FileIdSchema, type FileView } from './protocol.ts';
import { FilePrefsRepository } from './store/FilePrefsRepository.ts';
import { FileRepository, type StoredFile } from './store/FileRepository.ts';

export type { FileView } from './protocol.ts';

/** Who may read a file besides its uploader: asked of the objects that reference files (a conversation's members…). */
export type FileReader = (fileId: string, accountId: string) => Promise<boolean>;
/** Whether a person may upload for a conversation (Upload-Metadata conversationId). */
export type UploadCheck = (accountId: string, conversationId: string) => Promise<boolean>;

export interface FilesOptions {
  db: Database;
  /** Files go under `<dataDir>/files` (unless s3 is given). */
  dataDir: string;
  logger: Logger;
  now?: () => number;
  /** Where the per-account limits count (shared through Redis when the server has it; this process's memory by default). */
  limits?: LimitStore;
  /** The per-account limits (defaults: FILES_RATES). */
  rates?: Partial<FilesRates>;
  /** S3-compatible storage instead of the local disk (see s3OptionsFromEnv). */
  s3?: S3Options;
  /** The ceiling of one upload (default MUSTER_MAX_UPLOAD_BYTES, else 1 GiB); the console may set a lower one. */
  maxUploadBytes?: number;
  /** Where the API is mounted (default `/api/v1`): the tus path and the links are below it. */
  publicPath?: string;
  /** The processing module (default: files/src/processing/analyze.ts). */
  analyze?: Analyze;
  /** How often the retention sweeper runs (ms); 0: not on a timer (tests call retention.sweep()). */
  sweepIntervalMs?: number;
  /** A BlobStorage of the caller's (tests); otherwise disk or S3 as above. */
  storage?: BlobStorage;
}

/** How often one account may start an upload and ask for signed links. */
export interface FilesRates {
  /** Upload creations (tus POST) per hour; a creation refused for another reason does not count. */
  uploadsPerHour: number;
  /** POST /files/links requests per minute (each up to 100 files). */
  linkRequestsPerMinute: number;
}

export const FILES_RATES: FilesRates = { uploadsPerHour: 120, linkRequestsPerMinute: 600 };

/** MUSTER_MAX_UPLOAD_BYTES, or the default 1 GiB. */
export function maxUploadBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MUSTER_MAX_UPLOAD_BYTES?.trim();
  if (!raw) return DEFAULT_MAX_UPLOAD_BYTES;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`MUSTER_MAX_UPLOAD_BYTES must be a positive whole number of bytes, got "${raw}"`);
  return value;
}

export class Files {
  readonly retention: FileRetention;
  readonly uploads: Uploads;
  readonly storage: BlobStorage;
  /** Where the API is mounted, e.g. `/api/v1`. */
  readonly publicPath: string;
  readonly #db: Database;
  readonly #files: FileRepository;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #links: SignedLinks;
  readonly #processor: FileProcessor;
  readonly #readers: FileReader[] = [];
  readonly #linkRequests: Limit;
  #uploadCheck: UploadCheck | undefined;
  readonly #finishing = new Map<string, Promise<void>>();
  #closing: Promise<void> | undefined;

  static async open(options: FilesOptions): Promise<Files> {
    return new Files(options, options.analyze ?? analyze);
  }

  private constructor(options: FilesOptions, analyze: Analyze) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.publicPath = (options.publicPath ?? '/api/v1').replace(/\/$/, '');
    this.#files = new FileRepository(options.db);
    this.storage = options.storage ?? (options.s3 ? new S3Storage(options.s3) : new LocalStorage(path.join(options.dataDir, 'files')));
    this.#links = new SignedLinks(options.db.sealer, this.#now);
    this.#processor = new FileProcessor(this.storage, analyze, this.#logger);
    const ceiling = options.maxUploadBytes ?? maxUploadBytesFromEnv();
    const rates = { ...FILES_RATES, ...options.rates };
    const limits = options.limits ?? new MemoryLimits();
    this.#linkRequests = limits.rate({ name: 'file-links', points: rates.linkRequestsPerMinute, perSeconds: 60 });
    this.retention = new FileRetention({
      db: options.db,
      files: this.#files,
      prefs: new FilePrefsRepository(options.db),
      storage: this.storage,
      logger: this.#logger,
      now: this.#now,
      ceiling,
      intervalMs: options.sweepIntervalMs,
    });
    const store = new EncryptingStore(this.storage.uploads, {
      keyOf: (id) => this.#contentKey(id),
      metadataOf: async (id) => {
        const file = await this.#files.get(id);
        return file ? { filename: file.meta.name, ...(file.conversationId ? { conversationId: file.conversationId } : {}) } : undefined;
      },
      onRemoved: (id) => this.#files.delete(id),
    });
    this.uploads = new Uploads({
      path: `${this.publicPath}/uploads`,
      store,
      files: this.#files,
      logger: this.#logger,
      now: this.#now,
      newContentKey: () => packContentKey(newContentKey()),
      maxUploadBytes: () => this.retention.maxUploadBytes(),
      blockedTypes: async () => (await this.retention.settings()).blockedTypes,
      creations: limits.rate({ name: 'file-uploads', points: rates.uploadsPerHour, perSeconds: 3600 }),
      uploadCheck: (accountId, conversationId) => (this.#uploadCheck ? this.#uploadCheck(accountId, conversationId) : Promise.resolve(true)),
      finish: (id) => this.#finish(id),
    });
    if (options.sweepIntervalMs !== 0) this.retention.start();
    this.#logger.info({ storage: this.storage.description, maxUploadBytes: ceiling }, 'files: ready');
  }

  // ------------------------------------------------------------ ports

  /** Adds a reader resolver: a file is readable by anyone one of them says yes for (and always by its uploader). */
  useReaders(resolver: FileReader): void {
    this.#readers.push(resolver);
  }

  /** The check an upload's conversationId must pass (else 404 at creation). */
  useUploadCheck(check: UploadCheck): void {
    this.#uploadCheck = check;
  }

  /** Whether `accountId` may read the file: its uploader, or anyone a reader resolver admits. Unfinished uploads: nobody. */
  async canRead(fileId: string, accountId: string): Promise<boolean> {
    if (!FileIdSchema.safeParse(fileId).success) return false;
    const file = await this.#files.get(fileId);
    return file !== null && this.#readable(file, accountId);
  }

  async #readable(file: StoredFile, accountId: string): Promise<boolean> {
    if (file.status === 'uploading') return false;
    if (file.ownerId === accountId) return true;
    for (const reader of this.#readers) {
      if (await reader(file.id, accountId)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------ im's ChatFiles

  /**
   * The file as a message would carry it, when `accountId` may attach it:
   * `upload`, their own finished upload; `forward`, any file they can read.
   * An expired file gives a view with expired: true (im refuses it with FILE_EXPIRED).
   */
  async attachable(fileId: string, accountId: string, how: 'upload' | 'forward'): Promise<FileView | undefined> {
    if (!FileIdSchema.safeParse(fileId).success) return undefined;
    const file = await this.#files.get(fileId);
    if (!file || file.status === 'uploading') return undefined;
    if (how === 'upload' ? file.ownerId !== accountId : !(await this.#readable(file, accountId))) return undefined;
    return viewOf(file);
  }

  /** Views of many files at once; an unknown id (or an unfinished upload) is left out. */
  async views(fileIds: readonly string[]): Promise<Map<string, FileView>> {
    const valid = fileIds.filter((id) => FileIdSchema.safeParse(id).success);
    const views = new Map<string, FileView>();
    for (const file of await this.#files.getMany(valid)) if (file.status !== 'uploading') views.set(file.id, viewOf(file));
    return views;
  }

  /** A message referencing these files was stored at `at`: last_ref_at = max(last_ref_at, at). */
  async referenced(fileIds: readonly string[], at: number): Promise<void> {
    await this.#files.referenced(fileIds.filter((id) => FileIdSchema.safeParse(id).success), at);
  }

  /** The view of one file, whoever may read it (the caller checked access); undefined when there is none. */
  async view(fileId: string): Promise<FileView | undefined> {
    return (await this.views([fileId])).get(fileId);
  }

  // ------------------------------------------------------------ content

  /**
   * The file's content, decrypted: all of it, or bytes start..end (inclusive,
   * already checked against its size). NOT_FOUND / FILE_EXPIRED as the row says.
   */
  async read(fileId: string, range?: { start: number; end: number }): Promise<NodeJS.ReadableStream> {
    const { file, key } = await this.#readyFile(fileId);
    const size = file.size ?? 0;
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    if (start < 0 || end >= size || (size > 0 && start > end)) throw new FilesError('RANGE_NOT_SATISFIABLE', `bytes ${start}-${end} are not within 0-${size - 1}`);
    return contentSource(this.storage, file.id, key, file.meta.content ?? 'original', size).read(start, end);
  }

  /** The thumbnail (WebP or JPEG, see FileView.thumbnail), decrypted; undefined when the file has none. */
  async readThumbnail(fileId: string): Promise<Buffer | undefined> {
    const { file, key } = await this.#readyFile(fileId);
    if (!file.meta.thumbnail || !file.meta.thumbnailSize) return undefined;
    const stream = await this.storage.readDerived(file.id, 'thumbnail', 0, file.meta.thumbnailSize - 1);
    const chunks: Buffer[] = [];
    for await (const chunk of stream.pipe(cryptStream(variantKey(key, 'thumbnail'), 0))) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** The stored file behind a download (for its headers), or NOT_FOUND / FILE_EXPIRED. */
  async downloadable(fileId: string): Promise<StoredFile> {
    return (await this.#readyFile(fileId)).file;
  }

  async #readyFile(fileId: string): Promise<{ file: StoredFile; key: ContentKey }> {
    const file = FileIdSchema.safeParse(fileId).success ? await this.#files.get(fileId) : null;
    if (!file || file.status === 'uploading') throw new FilesError('NOT_FOUND', 'no such file');
    if (file.status !== 'ready') throw new FilesError('FILE_EXPIRED', 'this file was deleted by the retention period');
    const key = await this.#contentKey(fileId);
    if (!key) throw new FilesError('FILE_EXPIRED', 'this file was deleted by the retention period');
    return { file, key };
  }

  /**
   * Stores a file the server made (a chat export saved into the chat),
   * processed like an upload. FILE_TYPE_BLOCKED as an upload would be.
   */
  async store(ownerId: string, name: string, bytes: Buffer, options: { mime?: string } = {}): Promise<FileView> {
    const id = newFileId();
    await this.#files.create({
      id,
      ownerId,
      conversationId: null,
      size: bytes.length,
      meta: { name, ...(options.mime ? { declaredMime: options.mime } : {}) },
      contentKey: packContentKey(newContentKey()),
      createdAt: this.#now(),
    });
    const store = this.uploads.tus.datastore;
    await store.create(new Upload({ id, size: bytes.length, offset: 0 }));
    await store.write(Readable.from([bytes]), id, 0);
    await this.#finish(id);
    const view = await this.view(id);
    if (!view) throw new FilesError('INTERNAL', 'the stored file is missing');
    return view;
  }

  // ------------------------------------------------------------ links

  /** Counts one POST /files/links against the account's limit: RATE_LIMITED (with the wait) past it. */
  async admitLinkRequest(accountId: string): Promise<void> {
    const verdict = await this.#linkRequests.take(accountId);
    if (!verdict.allowed) throw new FilesError('RATE_LIMITED', `too many link requests; ${retryText(verdict.retryAfterMs)}`, { retryAfterMs: verdict.retryAfterMs });
  }

  /** A link to GET the file (or its thumbnail) as `accountId` without a token, for 5 minutes. The caller checked canRead. */
  signLink(fileId: string, accountId: string, variant: LinkVariant): { url: string; expiresAt: number } {
    const { sig, expiresAt } = this.#links.sign(fileId, accountId, variant);
    const base = `${this.publicPath}/files/${encodeURIComponent(fileId)}${variant === 'thumbnail' ? '/thumbnail' : ''}`;
    return { url: `${base}?sig=${encodeURIComponent(sig)}`, expiresAt };
  }

  /** The account a link's signature names, when valid for this file and variant now. */
  verifyLink(fileId: string, variant: LinkVariant, sig: string): string | undefined {
    return this.#links.verify(fileId, variant, sig);
  }

  // ------------------------------------------------------------ finishing

  /** Processes a fully stored upload once (concurrent callers share the work); FILE_TYPE_BLOCKED deletes it. */
  #finish(id: string): Promise<void> {
    let running = this.#finishing.get(id);
    if (!running) {
      running = this.#process(id).finally(() => this.#finishing.delete(id));
      this.#finishing.set(id, running);
    }
    return running;
  }

  async #process(id: string): Promise<void> {
    const file = await this.#files.get(id);
    if (!file || file.status !== 'uploading') return;
    const key = await this.#contentKey(id);
    if (!key) return;
    const upload = await this.uploads.tus.datastore.getUpload(id);
    const size = upload.offset;
    const { blockedTypes } = await this.retention.settings();
    const result = await this.#processor.process(file, key, size, blockedTypes);
    if (result.blocked) {
      await this.storage.removeAll(id);
      await this.#files.delete(id);
      this.#logger.info({ fileId: id, mime: result.mime }, 'files: refused an upload of a blocked type');
      throw new FilesError('FILE_TYPE_BLOCKED', 'files of this type are not accepted here');
    }
    const won = await this.#files.finish(id, { kind: result.kind, size: result.size, meta: result.meta, completedAt: this.#now() });
    // The replacement is what the row now points at; the original (with its GPS position) goes.
    if (won && result.replaced) await this.storage.removeUpload(id);
  }

  async #contentKey(id: string): Promise<ContentKey | undefined> {
    const packed = await this.#files.contentKey(id);
    return packed ? unpackContentKey(packed) : undefined;
  }

  /** Stops the sweeper and waits for work under way. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.retention.stop();
      await Promise.allSettled([...this.#finishing.values()]);
    })();
    return this.#closing;
  }

  /** The domain's clock (ms). */
  now(): number {
    return this.#now();
  }

  /** The database this domain stores in (for tests and the server's diagnostics). */
  get db(): Database {
    return this.#db;
  }
}

/** What a message's readers see of a file. */
export function viewOf(file: StoredFile): FileView {
  const view: FileView = {
    id: file.id,
    name: file.meta.name,
    size: file.size ?? 0,
    mime: file.meta.mime ?? 'application/octet-stream',
    kind: file.kind ?? 'other',
    thumbnail: file.status === 'ready' && file.meta.thumbnail === true,
  };
  if (file.meta.width !== undefined) view.width = file.meta.width;
  if (file.meta.height !== undefined) view.height = file.meta.height;
  if (file.meta.durationMs !== undefined) view.durationMs = file.meta.durationMs;
  if (file.meta.waveform !== undefined) view.waveform = file.meta.waveform;
  if (file.status === 'deleting' || file.status === 'expired') view.expired = true;
  return view;
}
