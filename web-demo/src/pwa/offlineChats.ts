/**
 * The chats this device keeps for when it is offline: the last conversation
 * list and the last 50 messages of the 20 conversations opened most
 * recently, per signed-in person, in IndexedDB (`muster-offline`, store
 * `chats`, keyed by user id). Only what this device already showed; no
 * tokens. Sign-out deletes it (pwa/start.ts).
 *
 * The pure parts (what is kept, what is shown) are tested in
 * offlineChats.test.ts; `startOfflineChats` wires them to the Chats tab's
 * signals: while the browser is offline and the list has not loaded, the
 * Chats tab shows the kept list and, in an opened conversation, the kept
 * messages.
 */
import { effect, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import type { ChatMessage, ConversationState, ImClient, Timeline } from '@muster/im/client';

export const KEEP_MESSAGES = 50;
export const KEEP_TIMELINES = 20;

export interface OfflineChats {
  userId: string;
  savedAt: number;
  list: ConversationState[];
  /** Conversation id → its newest stored messages, oldest first. */
  timelines: Record<string, ChatMessage[]>;
  /** Conversation ids with a timeline kept, most recently saved first. */
  recent: string[];
}

export function emptySnapshot(userId: string): OfflineChats {
  return { userId, savedAt: 0, list: [], timelines: {}, recent: [] };
}

/** The list as kept: live-only state (typing, readers) left out. */
export function keptList(list: readonly ConversationState[]): ConversationState[] {
  return list.map(({ typingUntil: _typing, readers: _readers, ...rest }) => rest as ConversationState);
}

/** The messages kept of a timeline: stored ones only (no sends in flight), the newest KEEP_MESSAGES. */
export function keptMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.filter((m) => m.seq > 0 && m.state !== 'sending' && m.state !== 'failed').slice(-KEEP_MESSAGES);
}

/** The snapshot with one conversation's messages (re)placed first among the recent, the oldest beyond KEEP_TIMELINES dropped. */
export function withTimeline(snapshot: OfflineChats, conversationId: string, messages: readonly ChatMessage[], now: number): OfflineChats {
  const kept = keptMessages(messages);
  if (kept.length === 0) return snapshot;
  const recent = [conversationId, ...snapshot.recent.filter((id) => id !== conversationId)].slice(0, KEEP_TIMELINES);
  const timelines: Record<string, ChatMessage[]> = {};
  for (const id of recent) timelines[id] = id === conversationId ? kept : snapshot.timelines[id]!;
  return { ...snapshot, savedAt: now, timelines, recent };
}

export function withList(snapshot: OfflineChats, list: readonly ConversationState[], now: number): OfflineChats {
  return { ...snapshot, savedAt: now, list: keptList(list) };
}

/** A kept timeline as the conversation view reads one (nothing older to load while offline). */
export function cachedTimeline(messages: readonly ChatMessage[]): Timeline {
  return {
    messages: [...messages],
    oldestSeq: messages[0]?.seq ?? 1,
    newestSeq: messages.at(-1)?.seq ?? 0,
    hasOlder: false,
    loading: false,
  };
}

/** Whether a value read back from storage is a snapshot of this person. */
export function isSnapshot(value: unknown, userId: string): value is OfflineChats {
  const v = value as OfflineChats | null;
  return !!v && typeof v === 'object' && v.userId === userId && Array.isArray(v.list) && Array.isArray(v.recent) && !!v.timelines && typeof v.timelines === 'object';
}

// ----------------------------------------------------------------- IndexedDB

const DB = 'muster-offline';
const STORE = 'chats';

let db: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  db ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => {
      const opened = request.result;
      // Another tab deleting the database: let it.
      opened.onversionchange = () => {
        opened.close();
        db = null;
      };
      resolve(opened);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('IndexedDB blocked'));
  }).catch((error: unknown) => {
    db = null;
    throw error;
  });
  return db;
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const database = await open();
  return new Promise<T>((resolve, reject) => {
    const tx = database.transaction(STORE, mode);
    const request = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function readSnapshot(userId: string): Promise<OfflineChats | null> {
  if (typeof indexedDB === 'undefined') return null;
  try {
    const value = await run('readonly', (store) => store.get(userId));
    return isSnapshot(value, userId) ? value : null;
  } catch {
    return null;
  }
}

async function writeSnapshot(snapshot: OfflineChats): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  // Structured clone keeps plain data only: a round trip through JSON drops anything else a view might carry.
  await run('readwrite', (store) => store.put(JSON.parse(JSON.stringify(snapshot)) as OfflineChats, snapshot.userId)).catch(() => undefined);
}

/** Forgets every kept chat on this device (sign-out). */
export async function clearOfflineChats(): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  await run('readwrite', (store) => store.clear()).catch(() => undefined);
}

