/**
 * A push service on 127.0.0.1 for tests: it takes POSTs on any path (each
 * path one subscription's endpoint), keeps what it received, and answers
 * 201 unless told otherwise for a path (410: the subscription is gone).
 * Tests wait on what arrives (`next`, `waitFor`), never for a fixed time.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPush {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class PushEndpoint {
  readonly received: ReceivedPush[] = [];
  readonly #server: http.Server;
  readonly #statuses = new Map<string, number>();
  readonly #redirects = new Map<string, string>();
  #waiters: { count: number; path: string | undefined; resolve: () => void }[] = [];
  #port = 0;
  #next = 0;

  private constructor() {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0]!;
        this.received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
        const redirect = this.#redirects.get(path);
        if (redirect) res.writeHead(307, { location: redirect }).end();
        else res.writeHead(this.#statuses.get(path) ?? 201).end();
        this.#wake();
      });
    });
  }

  static async start(): Promise<PushEndpoint> {
    const endpoint = new PushEndpoint();
    await new Promise<void>((resolve) => endpoint.#server.listen(0, '127.0.0.1', resolve));
    endpoint.#port = (endpoint.#server.address() as AddressInfo).port;
    return endpoint;
  }

  /** A new endpoint URL (a path of its own), as a push service hands one to a browser. */
  url(query = ''): string {
    return `http://127.0.0.1:${this.#port}/push/${++this.#next}${query}`;
  }

  /** Answers this status on the endpoint's path from now on (410: gone). */
  answer(url: string, status: number): void {
    this.#statuses.set(new URL(url).pathname, status);
  }

  /** Redirects the endpoint's path elsewhere (a push sender must not follow). */
  redirect(url: string, to: string): void {
    this.#redirects.set(new URL(url).pathname, to);
  }

  /** What arrived on this endpoint. */
  at(url: string): ReceivedPush[] {
    const path = new URL(url).pathname;
    return this.received.filter((r) => r.path.split('?')[0] === path);
  }

  /** Resolves once `count` pushes have arrived (on `url`, when given). */
  waitFor(count: number, url?: string): Promise<void> {
    const path = url ? new URL(url).pathname : undefined;
    return new Promise((resolve) => {
      this.#waiters.push({ count, path, resolve });
      this.#wake();
    });
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      const n = w.path ? this.received.filter((r) => r.path.split('?')[0] === w.path).length : this.received.length;
      if (n < w.count) return true;
      w.resolve();
      return false;
    });
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
