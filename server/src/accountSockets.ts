import type { Namespace, Server as SocketIoServer, Socket } from 'socket.io';
import type { Accounts, Principal } from '@muster/accounts';

/** The namespace a signed-in client keeps open for account notices (lock-outs, being signed out). */
export const ACCOUNT_NAMESPACE = '/account';

declare module 'socket.io' {
  interface SocketData {
    /** The signed-in device behind this socket, when it connected with `auth: { accessToken }`. */
    principal?: Principal;
  }
}

/**
 * Access tokens on sockets, and revocation that reaches them: a socket of
 * any namespace may connect with `auth: { accessToken }` (a wrong or
 * revoked token is refused with UNAUTHORIZED); the sockets of a device are
 * disconnected the moment it is signed out, on this process at once and on
 * the others when their SessionGuard reads the revocation (≤ 0.5 s).
 * `/account` needs a token and carries the account's notices.
 */
export function attachAccountSockets(
  io: SocketIoServer,
  accounts: Accounts,
  options: { onConnection?: (socket: Socket, principal: Principal) => void } = {},
): { toAccounts(accountIds: readonly string[], event: string, payload: unknown): void; close(): void } {
  const bySession = new Map<string, Set<Socket>>();

  const authenticate = async (socket: Socket, next: (error?: Error) => void, required: boolean) => {
    const token = (socket.handshake.auth as { accessToken?: unknown } | undefined)?.accessToken;
    if (token === undefined && !required) return next();
    if (typeof token !== 'string' || token.length > 2000) return next(coded('UNAUTHORIZED', 'sign in: a valid access token is required'));
    const principal = await accounts.guard.authenticate(token).catch(() => null);
    if (!principal) return next(coded('UNAUTHORIZED', 'the access token is not valid (expired or signed out)'));
    socket.data.principal = principal;
    let sockets = bySession.get(principal.sessionId);
    if (!sockets) bySession.set(principal.sessionId, (sockets = new Set()));
    sockets.add(socket);
    socket.once('disconnect', () => {
      sockets!.delete(socket);
      if (sockets!.size === 0 && bySession.get(principal.sessionId) === sockets) bySession.delete(principal.sessionId);
    });
    next();
  };

  const optional = (namespace: Namespace) => namespace.use((socket, next) => void authenticate(socket, next, false));
  // Every namespace there is now (meetings on '/', boards) and any added later.
  for (const namespace of (io as unknown as { _nsps: Map<string, Namespace> })._nsps.values()) if (namespace.name !== ACCOUNT_NAMESPACE) optional(namespace);
  const account = io.of(ACCOUNT_NAMESPACE);
  account.use((socket, next) => void authenticate(socket, next, true));
  account.on('connection', (socket) => {
    const principal = socket.data.principal!;
    void socket.join(`account:${principal.accountId}`);
    options.onConnection?.(socket, principal);
  });

  const stopRevoked = accounts.guard.onRevoked((revocation) => {
    for (const sessionId of revocation.sessionIds) {
      const sockets = bySession.get(sessionId);
      if (!sockets) continue;
      bySession.delete(sessionId);
      for (const socket of sockets) {
        socket.emit('account.signed-out', { reason: revocation.reason });
        socket.disconnect(true);
      }
    }
  });
  const stopNotices = accounts.auth.onNotice((accountId, notice) => {
    account.to(`account:${accountId}`).emit('account.notice', notice);
  });

  return {
    /** Sends an event to every connected device of these accounts (live IM delivery). */
    toAccounts(accountIds: readonly string[], event: string, payload: unknown) {
      const rooms = [...new Set(accountIds)].map((id) => `account:${id}`);
      if (rooms.length > 0) account.to(rooms).emit(event, payload);
    },
    close() {
      stopRevoked();
      stopNotices();
    },
  };
}

function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { data: { code, message } });
}
