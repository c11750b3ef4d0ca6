/**
 * XMPP-over-WebSocket connections to ejabberd (`--target ejabberd`), through
 * the lean client of the ejabberd peer (peers/ejabberd/xmppConnection.ts):
 * sign-in with the person's password, resource binding, presence, then idle.
 * The server keeps them alive with WebSocket pings (answered by `ws`), so
 * there is no client heartbeat. The announcement arrives as a headline
 * message whose body is the announcement as JSON (see EjabberdTarget).
 */
import type { Announcement } from '@muster/kit/longlink';
import { openXmppConnection, type XmppConnection } from '../peers/ejabberd/xmppConnection.ts';
import type { BotUser, ConnectionEvents, ConnectionKind } from './ConnectionKind.ts';

/** A reason to count by: "XMPP connection for bot1: sign-in refused: <failure…" → "sign-in refused", "closed (1006)" → "closed". */
const reasonOf = (message: string) => message.replace(/^XMPP connection for [^:]*: /, '').split(/[:(]/, 1)[0]!.trim().slice(0, 60);

export class XmppConnections implements ConnectionKind {
  readonly #url: string;
  readonly #domain: string;
  readonly #events: ConnectionEvents;
  readonly #connections: (XmppConnection | undefined)[];
  /** Which attempt of each slot is current: an earlier one's late outcome is ignored. */
  readonly #attempt: Uint8Array;
  #closing = false;

  /** `url`: ejabberd's XMPP WebSocket endpoint; `domain`: its virtual host. */
  constructor(url: string, domain: string, slots: number, events: ConnectionEvents) {
    this.#url = url;
    this.#domain = domain;
    this.#events = events;
    this.#connections = new Array<XmppConnection | undefined>(slots);
    this.#attempt = new Uint8Array(slots);
  }

  open(slot: number, user: BotUser, localAddress: string): void {
    const attempt = ++this.#attempt[slot]!;
    const current = () => !this.#closing && this.#attempt[slot] === attempt;
    openXmppConnection({
      url: this.#url,
      domain: this.#domain,
      user: user.id,
      password: user.secret,
      resource: `c${slot}`,
      localAddress,
      onMessage: (body) => {
        let announcement: Announcement;
        try {
          announcement = JSON.parse(body) as Announcement;
        } catch {
          return;
        }
        if (current() && typeof announcement.sentAt === 'number') this.#events.announcement(slot, announcement.sentAt);
      },
      onLost: (reason) => {
        if (!current()) return;
        this.#connections[slot] = undefined;
        this.#events.closed(slot, reasonOf(reason));
      },
    }).then(
      (connection) => {
        if (!current()) return void connection.close();
        this.#connections[slot] = connection;
        this.#events.up(slot);
      },
      (error: Error) => {
        if (current()) this.#events.refused(slot, reasonOf(error.message));
      },
    );
  }

  closeAll(): void {
    this.#closing = true;
    for (const connection of this.#connections) void connection?.close();
  }
}
