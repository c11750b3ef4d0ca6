import { createHash } from 'node:crypto';
import { BoardError } from '../protocol.ts';
import type { BoardAccessPolicy, BoardConnection, BoardIdentity, BoardStanding } from './access.ts';

/**
 * Standalone boards (`/b/<id>`): anyone with the link may open them; the
 * holder of the owner key, handed to whoever created the board, is host.
 * Identities are what the browser says (its random `clientKey`), which is
 * enough for undo and presence; named draw lists are only as strong as that,
 * so deployments that need real identities use meeting boards.
 */
export const standaloneAccess: BoardAccessPolicy = {
  identify(_boardId: string, connection: BoardConnection): BoardIdentity {
    const { clientKey, name } = connection.join;
    if (!clientKey) throw new BoardError('BAD_REQUEST', 'a standalone board needs a clientKey');
    return { userId: `u-${hashKey(clientKey).slice(0, 16)}`, name: name ?? 'Guest' };
  },
  standing(_boardId: string, _identity: BoardIdentity, connection: BoardConnection): BoardStanding {
    return { isHost: connection.ownsBoard, isPresenter: false, mayDraw: true };
  },
};

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
