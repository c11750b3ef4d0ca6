import crypto from 'node:crypto';
import type { Accounts, Principal } from '@muster/accounts';
import { ImError } from '../errors.ts';
import { MAX_VOICE_MS, type ConversationView, type FileView, type MediaType, type MessageType, type MessageView, type SystemNotice } from '../protocol.ts';
import type { Conversation, ConversationRepository, ForwardItem, MessageBody, Membership, StoredMessage } from '../store/ConversationRepository.ts';
import { checkText, messageView, quoteOf, textOf } from './messageBodies.ts';
import type { ImHub } from './ImHub.ts';
import type { Contacts } from './Contacts.ts';
import type { ChatFiles } from './ChatFiles.ts';
import { SendBudget } from './SendBudget.ts';

/** Conversations listed at once, most recently active first. */
const CONVERSATIONS_LISTED = 200;
const DEFAULT_PAGE = 50;
/** How long after sending a person may recall their own message (WeChat's two minutes); `recallWindowMs` changes it. */
export const DEFAULT_RECALL_WINDOW_MS = 2 * 60_000;
/** A typing indicator is passed on at most once a second per person and conversation; more are dropped. */
export const TYPING_INTERVAL_MS = 1_000;
/** Typing entries kept before the old ones are swept (memory stays bounded however many people type). */
const TYPING_ENTRIES = 10_000;

/** A message id, new. */
const messageId = () => `msg${crypto.randomBytes(12).toString('base64url')}`;

export interface ConversationsOptions {
  conversations: ConversationRepository;
  contacts: Contacts;
  accounts: Accounts;
  /** Where live events go (the socket layer and the sync long-poll listen). */
  hub: ImHub;
  now?: () => number;
  /** How long a person may recall their own message (default 2 minutes). */
  recallWindowMs?: number;
  /** Sends (and forwards) this process takes on at once; past it BUSY (see SendBudget; default 2,000). */
  maxSendsInFlight?: number;
}

/** A text or emoji to send (see Conversations.send). */
export interface SendTextInput {
  clientMsgId: string;
  type?: 'text' | 'emoji';
  text: string;
  replyTo?: string | null;
  mentions?: string[];
  mentionAll?: boolean;
}

/** A finished upload to send as an image, a video, a voice message or a file (see Conversations.send). */
export interface SendMediaInput {
  clientMsgId: string;
  type: MediaType;
  fileId: string;
  replyTo?: string | null;
}

export type SendInput = SendTextInput | SendMediaInput;

/** The file kinds each media type takes: an image must be one, a file may be anything. */
const KINDS_OF: Record<MediaType, readonly FileView['kind'][]> = {
  image: ['image'],
  video: ['video'],
  voice: ['audio'],
  file: ['image', 'video', 'audio', 'other'],
};

const isMedia = (input: SendInput): input is SendMediaInput => 'fileId' in input;

/** Messages to forward (see Conversations.forward). */
export interface ForwardInput {
  clientMsgId: string;
  from: string;
  messageIds: readonly string[];
  to: readonly string[];
  mode: 'single' | 'merged';
  title?: string;
}

/** What a send check sees: it throws an ImError to refuse the message (nothing is stored then). */
export interface SendAttempt {
  principal: Principal;
  conversation: Conversation;
  /** Everyone in the conversation but the sender. */
  others: readonly Membership[];
  /** What is being stored: a send (text, emoji), or a forward (then `text` is its text or the history's title). */
  input: { type: MessageType; text: string; mentions?: string[]; mentionAll?: boolean };
}

/** Where a forward went: what was stored in each conversation, or why that one refused it. */
export interface ForwardResult {
  conversationId: string;
  sent?: { id: string; seq: number; sentAt: number }[];
  error?: { code: ImError['code']; message: string };
}

/**
 * A rule a message must pass before it is stored, kept small and
 * pluggable: groups add "muted" and "@everyone is for owners and admins",
 * the direct-conversation block rule is built in.
 */
export type SendCheck = (attempt: SendAttempt) => Promise<void> | void;

/**
 * Adds one person's own state to their conversation views (pinned, muted,
 * draft… from the conversation settings) and may reorder them; list()
 * runs every decorator in turn.
 */
export type ViewDecorator = (userId: string, views: ConversationView[], options: ListOptions) => Promise<ConversationView[]>;

