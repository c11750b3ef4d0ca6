import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@muster/kit/log';

/**
 * Passes what a gateway does not serve itself (pages, REST, uploads and
 * downloads, the socket.io connections of meetings and boards) to its host's
 * app process on loopback, streaming both ways, with the client's address
 * appended to `X-Forwarded-For` (the app trusts loopback for it).
 *
 * Written on node:http rather than a library: `http-proxy` has had no
 * release since 2020, and `http-proxy-3`, its maintained fork, needs Node 22.
 */
export class AppProxy {
  #host = '';
  #port = 0;
  readonly #agent = new http.Agent({ keepAlive: true, maxFreeSockets: 64 });
  readonly #log: Logger;
  /** Upgraded connections passing through (socket.io of meetings and boards): cut when the gateway stops. */
  readonly #tunnels = new Set<Duplex>();

  constructor(appUrl: string, logger: Logger) {
    this.retarget(appUrl);
    this.#log = logger;
  }

  /** Upgraded connections passing through now: each holds a second open file, towards the app. */
  get tunnels(): number {
    return this.#tunnels.size;
  }

  /** The app was started again on another port. */
  retarget(appUrl: string): void {
    const url = new URL(appUrl);
    this.#host = url.hostname;
    this.#port = Number(url.port);
  }

  /** One HTTP request, answered by the app. */
  request(req: http.IncomingMessage, res: http.ServerResponse): void {
    const upstream = http.request(
      { host: this.#host, port: this.#port, method: req.method, path: req.url, headers: forwardedHeaders(req), agent: this.#agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (error) => {
      this.#log.debug({ err: error, path: req.url }, 'app proxy: the app did not answer');
      if (!res.headersSent) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'the server is restarting; try again in a moment' } }));
      } else res.destroy();
    });
    // A client that goes away mid-upload stops the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  /** One WebSocket upgrade (socket.io of meetings and boards): the bytes flow through untouched after the head. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const upstream = net.connect(this.#port, this.#host);
    const headers = forwardedHeaders(req);
    let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) text += `${name}: ${one}\r\n`;
    }
    let connected = false;
    upstream.on('connect', () => {
      connected = true;
      upstream.write(`${text}\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    this.#tunnels.add(socket);
    const end = () => {
      this.#tunnels.delete(socket);
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', (error) => {
      this.#log.debug({ err: error }, 'app proxy: upgrade failed');
      if (connected) return end();
      this.#tunnels.delete(socket);
      upstream.destroy();
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n\r\n');
    });
    upstream.on('close', () => {
      if (connected) end();
    });
    socket.on('error', end);
    socket.on('close', end);
  }

  close(): void {
    for (const socket of this.#tunnels) socket.destroy();
    this.#tunnels.clear();
    this.#agent.destroy();
  }
}

function forwardedHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { ...req.headers };
  const peer = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${peer}` : peer;
  if (!req.headers['x-forwarded-proto']) headers['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return headers;
}
