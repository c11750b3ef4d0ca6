/** What the connections scenario's coordinator and its bot processes say to each other (IPC, advanced serialisation). */
import type { BotUser } from './ConnectionKind.ts';

export type Transport = 'longlink' | 'socketio' | 'xmpp';

/** Coordinator → bot process. */
export type BotCommand =
  | {
      type: 'setup';
      transport: Transport;
      /** Muster: the server's http://host:port. XMPP: its WebSocket endpoint. */
      url: string;
      /** XMPP: the domain people sign in to. */
      domain?: string;
      users: BotUser[];
      /** Each connection's person, an index into `users`, in the order they open. */
      slots: Uint32Array;
      /** Connection j comes from addresses[j % addresses.length]. */
      addresses: string[];
    }
  /** Open every connection, evenly from `startAt` (ms since epoch) over `seconds`. */
  | { type: 'ramp'; startAt: number; seconds: number }
  /** Open no more (the machine runs short of memory); those open stay. */
  | { type: 'halt' }
  | { type: 'stop' };

type Histogram = { counts: number[]; max: number };

/** A bot process's state, twice a second. Counters and the histogram are cumulative. */
export interface BotSample {
  type: 'sample';
  slots: number;
  /** Connections opened once at least (retries not counted again). */
  opened: number;
  /** Came up (signed in): each connection once. */
  up: number;
  /** Up now. */
  open: number;
  /** Opened and not settled yet: connecting, or waiting to try again. */
  pending: number;
  /** When a connection last settled (came up, or was refused for good), ms since epoch; 0 before any did. */
  lastSettledAt: number;
  /** Never came up, by the last reason (after the tries it was worth). */
  refused: Record<string, number>;
  /** Came up and then ended, by reason. */
  dropped: Record<string, number>;
  /** Further tries after a refusal worth one (an expired token refreshed, a full or stopping gateway), by that refusal's reason. */
  retries: Record<string, number>;
  refreshes: { ok: number; failed: number; failedByReason: Record<string, number> };
  /** Connections the announcement reached, and send → receive (ms) of each. */
  reached: number;
  latency: Histogram;
  /** The heartbeat the server set (longlink), null where the transport keeps its own. */
  heartbeatMs: number | null;
  cpuMicros: number;
  rssBytes: number;
  eventLoopLagMs: number;
}

export type BotMessage = { type: 'ready' } | BotSample;
