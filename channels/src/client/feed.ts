/**
 * The subscribed accounts' order and the pin / reorder changes, pure (the
 * server orders the same way; the client applies a change at once and sends
 * the PATCHes this computes).
 */
import type { FeedEntry } from '../protocol.ts';

/** Pinned first (by position, ascending), then by newest article (accounts without one last), then by name. */
export function orderFeed(entries: readonly FeedEntry[]): FeedEntry[] {
  return [...entries].sort((a, b) => {
    if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
    if (a.pinned && a.position !== b.position) return a.position - b.position;
    const at = (e: FeedEntry) => e.latest?.publishedAt ?? -Infinity;
    if (at(a) !== at(b)) return at(b) - at(a);
    return a.name.localeCompare(b.name);
  });
}

/** One subscription change to send: `PATCH /service-accounts/:id/subscription`. */
export interface SubscriptionChange {
  serviceAccountId: string;
  pinned?: boolean;
  position?: number;
}

/**
 * Pin (first among the pinned, as the server does for a pin without a
 * position) or unpin one account: the new order and the change to send.
 */
export function setPinned(entries: readonly FeedEntry[], id: string, pinned: boolean): { entries: FeedEntry[]; changes: SubscriptionChange[] } {
  const target = entries.find((e) => e.serviceAccountId === id);
  if (!target || target.pinned === pinned) return { entries: orderFeed(entries), changes: [] };
  const first = Math.min(0, ...entries.filter((e) => e.pinned).map((e) => e.position));
  const position = pinned ? first - 1 : 0;
  const next = entries.map((e) => (e.serviceAccountId === id ? { ...e, pinned, position } : e));
  return { entries: orderFeed(next), changes: [pinned ? { serviceAccountId: id, pinned: true, position } : { serviceAccountId: id, pinned: false }] };
}

/**
 * Moves a pinned account up (-1) or down (+1) among the pinned: the new
 * order, and a position for each pinned account whose position changed
 * (they are renumbered 0, 1, 2…, so equal positions stop being ambiguous).
 */
export function movePinned(entries: readonly FeedEntry[], id: string, by: -1 | 1): { entries: FeedEntry[]; changes: SubscriptionChange[] } {
  const ordered = orderFeed(entries);
  const pinned = ordered.filter((e) => e.pinned);
  const from = pinned.findIndex((e) => e.serviceAccountId === id);
  const to = from + by;
  if (from < 0 || to < 0 || to >= pinned.length) return { entries: ordered, changes: [] };
  const moved = [...pinned];
  [moved[from], moved[to]] = [moved[to]!, moved[from]!];
  const changes: SubscriptionChange[] = [];
  const positions = new Map<string, number>();
  moved.forEach((e, i) => {
    positions.set(e.serviceAccountId, i);
    if (e.position !== i) changes.push({ serviceAccountId: e.serviceAccountId, position: i });
  });
  const next = entries.map((e) => (positions.has(e.serviceAccountId) ? { ...e, position: positions.get(e.serviceAccountId)! } : e));
  return { entries: orderFeed(next), changes };
}

/** Whether the pinned account may move up / down (for the buttons' state). */
export function pinMoves(entries: readonly FeedEntry[], id: string): { up: boolean; down: boolean } {
  const pinned = orderFeed(entries).filter((e) => e.pinned);
  const i = pinned.findIndex((e) => e.serviceAccountId === id);
  return { up: i > 0, down: i >= 0 && i < pinned.length - 1 };
}
