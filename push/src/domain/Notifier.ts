import type { Logger } from '@muster/kit/log';
import type { ContactRepository, ConversationRepository, ImDelivery, ImHub, MessageView, PrefsRepository } from '@muster/im';
import { NotificationPreferences } from './NotificationPreferences.ts';
import { notificationText, previewOf } from './notificationText.ts';
import type { OutgoingNotification } from './PushGateway.ts';
import type { PushSender } from './PushSender.ts';
import type { Subscriptions } from './Subscriptions.ts';

/** Timers the notifier waits with; tests move time by hand (see @muster/push/testing ManualTimers). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A notification waits this long after the conversation's latest message for more to collapse into it… */
export const DEFAULT_DEBOUNCE_MS = 3_000;
/** …but never longer than this after the first one. */
export const DEFAULT_MAX_WAIT_MS = 15_000;
/** How long a push service keeps a notification for a device it cannot reach (a later one of the same topic replaces it). */
export const DEFAULT_TTL_SECONDS = 24 * 60 * 60;
/** Messages a pending notification remembers one by one (for recalls and previews); beyond them it only counts. */
const TRACKED_PER_BATCH = 200;

export interface NotifierOptions {
  hub: ImHub;
  /** Whether the account has a connected /account socket (Presence.isOnline: this process's sockets). */
  isOnline: (accountId: string) => boolean;
  conversations: ConversationRepository;
  prefs: PrefsRepository;
  contacts: ContactRepository;
  /** Nicknames (accounts' Profiles.publicProfiles). */
  profiles: { publicProfiles(ids: readonly string[]): Promise<Map<string, { nickname: string }>> };
  settings: NotificationPreferences;
  /** Who has somewhere to push to, and (when a notification goes out) the subscriptions of their devices still signed in. */
  subscriptions: Pick<Subscriptions, 'accountsWithSubscriptions' | 'forAccount'>;
  sender: PushSender;
  /** The push Topic of a conversation (≤ 32 base64url characters). */
  topicOf: (conversationId: string) => string;
  /** The server's public URL, for the absolute link gateways may use (ntfy's click). */
  publicUrl?: string | null;
  logger: Logger;
  now?: () => number;
  timers?: Timers;
  debounceMs?: number;
  maxWaitMs?: number;
  ttlSeconds?: number;
}

interface Tracked {
  seq: number;
  senderId: string;
  type: string;
  text?: string;
  fileName?: string;
  mentionsMe: boolean;
}

/** The notification being collected for one person and one conversation. */
interface Batch {
  recipient: string;
  conversationId: string;
  firstAt: number;
  timer: unknown;
  count: number;
  maxSeq: number;
  /** By message id, oldest first. */
  tracked: Map<string, Tracked>;
  /** An @mention among the messages counted but not tracked. */
  untrackedMention: string | null;
}

const keyOf = (recipient: string, conversationId: string) => `${recipient}\u0000${conversationId}`;

/**
 * Turns new messages into offline notifications. It listens to the IM hub:
 * for each message, every member who is offline (no /account socket on this
 * process) and is not its sender gets a pending notification for that
 * conversation, collapsed: it goes out 3 s after the conversation's latest
 * message, 15 s after its first at the latest, as one "3 new messages from
 * 张三" (a group: "张三 and others in 开发组: 3 new messages").
 *
 * When it goes out it is checked again: nobody back online, nothing read
 * meanwhile, not in the person's do-not-disturb hours (then it is dropped,
 * never kept for later), not a muted conversation unless it @mentions them
 * (then only the mentions count). It carries message text only when the
 * person allows previews, and never a recalled message's: a recall before
 * it goes out takes that message out of it (all of them: nothing goes).
 * It goes only to devices still signed in: the subscriptions of a device
 * signed out (on any process) are skipped and deleted then.
 */
export class Notifier {
  readonly #o: NotifierOptions;
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #debounceMs: number;
  readonly #maxWaitMs: number;
  readonly #ttlSeconds: number;
  readonly #batches = new Map<string, Batch>();
  /** Per conversation, the hub events being applied in order (a recall after the message it recalls). */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(options: NotifierOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#timers = options.timers ?? realTimers;
    this.#debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    this.#unsubscribe = options.hub.subscribe((delivery) => this.#onDelivery(delivery));
  }

