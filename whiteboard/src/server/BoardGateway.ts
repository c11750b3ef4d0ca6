import type { Namespace, Server, Socket } from 'socket.io';
import * as Y from 'yjs';
import {
  BOARD_PROTOCOL_VERSION,
  BoardError,
  BoardRequests,
  MAX_REQUEST_BYTES,
  MAX_UPDATE_BYTES,
  boardFail,
  boardOk,
  meetingOfBoard,
  zodMessage,
  type BoardAck,
  type BoardRequest,
  type BoardRequestName,
  type BoardResponses,
} from '../protocol.ts';
import type { BoardConnection } from './access.ts';
import type { BoardMember } from './Board.ts';
import type { Board } from './Board.ts';
import type { BoardService } from './BoardService.ts';
import { hashKey } from './standaloneAccess.ts';
import { TokenBucket } from '@muster/signaling/rate-limit';

export const BOARD_NAMESPACE = '/board';

/** Drawing makes many small updates; this is well above a fast pen stroke plus cursor moves. */
const RATE_PER_SECOND = 120;
const RATE_BURST = 240;
const MAX_BOARDS_PER_SOCKET = 4;

interface Membership {
  board: Board;
  member: BoardMember;
}

type Handlers = {
  [N in BoardRequestName]: (socket: Socket, joined: Map<string, Membership>, request: BoardRequest<N>) => Promise<BoardResponses[N]>;
};

function payloadSize(payload: unknown): number {
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

function handlers(service: BoardService): Handlers {
  return {
    async 'board.join'(socket, joined, request) {
      if (joined.has(request.board)) throw new BoardError('BAD_REQUEST', 'this board is already open on this connection');
      if (joined.size >= MAX_BOARDS_PER_SOCKET) throw new BoardError('BAD_REQUEST', `at most ${MAX_BOARDS_PER_SOCKET} boards per connection`);
      if (request.stateVector) {
        try {
          Y.decodeStateVector(request.stateVector);
        } catch {
          throw new BoardError('BAD_REQUEST', 'stateVector is not a Yjs state vector');
        }
      }
      const policy = service.policyFor(request.board);
      const connection: BoardConnection = { conn: socket.conn, join: request, ownsBoard: false };
      const identity = policy.identify(request.board, connection);
      const { board, ownerKey: created } = await service.open(request.board, { create: true, forPerson: true });
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
        update: request.stateVector ? Y.encodeStateAsUpdate(board.doc.doc, request.stateVector) : Y.encodeStateAsUpdate(board.doc.doc),
        stateVector: Y.encodeStateVector(board.doc.doc),
        awareness: board.awarenessSnapshot(),
        pinnedSymbols: service.pinnedSymbols,
        ...(ownerKey ? { ownerKey } : {}),
      };
    },
    async 'board.update'(_socket, joined, request) {
      const { board, member } = membership(joined, request.board);
      board.applyClientUpdate(member, request.update);
      return {};
    },
    async 'board.awareness'(_socket, joined, request) {
      const { board, member } = membership(joined, request.board);
      board.applyClientAwareness(member, request.update);
      return {};
    },
    async 'board.setAccess'(_socket, joined, request) {
      const { board, member } = membership(joined, request.board);
      board.setAccess(member, request.access);
      return { access: board.access };
    },
    async 'board.clear'(_socket, joined, request) {
      const { board, member } = membership(joined, request.board);
      return { removed: board.clear(member, request.page) };
    },
    async 'board.leave'(_socket, joined, request) {
      const { board, member } = membership(joined, request.board);
      joined.delete(request.board);
      board.removeMember(member);
      return {};
    },
  };
}

/**
 * Binds the board protocol to the `/board` namespace of the meeting's
 * socket.io server: rate limit, size limit, schema and error mapping happen
 * here once; the Board checks rights and document shape.
 */
export function attachBoardGateway(io: Server, service: BoardService): Namespace {
  const namespace = io.of(BOARD_NAMESPACE);
  const table = handlers(service);
  namespace.on('connection', (socket) => {
    const joined = new Map<string, Membership>();
    const rate = new TokenBucket(RATE_PER_SECOND, RATE_BURST);

    const reply = (event: string, ack: unknown, result: BoardAck<unknown>) => {
      if (typeof ack === 'function') ack(result);
      else if (!result.ok) socket.emit('board.error', { ...result.error, event });
    };

    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && Object.hasOwn(BoardRequests, event)) return;
      reply(String(event).slice(0, 64), args[args.length - 1], boardFail('UNKNOWN_EVENT', `unknown request "${String(event).slice(0, 64)}"`));
    });

    for (const name of Object.keys(BoardRequests) as BoardRequestName[]) {
      socket.on(name, async (...args: unknown[]) => {
        const ack = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
        const payload = ack ? (args.length > 1 ? args[0] : undefined) : args[0];
        if (!rate.take()) return reply(name, ack, boardFail('RATE_LIMITED', 'too many board messages; slow down'));
        const limit = name === 'board.update' || name === 'board.awareness' || name === 'board.join' ? MAX_UPDATE_BYTES + MAX_REQUEST_BYTES : MAX_REQUEST_BYTES;
        if (payloadSize(payload) > limit) return reply(name, ack, boardFail('PAYLOAD_TOO_LARGE', `board messages are limited to ${limit} bytes`));
        const parsed = BoardRequests[name].safeParse(payload ?? {});
        if (!parsed.success) return reply(name, ack, boardFail('BAD_REQUEST', zodMessage(parsed.error)));
        try {
          const handler = table[name] as (s: Socket, j: Map<string, Membership>, r: unknown) => Promise<unknown>;
          reply(name, ack, boardOk(await handler(socket, joined, parsed.data)));
        } catch (error) {
          if (error instanceof BoardError) return reply(name, ack, boardFail(error.code, error.message));
          console.error(`[whiteboard] ${name} failed:`, error);
          reply(name, ack, boardFail('INTERNAL', 'the server could not complete the request'));
        }
      });
    }

    socket.on('disconnect', () => {
      for (const { board, member } of joined.values()) board.removeMember(member);
      joined.clear();
    });
  });
  return namespace;
}
