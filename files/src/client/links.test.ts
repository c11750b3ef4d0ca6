import { describe, expect, it } from 'vitest';
import { downloadUrl, SignedLinks, type FileLink } from './links.ts';

function fakeServer(options: { ttl?: number; now: () => number; missing?: string[]; status?: number }) {
  const calls: string[][] = [];
  let release: (() => void) | null = null;
  let held: Promise<void> | null = null;
  const fetch = async (path: string, init?: RequestInit): Promise<Response> => {
    expect(path).toBe('/files/links');
    const { fileIds } = JSON.parse(String(init?.body)) as { fileIds: string[] };
    calls.push(fileIds);
    if (held) await held;
    if (options.status) return new Response(JSON.stringify({ error: { code: 'FORBIDDEN', message: 'no' } }), { status: options.status });
    const links: FileLink[] = fileIds
      .filter((id) => !options.missing?.includes(id))
      .map((id) => ({ fileId: id, url: `/api/v1/files/${id}?sig=${calls.length}`, thumbnailUrl: `/api/v1/files/${id}/thumbnail?sig=${calls.length}`, expiresAt: options.now() + (options.ttl ?? 300_000) }));
    return new Response(JSON.stringify({ links }), { status: 200 });
  };
  return {
    fetch,
    calls,
    hold() {
      held = new Promise<void>((r) => (release = r));
    },
    release() {
      held = null;
      release?.();
    },
  };
}

describe('SignedLinks', () => {
  it('batches the ids asked for in one tick, keeps one request per id, answers fresh links from memory', async () => {
    let now = 1_000_000;
    const server = fakeServer({ now: () => now });
    const links = new SignedLinks({ fetch: server.fetch, now: () => now });
    server.hold();
    const a = links.get('flA');
    const b = links.get('flB');
    const a2 = links.get('flA');
    await new Promise((r) => setTimeout(r, 5));
    // In flight: asking again joins the same request.
    const a3 = links.get('flA');
    server.release();
    const [la, lb, la2, la3] = await Promise.all([a, b, a2, a3]);
    expect(server.calls).toEqual([['flA', 'flB']]);
    expect(la.url).toBe('/api/v1/files/flA?sig=1');
    expect(lb.thumbnailUrl).toBe('/api/v1/files/flB/thumbnail?sig=1');
    expect(la2).toBe(la);
    expect(la3).toBe(la);
    expect(await links.get('flA')).toBe(la);
    expect(links.peek('flB')).toBe(lb);
    // Close to expiry: asked again.
    now += 250_000;
    expect(links.peek('flA')).toBeUndefined();
    expect((await links.get('flA')).url).toBe('/api/v1/files/flA?sig=2');
    expect(server.calls).toHaveLength(2);
  });

  it('splits large batches', async () => {
    const server = fakeServer({ now: Date.now });
    const links = new SignedLinks({ fetch: server.fetch, maxBatch: 2 });
    const all = await links.getMany(['fl1', 'fl2', 'fl3', 'fl1']);
    expect([...all.keys()]).toEqual(['fl1', 'fl2', 'fl3']);
    expect(server.calls).toEqual([['fl1', 'fl2'], ['fl3']]);
  });

  it('rejects ids the server gave no link for, and every id of a refused request', async () => {
    const server = fakeServer({ now: Date.now, missing: ['flGone'] });
    const links = new SignedLinks({ fetch: server.fetch });
    await expect(links.get('flGone')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const refused = new SignedLinks({ fetch: fakeServer({ now: Date.now, status: 403 }).fetch });
    await expect(refused.get('flX')).rejects.toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('keeps watched links fresh ahead of expiry', async () => {
    const server = fakeServer({ now: Date.now, ttl: 62_000 });
    const links = new SignedLinks({ fetch: server.fetch, refreshAheadMs: 60_000 });
    const seen: string[] = [];
    const stop = await new Promise<() => void>((resolve) => {
      const off = links.watch('flV', (l) => {
        seen.push(l.url);
        if (seen.length === 2) resolve(off);
      });
    });
    expect(seen).toEqual(['/api/v1/files/flV?sig=1', '/api/v1/files/flV?sig=2']);
    stop();
  });

  it('makes download links', () => {
    expect(downloadUrl('/api/v1/files/flA?sig=x')).toBe('/api/v1/files/flA?sig=x&download=1');
    expect(downloadUrl('/api/v1/files/flA')).toBe('/api/v1/files/flA?download=1');
  });
});
