import type { MediaType, MsgType } from './media.ts';
import type { PayloadManifest } from './mediaPayloads.ts';
import type { MediaMixOptions } from './options.ts';
import type { ProvisionedConversation } from './provision.ts';

/** A text message is its send time, then this padding, so it is about the size of a chat line (every target's bots send it). */
export const TEXT_PADDING = ' 会议改到三点，请大家准时参加。The meeting moves to 3 pm.';

export interface ChatBotSpec {
  index: number;
  id: string;
  accessToken: string;
}

/** Coordinator → chat bot process. */
export type ChatCommand =
  | {
      type: 'connect';
      /** The servers: bot i connects (and uploads) to urls[i mod n]. */
      urls: string[];
      /** longlink (the gateways' lean WebSocket) or socket.io's /account. */
      transport: 'longlink' | 'socketio';
      bots: ChatBotSpec[];
      /** Conversations with at least one of this process's bots in them. */
      conversations: ProvisionedConversation[];
      /** The rich-media mix: its settings (this process's share of the in-flight cap and its own seed) and the payloads made for it. */
      media?: MediaMixOptions & { manifest: PayloadManifest };
    }
  /** Start sending at `rate` messages per second (this process's share), `groupShare` of them to groups. */
  | { type: 'send'; rate: number; groupShare: number }
  /** Stop sending (deliveries still counted). */
  | { type: 'halt' }
  | { type: 'stop' };

export type Kind = 'direct' | 'group';

/** Per-second report of one chat bot process; counters are cumulative, histograms per second. */
export interface ChatSample {
  type: 'sample';
  connected: number;
  connectFailed: number;
  failures: string[];
  sent: Record<Kind, number>;
  acked: Record<Kind, number>;
  failed: number;
  errors: Record<string, number>;
  /** Live messages received from others, and the sender's own device's copy. */
  received: Record<Kind, number>;
  echoes: number;
  /** Socket disconnections (cumulative; socket.io-client reconnects them). */
  disconnects: number;
  /** Deliveries to others the acknowledged sends call for (members − 1 each). */
  expected: Record<Kind, number>;
  latency: Record<Kind, { counts: number[]; max: number }>;
  ack: { counts: number[]; max: number };
  cpuMicros: number;
  eventLoopLagMs: number;
  media?: MediaSample;
}

type Histogram = { counts: number[]; max: number };

/**
 * The rich-media mix's part of a sample (`--media-mix`). Counters are
 * cumulative, histograms per second. Media messages are also counted in the
 * sample's per-kind counters (sent, acked, received, expected), so those
 * stay "all messages".
 */
export interface MediaSample {
  /** Sends the scheduler asked for, by type (media ones start an upload, unless shed). */
  due: Record<MsgType, number>;
  /** Media sends skipped because the in-flight cap was reached. */
  shed: Record<MediaType, number>;
  /** im.send emitted (media: after the upload finished). */
  sent: Record<MsgType, number>;
  /** Stored (acknowledged). */
  acked: Record<MsgType, number>;
  /** Received by other members' sockets. */
  received: Record<MsgType, number>;
  /** Deliveries the acknowledged sends call for (members − 1 each). */
  expected: Record<MsgType, number>;
  /** Failed sends (upload or im.send). */
  failed: Record<MsgType, number>;
  upload: {
    started: number;
    finished: number;
    failed: number;
    /** Media sends in flight now (upload, then im.send). */
    inFlight: number;
    /** Bytes of finished uploads. */
    bytes: number;
    /** First PATCH sent → last PATCH answered. */
    latency: Histogram;
    /** Creation POST sent → last PATCH answered. */
    total: Histogram;
    /** The last PATCH alone: its bytes and the server's processing of the finished file (before that reply). */
    lastPatch: Histogram;
    /** First PATCH sent → last PATCH answered, and the last PATCH alone, by type. */
    latencyByType: Record<MediaType, Histogram>;
    lastPatchByType: Record<MediaType, Histogram>;
  };
  /** Send (im.send emitted) → another member's socket, by type. */
  latency: Record<MsgType, Histogram>;
  /** Upload started → another member's socket: what the person waits from tapping send. */
  endToEnd: Record<MediaType, Histogram>;
  /** im.send emitted → stored (ack), by type. */
  ack: Record<MsgType, Histogram>;
}

export type ChatMessage = ChatSample | { type: 'ready' } | { type: 'connected'; connected: number; failed: number };
