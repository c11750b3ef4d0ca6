import { Emitter } from '@muster/kit/emitter';
import { Upload as TusUpload, type DetailedError, type HttpRequest, type HttpResponse, type UploadOptions } from 'tus-js-client';
import { nextSpeed, type SpeedSample } from './speed.ts';
import { AccountUrlStorage, type KeyValueStorage, type StoredUpload } from './urlStorage.ts';

/**
 * Where an upload is:
 * - `queued`: waiting for a free slot (a few run at once);
 * - `uploading`: bytes going out;
 * - `paused`: by hand (`pause`), or for want of a network (`waiting` says so; it goes on by itself when the browser is `online` again);
 * - `done`: the server has every byte (`fileId` is set);
 * - `failed`: refused (`error`), `resume` tries again;
 * - `cancelled`: dropped by hand (the server's partial file is deleted).
 */
export type UploadState = 'queued' | 'uploading' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface UploadSnapshot {
  /** This device's id for the upload (not the file id). */
  id: string;
  name: string;
  /** The declared MIME type (the server finds the true one). */
  type: string;
  state: UploadState;
  bytesSent: number;
  total: number;
  /** Bytes per second, smoothed; 0 when not uploading. */
  speed: number;
  /** The file id (the last segment of the tus Location), once the server named it. */
  fileId: string | null;
  /** `paused` for want of a network (not by hand). */
  waiting: boolean;
  error: { code: string; message: string } | null;
  /** It carried on from bytes an earlier session sent (a reload, a restart). */
  resumed: boolean;
}

export type UploadEvents = { change: [UploadSnapshot] };
export type UploaderEvents = { change: [UploadSnapshot]; added: [Upload] };

/** A Blob or File in a browser; in Node, bytes with a name. */
export type UploadInput = Blob | { name: string; type?: string; data: Uint8Array; lastModified?: number };

export interface StartOptions {
  /** The conversation it will be sent to (the server checks I may send there). */
  conversationId?: string;
  /** Photos: keep their location (GPS) data; by default the server strips it. */
  keepLocation?: boolean;
  /** The declared type, when the input has none (a recorded voice message's MIME). */
  type?: string;
  /** A name, when the input has none (a Blob). */
  name?: string;
}

/** What the uploader needs of the accounts SDK's client (AccountClient has both). */
export interface UploadAuth {
  /** A valid access token (refreshed when about to expire), or null when signed out. */
  accessToken(): Promise<string | null>;
  /** A new token pair, after the server refused the token (single-flight in AccountClient). */
  refresh(): Promise<unknown>;
}

export interface UploaderOptions {
  auth: UploadAuth;
  /** The signed-in account: unfinished uploads are remembered per account. */
  account: () => string | null;
  /** The tus endpoint (default `/api/v1/uploads`, on the page's origin). */
  endpoint?: string;
  /** Where unfinished uploads are remembered (default `localStorage` where there is one; else nowhere). */
  storage?: KeyValueStorage | null;
  /** Bytes per PATCH (default 16 MiB: progress the server keeps, whatever its store). */
  chunkSize?: number;
  /** tus-js-client's delays between automatic retries (ms). */
  retryDelays?: number[];
  /** How many upload at once (default 2); the others are `queued`. */
  parallel?: number;
  /** After a network failure while the browser still says it is online, try again this much later (default 10 s). */
  retryLaterMs?: number;
  /** Where `online` / `offline` fire (default `globalThis` where it has addEventListener). */
  network?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | null;
  /** Whether the network is up (default navigator.onLine, else true). */
  isOnline?: () => boolean;
  now?: () => number;
}

const FILE_ID = /^fl[A-Za-z0-9_-]{16,40}$/;
const MIB = 1024 * 1024;

/** The file id in a tus Location: its last path segment. */
export function fileIdOf(location: string | null | undefined): string | null {
  if (!location) return null;
  const last = location.split('?')[0]!.replace(/\/+$/, '').split('/').pop() ?? '';
  return FILE_ID.test(last) ? last : null;
}

