import type { Socket } from 'socket.io';
import type { Manager } from 'socket.io-client';
import type { TrustProxy } from '@muster/kit/client-address';
import type { Logger } from '@muster/kit/log';
import { MusterError, type ClientRequest, type ClientResponses, type ErrorCode, type RoomManager } from '@muster/signaling';
import type { RelayedConnection, SignalingRelay } from '@muster/signaling';
import { HostRelay } from '../../crossHost/HostRelay.ts';
import type { Owners } from '../../crossHost/Owners.ts';

/** Longer than any join takes (a media worker being replaced included); the client gives up sooner. */
const JOIN_TIMEOUT_MS = 30_000;

/**
 * Meetings across app hosts (REDIS_URL): a meeting's room lives in one app
 * process, its owner (Owners, kind `meeting`); a join arriving at another app
 * is carried there whole (HostRelay: this app's own socket.io connection to
 * the owner with the client's handshake and address; requests, events and
 * disconnects both ways). The owner's pipeline limits, checks and answers
 * everything after the join; so a relayed client gets the very replies a
 * local one gets.
 *
 * A meeting nobody holds is claimed, and served here. An owner that does not
 * answer (it died; its claim has not expired yet) is replaced: the meeting
 * restarts here, and its people, whose connections dropped with their host,
 * reconnect and join again on their own.
 */
export class MeetingRelay implements SignalingRelay {
  readonly #relay: HostRelay;
  readonly #rooms: RoomManager;
  /** The connections to owners, by the client's connection (engine.io): a meeting board goes along the same one. */
  readonly #carried = new WeakMap<object, Manager>();

  constructor(options: { owners: Owners; rooms: RoomManager; trustProxy: TrustProxy; logger: Logger }) {
    this.#rooms = options.rooms;
    const protocol = { namespace: '/', joinEvent: 'join', joinTimeoutMs: JOIN_TIMEOUT_MS, retry: 'join again' };
    const error = (code: string, message: string) => new MusterError(code === 'UNAVAILABLE' ? 'MEDIA_UNAVAILABLE' : (code as ErrorCode), message);
    this.#relay = new HostRelay({ owners: options.owners, protocol: { ...protocol, error }, trustProxy: options.trustProxy, logger: options.logger });
  }

  /** Whether a join of the meeting is being served here right now. */
  joining(id: string): boolean {
    return this.#relay.joining(id);
  }

  /** The connection to the owner that carries the meeting socket of this client connection (engine.io), while it does. */
  carrying(conn: unknown): Manager | undefined {
    return typeof conn === 'object' && conn !== null ? this.#carried.get(conn) : undefined;
  }

  async route(socket: Socket, request: ClientRequest<'join'>): Promise<{ local: true; settled(): void } | RelayedConnection> {
    // Stopping: its claims are gone, and a join must not claim a meeting here again.
    this.#relay.assertOpen();
    const id = request.room;
    const room = this.#rooms.get(id);
    if ((room && !room.closed) || this.#rooms.isPrivate(id)) return { local: true, settled: () => undefined };
    const found = await this.#relay.route(socket, id);
    if (found.local) return found;
    const conn = socket.conn as object;
    this.#carried.set(conn, found.upstream.io);
    found.upstream.once('disconnect', () => {
      if (this.#carried.get(conn) === found.upstream.io) this.#carried.delete(conn);
    });
    return this.#relay.carry<ClientRequest<'join'>, ClientResponses['join']>(socket, found.upstream);
  }

  /** Connections being carried now, ended (this app is stopping: their clients reconnect elsewhere); joins refused from now. */
  close(): void {
    this.#relay.close();
  }
}
