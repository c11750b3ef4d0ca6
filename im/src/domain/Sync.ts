import crypto from 'node:crypto';
import type { Principal } from '@muster/accounts';
import { ImError } from '../errors.ts';
import { MAX_SYNC_MESSAGES, MAX_SYNC_TIMEOUT, type ConversationView, type MessageView, type SyncReply } from '../protocol.ts';
import type { PrefsRepository } from '../store/PrefsRepository.ts';
import type { ConversationState, HideEntry, SyncRepository } from '../store/SyncRepository.ts';
import type { Conversations } from './Conversations.ts';
import type { ImDelivery, ImHub } from './ImHub.ts';

/** A token unused this long lapses: the client starts over without `since`. */
export const SYNC_TOKEN_TTL_MS = 7 * 24 * 3600_000;
/** Changed conversations (their views) in one reply; the rest follow with `more`. */
const VIEWS_PER_REPLY = 200;
/** Delete-for-me entries in one reply. */
const HIDES_PER_REPLY = 1000;
/** A waiting sync looks at the database this often too: a change made by another process publishes on its own hub, not ours. */
const RECHECK_MS = 1000;
/** Lapsed cursors are swept at most this often (when someone starts a sync). */
const SWEEP_EVERY_MS = 60_000;
/** Live events that change nothing a sync reports: they do not wake a waiting sync. */
const IGNORED_EVENTS = new Set(['im.typing', 'im.presence', 'im.contacts', 'im.contactRequest']);

/**
 * Where one conversation stood at a reply, as a few numbers:
 * [rev delivered, last rev seen, last seq, updated at, my read seq, the peer's read seq (−1: none), settings version].
 * `rev delivered` trails `last rev seen` while a long catch-up is cut into replies.
 */
type Entry = [number, number, number, number, number, number, number];
interface Snapshot {
  c: Record<string, Entry>;
  /** Delete-for-me: the latest time read, and the entries at exactly that time (told apart from later ones at the same ms). */
  h: { at: number; keys: string[] };
}
interface CursorState {
  current: { gen: number; snapshot: Snapshot };
  /** The generation before: a client whose reply was lost asks again with its token and gets it again. */
  previous: { gen: number; snapshot: Snapshot } | null;
}

export interface SyncOptions {
  store: SyncRepository;
  conversations: Conversations;
  prefs: PrefsRepository;
  hub: ImHub;
  now?: () => number;
  /** Tests: how often a waiting sync re-reads the database (ms). */
  recheckMs?: number;
}

/**
 * The REST sync (GET /api/v1/sync) for clients without a socket: each reply
 * holds what changed since the client's token (new and changed messages,
 * moved read pointers, changed conversations, conversations lost, messages
 * deleted for oneself) and the next token. Nothing is lost and nothing comes
 * twice: the token names a server-side cursor holding a sealed snapshot of
 * where each conversation stood at the last reply (its rev — every new,
 * edited or recalled message takes the next one —, read pointers, settings
 * version), and the reply is the difference to now. A reply lost on the way
 * is asked for again with the same token (the cursor keeps the generation
 * before). A long catch-up comes in replies of at most 1000 messages, newest
 * conversations first, with `more: true`.
 *
 * With nothing new the sync waits (long-poll) until a live event for the
 * account, or until a re-read of the database every second finds a change
 * made by another process, or the timeout.
 */
export class Sync {
  readonly #store: SyncRepository;
  readonly #conversations: Conversations;
  readonly #prefs: PrefsRepository;
  readonly #now: () => number;
  readonly #recheckMs: number;
  /** Waiting syncs by account: a live event for the account wakes them. */
  readonly #waiting = new Map<string, Set<() => void>>();
  readonly #unsubscribe: () => void;
  readonly #running = new Set<Promise<SyncReply>>();
  #closed = false;
  #lastSweep = -Infinity;

