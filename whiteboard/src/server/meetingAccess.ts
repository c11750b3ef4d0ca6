import { BoardError, meetingOfBoard } from '../protocol.ts';
import type { BoardAccessPolicy, BoardConnection, BoardIdentity, BoardStanding } from './access.ts';

/**
 * The slice of the signaling server's rooms this adapter reads. Structural,
 * so the whiteboard does not depend on the signaling package (which depends
 * on it); `RoomManager` satisfies it as it is.
 */
export interface MeetingParticipantView {
  id: string;
  name: string;
  role: string;
  left: boolean;
  socket: { conn: unknown } | null;
  tracks: Map<string, { source: string }>;
}

export interface MeetingRoomView {
  closed: boolean;
  participants: Map<string, MeetingParticipantView>;
  /** The meeting's rights (roles and settings): `draw` to draw at all, `moderate` to act as the board's host. */
  can(participantId: string, right: 'draw' | 'moderate'): boolean;
}

export interface MeetingDirectory {
  get(roomId: string): MeetingRoomView | undefined;
}

/**
 * Meeting boards (`m.<room>`): the meeting is the authority. A board socket
 * belongs to the participant whose meeting socket shares its connection
 * (socket.io multiplexes the `/board` namespace over the meeting's WebSocket),
 * so nobody can open a meeting's board without being in the meeting, and
 * nobody can claim to be someone else.
 *
 * This is the one place that reads meeting roles and rights.
 */
export function meetingAccess(rooms: MeetingDirectory): BoardAccessPolicy {
  const find = (boardId: string, conn: unknown): MeetingParticipantView => {
    const roomId = meetingOfBoard(boardId);
    const room = roomId ? rooms.get(roomId) : undefined;
    if (!room || room.closed) throw new BoardError('NOT_JOINED', 'join the meeting first');
    for (const participant of room.participants.values()) {
      if (!participant.left && participant.socket && participant.socket.conn === conn) return participant;
    }
    throw new BoardError('NOT_JOINED', 'join the meeting first');
  };
  return {
    identify(boardId: string, connection: BoardConnection): BoardIdentity {
      const participant = find(boardId, connection.conn);
      return { userId: participant.id, name: participant.name };
    },
    standing(boardId: string, identity: BoardIdentity): BoardStanding | null {
      const roomId = meetingOfBoard(boardId);
      const room = roomId ? rooms.get(roomId) : undefined;
      const participant = room && !room.closed ? room.participants.get(identity.userId) : undefined;
      if (!participant || participant.left) return null;
      const isPresenter = [...participant.tracks.values()].some((t) => t.source === 'screen');
      return { isHost: room!.can(participant.id, 'moderate'), isPresenter, mayDraw: room!.can(participant.id, 'draw') };
    },
  };
}
