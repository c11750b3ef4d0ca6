/**
 * The server the connections scenario measures, whichever it is (Muster,
 * or ejabberd for comparison): the people it knows, what the bots connect
 * with, its processes to sample from /proc, and how it announces something
 * to everyone connected.
 */
import type { BotUser } from './ConnectionKind.ts';
import type { Transport } from './connectionsProtocol.ts';

export interface TargetProvisioning {
  /** How the people got there: straight into Muster's database, or ejabberd's bulk import. */
  via: string;
  /** People created now, and found from an earlier run (a server given with --url). */
  imported: number;
  existing: number;
  seconds: Record<string, number>;
}

export interface TargetServer {
  readonly name: 'muster' | 'ejabberd';
  /** What the bot processes connect with. */
  readonly transport: Transport;
  /** Muster: its http://host:port. ejabberd: its XMPP WebSocket endpoint. */
  readonly url: string;
  /** XMPP: the domain people sign in to. */
  readonly domain?: string;
  /** Person i, with what their connections present. */
  readonly users: BotUser[];
  readonly provisioning: TargetProvisioning;
  /** The server's processes now, each with its role; empty when they cannot be seen from here. */
  processes(): { pid: number; role: string }[];
  /**
   * The V8 heap in use in all its processes now (Muster: the app's and each gateway's, from /metrics), or null where
   * there is none to read (ejabberd) or it did not answer.
   */
  heapBytes(): Promise<number | null>;
  /** One announcement to everyone connected now: its id and send time (ms since epoch, on this machine's clock). */
  announce(text: string): Promise<{ id: string; sentAt: number }>;
  /** Stops a server started for the run (one given with --url is left running). */
  stop(): Promise<void>;
}
