import type { Namespace, Server, Socket } from 'socket.io';
import * as Y from 'yjs';
import { addressKey, clientAddress, TRUST_NO_PROXY, type TrustProxy } from '@muster/kit/client-address';
import { GATEWAY_ERROR_CODES, SocketGateway, type ConnectionRelay, type GatewayHandlers, type RelayedConnection } from '@muster/kit/gateway';
import { MemoryLimits, retryText, type Limit, type LimitStore } from '@muster/kit/limits';
import { UpdateBoundError, scanStateVector } from '../model/scanUpdate.ts';
import {
  BOARD_PROTOCOL_VERSION,
  BoardError,
  type BoardRequest,
  BoardRequests,
  MAX_AWARENESS_BYTES,
  MAX_REQUEST_BYTES,
  MAX_STATE_VECTOR_BYTES,
  MAX_UPDATE_BYTES,
  meetingOfBoard,
  type BoardErrorCode,
  type BoardRequestName,
  type BoardResponses,
} from '../protocol.ts';
import type { BoardConnection } from './access.ts';
import type { BoardMember } from './Board.ts';
import type { Board } from './Board.ts';
import type { BoardService } from './BoardService.ts';
import { hashKey } from './standaloneAccess.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'whiteboard' });

// Every code the pipeline answers with is one of this protocol's.
void (GATEWAY_ERROR_CODES satisfies readonly BoardErrorCode[]);

export const BOARD_NAMESPACE = '/board';

/** Drawing makes many small updates; this is well above a fast pen stroke plus cursor moves. */
const RATE_PER_SECOND = 120;
const RATE_BURST = 240;
const MAX_BOARDS_PER_SOCKET = 4;
/** Per-address limits weigh events by size: one point, plus one per this many bytes of payload. */
const BYTES_PER_POINT = 16 * 1024;

export interface RateSetting {
  points: number;
  perSeconds: number;
}

/** Limits per client address (and one for the whole server), on top of each socket's own token bucket. */
export interface BoardQuotas {
  /**
   * Board events from one address, all sockets together, any event name
   * (unknown ones too); an event weighs 1 point plus 1 per 16 KB. A browser
   * drawing sends about 50 small events a second; this leaves room for several
   * people behind one NAT while 20 sockets of one attacker get no more.
   */
  eventsPerAddress: RateSetting;
  /** New standalone boards one address may create, short term... */
  newBoardsPerAddress: RateSetting;
  /** ...and per day. */
  newBoardsPerAddressPerDay: RateSetting;
  /** New standalone boards on the whole server, whatever the address (addresses are cheap for some). */
  newBoardsPerServer: RateSetting;
}

export const DEFAULT_BOARD_QUOTAS: BoardQuotas = {
  eventsPerAddress: { points: 2_000, perSeconds: 5 },
  newBoardsPerAddress: { points: 5, perSeconds: 60 },
  newBoardsPerAddressPerDay: { points: 30, perSeconds: 86_400 },
  newBoardsPerServer: { points: 1_000, perSeconds: 3_600 },
};

/** A socket that has not opened a board this long after connecting (or after leaving its last one) is disconnected. */
export const DEFAULT_JOIN_TIMEOUT_MS = 30_000;

export interface BoardGatewayOptions {
  /** Where per-address limits are counted; a `MemoryLimits` of its own when absent. */
  limits?: LimitStore;
  /** Which proxies may name the client's address (`X-Forwarded-For`); none when absent. */
  trustProxy?: TrustProxy;
  joinTimeoutMs?: number;
  quotas?: Partial<BoardQuotas>;
  /**
   * Whether this connection may open standalone boards (`/b/<id>`): the
   * server answers from its setting and whether the socket is signed in.
   * Everyone may when absent; meeting boards follow the meeting.
   */
  standaloneAllowed?: (socket: Socket) => Promise<boolean>;
  /** Where a board another app process holds is served (several app hosts); every board is served here when absent. */
  relay?: BoardRelay;
}

/** A connection carried to the app process that holds its board (see BoardRelay). */
export type RelayedBoardConnection = RelayedConnection<BoardRequest<'board.join'>, BoardResponses['board.join']>;

