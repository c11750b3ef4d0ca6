import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CACHED_AT_HEADER, cachedMedia, cacheDaysOf, clear, DAY_MS, expire, fileIdOfKey, isExpired, keep, MEDIA_CACHE, MediaFetchError, mediaKeyPath, parseCachedAt, peekMedia, usage } from './mediaCache.ts';

describe('expiry decisions', () => {
  const now = Date.UTC(2026, 0, 10);
  it('keeps what is younger than the setting and drops what is older', () => {
    expect(isExpired(now - 6 * DAY_MS, now, 7)).toBe(false);
    expect(isExpired(now - 7 * DAY_MS, now, 7)).toBe(false);
    expect(isExpired(now - 7 * DAY_MS - 1, now, 7)).toBe(true);
    expect(isExpired(now - 2 * DAY_MS, now, 1)).toBe(true);
    expect(isExpired(now - 29 * DAY_MS, now, 30)).toBe(false);
  });
  it('for ever keeps everything', () => {
    expect(isExpired(0, now, null)).toBe(false);
    expect(isExpired(null, now, null)).toBe(false);
  });
  it('drops an entry whose time cannot be read, keeps one from the future', () => {
    expect(isExpired(null, now, 30)).toBe(true);
    expect(isExpired(now + DAY_MS, now, 1)).toBe(false);
    expect(parseCachedAt('abc')).toBeNull();
    expect(parseCachedAt(String(now))).toBe(now);
  });
  it('reads the setting, defaulting to 7 days', () => {
    expect(cacheDaysOf(1)).toBe(1);
    expect(cacheDaysOf(null)).toBeNull();
    expect(cacheDaysOf(undefined)).toBe(7);
    expect(cacheDaysOf(3)).toBe(7);
  });
  it('keys by file id, never the signed URL', () => {
    expect(mediaKeyPath('f/1 2')).toBe('/media-cache/f%2F1%202');
    expect(fileIdOfKey('https://m.example/media-cache/f%2F1%202')).toBe('f/1 2');
    expect(fileIdOfKey('/api/v1/files/x')).toBeNull();
  });
});

/** Cache Storage as far as mediaCache.ts uses it. */
class FakeCache {
  readonly entries = new Map<string, Response>();
  async match(request: Request) {
    return this.entries.get(request.url)?.clone();
  }
  async put(request: Request, response: Response) {
    this.entries.set(request.url, response);
  }
  async keys() {
    return [...this.entries.keys()].map((url) => new Request(url));
  }
  async delete(request: Request) {
    return this.entries.delete(request.url);
  }
}
class FakeStorage {
  readonly caches = new Map<string, FakeCache>();
  async open(name: string) {
    let cache = this.caches.get(name);
    if (!cache) this.caches.set(name, (cache = new FakeCache()));
    return cache;
  }
  async has(name: string) {
    return this.caches.has(name);
  }
  async delete(name: string) {
    return this.caches.delete(name);
  }
}

describe('the cache (over a fake Cache Storage)', () => {
  let storage: FakeStorage;
  beforeEach(() => {
    storage = new FakeStorage();
    vi.stubGlobal('caches', storage);
    vi.stubGlobal('location', { origin: 'https://muster.example' });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('downloads once, then answers from the cache under the file id', async () => {
    let downloads = 0;
    const fetcher = async () => {
      downloads += 1;
      return new Response('hello', { headers: { 'content-type': 'text/plain' } });
    };
    const [a, b] = await Promise.all([cachedMedia('f1', fetcher), cachedMedia('f1', fetcher)]);
    expect(await a.text()).toBe('hello');
    expect(await b.text()).toBe('hello');
    expect(await (await cachedMedia('f1', fetcher)).text()).toBe('hello');
    expect(downloads).toBe(1);
    const stored = storage.caches.get(MEDIA_CACHE)!.entries.get('https://muster.example/media-cache/f1')!;
    expect(Number(stored.headers.get(CACHED_AT_HEADER))).toBeGreaterThan(0);
    expect(stored.headers.get('content-type')).toBe('text/plain');
  });

  it('keeps nothing of a failed download', async () => {
    await expect(cachedMedia('f2', async () => new Response('no', { status: 403 }))).rejects.toBeInstanceOf(MediaFetchError);
    await expect(cachedMedia('f2', async () => Promise.reject(new TypeError('offline')))).rejects.toMatchObject({ status: 0 });
    expect(await peekMedia('f2')).toBeNull();
  });

  it('expires by the stored time, counts sizes, and clears', async () => {
    const now = Date.UTC(2026, 0, 10);
    await keep('old', new Blob(['x'.repeat(1000)]), 'image/jpeg', now - 8 * DAY_MS);
    await keep('new', new Blob(['y'.repeat(300)]), 'image/jpeg', now - DAY_MS);
    expect(await usage()).toEqual({ entries: 2, bytes: 1300, estimate: false });
    expect(await expire(now, null)).toEqual({ removed: 0, bytes: 0 });
    expect(await expire(now, 7)).toEqual({ removed: 1, bytes: 1000 });
    expect(await peekMedia('old')).toBeNull();
    expect(await (await peekMedia('new'))!.text()).toBe('y'.repeat(300));
    expect(await clear()).toEqual({ entries: 1, bytes: 300 });
    expect(await usage()).toEqual({ entries: 0, bytes: 0, estimate: false });
  });

  it('without Cache Storage (plain http) goes to the network and keeps nothing', async () => {
    vi.stubGlobal('caches', undefined);
    expect(await (await cachedMedia('f3', async () => new Response('z'))).text()).toBe('z');
    expect(await peekMedia('f3')).toBeNull();
    expect(await clear()).toEqual({ entries: 0, bytes: 0 });
  });
});
