/**
 * Signed links for <img>, <video> and <audio> (which send no Authorization
 * header): `POST /api/v1/files/links { fileIds }` answers a URL (and a
 * thumbnail URL) per file, valid for a few minutes. This cache batches the
 * ids asked for in the same moment into one request (at most `maxBatch` a
 * request), keeps one request in flight per id, answers from memory while a
 * link has more than `refreshAheadMs` left, and keeps watched links fresh
 * on a timer ahead of their expiry.
 */

export interface FileLink {
  fileId: string;
  url: string;
  thumbnailUrl?: string;
  /** When the link stops working (ms since the epoch). */
  expiresAt: number;
}

export interface SignedLinksOptions {
  /** `fetch` with the account's token, paths below /api/v1 (AccountClient.fetch). */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  now?: () => number;
  /** A link with less than this left is fetched again before use (default 60 s). */
  refreshAheadMs?: number;
  /** Ids per request (default 100). */
  maxBatch?: number;
  /** How long to gather ids before asking (default 0: the same tick). */
  batchDelayMs?: number;
}

export class SignedLinkError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'SignedLinkError';
    this.code = code;
    this.status = status;
  }
}

interface Waiter {
  resolve: (link: FileLink) => void;
  reject: (error: Error) => void;
}

export class SignedLinks {
  readonly #fetch: SignedLinksOptions['fetch'];
  readonly #now: () => number;
  readonly #ahead: number;
  readonly #maxBatch: number;
  readonly #delay: number;
  readonly #links = new Map<string, FileLink>();
  /** Ids asked for, not yet requested, with who waits. */
  readonly #queued = new Map<string, Promise<FileLink>>();
  readonly #waiters = new Map<string, Waiter>();
  /** Ids whose request is out. */
  readonly #inFlight = new Map<string, Promise<FileLink>>();
  readonly #watchers = new Map<string, Set<(link: FileLink) => void>>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Requests made (for tests and the console). */
  requests = 0;

  constructor(options: SignedLinksOptions) {
    this.#fetch = options.fetch;
    this.#now = options.now ?? Date.now;
    this.#ahead = options.refreshAheadMs ?? 60_000;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 100);
    this.#delay = options.batchDelayMs ?? 0;
  }

  /** A fresh link from memory, or undefined (then `get`). */
  peek(fileId: string): FileLink | undefined {
    const link = this.#links.get(fileId);
    return link && link.expiresAt - this.#now() > this.#ahead ? link : undefined;
  }

  /** A link with more than `refreshAheadMs` left: from memory, the request already out, or the next batch. */
  get(fileId: string): Promise<FileLink> {
    const fresh = this.peek(fileId);
    if (fresh) return Promise.resolve(fresh);
    const pending = this.#inFlight.get(fileId) ?? this.#queued.get(fileId);
    if (pending) return pending;
    const promise = new Promise<FileLink>((resolve, reject) => this.#waiters.set(fileId, { resolve, reject }));
    this.#queued.set(fileId, promise);
    this.#flushTimer ??= setTimeout(() => this.#flush(), this.#delay);
    return promise;
  }

  /** Links for many files (one request per batch). */
  async getMany(fileIds: readonly string[]): Promise<Map<string, FileLink>> {
    const links = await Promise.all([...new Set(fileIds)].map((id) => this.get(id)));
    return new Map(links.map((l) => [l.fileId, l]));
  }

  /**
   * Calls `listener` with the file's link now and with each new one, fetched
   * ahead of the old one's expiry for as long as someone watches (a video
   * that seeks after minutes needs a link that still works).
   */
  watch(fileId: string, listener: (link: FileLink) => void, onError?: (error: Error) => void): () => void {
    let set = this.#watchers.get(fileId);
    if (!set) this.#watchers.set(fileId, (set = new Set()));
    set.add(listener);
    const fresh = this.peek(fileId);
    if (fresh) {
      listener(fresh);
      this.#schedule(fresh);
    } else {
      this.get(fileId).catch((e: Error) => onError?.(e));
    }
    return () => {
      set.delete(listener);
      if (set.size === 0) {
        this.#watchers.delete(fileId);
        clearTimeout(this.#timers.get(fileId));
        this.#timers.delete(fileId);
      }
    };
  }

  /** Forgets every link (sign-out). */
  clear(): void {
    this.#links.clear();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #flush(): void {
    this.#flushTimer = undefined;
    const ids = [...this.#queued.keys()];
    for (let i = 0; i < ids.length; i += this.#maxBatch) void this.#request(ids.slice(i, i + this.#maxBatch));
  }

  async #request(ids: string[]): Promise<void> {
    const waiters = new Map<string, Waiter>();
    for (const id of ids) {
      this.#inFlight.set(id, this.#queued.get(id)!);
      this.#queued.delete(id);
      waiters.set(id, this.#waiters.get(id)!);
      this.#waiters.delete(id);
    }
    this.requests++;
    let links: FileLink[] = [];
    let failure: Error | null = null;
    try {
      const res = await this.#fetch('/files/links', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fileIds: ids }) });
      const text = await res.text();
      const body = (text ? JSON.parse(text) : null) as { links?: FileLink[]; error?: { code?: string; message?: string } } | null;
      if (!res.ok) failure = new SignedLinkError(body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? `POST /files/links: ${res.status}`, res.status);
      else links = body?.links ?? [];
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    const byId = new Map(links.map((l) => [l.fileId, l]));
    for (const id of ids) {
      this.#inFlight.delete(id);
      const waiter = waiters.get(id)!;
      const link = byId.get(id);
      if (link) {
        this.#links.set(id, link);
        waiter.resolve(link);
        for (const listener of [...(this.#watchers.get(id) ?? [])]) listener(link);
        this.#schedule(link);
      } else {
        waiter.reject(failure ?? new SignedLinkError('NOT_FOUND', `no link for ${id}`, 404));
      }
    }
  }

  #schedule(link: FileLink): void {
    if (!this.#watchers.has(link.fileId)) return;
    clearTimeout(this.#timers.get(link.fileId));
    const wait = Math.max(1_000, link.expiresAt - this.#ahead - this.#now() + 1);
    this.#timers.set(
      link.fileId,
      setTimeout(() => {
        this.#timers.delete(link.fileId);
        if (this.#watchers.has(link.fileId)) void this.get(link.fileId).catch(() => undefined);
      }, wait),
    );
  }
}

/** The link that downloads (Content-Disposition: attachment) rather than shows. */
export function downloadUrl(url: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}download=1`;
}