/**
 * Boards held by another app process (several app hosts share Redis; the
 * server's BoardRelay: a meeting's board where its meeting is, a standalone
 * board where it was first opened), asked at the first `board.join` of a
 * connection with no board open here: see ConnectionRelay.
 */
export type BoardRelay = ConnectionRelay<Socket, BoardRequest<'board.join'>, BoardResponses['board.join']>;

interface Membership {
  board: Board;
  member: BoardMember;
}

/** One connection, as its handlers see it. */
interface Connection {
  socket: Socket;
  /** The client's address as limits count it (see clientAddress, addressKey). */
  address: string;
  /** The boards open on this connection. */
  joined: Map<string, Membership>;
  /** (Re)starts the timer that closes a connection with no board open; `stopIdle` stops it. */
  armIdle: () => void;
  stopIdle: () => void;
  relay?: BoardRelay;
  /** Set once the relay has taken this connection over: the app holding its board answers everything from then on. */
  relayed?: RelayedBoardConnection;
}

type Handlers = GatewayHandlers<typeof BoardRequests, Connection, BoardResponses>;

/**
 * A board payload's size for the limits: its JSON, except that binary fields
 * (updates, state vectors), which travel as attachments, count their bytes.
 */
function boardPayloadSize(payload: unknown): number {
  if (payload === undefined || payload === null) return 0;
  if (typeof payload !== 'object') return String(payload).length;
  let binary = 0;
  try {
    // Binary fields travel as attachments: count their bytes, not their JSON.
    const text = JSON.stringify(payload, function (this: Record<string, unknown>, key: string, value: unknown) {
      // `value` has been through Buffer#toJSON already; the holder still has the raw bytes.
      const raw = key === '' ? value : this[key];
      if (raw instanceof Uint8Array || raw instanceof ArrayBuffer) {
        binary += raw.byteLength;
        return null;
      }
      return value;
    });
    return Buffer.byteLength(text ?? '') + binary;
  } catch {
    return Infinity;
  }
}

function membership(joined: Map<string, Membership>, board: string): Membership {
  const found = joined.get(board);
  if (!found || found.board.closed) throw new BoardError('NOT_JOINED', `open board ${board} first`);
  return found;
}

/** Takes from a limit, or throws RATE_LIMITED (or `code`) with when to try again. */
async function take(limit: Limit, key: string, points: number, message: string, code: 'RATE_LIMITED' | 'QUOTA_EXCEEDED' = 'RATE_LIMITED'): Promise<void> {
  const verdict = await limit.take(key, points);
  if (!verdict.allowed) throw new BoardError(code, `${message}; ${retryText(verdict.retryAfterMs)}`);
}

interface GatewayLimits {
  events: Limit;
  newBoards: Limit;
  newBoardsPerDay: Limit;
  newBoardsServer: Limit;
}

