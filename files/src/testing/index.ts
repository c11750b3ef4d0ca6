/**
 * Test helpers (`@muster/files/testing`): an HTTP app with the files routes
 * behind a stand-in for the accounts router (Bearer `user:<id>` or
 * `admin:<id>` sets req.principal), a tus client small enough to misuse on
 * purpose, and a stand-in for the processing module.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Principal } from '@muster/accounts';
import { afterEach } from 'vitest';
import type { Database } from '@muster/db';
import type { TestDatabase } from '@muster/db/testing';
import { Files, type FilesOptions } from '../Files.ts';
import type { Analyze } from '../domain/FileProcessor.ts';
import { mountFiles } from '../http/index.ts';
import { silentLogger } from '@muster/db/testing';

export interface TestApp {
  url: string;
  close(): Promise<void>;
}

/** `user:<id>` → a signed-in user; `admin:<id>` → an elevated admin; `admin-plain:<id>` → an admin without the second factor. */
export async function startTestApp(files: Files): Promise<TestApp> {
  const app = express();
  app.use((req, _res, next) => {
    const match = /^Bearer (user|admin|admin-plain):([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? '');
    if (match) {
      const principal: Principal = { accountId: match[2]!, sessionId: 's1', role: match[1] === 'user' ? 'user' : 'admin' };
      if (match[1] === 'admin') principal.elevatedUntil = files.now() + 600_000;
      (req as express.Request & { principal?: Principal }).principal = principal;
    }
    next();
  });
  mountFiles(app, files, { logger: silentLogger });
  app.use('/api', (_req, res) => void res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such API route' } }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const as = (accountId: string) => ({ authorization: `Bearer user:${accountId}` });
export const asAdmin = (accountId: string) => ({ authorization: `Bearer admin:${accountId}` });

/** tus Upload-Metadata from a plain object. */
export function tusMetadata(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${Buffer.from(v, 'utf8').toString('base64')}`)
    .join(',');
}

export interface TusReply {
  status: number;
  headers: Headers;
  text: string;
}

async function send(url: string, init: RequestInit): Promise<TusReply> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A small tus client over fetch. */
export class TusClient {
  constructor(
    readonly base: string,
    readonly headers: Record<string, string>,
  ) {}

  create(options: { length?: number; metadata?: Record<string, string>; rawMetadata?: string; body?: Buffer; headers?: Record<string, string> }): Promise<TusReply> {
    const headers: Record<string, string> = { 'tus-resumable': '1.0.0', ...this.headers, ...options.headers };
    if (options.length === undefined) headers['upload-defer-length'] = '1';
    else headers['upload-length'] = String(options.length);
    const metadata = options.rawMetadata ?? (options.metadata ? tusMetadata(options.metadata) : undefined);
    if (metadata !== undefined) headers['upload-metadata'] = metadata;
    if (options.body) headers['content-type'] = 'application/offset+octet-stream';
    return send(`${this.base}/api/v1/uploads`, { method: 'POST', headers, body: options.body ? new Uint8Array(options.body) : undefined });
  }

  /** Creates and returns the file id (the last path segment of Location); throws unless 201. */
  async start(length: number | undefined, metadata: Record<string, string>): Promise<string> {
    const reply = await this.create({ length, metadata });
    if (reply.status !== 201) throw new Error(`upload creation answered ${reply.status}: ${reply.text}`);
    return reply.headers.get('location')!.split('/').pop()!;
  }

  patch(id: string, offset: number, bytes: Buffer | Uint8Array, headers: Record<string, string> = {}): Promise<TusReply> {
    return send(`${this.base}/api/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: { 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', ...this.headers, ...headers },
      body: new Uint8Array(bytes),
    });
  }

  head(id: string): Promise<TusReply> {
    return send(`${this.base}/api/v1/uploads/${id}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', ...this.headers } });
  }

  delete(id: string): Promise<TusReply> {
    return send(`${this.base}/api/v1/uploads/${id}`, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0', ...this.headers } });
  }

  /** Uploads all of `bytes` in `chunk`-sized PATCHes; returns the file id. */
  async upload(bytes: Buffer, metadata: Record<string, string>, chunk = 1 << 20): Promise<string> {
    const id = await this.start(bytes.length, metadata);
    for (let offset = 0; offset < bytes.length; offset += chunk) {
      const reply = await this.patch(id, offset, bytes.subarray(offset, offset + chunk));
      if (reply.status !== 204) throw new Error(`PATCH at ${offset} answered ${reply.status}: ${reply.text}`);
    }
    return id;
  }
}

/**
 * A stand-in for the processing module: `.png` names are images 4×3 with a
 * thumbnail, `.blocked` names are blocked, `.broken` names throw, the rest
 * are plain files. It reads the whole source (as the real one reads what it needs).
 */
export const fakeAnalyze: Analyze = async (source, options) => {
  const stream = await source.read(0, Math.max(0, source.size - 1));
  const chunks: Buffer[] = [];
  if (source.size > 0) for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  const name = options.declaredName;
  if (name.endsWith('.broken')) throw new Error('decoder crashed');
  if (name.endsWith('.blocked')) return { mime: 'application/x-msdownload', kind: 'other', blocked: true };
  if (name.endsWith('.png')) return { mime: 'image/png', kind: 'image', width: 4, height: 3, thumbnail: { bytes: Buffer.from('thumbnail-bytes'), mime: 'image/webp' } };
  if (name.endsWith('.gps.jpg')) return { mime: 'image/jpeg', kind: 'image', width: 2, height: 2, replacement: { bytes: Buffer.from('stripped image'), mime: 'image/jpeg' } };
  return { mime: 'application/octet-stream', kind: 'other' };
};

/** Media made at test time by ffmpeg's lavfi sources (for whole-server tests with the real processing). */
export { ffmpegFile, ffmpegPiped, scratchDir, sine, testsrc } from '../processing/testFixtures.ts';

/**
 * A files domain on the test database behind a test app, closed after each
 * test: `open(options)` opens both (the fake analyzer, no sweeper, unless
 * `options` say otherwise).
 */
export function useFilesApp(testDb: TestDatabase): (options?: Partial<Omit<FilesOptions, 'db'>>) => Promise<{ db: Database; dataDir: string; files: Files; app: TestApp; url: string }> {
  let opened: { files: Files; app: TestApp } | undefined;
  afterEach(async () => {
    await opened?.app.close();
    await opened?.files.close();
    opened = undefined;
  });
  return async (options = {}) => {
    const db = await testDb.open();
    const dataDir = testDb.location.dataDir;
    const files = await Files.open({ db, dataDir, logger: silentLogger, analyze: fakeAnalyze, sweepIntervalMs: 0, ...options });
    const app = await startTestApp(files);
    opened = { files, app };
    return { db, dataDir, files, app, url: app.url };
  };
}