  /** Notifications being collected (for tests and metrics). */
  get pending(): number {
    return this.#batches.size;
  }

  /** Resolves once every hub event seen so far is applied and every notification that went out is delivered. */
  async idle(): Promise<void> {
    for (;;) {
      const waiting = [...this.#chains.values(), ...this.#inFlight];
      if (waiting.length === 0) return;
      await Promise.allSettled(waiting);
    }
  }

  /** Stops listening and drops what was being collected (a notification not yet due is not sent); waits for deliveries under way. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    for (const batch of this.#batches.values()) this.#timers.clearTimeout(batch.timer);
    if (this.#batches.size > 0) this.#o.logger.info({ dropped: this.#batches.size }, 'push: closing; notifications not yet due are dropped');
    this.#batches.clear();
    await this.idle();
  }

  #onDelivery(delivery: ImDelivery): void {
    if (this.#closed) return;
    if (delivery.event === 'im.message') this.#onMessage(delivery.to, delivery.payload);
    else if (delivery.event === 'im.changed') this.#onChanged(delivery.to, delivery.payload);
  }

  #onMessage(to: readonly string[], message: MessageView): void {
    // System notices (joined, renamed…) are not worth waking a phone for.
    if (message.type === 'system' || message.recalled) return;
    const recipients = to.filter((id) => id !== message.senderId && !this.#o.isOnline(id));
    if (recipients.length === 0) return;
    this.#serially(message.conversationId, async () => {
      // Only people with somewhere to push to are collected for (one query for a whole group).
      const reachable = await this.#o.subscriptions.accountsWithSubscriptions(recipients);
      for (const recipient of recipients) if (reachable.has(recipient)) this.#add(recipient, message);
    });
  }

  #onChanged(to: readonly string[], message: MessageView): void {
    this.#serially(message.conversationId, async () => {
      for (const recipient of to) {
        const key = keyOf(recipient, message.conversationId);
        const batch = this.#batches.get(key);
        const tracked = batch?.tracked.get(message.id);
        if (!batch || !tracked) continue;
        if (message.recalled) {
          batch.tracked.delete(message.id);
          batch.count--;
          if (batch.count <= 0) {
            this.#timers.clearTimeout(batch.timer);
            this.#batches.delete(key);
          }
        } else if (message.text !== undefined) {
          tracked.text = message.text;
        }
      }
    });
  }

  #add(recipient: string, message: MessageView): void {
    if (this.#closed) return;
    const key = keyOf(recipient, message.conversationId);
    const now = this.#now();
    let batch = this.#batches.get(key);
    if (!batch) {
      batch = { recipient, conversationId: message.conversationId, firstAt: now, timer: undefined, count: 0, maxSeq: 0, tracked: new Map(), untrackedMention: null };
      this.#batches.set(key, batch);
    } else {
      this.#timers.clearTimeout(batch.timer);
    }
    const mentionsMe = message.mentionAll === true || (message.mentions ?? []).includes(recipient);
    batch.count++;
    batch.maxSeq = Math.max(batch.maxSeq, message.seq);
    if (batch.tracked.size < TRACKED_PER_BATCH) {
      batch.tracked.set(message.id, {
        seq: message.seq,
        senderId: message.senderId,
        type: message.type,
        ...(message.text !== undefined ? { text: message.text } : {}),
        ...(message.file?.name ? { fileName: message.file.name } : {}),
        mentionsMe,
      });
    } else if (mentionsMe) {
      batch.untrackedMention = message.senderId;
    }
    const due = Math.max(0, Math.min(this.#debounceMs, batch.firstAt + this.#maxWaitMs - now));
    const current = batch;
    batch.timer = this.#timers.setTimeout(() => this.#due(key, current), due);
  }

  #due(key: string, batch: Batch): void {
    if (this.#batches.get(key) !== batch) return;
    this.#batches.delete(key);
    const work = this.#send(batch).catch((error) => this.#o.logger.error({ err: error, conversation: batch.conversationId }, 'push: a notification failed'));
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #send(batch: Batch): Promise<void> {
    const { recipient, conversationId } = batch;
    if (this.#o.isOnline(recipient)) return;
    const [conversation, membership] = await Promise.all([this.#o.conversations.get(conversationId), this.#o.conversations.membership(conversationId, recipient)]);
    if (!conversation || !membership) return;
    // Read meanwhile (on a device of theirs that came and went): only what is still unread counts.
    if (membership.readSeq >= batch.maxSeq) return;
    let entries = [...batch.tracked.entries()].filter(([, t]) => t.seq > membership.readSeq);
    let count = Math.max(entries.length, batch.count - (batch.tracked.size - entries.length));
    const settings = await this.#o.settings.of(recipient);
    if (NotificationPreferences.quiet(settings, this.#now())) {
      this.#o.logger.debug({ conversation: conversationId }, 'push: do-not-disturb; notification dropped');
      return;
    }
    const mention = entries.find(([, t]) => t.mentionsMe)?.[1].senderId ?? batch.untrackedMention;
    const prefs = (await this.#o.prefs.forUser(recipient, [conversationId])).get(conversationId);
    if (prefs?.muted) {
      // A muted conversation notifies its @mentions only.
      if (mention === null) return;
      entries = entries.filter(([, t]) => t.mentionsMe);
      count = Math.max(1, entries.length);
    }
    if (entries.length === 0 && count <= 0) return;
    // Only devices still signed in: a signed-out device's subscriptions are deleted here (one query for the sessions).
    const subscriptions = await this.#o.subscriptions.forAccount(recipient);
    if (subscriptions.length === 0) return;

    const senderIds = [...new Set(entries.map(([, t]) => t.senderId))];
    if (mention !== null && !senderIds.includes(mention)) senderIds.push(mention);
    const names = await this.#names(recipient, senderIds);
    const last = entries.at(-1)?.[1];
    const lastSender = last ? names.get(last.senderId)! : names.get(mention ?? '') ?? 'Someone';
    const preview = settings.previews ? await this.#preview(conversationId, entries) : null;
    const { title, body } = notificationText({
      kind: conversation.kind,
      groupName: conversation.meta?.name ?? null,
      senders: senderIds.filter((id) => entries.some(([, t]) => t.senderId === id)).map((id) => names.get(id)!),
      lastSender,
      count,
      mentionedBy: mention === null ? null : names.get(mention)!,
      preview,
    });
    const url = `/chats/${conversationId}`;
    const notification: OutgoingNotification = {
      accountId: recipient,
      payload: { v: 1, kind: 'message', conversationId, title, body, count, url, tag: conversationId },
      urgency: conversation.kind === 'direct' || mention !== null ? 'high' : 'normal',
      topic: this.#o.topicOf(conversationId),
      ttlSeconds: this.#ttlSeconds,
      mentioned: mention !== null,
      link: this.#o.publicUrl ? new URL(url, this.#o.publicUrl).href : null,
    };
    await this.#o.sender.send(notification, subscriptions);
  }

  /** The latest message's preview, read again from the store: a message recalled meanwhile (on any process) shows nothing of itself. */
  async #preview(conversationId: string, entries: [string, Tracked][]): Promise<string | null> {
    for (const [id, tracked] of entries.slice(-3).reverse()) {
      const stored = await this.#o.conversations.byId(conversationId, id);
      if (!stored || stored.body.recalled) continue;
      return previewOf({ type: tracked.type, ...(stored.body.text !== undefined ? { text: stored.body.text } : {}), ...(tracked.fileName ? { fileName: tracked.fileName } : {}) });
    }
    return null;
  }

  /** People's names as the recipient knows them: their remark for a contact, else the nickname. */
  async #names(recipient: string, ids: readonly string[]): Promise<Map<string, string>> {
    const [profiles, contacts] = await Promise.all([this.#o.profiles.publicProfiles(ids), Promise.all(ids.map((id) => this.#o.contacts.get(recipient, id)))]);
    return new Map(ids.map((id, i) => [id, contacts[i]?.remark || profiles.get(id)?.nickname || 'Someone']));
  }

  #serially(conversationId: string, work: () => Promise<void>): void {
    const previous = this.#chains.get(conversationId) ?? Promise.resolve();
    const next = previous.then(work).catch((error) => this.#o.logger.error({ err: error, conversation: conversationId }, 'push: could not collect a notification'));
    this.#chains.set(conversationId, next);
    void next.then(() => {
      if (this.#chains.get(conversationId) === next) this.#chains.delete(conversationId);
    });
  }
}