/** What a listing asks for: `hidden` keeps the conversations the person hid (the sync needs every one). */
export interface ListOptions {
  hidden?: boolean;
}

/**
 * Whether `to` takes conversations from `from`, who is not their contact
 * (their "messages from non-friends" setting); without a rule, nobody does.
 */
export type StrangerRule = (from: string, to: string) => Promise<boolean>;

/**
 * Conversations and their messages: open a direct one with a contact, send
 * text or an emoji (at most 2048 bytes of UTF-8; a retry with the same
 * client id returns the first message), reply with a quote, read by seq
 * ranges, move the read pointer; then what follows a message: recall, edit,
 * delete for me, forward, "read by", typing. Only members reach a
 * conversation: anyone else gets NOT_FOUND, so a probe cannot tell one
 * exists. A person who blocked the sender refuses their messages
 * (REFUSED_BY_RECIPIENT), and nothing is stored. Every change to a stored
 * message takes the conversation's next rev, so catch-up sees it.
 */
export class Conversations {
  readonly #store: ConversationRepository;
  readonly #contacts: Contacts;
  readonly #accounts: Accounts;
  readonly #now: () => number;
  readonly #hub: ImHub;
  readonly #sendChecks: SendCheck[] = [];
  readonly #decorators: ViewDecorator[] = [];
  readonly #readHooks: ((userId: string, conversationId: string) => Promise<void>)[] = [];
  #strangers: StrangerRule = async () => false;
  #files: ChatFiles | undefined;
  readonly #recallWindowMs: number;
  /** `accountId|conversationId` → when their last typing indicator was passed on. */
  readonly #typingAt = new Map<string, number>();
  /** Sends and forwards in flight in this process, capped (the server's metrics read it). */
  readonly sendBudget: SendBudget;

  constructor(options: ConversationsOptions) {
    this.#store = options.conversations;
    this.#contacts = options.contacts;
    this.#accounts = options.accounts;
    this.#hub = options.hub;
    this.#now = options.now ?? Date.now;
    this.#recallWindowMs = options.recallWindowMs ?? DEFAULT_RECALL_WINDOW_MS;
    this.sendBudget = new SendBudget(options.maxSendsInFlight);
  }

  /** Where media messages' files come from (the server wires the files domain in); without it media sends are refused. */
  useFiles(files: ChatFiles): void {
    this.#files = files;
  }

  /** Adds a rule every message must pass before it is stored (see SendCheck). */
  useSendCheck(check: SendCheck): void {
    this.#sendChecks.push(check);
  }

  /** Adds a decorator of the views list() returns (see ViewDecorator). */
  useViewDecorator(decorator: ViewDecorator): void {
    this.#decorators.push(decorator);
  }

  /** Runs after every markRead, moved or not (reading clears a "marked unread"). */
  useReadHook(hook: (userId: string, conversationId: string) => Promise<void>): void {
    this.#readHooks.push(hook);
  }

  /** Decides who takes conversations from people who are not their contacts (see StrangerRule). */
  useStrangerRule(rule: StrangerRule): void {
    this.#strangers = rule;
  }

