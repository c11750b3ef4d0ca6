import WebSocket from 'ws';
import { log as rootLog, type Logger } from '@muster/kit/log';
import { EnhancedEventEmitter } from '../EnhancedEventEmitter.ts';
import { HEARTBEAT_MS, watchPeer } from './heartbeat.ts';
import {
  decodeChannel,
  decodeControl,
  encodeChannel,
  encodeControl,
  hostChannelFrame,
  hostControlFrame,
  KILL_SIGNALS,
  MEDIA_LINK_SUBPROTOCOL,
  type HostChannelFrame,
  type HostControlFrame,
  type RemoteWorkerInfo,
} from './protocol.ts';
import { RemoteWorker, type RemoteWorkerLink } from './RemoteWorker.ts';

/** Largest frame taken from a host: a worker's dump of many big rooms runs to a few MB. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** An open socket whose hello does not come by then is dropped and tried again. */
const HELLO_TIMEOUT_MS = 10_000;
const HANDSHAKE_TIMEOUT_MS = 5_000;
/** Invalid frames from a host are logged at most this often (a bug on one side, not worth a line per frame). */
const BAD_FRAME_LOG_MS = 10_000;

export interface MediaHostLinkOptions {
  /** The media host's id, as it registered; its hello must say the same. */
  host: string;
  /** `ws://address:port/media/link`. */
  url: string;
  /** The host's address: its workers' pipeAddress. */
  address: string;
  /** MEDIA_SECRET, sent as `Authorization: Bearer`. */
  secret: string;
  logger?: Logger;
  heartbeatMs?: number;
  /** First retry after a failure, doubling up to reconnectMaxMs (defaults 200 ms and 5 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export type MediaHostLinkEvents = {
  /** A worker to place rooms on: each of the host's workers on every (re)connection, and each replacement later. */
  worker: [RemoteWorker];
  /** Connected and greeted. */
  up: [];
  /** The connection was lost; its workers have died. */
  down: [];
};

/**
 * The signaling side's connection to one media host: it owns the
 * RemoteWorkers of that connection. Losing the connection is, for this
 * process, the death of every one of them (their routers may live on at the
 * host, but nothing here can reach them, and the host closes them when it
 * sees the connection go): they emit 'died', the rooms move. The link then
 * reconnects with a backoff, and the workers the host announces on the new
 * connection are new RemoteWorkers. The link stops only when closed.
 */
export class MediaHostLink extends EnhancedEventEmitter<MediaHostLinkEvents> {
  readonly host: string;
  readonly url: string;
  readonly address: string;
  readonly #secret: string;
  readonly #log: Logger;
  readonly #heartbeatMs: number;
  readonly #reconnectMinMs: number;
  readonly #reconnectMaxMs: number;
  /** The current connection's workers, by their id on the host. */
  readonly #workers = new Map<number, RemoteWorker>();
  readonly #workerLink: RemoteWorkerLink;
  #ws: WebSocket | undefined;
  #greeted = false;
  #failures = 0;
  #reconnect: NodeJS.Timeout | undefined;
  #closed = false;
  #lastBadFrameLog = 0;

  constructor(options: MediaHostLinkOptions) {
    super();
    this.host = options.host;
    this.url = options.url;
    this.address = options.address;
    this.#secret = options.secret;
    // A logger handed in already names its component (the app's media-hosts directory).
    this.#log = options.logger ? options.logger.child({ mediaHost: options.host }) : rootLog.child({ component: 'media-link', mediaHost: options.host });
    this.#heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.#reconnectMinMs = options.reconnectMinMs ?? 200;
    this.#reconnectMaxMs = options.reconnectMaxMs ?? 5_000;
    this.#workerLink = {
      send: (frame, callback) => {
        const ws = this.#ws;
        if (!ws || !this.#greeted || ws.readyState !== WebSocket.OPEN) return false;
        ws.send(encodeChannel(frame), callback);
        return true;
      },
      kill: (remoteId, signal) => {
        if (!(KILL_SIGNALS as readonly string[]).includes(signal)) throw new Error(`a media host sends its workers only ${KILL_SIGNALS.join(', ')}`);
        const ws = this.#ws;
        if (ws?.readyState === WebSocket.OPEN) ws.send(encodeControl({ t: 'kill', worker: remoteId, signal: signal as (typeof KILL_SIGNALS)[number] }));
      },
    };
  }

  /** Connected and greeted: its workers are usable. */
  get connected(): boolean {
    return this.#greeted;
  }

