/**
 * One person's signed-in IM connection as the web client holds it: the
 * longlink (or socket.io's `/account` namespace) with the IM client SDK's
 * transport (`AccountTransport` of `@muster/im/client`) on it. The chat bots
 * and the calls-via-chat bots (src/callsViaChat/) open theirs here.
 */
import { io as connect } from 'socket.io-client';
import { WebSocket } from 'ws';
import { longlink, type WebSocketConstructor } from '@muster/accounts/client';
import { AccountTransport, type ImSocketLike } from '@muster/im/client';

/** The connection of each bot: the web client's longlink, or socket.io's /account; both have the socket surface the IM transport uses. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BotSocket = ImSocketLike & { once(event: string, listener: (...args: any[]) => void): unknown; close(): unknown };

const openLonglink = longlink(WebSocket as unknown as WebSocketConstructor);

export interface ImConnection {
  socket: BotSocket;
  transport: AccountTransport;
  /** Settles when the connection first comes up (signed in), or is refused. */
  connected: Promise<void>;
}

/**
 * Opens `accessToken`'s connection to `url`. `rest`: the transport's REST
 * half goes to the server with the same token (the SDK's calls use it);
 * without it the transport's REST is refused, for bots that use the socket only.
 */
export function openImConnection(url: string, kind: 'longlink' | 'socketio', accessToken: string, options: { rest?: boolean } = {}): ImConnection {
  const socket = (
    kind === 'longlink'
      ? openLonglink(`${url}/account`, { transports: ['websocket'], forceNew: true, auth: (callback) => callback({ accessToken }) })
      : connect(`${url}/account`, { transports: ['websocket'], auth: { accessToken }, reconnection: true, forceNew: true })
  ) as unknown as BotSocket;
  const fetchAs = options.rest
    ? (path: string, init: RequestInit = {}) => fetch(`${url}/api/v1${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${accessToken}` } })
    : () => Promise.reject(new Error('this bot uses the socket only'));
  const transport = new AccountTransport({ fetch: fetchAs } as never, { ackTimeoutMs: 30_000 });
  transport.attach(socket as unknown as ImSocketLike);
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, transport, connected };
}
