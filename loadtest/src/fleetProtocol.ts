import type { BotSpec } from './Bot.ts';
import type { ChatCallSpec } from './callsViaChat/ChatCall.ts';
import type { ChatCallsSample } from './callsViaChat/processCalls.ts';

/** A peer SFU the bots may speak to instead of Muster (src/peers/). */
export type PeerName = 'janus';

/** Coordinator → bot process. */
export type FleetCommand =
  /** `calls`: calls via chat (src/callsViaChat/), started two bots' worth at a time at `ratePerSecond`, each making its own bots. */
  | { type: 'spawn'; url: string; bots: BotSpec[]; calls?: ChatCallSpec[]; ratePerSecond: number; peer?: PeerName }
  | { type: 'stop' };

/** Per-second report of one bot process. */
export interface FleetSample {
  type: 'sample';
  /** When the process took it (ms since the epoch): a coordinator's second can read a sample late. */
  takenAt: number;
  /** Bots whose join finished / failed, with join times of those that finished in this second. */
  joined: number;
  failed: number;
  /** Media rebuilds after ICE/DTLS failures (cumulative). */
  mediaRestarts: number;
  joinTimesMs: number[];
  failures: string[];
  /** callId → bots of that call that have received every expected kind. */
  connectedByCall: Record<string, number>;
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** Loss accounting over all streams since start (cumulative). */
  expected: number;
  received: number;
  jitterMs: number;
  latency: { counts: number[]; max: number };
  /** The bot process's own CPU, to judge whether the load generator was the bottleneck. */
  cpuMicros: number;
  eventLoopLagMs: number;
  /** Calls via chat: their set-up times, packets each way and outcomes. */
  viaChat?: ChatCallsSample;
}

export type FleetMessage = FleetSample | { type: 'ready' } | { type: 'stopped' };
