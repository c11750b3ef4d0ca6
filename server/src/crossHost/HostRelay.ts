import type { Socket } from 'socket.io';
import { Manager, type Socket as ClientSocket } from 'socket.io-client';
import { clientAddress, type TrustProxy } from '@muster/kit/client-address';
import type { RelayedConnection } from '@muster/kit/gateway';
import type { Logger } from '@muster/kit/log';
import type { Owner, Owners } from './Owners.ts';

/** Set on a relayed connection's handshake: how many apps it passed through. */
export const RELAY_HOPS_HEADER = 'x-muster-relay-hops';
/**
 * A connection is carried on at most this often: once from where it arrived
 * to the owner, once more if the meeting (or board) moved meanwhile. A client
 * that sends the header itself can only get itself refused, never served out
 * of place.
 */
const MAX_RELAY_HOPS = 2;
const CONNECT_TIMEOUT_MS = 5_000;
/** What a handshake carries that the owner needs to see the same client: who it is, and what it runs. */
const FORWARDED_HEADERS = ['cookie', 'authorization', 'user-agent', 'accept-language'];
/** socket.io's and engine.io's own query parameters; the client's others go along. */
const TRANSPORT_QUERY = new Set(['EIO', 'transport', 't', 'sid', 'j', 'b64']);

type Refusal = Error & { data?: { code?: string; message?: string } };
type Upstream = { kind: 'connected'; socket: ClientSocket } | { kind: 'refused'; error: Refusal } | { kind: 'dead'; error: Error };

/** A request's acknowledgement as both protocols (meetings, boards) shape it. */
type RelayedAck = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

/**
 * How the relayed protocol speaks (meetings: `join`, MusterError; boards:
 * `board.join`, BoardError). `error` makes the protocol's error from the
 * owner's refusal, or from UNAVAILABLE (no owner answers, this app stops, it
 * is moving) and SIGN_IN_REQUIRED (the owner refused the handshake's access
 * token, revoked in between).
 */
export interface RelayedProtocol {
  namespace: string;
  joinEvent: string;
  joinTimeoutMs: number;
  /** The end of the messages that say what went wrong: what the client does next. */
  retry: string;
  error(code: string, message: string): Error;
}

/**
 * The plumbing of carrying socket.io connections to the app that owns what
 * they ask for (several app hosts, REDIS_URL), for any namespace: meetings
 * (MeetingRelay, '/') and boards (BoardRelay, '/board').
 *
 * `route` claims the id in Redis (Owners); when another app holds it, this
 * app opens a socket.io connection of its own to the owner's relay URL (that
 * host's public port) with the client's handshake (auth payload with its
 * access token, cookies, Authorization, query) and the client's address in
 * X-Forwarded-For (the address this app believes, by its TRUST_PROXY; the
 * owner believes it when its TRUST_PROXY names this host). `carry` then
 * sends every request through it with its acknowledgement, every event of the
 * owner back, and mirrors disconnects both ways. The owner's pipeline limits,
 * checks and answers everything; so a relayed client gets the very replies a
 * local one gets.
 *
 * An id nobody holds is claimed, and served here. An owner that does not
 * answer (it died; its claim has not expired yet) is replaced: it restarts
 * here, and its people, whose connections dropped with their host, reconnect
 * on their own.
 */
export class HostRelay {
  readonly owners: Owners;
  readonly #trust: TrustProxy;
  readonly #log: Logger;
  readonly #protocol: RelayedProtocol;
  /** Opens being served here between their claim and their end: the claim stays while any runs. */
  readonly #joining = new Map<string, number>();
  readonly #upstreams = new Set<ClientSocket>();
  #closed = false;

  constructor(options: { owners: Owners; protocol: RelayedProtocol; trustProxy: TrustProxy; logger: Logger }) {
    this.owners = options.owners;
    this.#protocol = options.protocol;
    this.#trust = options.trustProxy;
    this.#log = options.logger;
  }

  /** Whether an open of the id is being served here right now. */
  joining(id: string): boolean {
    return this.#joining.has(id);
  }

