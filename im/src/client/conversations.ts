import { Emitter } from '@muster/kit/emitter';
import type { ConversationView, FileView, MediaType, MessageView } from '../protocol.ts';
import { ImClientError, type ImTransport } from './transport.ts';

/**
 * Where one of my own messages is: `sending` (shown at once, before the
 * server answers), `sent` (stored, with its seq), `read` (the other person
 * of a direct conversation has read up to it), `failed` (refused or not
 * answered: retry sends it again under the same client id, which the
 * server answers with the first message if it got there after all).
 */
export type MessageState = 'sending' | 'sent' | 'read' | 'failed';

/** A message as the client shows it: the server's view, plus what only this device knows. */
export interface ChatMessage extends MessageView {
  /** Stable while the message lives here: `local:<clientMsgId>` until the server names it, then still that (a UI key must not change). */
  key: string;
  /** Mine only. */
  state?: MessageState;
  /** Why it failed (`failed` only). */
  error?: { code: string; message: string };
  /** Whether it is mine. */
  mine: boolean;
  /**
   * My media message while its file uploads (and after, on this device):
   * a local preview (an object URL of the picked image) and the id of the
   * upload (the files client's Uploader) whose progress the bubble shows.
   */
  local?: LocalMedia;
}

/** What only the sending device knows of a media message. */
export interface LocalMedia {
  /** An object URL of the picked image (or a video's poster), shown until the server's thumbnail loads. */
  previewUrl?: string;
  /** The upload carrying the file (Uploader.get(uploadId)). */
  uploadId?: string;
}

/** A media message to send: the file's id, or the upload that will name it. */
export interface MediaSend {
  type: MediaType;
  /**
   * The finished upload's file id, or a promise of it (an upload still
   * running: the message shows at once, `sending`, and goes when it
   * resolves; a rejection with code CANCELLED drops it, any other fails it).
   */
  fileId: string | Promise<string>;
  replyTo?: string | null;
  /** What is known of the file before the server says (name, size, type, dimensions, duration, waveform). */
  file?: Partial<Omit<FileView, 'id'>>;
  local?: LocalMedia;
}

/** A voice message's limit; the server refuses longer ones (VOICE_TOO_LONG). protocol.ts's MAX_VOICE_MS, without zod. */
export const MAX_VOICE_MS = 60_000;

const KIND_OF: Record<MediaType, FileView['kind']> = { image: 'image', video: 'video', voice: 'audio', file: 'other' };

/** A conversation as the client shows it: the server's view, plus live state. */
export interface ConversationState extends ConversationView {
  /** Someone is typing, until this time (ms); the list and the header show it. */
  typingUntil?: number;
  /** Groups: how far each member has read, as far as this device has heard (live `im.read`). */
  readers?: Record<string, number>;
}

/** One conversation's loaded history, in seq order. */
export interface Timeline {
  /** Stored messages in seq order, then my pending and failed sends in the order they were written. */
  messages: ChatMessage[];
  /** The lowest seq covered (everything from here to `newestSeq` is loaded); 1 or less: the start is reached. */
  oldestSeq: number;
  /** The highest seq covered. */
  newestSeq: number;
  /** Whether older messages remain on the server. */
  hasOlder: boolean;
  /** A page is being fetched. */
  loading: boolean;
}

export type ConversationEvents = {
  /** The conversation list changed (order, unread, last message, typing, settings). */
  list: [];
  /** A conversation's timeline changed. */
  timeline: [conversationId: string];
  /** A new message from someone else arrived live (for toasts and notifications); not for catch-up. */
  incoming: [message: ChatMessage, conversation: ConversationState];
  /** A send failed (the message is marked `failed`). */
  sendFailed: [message: ChatMessage, error: ImClientError];
  /** Catch-up after a (re)connection finished. */
  synced: [];
};

export interface SendOptions {
  type?: 'text' | 'emoji';
  replyTo?: string | null;
  mentions?: string[];
  mentionAll?: boolean;
}

export interface ConversationStoreOptions {
  /** The signed-in person's id (their messages are "mine"); a function when it can change. */
  me: string | (() => string | null);
  /** Messages fetched per page (default 50, at most 200). */
  pageSize?: number;
  /** A client message id (default: 20 random characters). */
  newClientMsgId?: () => string;
  now?: () => number;
  /** How long a typing indicator lasts without a new one (default 6 s). */
  typingMs?: number;
}

const PAGE = 50;
/** A text's limit in bytes of UTF-8, as the server counts it (protocol.ts says the same; this file imports no zod). */
export const MAX_TEXT_BYTES = 2048;
/** Catch-up pages are large: the device was away. */
const CATCH_UP_PAGE = 200;

function randomId(): string {
  const bytes = new Uint8Array(15);
  globalThis.crypto.getRandomValues(bytes);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = '';
  for (const b of bytes) out += alphabet[b & 63];
  return `c${out}`;
}

/** Sorted as the list shows them: pinned first, then the most recently active. */
export function compareConversations(a: ConversationView, b: ConversationView): number {
  if (!!a.pinned !== !!b.pinned) return a.pinned ? -1 : 1;
  return b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1);
}

interface TimelineData {
  /** By seq. */
  stored: Map<number, ChatMessage>;
  /** My sends the server has not stored yet (or refused), in order. */
  pending: ChatMessage[];
  oldestSeq: number;
  newestSeq: number;
  loaded: boolean;
  loading: number;
  view: Timeline | null;
}

