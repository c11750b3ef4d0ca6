/**
 * Longlink, version 1: the lean long connection a signed-in device keeps
 * open to a gateway process (`/longlink`, plain WebSocket, JSON text frames).
 * Exported as `@muster/kit/longlink`.
 *
 * Why not socket.io: measured here, a socket.io connection costs about
 * 10.6 KB of heap (15 KB of RSS) in the server against 2.85 KB (4–5 KB) for a
 * plain `ws` one, so 600,000 connections fit one machine's memory only on the
 * lean one (loadtest/RESULTS.md, "Connections"). socket.io stays for meetings
 * and boards, whose connections are few and whose clients use its rooms.
 *
 * The conversation:
 *
 *   client                                   gateway
 *   hello {v, token}              ───►       (checks the access token as the REST API does)
 *                                 ◄───       welcome {accountId, connectionId, heartbeatMs}
 *   req {id, e, d}                ───►       (the same requests, checks and replies as the
 *                                 ◄───        socket.io IM protocol: im.send, im.sync, …)
 *                                            res {id, ok, d | error}
 *                                 ◄───       ev {e, d}            live events (im.message, …)
 *   ping                          ───►       every heartbeatMs; a connection silent for
 *                                 ◄───       pong                 2.5 heartbeats is closed
 *                                 ◄───       bye {code, message}  then the close (4xxx)
 *
 * Heartbeats are the client's: a browser cannot see WebSocket ping frames,
 * and only the client can tell that its network went away. One frame a
 * heartbeat each way is all a quiet connection costs.
 */
export const LONGLINK_VERSION = 1;
/** The path gateways serve it on. */
export const LONGLINK_PATH = '/longlink';
/** How often a client sends `ping` unless the welcome says otherwise. */
export const DEFAULT_HEARTBEAT_MS = 30_000;
/** A connection with nothing from its client for this many heartbeats is gone. */
export const HEARTBEATS_MISSED = 2.5;
/** How long a new connection may take to say hello. */
export const HELLO_TIMEOUT_MS = 10_000;
/** The largest frame a client may send (an IM text request, escaped, with its fields). */
export const MAX_CLIENT_FRAME_BYTES = 32 * 1024;

/** Why a gateway ends a connection (`bye.code`), and the WebSocket close code it closes with. */
export const CLOSE_CODES = {
  /** The hello's token is not (or no longer) valid: refresh it, then connect again. */
  UNAUTHORIZED: 4001,
  /** No hello in time. */
  HELLO_TIMEOUT: 4002,
  /** Nothing from the client for 2.5 heartbeats. */
  HEARTBEAT_TIMEOUT: 4003,
  /** The device was signed out (here or elsewhere). */
  SIGNED_OUT: 4004,
  /** Frames that are not this protocol, again and again. */
  PROTOCOL_ERROR: 4005,
  /** The hello asked for a version this gateway does not speak. */
  UNSUPPORTED_VERSION: 4006,
  /** This gateway is full or stopping: connect again (another one takes it). */
  GOING_AWAY: 4007,
} as const;
export type ByeCode = keyof typeof CLOSE_CODES;

/** Errors on one frame that do not end the connection (`error` frames and `res` errors of the envelope). */
export const LONGLINK_ERROR_CODES = ['BAD_FRAME', 'PAYLOAD_TOO_LARGE', 'NOT_READY', 'UNAVAILABLE', 'RATE_LIMITED'] as const;
export type LonglinkErrorCode = (typeof LONGLINK_ERROR_CODES)[number];

// ---------------------------------------------------------------- client → gateway
// (their zod parsers, which only gateways need, are in clientFrames.ts: a browser bundle of this file carries no zod)

export type ClientFrame =
  /** First, within HELLO_TIMEOUT_MS. `client` says what the client is ("web 0.1", "loadtest"): for counts, never trusted. */
  | { t: 'hello'; v: number; token: string; client?: string }
  /** A request of the IM protocol (`im.send`, …; unknown names get UNKNOWN_EVENT); `id` 0 … 2³¹, the client's. */
  | { t: 'req'; id: number; e: string; d?: unknown }
  | { t: 'ping' };

// ---------------------------------------------------------------- gateway → client

export interface ErrorBody<Code extends string = string> {
  code: Code;
  message: string;
}

export type ServerFrame =
  | { t: 'welcome'; v: typeof LONGLINK_VERSION; accountId: string; connectionId: string; heartbeatMs: number }
  | { t: 'res'; id: number; ok: true; d: unknown }
  | { t: 'res'; id: number; ok: false; error: ErrorBody }
  /** A live event: IM's (`im.message`, …), the account's (`account.notice`) or everyone's (`announcement`). */
  | { t: 'ev'; e: string; d: unknown }
  | { t: 'pong' }
  /** A frame that could not be taken (not JSON, no such frame); the connection stays. */
  | { t: 'error'; error: ErrorBody<LonglinkErrorCode> }
  /** The last frame before the gateway closes the connection with `CLOSE_CODES[code]`. */
  | { t: 'bye'; code: ByeCode; message: string };

/** An announcement to everyone connected (`ev` named `announcement`): maintenance notices and the like. */
export interface Announcement {
  id: string;
  text: string;
  sentAt: number;
}
