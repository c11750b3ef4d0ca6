import { io, type Manager } from 'socket.io-client';
import { BoardClient, meetingBoardId } from '@muster/whiteboard/client';
import { hueFor } from '../lib/avatar.ts';

const CLIENT_KEY = 'muster.board.clientKey';
const ownerKeyName = (board: string) => `muster.board.owner.${board}`;

function storage(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null;
  }
}

/** This browser's stable random key for standalone boards (so undo and named lists follow the person). */
export function clientKey(): string {
  const store = storage();
  let key = store?.getItem(CLIENT_KEY) ?? '';
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(key)) {
    const bytes = crypto.getRandomValues(new Uint8Array(18));
    key = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    store?.setItem(CLIENT_KEY, key);
  }
  return key;
}

export function colourFor(name: string): string {
  return `hsl(${hueFor(name)} 70% 45%)`;
}

/**
 * A standalone board at /b/<id>: its own socket.io connection on the same
 * origin and port. Signed in, the socket carries the access token (fetched
 * anew at each reconnection): an organisation may keep boards to signed-in people.
 */
export function standaloneBoardClient(board: string, name: string, accessToken?: () => Promise<string | null>): BoardClient {
  const auth = accessToken ? { auth: (cb: (data: object) => void) => void accessToken().then((t) => cb(t ? { accessToken: t } : {}), () => cb({})) } : {};
  const socket = io('/board', { transports: ['websocket'], ...auth });
  const client = new BoardClient({ socket, board, name, clientKey: clientKey(), ownerKey: storage()?.getItem(ownerKeyName(board)) ?? undefined, color: colourFor(name) });
  // Whoever creates a board is its host; the key that says so stays in this browser.
  client.on('ownerKey', (key) => storage()?.setItem(ownerKeyName(board), key));
  return client;
}

/** A meeting's board, over the meeting's own connection (socket.io multiplexes the `/board` namespace over it). */
export function meetingBoardClient(manager: Manager, roomId: string, name: string): BoardClient {
  return new BoardClient({ socket: manager.socket('/board'), board: meetingBoardId(roomId), color: colourFor(name) });
}