  /** The live workers of the current connection. */
  get workers(): RemoteWorker[] {
    return [...this.#workers.values()].filter((w) => !w.closed);
  }

  start(): void {
    if (!this.#ws && !this.#reconnect && !this.#closed) this.#connect();
  }

  /**
   * Stops for good. By default (the app is stopping) the workers are closed
   * quietly: their rooms are being closed anyway. `dying`: the host is
   * taken for gone (it left the registry), so its workers die and their
   * rooms move elsewhere.
   */
  close(options: { dying?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnect);
    this.#reconnect = undefined;
    const workers = [...this.#workers.values()];
    this.#workers.clear();
    if (options.dying) this.#killAll(workers);
    else for (const worker of workers) worker.close();
    this.#ws?.close(1000, 'closing');
    this.#ws = undefined;
    this.#greeted = false;
    this.removeAllListeners();
  }

  #connect(): void {
    this.#reconnect = undefined;
    if (this.#closed) return;
    const ws = new WebSocket(this.url, MEDIA_LINK_SUBPROTOCOL, {
      headers: { authorization: `Bearer ${this.#secret}` },
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      maxPayload: MAX_FRAME_BYTES,
      // Channel frames are v8 buffers of SDP and stats: little to gain, CPU to lose.
      perMessageDeflate: false,
    });
    this.#ws = ws;
    const helloTimer = setTimeout(() => ws.terminate(), HELLO_TIMEOUT_MS);
    helloTimer.unref();
    ws.on('open', () => watchPeer(ws, this.#heartbeatMs));
    ws.on('message', (data, isBinary) => {
      if (ws !== this.#ws) return;
      if (isBinary) this.#onChannelFrame(data as Buffer);
      else if (this.#onControlFrame(ws, data.toString()) === 'hello') clearTimeout(helloTimer);
    });
    ws.on('error', (error) => {
      if (this.#closed) return;
      // ws names the refusal ("Unexpected server response: 401"); 'close' follows and retries.
      if (this.#failures === 0 || this.#greeted) this.#log.warn({ err: error, url: this.url }, 'media link: cannot reach the media host; retrying');
    });
    ws.on('close', (code) => {
      clearTimeout(helloTimer);
      if (ws === this.#ws) this.#onDown(code);
    });
  }

  #onControlFrame(ws: WebSocket, data: string): HostControlFrame['t'] | undefined {
    const decoded = decodeControl(hostControlFrame, data);
    if (!decoded.ok) {
      this.#badFrame(decoded.error);
      return undefined;
    }
    const frame = decoded.frame;
    if (!this.#greeted && frame.t !== 'hello') {
      this.#badFrame(`${frame.t} before hello`);
      return undefined;
    }
    switch (frame.t) {
      case 'hello':
        if (this.#greeted) {
          this.#badFrame('a second hello');
          return undefined;
        }
        if (frame.host !== this.host) {
          // The address now belongs to another host (a stale registration): not ours to use.
          this.#log.warn({ url: this.url, says: frame.host }, 'media link: a different media host answers at this address; retrying');
          ws.close(4000, 'wrong host');
          return undefined;
        }
        this.#greeted = true;
        if (this.#failures > 0) this.#log.info({ url: this.url }, 'media link: connected again');
        else this.#log.info({ url: this.url, workers: frame.workers.length }, 'media link: connected');
        this.#failures = 0;
        this.safeEmit('up');
        for (const info of frame.workers) this.#add(info);
        return 'hello';
      case 'worker.added':
        this.#add(frame.worker);
        return frame.t;
      case 'worker.ready':
        this.#workers.get(frame.id)?.markReady(frame.pid);
        return frame.t;
      case 'worker.died': {
        const worker = this.#workers.get(frame.id);
        this.#workers.delete(frame.id);
        const info = { code: frame.code, signal: frame.signal as NodeJS.Signals | null };
        worker?.die(frame.stalled ? { ...info, stalled: true } : info);
        return frame.t;
      }
      case 'error':
        // The host refused a frame of ours: a bug on one side or the other, never a user's doing.
        this.#log.error({ message: frame.message }, 'media link: the media host refused a frame');
        return frame.t;
    }
  }

  #onChannelFrame(data: Buffer): void {
    if (!this.#greeted) return this.#badFrame('a channel frame before hello');
    const decoded = decodeChannel(hostChannelFrame, data);
    if (!decoded.ok) return this.#badFrame(decoded.error);
    // A worker already reported dead (or never announced) has nobody to hear it.
    // The envelope is checked; what the worker put in it is the worker's, as over the local IPC.
    this.#workers.get(decoded.frame.worker)?.handle(decoded.frame.message as HostChannelFrame['message']);
  }

  #add(info: RemoteWorkerInfo): void {
    if (this.#workers.has(info.id)) return;
    const worker = new RemoteWorker({ link: this.#workerLink, host: this.host, pipeAddress: this.address, info });
    this.#workers.set(info.id, worker);
    worker.on('close', () => {
      if (this.#workers.get(info.id) === worker) this.#workers.delete(info.id);
    });
    this.safeEmit('worker', worker);
  }

  #onDown(code: number): void {
    const wasUp = this.#greeted;
    this.#ws = undefined;
    this.#greeted = false;
    const lost = [...this.#workers.values()];
    this.#workers.clear();
    this.#killAll(lost);
    if (wasUp) {
      this.#log.warn({ url: this.url, code, workers: lost.length }, 'media link: lost the media host; its rooms move');
      this.safeEmit('down');
    }
    if (this.#closed) return;
    const delay = Math.min(this.#reconnectMaxMs, this.#reconnectMinMs * 2 ** Math.min(this.#failures, 16));
    this.#failures++;
    this.#reconnect = setTimeout(() => this.#connect(), delay);
    this.#reconnect.unref();
  }

  /** All of a lost host's workers are closed before the first 'died', so that no room moves onto a sibling about to die. */
  #killAll(workers: RemoteWorker[]): void {
    for (const worker of workers) worker.markDead();
    for (const worker of workers) worker.die({ code: null, signal: null });
  }

  #badFrame(error: string): void {
    const now = Date.now();
    if (now - this.#lastBadFrameLog < BAD_FRAME_LOG_MS) return;
    this.#lastBadFrameLog = now;
    this.#log.warn({ error }, 'media link: dropped an invalid frame from the media host');
  }
}
