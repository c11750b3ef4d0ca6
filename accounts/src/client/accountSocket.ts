import type { AccountClient, AccountNotice } from './AccountClient.ts';

/** What watchAccount needs of a socket.io client socket. */
export interface AccountSocketLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  connect(): unknown;
  disconnect(): unknown;
}

export interface AccountSocketOptions {
  transports: string[];
  forceNew: boolean;
  auth: (callback: (data: object) => void) => void;
}

/** socket.io-client's `io`, or a stand-in (tests): the SDK does not bundle a socket library of its own. */
export type AccountSocketFactory = (url: string, options: AccountSocketOptions) => AccountSocketLike;

/** How many refused handshakes in a row before giving up until the next sign-in. */
const MAX_REFUSALS = 5;

/**
 * Keeps the `/account` socket open while the client is signed in: the
 * server's word that this device was signed out (another device did it, a
 * password change, an admin) arrives at once, and so do account notices
 * (`password-locked`). `account.signed-out` signs the client out (its
 * `signedOut` event carries the server's reason); notices come out as its
 * `notice` event.
 *
 * The socket asks for a fresh access token at every (re)connection. A
 * handshake the server refuses (UNAUTHORIZED: the token expired while the
 * device slept) is not retried by socket.io, so it is retried here after a
 * refresh, with a growing delay. Returns a function that stops watching.
 */
export function watchAccount(
  client: AccountClient,
  connect: AccountSocketFactory,
  options: {
    url?: string;
    /** Told of each socket opened (and null when it closes): other layers (the IM SDK) ride on the same connection. */
    onSocket?: (socket: AccountSocketLike | null) => void;
  } = {},
): () => void {
  let socket: AccountSocketLike | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let refusals = 0;

  const open = () => {
    if (socket || !client.signedIn) return;
    const s = connect(`${options.url ?? ''}/account`, {
      transports: ['websocket'],
      // Its own connection: the meeting's socket (and the board multiplexed on it) has a life of its own.
      forceNew: true,
      auth: (callback) => {
        client.accessToken().then(
          (token) => callback(token ? { accessToken: token } : {}),
          () => callback({}),
        );
      },
    });
    socket = s;
    options.onSocket?.(s);
    s.on('connect', () => {
      refusals = 0;
    });
    s.on('account.signed-out', (event: { reason?: string } | undefined) => {
      if (socket !== s) return;
      client.signedOutByServer(event?.reason ?? 'signed-out');
    });
    s.on('account.notice', (notice: AccountNotice) => {
      if (socket === s) client.notify(notice);
    });
    s.on('connect_error', (error: { data?: { code?: string } } | undefined) => {
      // Transport errors are socket.io's to retry; a refused token is ours.
      if (socket !== s || error?.data?.code !== 'UNAUTHORIZED' || ++refusals > MAX_REFUSALS) return;
      clearTimeout(retry);
      retry = setTimeout(() => {
        void client
          .refresh()
          .catch(() => undefined)
          .then(() => {
            if (socket === s && client.signedIn) s.connect();
          });
      }, Math.min(30_000, 500 * 2 ** refusals));
    });
  };

  const close = () => {
    clearTimeout(retry);
    refusals = 0;
    const s = socket;
    socket = null;
    if (s) options.onSocket?.(null);
    s?.disconnect();
  };

  const offs = [
    client.on('signedIn', () => {
      close();
      open();
    }),
    client.on('signedOut', close),
  ];
  open();
  return () => {
    for (const off of offs) off();
    close();
  };
}