/**
 * The conversations of one signed-in person, framework-free (browser and
 * Node alike): the list with unread counts, each conversation's history in
 * seq order, sending with optimistic local messages, live events applied,
 * and catch-up by seq ranges after every (re)connection.
 *
 * Views (`list`, `timeline(id)`) are immutable snapshots, rebuilt when their
 * event fires, so a UI can compare them by identity.
 */
export class ConversationStore extends Emitter<ConversationEvents> {
  readonly #t: ImTransport;
  readonly #me: () => string | null;
  readonly #page: number;
  readonly #newId: () => string;
  readonly #now: () => number;
  readonly #typingMs: number;
  readonly #conversations = new Map<string, ConversationState>();
  readonly #timelines = new Map<string, TimelineData>();
  readonly #offs: (() => void)[] = [];
  readonly #typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #list: ConversationState[] | null = null;
  #listLoaded = false;
  #catchingUp: Promise<void> | null = null;
  #catchUpAgain = false;
  /** Where the server has `GET /sync`: the `next` of its last reply. */
  #syncToken: string | null = null;
  #syncable = true;

  constructor(transport: ImTransport, options: ConversationStoreOptions) {
    super();
    this.#t = transport;
    const me = options.me;
    this.#me = typeof me === 'function' ? me : () => me;
    this.#page = Math.min(200, options.pageSize ?? PAGE);
    this.#newId = options.newClientMsgId ?? randomId;
    this.#now = options.now ?? Date.now;
    this.#typingMs = options.typingMs ?? 6_000;
  }

