import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientFrame } from '@muster/kit/longlink/frames';
import {
  CLOSE_CODES,
  DEFAULT_HEARTBEAT_MS,
  HEARTBEATS_MISSED,
  HELLO_TIMEOUT_MS,
  LONGLINK_PATH,
  LONGLINK_VERSION,
  MAX_CLIENT_FRAME_BYTES,
  type ByeCode,
  type ClientFrame as ClientFrameType,
  type ServerFrame,
} from '@muster/kit/longlink';
import type { Logger } from '@muster/kit/log';
import { AppProxy } from './AppProxy.ts';
import { Uplink, UplinkUnavailable } from './Uplink.ts';
import type { AppMessage } from './uplinkProtocol.ts';

type Principal = NonNullable<Extract<AppMessage, { t: 'auth' }>['principal']>;

/** A gateway holds at most this many connections (one process may hold 20,000 open files here; some go to its own needs). */
export const DEFAULT_MAX_CONNECTIONS = 18_000;
/**
 * Open files a gateway keeps for itself beyond its clients' connections: its
 * uplink, its connections to the app for the requests it passes through, its
 * runtime's own. Its ceiling is the open-file limit less these.
 */
export const FILE_HEADROOM = 1_000;
/**
 * A gateway that stopped accepting at its cap accepts again below this many
 * (95 % of it): not paused and resumed at every connection that comes and goes.
 */
export const resumeBelow = (max: number): number => Math.max(1, Math.floor(max * 0.95));
/** The listening socket's queue of connections nobody has accepted yet (the kernel caps it at net.core.somaxconn). */
const ACCEPT_BACKLOG = 4_096;
/** Requests one connection may have waiting for the app at once. */
const MAX_IN_FLIGHT = 32;
/** Frames that are not the protocol a connection may send before it is closed. */
const MAX_BAD_FRAMES = 10;
/** How often deadlines (hello, heartbeat) are checked: one sweep for all connections, no timer each. */
const SWEEP_MS = 1_000;
/** How often the gateway tells the app its figures. */
const STATS_MS = 5_000;
/** Detach notices to the app go out at most this often, batched (a ramp-down of thousands is a few messages). */
const TELL_MS = 50;

/**
 * One long connection, kept as small as it can be: 600,000 of them must fit
 * one machine. No timer and no closure of its own beyond the WebSocket's
 * listeners; deadlines are checked by the gateway's sweep.
 */
interface Link {
  readonly id: string;
  readonly ws: WebSocket;
  principal: Principal | null;
  /** Until when it must say hello (before), or when its client was last heard (after). */
  deadline: number;
  inFlight: number;
  badFrames: number;
  /** The hello is being checked: a second one is a protocol error. */
  helloing: boolean;
}

export interface GatewayOptions {
  id: string;
  /** The app process of this host (`http://127.0.0.1:port`). */
  appUrl: string;
  /** Shared with the app by the supervisor: the uplink's credential. */
  secret: string;
  logger: Logger;
  /** Its cap: at this many it asks the supervisor to let the others accept (GATEWAY_MAX_CONNECTIONS). */
  maxConnections?: number;
  /**
   * Where it stops accepting by itself, even as the last gateway accepting
   * (past its cap while another one starts): below the open-file limit, by
   * FILE_HEADROOM. Never below the cap; default the cap plus FILE_HEADROOM.
   */
  ceiling?: number;
  /** It reached its cap or its ceiling, or fell back below `resumeBelow` of its cap: worth reporting now. */
  onLoad?: () => void;
  heartbeatMs?: number;
  /** How long a new connection may take to say hello (HELLO_TIMEOUT_MS; tests shorten it). */
  helloTimeoutMs?: number;
  /** Built-in TLS (TLS_CERT, TLS_KEY): the gateways terminate it, and the app behind them on loopback speaks HTTP. */
  tls?: { cert: Buffer; key: Buffer };
}

export interface GatewayStats {
  id: string;
  connections: number;
  /** Connections that said hello and were let in. */
  signedIn: number;
  accounts: number;
  uplinkOpen: boolean;
}