function randomId(): string {
  const bytes = new Uint8Array(9);
  globalThis.crypto.getRandomValues(bytes);
  return `up${[...bytes].map((b) => b.toString(36).padStart(2, '0')).join('')}`;
}

function defaultStorage(): KeyValueStorage | null {
  try {
    return (globalThis as { localStorage?: KeyValueStorage }).localStorage ?? null;
  } catch {
    return null;
  }
}

/**
 * One file on its way to the server. Observe it with `on('change')` (or
 * read `snapshot`); `done` resolves with the file id once every byte is
 * there, and rejects when it is cancelled (code CANCELLED).
 */
export class Upload extends Emitter<UploadEvents> {
  readonly id = randomId();
  readonly input: UploadInput;
  readonly options: StartOptions;
  /** The file id, once done. */
  readonly done: Promise<string>;
  #resolve!: (fileId: string) => void;
  #reject!: (error: Error) => void;
  #snapshot: UploadSnapshot;
  #tus: TusUpload | null = null;
  #sample: SpeedSample | null = null;
  readonly #uploader: Uploader;

  /** @internal made by Uploader.start */
  constructor(uploader: Uploader, input: UploadInput, options: StartOptions) {
    super();
    this.#uploader = uploader;
    this.input = input;
    this.options = options;
    this.done = new Promise<string>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Nobody may wait on it: a cancellation is not an unhandled rejection.
    this.done.catch(() => undefined);
    this.#snapshot = {
      id: this.id,
      name: options.name ?? nameOf(input),
      type: options.type ?? typeOf(input),
      state: 'queued',
      bytesSent: 0,
      total: sizeOf(input),
      speed: 0,
      fileId: null,
      waiting: false,
      error: null,
      resumed: false,
    };
  }

  get snapshot(): UploadSnapshot {
    return this.#snapshot;
  }

  get state(): UploadState {
    return this.#snapshot.state;
  }

  /** Stops sending; `resume` carries on from the bytes the server has. */
  pause(): void {
    const s = this.#snapshot.state;
    if (s !== 'uploading' && s !== 'queued' && !(s === 'paused' && this.#snapshot.waiting)) return;
    this.#stop();
    this.#set({ state: 'paused', speed: 0, waiting: false });
    this.#uploader._slotFreed();
  }

  /** Carries on after a pause, a network failure or a refusal. */
  resume(): void {
    const s = this.#snapshot.state;
    if (s !== 'paused' && s !== 'failed') return;
    this.#set({ state: 'queued', waiting: false, error: null });
    this.#uploader._slotFreed();
  }

  /** Drops it: the server deletes what it had; `done` rejects with CANCELLED. */
  cancel(): void {
    const s = this.#snapshot.state;
    if (s === 'done' || s === 'cancelled') return;
    const tus = this.#tus;
    this.#tus = null;
    if (tus) {
      void tus.abort(Boolean(tus.url)).catch(() => undefined);
      const key = (tus as unknown as { _urlStorageKey?: string })._urlStorageKey;
      if (key) void this.#uploader._storage?.removeUpload(key);
    }
    this.#set({ state: 'cancelled', speed: 0, waiting: false });
    this.#reject(Object.assign(new Error('cancelled'), { code: 'CANCELLED' }));
    this.#uploader._slotFreed();
  }

  // ------------------------------------------------------------ the uploader's side

  /** @internal Starts (or restarts) sending; called when a slot is free. */
  async _run(): Promise<void> {
    if (this.#snapshot.state !== 'queued') return;
    this.#set({ state: 'uploading', waiting: false, error: null, speed: 0 });
    this.#sample = null;
    if (this.#tus) {
      // A paused upload: tus-js-client asks the server for its offset (HEAD) and goes on from there.
      this.#tus.start();
      return;
    }
    const tus = new TusUpload(tusInputOf(this.input) as never, this.#uploader._tusOptions(this));
    this.#tus = tus;
    try {
      const previous = (await tus.findPreviousUploads()).filter((p) => p.size === this.#snapshot.total && p.uploadUrl);
      if (previous[0]) {
        tus.resumeFromPreviousUpload(previous[0]);
        this.#set({ resumed: true });
      }
    } catch {
      // No stored uploads to look at: a fresh start.
    }
    if (this.#tus !== tus || (this.state as UploadState) !== 'uploading') return;
    tus.start();
  }

  /** @internal */
  _progress(sent: number, total: number): void {
    if (this.#snapshot.state !== 'uploading') return;
    this.#sample = nextSpeed(this.#sample, sent, this.#uploader._now());
    this.#set({ bytesSent: sent, total: total || this.#snapshot.total, speed: Math.round(this.#sample.speed) });
  }

  /** @internal */
  _success(): void {
    const fileId = fileIdOf(this.#tus?.url);
    if (!fileId) {
      this._failed('BAD_LOCATION', `the server named the upload ${this.#tus?.url ?? 'nothing'}`);
      return;
    }
    this.#set({ state: 'done', bytesSent: this.#snapshot.total, speed: 0, fileId, waiting: false, error: null });
    this.#resolve(fileId);
    this.#uploader._slotFreed();
  }

  /** @internal A failure tus-js-client gave up on: the network (wait and go on), or a refusal. */
  _error(error: Error | DetailedError): void {
    if (this.#snapshot.state !== 'uploading') return;
    const res = (error as DetailedError).originalResponse;
    const status = res?.getStatus() ?? 0;
    if (!res || status === 0 || status >= 500 || status === 423 || status === 409) {
      this.#set({ state: 'paused', waiting: true, speed: 0 });
      this.#uploader._slotFreed();
      this.#uploader._waitForNetwork(this);
      return;
    }
    const code = codeOf(res) ?? (status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 401 ? 'UNAUTHORIZED' : status === 403 ? 'FORBIDDEN' : `HTTP_${status}`);
    this._failed(code, messageOf(res) ?? error.message);
  }

  /** @internal */
  _failed(code: string, message: string): void {
    this.#stop();
    this.#set({ state: 'failed', speed: 0, waiting: false, error: { code, message } });
    this.#uploader._slotFreed();
  }

  /** @internal The network went away: stop now (an XHR may otherwise hang), go on when it is back. */
  _offline(): void {
    if (this.#snapshot.state !== 'uploading') return;
    this.#stop();
    this.#set({ state: 'paused', waiting: true, speed: 0 });
    this.#uploader._slotFreed();
  }

  /** @internal Back online (or time to try again): queue it if it was waiting. */
  _retry(): void {
    if (this.#snapshot.state === 'paused' && this.#snapshot.waiting) {
      this.#set({ state: 'queued', waiting: false });
      this.#uploader._slotFreed();
    }
  }

  #stop(): void {
    void this.#tus?.abort(false).catch(() => undefined);
  }

  #set(change: Partial<UploadSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...change };
    this.emit('change', this.#snapshot);
    this.#uploader._changed(this);
  }
}

/**
 * Resumable uploads to the files API (tus at `/api/v1/uploads`), over
 * tus-js-client, framework-free: each request carries the account's fresh
 * access token (refreshed once when the server says 401), unfinished
 * uploads are remembered per account in localStorage (the same file picked
 * again after a reload goes on from the server's offset), a dropped network
 * pauses an upload until the browser is `online` again, and a few run at a
 * time while the rest wait in order.
 */
/** An upload an earlier page left unfinished (see Uploader.unfinished). */
export interface UnfinishedUpload {
  name: string;
  size: number | null;
  startedAt: string;
  /** Where it is remembered (discardUnfinished takes it). */
  key: string;
  conversationId?: string;
}

export class Uploader extends Emitter<UploaderEvents> {
  readonly #auth: UploadAuth;
  readonly #endpoint: string;
  readonly #chunkSize: number;
  readonly #retryDelays: number[];
  readonly #parallel: number;
  readonly #retryLaterMs: number;
  readonly #network: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | null;
  readonly #isOnline: () => boolean;
  readonly _now: () => number;
  /** @internal */
  readonly _storage: AccountUrlStorage | null;
  readonly #uploads: Upload[] = [];
  readonly #retryTimers = new Map<Upload, ReturnType<typeof setTimeout>>();
  readonly #onOnline = () => {
    for (const u of this.#uploads) u._retry();
  };
  readonly #onOffline = () => {
    for (const u of this.#uploads) u._offline();
  };

  constructor(options: UploaderOptions) {
    super();
    this.#auth = options.auth;
    this.#endpoint = options.endpoint ?? defaultEndpoint();
    this.#chunkSize = options.chunkSize ?? 16 * MIB;
    this.#retryDelays = options.retryDelays ?? [0, 1_000, 3_000, 5_000];
    this.#parallel = Math.max(1, options.parallel ?? 2);
    this.#retryLaterMs = options.retryLaterMs ?? 10_000;
    const storage = options.storage === undefined ? defaultStorage() : options.storage;
    this._storage = storage ? new AccountUrlStorage(storage, options.account) : null;
    const g = globalThis as { addEventListener?: unknown; navigator?: { onLine?: boolean } };
    this.#network = options.network === undefined ? (typeof g.addEventListener === 'function' ? (globalThis as unknown as EventTarget) : null) : options.network;
    this.#isOnline = options.isOnline ?? (() => g.navigator?.onLine !== false);
    this._now = options.now ?? Date.now;
    this.#network?.addEventListener('online', this.#onOnline);
    this.#network?.addEventListener('offline', this.#onOffline);
  }

  /** Every upload started here (finished and cancelled ones too, until `forget`). */
  get uploads(): readonly Upload[] {
    return this.#uploads;
  }

  get(id: string): Upload | undefined {
    return this.#uploads.find((u) => u.id === id);
  }

  /** Starts uploading a file (or queues it behind the running ones). */
  start(input: UploadInput, options: StartOptions = {}): Upload {
    const upload = new Upload(this, input, options);
    this.#uploads.push(upload);
    this.emit('added', upload);
    this._slotFreed();
    return upload;
  }

  /** Drops a finished, failed or cancelled upload from `uploads`. */
  forget(id: string): void {
    const i = this.#uploads.findIndex((u) => u.id === id);
    if (i >= 0 && ['done', 'failed', 'cancelled'].includes(this.#uploads[i]!.state)) this.#uploads.splice(i, 1);
  }

  /**
   * Uploads of this account an earlier page left unfinished (a reload, a
   * closed tab): a browser keeps no file across a reload, so picking the same
   * file again goes on from the bytes the server has. Those running in this
   * page are left out.
   */
  async unfinished(): Promise<UnfinishedUpload[]> {
    const stored: StoredUpload[] = (await this._storage?.findAllUploads()) ?? [];
    const running = new Set(this.uploads.filter((u) => u.snapshot.state !== 'done' && u.snapshot.state !== 'cancelled').map((u) => u.snapshot.name));
    return stored
      .filter((s) => !running.has(s.metadata.filename ?? ''))
      .map((s) => ({ name: s.metadata.filename ?? '', size: s.size, startedAt: s.creationTime, key: s.urlStorageKey, ...(s.metadata.conversationId ? { conversationId: s.metadata.conversationId } : {}) }));
  }

  /** Forgets an unfinished upload of an earlier session. */
  async discardUnfinished(key: string): Promise<void> {
    await this._storage?.removeUpload(key);
  }

  /** Stops listening to the network; running uploads are paused. */
  close(): void {
    this.#network?.removeEventListener('online', this.#onOnline);
    this.#network?.removeEventListener('offline', this.#onOffline);
    for (const timer of this.#retryTimers.values()) clearTimeout(timer);
    this.#retryTimers.clear();
    for (const u of this.#uploads) u.pause();
  }

  // ------------------------------------------------------------ for Upload

  /** @internal */
  _changed(upload: Upload): void {
    this.emit('change', upload.snapshot);
  }

  /** @internal A slot may be free: start queued uploads, oldest first. */
  _slotFreed(): void {
    let running = this.#uploads.filter((u) => u.state === 'uploading').length;
    for (const u of this.#uploads) {
      if (running >= this.#parallel) break;
      if (u.state !== 'queued') continue;
      running++;
      void u._run();
    }
  }

  /** @internal Offline: the `online` event brings it back; online (a server away): try again a little later. */
  _waitForNetwork(upload: Upload): void {
    clearTimeout(this.#retryTimers.get(upload));
    if (!this.#isOnline() && this.#network) return;
    this.#retryTimers.set(
      upload,
      setTimeout(() => {
        this.#retryTimers.delete(upload);
        upload._retry();
      }, this.#retryLaterMs),
    );
  }

  /** @internal tus-js-client's options for one upload. */
  _tusOptions(upload: Upload): UploadOptions {
    const { conversationId, keepLocation } = upload.options;
    const snap = upload.snapshot;
    const metadata: Record<string, string> = { filename: snap.name, filetype: snap.type || 'application/octet-stream' };
    if (conversationId) metadata.conversationId = conversationId;
    if (keepLocation) metadata.keepLocation = '1';
    const input = upload.input;
    const lastModified = input instanceof Blob ? ((input as File).lastModified ?? 0) : (input.lastModified ?? 0);
    const refusedTokens = new WeakSet<HttpRequest>();
    return {
      endpoint: this.#endpoint,
      metadata,
      uploadSize: snap.total,
      chunkSize: this.#chunkSize,
      retryDelays: this.#retryDelays,
      removeFingerprintOnSuccess: true,
      storeFingerprintForResuming: this._storage !== null,
      ...(this._storage ? { urlStorage: this._storage } : {}),
      // The same file (name, size, type, date) to the same conversation: the same upload, to go on with.
      fingerprint: () => Promise.resolve(['muster', snap.name, snap.type, snap.total, lastModified, conversationId ?? ''].join('/')),
      onBeforeRequest: async (req) => {
        const token = await this.#auth.accessToken().catch(() => null);
        if (token) req.setHeader('Authorization', `Bearer ${token}`);
      },
      onAfterResponse: async (req, res: HttpResponse) => {
        // A refused token: a new pair before tus-js-client retries (onShouldRetry lets a 401 through once).
        if (res.getStatus() === 401 && !refusedTokens.has(req)) {
          refusedTokens.add(req);
          await this.#auth.refresh().catch(() => undefined);
        }
      },
      onShouldRetry: (error, attempt) => {
        const status = error.originalResponse?.getStatus() ?? 0;
        if (status === 401) return attempt < 1;
        if (status >= 400 && status < 500 && status !== 409 && status !== 423) return false;
        return this.#isOnline();
      },
      onProgress: (sent, total) => upload._progress(sent, total),
      onSuccess: () => upload._success(),
      onError: (error) => upload._error(error),
    };
  }
}

function defaultEndpoint(): string {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  return `${origin && origin !== 'null' ? origin : ''}/api/v1/uploads`;
}

function nameOf(input: UploadInput): string {
  if (input instanceof Blob) return (input as File).name || 'file';
  return input.name;
}

function typeOf(input: UploadInput): string {
  return input instanceof Blob ? input.type : (input.type ?? '');
}

function sizeOf(input: UploadInput): number {
  return input instanceof Blob ? input.size : input.data.byteLength;
}

/** What tus-js-client reads: the Blob in a browser, a Buffer in Node. */
function tusInputOf(input: UploadInput): unknown {
  if (input instanceof Blob) return input;
  const data = input.data;
  const B = (globalThis as { Buffer?: { isBuffer(x: unknown): boolean; from(a: ArrayBufferLike, o: number, l: number): unknown } }).Buffer;
  if (B && !B.isBuffer(data)) return B.from(data.buffer, data.byteOffset, data.byteLength);
  return data;
}

function parsed(res: HttpResponse): { error?: { code?: string; message?: string } } | null {
  try {
    return JSON.parse(res.getBody() || 'null') as { error?: { code?: string; message?: string } } | null;
  } catch {
    return null;
  }
}

function codeOf(res: HttpResponse): string | undefined {
  return parsed(res)?.error?.code;
}

function messageOf(res: HttpResponse): string | undefined {
  return parsed(res)?.error?.message ?? (res.getBody() || undefined);
}
