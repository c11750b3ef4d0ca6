import {
  DEFAULT_HEARTBEAT_MS,
  LONGLINK_PATH,
  LONGLINK_VERSION,
  type ServerFrame,
} from '@muster/kit/longlink';
import type { AccountSocketFactory, AccountSocketOptions } from './accountSocket.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the event types differ between the DOM's and ws's WebSocket */
/** The standard WebSocket surface: the browser's `WebSocket`, or the `ws` package's in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;
/* eslint-enable @typescript-eslint/no-explicit-any */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;
type Ack = (reply: { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } }) => void;

const OPEN = 1;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/**
 * The signed-in device's connection over longlink (`/longlink` on a
 * gateway; kit/src/longlink/protocol.ts), with the surface of a socket.io
 * client socket that `watchAccount` and the IM SDK use: `on`/`off`,
 * `emit(event, payload, ack)` answered `{ ok, data | error }`,
 * `connected`, `connect()`/`disconnect()`, and the events `connect`,
 * `disconnect` and `connect_error` (`error.data.code` `UNAUTHORIZED` when
 * the token was refused: not retried here, as socket.io does not retry a
 * refused handshake; `watchAccount` refreshes and reconnects).
 *
 * It reconnects by itself after a network loss or a gateway going away,
 * with a growing, jittered delay, asking `auth` for a fresh token each
 * time; it pings every heartbeat the welcome names and drops a connection
 * it hears nothing from for two heartbeats.
 */
export class LonglinkSocket {
  readonly #url: string;
  readonly #WebSocket: WebSocketConstructor;
  readonly #auth: AccountSocketOptions['auth'];
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #acks = new Map<number, Ack>();
  #ws: WebSocketLike | null = null;
  #connected = false;
  /** disconnect() was called (or the device was refused, or signed out): no reconnecting until connect(). */
  #stopped = false;
  #nextId = 1;
  #retryMs = RECONNECT_MIN_MS;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #heardAt = 0;

  constructor(url: string, options: Pick<AccountSocketOptions, 'auth'>, WebSocketImpl: WebSocketConstructor) {
    this.#url = url;
    this.#WebSocket = WebSocketImpl;
    this.#auth = options.auth;
    this.#open();
  }

  get connected(): boolean {
    return this.#connected;
  }

