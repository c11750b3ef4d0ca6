import type { ChatSample } from '../../chat/chatProtocol.ts';

/** One XMPP chat bot: an account, and the partner of its one-to-one conversation. */
export interface XmppChatBotSpec {
  index: number;
  user: string;
  /** The partner's account (users 2k and 2k+1 are partners, as in Muster's chat plan); null for an odd last user. */
  partner: string | null;
}

/** Coordinator → XMPP chat bot process. */
export type XmppChatCommand =
  | { type: 'connect'; url: string; domain: string; password: string; bots: XmppChatBotSpec[] }
  /** Start sending at `rate` messages per second (this process's share). */
  | { type: 'send'; rate: number }
  /** Stop sending (deliveries still counted). */
  | { type: 'halt' }
  /** Count what the archives (XEP-0313) of up to `accounts` of this process's bots, spread over them, hold. */
  | { type: 'count-archive'; accounts: number }
  | { type: 'stop' };

/**
 * XMPP chat bot process → coordinator. Samples are Muster's chat samples
 * (every message is one-to-one: the group counters stay 0), so both targets
 * are measured and summed the same way.
 */
export type XmppChatMessage =
  | ChatSample
  | { type: 'ready' }
  | { type: 'connected'; connected: number; failed: number }
  /** The archives counted: the accounts, the messages they hold, the messages their bots had acknowledged or received, the counts that failed. */
  | { type: 'archive'; accounts: number; messages: number; expected: number; failed: number };
