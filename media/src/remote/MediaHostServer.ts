import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { constantTimeEqual } from '@muster/kit/constant-time';
import { log as rootLog, type Logger } from '@muster/kit/log';
import type { WorkerMethod, WorkerNotifications } from '../channel.ts';
import type { MediaWorker, MediaWorkerEvents } from '../MediaWorker.ts';
import type { WorkerPool } from '../WorkerPool.ts';
import { HEARTBEAT_MS, watchPeer } from './heartbeat.ts';
import {
  clientChannelFrame,
  clientControlFrame,
  decodeChannel,
  decodeControl,
  encodeChannel,
  encodeControl,
  MEDIA_LINK_PATH,
  MEDIA_LINK_SUBPROTOCOL,
  MEDIA_LINK_VERSION,
  type ClientChannelFrame,
  type HostChannelFrame,
  type HostControlFrame,
  type RemoteWorkerInfo,
} from './protocol.ts';

/** Largest frame taken from a signaling process: a request carries at most an SDP of a big publish. */
const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** A connection that reads slower than this much piles up unsent is dropped rather than grow the host's memory. */
const MAX_BUFFERED_BYTES = 256 * 1024 * 1024;
/** Refusals and bad frames are logged at most this often per kind (a scanner or a bug must not flood the log). */
const LOG_EVERY_MS = 10_000;

export interface MediaHostServerOptions {
  /** The host's started pool: its workers are what the links see. */
  pool: WorkerPool;
  /** This media host's id (as registered): the hello says it. */
  hostId: string;
  /** MEDIA_SECRET: links present it as `Authorization: Bearer`. */
  secret: string;
  logger?: Logger;
  heartbeatMs?: number;
}

/** One signaling process's link, and the routers it created (closed when it goes). */
interface Link {
  readonly ws: WebSocket;
  readonly peer: string;
  /** Routers this link created, per worker: its notifications go to it alone, and they are closed when it goes. */
  readonly routers: Map<MediaWorker, Set<string>>;
}

/**
 * The media host's side of the media link (protocol.ts): serves the host's
 * WorkerPool to signaling processes over WebSocket at `/media/link`,
 * authenticated with the shared secret. Each link first gets the hello
 * (the workers, their pids, whether started); a worker that dies is reported
 * (`worker.died`) and its replacement, which the pool starts, announced
 * (`worker.added`, then `worker.ready`). Requests are relayed to the named
 * worker and the responses back, whatever the method (the relay reads only
 * the envelope).
 *
 * Several signaling processes (apps on several hosts) may be linked at once.
 * Notifications go to the link that created the router they name: routers
 * are created only through `router.create`, whose ids are unique, so
 * tracking who created which is a set per link, and an app is spared its
 * neighbours' events. A notification naming no router (`worker.ready`), or
 * a router no link created, goes to every link; signaling ignores routerIds
 * it does not know. When a link goes, the host closes the routers it
 * created: that app has given the worker up for dead (see MediaHostLink)
 * and moved those rooms elsewhere, so nothing else would ever close them.
 */
export class MediaHostServer {
  readonly #pool: WorkerPool;
  readonly #hostId: string;
  readonly #secret: string;
  readonly #log: Logger;
  readonly #heartbeatMs: number;
  readonly #wss: WebSocketServer;
  readonly #links = new Set<Link>();
  /** Workers whose events are relayed, with the listeners to remove at close. */
  readonly #tracked = new Map<MediaWorker, { notification: (...args: MediaWorkerEvents['notification']) => void; died: (...args: MediaWorkerEvents['died']) => void }>();
  readonly #lastLog = new Map<string, number>();
  #server: http.Server | undefined;
  #closed = false;

