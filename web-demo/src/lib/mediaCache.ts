/**
 * The media cache: pictures, voice messages, video posters and files this
 * device downloaded, kept in Cache Storage so they open again without the
 * network, and dropped after the person's `cacheDays` (Me → Settings →
 * Storage; 1, 7 or 30 days, or for ever).
 *
 * Framework-free, for the chat media views:
 *
 * ```ts
 * const blob = await cachedMedia(fileId, () => fetch(signedUrl));   // the cache first, else the fetcher (kept)
 * img.src = URL.createObjectURL(blob);
 * ```
 *
 * Entries are keyed by the file's id, never by its signed URL (which
 * changes every few minutes), at `/media-cache/<fileId>` in the cache
 * `muster-media-v1`; each stored Response carries the time it was stored
 * (`x-muster-cached-at`, ms) and its size (`x-muster-size`, bytes). Expiry
 * runs in the page (pwa/start.ts: at start-up and every few minutes) with
 * `Date.now()`. Where Cache Storage is missing (plain http other than
 * localhost: it is for secure contexts only) every call goes to the fetcher
 * and nothing is kept.
 */

export const MEDIA_CACHE = 'muster-media-v1';
export const CACHED_AT_HEADER = 'x-muster-cached-at';
export const SIZE_HEADER = 'x-muster-size';
export const DAY_MS = 86_400_000;

/** How long media stays: 1, 7 or 30 days, or null for ever. */
export type CacheDays = 1 | 7 | 30 | null;
export const CACHE_DAYS: readonly CacheDays[] = [1, 7, 30, null];
export const DEFAULT_CACHE_DAYS: CacheDays = 7;

/** A download that failed (the server's status, 0 for no network). */
export class MediaFetchError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'MediaFetchError';
    this.status = status;
  }
}

// ----------------------------------------------------------------- pure parts

/** The cache key of a file (a path on our origin that nothing serves: a key only). */
export function mediaKeyPath(fileId: string): string {
  return `/media-cache/${encodeURIComponent(fileId)}`;
}