function handlers(service: BoardService, limits: GatewayLimits, standaloneAllowed?: (socket: Socket) => Promise<boolean>): Handlers {
  return {
    async 'board.join'(c, request) {
      const { socket, joined, address } = c;
      // Carried elsewhere already (a second board on the connection): that app answers, and routes it on if it must.
      if (c.relayed) return c.relayed.join(request);
      if (joined.has(request.board)) throw new BoardError('BAD_REQUEST', 'this board is already open on this connection');
      if (standaloneAllowed && meetingOfBoard(request.board) === null && !(await standaloneAllowed(socket))) {
        throw new BoardError('SIGN_IN_REQUIRED', 'sign in to open boards of this organisation');
      }
      if (joined.size >= MAX_BOARDS_PER_SOCKET) throw new BoardError('BAD_REQUEST', `at most ${MAX_BOARDS_PER_SOCKET} boards per connection`);
      // A connection serving a board here stays here; only one with nothing open may be carried to another app.
      const route = joined.size === 0 ? await c.relay?.route(socket, request) : undefined;
      if (route && !route.local) {
        c.relayed = route;
        // The app holding the board times the connection out from now on.
        c.stopIdle();
        return route.join(request);
      }
      try {
        let stateVector: Uint8Array | undefined;
        if (request.stateVector) {
          // Bounded (entries, numbers, no trailing bytes) before Yjs reads it in encodeStateAsUpdate.
          stateVector = new Uint8Array(request.stateVector);
          try {
            scanStateVector(stateVector);
          } catch (error) {
            throw new BoardError('BAD_REQUEST', `stateVector is not a Yjs state vector${error instanceof UpdateBoundError ? `: ${error.message}` : ''}`);
          }
        }
        const policy = service.policyFor(request.board);
        const connection: BoardConnection = { conn: socket.conn, join: request, ownsBoard: false };
        const identity = policy.identify(request.board, connection);
        const { board, ownerKey: created } = await service.open(request.board, {
          create: true,
          forPerson: true,
          // Standalone boards are made by whoever opens a new id: counted per address, and for the server.
          beforeCreate:
            meetingOfBoard(request.board) === null
              ? async () => {
                  await take(limits.newBoards, address, 1, 'too many new boards from your address');
                  await take(limits.newBoardsPerDay, address, 1, 'your address has created as many boards as it may today', 'QUOTA_EXCEEDED');
                  await take(limits.newBoardsServer, 'server', 1, 'too many new boards on this server', 'QUOTA_EXCEEDED');
                }
              : undefined,
        });
        const isStandalone = meetingOfBoard(board.id) === null;
        // A standalone board made through REST has no owner yet: the first person to open it becomes host.
        const ownerKey = created ?? (isStandalone && !board.ownerKeyHash ? service.claimOwnership(board) : undefined);
        connection.ownsBoard = isStandalone && (ownerKey !== undefined || (request.ownerKey !== undefined && board.ownerKeyHash === hashKey(request.ownerKey)));
        const member: BoardMember = {
          key: `${socket.id}:${board.id}`,
          identity,
          awarenessClients: new Set(),
          standing: () => policy.standing(board.id, identity, connection),
          send: (event, payload) => socket.emit(event, payload),
          sendRights: (payload) => socket.emit('board.rights', payload),
        };
        const self = board.rightsOf(identity, member.standing());
        member.lastRights = JSON.stringify(self);
        board.addMember(member);
        joined.set(board.id, { board, member });
        return {
          protocolVersion: BOARD_PROTOCOL_VERSION,
          board: board.id,
          self,
          access: board.access,
          update: stateVector ? Y.encodeStateAsUpdate(board.doc.doc, stateVector) : Y.encodeStateAsUpdate(board.doc.doc),
          stateVector: Y.encodeStateVector(board.doc.doc),
          awareness: board.awarenessSnapshot(),
          pinnedSymbols: service.pinnedSymbols,
          ...(ownerKey ? { ownerKey } : {}),
        };
      } finally {
        route?.settled();
      }
    },
    async 'board.update'({ joined }, request) {
      const { board, member } = membership(joined, request.board);
      board.applyClientUpdate(member, request.update);
      return {};
    },
    async 'board.awareness'({ joined }, request) {
      const { board, member } = membership(joined, request.board);
      board.applyClientAwareness(member, request.update);
      return {};
    },
    async 'board.setAccess'({ joined }, request) {
      const { board, member } = membership(joined, request.board);
      board.setAccess(member, request.access);
      return { access: board.access };
    },
    async 'board.clear'({ joined }, request) {
      const { board, member } = membership(joined, request.board);
      return { removed: board.clear(member, request.page) };
    },
    async 'board.leave'({ joined }, request) {
      const { board, member } = membership(joined, request.board);
      joined.delete(request.board);
      board.removeMember(member);
      return {};
    },
  };
}

/** Largest payload per event: its binary field's bound plus the request around it. */
const PAYLOAD_LIMITS: Record<BoardRequestName, number> = {
  'board.join': MAX_STATE_VECTOR_BYTES + MAX_REQUEST_BYTES,
  'board.update': MAX_UPDATE_BYTES + MAX_REQUEST_BYTES,
  'board.awareness': MAX_AWARENESS_BYTES + MAX_REQUEST_BYTES,
  'board.setAccess': MAX_REQUEST_BYTES,
  'board.clear': MAX_REQUEST_BYTES,
  'board.leave': MAX_REQUEST_BYTES,
};