  /** Listens to live events and catches up at every (re)connection. Idempotent. */
  start(): void {
    if (this.#offs.length) return;
    const t = this.#t;
    this.#offs.push(
      t.on('im.message', (m) => this.#onMessage(m, true)),
      t.on('im.read', (r) => this.#onRead(r)),
      t.on('im.changed', (m) => this.#onChanged(m)),
      t.on('im.hidden', (h) => this.#onHidden(h.conversationId, h.seqs)),
      t.on('im.typing', (e) => this.#onTyping(e.conversationId, e.userId)),
      // A group made, joined, renamed, left or dissolved: the list says so.
      (t.on as (event: string, listener: (payload: unknown) => void) => () => void)('im.group', () => this.#refreshSoon()),
      // Per-person settings (pinned, muted, draft…) from another device: its new view.
      (t.on as (event: string, listener: (payload: unknown) => void) => () => void)('im.conversation', (v) => this.#onConversation(v as ConversationSettingsEvent)),
      t.onConnected(() => void this.catchUp().catch(() => undefined)),
    );
  }

  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** One list refresh for a burst of changes. */
  #refreshSoon(): void {
    if (this.#refreshTimer !== undefined) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      void this.refresh().catch(() => undefined);
    }, 50);
  }

  /** Stops listening; the data stays readable. */
  stop(): void {
    for (const off of this.#offs.splice(0)) off();
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    for (const timer of this.#typingTimers.values()) clearTimeout(timer);
    this.#typingTimers.clear();
  }

  // ---------------------------------------------------------------- reading

  /** Every conversation, pinned first, then the most recently active. Hidden ones are left out. */
  get list(): readonly ConversationState[] {
    this.#list ??= [...this.#conversations.values()].filter((c) => !c.hidden).sort(compareConversations);
    return this.#list;
  }

  /** Whether the list has been fetched once. */
  get loaded(): boolean {
    return this.#listLoaded;
  }

  /** Unread messages in conversations that are not muted (the badge and the title count). */
  get totalUnread(): number {
    let n = 0;
    for (const c of this.#conversations.values()) if (!c.muted) n += unreadOf(c);
    return n;
  }

  conversation(id: string): ConversationState | undefined {
    return this.#conversations.get(id);
  }

  /** The loaded history of a conversation (empty until `open`). */
  timeline(id: string): Timeline {
    const data = this.#timelines.get(id);
    if (!data) return { messages: [], oldestSeq: 1, newestSeq: 0, hasOlder: false, loading: false };
    data.view ??= {
      messages: [...[...data.stored.values()].sort((a, b) => a.seq - b.seq), ...data.pending.filter((p) => !(p.seq > 0 && data.stored.has(p.seq)))],
      oldestSeq: data.oldestSeq,
      newestSeq: data.newestSeq,
      hasOlder: data.loaded && data.oldestSeq > 1,
      loading: data.loading > 0,
    };
    return data.view;
  }

  /** Whether someone is typing in this conversation now. */
  isTyping(id: string): boolean {
    const until = this.#conversations.get(id)?.typingUntil;
    return until !== undefined && until > this.#now();
  }

  /**
   * The state of one of my messages: `read` once the other person of a
   * direct conversation read up to it (or, in a group, anyone did).
   */
  readCount(conversationId: string, seq: number): number {
    const c = this.#conversations.get(conversationId);
    if (!c || seq <= 0) return 0;
    if (c.kind === 'direct') return (c.peerReadSeq ?? 0) >= seq ? 1 : 0;
    const me = this.#me();
    return Object.entries(c.readers ?? {}).filter(([user, readSeq]) => user !== me && readSeq >= seq).length;
  }

  // ---------------------------------------------------------------- loading

  /**
   * Fetches the conversation list. Where the server has `GET /sync`, its
   * first reply (the whole list) also gives the token later catch-ups sync
   * from; else `GET /conversations` (at most 200, most recent first).
   */
  async refresh(): Promise<readonly ConversationState[]> {
    let views: ConversationView[] | null = null;
    if (this.#syncable) {
      try {
        const reply = await this.#t.request<SyncReply>('GET', '/sync');
        views = reply.conversations;
        this.#syncToken = reply.next;
      } catch (error) {
        // A server without the sync route: seq ranges alone, from now on.
        if (error instanceof ImClientError && (error.code === 'NOT_FOUND' || error.status === 404)) this.#syncable = false;
        else throw error;
      }
    }
    views ??= await this.#t.request<ConversationView[]>('GET', '/conversations');
    const seen = new Set<string>();
    for (const view of views) {
      seen.add(view.id);
      this.#merge(view);
    }
    // Listed once and not any more: dissolved, left, or hidden elsewhere; keep those with a timeline open.
    for (const id of [...this.#conversations.keys()]) if (!seen.has(id) && !this.#timelines.has(id)) this.#conversations.delete(id);
    this.#listLoaded = true;
    this.#listChanged();
    return this.list;
  }

  /** Opens (or finds) the direct conversation with a contact. */
  async openDirect(userId: string): Promise<ConversationState> {
    const view = await this.#t.request<ConversationView>('POST', '/conversations', { userId });
    this.#merge(view);
    this.#listChanged();
    return this.#conversations.get(view.id)!;
  }

  /**
   * Loads a conversation's newest page (once; later calls catch up from the
   * newest loaded seq instead). The list entry is fetched too if unknown.
   */
  async open(id: string): Promise<Timeline> {
    if (!this.#conversations.has(id) && !this.#listLoaded) await this.refresh().catch(() => undefined);
    const data = this.#data(id);
    if (!data.loaded) {
      await this.#loading(id, async () => {
        const page = await this.#fetch(id, { limit: this.#page });
        if (data.loaded) return;
        data.loaded = true;
        const newest = page.at(-1)?.seq ?? 0;
        const last = Math.max(newest, this.#conversations.get(id)?.lastSeq ?? 0);
        data.newestSeq = Math.max(data.newestSeq, last);
        data.oldestSeq = page.length < this.#page ? 1 : page[0]!.seq;
        for (const m of page) this.#store(data, m);
        // Live messages that came in while this page was on its way may leave a hole behind them.
        if (newest < data.newestSeq) await this.#fill(id, newest);
      });
    } else {
      await this.#fill(id, data.newestSeq);
    }
    if (this.#conversations.get(id)?.kind === 'group') void this.#seedReaders(id).catch(() => undefined);
    return this.timeline(id);
  }

  /**
   * A group's read pointers are known live only; on opening, who has read
   * my newest message there gives a floor for each reader (for "read by N").
   */
  async #seedReaders(id: string): Promise<void> {
    const data = this.#timelines.get(id);
    const newest = data ? [...data.stored.values()].filter((m) => m.mine && m.id && m.type !== 'system' && !m.recalled).sort((a, b) => b.seq - a.seq)[0] : undefined;
    if (!newest) return;
    const { readBy } = await this.readers(id, newest.id);
    const c = this.#conversations.get(id);
    if (!c || readBy.length === 0) return;
    const readers = { ...c.readers };
    for (const user of readBy) readers[user] = Math.max(readers[user] ?? 0, newest.seq);
    this.#conversations.set(id, { ...c, readers });
    this.#restate(id);
    this.#timelineChanged(id);
  }

  /** Loads the page before the oldest loaded message; false when the start is reached. */
  async loadOlder(id: string): Promise<boolean> {
    const data = this.#data(id);
    if (!data.loaded) {
      await this.open(id);
      return this.timeline(id).hasOlder;
    }
    if (data.oldestSeq <= 1) return false;
    await this.#loading(id, async () => {
      const before = data.oldestSeq;
      const page = await this.#fetch(id, { beforeSeq: before, limit: this.#page });
      if (data.oldestSeq !== before) return;
      for (const m of page) this.#store(data, m);
      data.oldestSeq = page.length < this.#page ? 1 : page[0]!.seq;
    });
    return data.oldestSeq > 1;
  }

  /**
   * After a (re)connection: with a sync token, everything since it from
   * `GET /sync` (new, edited and recalled messages, read pointers, settings,
   * hides), page by page; without one (or if the server no longer takes it),
   * the list again. Then every opened conversation whose last seq is still
   * ahead of what it holds, newest first, by seq ranges. Runs once at a
   * time; a call while one runs runs again after it.
   */
  catchUp(): Promise<void> {
    if (this.#catchingUp) {
      this.#catchUpAgain = true;
      return this.#catchingUp;
    }
    this.#catchingUp = (async () => {
      do {
        this.#catchUpAgain = false;
        if (!(await this.#syncSince().catch(() => false))) await this.refresh();
        const stale = [...this.#timelines.entries()]
          .filter(([id, d]) => d.loaded && (this.#conversations.get(id)?.lastSeq ?? 0) > d.newestSeq)
          .map(([id]) => this.#conversations.get(id)!)
          .sort((a, b) => b.updatedAt - a.updatedAt);
        for (const c of stale) await this.#fill(c.id, this.#timelines.get(c.id)!.newestSeq);
        // Sends that failed for want of a connection go again.
        for (const [id, d] of this.#timelines) for (const p of d.pending) if (p.state === 'failed' && isTransient(p.error?.code)) void this.retry(id, p.key);
      } while (this.#catchUpAgain);
    })().finally(() => {
      this.#catchingUp = null;
    });
    return this.#catchingUp.then(() => this.emit('synced'));
  }

  /** Applies `GET /sync?since=` until nothing more; false without a token, or when the server refused it. */
  async #syncSince(): Promise<boolean> {
    for (let page = 0; page < 100; page++) {
      const token = this.#syncToken;
      if (!this.#syncable || !token) return false;
      const reply: SyncReply = await this.#t.request<SyncReply>('GET', `/sync?since=${encodeURIComponent(token)}&timeout=0`);
      for (const view of reply.conversations) this.#merge(view);
      for (const id of reply.removed ?? []) {
        this.#conversations.delete(id);
        this.#timelines.delete(id);
      }
      for (const m of reply.messages) {
        const data = this.#timelines.get(m.conversationId);
        if (data?.stored.has(m.seq)) this.#onChanged(m);
        else this.#onMessage(m, false);
      }
      for (const r of reply.receipts ?? []) this.#onRead(r);
      for (const h of reply.hidden ?? []) this.#onHidden(h.conversationId, h.seqs);
      this.#syncToken = reply.next;
      if (!reply.more) break;
    }
    this.#listLoaded = true;
    this.#listChanged();
    return true;
  }

  // ---------------------------------------------------------------- sending

  /**
   * Sends a text: the message is in the timeline at once (`sending`), then
   * `sent` with its seq, or `failed` (see retry). Returns the local message.
   */
  send(conversationId: string, text: string, options: SendOptions = {}): ChatMessage {
    const message = this.#outgoing(conversationId, {
      type: options.type ?? 'text',
      text,
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      ...(options.mentions?.length ? { mentions: options.mentions } : {}),
      ...(options.mentionAll ? { mentionAll: true } : {}),
    });
    this.#showPending(conversationId, message);
    void this.#deliver(message);
    return message;
  }

  /** Sends a failed message again, under the same client id (the server keeps one copy). */
  async retry(conversationId: string, key: string): Promise<void> {
    const data = this.#timelines.get(conversationId);
    const index = data?.pending.findIndex((p) => p.key === key) ?? -1;
    if (!data || index < 0) return;
    const old = data.pending[index]!;
    if (old.state !== 'failed') return;
    // A media message whose upload never finished: the upload goes on first (its promise sends it).
    if (isMedia(old.type) && !old.file?.id) return;
    const { error: _error, ...rest } = old;
    const message: ChatMessage = { ...rest, state: 'sending' };
    data.pending[index] = message;
    this.#timelineChanged(conversationId);
    await this.#deliver(message);
  }

  /** Drops a failed message from this device. */
  discard(conversationId: string, key: string): void {
    const data = this.#timelines.get(conversationId);
    if (!data) return;
    const before = data.pending.length;
    data.pending = data.pending.filter((p) => !(p.key === key && p.state === 'failed'));
    if (data.pending.length !== before) this.#timelineChanged(conversationId);
  }

  /**
   * Sends a photo, video, voice message or file: the message is in the
   * timeline at once (`sending`, with `local` for its preview and upload),
   * and goes to the server (`{ clientMsgId, type, fileId }`, the same
   * acknowledgement and echo matching as a text) once the file id is known.
   * Returns the local message.
   */
  sendMedia(conversationId: string, media: MediaSend): ChatMessage {
    const clientMsgId = this.#newId();
    const known = media.file ?? {};
    const file: FileView = {
      id: typeof media.fileId === 'string' ? media.fileId : '',
      name: known.name ?? '',
      size: known.size ?? 0,
      mime: known.mime ?? '',
      kind: known.kind ?? KIND_OF[media.type],
      thumbnail: false,
      ...(known.width !== undefined ? { width: known.width } : {}),
      ...(known.height !== undefined ? { height: known.height } : {}),
      ...(known.durationMs !== undefined ? { durationMs: known.durationMs } : {}),
      ...(known.waveform ? { waveform: known.waveform } : {}),
    };
    const message = this.#outgoing(conversationId, {
      type: media.type,
      file,
      ...(media.replyTo ? { replyTo: media.replyTo } : {}),
      ...(media.local ? { local: media.local } : {}),
    }, clientMsgId);
    this.#showPending(conversationId, message);
    if (typeof media.fileId === 'string') {
      void this.#deliver(message);
    } else {
      media.fileId.then(
        (fileId) => {
          const current = this.#pendingByKey(conversationId, message.key);
          if (!current) return;
          this.#replacePending(current, { file: { ...current.file!, id: fileId } });
          void this.#deliver(this.#pendingByKey(conversationId, message.key)!);
        },
        (error: { code?: string; message?: string }) => {
          const current = this.#pendingByKey(conversationId, message.key);
          if (!current) return;
          if (error?.code === 'CANCELLED') {
            this.#dropPending(conversationId, message.key);
            return;
          }
          const e = new ImClientError(error?.code ?? 'UPLOAD_FAILED', error?.message ?? 'the upload failed');
          this.#replacePending(current, { state: 'failed', error: { code: e.code, message: e.message } });
          this.emit('sendFailed', this.#pendingByKey(conversationId, message.key) ?? current, e);
        },
      );
    }
    return message;
  }

  /** Drops one of my messages that has not reached the server (an upload cancelled, a failed send): gone from this device. */
  cancelPending(conversationId: string, key: string): void {
    const p = this.#pendingByKey(conversationId, key);
    if (p && (p.state === 'failed' || !p.id)) this.#dropPending(conversationId, key);
  }

  #dropPending(conversationId: string, key: string): void {
    const data = this.#timelines.get(conversationId);
    if (!data) return;
    const before = data.pending.length;
    data.pending = data.pending.filter((p) => p.key !== key);
    if (data.pending.length === before) return;
    this.#timelineChanged(conversationId);
    // The list showed it as the last message: the newest stored one again.
    const c = this.#conversations.get(conversationId);
    if (c?.lastMessage && 'key' in c.lastMessage && (c.lastMessage as ChatMessage).key === key) {
      const newest = [...data.stored.values()].sort((a, b) => b.seq - a.seq)[0];
      this.#conversations.set(conversationId, { ...c, lastMessage: newest ?? undefined } as ConversationState);
      this.#listChanged();
    }
  }

  /** A message of mine not yet stored: a local key and client id, no seq, `sending`. */
  #outgoing(conversationId: string, content: Pick<ChatMessage, 'type'> & Partial<ChatMessage>, clientMsgId = this.#newId()): ChatMessage {
    return { key: `local:${clientMsgId}`, id: '', clientMsgId, conversationId, seq: 0, senderId: this.#me() ?? '', ...content, sentAt: this.#now(), state: 'sending', mine: true };
  }

  /** A message being sent, shown at once: in its timeline as pending, and as its conversation's last message. */
  #showPending(conversationId: string, message: ChatMessage): void {
    this.#data(conversationId).pending.push(message);
    this.#timelineChanged(conversationId);
    const c = this.#conversations.get(conversationId);
    if (c) {
      this.#conversations.set(conversationId, { ...c, lastMessage: message, updatedAt: message.sentAt, hidden: false });
      this.#listChanged();
    }
  }

  async #deliver(message: ChatMessage): Promise<void> {
    const media = isMedia(message.type);
    if (media && !message.file?.id) return;
    const body = media
      ? { clientMsgId: message.clientMsgId!, type: message.type, fileId: message.file!.id, ...(message.replyTo ? { replyTo: message.replyTo } : {}) }
      : {
          clientMsgId: message.clientMsgId!,
          type: message.type,
          text: message.text!,
          ...(message.replyTo ? { replyTo: message.replyTo } : {}),
          ...(message.mentions?.length ? { mentions: message.mentions } : {}),
          ...(message.mentionAll ? { mentionAll: true } : {}),
        };
    let sent: { id: string; seq: number; sentAt: number; file?: FileView };
    try {
      try {
        sent = await this.#t.emit('im.send', { conversationId: message.conversationId, ...body });
      } catch (error) {
        // No socket (or no answer): the same send over REST, which the server keeps once.
        if (!(error instanceof ImClientError) || !isTransient(error.code)) throw error;
        sent = await this.#t.request('POST', `/conversations/${encodeURIComponent(message.conversationId)}/messages`, body);
      }
    } catch (error) {
      // Its live echo came first (so it is stored) and the answer was then lost: it has not failed.
      if (!this.#pendingByKey(message.conversationId, message.key)) return;
      const e = error instanceof ImClientError ? error : new ImClientError('NETWORK', String((error as Error)?.message ?? error));
      this.#replacePending(message, { state: 'failed', error: { code: e.code, message: e.message } });
      this.emit('sendFailed', this.#pendingByKey(message.conversationId, message.key) ?? message, e);
      return;
    }
    this.#confirm(message, sent);
  }

  /** The server stored a pending message: it becomes a stored one, under the same key. */
  #confirm(pending: ChatMessage, sent: { id: string; seq: number; sentAt: number; file?: FileView }): void {
    const id = pending.conversationId;
    const data = this.#data(id);
    const current = this.#pendingByKey(id, pending.key) ?? pending;
    data.pending = data.pending.filter((p) => p.key !== pending.key);
    const live = data.stored.get(sent.seq);
    const { error: _e, ...rest } = current;
    const stored: ChatMessage = {
      ...rest,
      ...(sent.file && !live ? { file: sent.file } : {}),
      ...(live ?? {}),
      key: pending.key,
      id: sent.id,
      seq: sent.seq,
      sentAt: sent.sentAt,
      mine: true,
      clientMsgId: pending.clientMsgId!,
      state: 'sent',
    };
    this.#store(data, stored, { keepKey: true });
    this.#bump(id, stored, false);
    this.#timelineChanged(id);
  }

  #replacePending(message: ChatMessage, change: Partial<ChatMessage>): void {
    const data = this.#timelines.get(message.conversationId);
    if (!data) return;
    data.pending = data.pending.map((p) => (p.key === message.key ? { ...p, ...change } : p));
    this.#timelineChanged(message.conversationId);
  }

  #pendingByKey(conversationId: string, key: string): ChatMessage | undefined {
    return this.#timelines.get(conversationId)?.pending.find((p) => p.key === key);
  }

  // ---------------------------------------------------------------- read, recall, edit, hide, typing

  /** Moves my read pointer to `seq` (default: the newest), optimistically. */
  async markRead(conversationId: string, seq?: number): Promise<void> {
    const c = this.#conversations.get(conversationId);
    const target = seq ?? Math.max(c?.lastSeq ?? 0, this.#timelines.get(conversationId)?.newestSeq ?? 0);
    if (!c || (target <= c.readSeq && !c.markedUnread)) return;
    this.#setRead(conversationId, target);
    try {
      await this.#t.emit('im.read', { conversationId, seq: target });
    } catch (error) {
      if (!(error instanceof ImClientError) || !isTransient(error.code)) throw error;
      await this.#t.request('POST', `/conversations/${encodeURIComponent(conversationId)}/read`, { seq: target });
    }
  }

  /** Recalls a message (mine within the window, or any in a group I run). */
  async recall(conversationId: string, messageId: string): Promise<void> {
    const view = await this.#socketOrRest<MessageView | undefined>('im.recall', { conversationId, messageId }, 'POST', `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/recall`);
    if (view && typeof view === 'object' && 'seq' in view) this.#onChanged(view);
  }

  /** Edits my text message (shown "edited"). */
  async edit(conversationId: string, messageId: string, text: string): Promise<void> {
    const view = await this.#socketOrRest<MessageView | undefined>('im.edit', { conversationId, messageId, text }, 'PATCH', `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}`, { text });
    if (view && typeof view === 'object' && 'seq' in view) this.#onChanged(view);
  }

  /** Delete for me: hidden on all of my devices, at once on this one. */
  async hide(conversationId: string, messageIds: string[]): Promise<void> {
    const data = this.#timelines.get(conversationId);
    const seqs = data ? [...data.stored.values()].filter((m) => messageIds.includes(m.id)).map((m) => m.seq) : [];
    this.#onHidden(conversationId, seqs);
    try {
      await this.#t.emit('im.hide', { conversationId, messageIds });
    } catch (error) {
      if (!(error instanceof ImClientError) || !isTransient(error.code)) throw error;
      for (const messageId of messageIds) await this.#t.request('DELETE', `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}`);
    }
  }

  /** Tells the other person I am typing (at most once every 3 s; failures are ignored). */
  typing(conversationId: string): void {
    const last = this.#typingSent.get(conversationId) ?? 0;
    if (this.#now() - last < 3_000) return;
    this.#typingSent.set(conversationId, this.#now());
    void this.#socketOrRest('im.typing', { conversationId }, 'POST', `/conversations/${encodeURIComponent(conversationId)}/typing`, {}).catch(() => undefined);
  }
  readonly #typingSent = new Map<string, number>();

  /**
   * Forwards messages of one conversation to others (at most 9): one by one,
   * or merged into one chat-history message. Per target, what was stored or
   * why that conversation refused.
   */
  forward(input: { from: string; messageIds: string[]; to: string[]; mode: 'single' | 'merged'; title?: string }): Promise<{ results: { conversationId: string; sent?: { id: string; seq: number; sentAt: number }[]; error?: { code: string; message: string } }[] }> {
    const body = { clientMsgId: this.#newId(), ...input };
    return this.#socketOrRest('im.forward', body, 'POST', '/messages/forward', body);
  }

  /**
   * My settings of a conversation, the same on all of my devices: pinned
   * (listed first), muted (no notifications, a grey badge), hidden (out of
   * the list until a message comes), marked unread. Shown at once; put back
   * if the server refuses.
   */
  async setSettings(conversationId: string, change: { pinned?: boolean; muted?: boolean; hidden?: boolean; markedUnread?: boolean }): Promise<void> {
    const before = this.#conversations.get(conversationId);
    if (!before) return;
    this.#conversations.set(conversationId, { ...before, ...change });
    this.#listChanged();
    try {
      const settings = await this.#t.request<ConversationSettingsEvent['settings']>('PATCH', `/conversations/${encodeURIComponent(conversationId)}/settings`, change);
      if (settings) this.#onConversation({ conversationId, settings });
    } catch (error) {
      const now = this.#conversations.get(conversationId);
      if (now) this.#conversations.set(conversationId, { ...now, ...pick(before, Object.keys(change) as (keyof typeof change)[]) });
      this.#listChanged();
      throw error;
    }
  }

  /** Keeps my unsent text of a conversation on the server (all of my devices see it); empty clears it. */
  async saveDraft(conversationId: string, text: string): Promise<void> {
    const c = this.#conversations.get(conversationId);
    if (c && (c.draft ?? '') !== text) {
      const { draft: _d, ...rest } = c;
      this.#conversations.set(conversationId, text ? { ...rest, draft: text } : rest);
      this.#listChanged();
    }
    await this.#t.request('PUT', `/conversations/${encodeURIComponent(conversationId)}/draft`, { text });
  }

  /** Who has read one of my group messages, and who not. */
  readers(conversationId: string, messageId: string): Promise<{ readBy: string[]; unreadBy: string[] }> {
    return this.#socketOrRest('im.readers', { conversationId, messageId }, 'GET', `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/readers`);
  }

  async #socketOrRest<T>(event: string, payload: unknown, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    try {
      return await this.#t.emit<T>(event, payload);
    } catch (error) {
      if (!(error instanceof ImClientError) || !isTransient(error.code)) throw error;
      return this.#t.request<T>(method, path, body);
    }
  }

  // ---------------------------------------------------------------- live events

  #onMessage(view: MessageView, live: boolean): void {
    const id = view.conversationId;
    const me = this.#me();
    const mine = view.senderId === me;
    const data = this.#timelines.get(id);
    const before = this.#conversations.get(id);
    // Seen already (a catch-up page fetched it first): applied again, announced once.
    const seen = (before !== undefined && view.seq <= before.lastSeq) || data?.stored.has(view.seq) === true;
    let message: ChatMessage = { ...view, key: view.id, mine, ...(mine ? { state: 'sent' as const } : {}) };
    if (data) {
      const existing = data.stored.get(view.seq);
      if (existing) {
        message = { ...existing, ...view, key: existing.key };
      } else if (mine) {
        // My own send, live before its acknowledgement: take over the pending message's key, so nothing flickers.
        // By its client id: the same words sent twice, or from another of my devices, must not take over the wrong one.
        // (A failed one too: it was stored after all.) Only a view without the id falls back to the first sending one with its words.
        const pending =
          view.clientMsgId !== undefined
            ? data.pending.find((p) => p.clientMsgId === view.clientMsgId)
            : data.pending.find((p) => p.state === 'sending' && p.text === view.text && p.type === view.type);
        if (pending) {
          data.pending = data.pending.filter((p) => p !== pending);
          message = { ...message, key: pending.key, clientMsgId: pending.clientMsgId!, ...(pending.local ? { local: pending.local } : {}) };
        }
      }
      const gap = data.loaded && view.seq > data.newestSeq + 1;
      const from = data.newestSeq;
      this.#store(data, message, { keepKey: true });
      if (gap) void this.#fill(id, from).catch(() => undefined);
      else if (data.loaded) data.newestSeq = Math.max(data.newestSeq, view.seq);
      this.#timelineChanged(id);
    }
    this.#bump(id, message, !mine);
    const announce = () => {
      const c = this.#conversations.get(id);
      if (c && live && !seen && !mine && view.type !== 'system') this.emit('incoming', message, c);
    };
    if (before) announce();
    // A conversation this device has not listed yet (a new group, a first message): list it, then announce.
    else void this.refresh().then(announce, () => undefined);
  }

  #onRead(r: { conversationId: string; userId: string; readSeq: number }): void {
    const c = this.#conversations.get(r.conversationId);
    if (!c) return;
    if (r.userId === this.#me()) {
      this.#setRead(r.conversationId, r.readSeq);
      return;
    }
    if (c.kind === 'direct') {
      if ((c.peerReadSeq ?? 0) >= r.readSeq) return;
      this.#conversations.set(c.id, { ...c, peerReadSeq: r.readSeq });
      this.#restate(c.id);
    } else {
      this.#conversations.set(c.id, { ...c, readers: { ...c.readers, [r.userId]: Math.max(r.readSeq, c.readers?.[r.userId] ?? 0) } });
      this.#restate(c.id);
    }
    this.#listChanged();
  }

  #onChanged(view: MessageView): void {
    const id = view.conversationId;
    const data = this.#timelines.get(id);
    const existing = data?.stored.get(view.seq);
    if (data && existing) {
      this.#store(data, { ...existing, ...view, key: existing.key, ...(view.recalled ? { text: undefined } : {}) } as ChatMessage, { keepKey: true, replace: true });
      this.#timelineChanged(id);
    }
    const c = this.#conversations.get(id);
    if (c?.lastMessage?.seq === view.seq) {
      this.#conversations.set(id, { ...c, lastMessage: view });
      this.#listChanged();
    }
  }

  #onHidden(conversationId: string, seqs: number[]): void {
    const data = this.#timelines.get(conversationId);
    if (!data) return;
    let changed = false;
    for (const seq of seqs) changed = data.stored.delete(seq) || changed;
    if (changed) this.#timelineChanged(conversationId);
  }

  #onTyping(conversationId: string, userId: string): void {
    if (userId === this.#me()) return;
    const c = this.#conversations.get(conversationId);
    if (!c) return;
    this.#conversations.set(conversationId, { ...c, typingUntil: this.#now() + this.#typingMs });
    this.#listChanged();
    clearTimeout(this.#typingTimers.get(conversationId));
    this.#typingTimers.set(
      conversationId,
      setTimeout(() => {
        this.#typingTimers.delete(conversationId);
        const now = this.#conversations.get(conversationId);
        if (now?.typingUntil !== undefined && now.typingUntil <= this.#now()) {
          const { typingUntil: _t, ...rest } = now;
          this.#conversations.set(conversationId, rest);
          this.#listChanged();
        }
      }, this.#typingMs + 50),
    );
  }

  #onConversation(v: ConversationSettingsEvent): void {
    const id = v.id ?? v.conversationId;
    if (!id) return;
    const c = this.#conversations.get(id);
    if (!c) {
      this.#refreshSoon();
      return;
    }
    const { conversationId: _c, settings, ...rest } = v;
    const next = { ...c, ...rest, ...(settings ? settingsFields(settings) : {}), id } as ConversationState;
    // A read pointer never goes back here; unread follows the pointer.
    next.readSeq = Math.max(c.readSeq, next.readSeq);
    next.unread = Math.max(0, next.lastSeq - next.readSeq);
    this.#conversations.set(id, next);
    this.#listChanged();
  }

  // ---------------------------------------------------------------- bookkeeping

  #data(id: string): TimelineData {
    let data = this.#timelines.get(id);
    if (!data) this.#timelines.set(id, (data = { stored: new Map(), pending: [], oldestSeq: 1, newestSeq: 0, loaded: false, loading: 0, view: null }));
    return data;
  }

  #store(data: TimelineData, view: MessageView | ChatMessage, options: { keepKey?: boolean; replace?: boolean } = {}): void {
    const me = this.#me();
    const existing = data.stored.get(view.seq);
    const base: ChatMessage = 'key' in view && options.keepKey ? (view as ChatMessage) : { ...view, key: existing?.key ?? view.id, mine: view.senderId === me };
    let message: ChatMessage = options.replace || !existing ? base : { ...existing, ...base, key: existing.key, ...(existing.clientMsgId ? { clientMsgId: existing.clientMsgId } : {}) };
    if (message.mine && message.type !== 'system') message = { ...message, state: this.readCount(view.conversationId, view.seq) > 0 ? 'read' : 'sent' };
    data.stored.set(view.seq, message);
    data.view = null;
  }

  /** Brings the timeline from `afterSeq` up to the conversation's last seq, page by page. */
  async #fill(id: string, afterSeq: number): Promise<void> {
    const data = this.#data(id);
    await this.#loading(id, async () => {
      let after = afterSeq;
      for (;;) {
        const page = await this.#fetch(id, { afterSeq: after, limit: CATCH_UP_PAGE });
        for (const m of page) this.#store(data, m);
        const last = page.at(-1)?.seq;
        if (last !== undefined) {
          after = last;
          data.newestSeq = Math.max(data.newestSeq, last);
          this.#bump(id, page.at(-1)!, false);
        }
        if (page.length < CATCH_UP_PAGE) break;
      }
      const c = this.#conversations.get(id);
      if (c) data.newestSeq = Math.max(data.newestSeq, Math.min(c.lastSeq, after));
    });
  }

  #fetch(conversationId: string, range: { afterSeq?: number; beforeSeq?: number; limit: number }): Promise<MessageView[]> {
    return this.#socketOrRest<MessageView[]>('im.messages', { conversationId, ...range }, 'GET', `/conversations/${encodeURIComponent(conversationId)}/messages?${new URLSearchParams(Object.entries(range).map(([k, v]) => [k, String(v)]))}`);
  }

  async #loading(id: string, run: () => Promise<void>): Promise<void> {
    const data = this.#data(id);
    data.loading++;
    this.#timelineChanged(id);
    try {
      await run();
    } finally {
      data.loading--;
      this.#timelineChanged(id);
    }
  }

  /** A message newer than the list knew: last message, last seq, unread. */
  #bump(id: string, message: MessageView, countsUnread: boolean): void {
    const c = this.#conversations.get(id);
    if (!c) return;
    const newer = !c.lastMessage || !c.lastMessage.id || message.seq >= c.lastMessage.seq;
    if (!newer && message.seq <= c.lastSeq) return;
    const lastSeq = Math.max(c.lastSeq, message.seq);
    const readSeq = !countsUnread && message.senderId === this.#me() ? Math.max(c.readSeq, message.seq) : c.readSeq;
    this.#conversations.set(id, {
      ...c,
      lastSeq,
      readSeq,
      unread: Math.max(0, lastSeq - readSeq),
      lastMessage: newer ? message : c.lastMessage,
      updatedAt: Math.max(c.updatedAt, message.sentAt),
      // A new message shows a hidden conversation again, and ends the "typing…".
      hidden: false,
      ...(message.senderId !== this.#me() ? { typingUntil: undefined } : {}),
    } as ConversationState);
    this.#listChanged();
  }

  #setRead(id: string, seq: number): void {
    const c = this.#conversations.get(id);
    if (!c) return;
    const readSeq = Math.max(c.readSeq, seq);
    if (readSeq === c.readSeq && !c.markedUnread) return;
    this.#conversations.set(id, { ...c, readSeq, unread: Math.max(0, c.lastSeq - readSeq), markedUnread: false });
    this.#listChanged();
  }

  /** Recomputes `sent`/`read` of my stored messages after a read pointer moved. */
  #restate(id: string): void {
    const data = this.#timelines.get(id);
    if (!data) return;
    let changed = false;
    for (const [seq, m] of data.stored) {
      if (!m.mine || m.type === 'system') continue;
      const state: MessageState = this.readCount(id, seq) > 0 ? 'read' : 'sent';
      if (m.state !== state) {
        data.stored.set(seq, { ...m, state });
        changed = true;
      }
    }
    if (changed) this.#timelineChanged(id);
  }

  #merge(view: ConversationView): void {
    const old = this.#conversations.get(view.id);
    const next: ConversationState = { ...old, ...view };
    if (old) {
      // A live event may have moved past what this (older) reply says.
      if (old.lastSeq > view.lastSeq) Object.assign(next, { lastSeq: old.lastSeq, lastMessage: old.lastMessage, updatedAt: Math.max(old.updatedAt, view.updatedAt) });
      next.readSeq = Math.max(old.readSeq, view.readSeq);
      if (old.peerReadSeq !== undefined) next.peerReadSeq = Math.max(old.peerReadSeq, view.peerReadSeq ?? 0);
      next.unread = Math.max(0, next.lastSeq - next.readSeq);
    }
    this.#conversations.set(view.id, next);
    if (old?.peerReadSeq !== next.peerReadSeq) this.#restate(view.id);
  }

  #listChanged(): void {
    this.#list = null;
    this.emit('list');
  }

  #timelineChanged(id: string): void {
    const data = this.#timelines.get(id);
    if (data) data.view = null;
    this.emit('timeline', id);
  }
}

