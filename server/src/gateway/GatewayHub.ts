import type { Socket } from 'node:net';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Accounts, Principal } from '@muster/accounts';
import type { Im } from '@muster/im';
import { constantTimeEqual } from '@muster/kit/constant-time';
import type { Logger } from '@muster/kit/log';
import { GatewayMessage, UPLINK_PATH, UPLINK_VERSION, type AppMessage } from './uplinkProtocol.ts';

/** What the hub needs of the IM socket gateway (`imGateway(im).request`). */
export interface RequestRunner {
  request(connectionId: string, principal: Principal, event: string, payload: unknown, reply: (ack: unknown) => void): Promise<void>;
}

/** One gateway process, as the app sees it: its uplink and how many connections of each account it holds. */
interface GatewayLink {
  id: string;
  socket: WebSocket;
  held: Map<string, number>;
  /** What it last reported of itself. */
  figures?: GatewayFigures;
}

/** One gateway's figures, as it reports them. */
export interface GatewayFigures {
  connections: number;
  signedIn: number;
  heapUsed: number;
  rss: number;
}

export interface GatewayHubStats {
  gateways: number;
  /** Connections held by all gateways, as they reported them. */
  connections: number;
  /** Accounts with at least one connection on some gateway. */
  accounts: number;
  /** Each gateway's own report (connections, heap and RSS of its process). */
  each: ({ id: string } & Partial<GatewayFigures>)[];
  /** Sign-ins and requests dropped unanswered since start: they reached the app after their gateway stopped waiting. */
  late: number;
}

/**
 * The app process's side of its gateways' uplinks (uplinkProtocol.ts):
 * checks their tokens, runs their clients' requests through the IM
 * pipeline, and sends each live event only to the gateways that hold a
 * connection of one of its accounts. Also keeps IM presence for their
 * connections: an account is online while any gateway holds one.
 */
export class GatewayHub {
  readonly #accounts: Accounts;
  readonly #im: Im;
  readonly #requests: RequestRunner;
  readonly #secret: string;
  readonly #log: Logger;
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  readonly #gateways = new Set<GatewayLink>();
  /** Accounts online through some gateway, and how to tell Presence they left. */
  readonly #online = new Map<string, { count: number; release: () => void }>();
  readonly #stops: (() => void)[] = [];
  #closed = false;
  #late = 0;