  constructor(options: MediaHostServerOptions) {
    if (!options.secret) throw new Error('MediaHostServer needs a secret');
    this.#pool = options.pool;
    this.#hostId = options.hostId;
    this.#secret = options.secret;
    this.#log = options.logger ?? rootLog.child({ component: 'media-host' });
    this.#heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(MEDIA_LINK_SUBPROTOCOL) ? MEDIA_LINK_SUBPROTOCOL : false),
    });
    this.#pool.on('workerdied', this.#onWorkerDied);
    this.#pool.on('workerready', this.#onWorkerReady);
    for (const worker of this.#pool.workers) this.#track(worker);
  }

  /** Serves the link on `server`'s upgrades (every other upgrade path is refused: a media host has no other). */
  attach(server: http.Server): void {
    server.on('upgrade', this.#onUpgrade);
  }

  /** An HTTP server of its own, answering nothing but the link (tests, and a host without /metrics). Returns the port. */
  async listen(port: number, host: string): Promise<number> {
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    this.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.#server = server;
    return (server.address() as AddressInfo).port;
  }

  /** Links connected now. */
  get links(): number {
    return this.#links.size;
  }

  /** Ends every link (going away) and stops relaying; the pool is the caller's to close. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.off('workerdied', this.#onWorkerDied);
    this.#pool.off('workerready', this.#onWorkerReady);
    for (const [worker, listeners] of this.#tracked) {
      worker.off('notification', listeners.notification);
      worker.off('died', listeners.died);
    }
    this.#tracked.clear();
    const closing = [...this.#links].map(
      (link) =>
        new Promise<void>((resolve) => {
          link.ws.once('close', () => resolve());
          link.ws.close(1001, 'media host stopping');
          // A peer that does not answer the close frame is not waited for.
          setTimeout(() => link.ws.terminate(), 1_000).unref();
        }),
    );
    await Promise.all(closing);
    this.#wss.close();
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  readonly #onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    // A reset during the handshake must not become an uncaught 'error'.
    socket.on('error', () => undefined);
    const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    if (this.#closed) return refuse(socket, 503, 'Service Unavailable');
    if ((req.url ?? '').split('?', 1)[0] !== MEDIA_LINK_PATH) return refuse(socket, 404, 'Not Found');
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!bearer || !constantTimeEqual(bearer[1]!, this.#secret)) {
      this.#rarely('refused', () => this.#log.warn({ peer }, 'media host: refused a link without the right secret'));
      // No body, no hint of what was wrong: an unauthenticated caller learns nothing.
      return refuse(socket, 401, 'Unauthorized', 'WWW-Authenticate: Bearer\r\n');
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(MEDIA_LINK_SUBPROTOCOL)) {
      this.#rarely('version', () => this.#log.warn({ peer, offered }, `media host: refused a link that does not speak ${MEDIA_LINK_SUBPROTOCOL}`));
      return refuse(socket, 400, 'Bad Request', `X-Muster-Media-Link: ${MEDIA_LINK_SUBPROTOCOL}\r\n`);
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onLink(ws, peer));
  };

  #onLink(ws: WebSocket, peer: string): void {
    if (this.#closed) {
      ws.close(1001, 'media host stopping');
      return;
    }
    const link: Link = { ws, peer, routers: new Map() };
    this.#links.add(link);
    watchPeer(ws, this.#heartbeatMs);
    ws.on('error', () => undefined); // 'close' follows
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.#onChannelFrame(link, data as Buffer);
      else this.#onControlFrame(link, data.toString());
    });
    ws.on('close', () => this.#onLinkClosed(link));
    this.#log.info({ peer, links: this.#links.size }, 'media host: a signaling process linked');
    this.#sendControl(link, { t: 'hello', v: MEDIA_LINK_VERSION, host: this.#hostId, workers: this.#pool.workers.filter((w) => !w.closed).map(infoOf) });
  }

  #onLinkClosed(link: Link): void {
    this.#links.delete(link);
    let orphans = 0;
    for (const [worker, routerIds] of link.routers) {
      if (worker.closed) continue;
      for (const routerId of routerIds) {
        orphans++;
        worker.request('router.close', { routerId }).catch(() => undefined);
      }
    }
    link.routers.clear();
    if (!this.#closed) this.#log.info({ peer: link.peer, links: this.#links.size, routersClosed: orphans }, 'media host: a signaling process left');
  }

  #onChannelFrame(link: Link, data: Buffer): void {
    const decoded = decodeChannel(clientChannelFrame, data);
    if (!decoded.ok) return this.#refuseFrame(link, decoded.error);
    const { worker: remoteId, message } = decoded.frame as ClientChannelFrame;
    const worker = this.#worker(remoteId);
    if (!worker) {
      this.#sendChannel(link, { t: 'channel', worker: remoteId, message: { kind: 'response', id: message.id, ok: false, error: `media host ${this.#hostId} has no worker ${remoteId}` } });
      return;
    }
    const method = message.method as WorkerMethod;
    const params = message.params as { routerId?: unknown } | undefined;
    worker.request(method, message.params as never).then(
      (result) => {
        this.#noteRouter(link, worker, method, params);
        this.#sendChannel(link, { t: 'channel', worker: remoteId, message: { kind: 'response', id: message.id, ok: true, result } });
      },
      (error: Error) => {
        this.#sendChannel(link, { t: 'channel', worker: remoteId, message: { kind: 'response', id: message.id, ok: false, error: error.message ?? String(error) } });
      },
    );
  }

  /** Who created which router: for notifications, and for closing a gone link's routers. */
  #noteRouter(link: Link, worker: MediaWorker, method: WorkerMethod, params: { routerId?: unknown } | undefined): void {
    const routerId = typeof params?.routerId === 'string' ? params.routerId : undefined;
    if (!routerId) return;
    if (!this.#links.has(link)) {
      // Created after its link went (the request was in flight): nobody will ever close it but us.
      if (method === 'router.create') worker.request('router.close', { routerId }).catch(() => undefined);
      return;
    }
    if (method === 'router.create') {
      let routers = link.routers.get(worker);
      if (!routers) link.routers.set(worker, (routers = new Set()));
      routers.add(routerId);
    } else if (method === 'router.close') {
      link.routers.get(worker)?.delete(routerId);
    }
  }

  #onControlFrame(link: Link, data: string): void {
    const decoded = decodeControl(clientControlFrame, data);
    if (!decoded.ok) return this.#refuseFrame(link, decoded.error);
    const frame = decoded.frame;
    switch (frame.t) {
      case 'kill': {
        const worker = this.#worker(frame.worker);
        if (!worker) return this.#refuseFrame(link, `no worker ${frame.worker} to kill`);
        this.#log.warn({ peer: link.peer, worker: worker.id, workerPid: worker.pid, signal: frame.signal }, 'media host: a signaling process had a worker signalled (fault test)');
        worker.kill(frame.signal);
        return;
      }
    }
  }

  #refuseFrame(link: Link, error: string): void {
    this.#rarely(`frame:${link.peer}`, () => this.#log.warn({ peer: link.peer, error }, 'media host: refused a frame'));
    this.#sendControl(link, { t: 'error', message: error });
  }

  #worker(id: number): MediaWorker | undefined {
    return this.#pool.workers.find((w) => w.id === id && !w.closed);
  }

  #track(worker: MediaWorker): void {
    if (this.#tracked.has(worker) || this.#closed) return;
    const listeners = {
      notification: (event: keyof WorkerNotifications, data: unknown) => this.#relayNotification(worker, event, data),
      died: ({ code, signal, stalled }: MediaWorkerEvents['died'][0]) => {
        this.#tracked.delete(worker);
        for (const link of this.#links) link.routers.delete(worker);
        this.#broadcast({ t: 'worker.died', id: worker.id, code, signal, ...(stalled ? { stalled } : {}) });
      },
    };
    this.#tracked.set(worker, listeners as never);
    worker.on('notification', listeners.notification as never);
    worker.on('died', listeners.died);
  }

  readonly #onWorkerDied = ({ replacement }: { replacement: MediaWorker | null }): void => {
    if (!replacement) return;
    this.#track(replacement);
    this.#broadcast({ t: 'worker.added', worker: infoOf(replacement) });
  };

  readonly #onWorkerReady = (worker: MediaWorker): void => {
    this.#track(worker);
    this.#broadcast({ t: 'worker.ready', id: worker.id, pid: worker.pid ?? null });
  };

  #relayNotification(worker: MediaWorker, event: keyof WorkerNotifications, data: unknown): void {
    if (this.#links.size === 0) return;
    const routerId = (data as { routerId?: unknown } | null)?.routerId;
    const owners = typeof routerId === 'string' ? [...this.#links].filter((l) => l.routers.get(worker)?.has(routerId)) : [];
    const encoded = encodeChannel({ t: 'channel', worker: worker.id, message: { kind: 'notification', event, data } });
    for (const link of owners.length > 0 ? owners : this.#links) this.#sendRaw(link, encoded);
  }

  #broadcast(frame: HostControlFrame): void {
    for (const link of this.#links) this.#sendControl(link, frame);
  }

  #sendControl(link: Link, frame: HostControlFrame): void {
    this.#sendRaw(link, encodeControl(frame));
  }

  #sendChannel(link: Link, frame: HostChannelFrame): void {
    if (link.ws.readyState !== WebSocket.OPEN) return;
    let encoded: Buffer;
    try {
      encoded = encodeChannel(frame);
    } catch (error) {
      // A result v8 cannot serialize (a worker bug): the request fails instead of the link.
      if (frame.message.kind !== 'response') return;
      encoded = encodeChannel({ ...frame, message: { kind: 'response', id: frame.message.id, ok: false, error: `unserializable result: ${(error as Error).message}` } });
    }
    this.#sendRaw(link, encoded);
  }

  #sendRaw(link: Link, data: string | Buffer): void {
    if (link.ws.readyState !== WebSocket.OPEN) return;
    if (link.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.#log.warn({ peer: link.peer, buffered: link.ws.bufferedAmount }, 'media host: a signaling process does not read its link; dropping it');
      link.ws.terminate();
      return;
    }
    link.ws.send(data);
  }

  #rarely(key: string, write: () => void): void {
    const now = Date.now();
    if (now - (this.#lastLog.get(key) ?? 0) < LOG_EVERY_MS) return;
    this.#lastLog.set(key, now);
    if (this.#lastLog.size > 1000) this.#lastLog.clear();
    write();
  }
}

function infoOf(worker: MediaWorker): RemoteWorkerInfo {
  return { id: worker.id, pid: worker.pid ?? null, ready: worker.isReady };
}

/** Ends an upgrade with a bare status line: no body, nothing about why beyond the status. */
function refuse(socket: Duplex, status: number, text: string, headers = ''): void {
  // As ws's own abortHandshake: destroyed once the status line is out, not before.
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${headers}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
