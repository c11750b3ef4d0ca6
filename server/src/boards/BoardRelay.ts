import type { Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { TrustProxy } from '@muster/kit/client-address';
import type { Logger } from '@muster/kit/log';
import { BOARD_NAMESPACE, type BoardRelay as BoardRelayHook, type BoardService, type RelayedBoardConnection } from '@muster/whiteboard';
import { BoardError, BoardIdSchema, meetingBoardId, meetingOfBoard, type BoardErrorCode, type BoardRequest, type BoardResponses } from '@muster/whiteboard/protocol';
import { hasApiToken, idInPath, type OwnedRequests } from '../crossHost/forwardToOwner.ts';
import { HostRelay } from '../crossHost/HostRelay.ts';
import type { Owners } from '../crossHost/Owners.ts';
import type { MeetingRelay } from '../meetings/crossHost/MeetingRelay.ts';

/** Longer than loading a large board from the database takes; the client gives up sooner. */
const JOIN_TIMEOUT_MS = 30_000;

/**
 * Boards across app hosts (REDIS_URL): a board's live document is held by
 * one app process, and a board connection reaching another is carried there
 * whole (HostRelay, the meetings' plumbing: this app's own socket.io
 * connection with the client's handshake and address; requests, events and
 * disconnects both ways), so that everyone on a board edits one document.
 *
 * - A meeting's board (`m.<room>`) is held where the meeting is. Its
 *   participant check is that the board socket shares its connection with
 *   the participant's meeting socket; a participant whose meeting connection
 *   this app relays gets the board socket opened over that same relayed
 *   connection, so the owner sees both on one connection, as it would have
 *   seen the client's own. A connection whose meeting is not relayed is
 *   served here (the meeting is here, or the connection is in no meeting
 *   and is refused here as it would be anywhere).
 * - A standalone board is held by the app that first opens it for someone,
 *   claimed in Redis (Owners, kind `board`) like a meeting: the claim lasts
 *   while the board is open there; an owner that stopped or died is taken
 *   over at the next open, which loads the board's stored log.
 */
export class BoardRelay implements BoardRelayHook {
  readonly #relay: HostRelay;
  readonly #meetings?: MeetingRelay;
  readonly #forgetIdle: (id: string) => Promise<void>;

  /** `forgetIdle`: drops a copy of the board open here that nobody has open (BoardService.forgetIdle). */
  constructor(options: { owners: Owners; meetings?: MeetingRelay; forgetIdle: (id: string) => Promise<void>; trustProxy: TrustProxy; logger: Logger }) {
    this.#meetings = options.meetings;
    this.#forgetIdle = options.forgetIdle;
    const protocol = { namespace: BOARD_NAMESPACE, joinEvent: 'board.join', joinTimeoutMs: JOIN_TIMEOUT_MS, retry: 'open it again' };
    // The board protocol has no code of its own for a server away for a moment: INTERNAL, nothing the client did wrong.
    const error = (code: string, message: string) => new BoardError(code === 'UNAVAILABLE' ? 'INTERNAL' : (code as BoardErrorCode), message);
    this.#relay = new HostRelay({ owners: options.owners, protocol: { ...protocol, error }, trustProxy: options.trustProxy, logger: options.logger });
  }

  /** Whether an open of the standalone board is being served here right now. */
  joining(id: string): boolean {
    return this.#relay.joining(id);
  }

  async route(socket: Socket, request: BoardRequest<'board.join'>): Promise<{ local: true; settled(): void } | RelayedBoardConnection> {
    this.#relay.assertOpen();
    let upstream: ClientSocket;
    if (meetingOfBoard(request.board) !== null) {
      const meeting = this.#meetings?.carrying(socket.conn);
      if (!meeting) return { local: true, settled: () => undefined };
      upstream = await this.#relay.beside(meeting, socket);
    } else {
      const found = await this.#relay.route(socket, request.board);
      if (found.local) {
        // Held by nobody until now: a copy kept here from a REST read may predate what its former holder stored since.
        if (found.fresh) await this.#forgetIdle(request.board).catch(() => undefined);
        return found;
      }
      upstream = found.upstream;
    }
    return this.#relay.carry<BoardRequest<'board.join'>, BoardResponses['board.join']>(socket, upstream);
  }

  /** Connections being carried now, ended (this app is stopping: their clients reconnect elsewhere); opens refused from now. */
  close(): void {
    this.#relay.close();
  }
}

/** `/api/v1/boards/<id>` (GET: export, PUT: import; Bearer API token); not the list, not pinned symbols. */
const BOARD_PATH = /^\/api\/v1\/boards\/([^/?#]+)(?:[?#]|$)/;

/**
 * A board's REST calls, for forwardToOwner: answered by the app holding the
 * live board, so that an import reaches the people on it and an export is
 * current. `kind` `board`: standalone boards, by their own claim (Owners of
 * kind `board`); `meeting`: meeting boards, by their meeting's claim (the id
 * is the room's).
 */
export function boardRequests(service: BoardService, apiToken: string, kind: 'board' | 'meeting'): OwnedRequests {
  const valid = (id: string) => BoardIdSchema.safeParse(id).success && (meetingOfBoard(id) === null) === (kind === 'board');
  const boardOf = (id: string) => (kind === 'board' ? id : meetingBoardId(id));
  return {
    target: (req) => {
      const id = hasApiToken(req, apiToken) ? idInPath(req, BOARD_PATH, valid) : undefined;
      return id === undefined || kind === 'board' ? id : meetingOfBoard(id)!;
    },
    live: (id) => (service.get(boardOf(id))?.members.size ?? 0) > 0,
    // Nobody holds it: a copy an earlier read left here may be behind what another app stored since.
    unheld: (id) => service.forgetIdle(boardOf(id)),
  };
}
