import type { BoardRequest } from '../protocol.ts';

/** Who someone is on a board. `userId` is stable for a person across reconnects (meeting participant id, or a standalone browser's key). */
export interface BoardIdentity {
  userId: string;
  name: string;
}

/** What someone's place in the board's context allows, before the board's own access settings are applied. */
export interface BoardStanding {
  /** May change who draws and clear any page; always may draw. */
  isHost: boolean;
  /** Currently sharing the screen: may clear the annotation page, and draws in `presenter` mode. */
  isPresenter: boolean;
  /** The context allows drawing at all (a meeting role may not). */
  mayDraw: boolean;
}

/** The connection asking, seen through what a policy needs of it. */
export interface BoardConnection {
  /** The engine.io connection under the `/board` socket: the meeting's own socket shares it. */
  conn: unknown;
  join: BoardRequest<'board.join'>;
  /** Standalone boards: whether the join presented the board's owner key. */
  ownsBoard: boolean;
}

/**
 * Decides who may open a board and what they may do there. The server asks
 * it on join and again before applying every change, so a right taken away
 * in the meeting (role change, end of a screen share) takes effect at once.
 */
export interface BoardAccessPolicy {
  /** Accepts the connection as someone, or throws a `BoardError` (NOT_JOINED, NOT_FOUND, FORBIDDEN). */
  identify(boardId: string, connection: BoardConnection): BoardIdentity;
  /** That person's standing now, or null when they are no longer entitled to the board (left the meeting). */
  standing(boardId: string, identity: BoardIdentity, connection: BoardConnection): BoardStanding | null;
}