  /** Throws once closed: its claims are gone, and nothing may claim here again. */
  assertOpen(): void {
    if (this.#closed) throw this.#unavailable('this server is stopping');
  }

  /**
   * Served here (`settled` once the open is done, whatever its outcome: the
   * claim goes unless something holds it now; `fresh`: claimed just now, see
   * Claim), or connected to the owner.
   */
  async route(socket: Socket, id: string): Promise<{ local: true; fresh: boolean; settled(): void } | { local: false; upstream: ClientSocket }> {
    this.assertOpen();
    this.#count(id, 1);
    let local = false;
    try {
      const found = await this.#find(socket, id);
      if (!('fresh' in found)) return { local: false, upstream: found };
      local = true;
      let settled = false;
      return {
        local: true,
        fresh: found.fresh,
        settled: () => {
          if (settled) return;
          settled = true;
          this.#count(id, -1);
          // A refused open opened nothing: the claim goes (unless another open, or what it opened, holds it now).
          this.owners.release(id);
        },
      };
    } finally {
      if (!local) this.#count(id, -1);
    }
  }

  /**
   * This namespace over a connection already carried to an owner (a meeting
   * board, over its meeting's relayed connection): the owner sees both on one
   * connection, as it would have seen the client's own.
   */
  async beside(manager: Manager, socket: Socket): Promise<ClientSocket> {
    this.assertOpen();
    const upstream = await this.#connect(manager, socket, relayHops(socket));
    if (upstream.kind === 'connected') return upstream.socket;
    if (upstream.kind === 'refused') throw this.#refused(upstream.error);
    throw this.#unavailable(`the server holding this ${this.owners.kind} could not be reached`);
  }

  /** Connections being carried now, ended (this app is stopping: their clients reconnect elsewhere); routes refused from now. */
  close(): void {
    this.#closed = true;
    for (const upstream of this.#upstreams) upstream.disconnect();
    this.#upstreams.clear();
  }

  async #find(socket: Socket, id: string): Promise<{ fresh: boolean } | ClientSocket> {
    const hops = relayHops(socket);
    let stale: Owner | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      let claim;
      try {
        claim = stale ? await this.owners.replace(id, stale) : await this.owners.claim(id);
      } catch (error) {
        // Redis away: served here, as one host would; Owners claims it once Redis is back.
        this.owners.away(error);
        return { fresh: false };
      }
      if (claim.mine) return { fresh: claim.fresh };
      stale = undefined;
      const owner = claim.owner;
      // A former run of this very app (restarted at the same URL): what it held ended with it.
      if (owner.url === this.owners.self.url) {
        stale = owner;
        continue;
      }
      if (hops >= MAX_RELAY_HOPS) throw this.#unavailable(`the ${this.owners.kind} is moving between servers`);
      const upstream = await this.#connect(owner.url, socket, hops);
      if (upstream.kind === 'connected') {
        this.#log.debug({ [this.owners.kind]: id, owner: owner.url }, `${this.owners.kind} connection relayed to the app holding it`);
        return upstream.socket;
      }
      // The owner answered, and refused the handshake (an access token revoked in between): as it would locally.
      if (upstream.kind === 'refused') throw this.#refused(upstream.error);
      this.#log.warn({ [this.owners.kind]: id, owner: owner.url, err: upstream.error }, `the app holding this ${this.owners.kind} does not answer; it moves here`);
      stale = owner;
    }
    throw this.#unavailable(`the server holding this ${this.owners.kind} could not be reached`);
  }

