import type { Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { clientAddress, type TrustProxy } from '@muster/kit/client-address';
import type { Logger } from '@muster/kit/log';
import { MusterError, type ClientRequest, type ClientResponses, type ErrorCode, type RoomManager } from '@muster/signaling';
import type { RelayedConnection, SignalingRelay } from '@muster/signaling';
import type { MeetingOwner, MeetingOwners } from './MeetingOwners.ts';

/** Set on a relayed connection's handshake: how many apps it passed through. */
export const RELAY_HOPS_HEADER = 'x-muster-relay-hops';
/**
 * A connection is carried on at most this often: once from where it arrived
 * to the owner, once more if the meeting moved meanwhile. A client that sends
 * the header itself can only get itself refused, never served out of place.
 */
const MAX_RELAY_HOPS = 2;
const CONNECT_TIMEOUT_MS = 5_000;
/** Longer than any join takes (a media worker being replaced included); the client gives up sooner. */
const JOIN_TIMEOUT_MS = 30_000;
/** What a handshake carries that the owner needs to see the same client: who it is, and what it runs. */
const FORWARDED_HEADERS = ['cookie', 'authorization', 'user-agent', 'accept-language'];
/** socket.io's and engine.io's own query parameters; the client's others go along. */
const TRANSPORT_QUERY = new Set(['EIO', 'transport', 't', 'sid', 'j', 'b64']);

type Upstream = { kind: 'connected'; socket: ClientSocket } | { kind: 'refused'; error: Error & { data?: { code?: string; message?: string } } } | { kind: 'dead'; error: Error };

/**
 * Meetings across app hosts (REDIS_URL): a meeting's room lives in one app
 * process, its owner (MeetingOwners); a join arriving at another app is
 * carried there whole. This app opens a socket.io connection of its own to
 * the owner's relay URL (that host's public port) with the client's handshake
 * (auth payload with its access token, cookies, Authorization) and the
 * client's address in X-Forwarded-For (the address this app believes, by its
 * TRUST_PROXY; the owner believes it when its TRUST_PROXY names this host),
 * sends the join and every later request through it with their
 * acknowledgements, sends every event of the owner back, and mirrors
 * disconnects both ways. The owner's pipeline limits, checks and answers
 * everything after the join; so a relayed client gets the very replies a
 * local one gets.
 *
 * A meeting nobody holds is claimed, and served here. An owner that does not
 * answer (it died; its claim has not expired yet) is replaced: the meeting
 * restarts here, and its people, whose connections dropped with their host,
 * reconnect and join again on their own.
 */
export class MeetingRelay implements SignalingRelay {
  readonly #owners: MeetingOwners;
  readonly #rooms: RoomManager;
  readonly #trust: TrustProxy;
  readonly #log: Logger;
  /** Joins being served here between their claim and their end: the claim stays while any runs. */
  readonly #joining = new Map<string, number>();
  readonly #upstreams = new Set<ClientSocket>();
  #closed = false;

  constructor(options: { owners: MeetingOwners; rooms: RoomManager; trustProxy: TrustProxy; logger: Logger }) {
    this.#owners = options.owners;
    this.#rooms = options.rooms;
    this.#trust = options.trustProxy;
    this.#log = options.logger;
  }

  /** Whether a join of the meeting is being served here right now. */
  joining(id: string): boolean {
    return this.#joining.has(id);
  }

  async route(socket: Socket, request: ClientRequest<'join'>): Promise<{ local: true; settled(): void } | RelayedConnection> {
    // Stopping: its claims are gone, and a join must not claim a meeting here again.
    if (this.#closed) throw new MusterError('MEDIA_UNAVAILABLE', 'this server is stopping; join again in a moment');
    const id = request.room;
    const room = this.#rooms.get(id);
    if ((room && !room.closed) || this.#rooms.isPrivate(id)) return { local: true, settled: () => undefined };
    this.#count(id, 1);
    let local = false;
    try {
      const found = await this.#find(socket, id);
      if (found !== 'local') return found;
      local = true;
      let settled = false;
      return {
        local: true,
        settled: () => {
          if (settled) return;
          settled = true;
          this.#count(id, -1);
          // A refused join opened nothing: the claim goes (unless another join or a room holds the meeting now).
          this.#owners.release(id);
        },
      };
    } finally {
      if (!local) this.#count(id, -1);
    }
  }

  /** Connections being carried now, ended (this app is stopping: their clients reconnect elsewhere); joins refused from now. */
  close(): void {
    this.#closed = true;
    for (const upstream of this.#upstreams) upstream.disconnect();
    this.#upstreams.clear();
  }

  async #find(socket: Socket, id: string): Promise<'local' | RelayedConnection> {
    const hops = relayHops(socket);
    let stale: MeetingOwner | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      let claim;
      try {
        claim = stale ? await this.#owners.replace(id, stale) : await this.#owners.claim(id);
      } catch (error) {
        // Redis away: served here, as one host would; MeetingOwners claims it once Redis is back.
        this.#owners.away(error);
        return 'local';
      }
      if (claim.mine) return 'local';
      stale = undefined;
      const owner = claim.owner;
      // A former run of this very app (restarted at the same URL): its rooms ended with it.
      if (owner.url === this.#owners.self.url) {
        stale = owner;
        continue;
      }
      if (hops >= MAX_RELAY_HOPS) throw new MusterError('MEDIA_UNAVAILABLE', 'the meeting is moving between servers; join again in a moment');
      const upstream = await this.#connect(owner.url, socket, hops);
      if (upstream.kind === 'connected') return this.#carry(socket, upstream.socket, id, owner);
      if (upstream.kind === 'refused') {
        // The owner answered, and refused the handshake (an access token revoked in between): as it would locally.
        const code: ErrorCode = upstream.error.data?.code === 'UNAUTHORIZED' ? 'SIGN_IN_REQUIRED' : 'MEDIA_UNAVAILABLE';
        throw new MusterError(code, upstream.error.data?.message ?? upstream.error.message);
      }
      this.#log.warn({ room: id, owner: owner.url, err: upstream.error }, 'the app holding this meeting does not answer; the meeting moves here');
      stale = owner;
    }
    throw new MusterError('MEDIA_UNAVAILABLE', 'the server holding this meeting could not be reached; join again in a moment');
  }

  #connect(url: string, socket: Socket, hops: number): Promise<Upstream> {
    const upstream = connect(url, {
      path: '/socket.io',
      transports: ['websocket'],
      // The client reconnects by itself, and may land anywhere: this connection is never made again.
      reconnection: false,
      forceNew: true,
      timeout: CONNECT_TIMEOUT_MS,
      auth: { ...(socket.handshake.auth as Record<string, unknown>) },
      query: forwardedQuery(socket.handshake.query),
      extraHeaders: this.#headers(socket, hops),
    });
    return new Promise((resolve) => {
      upstream.once('connect', () => {
        upstream.off('connect_error');
        resolve({ kind: 'connected', socket: upstream });
      });
      upstream.once('connect_error', (error: Error & { data?: { code?: string; message?: string } }) => {
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
  #carry(socket: Socket, upstream: ClientSocket, id: string, owner: MeetingOwner): RelayedConnection {
    this.#upstreams.add(upstream);
    this.#log.debug({ room: id, owner: owner.url }, 'meeting connection relayed to the app holding the meeting');
    // Acknowledgements pass as they are: socket.io calls the one it got with the reply from the other side.
    upstream.onAny((event: string, ...args: unknown[]) => {
      try {
        socket.emit(event, ...args);
      } catch (error) {
        this.#log.debug({ err: error, event }, 'relay: an event of the owner could not be passed on');
      }
    });
    upstream.on('disconnect', (reason) => {
      this.#upstreams.delete(upstream);
      if (socket.disconnected) return;
      // The owner closed it on purpose (join timeout, shutdown of one socket): so does this app, the same way.
      if (reason === 'io server disconnect') socket.disconnect();
      // The owner went away: the client sees its connection drop, reconnects by itself and joins again.
      else socket.conn.close();
    });
    const end = () => {
      this.#upstreams.delete(upstream);
      upstream.disconnect();
    };
    socket.once('disconnect', end);
    if (socket.disconnected || this.#closed) end();
    return {
      local: false,
      join: async (request) => {
        let reply: { ok: true; data: ClientResponses['join'] } | { ok: false; error: { code: ErrorCode; message: string } };
        try {
          reply = await upstream.timeout(JOIN_TIMEOUT_MS).emitWithAck('join', request);
        } catch {
          throw new MusterError('MEDIA_UNAVAILABLE', 'the server holding this meeting did not answer; join again');
        }
        if (reply.ok) return reply.data;
        throw new MusterError(reply.error.code, reply.error.message);
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