/** The file id of a key (a Request's URL or a path), or null when it is not one of ours. */
export function fileIdOfKey(url: string): string | null {
  const path = url.startsWith('/') ? url : safePathOf(url);
  const m = path ? /^\/media-cache\/([^/?#]+)$/.exec(path) : null;
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

function safePathOf(url: string): string | null {
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

/**
 * Whether an entry stored at `cachedAt` has outlived `days` at `now`. For
 * ever (null) keeps everything; an entry without a readable time goes (it
 * cannot be proven fresh); one from the future (the clock was turned back)
 * is counted from now, i.e. kept.
 */
export function isExpired(cachedAt: number | null, now: number, days: CacheDays): boolean {
  if (days === null) return false;
  if (cachedAt === null || !Number.isFinite(cachedAt)) return true;
  return now - cachedAt > days * DAY_MS;
}

/** The stored time from the header's text. */
export function parseCachedAt(header: string | null): number | null {
  if (!header) return null;
  const n = Number(header);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** A readable `cacheDays` from anything (the server's reply), else the default. */
export function cacheDaysOf(value: unknown): CacheDays {
  return value === null || value === 1 || value === 7 || value === 30 ? value : DEFAULT_CACHE_DAYS;
}

// ----------------------------------------------------------------- Cache Storage

function storage(): CacheStorage | null {
  return typeof caches === 'undefined' ? null : caches;
}

function keyRequest(fileId: string): Request {
  return new Request(new URL(mediaKeyPath(fileId), location.origin).href);
}

const inFlight = new Map<string, Promise<Blob>>();

/**
 * The file's bytes: from the cache when this device has them, else from
 * `fetcher` (a fetch of the signed link) and then kept. One download at a
 * time per file, however many views ask. A failed download rejects with a
 * MediaFetchError and keeps nothing.
 */
export function cachedMedia(fileId: string, fetcher: () => Promise<Response>): Promise<Blob> {
  let pending = inFlight.get(fileId);
  if (!pending) {
    pending = load(fileId, fetcher).finally(() => inFlight.delete(fileId));
    inFlight.set(fileId, pending);
  }
  return pending;
}

async function load(fileId: string, fetcher: () => Promise<Response>): Promise<Blob> {
  const hit = await peekMedia(fileId);
  if (hit) return hit;
  let response: Response;
  try {
    response = await fetcher();
  } catch (error) {
    throw new MediaFetchError(0, `could not download the file (${(error as Error)?.message ?? error})`);
  }
  if (!response.ok) throw new MediaFetchError(response.status, `the file could not be downloaded (${response.status})`);
  const blob = await response.blob();
  await keep(fileId, blob, response.headers.get('content-type') ?? blob.type);
  return blob;
}

/** The cached bytes of a file, or null (not cached, or no Cache Storage here). */
export async function peekMedia(fileId: string): Promise<Blob | null> {
  const store = storage();
  if (!store) return null;
  try {
    const cache = await store.open(MEDIA_CACHE);
    const hit = await cache.match(keyRequest(fileId));
    return hit ? await hit.blob() : null;
  } catch {
    return null;
  }
}

/** Keeps bytes this device already has (a file it just sent, say) under their file id. */
export async function keep(fileId: string, blob: Blob, contentType = blob.type, now = Date.now()): Promise<void> {
  const store = storage();
  if (!store) return;
  try {
    const cache = await store.open(MEDIA_CACHE);
    const headers = new Headers({ [CACHED_AT_HEADER]: String(now), [SIZE_HEADER]: String(blob.size) });
    if (contentType) headers.set('content-type', contentType);
    await cache.put(keyRequest(fileId), new Response(blob, { status: 200, headers }));
  } catch {
    // Full, or storage refused (private mode): shown this once, not kept.
  }
}

async function sizeOf(response: Response): Promise<number> {
  const header = Number(response.headers.get(SIZE_HEADER));
  if (Number.isFinite(header) && header >= 0 && response.headers.has(SIZE_HEADER)) return header;
  return (await response.blob()).size;
}

/** Deletes what has outlived `days` (for ever: nothing); says how much went. */
export async function expire(now: number, days: CacheDays): Promise<{ removed: number; bytes: number }> {
  const store = storage();
  if (!store || days === null) return { removed: 0, bytes: 0 };
  const cache = await store.open(MEDIA_CACHE);
  let removed = 0;
  let bytes = 0;
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    if (!response) continue;
    if (!isExpired(parseCachedAt(response.headers.get(CACHED_AT_HEADER)), now, days)) continue;
    const size = await sizeOf(response);
    if (await cache.delete(request)) {
      removed += 1;
      bytes += size;
    }
  }
  return { removed, bytes };
}

/**
 * What the media cache holds: its entries and the sum of their sizes. When
 * Cache Storage cannot be read, the browser's estimate of this site's whole
 * storage (`navigator.storage.estimate`) stands in, marked `estimate`.
 */
export async function usage(): Promise<{ entries: number; bytes: number; estimate: boolean }> {
  const store = storage();
  try {
    if (!store) throw new Error('no Cache Storage');
    if (!(await store.has(MEDIA_CACHE))) return { entries: 0, bytes: 0, estimate: false };
    const cache = await store.open(MEDIA_CACHE);
    let entries = 0;
    let bytes = 0;
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      if (!response) continue;
      entries += 1;
      bytes += await sizeOf(response);
    }
    return { entries, bytes, estimate: false };
  } catch {
    const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
    return { entries: 0, bytes: estimate?.usage ?? 0, estimate: true };
  }
}

/** Deletes every cached file; says how much that freed. */
export async function clear(): Promise<{ entries: number; bytes: number }> {
  const store = storage();
  if (!store) return { entries: 0, bytes: 0 };
  const before = await usage();
  await store.delete(MEDIA_CACHE);
  return { entries: before.entries, bytes: before.estimate ? 0 : before.bytes };
}