  /**
   * Stores a system notice in a conversation (someone joined, left, renamed
   * it…) under the next seq, like any message, and delivers it live to every
   * member. `actorId` is its sender; the notice is never refused.
   */
  async appendSystem(conversationId: string, notice: SystemNotice): Promise<MessageView> {
    const { message } = await this.#store.append({
      id: messageId(),
      conversationId,
      senderId: notice.actorId,
      clientMsgId: `sys-${crypto.randomBytes(12).toString('base64url')}`,
      type: 'system',
      body: { notice },
      sentAt: this.#now(),
    });
    const view = messageView(message);
    const members = (await this.#store.members(conversationId)).map((m) => m.userId);
    this.#hub.publish('im.message', members, view);
    return view;
  }

  /** The direct conversation with a contact, opened if needed. */
  async openDirect(principal: Principal, userId: string): Promise<ConversationView> {
    if (userId === principal.accountId) throw new ImError('BAD_REQUEST', 'a conversation with yourself is not one');
    // Not a contact: only someone who takes messages from non-friends (and never one who blocked you).
    const reachable = (await this.#contacts.isContact(principal.accountId, userId)) || (await this.#strangers(principal.accountId, userId));
    if (!reachable) throw new ImError('NOT_FOUND', 'no such contact');
    if (!(await this.#contacts.mayReach(principal.accountId, userId))) throw new ImError('REFUSED_BY_RECIPIENT', 'this person does not accept your messages');
    const conversation = await this.#store.openDirect(`cv${crypto.randomBytes(12).toString('base64url')}`, principal.accountId, userId, this.#now());
    return (await this.#view(principal, conversation.id))!;
  }

  /**
   * A person's conversations, most recently active first: one joined query
   * for the conversations, memberships and direct peers, one for the last
   * messages, one for the peers' profiles, whatever their number.
   */
  async list(principal: Principal, options: ListOptions = {}): Promise<ConversationView[]> {
    const rows = await this.#store.overview(principal.accountId, { limit: CONVERSATIONS_LISTED });
    return this.#decorate(principal, await this.#build(principal, rows), options);
  }

  /** The views of these conversations of a person's, decorated, in the decorators' order (those not theirs left out): the sync's changed ones. */
  async views(principal: Principal, conversationIds: readonly string[], options: ListOptions = { hidden: true }): Promise<ConversationView[]> {
    const rows = await this.#store.overview(principal.accountId, { ids: conversationIds });
    return this.#decorate(principal, await this.#build(principal, rows), options);
  }

  async #decorate(principal: Principal, views: ConversationView[], options: ListOptions): Promise<ConversationView[]> {
    let listed = views;
    for (const decorate of this.#decorators) listed = await decorate(principal.accountId, listed, options);
    return listed;
  }

  /**
   * Stores a text or emoji message under the next seq and delivers it live.
   * Mentions must name members; a reply must answer a message of this
   * conversation (it keeps a quote of it). A retry with the same client id
   * returns the first message (`duplicate`) and is not delivered again.
   * With too many sends in flight in this process it is BUSY at once, and
   * nothing is stored (see SendBudget).
   */
  send(principal: Principal, conversationId: string, input: SendInput): Promise<{ id: string; seq: number; sentAt: number; duplicate: boolean }> {
    return this.sendBudget.run(() => this.#send(principal, conversationId, input));
  }

  async #send(principal: Principal, conversationId: string, input: SendInput): Promise<{ id: string; seq: number; sentAt: number; duplicate: boolean }> {
    // The members are needed for the delivery anyway: the sender's membership is checked in the same read.
    const members = await this.#store.members(conversationId);
    if (!members.some((m) => m.userId === principal.accountId)) throw new ImError('NOT_FOUND', 'no such conversation');
    const conversation = (await this.#store.get(conversationId))!;
    if (isMedia(input)) return this.#sendMedia(principal, conversation, members, input);
    const type = input.type ?? 'text';
    checkText(type, input.text);
    const mentions = [...new Set(input.mentions ?? [])];
    const stranger = mentions.find((id) => !members.some((m) => m.userId === id));
    if (stranger) throw new ImError('BAD_REQUEST', `${stranger} is not in this conversation`);
    if (input.mentionAll && conversation.kind !== 'group') throw new ImError('BAD_REQUEST', '@everyone is for groups');
    const quote = await this.#quote(conversationId, input.replyTo);
    const body: MessageBody = {
      text: input.text,
      ...(input.replyTo ? { replyTo: input.replyTo, quote } : {}),
      ...(mentions.length ? { mentions } : {}),
      ...(input.mentionAll ? { mentionAll: true } : {}),
    };
    const attempt = { type, text: input.text, ...(mentions.length ? { mentions } : {}), ...(input.mentionAll ? { mentionAll: true } : {}) };
    const { message, duplicate } = await this.#deliver(principal, conversation, members, attempt, { clientMsgId: input.clientMsgId, type, body });
    return { id: message.id, seq: message.seq, sentAt: message.sentAt, duplicate };
  }

  /**
   * An image, video, voice message or file: a finished upload of the
   * sender's, whose bytes are what the type says (WRONG_FILE_KIND: an
   * "image" that is not one), a voice message at most 60 s (VOICE_TOO_LONG,
   * measured by the server from the audio itself). The body keeps a
   * snapshot of the file; message_files records the reference.
   */
  async #sendMedia(principal: Principal, conversation: Conversation, members: readonly Membership[], input: SendMediaInput): Promise<{ id: string; seq: number; sentAt: number; duplicate: boolean }> {
    const conversationId = conversation.id;
    const file = await this.#attachable(input.fileId, principal.accountId, 'upload');
    if (!KINDS_OF[input.type].includes(file.kind)) throw new ImError('WRONG_FILE_KIND', `this file is ${file.kind === 'other' ? 'not a picture, video or sound' : `a ${file.kind === 'audio' ? 'sound' : file.kind}`}: send it as a file`);
    if (input.type === 'voice' && (file.durationMs === undefined || file.durationMs > MAX_VOICE_MS)) {
      throw new ImError('VOICE_TOO_LONG', `a voice message is at most ${MAX_VOICE_MS / 1000} s${file.durationMs !== undefined ? ` (this one is ${(file.durationMs / 1000).toFixed(1)} s)` : ''}`);
    }
    const quote = await this.#quote(conversationId, input.replyTo);
    const body: MessageBody = { file: snapshot(file), ...(input.replyTo ? { replyTo: input.replyTo, quote } : {}) };
    const { message, duplicate } = await this.#deliver(principal, conversation, members, { type: input.type, text: '' }, { clientMsgId: input.clientMsgId, type: input.type, body });
    return { id: message.id, seq: message.seq, sentAt: message.sentAt, duplicate };
  }

  /** A file a message may carry (see ChatFiles.attachable): NOT_FOUND when it is not, FILE_EXPIRED when retention deleted it. */
  async #attachable(fileId: string, accountId: string, how: 'upload' | 'forward'): Promise<FileView> {
    if (!this.#files) throw new ImError('NOT_FOUND', 'no such file');
    const file = await this.#files.attachable(fileId, accountId, how);
    if (!file) throw new ImError('NOT_FOUND', 'no such file');
    if (file.expired) throw new ImError('FILE_EXPIRED', 'this file has expired: the retention period deleted it');
    return file;
  }

  /** The quote a reply keeps of the message it answers, a message of this conversation that is not recalled. */
  async #quote(conversationId: string, replyTo: string | null | undefined): Promise<MessageBody['quote']> {
    if (!replyTo) return undefined;
    const answered = await this.#store.byId(conversationId, replyTo);
    if (!answered) throw new ImError('NOT_FOUND', 'no such message to reply to in this conversation');
    if (answered.body.recalled) throw new ImError('BAD_REQUEST', 'a recalled message cannot be quoted');
    return quoteOf(answered);
  }

  /**
   * The one way a person's message is stored: a block refuses a direct one,
   * every send check runs, then it takes the next seq and goes live to every
   * member (a retry only the first time).
   */
  async #deliver(
    principal: Principal,
    conversation: Conversation,
    members: readonly Membership[],
    input: SendAttempt['input'],
    message: { clientMsgId: string; type: MessageType; body: MessageBody },
  ): Promise<{ message: StoredMessage; duplicate: boolean }> {
    const others = members.filter((m) => m.userId !== principal.accountId);
    await this.#refuseBlocked(principal, conversation, others);
    for (const check of this.#sendChecks) await check({ principal, conversation, others, input });
    const stored = await this.#store.append({ id: messageId(), conversationId: conversation.id, senderId: principal.accountId, clientMsgId: message.clientMsgId, type: message.type, body: message.body, sentAt: this.#now() });
    // Retention counts from the newest message that references a file.
    if (!stored.duplicate && message.body.file) await this.#files?.referenced([message.body.file.id], stored.message.sentAt);
    // A retry was delivered the first time; catch-up covers a device that missed it.
    if (!stored.duplicate) this.#hub.publish('im.message', [principal.accountId, ...others.map((m) => m.userId)], messageView(stored.message));
    return stored;
  }

  /** A block is between two people: it refuses one-to-one messages (and edits), not a group's. */
  async #refuseBlocked(principal: Principal, conversation: Conversation, others: readonly Membership[]): Promise<void> {
    if (conversation.kind !== 'direct') return;
    for (const other of others) {
      if (!(await this.#contacts.mayReach(principal.accountId, other.userId))) throw new ImError('REFUSED_BY_RECIPIENT', 'this person does not accept your messages');
    }
  }

  /** Messages by seq range, oldest first, without the ones this person deleted for themselves; quotes as the quoted messages are now. */
  async messages(principal: Principal, conversationId: string, range: { afterSeq?: number; beforeSeq?: number; limit?: number }): Promise<MessageView[]> {
    await this.#member(principal, conversationId);
    return this.#views(await this.#store.messages(conversationId, { ...range, limit: range.limit ?? DEFAULT_PAGE, viewerId: principal.accountId }));
  }

  /**
   * Views of stored messages: the messages their replies quote read in one
   * query, and their files' state (expired by retention) in one call.
   */
  async #views(messages: readonly StoredMessage[]): Promise<MessageView[]> {
    const quoting = messages.filter((m) => m.body.quote);
    const quoted = quoting.length ? await this.#store.byKeys(quoting.map((m) => ({ conversationId: m.conversationId, seq: m.body.quote!.seq }))) : [];
    const byKey = new Map(quoted.map((q) => [`${q.conversationId}/${q.seq}`, q]));
    const fileIds = [...new Set(messages.flatMap((m) => (m.body.file ? [m.body.file.id] : [])))];
    const files = fileIds.length && this.#files ? await this.#files.views(fileIds) : new Map<string, FileView>();
    return messages.map((m) => messageView(m, m.body.quote ? byKey.get(`${m.conversationId}/${m.body.quote.seq}`) : undefined, m.body.file ? files.get(m.body.file.id) : undefined));
  }

  /**
   * Recalls a message: its content is gone for everyone (the row's sealed
   * body holds only who recalled it and when), under the next rev, and every
   * member's devices get the new view (`im.changed`). A person recalls their
   * own message within the recall window (RECALL_WINDOW_PASSED after it); a
   * group's owner recalls anyone's message there, an admin a plain
   * member's, at any time. Recalling a recalled message changes nothing.
   */
  async recall(principal: Principal, conversationId: string, messageId: string): Promise<MessageView> {
    const membership = await this.#membership(principal, conversationId);
    const message = await this.#message(conversationId, messageId);
    if (message.body.recalled) return messageView(message);
    if (message.type === 'system') throw new ImError('BAD_REQUEST', 'a system notice cannot be recalled');
    const conversation = (await this.#store.get(conversationId))!;
    const own = message.senderId === principal.accountId;
    let moderates = false;
    if (conversation.kind === 'group' && !own && membership.role !== 'member') {
      const senderRole = (await this.#store.membership(conversationId, message.senderId))?.role ?? 'member';
      moderates = membership.role === 'owner' || senderRole === 'member';
    }
    if (!own && !moderates) throw new ImError('FORBIDDEN', conversation.kind === 'group' ? 'only its sender, the group’s owner or an admin recalls a message' : 'only its sender recalls a message');
    const now = this.#now();
    // A group's owner and admins recall in their group at any time, their own messages too; everyone else within the window.
    if (own && membership.role === 'member' && now - message.sentAt > this.#recallWindowMs) {
      throw new ImError('RECALL_WINDOW_PASSED', `a message can be recalled for ${Math.round(this.#recallWindowMs / 1000)} s after it is sent`);
    }
    // Recalled meanwhile (another device, an admin): it stays as that recall left it.
    return this.#change(message, (current) => (current.body.recalled ? null : { recalled: { by: principal.accountId, at: now } }));
  }

  /**
   * Edits one's own text message (not a recalled one): the new text, marked
   * edited, under the next rev, to every member's devices (`im.changed`).
   * Someone else's message is FORBIDDEN: it is there to see, but not yours.
   * The rules of a send apply (a block, a mute).
   */
  async edit(principal: Principal, conversationId: string, messageId: string, text: string): Promise<MessageView> {
    await this.#member(principal, conversationId);
    const message = await this.#message(conversationId, messageId);
    if (message.senderId !== principal.accountId) throw new ImError('FORBIDDEN', 'only its sender edits a message');
    if (message.body.recalled) throw new ImError('BAD_REQUEST', 'a recalled message cannot be edited');
    if (message.type !== 'text') throw new ImError('BAD_REQUEST', 'only a text message can be edited');
    checkText('text', text);
    const conversation = (await this.#store.get(conversationId))!;
    const others = (await this.#store.members(conversationId)).filter((m) => m.userId !== principal.accountId);
    await this.#refuseBlocked(principal, conversation, others);
    const input = { type: 'text' as const, text, ...(message.body.mentions ? { mentions: message.body.mentions } : {}), ...(message.body.mentionAll ? { mentionAll: true } : {}) };
    for (const check of this.#sendChecks) await check({ principal, conversation, others, input });
    const editedAt = this.#now();
    return this.#change(message, (current) => {
      // Recalled since it was read above: an edit must not bring its content back.
      if (current.body.recalled) throw new ImError('BAD_REQUEST', 'a recalled message cannot be edited');
      return { ...current.body, text, editedAt };
    });
  }

  /**
   * Stores a message's new body (decided on the message as it is inside the
   * write: see changeBody) under the next rev and tells every member's
   * devices; a change that changes nothing tells nobody.
   */
  async #change(message: StoredMessage, change: (current: StoredMessage) => MessageBody | null): Promise<MessageView> {
    const result = await this.#store.changeBody(message.conversationId, message.seq, change);
    if (!result) throw new ImError('NOT_FOUND', 'no such message');
    const [view] = await this.#views([result.message]);
    if (result.changed) {
      const members = (await this.#store.members(message.conversationId)).map((m) => m.userId);
      this.#hub.publish('im.changed', members, view!);
    }
    return view!;
  }

  /**
   * "Delete for me": hides messages from this person's history on all of
   * their devices (`im.hidden`, to their own devices only); the others
   * still see them. Every id must be a message of this conversation.
   */
  async hide(principal: Principal, conversationId: string, messageIds: readonly string[]): Promise<{ seqs: number[] }> {
    await this.#member(principal, conversationId);
    const ids = [...new Set(messageIds)];
    const messages = await this.#store.byIds(conversationId, ids);
    if (messages.length !== ids.length) throw new ImError('NOT_FOUND', 'no such message');
    const seqs = messages.map((m) => m.seq);
    await this.#store.hide(principal.accountId, conversationId, seqs, this.#now());
    this.#hub.publish('im.hidden', [principal.accountId], { conversationId, seqs });
    return { seqs };
  }

  /** A person's hides after `afterAt` (the sync: what their other devices must hide). */
  async hiddenSince(principal: Principal, afterAt: number, limit: number): Promise<{ conversationId: string; seq: number; at: number }[]> {
    return this.#store.hiddenSince(principal.accountId, afterAt, limit);
  }

  /**
   * Who has read one's own message: the other members whose read pointer
   * reached its seq, and those whose did not ("read by N" in a group; the
   * peer in a direct conversation). Another person's message is FORBIDDEN.
   */
  async readers(principal: Principal, conversationId: string, messageId: string): Promise<{ readBy: string[]; unreadBy: string[] }> {
    await this.#member(principal, conversationId);
    const message = await this.#message(conversationId, messageId);
    if (message.senderId !== principal.accountId) throw new ImError('FORBIDDEN', 'only its sender sees who read a message');
    const readBy: string[] = [];
    const unreadBy: string[] = [];
    for (const m of await this.#store.members(conversationId)) {
      if (m.userId === message.senderId) continue;
      (m.readSeq >= message.seq ? readBy : unreadBy).push(m.userId);
    }
    return { readBy, unreadBy };
  }

  /**
   * Forwards messages one can see (not recalled, not system notices or call
   * records) to up to 9 of one's conversations: one by one (each again, same
   * type and text) or merged (one `forward` message holding the history:
   * each sender's name, time, type and text). Each target runs the rules of
   * a send; one that refuses (a block, a mute) is reported in its result and
   * stores nothing, the others go ahead. A retry with the same client id
   * returns the messages first stored. It takes one of the process's send
   * slots, as a send does: BUSY at once when none is free, nothing stored.
   */
  forward(principal: Principal, input: ForwardInput): Promise<{ results: ForwardResult[] }> {
    return this.sendBudget.run(() => this.#forward(principal, input));
  }

  async #forward(principal: Principal, input: ForwardInput): Promise<{ results: ForwardResult[] }> {
    await this.#member(principal, input.from);
    const targets = [...new Set(input.to)];
    for (const target of targets) await this.#member(principal, target);
    const ids = [...new Set(input.messageIds)];
    const sources = await this.#store.byIds(input.from, ids);
    const hidden = await this.#store.hiddenSeqs(principal.accountId, input.from, sources.map((m) => m.seq));
    if (sources.length !== ids.length || hidden.size > 0) throw new ImError('NOT_FOUND', 'no such message');
    if (sources.some((m) => m.body.recalled || m.type === 'system' || m.type === 'call')) throw new ImError('BAD_REQUEST', 'recalled messages, system notices and call records cannot be forwarded');
    const messages: { clientMsgId: string; type: MessageType; body: MessageBody; text: string }[] = [];
    if (input.mode === 'single') {
      // Each copy's client id is the forward's plus its place in seq order: stable for a retry, and
      // (client ids are shown to every member) it tells the target nothing of the source's seqs.
      [...sources]
        .sort((a, b) => a.seq - b.seq)
        .forEach((m, place) => {
          const body: MessageBody = m.body.forward ? { forward: m.body.forward } : m.body.file ? { file: m.body.file } : { text: m.body.text ?? '' };
          messages.push({ clientMsgId: `${input.clientMsgId}.${place + 1}`, type: m.type as MessageType, body, text: textOf(m) ?? '' });
        });
      // The same stored file, referenced again (never copied): still there, not expired.
      for (const m of messages) if (m.body.file) await this.#attachable(m.body.file.id, principal.accountId, 'forward');
    } else {
      const names = await this.#accounts.profiles.publicProfiles(sources.map((m) => m.senderId));
      const items: ForwardItem[] = sources.map((m) => {
        const text = textOf(m);
        return { senderName: names.get(m.senderId)?.nickname ?? '', sentAt: m.sentAt, type: m.type, ...(text !== undefined ? { text } : {}) };
      });
      const title = input.title || (await this.#historyTitle(principal, input.from));
      messages.push({ clientMsgId: input.clientMsgId, type: 'forward', body: { forward: { title, items } }, text: title });
    }
    const results: ForwardResult[] = [];
    for (const target of targets) {
      try {
        const conversation = (await this.#store.get(target))!;
        const members = await this.#store.members(target);
        const sent = [];
        for (const m of messages) {
          const { message } = await this.#deliver(principal, conversation, members, { type: m.type, text: m.text }, m);
          sent.push({ id: message.id, seq: message.seq, sentAt: message.sentAt });
        }
        results.push({ conversationId: target, sent });
      } catch (error) {
        if (!(error instanceof ImError)) throw error;
        results.push({ conversationId: target, error: { code: error.code, message: error.message } });
      }
    }
    return { results };
  }

  /** A merged forward's default title: the group's name, or the two people's names. */
  async #historyTitle(principal: Principal, conversationId: string): Promise<string> {
    const conversation = (await this.#store.get(conversationId))!;
    if (conversation.meta?.name) return conversation.meta.name;
    const members = await this.#store.members(conversationId);
    const names = await this.#accounts.profiles.publicProfiles(members.map((m) => m.userId));
    const own = names.get(principal.accountId)?.nickname ?? '';
    const other = members.find((m) => m.userId !== principal.accountId);
    return [own, other ? (names.get(other.userId)?.nickname ?? '') : ''].filter(Boolean).join(' & ');
  }

  /**
   * "Typing…": passed on to the other person of a direct conversation
   * (`im.typing`, their devices only), never stored. At most one a second
   * per person and conversation goes on; the rest, and any to someone who
   * blocked you, are dropped without an error (a client sends them freely).
   */
  async typing(principal: Principal, conversationId: string): Promise<void> {
    await this.#member(principal, conversationId);
    const conversation = (await this.#store.get(conversationId))!;
    if (conversation.kind !== 'direct') throw new ImError('BAD_REQUEST', 'typing is shown in one-to-one conversations');
    const now = this.#now();
    const key = `${principal.accountId}|${conversationId}`;
    const last = this.#typingAt.get(key);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) return;
    if (this.#typingAt.size >= TYPING_ENTRIES) {
      for (const [k, at] of this.#typingAt) if (now - at >= TYPING_INTERVAL_MS) this.#typingAt.delete(k);
    }
    this.#typingAt.set(key, now);
    const peer = (await this.#store.members(conversationId)).find((m) => m.userId !== principal.accountId);
    if (!peer || !(await this.#contacts.mayReach(principal.accountId, peer.userId))) return;
    this.#hub.publish('im.typing', [peer.userId], { conversationId, userId: principal.accountId });
  }

  /**
   * The messages of a conversation that changed (new, edited, recalled) after
   * `afterRev` and up to `uptoRev`, in rev order, at most `limit`, each as its
   * live event shows it: the sync's catch-up (it has checked the membership).
   */
  async changes(conversationId: string, afterRev: number, uptoRev: number, limit: number): Promise<{ rev: number; message: MessageView }[]> {
    const changed = (await this.#store.changedSince(conversationId, afterRev, limit)).filter((m) => m.rev <= uptoRev);
    // Quotes as the quoted messages are now: a recalled one's words must not come back through catch-up.
    const views = await this.#views(changed);
    return changed.map((m, i) => ({ rev: m.rev, message: views[i]! }));
  }

  async markRead(principal: Principal, conversationId: string, seq: number): Promise<{ readSeq: number; unread: number }> {
    await this.#member(principal, conversationId);
    const before = (await this.#store.membership(conversationId, principal.accountId))!.readSeq;
    const readSeq = await this.#store.markRead(conversationId, principal.accountId, seq);
    const conversation = await this.#store.get(conversationId);
    if (readSeq > before) {
      const members = (await this.#store.members(conversationId)).map((m) => m.userId);
      this.#hub.publish('im.read', members, { conversationId, userId: principal.accountId, readSeq });
    }
    for (const hook of this.#readHooks) await hook(principal.accountId, conversationId);
    return { readSeq, unread: Math.max(0, (conversation?.lastSeq ?? 0) - readSeq) };
  }

  async #member(principal: Principal, conversationId: string): Promise<void> {
    await this.#membership(principal, conversationId);
  }

  async #membership(principal: Principal, conversationId: string): Promise<Membership> {
    const membership = await this.#store.membership(conversationId, principal.accountId);
    if (!membership) throw new ImError('NOT_FOUND', 'no such conversation');
    return membership;
  }

  /** A message of a conversation the caller is in (checked before): NOT_FOUND if it is not there. */
  async #message(conversationId: string, messageId: string): Promise<StoredMessage> {
    const message = await this.#store.byId(conversationId, messageId);
    if (!message) throw new ImError('NOT_FOUND', 'no such message');
    return message;
  }

  async #view(principal: Principal, conversationId: string): Promise<ConversationView | null> {
    const [view] = await this.#build(principal, await this.#store.overview(principal.accountId, { ids: [conversationId] }));
    return view ?? null;
  }

  /**
   * Conversation views from the overview's rows: the last messages in one
   * query (one more per conversation whose last message the person hid:
   * rare), the direct peers' profiles in one, and the quotes of last
   * messages that are replies in one.
   */
  async #build(principal: Principal, rows: Awaited<ReturnType<ConversationRepository['overview']>>): Promise<ConversationView[]> {
    if (rows.length === 0) return [];
    const lasts = await this.#store.lastMessages(rows.map((r) => r.conversation.id), principal.accountId);
    const last = new Map<string, StoredMessage>();
    for (const row of rows) {
      const found = lasts.get(row.conversation.id);
      if (found && !found.hidden) last.set(row.conversation.id, found.message);
      else if (found) {
        const [earlier] = await this.#store.messages(row.conversation.id, { beforeSeq: found.message.seq, limit: 1, viewerId: principal.accountId });
        if (earlier) last.set(row.conversation.id, earlier);
      }
    }
    const lastViews = new Map((await this.#views([...last.values()])).map((v) => [v.conversationId, v]));
    const peerIds = rows.flatMap((r) => (r.peer ? [r.peer.userId] : []));
    const profiles = peerIds.length > 0 ? await this.#accounts.profiles.publicProfiles(peerIds) : new Map();
    return rows.map(({ conversation, membership, peer }) => ({
      id: conversation.id,
      kind: conversation.kind,
      peer: (peer && profiles.get(peer.userId)) ?? null,
      name: conversation.meta?.name ?? null,
      lastSeq: conversation.lastSeq,
      readSeq: membership.readSeq,
      ...(conversation.kind === 'direct' ? { peerReadSeq: peer?.readSeq ?? 0 } : {}),
      unread: Math.max(0, conversation.lastSeq - membership.readSeq),
      lastMessage: lastViews.get(conversation.id) ?? null,
      updatedAt: conversation.updatedAt,
    }));
  }
}

/** What a message body keeps of its file: everything but the retention state, which is read when it is viewed. */
function snapshot(file: FileView): Omit<FileView, 'expired'> {
  const { expired: _expired, ...kept } = file;
  return kept;
}