  constructor(options: { accounts: Accounts; im: Im; requests: RequestRunner; secret: string; logger: Logger }) {
    this.#accounts = options.accounts;
    this.#im = options.im;
    this.#requests = options.requests;
    this.#secret = options.secret;
    this.#log = options.logger;
    this.#stops.push(
      this.#im.hub.subscribe((delivery) => this.deliver(delivery.to, delivery.event, delivery.payload)),
      this.#accounts.guard.onRevoked((revocation) => this.#toAll({ t: 'revoke', sessions: revocation.sessionIds, reason: revocation.reason })),
      this.#accounts.auth.onNotice((accountId, notice) => this.deliver([accountId], 'account.notice', notice)),
    );
  }

  /** Takes the uplink upgrades of `server` (other upgrades are left to their owners: socket.io). */
  listen(server: http.Server): void {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!req.url?.startsWith(UPLINK_PATH)) return;
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      // Loopback only, and with the secret the supervisor gave both processes.
      if (this.#closed || !bearer || !constantTimeEqual(bearer[1]!, this.#secret) || !isLoopback(req.socket.remoteAddress)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
    });
  }

  /** Sends a live event to every gateway connection of these accounts. */
  deliver(to: readonly string[], event: string, payload: unknown): void {
    for (const gateway of this.#gateways) {
      const here = to.filter((id) => gateway.held.has(id));
      if (here.length > 0) send(gateway.socket, { t: 'deliver', to: here, e: event, d: payload });
    }
  }

  /** Sends an event to every connection of every gateway. */
  broadcast(event: string, payload: unknown): void {
    this.#toAll({ t: 'broadcast', e: event, d: payload });
  }

  stats(): GatewayHubStats {
    let connections = 0;
    for (const gateway of this.#gateways) for (const count of gateway.held.values()) connections += count;
    const each = [...this.#gateways].map((g) => ({ id: g.id, ...g.figures }));
    return { gateways: this.#gateways.size, connections, accounts: this.#online.size, each, late: this.#late };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of this.#stops) stop();
    for (const gateway of this.#gateways) gateway.socket.close(1001, 'app stopping');
    this.#wss.close();
  }

  #toAll(message: AppMessage): void {
    for (const gateway of this.#gateways) send(gateway.socket, message);
  }

  #accept(socket: WebSocket): void {
    let gateway: GatewayLink | undefined;
    socket.on('message', (data, isBinary) => {
      let message: GatewayMessage;
      try {
        const parsed = GatewayMessage.safeParse(JSON.parse(isBinary ? '' : data.toString()));
        if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
        message = parsed.data;
      } catch (error) {
        this.#log.warn({ err: error }, 'gateway uplink: a message that is not the uplink protocol; closing it');
        socket.close(1008, 'protocol error');
        return;
      }
      if (message.t === 'hello') {
        if (message.v !== UPLINK_VERSION || gateway) return void socket.close(1008, 'unsupported uplink version');
        gateway = { id: message.gatewayId, socket, held: new Map() };
        this.#gateways.add(gateway);
        this.#log.info({ gateway: gateway.id }, 'gateway connected');
        return;
      }
      if (!gateway) return void socket.close(1008, 'hello first');
      this.#handle(gateway, message);
    });
    socket.on('close', () => {
      if (!gateway) return;
      this.#gateways.delete(gateway);
      // Its connections are gone with it (or will come back through another gateway, attaching anew).
      for (const [accountId, count] of gateway.held) for (let i = 0; i < count; i++) this.#left(accountId);
      gateway.held.clear();
      if (!this.#closed) this.#log.warn({ gateway: gateway.id }, 'gateway disconnected');
    });
    socket.on('error', (error) => this.#log.debug({ err: error }, 'gateway uplink error'));
  }

  #handle(gateway: GatewayLink, message: Exclude<GatewayMessage, { t: 'hello' }>): void {
    if ((message.t === 'auth' || message.t === 'req') && message.until !== undefined && Date.now() > message.until) {
      this.#late++;
      return;
    }
    switch (message.t) {
      case 'auth':
        this.#accounts.guard.authenticate(message.token).then(
          (principal) => send(gateway.socket, { t: 'auth', rid: message.rid, principal }),
          (error: unknown) => {
            this.#log.warn({ err: error }, 'gateway uplink: a token check failed');
            send(gateway.socket, { t: 'auth', rid: message.rid, principal: null });
          },
        );
        return;
      case 'attach':
        for (const accountId of message.accounts) {
          gateway.held.set(accountId, (gateway.held.get(accountId) ?? 0) + 1);
          this.#joined(accountId);
        }
        return;
      case 'detach':
        for (const accountId of message.accounts) {
          const count = gateway.held.get(accountId);
          if (count === undefined) continue;
          if (count > 1) gateway.held.set(accountId, count - 1);
          else gateway.held.delete(accountId);
          this.#left(accountId);
        }
        return;
      case 'stats': {
        const { t: _t, ...figures } = message;
        gateway.figures = figures;
        return;
      }
      case 'req':
        void this.#requests.request(`${gateway.id}:${message.conn}`, message.principal, message.e, message.d, (reply) => send(gateway.socket, { t: 'res', rid: message.rid, reply }));
        return;
    }
  }

  #joined(accountId: string): void {
    const online = this.#online.get(accountId);
    if (online) online.count++;
    else this.#online.set(accountId, { count: 1, release: this.#im.presence.connected(accountId) });
  }

  #left(accountId: string): void {
    const online = this.#online.get(accountId);
    if (!online) return;
    if (--online.count > 0) return;
    this.#online.delete(accountId);
    online.release();
  }
}

/** The TCP sockets of uplinks corked in this turn of the event loop. */
const corked = new Set<Socket>();

/**
 * Sends on an uplink. What the app sends a gateway in one turn (the answers
 * to a burst of sign-ins, the deliveries of one message) leaves in one write:
 * the first send corks the TCP socket until the turn's callbacks and
 * promises are done. Sent one write each, answers to sign-ins were a seventh
 * of the app's CPU in the connections load test, each one a system call.
 */
function send(socket: WebSocket, message: AppMessage): void {
  if (socket.readyState !== socket.OPEN) return;
  // ws keeps its TCP socket here (not in its typings); without one, the send goes out alone.
  const tcp = (socket as unknown as { _socket?: Socket })._socket;
  if (tcp && !corked.has(tcp)) {
    corked.add(tcp);
    tcp.cork();
    process.nextTick(() => {
      corked.delete(tcp);
      tcp.uncork();
    });
  }
  socket.send(JSON.stringify(message));
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
