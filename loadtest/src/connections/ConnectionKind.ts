/**
 * What a bot process needs of one kind of long connection (longlink,
 * socket.io, XMPP): open one for a person from a source address, beat its
 * heart, close them all. One object holds all the process's connections of
 * its kind, indexed by slot, and reports what happens to them through
 * ConnectionEvents; the process keeps the counts, retries and refreshes.
 */

/** One person whose connections a bot process holds. */
export interface BotUser {
  /** Their account id (Muster) or user name (XMPP). */
  id: string;
  /** What a connection presents: an access token (Muster) or a password (XMPP). Replaced when refreshed. */
  secret: string;
  /** Muster: the device's refresh token, for access tokens that expire during a long ramp (they live 15 minutes). */
  refreshToken?: string;
}

/** Why a connection was refused that is worth another try: its token expired (refreshed first), or the gateway was full or stopping. */
export const UNAUTHORIZED = 'UNAUTHORIZED';
export const TRY_AGAIN = new Set(['GOING_AWAY', 'HTTP 503']);

export interface ConnectionEvents {
  /** Connection `slot` is up: signed in and ready for events (the welcome, socket.io's connect). */
  up(slot: number): void;
  /** It never came up, or ended before it did: why (a bye code, `HTTP <status>`, an error code). */
  refused(slot: number, reason: string): void;
  /** It was up and ended: why. */
  closed(slot: number, reason: string): void;
  /** The announcement reached it; `sentAt` is the server's send time (ms since epoch, this machine's clock). */
  announcement(slot: number, sentAt: number): void;
}

export interface ConnectionKind {
  /**
   * Opens connection `slot` for `user` from `localAddress` (replacing an
   * earlier attempt of that slot), and from `localPort` where the transport
   * lets the caller name it (else the kernel picks one); the outcome comes
   * through the events.
   */
  open(slot: number, user: BotUser, localAddress: string, localPort?: number): void;
  /**
   * Client heartbeats, when the protocol has them: the pace the server set
   * (ms; the welcome's heartbeatMs) and one connection's beat. The process
   * beats every connection once per interval from one timer, in slices.
   * Absent where the transport keeps its own (socket.io answers the
   * server's pings).
   */
  readonly heartbeat?: { readonly intervalMs: number; beat(slot: number): void };
  /** Ends every connection at the end of the run; no events after this. */
  closeAll(): void;
}

/** When a JWT access token expires (ms), from its unverified payload; null for anything else (an XMPP password). */
export function tokenExpiresAt(token: string): number | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}
