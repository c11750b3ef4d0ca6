/**
 * The Uploader against a real tus server in this process (@tus/server over a
 * temporary directory, behind a Bearer check like the files API's): bytes
 * arrive whole with their metadata, a refused token is refreshed once,
 * pause / resume, an unfinished upload goes on after a "reload" (a new
 * Uploader over the same storage, the same account only), the network going
 * away and coming back, cancel, uploads queued beyond the parallel limit.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage, nextSpeed, secondsLeft, Uploader, fileIdOf, type Upload, type UploadState } from './index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-uploader-'));
let server: http.Server;
let endpoint = '';
/** Tokens the server takes. */
const valid = new Set(['tok-1']);
const seen = { methods: [] as string[], auth: [] as (string | undefined)[], deleted: 0 };
/** Each PATCH waits for this before tus reads it (holds uploads mid-way). */
let gate: Promise<void> = Promise.resolve();
let patchArrived: (() => void) | null = null;

beforeAll(async () => {
  const tus = new TusServer({
    path: '/api/v1/uploads',
    datastore: new FileStore({ directory: dir }),
    namingFunction: () => `fl${crypto.randomBytes(12).toString('base64url')}`,
  });
  server = http.createServer((req, res) => {
    seen.methods.push(req.method ?? '');
    seen.auth.push(req.headers.authorization);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !valid.has(token)) {
      res.writeHead(401, { 'content-type': 'application/json', 'tus-resumable': '1.0.0' }).end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'token refused' } }));
      return;
    }
    if (req.method === 'DELETE') seen.deleted++;
    if (req.method === 'PATCH') {
      patchArrived?.();
      void gate.then(() => tus.handle(req, res));
      return;
    }
    void tus.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/uploads`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function stored(fileId: string): Buffer {
  return fs.readFileSync(path.join(dir, fileId));
}

function storedMeta(fileId: string): Record<string, string> {
  const info = JSON.parse(fs.readFileSync(path.join(dir, `${fileId}.json`), 'utf8')) as { metadata: Record<string, string> };
  return info.metadata;
}

class FakeNetwork extends EventTarget {
  online = true;
  set(online: boolean): void {
    this.online = online;
    this.dispatchEvent(new Event(online ? 'online' : 'offline'));
  }
}

function uploader(options: { storage?: MemoryStorage; account?: string; token?: () => string; refresh?: () => void; network?: FakeNetwork; chunkSize?: number; parallel?: number } = {}): Uploader {
  const network = options.network ?? new FakeNetwork();
  return new Uploader({
    endpoint,
    auth: { accessToken: async () => options.token?.() ?? 'tok-1', refresh: async () => options.refresh?.() },
    account: () => options.account ?? 'usAnn',
    storage: options.storage ?? new MemoryStorage(),
    chunkSize: options.chunkSize ?? 64 * 1024,
    retryDelays: [0, 50],
    retryLaterMs: 100,
    network,
    isOnline: () => network.online,
    ...(options.parallel ? { parallel: options.parallel } : {}),
  });
}

function until(upload: Upload, state: UploadState, also: (u: Upload) => boolean = () => true): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (upload.state === state && also(upload)) {
        off();
        resolve();
      } else if (upload.state === 'failed' && state !== 'failed') {
        off();
        reject(new Error(`failed: ${JSON.stringify(upload.snapshot.error)}`));
      }
    };
    const off = upload.on('change', check);
    check();
  });
}

/** Holds the next PATCHes until the returned release; resolves `arrived` when one comes in. */
function holdPatches(): { arrived: Promise<void>; release: () => void } {
  let release!: () => void;
  gate = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (patchArrived = resolve));
  return {
    arrived,
    release: () => {
      patchArrived = null;
      release();
      gate = Promise.resolve();
    },
  };
}

describe('Uploader', () => {
  it('uploads every byte with the metadata and the Bearer token, reports progress and names the file id', async () => {
    const data = bytes(300 * 1024);
    const up = uploader();
    const upload = up.start({ name: 'report.pdf', type: 'application/pdf', data }, { conversationId: 'cvAbcdefgh12', keepLocation: true });
    const progress: number[] = [];
    upload.on('change', (s) => progress.push(s.bytesSent));
    const fileId = await upload.done;
    expect(fileId).toMatch(/^fl[A-Za-z0-9_-]{16,40}$/);
    expect(upload.snapshot).toMatchObject({ state: 'done', fileId, bytesSent: data.length, total: data.length, name: 'report.pdf' });
    expect(progress.some((n) => n > 0 && n < data.length)).toBe(true);
    expect(Buffer.compare(stored(fileId), Buffer.from(data))).toBe(0);
    expect(storedMeta(fileId)).toMatchObject({ filename: 'report.pdf', filetype: 'application/pdf', conversationId: 'cvAbcdefgh12', keepLocation: '1' });
    expect(seen.auth.at(-1)).toBe('Bearer tok-1');
    up.close();
  });

  it('refreshes a refused token once and carries on', async () => {
    let token = 'tok-old';
    let refreshes = 0;
    const up = uploader({
      token: () => token,
      refresh: () => {
        refreshes++;
        token = 'tok-1';
      },
    });
    const upload = up.start({ name: 'a.bin', data: bytes(10_000) });
    await upload.done;
    expect(refreshes).toBe(1);
    up.close();
  });

  it('fails with the server\'s code when the token stays refused', async () => {
    const up = uploader({ token: () => 'tok-never' });
    const upload = up.start({ name: 'a.bin', data: bytes(1000) });
    await until(upload, 'failed');
    expect(upload.snapshot.error?.code).toBe('UNAUTHORIZED');
    up.close();
  });

  it('pauses and resumes from the server\'s offset', async () => {
    const data = bytes(512 * 1024, 7);
    const up = uploader();
    const hold = holdPatches();
    const upload = up.start({ name: 'big.bin', data });
    await hold.arrived;
    upload.pause();
    expect(upload.snapshot).toMatchObject({ state: 'paused', waiting: false, speed: 0 });
    hold.release();
    upload.resume();
    const fileId = await upload.done;
    expect(Buffer.compare(stored(fileId), Buffer.from(data))).toBe(0);
    up.close();
  });

  it('goes on after a reload from the bytes the server has (same account only)', async () => {
    const storage = new MemoryStorage();
    const data = bytes(640 * 1024, 3);
    const first = uploader({ storage });
    const upload = first.start({ name: 'movie.mp4', type: 'video/mp4', data, lastModified: 1 }, { conversationId: 'cvAbcdefgh12' });
    await until(upload, 'uploading', (u) => u.snapshot.bytesSent >= 192 * 1024);
    const hold = holdPatches();
    await hold.arrived;
    first.close();
    hold.release();
    // What the next page sees (this page's own paused upload is not listed as left unfinished).
    expect(await uploader({ storage }).unfinished()).toEqual([expect.objectContaining({ name: 'movie.mp4', size: data.length })]);
    expect(await first.unfinished()).toEqual([]);

    // Someone else on this browser: not theirs to resume.
    expect(await uploader({ storage, account: 'usBen' }).unfinished()).toEqual([]);

    const again = uploader({ storage });
    const resumed = again.start({ name: 'movie.mp4', type: 'video/mp4', data, lastModified: 1 }, { conversationId: 'cvAbcdefgh12' });
    const fileId = await resumed.done;
    expect(resumed.snapshot.resumed).toBe(true);
    expect(Buffer.compare(stored(fileId), Buffer.from(data))).toBe(0);
    // Finished: nothing left to resume.
    expect(await again.unfinished()).toEqual([]);
    again.close();
  });

  it('waits while offline and goes on when the network is back', async () => {
    const network = new FakeNetwork();
    const data = bytes(400 * 1024, 11);
    const up = uploader({ network });
    const hold = holdPatches();
    const upload = up.start({ name: 'trip.mov', data });
    await hold.arrived;
    network.set(false);
    expect(upload.snapshot).toMatchObject({ state: 'paused', waiting: true });
    hold.release();
    network.set(true);
    const fileId = await upload.done;
    expect(Buffer.compare(stored(fileId), Buffer.from(data))).toBe(0);
    up.close();
  });

  it('cancels: the server deletes the partial upload and `done` rejects', async () => {
    const up = uploader();
    const hold = holdPatches();
    const upload = up.start({ name: 'no.bin', data: bytes(300 * 1024) });
    await hold.arrived;
    const deleted = seen.deleted;
    upload.cancel();
    hold.release();
    await expect(upload.done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(upload.state).toBe('cancelled');
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (seen.deleted > deleted) {
          clearInterval(t);
          resolve();
        }
      }, 10);
    });
    up.close();
  });

  it('runs a few at a time; the rest wait in order', async () => {
    const up = uploader({ parallel: 1 });
    const a = up.start({ name: 'a', data: bytes(50_000) });
    const b = up.start({ name: 'b', data: bytes(50_000, 2) });
    expect(b.state).toBe('queued');
    await a.done;
    await b.done;
    expect(up.uploads.map((u) => u.state)).toEqual(['done', 'done']);
    up.close();
  });
});

describe('upload speed', () => {
  it('smooths the rate over time and starts from the first real one', () => {
    let s = nextSpeed(null, 0, 0);
    expect(s.speed).toBe(0);
    s = nextSpeed(s, 100_000, 1_000);
    expect(s.speed).toBe(100_000);
    // A burst right after: folded into the next sample.
    expect(nextSpeed(s, 150_000, 1_010)).toBe(s);
    const slower = nextSpeed(s, 150_000, 2_000);
    expect(slower.speed).toBeLessThan(100_000);
    expect(slower.speed).toBeGreaterThan(50_000);
    expect(secondsLeft(50, 150, 50)).toBe(2);
    expect(secondsLeft(50, 150, 0)).toBe(null);
  });

  it('reads the file id from a tus Location', () => {
    expect(fileIdOf('https://x/api/v1/uploads/flAbcdefghijklmnop12')).toBe('flAbcdefghijklmnop12');
    expect(fileIdOf('/api/v1/uploads/flAbcdefghijklmnop12/')).toBe('flAbcdefghijklmnop12');
    expect(fileIdOf('/api/v1/uploads/abc')).toBe(null);
  });
});
