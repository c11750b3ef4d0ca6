import type { MessageView } from '../protocol.ts';

/**
 * Every live IM event, by name, with what it carries. Each capability adds
 * its own events here (groups, sync, calls, presence…), so the socket layer
 * and the sync long-poll see one typed map.
 */
export interface ImEventMap {
  /** A stored message (new, or a system notice), to every member's devices, the sender's other devices included. */
  'im.message': MessageView;
  /** A member's read pointer moved: the sender's "read", the reader's other devices. */
  'im.read': { conversationId: string; userId: string; readSeq: number };
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
