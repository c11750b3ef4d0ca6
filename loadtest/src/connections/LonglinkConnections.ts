/**
 * Longlink connections (kit/src/longlink/protocol.ts) as lean as a client
 * can hold them: a `ws` WebSocket each (no compression, no UTF-8 check of
 * what arrives), the few fields a bot needs on the socket itself, shared
 * listener functions (no closure per connection), no timer per connection:
 * the process beats every heart from one timer through `heartbeat.beat`.
 */
import WebSocket from 'ws';
import { CLOSE_CODES, DEFAULT_HEARTBEAT_MS, LONGLINK_PATH, LONGLINK_VERSION, type Announcement, type ServerFrame } from '@muster/kit/longlink';
import type { BotUser, ConnectionEvents, ConnectionKind } from './ConnectionKind.ts';

/** Bye codes by the close code they close with: the close carries why a gateway ended a connection. */
const BYE_OF_CLOSE = new Map<number, string>(Object.entries(CLOSE_CODES).map(([name, code]) => [code, name]));
// Written once: every heartbeat sends the same bytes (ws masks a copy).
const PING = Buffer.from(JSON.stringify({ t: 'ping' }));
const PONG = Buffer.from(JSON.stringify({ t: 'pong' }));
/** A connection whose upgrade has not finished by then failed (a gateway that took it and never answered). */
const HANDSHAKE_TIMEOUT_MS = 60_000;

/** One longlink WebSocket with what a bot knows of it. */
class LinkSocket extends WebSocket {
  slot = 0;
  owner!: LonglinkConnections;
  /** The access token for the hello; dropped once said. */
  token = '';
  welcomed = false;
  /** The error that came before the close, if any (ECONNREFUSED, HTTP 503…). */
  error = '';
}

// Shared listeners: `this` is the socket (ws declares it as a plain WebSocket).
function onOpen(this: WebSocket): void {
  const socket = this as LinkSocket;
  socket.send(JSON.stringify({ t: 'hello', v: LONGLINK_VERSION, token: socket.token, client: 'loadtest' }));
  socket.token = '';
}

function onMessage(this: WebSocket, data: Buffer): void {
  (this as LinkSocket).owner.frame(this as LinkSocket, data);
}

function onError(this: WebSocket, error: Error): void {
  (this as LinkSocket).error ||= reasonOf(error);
}

function onClose(this: WebSocket, code: number): void {
  (this as LinkSocket).owner.ended(this as LinkSocket, code);
}

/** An error as a short reason to count by: the system code, the HTTP status of a refused upgrade, or the message. */
function reasonOf(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code) return code;
  const status = /Unexpected server response: (\d+)/.exec(error.message);
  return status ? `HTTP ${status[1]}` : error.message.slice(0, 60);
}

export class LonglinkConnections implements ConnectionKind {
  readonly #url: string;
  readonly #events: ConnectionEvents;
  readonly #sockets: (LinkSocket | undefined)[];
  #welcomes = 0;
  #closing = false;
  readonly heartbeat = {
    intervalMs: DEFAULT_HEARTBEAT_MS,
    beat: (slot: number): void => {
      const socket = this.#sockets[slot];
      if (socket?.welcomed && socket.readyState === WebSocket.OPEN) socket.send(PING, { binary: false });
    },
  };

  /** `serverUrl`: http://host:port of the server (its gateways answer /longlink). */
  constructor(serverUrl: string, slots: number, events: ConnectionEvents) {
    this.#url = `${serverUrl.replace(/^http/, 'ws')}${LONGLINK_PATH}`;
    this.#events = events;
    this.#sockets = new Array<LinkSocket | undefined>(slots);
  }

  open(slot: number, user: BotUser, localAddress: string, localPort?: number): void {
    // localPort reaches http.request, under ws.
    const options: WebSocket.ClientOptions & { localPort?: number } = { perMessageDeflate: false, skipUTF8Validation: true, localAddress, handshakeTimeout: HANDSHAKE_TIMEOUT_MS, ...(localPort ? { localPort } : {}) };
    const socket = new LinkSocket(this.#url, options);
    socket.slot = slot;
    socket.owner = this;
    socket.token = user.secret;
    socket.on('open', onOpen);
    socket.on('message', onMessage);
    socket.on('error', onError);
    socket.on('close', onClose);
    this.#sockets[slot] = socket;
  }

  /** A frame from the gateway. Pongs (most of the traffic) are recognised without parsing. */
  frame(socket: LinkSocket, data: Buffer): void {
    if (data.length === PONG.length && data.equals(PONG)) return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data.toString()) as ServerFrame;
    } catch {
      return;
    }
    if (frame.t === 'welcome') {
      socket.welcomed = true;
      // The pace the gateways set; all set the same, the fastest wins should they not.
      if (this.#welcomes++ === 0 || frame.heartbeatMs < this.heartbeat.intervalMs) this.heartbeat.intervalMs = frame.heartbeatMs;
      this.#events.up(socket.slot);
    } else if (frame.t === 'ev' && frame.e === 'announcement') {
      this.#events.announcement(socket.slot, (frame.d as Announcement).sentAt);
    }
  }

  ended(socket: LinkSocket, code: number): void {
    // A slot opened again (after a refusal) no longer hears of its earlier socket.
    if (this.#closing || this.#sockets[socket.slot] !== socket) return;
    this.#sockets[socket.slot] = undefined;
    const reason = BYE_OF_CLOSE.get(code) ?? (socket.error || `close ${code}`);
    if (socket.welcomed) this.#events.closed(socket.slot, reason);
    else this.#events.refused(socket.slot, reason);
  }

  closeAll(): void {
    this.#closing = true;
    for (const socket of this.#sockets) socket?.terminate();
  }
}
