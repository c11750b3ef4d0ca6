import type { ContactRequestView, MessageView } from '../protocol.ts';
import type { CallEventMap } from '../callProtocol.ts';
import type { GroupEvent } from '../groupsProtocol.ts';
import type { ConversationSettings, PresenceView } from '../protocol.ts';

/**
 * Every live IM event, by name, with what it carries. Each capability adds
 * its own events here (groups, sync, calls, presence…), so the socket layer
 * and the sync long-poll see one typed map.
 */
export interface ImEventMap extends CallEventMap {
  /** A stored message (new, or a system notice), to every member's devices, the sender's other devices included. */
  'im.message': MessageView;
  /** A group's new info (see GroupEventSchema): its members, and once whoever just left or was removed. */
  'im.group': GroupEvent;
  /** A member's read pointer moved: the sender's "read", the reader's other devices. */
  'im.read': { conversationId: string; userId: string; readSeq: number };
  /** A friend request sent or answered, as "New friends" lists it: to both people's devices (the badge follows). */
  'im.contactRequest': ContactRequestView;
  /**
   * Someone's contact list changed: a friend added or removed (to both
   * people, `userId` the other one), a remark or tags set, a block or unblock
   * (to the person's own devices). Clients refetch what they show.
   */
  'im.contacts': { change: 'added' | 'removed' | 'updated' | 'blocked' | 'unblocked'; userId: string };
  /** A message changed (recalled: its content gone; edited): its new view, to every member's devices. */
  'im.changed': MessageView;
  /** "Delete for me": these messages are hidden, on the person's own devices only. */
  'im.hidden': { conversationId: string; seqs: number[] };
  /** The other person of a direct conversation is typing (not stored; at most one a second). */
  'im.typing': { conversationId: string; userId: string };
  /** One person's settings of a conversation changed (pin, mute, hide, mark unread, draft): to their own devices. */
  'im.conversation': { conversationId: string; settings: ConversationSettings };
  /** A contact came online or went offline (`lastSeenAt` null while online or when they hide it): to their contacts. */
  'im.presence': PresenceView;
}
export type ImEventName = keyof ImEventMap;

/** One event for the connected devices of these accounts. */
export type ImDelivery = { [E in ImEventName]: { event: E; to: readonly string[]; payload: ImEventMap[E] } }[ImEventName];

/**
 * The one place the IM domains publish live events and the transports
 * (sockets on `/account`, the sync long-poll) listen. In-process: the
 * scale-out issue bridges it across processes through pub/sub, never
 * through the database.
 */
export class ImHub {
  readonly #listeners = new Set<(delivery: ImDelivery) => void>();

  publish<E extends ImEventName>(event: E, to: readonly string[], payload: ImEventMap[E]): void {
    if (to.length === 0) return;
    const delivery = { event, to, payload } as ImDelivery;
    for (const listener of this.#listeners) {
      try {
        listener(delivery);
      } catch {
        // A transport's failure is its own: the others still get the event.
      }
    }
  }

  subscribe(listener: (delivery: ImDelivery) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