// ----------------------------------------------------------------- wiring

export interface OfflineChatsWiring {
  online: ReadonlySignal<boolean>;
  userId: ReadonlySignal<string | null>;
  client: ReadonlySignal<ImClient | null>;
  /** The Chats tab's signals (chats/state.ts). */
  chatList: Signal<readonly ConversationState[]>;
  chatsLoaded: Signal<boolean>;
  activeConversation: Signal<string | null>;
  timelineOf: (id: string) => Signal<Timeline>;
  /** Snapshot saves wait this long for a burst of changes to end (default 500 ms). */
  saveDelayMs?: number;
  /** Where snapshots live (IndexedDB by default). */
  storage?: { read(userId: string): Promise<OfflineChats | null>; write(snapshot: OfflineChats): Promise<void> };
}

/**
 * Keeps the snapshot up to date while online (the list once loaded, each
 * timeline as it changes) and shows it while offline. Returns a stop.
 */
export function startOfflineChats(w: OfflineChatsWiring): () => void {
  const storage = w.storage ?? { read: readSnapshot, write: writeSnapshot };
  let snapshot: OfflineChats | null = null;
  const kept = signal<OfflineChats | null>(null);
  const dirty = new Set<string>();
  let listDirty = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stops: (() => void)[] = [];

  const flush = () => {
    timer = undefined;
    const client = w.client.peek();
    const userId = w.userId.peek();
    if (!client || !userId || !snapshot || snapshot.userId !== userId) return;
    const store = client.conversations;
    let next = snapshot;
    const now = Date.now();
    if (listDirty && store.loaded) next = withList(next, store.list, now);
    listDirty = false;
    for (const id of dirty) next = withTimeline(next, id, store.timeline(id).messages, now);
    dirty.clear();
    if (next === snapshot) return;
    snapshot = next;
    kept.value = next;
    void storage.write(next);
  };
  const schedule = () => {
    timer ??= setTimeout(flush, w.saveDelayMs ?? 500);
  };

  // The person's snapshot, read once per sign-in.
  stops.push(
    effect(() => {
      const userId = w.userId.value;
      snapshot = null;
      kept.value = null;
      if (!userId) return;
      void storage.read(userId).then((read) => {
        if (w.userId.peek() !== userId) return;
        snapshot = read ?? emptySnapshot(userId);
        kept.value = read;
        if (listDirty || dirty.size > 0) schedule();
      });
    }),
  );

  // Saving: what the IM client's store says, never what is shown from the snapshot.
  stops.push(
    effect(() => {
      const client = w.client.value;
      if (!client) return;
      const store = client.conversations;
      const offs = [
        store.on('list', () => {
          listDirty = true;
          schedule();
        }),
        store.on('timeline', (id) => {
          if (store.timeline(id).messages.length === 0) return;
          dirty.add(id);
          schedule();
        }),
      ];
      if (store.loaded) {
        listDirty = true;
        schedule();
      }
      return () => {
        for (const off of offs) off();
      };
    }),
  );

  // Showing, while offline: the list until the real one loads, and the open conversation's messages.
  stops.push(
    effect(() => {
      const snap = kept.value;
      if (w.online.value || !snap || w.chatsLoaded.value) return;
      if (w.chatList.value.length === 0 && snap.list.length > 0) w.chatList.value = snap.list;
    }),
    effect(() => {
      const snap = kept.value;
      const id = w.activeConversation.value;
      if (w.online.value || !snap || !id) return;
      const messages = snap.timelines[id];
      if (!messages?.length) return;
      const shown = w.timelineOf(id);
      if (shown.value.messages.length === 0) shown.value = cachedTimeline(messages);
    }),
  );

  return () => {
    clearTimeout(timer);
    for (const stop of stops) stop();
  };
}