  on(event: string, listener: Listener): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  off(event: string, listener: Listener): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  /** `on` for one call. */
  once(event: string, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  /** A request; the last argument, when a function, receives the answer. */
  emit(event: string, ...args: unknown[]): this {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as Ack) : undefined;
    const payload = ack ? args[0] : args[0];
    if (!this.#connected || !this.#ws) {
      ack?.({ ok: false, error: { code: 'NETWORK', message: 'not connected' } });
      return this;
    }
    const id = this.#nextId++;
    if (this.#nextId > 2 ** 31) this.#nextId = 1;
    if (ack) this.#acks.set(id, ack);
    this.#ws.send(JSON.stringify({ t: 'req', id, e: event, d: payload }));
    return this;
  }

  connect(): this {
    this.#stopped = false;
    if (!this.#ws) this.#open();
    return this;
  }

  disconnect(): this {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#drop();
    return this;
  }

  /** socket.io's other name for `disconnect`. */
  close(): this {
    return this.disconnect();
  }

  // ---------------------------------------------------------------- the connection

  #open(): void {
    if (this.#stopped || this.#ws) return;
    let ws: WebSocketLike;
    try {
      ws = new this.#WebSocket(this.#url);
    } catch {
      return this.#scheduleReconnect();
    }
    this.#ws = ws;
    ws.onopen = () => {
      this.#auth((data) => {
        const token = (data as { accessToken?: string }).accessToken;
        if (this.#ws !== ws || ws.readyState !== OPEN) return;
        // No token (signed out meanwhile): the gateway refuses the hello, and watchAccount hears UNAUTHORIZED.
        ws.send(JSON.stringify({ t: 'hello', v: LONGLINK_VERSION, token: token ?? '-', client: 'muster-sdk' }));
      });
    };
    ws.onmessage = (event: { data: unknown }) => this.#onFrame(ws, event.data);
    ws.onclose = () => this.#closed(ws);
    ws.onerror = () => undefined;
  }

  #onFrame(ws: WebSocketLike, data: unknown): void {
    if (this.#ws !== ws) return;
    this.#heardAt = Date.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(data)) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.t) {
      case 'welcome':
        this.#connected = true;
        this.#retryMs = RECONNECT_MIN_MS;
        this.#startHeartbeat(ws, frame.heartbeatMs || DEFAULT_HEARTBEAT_MS);
        this.#fire('connect');
        return;
      case 'res': {
        const ack = this.#acks.get(frame.id);
        if (!ack) return;
        this.#acks.delete(frame.id);
        ack(frame.ok ? { ok: true, data: frame.d } : { ok: false, error: frame.error });
        return;
      }
      case 'ev':
        this.#fire(frame.e, frame.d);
        return;
      case 'bye':
        if (frame.code === 'UNAUTHORIZED') {
          // As socket.io with a refused handshake: no retry of our own; watchAccount refreshes and calls connect().
          this.#stopped = true;
          this.#drop();
          this.#fire('connect_error', Object.assign(new Error(frame.message), { data: { code: 'UNAUTHORIZED', message: frame.message } }));
        } else if (frame.code === 'SIGNED_OUT' || frame.code === 'PROTOCOL_ERROR' || frame.code === 'UNSUPPORTED_VERSION') {
          this.#stopped = true;
        }
        return;
      default:
        return;
    }
  }

  #startHeartbeat(ws: WebSocketLike, heartbeatMs: number): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => {
      if (this.#ws !== ws) return;
      // Nothing heard for two heartbeats (not even a pong): the network is gone, whatever the browser thinks.
      if (Date.now() - this.#heardAt > 2 * heartbeatMs) return this.#drop();
      ws.send(JSON.stringify({ t: 'ping' }));
    }, heartbeatMs);
  }

  #closed(ws: WebSocketLike): void {
    if (this.#ws !== ws) return;
    this.#drop();
    this.#scheduleReconnect();
  }

  /** Ends the current connection (if any); pending requests fail with NETWORK. */
  #drop(): void {
    const ws = this.#ws;
    this.#ws = null;
    clearInterval(this.#heartbeat);
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close();
      } catch {
        // Already closed.
      }
    }
    for (const ack of this.#acks.values()) ack({ ok: false, error: { code: 'NETWORK', message: 'the connection was lost' } });
    this.#acks.clear();
    if (this.#connected) {
      this.#connected = false;
      this.#fire('disconnect', 'transport close');
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    clearTimeout(this.#retry);
    const delay = this.#retryMs * (0.5 + Math.random() / 2);
    this.#retryMs = Math.min(RECONNECT_MAX_MS, this.#retryMs * 2);
    this.#retry = setTimeout(() => this.#open(), delay);
  }

  #fire(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}

/**
 * A socket factory for `watchAccount` (and `ImClient.connect`) that opens
 * longlink connections instead of socket.io ones: pass the browser's
 * `WebSocket`, or `ws`'s in Node. `url` is what watchAccount asks for
 * (`<base>/account`); the connection goes to `<base>/longlink`, or to this
 * page's origin when the base is empty.
 */
export function longlink(WebSocketImpl: WebSocketConstructor): AccountSocketFactory {
  return (url, options) => new LonglinkSocket(longlinkUrl(url), options, WebSocketImpl);
}

function longlinkUrl(accountUrl: string): string {
  const base = accountUrl.replace(/\/account$/, '');
  const origin = base || (globalThis as { location?: { origin: string } }).location?.origin || '';
  return `${origin.replace(/^http/, 'ws')}${LONGLINK_PATH}`;
}