  constructor(options: SyncOptions) {
    this.#store = options.store;
    this.#conversations = options.conversations;
    this.#prefs = options.prefs;
    this.#now = options.now ?? Date.now;
    this.#recheckMs = options.recheckMs ?? RECHECK_MS;
    this.#unsubscribe = options.hub.subscribe((delivery) => this.#wake(delivery));
  }

  /**
   * What changed since `since` (a reply's `next`), waiting up to `timeoutSeconds`
   * when nothing did; without `since`, the current state and a first token.
   * `signal`: the client went away, stop waiting.
   */
  sync(principal: Principal, since: string | undefined, timeoutSeconds = 0, signal?: AbortSignal): Promise<SyncReply> {
    if (this.#closed) return Promise.reject(new ImError('INTERNAL', 'the server is stopping'));
    const running = since === undefined ? this.#start(principal) : this.#poll(principal, since, timeoutSeconds, signal);
    // close() lets every reply under way finish before the database goes.
    this.#running.add(running);
    void running.catch(() => undefined).finally(() => this.#running.delete(running));
    return running;
  }

  /** Ends the waits (each answers with what it has: nothing new), lets the replies under way finish, and stops listening. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    for (const waiters of this.#waiting.values()) for (const waiter of waiters) waiter();
    await Promise.allSettled([...this.#running]);
  }

  async #poll(principal: Principal, since: string, timeoutSeconds: number, signal: AbortSignal | undefined): Promise<SyncReply> {
    const token = parseToken(since);
    const timeoutMs = Math.min(Math.max(0, timeoutSeconds), MAX_SYNC_TIMEOUT) * 1000;
    // Real time, not the injected clock: a test's clock stands still while a long-poll waits.
    const deadline = performance.now() + timeoutMs;
    let woken = false;
    let wake: (() => void) | null = null;
    const waiter = () => {
      woken = true;
      wake?.();
    };
    const accountId = principal.accountId;
    if (!this.#waiting.has(accountId)) this.#waiting.set(accountId, new Set());
    this.#waiting.get(accountId)!.add(waiter);
    signal?.addEventListener('abort', waiter);
    try {
      for (;;) {
        woken = false;
        const reply = await this.#step(principal, token);
        const left = deadline - performance.now();
        if (!isEmpty(reply) || left <= 0) return reply;
        if (!woken) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(left, this.#recheckMs));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
        }
        // Stopping, or nobody is listening any more: nothing new, the same token.
        if (this.#closed || signal?.aborted) return reply;
      }
    } finally {
      signal?.removeEventListener('abort', waiter);
      const set = this.#waiting.get(accountId)!;
      set.delete(waiter);
      if (set.size === 0) this.#waiting.delete(accountId);
    }
  }

  /** Syncs waiting now (long-polls with nothing new yet). */
  get waiting(): number {
    let n = 0;
    for (const waiters of this.#waiting.values()) n += waiters.size;
    return n;
  }

  #wake(delivery: ImDelivery): void {
    if (this.#waiting.size === 0 || IGNORED_EVENTS.has(delivery.event)) return;
    for (const accountId of delivery.to) {
      const waiters = this.#waiting.get(accountId);
      if (waiters) for (const waiter of waiters) waiter();
    }
  }

  /** The current state: every conversation as it stands (the newest 200 views now, the rest with `more`), and a new cursor. */
  async #start(principal: Principal): Promise<SyncReply> {
    const now = this.#now();
    if (now - this.#lastSweep > SWEEP_EVERY_MS) {
      this.#lastSweep = now;
      await this.#store.deleteExpired(now);
    }
    const [states, versions] = await Promise.all([this.#store.states(principal.accountId), this.#prefs.versions(principal.accountId)]);
    const ordered = newestFirst(states);
    const shown = ordered.slice(0, VIEWS_PER_REPLY);
    const snapshot: Snapshot = { c: {}, h: { at: now, keys: [] } };
    for (const state of ordered) snapshot.c[state.conversationId] = entryOf(state, state.lastRev, versions.get(state.conversationId) ?? 0);
    // Views not sent yet: "last rev seen" −1 makes the next reply send them.
    for (const state of ordered.slice(VIEWS_PER_REPLY)) snapshot.c[state.conversationId]![1] = -1;
    const id = `sy${crypto.randomBytes(18).toString('base64url')}`;
    await this.#store.createCursor<CursorState>({ id, accountId: principal.accountId, gen: 1, state: { current: { gen: 1, snapshot }, previous: null }, createdAt: now, expiresAt: now + SYNC_TOKEN_TTL_MS });
    const conversations = await this.#conversations.views(principal, shown.map((s) => s.conversationId));
    return { next: tokenOf(id, 1), full: true, messages: [], receipts: [], conversations: byOrder(conversations, shown), removed: [], hidden: [], more: ordered.length > shown.length };
  }

  /** One reply from the cursor: the difference between its snapshot and now; the cursor moves only when there is one. */
  async #step(principal: Principal, token: { id: string; gen: number }): Promise<SyncReply> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = this.#now();
      const cursor = await this.#store.getCursor<CursorState>(token.id);
      // Another account's token is treated as unknown: nothing tells it exists.
      if (!cursor || cursor.accountId !== principal.accountId) throw expired();
      if (cursor.expiresAt < now) {
        await this.#store.deleteCursor(cursor.id);
        throw expired();
      }
      const { current, previous } = cursor.state;
      const base = token.gen === current.gen ? current : previous && token.gen === previous.gen ? previous : null;
      if (!base) throw expired();
      const { reply, snapshot } = await this.#diff(principal, base.snapshot);
      if (isEmpty(reply)) {
        // Still in use: keep it (written at most once a day).
        if (cursor.expiresAt - now < SYNC_TOKEN_TTL_MS - 24 * 3600_000) await this.#store.touchCursor(cursor.id, now + SYNC_TOKEN_TTL_MS);
        return { ...reply, next: tokenOf(token.id, token.gen) };
      }
      const gen = cursor.gen + 1;
      const state: CursorState = { current: { gen, snapshot }, previous: base === current ? current : previous };
      if (await this.#store.advanceCursor(cursor.id, cursor.gen, state, now + SYNC_TOKEN_TTL_MS)) return { ...reply, next: tokenOf(token.id, gen) };
      // Another reply moved the cursor first (the same token twice at once): work it out again from there.
    }
    throw expired();
  }

  async #diff(principal: Principal, base: Snapshot): Promise<{ reply: SyncReply; snapshot: Snapshot }> {
    const me = principal.accountId;
    const [states, versions, hides] = await Promise.all([this.#store.states(me), this.#prefs.versions(me), this.#store.hidesSince(me, base.h.at)]);
    const snapshot: Snapshot = { c: {}, h: base.h };
    const messages: { conversationId: string; list: MessageView[] }[] = [];
    const receipts: SyncReply['receipts'] = [];
    const changed: ConversationState[] = [];
    let budget = MAX_SYNC_MESSAGES;
    let more = false;

    for (const state of newestFirst(states)) {
      const id = state.conversationId;
      const before = base.c[id];
      const version = versions.get(id) ?? 0;
      const now = entryOf(state, state.lastRev, version);
      const viewChanged = !before || before.slice(1).some((value, i) => value !== now[i + 1]);
      const hasMessages = state.lastRev > (before?.[0] ?? 0);
      // Past the budget a conversation waits whole for the next reply (its entry stays as it was).
      if ((viewChanged && changed.length >= VIEWS_PER_REPLY) || (hasMessages && budget === 0)) {
        more = true;
        if (before) snapshot.c[id] = before;
        continue;
      }
      let delivered = before?.[0] ?? 0;
      if (hasMessages) {
        const changes = await this.#conversations.changes(id, delivered, state.lastRev, budget);
        const cut = changes.length === budget && changes.at(-1)!.rev < state.lastRev;
        delivered = cut ? changes.at(-1)!.rev : state.lastRev;
        budget -= changes.length;
        if (cut) more = true;
        if (changes.length > 0) messages.push({ conversationId: id, list: changes.map((c) => c.message).sort((a, b) => a.seq - b.seq) });
      }
      if (before) {
        if (before[4] !== state.readSeq) receipts.push({ conversationId: id, userId: me, readSeq: state.readSeq });
        if (state.peerId && state.peerReadSeq !== null && before[5] !== state.peerReadSeq) receipts.push({ conversationId: id, userId: state.peerId, readSeq: state.peerReadSeq });
      }
      if (viewChanged) changed.push(state);
      snapshot.c[id] = [delivered, ...now.slice(1)] as Entry;
    }
    const mine = new Set(states.map((s) => s.conversationId));
    const removed = Object.keys(base.c).filter((id) => !mine.has(id));

    // Delete-for-me since the last reply, at most HIDES_PER_REPLY of them.
    const seen = new Set(base.h.keys);
    const fresh = hides.filter((h) => !(h.at === base.h.at && seen.has(hideKey(h))));
    const taken = fresh.slice(0, HIDES_PER_REPLY);
    if (fresh.length > taken.length) more = true;
    if (taken.length > 0) {
      const at = taken.at(-1)!.at;
      const atLast = taken.filter((h) => h.at === at).map(hideKey);
      snapshot.h = { at, keys: at === base.h.at ? [...base.h.keys, ...atLast] : atLast };
    }

    // Messages I deleted for myself are not mine to receive again.
    const hiddenForMe = await this.#store.hiddenAmong(me, messages.map((m) => m.conversationId));
    const views = changed.length > 0 ? await this.#conversations.views(principal, changed.map((s) => s.conversationId)) : [];
    return {
      snapshot,
      reply: {
        next: '',
        full: false,
        messages: messages.flatMap((m) => m.list.filter((message) => !hiddenForMe.has(`${message.conversationId}/${message.seq}`))),
        receipts,
        conversations: byOrder(views, changed),
        removed,
        hidden: groupHides(taken),
        more,
      },
    };
  }
}

function entryOf(state: ConversationState, rev: number, version: number): Entry {
  return [rev, state.lastRev, state.lastSeq, state.updatedAt, state.readSeq, state.peerReadSeq ?? -1, version];
}

/** Most recently active first; ties by id, so every reply walks them in one order. */
function newestFirst(states: ConversationState[]): ConversationState[] {
  return [...states].sort((a, b) => b.updatedAt - a.updatedAt || (a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0));
}

/** The views in the order of the states (decorators may reorder, e.g. pinned first: the sync keeps its newest-first). */
function byOrder(views: ConversationView[], order: ConversationState[]): ConversationView[] {
  const byId = new Map(views.map((v) => [v.id, v]));
  return order.flatMap((s) => byId.get(s.conversationId) ?? []);
}

function hideKey(h: HideEntry): string {
  return `${h.conversationId}/${h.seq}`;
}

function groupHides(hides: HideEntry[]): SyncReply['hidden'] {
  const by = new Map<string, number[]>();
  for (const h of hides) by.set(h.conversationId, [...(by.get(h.conversationId) ?? []), h.seq]);
  return [...by].map(([conversationId, seqs]) => ({ conversationId, seqs }));
}

function isEmpty(reply: SyncReply): boolean {
  return !reply.more && reply.messages.length + reply.receipts.length + reply.conversations.length + reply.removed.length + reply.hidden.length === 0;
}

function tokenOf(id: string, gen: number): string {
  return `${id}.${gen}`;
}

function parseToken(token: string): { id: string; gen: number } {
  const match = /^(sy[A-Za-z0-9_-]{16,40})\.([0-9]{1,12})$/.exec(token);
  if (!match) throw new ImError('BAD_REQUEST', 'not a sync token');
  return { id: match[1]!, gen: Number(match[2]) };
}

function expired(): ImError {
  return new ImError('SYNC_TOKEN_EXPIRED', 'this sync token has lapsed or was overtaken: sync again without `since` and start from the state it returns');
}
