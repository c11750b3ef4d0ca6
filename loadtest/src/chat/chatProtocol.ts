import type { ProvisionedConversation } from './provision.ts';

export interface ChatBotSpec {
  index: number;
  id: string;
  accessToken: string;
}

/** Coordinator → chat bot process. */
export type ChatCommand =
  | {
      type: 'connect';
      url: string;
      bots: ChatBotSpec[];
      /** Conversations with at least one of this process's bots in them. */
      conversations: ProvisionedConversation[];
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
}

export type ChatMessage = ChatSample | { type: 'ready' } | { type: 'connected'; connected: number; failed: number };