/**
 * A connection gateway (issue 18): holds long connections and relays. Its
 * longlink connections (`/longlink`) are answered here, their requests run
 * by the app through the uplink, and live events come back from the app for
 * the accounts held here only. Everything else on the port (pages, REST,
 * files, socket.io of meetings and boards) passes through to the app.
 *
 * It accepts its connections itself, on the host's one listening socket,
 * which the supervisor created and passed to every gateway (`acceptOn`); the
 * kernel gives each new connection to one of the gateways accepting. It
 * counts what it holds (`held`) and says when it reaches its cap, so the
 * supervisor lets others accept instead (`pauseAccepting`); it stops by
 * itself only at its ceiling. Tests may `listen` on a port of its own.
 */
export class Gateway {
  readonly id: string;
  readonly #log: Logger;
  readonly #max: number;
  readonly #ceiling: number;
  readonly #onLoad: (() => void) | undefined;
  readonly #heartbeatMs: number;
  readonly #helloTimeoutMs: number;
  readonly #http: http.Server;
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_CLIENT_FRAME_BYTES, clientTracking: false });
  readonly #proxy: AppProxy;
  readonly #uplink: Uplink;
  readonly #links = new Set<Link>();
  /** The signed-in links of each account (an account has few: its devices, a few tabs). */
  readonly #byAccount = new Map<string, Link[]>();
  #detach: string[] = [];
  #nextId = 0;
  /** Client TCP connections open (longlink, HTTP, pass-through upgrades). */
  #sockets = 0;
  /** Its copy of the shared listening socket, while it accepts. */
  #acceptor: net.Server | undefined;
  /** At or past its cap, as last reported (until it falls below `resumeBelow`). */
  #overCap = false;
  readonly #sweep: NodeJS.Timeout;
  #lastSweepAt = Date.now();
  readonly #tell: NodeJS.Timeout;
  readonly #stats: NodeJS.Timeout;
  #closed = false;

  constructor(options: GatewayOptions) {
    this.id = options.id;
    this.#log = options.logger;
    this.#max = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.#ceiling = Math.max(this.#max, options.ceiling ?? this.#max + FILE_HEADROOM);
    this.#onLoad = options.onLoad;
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.#helloTimeoutMs = options.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
    this.#proxy = new AppProxy(options.appUrl, options.logger);
    this.#uplink = new Uplink({
      appUrl: options.appUrl,
      secret: options.secret,
      gatewayId: options.id,
      logger: options.logger,
      onEvent: (event) => this.#onAppEvent(event),
      heldAccounts: () => this.#heldAccounts(),
    });
    const serve = (req: http.IncomingMessage, res: http.ServerResponse) => this.#proxy.request(req, res);
    this.#http = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, serve) : http.createServer(serve);
    // Long-lived connections: no request timeout cuts a download or an idle socket.io link.
    this.#http.requestTimeout = 0;
    this.#http.headersTimeout = 20_000;
    this.#http.keepAliveTimeout = 30_000;
    this.#http.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.#http.on('clientError', (_error, socket) => socket.destroy());
    // Every client connection, however it arrived (accepted here, taken, or `listen`): one open file each.
    this.#http.on('connection', (socket: Socket) => {
      this.#sockets++;
      socket.once('close', () => {
        this.#sockets--;
        this.#loadChanged();
      });
      this.#loadChanged();
    });
    this.#sweep = setInterval(() => this.#checkDeadlines(), SWEEP_MS);
    this.#tell = setInterval(() => this.#flushTells(), TELL_MS);
    this.#stats = setInterval(() => {
      const { connections, signedIn } = this.getStats();
      const memory = process.memoryUsage();
      this.#uplink.tell({ t: 'stats', connections, signedIn, heapUsed: memory.heapUsed, rss: memory.rss });
    }, STATS_MS);
    this.#stats.unref();
  }

  /** Resolves when the app can be asked (tests; the supervisor routes to a gateway before that too). */
  ready(): Promise<void> {
    return this.#uplink.opened();
  }

  /** The app was started again on another port. */
  useApp(appUrl: string): void {
    this.#proxy.retarget(appUrl);
    this.#uplink.retarget(appUrl);
  }

  /** Serves an accepted TCP connection. */
  take(socket: Socket): void {
    if (this.#closed) return void socket.destroy();
    this.#http.emit('connection', socket);
    socket.resume();
  }

  /**
   * Accepts connections on a listening socket shared with other processes
   * (the handle of the supervisor's, received over IPC). Returns false, and
   * closes this copy, when it is stopping, already accepting, or at its
   * ceiling. Closing a copy never closes the socket: the supervisor keeps one.
   */
  acceptOn(handle: object): boolean {
    if (this.#closed || this.#acceptor || this.held >= this.#ceiling) {
      (handle as { close?: () => void }).close?.();
      return false;
    }
    const acceptor = net.createServer({ noDelay: true }, (socket) => this.take(socket));
    acceptor.on('error', (error) => {
      this.#log.error({ err: error }, 'gateway: the shared listening socket failed; not accepting');
      if (this.#acceptor === acceptor) this.pauseAccepting();
      this.#onLoad?.();
    });
    // net.Server takes a raw handle as it is: listen(2) on this process's copy, then accept from it.
    acceptor.listen(handle, ACCEPT_BACKLOG);
    this.#acceptor = acceptor;
    return true;
  }

  /** Stops accepting (closes its copy of the listening socket); the connections it holds stay. */
  pauseAccepting(): void {
    const acceptor = this.#acceptor;
    this.#acceptor = undefined;
    // Only the listening handle closes: a net.Server's close leaves the connections it accepted open.
    acceptor?.close();
  }

  get accepting(): boolean {
    return this.#acceptor !== undefined;
  }

  /** What its cap and ceiling count: client connections, and the second file each pass-through upgrade holds towards the app. */
  get held(): number {
    return this.#sockets + this.#proxy.tunnels;
  }

  get ceiling(): number {
    return this.#ceiling;
  }

  #loadChanged(): void {
    const held = this.held;
    let tell = false;
    if (this.#acceptor && held >= this.#ceiling) {
      // Even the last one accepting stops here, for want of files. New connections wait in the kernel's queue
      // of the socket (the supervisor's copy keeps it listening) until another gateway accepts.
      this.pauseAccepting();
      tell = true;
    }
    const over = held >= (this.#overCap ? resumeBelow(this.#max) : this.#max);
    if (over !== this.#overCap) {
      this.#overCap = over;
      tell = true;
    }
    if (tell) this.#onLoad?.();
  }

  /** Listens on its own port (tests, or a deployment without the supervisor's dispatcher). */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => resolve());
    });
    return (this.#http.address() as AddressInfo).port;
  }

  get connections(): number {
    return this.#links.size;
  }

  getStats(): GatewayStats {
    let signedIn = 0;
    for (const link of this.#links) if (link.principal) signedIn++;
    return { id: this.id, connections: this.#links.size, signedIn, accounts: this.#byAccount.size, uplinkOpen: this.#uplink.open };
  }

  /** Ends every connection (GOING_AWAY: its client connects again, to another gateway), then stops. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    clearInterval(this.#tell);
    clearInterval(this.#stats);
    this.pauseAccepting();
    const links = [...this.#links];
    for (const link of links) this.#bye(link, 'GOING_AWAY', 'this gateway is stopping; connect again');
    this.#uplink.close();
    this.#proxy.close();
    this.#http.closeAllConnections();
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    // A second for the byes' close handshakes, then whatever is left is cut.
    const grace = setTimeout(() => {
      for (const link of links) link.ws.terminate();
    }, 1_000);
    await closed;
    clearTimeout(grace);
  }

  // ---------------------------------------------------------------- connections

  /** An upgrade request: longlink is served here, anything else passes through to the app (also called by an app that embeds a gateway). */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = req.url?.split('?', 1)[0];
    if (path !== LONGLINK_PATH) return this.#proxy.upgrade(req, socket, head);
    if (this.#links.size >= this.#ceiling || this.#closed) {
      // Past its ceiling (it stops accepting there; a connection taken another way may still come): the client tries again.
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  }

  #accept(ws: WebSocket): void {
    const link: Link = { id: (this.#nextId++).toString(36), ws, principal: null, deadline: Date.now() + this.#helloTimeoutMs, inFlight: 0, badFrames: 0, helloing: false };
    this.#links.add(link);
    ws.on('message', (data, isBinary) => this.#onFrame(link, data as Buffer, isBinary));
    ws.on('close', () => this.#drop(link));
    ws.on('error', () => ws.terminate());
  }

  #onFrame(link: Link, data: Buffer, isBinary: boolean): void {
    let frame: ClientFrameType;
    try {
      if (isBinary) throw new Error('binary frames are not part of this protocol');
      const parsed = ClientFrame.safeParse(JSON.parse(data.toString()));
      if (!parsed.success) {
        // A request whose envelope is wrong still gets its answer, by its id when it has one.
        const id = requestIdOf(data);
        const message = `not a longlink frame: ${parsed.error.issues[0]?.path.join('.') || 'frame'}: ${parsed.error.issues[0]?.message}`;
        if (id !== null && link.principal) return this.#answerError(link, id, 'BAD_REQUEST', message);
        throw new Error(message);
      }
      frame = parsed.data;
    } catch (error) {
      if (++link.badFrames > MAX_BAD_FRAMES) return this.#bye(link, 'PROTOCOL_ERROR', 'too many frames that are not the longlink protocol');
      this.#send(link, { t: 'error', error: { code: 'BAD_FRAME', message: error instanceof SyntaxError ? 'a frame must be JSON' : (error as Error).message } });
      return;
    }
    const now = Date.now();
    if (link.principal) link.deadline = now + this.#heartbeatMs * HEARTBEATS_MISSED;
    switch (frame.t) {
      case 'ping':
        if (link.principal) this.#send(link, { t: 'pong' });
        else this.#send(link, { t: 'error', error: { code: 'NOT_READY', message: 'say hello first' } });
        return;
      case 'hello':
        return void this.#hello(link, frame.v, frame.token);
      case 'req':
        return void this.#request(link, frame.id, frame.e, frame.d);
    }
  }

  async #hello(link: Link, version: number, token: string): Promise<void> {
    if (link.principal || link.helloing) return this.#bye(link, 'PROTOCOL_ERROR', 'hello was already said on this connection');
    if (version !== LONGLINK_VERSION) return this.#bye(link, 'UNSUPPORTED_VERSION', `this gateway speaks longlink version ${LONGLINK_VERSION}; the hello asked for ${version}`);
    link.helloing = true;
    let principal: Principal | null;
    try {
      principal = await this.#uplink.authenticate(token);
    } catch {
      // The app is restarting: the client comes back shortly (to this gateway or another).
      return this.#bye(link, 'GOING_AWAY', 'the server is restarting; connect again in a moment');
    }
    if (link.ws.readyState !== link.ws.OPEN) return;
    if (!principal) return this.#bye(link, 'UNAUTHORIZED', 'the access token is not valid (expired or signed out): refresh it and connect again');
    link.principal = principal;
    link.helloing = false;
    link.deadline = Date.now() + this.#heartbeatMs * HEARTBEATS_MISSED;
    const others = this.#byAccount.get(principal.accountId);
    if (others) others.push(link);
    else this.#byAccount.set(principal.accountId, [link]);
    // Told at once, not batched: the uplink keeps order, so the app routes this account's events here before it
    // sees any request this client sends after its welcome.
    this.#uplink.tell({ t: 'attach', accounts: [principal.accountId] });
    this.#send(link, { t: 'welcome', v: LONGLINK_VERSION, accountId: principal.accountId, connectionId: `${this.id}:${link.id}`, heartbeatMs: this.#heartbeatMs });
  }

  async #request(link: Link, id: number, event: string, payload: unknown): Promise<void> {
    const principal = link.principal;
    if (!principal) return this.#answerError(link, id, 'NOT_READY', 'say hello first');
    if (link.inFlight >= MAX_IN_FLIGHT) return this.#answerError(link, id, 'RATE_LIMITED', `at most ${MAX_IN_FLIGHT} requests may wait for answers at once`);
    link.inFlight++;
    try {
      const reply = (await this.#uplink.request(link.id, principal, event, payload)) as { ok: boolean; data?: unknown; error?: { code: string; message: string } };
      if (reply.ok) this.#send(link, { t: 'res', id, ok: true, d: reply.data });
      else this.#send(link, { t: 'res', id, ok: false, error: reply.error ?? { code: 'INTERNAL', message: 'the server could not complete the request' } });
    } catch (error) {
      if (error instanceof UplinkUnavailable) this.#answerError(link, id, 'UNAVAILABLE', error.message);
      else {
        // The caller does not wait on this: a rethrow would be an unhandled rejection that ends the gateway.
        this.#log.error({ err: error, event }, 'gateway: a request could not be relayed');
        this.#answerError(link, id, 'INTERNAL', 'the server could not complete the request');
      }
    } finally {
      link.inFlight--;
    }
  }

  #answerError(link: Link, id: number, code: string, message: string): void {
    this.#send(link, { t: 'res', id, ok: false, error: { code, message } });
  }

  #drop(link: Link): void {
    if (!this.#links.delete(link)) return;
    const principal = link.principal;
    if (!principal) return;
    link.principal = null;
    const list = this.#byAccount.get(principal.accountId);
    if (list) {
      const left = list.filter((l) => l !== link);
      if (left.length === 0) this.#byAccount.delete(principal.accountId);
      else this.#byAccount.set(principal.accountId, left);
    }
    this.#detach.push(principal.accountId);
  }

  #bye(link: Link, code: ByeCode, message: string): void {
    this.#send(link, { t: 'bye', code, message });
    link.ws.close(CLOSE_CODES[code], code);
    this.#drop(link);
  }

  #send(link: Link, frame: ServerFrame): void {
    if (link.ws.readyState === link.ws.OPEN) link.ws.send(JSON.stringify(frame));
  }

  // ---------------------------------------------------------------- the app's events

  #onAppEvent(event: Extract<AppMessage, { t: 'deliver' | 'broadcast' | 'revoke' }>): void {
    switch (event.t) {
      case 'deliver': {
        // Serialised and encoded once for every connection it goes to.
        const frame = encode({ t: 'ev', e: event.e, d: event.d });
        for (const accountId of event.to) for (const link of this.#byAccount.get(accountId) ?? []) sendRaw(link, frame);
        return;
      }
      case 'broadcast': {
        const frame = encode({ t: 'ev', e: event.e, d: event.d });
        for (const link of this.#links) if (link.principal) sendRaw(link, frame);
        return;
      }
      case 'revoke': {
        const sessions = new Set(event.sessions);
        for (const link of this.#links) {
          if (link.principal && sessions.has(link.principal.sessionId)) {
            this.#send(link, { t: 'ev', e: 'account.signed-out', d: { reason: event.reason } });
            this.#bye(link, 'SIGNED_OUT', `this device was signed out (${event.reason})`);
          }
        }
        return;
      }
    }
  }

  #checkDeadlines(): void {
    const now = Date.now();
    // A sweep that comes late found this gateway busy (a stall, a starved CPU). What clients sent meanwhile may
    // still wait unread in their sockets: timers run before the poll that reads them. So the time it was away is
    // not held against anyone (gateway.test.ts: a ping left unread through a stall of six deadlines keeps its link).
    // Late means twice the interval; then everything since the last sweep may be unread, and is credited.
    const since = now - this.#lastSweepAt;
    const credit = since > 2 * SWEEP_MS ? since : 0;
    this.#lastSweepAt = now;
    for (const link of this.#links) {
      link.deadline += credit;
      if (link.deadline > now || link.helloing) continue;
      if (link.principal) this.#bye(link, 'HEARTBEAT_TIMEOUT', 'nothing was heard from this connection for too long');
      else this.#bye(link, 'HELLO_TIMEOUT', `say hello within ${this.#helloTimeoutMs / 1000} s of connecting`);
    }
  }

  #flushTells(): void {
    if (this.#detach.length > 0) {
      for (let i = 0; i < this.#detach.length; i += 20_000) this.#uplink.tell({ t: 'detach', accounts: this.#detach.slice(i, i + 20_000) });
      this.#detach = [];
    }
  }

  /** One entry per signed-in connection, as the app counts them. */
  *#heldAccounts(): Iterable<string> {
    // The app counts afresh from here: detaches queued for the old uplink no longer apply.
    this.#detach = [];
    for (const [accountId, links] of this.#byAccount) for (let i = 0; i < links.length; i++) yield accountId;
  }
}

/**
 * A frame as UTF-8 bytes, once: `ws` sends a Buffer as it is (a string it
 * encodes again for every connection, which at a broadcast to 18,000 is
 * most of the work).
 */
function encode(frame: ServerFrame): Buffer {
  return Buffer.from(JSON.stringify(frame));
}

function sendRaw(link: Link, frame: Buffer): void {
  if (link.ws.readyState === link.ws.OPEN) link.ws.send(frame, { binary: false });
}

/** The `id` of a request frame whose envelope failed its schema, when it has a usable one. */
function requestIdOf(data: Buffer): number | null {
  try {
    const value = JSON.parse(data.toString()) as { t?: unknown; id?: unknown };
    return value.t === 'req' && typeof value.id === 'number' && Number.isInteger(value.id) && value.id >= 0 ? value.id : null;
  } catch {
    return null;
  }
}