/**
 * Binds the board protocol to the `/board` namespace of the meeting's
 * socket.io server through the kit's gateway pipeline (`@muster/kit/gateway`):
 * rate limits (per socket, and per address weighed by size), size limit per
 * event, version and schema validation and error mapping happen there once;
 * the Board checks rights, document shape and the board's size.
 */
export function attachBoardGateway(io: Server, service: BoardService, options: BoardGatewayOptions = {}): Namespace {
  const namespace = io.of(BOARD_NAMESPACE);
  const store = options.limits ?? new MemoryLimits();
  const quotas = { ...DEFAULT_BOARD_QUOTAS, ...options.quotas };
  const limits: GatewayLimits = {
    events: store.rate({ name: 'board-events-address', ...quotas.eventsPerAddress }),
    newBoards: store.rate({ name: 'board-new-address', ...quotas.newBoardsPerAddress }),
    newBoardsPerDay: store.rate({ name: 'board-new-address-day', ...quotas.newBoardsPerAddressPerDay }),
    newBoardsServer: store.rate({ name: 'board-new-server', ...quotas.newBoardsPerServer }),
  };
  const trust = options.trustProxy ?? TRUST_NO_PROXY;
  const joinTimeoutMs = options.joinTimeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
  const gateway = new SocketGateway<typeof BoardRequests, Connection, BoardErrorCode, BoardResponses>({
    requests: BoardRequests,
    handlers: handlers(service, limits, options.standaloneAllowed),
    version: BOARD_PROTOCOL_VERSION,
    maxBytes: (event) => PAYLOAD_LIMITS[event],
    measure: boardPayloadSize,
    tooLarge: (max) => `board messages are limited to ${max} bytes`,
    // The socket's own bucket first (cheap, and a flooding socket stops there), then the address's budget, weighed by size.
    limits: [
      { limit: store.bursty({ name: 'board-socket', perSecond: RATE_PER_SECOND, burst: RATE_BURST }), key: (c) => c.socket.id, refusal: () => 'too many board messages; slow down' },
      {
        limit: limits.events,
        key: (c) => c.address,
        points: (size) => 1 + Math.floor(Math.min(size, 2 * MAX_UPDATE_BYTES) / BYTES_PER_POINT),
        refusal: (retryAfterMs) => `too many board messages from your address; ${retryText(retryAfterMs)}`,
      },
    ],
    // After each request the idle timer follows what is open: none after the last leave starts it again.
    run: async (c, event, task) => {
      const result = await task();
      if (c.joined.size > 0) c.stopIdle();
      else if (event === 'board.leave') c.armIdle();
      return result;
    },
    errorOf: (error) => (error instanceof BoardError ? { code: error.code, message: error.message } : undefined),
    errorEvent: 'board.error',
    log,
    logFields: (c) => ({ boards: [...c.joined.keys()] }),
  });

  namespace.on('connection', (socket) => {
    const joined = new Map<string, Membership>();
    // A socket with no board open is closed after a while: idle sockets cost memory and count against nobody.
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        if (joined.size > 0 || !socket.connected) return;
        socket.emit('board.error', { code: 'NOT_JOINED', message: `no board opened within ${Math.round(joinTimeoutMs / 1000)} s`, event: 'board.join' });
        // Only this namespace when the connection carries others (a meeting's); the whole connection when it is ours alone.
        const sockets = (socket.client as unknown as { sockets?: Map<string, unknown> }).sockets;
        socket.disconnect(sockets !== undefined && sockets.size <= 1);
      }, joinTimeoutMs);
    };
    armIdle();
    const c: Connection = { socket, address: addressKey(clientAddress(socket.request, trust)), joined, armIdle, stopIdle: () => clearTimeout(idleTimer), relay: options.relay };
    // A relayed connection's requests are the other app's to limit, check and answer.
    socket.onAny(gateway.relayingListener(socket, c, 'board.join', () => c.relayed));

    socket.on('disconnect', () => {
      clearTimeout(idleTimer);
      for (const { board, member } of joined.values()) board.removeMember(member);
      joined.clear();
    });
  });
  return namespace;
}