/** What `GET /sync` answers (protocol.ts's SyncReply, without importing zod here). */
interface SyncReply {
  next: string;
  full?: boolean;
  messages: MessageView[];
  receipts?: { conversationId: string; userId: string; readSeq: number }[];
  conversations: ConversationView[];
  removed?: string[];
  hidden?: { conversationId: string; seqs: number[] }[];
  more?: boolean;
}

/** The `im.conversation` event: my settings of one conversation changed (on another device, or this one). */
interface ConversationSettingsEvent extends Partial<ConversationView> {
  conversationId?: string;
  settings?: { pinned?: boolean; muted?: boolean; hidden?: boolean; markedUnread?: boolean; draft?: string | null };
}

function settingsFields(s: NonNullable<ConversationSettingsEvent['settings']>): Partial<ConversationState> {
  const out: Partial<ConversationState> = {};
  if (s.pinned !== undefined) out.pinned = s.pinned;
  if (s.muted !== undefined) out.muted = s.muted;
  if (s.hidden !== undefined) out.hidden = s.hidden;
  if (s.markedUnread !== undefined) out.markedUnread = s.markedUnread;
  if (s.draft !== undefined) out.draft = s.draft ?? '';
  return out;
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}

function unreadOf(c: ConversationView): number {
  return c.unread > 0 ? c.unread : c.markedUnread ? 1 : 0;
}

/** A photo, video, voice message or file: a text-less message naming one uploaded file. */
export function isMedia(type: string): type is MediaType {
  return type === 'image' || type === 'video' || type === 'voice' || type === 'file';
}

/** Errors worth trying again (over REST, or later). */
export function isTransient(code: string | undefined): boolean {
  return code === 'NETWORK' || code === 'TIMEOUT' || code === 'UNKNOWN_EVENT' || code === 'RATE_LIMITED';
}