  #unavailable(what: string): Error {
    return this.#protocol.error('UNAVAILABLE', `${what}; ${this.#protocol.retry} in a moment`);
  }

  #refused(error: Refusal): Error {
    return this.#protocol.error(error.data?.code === 'UNAUTHORIZED' ? 'SIGN_IN_REQUIRED' : 'UNAVAILABLE', error.data?.message ?? error.message);
  }

  /** A connection of this app's own to the owner (`to`: its URL, or a connection to it already open), as the client. */
  #connect(to: string | Manager, socket: Socket, hops: number): Promise<Upstream> {
    const manager =
      typeof to === 'string'
        ? new Manager(to, {
            path: '/socket.io',
            transports: ['websocket'],
            // The client reconnects by itself, and may land anywhere: this connection is never made again.
            reconnection: false,
            timeout: CONNECT_TIMEOUT_MS,
            query: forwardedQuery(socket.handshake.query),
            extraHeaders: this.#headers(socket, hops),
          })
        : to;
    const auth = { ...(socket.handshake.auth as Record<string, unknown>) };
    const upstream = manager.socket(this.#protocol.namespace, { auth });
    // Made once per connection (a board socket opened again over a meeting's relayed connection): this client's handshake, then.
    upstream.auth = auth;
    if (!upstream.active) upstream.connect();
    return new Promise((resolve) => {
      upstream.once('connect', () => {
        upstream.off('connect_error');
        resolve({ kind: 'connected', socket: upstream });
      });
      upstream.once('connect_error', (error: Refusal) => {
        upstream.off('connect');
        upstream.close();
        // A refusal by the server's middleware carries data; a refused connection, an answer other than an
        // upgrade (a gateway whose app is down: 503) or the timeout carry none.
        resolve(error.data ? { kind: 'refused', error } : { kind: 'dead', error });
      });
    });
  }

  #headers(socket: Socket, hops: number): Record<string, string> {
    const headers: Record<string, string> = {
      // The address this app believes (its TRUST_PROXY applied): the owner counts passcode tries and requests against it.
      'x-forwarded-for': clientAddress(socket.request, this.#trust),
      [RELAY_HOPS_HEADER]: String(hops + 1),
    };
    for (const name of FORWARDED_HEADERS) {
      const value = socket.handshake.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return headers;
  }

  /** From now on the connection is the owner's: its requests go there, its events come back, each side's end ends the other. */
  carry<Join, Joined>(socket: Socket, upstream: ClientSocket): RelayedConnection<Join, Joined> {
    this.#upstreams.add(upstream);
    // Acknowledgements pass as they are: socket.io calls the one it got with the reply from the other side.
    const back = (event: string, ...args: unknown[]) => {
      try {
        socket.emit(event, ...args);
      } catch (error) {
        this.#log.debug({ err: error, event }, 'relay: an event of the owner could not be passed on');
      }
    };
    upstream.onAny(back);
    const ended = (reason: string) => {
      this.#upstreams.delete(upstream);
      // A namespace socket may be asked for again over the same connection (a meeting board opened anew).
      upstream.offAny(back);
      upstream.off('disconnect', ended);
      if (socket.disconnected) return;
      // The owner closed it on purpose (join timeout, shutdown of one socket): so does this app, the same way.
      if (reason === 'io server disconnect') socket.disconnect();
      // The owner went away: the client sees its connection drop, reconnects by itself and joins again.
      else socket.conn.close();
    };
    upstream.on('disconnect', ended);
    const end = () => {
      this.#upstreams.delete(upstream);
      upstream.disconnect();
    };
    socket.once('disconnect', end);
    if (socket.disconnected || this.#closed) end();
    const { joinEvent, joinTimeoutMs, error } = this.#protocol;
    return {
      local: false,
      join: async (request) => {
        let reply: RelayedAck;
        try {
          reply = await upstream.timeout(joinTimeoutMs).emitWithAck(joinEvent, request);
        } catch {
          throw error('UNAVAILABLE', `the server holding this ${this.owners.kind} did not answer; ${this.#protocol.retry}`);
        }
        if (reply.ok) return reply.data as Joined;
        throw error(reply.error.code, reply.error.message);
      },
      forward: (event, args) => {
        upstream.emit(event, ...args);
      },
    };
  }

  #count(id: string, delta: number): void {
    const count = (this.#joining.get(id) ?? 0) + delta;
    if (count > 0) this.#joining.set(id, count);
    else this.#joining.delete(id);
  }
}

function relayHops(socket: Socket): number {
  const value = Number(socket.handshake.headers[RELAY_HOPS_HEADER]);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

function forwardedQuery(query: Record<string, unknown>): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) if (!TRANSPORT_QUERY.has(name) && typeof value === 'string') forwarded[name] = value;
  return forwarded;
}
