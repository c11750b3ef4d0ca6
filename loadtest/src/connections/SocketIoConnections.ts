/**
 * socket.io connections to the `/account` namespace, as the web client
 * opened them before longlink (`auth: { accessToken }`, a connection of its
 * own each, WebSocket transport only, no reconnection): to measure what a
 * socket.io connection costs the server beside a longlink one. socket.io
 * keeps its own heartbeat (the server pings, the client answers).
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { Announcement } from '@muster/kit/longlink';
import type { BotUser, ConnectionEvents, ConnectionKind } from './ConnectionKind.ts';

/** A connection not up by then has failed. */
const CONNECT_TIMEOUT_MS = 60_000;

/** A socket with what a bot knows of it (socket.io's emitter calls listeners with the socket as `this`). */
type SlotSocket = Socket & { slot: number; owner: SocketIoConnections; up: boolean };

function onConnect(this: SlotSocket): void {
  this.up = true;
  this.owner.events.up(this.slot);
}

function onConnectError(this: SlotSocket, error: Error & { data?: { code?: string } }): void {
  if (!this.owner.current(this)) return;
  this.owner.forget(this);
  this.owner.events.refused(this.slot, error.data?.code ?? error.message);
}

function onDisconnect(this: SlotSocket, reason: string): void {
  if (!this.owner.current(this) || !this.up) return;
  this.owner.forget(this);
  this.owner.events.closed(this.slot, reason);
}

function onAnnouncement(this: SlotSocket, announcement: Announcement): void {
  this.owner.events.announcement(this.slot, announcement.sentAt);
}

export class SocketIoConnections implements ConnectionKind {
  readonly events: ConnectionEvents;
  readonly #url: string;
  readonly #sockets: (SlotSocket | undefined)[];
  #closing = false;

  constructor(serverUrl: string, slots: number, events: ConnectionEvents) {
    this.#url = `${serverUrl}/account`;
    this.events = events;
    this.#sockets = new Array<SlotSocket | undefined>(slots);
  }

  open(slot: number, user: BotUser, localAddress: string): void {
    // localAddress reaches the `ws` client under engine.io-client, which passes it on without declaring it.
    const options: Partial<ManagerOptions & SocketOptions> & { localAddress: string } = {
      transports: ['websocket'],
      auth: { accessToken: user.secret },
      forceNew: true,
      reconnection: false,
      timeout: CONNECT_TIMEOUT_MS,
      localAddress,
    };
    const socket = io(this.#url, options) as SlotSocket;
    socket.slot = slot;
    socket.owner = this;
    socket.up = false;
    socket.on('connect', onConnect);
    socket.on('connect_error', onConnectError);
    socket.on('disconnect', onDisconnect);
    socket.on('account.announcement', onAnnouncement);
    this.#sockets[slot] = socket;
  }

  /** Whether this socket still speaks for its slot (not replaced by a retry, not closing). */
  current(socket: SlotSocket): boolean {
    return !this.#closing && this.#sockets[socket.slot] === socket;
  }

  forget(socket: SlotSocket): void {
    this.#sockets[socket.slot] = undefined;
    socket.disconnect();
  }

  closeAll(): void {
    this.#closing = true;
    for (const socket of this.#sockets) socket?.disconnect();
  }
}
