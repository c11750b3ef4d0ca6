import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { ByteSource } from './byteSource.ts';

/**
 * A ByteSource served over HTTP on 127.0.0.1, for ffmpeg and ffprobe.
 *
 * Why not a pipe: an MP4 whose index (moov atom) is at the end cannot be read
 * from a pipe, and a temporary file would put decrypted plaintext on disk.
 * ffmpeg's HTTP input seeks with Range requests, so it reads only what it
 * needs, decrypted on the fly by the source.
 *
 * Why a random path: any local process can connect to a loopback port; only
 * the holder of the 256-bit path gets the bytes. Every other path is a 404.
 * The server lives only as long as one analysis (`close` right after).
 */
export interface LoopbackSource {
  /** http://127.0.0.1:<port>/<random>: a secret, never logged. */
  readonly url: string;
  close(): Promise<void>;
}

export async function serveOnLoopback(source: ByteSource): Promise<LoopbackSource> {
  const secretPath = `/${randomBytes(32).toString('base64url')}`;
  const server = http.createServer((request, response) => {
    void answer(source, secretPath, request, response);
  });
  // A stalled reader must not hold a connection forever (ffmpeg is killed by its own deadline anyway).
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}${secretPath}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // ffmpeg keeps connections alive; a killed one may leave a response mid-stream.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function answer(source: ByteSource, secretPath: string, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  if (request.url !== secretPath) return end(response, 404);
  if (request.method !== 'GET' && request.method !== 'HEAD') return end(response, 405, { allow: 'GET, HEAD' });
  const size = source.size;
  let start = 0;
  let last = size - 1;
  let status = 200;
  const range = request.headers.range;
  if (range !== undefined) {
    const parsed = parseRange(range, size);
    if (parsed === 'unsatisfiable') return end(response, 416, { 'content-range': `bytes */${size}` });
    if (parsed) {
      [start, last] = parsed;
      status = 206;
    }
  }
  const headers: http.OutgoingHttpHeaders = {
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
    'content-length': String(Math.max(0, last - start + 1)),
  };
  if (status === 206) headers['content-range'] = `bytes ${start}-${last}/${size}`;
  response.writeHead(status, headers);
  if (request.method === 'HEAD' || last < start) return void response.end();
  try {
    const body = await source.read(start, last);
    // pipeline destroys the source stream when ffmpeg hangs up early (it often does after a seek).
    await pipeline(body as NodeJS.ReadableStream, response);
  } catch {
    // A read error or a closed connection: the client sees a short body and gives up or retries.
    response.destroy();
  }
}

function end(response: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders = {}): void {
  response.writeHead(status, { ...headers, 'content-length': '0' });
  response.end();
}

/**
 * One `bytes=` range (ffmpeg asks for one at a time): [start, last] inclusive,
 * undefined to ignore the header (malformed, or several ranges: the whole
 * body is a correct answer), 'unsatisfiable' for a start past the end.
 */
export function parseRange(header: string, size: number): [number, number] | undefined | 'unsatisfiable' {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    // bytes=-N: the last N bytes.
    const n = Number(match[2]);
    if (n === 0) return 'unsatisfiable';
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(match[1]);
  const last = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (last < start) return undefined;
  return [start, last];
}
