import crypto from 'node:crypto';
import type { Accounts, Principal } from '@muster/accounts';
import { ImError } from '../errors.ts';
import { MAX_GROUP_MEMBERS, MAX_TEXT_BYTES, type ConversationView, type MessageView, type SystemNotice } from '../protocol.ts';
import type { Conversation, ConversationRepository, Membership, StoredMessage } from '../store/ConversationRepository.ts';
import type { ImHub } from './ImHub.ts';
import type { Contacts } from './Contacts.ts';

/** Conversations listed at once, most recently active first. */
const CONVERSATIONS_LISTED = 200;
const DEFAULT_PAGE = 50;

export interface ConversationsOptions {
  conversations: ConversationRepository;
  contacts: Contacts;
  accounts: Accounts;
  /** Where live events go (the socket layer and the sync long-poll listen). */
  hub: ImHub;
  now?: () => number;
}

/** What a send check sees: it throws an ImError to refuse the message (nothing is stored then). */
export interface SendAttempt {
  principal: Principal;
  conversation: Conversation;
  /** Everyone in the conversation but the sender. */
  others: readonly Membership[];
  input: { text: string; mentions?: string[] };
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
export type ViewDecorator = (userId: string, views: ConversationView[]) => Promise<ConversationView[]>;

/**
 * One-to-one conversations and their messages (groups come next): open one
 * with a contact, send text (at most 2048 bytes of UTF-8; a retry with the
 * same client id returns the first message), read by seq ranges, move the
 * read pointer. Only members reach a conversation: anyone else gets
 * NOT_FOUND, so a probe cannot tell one exists. A person who blocked the
 * sender refuses their messages (REFUSED_BY_RECIPIENT), and nothing is stored.
 */
export class Conversations {
  readonly #store: ConversationRepository;
  readonly #contacts: Contacts;
  readonly #accounts: Accounts;
  readonly #now: () => number;
  readonly #hub: ImHub;
  readonly #sendChecks: SendCheck[] = [];
  readonly #decorators: ViewDecorator[] = [];

  constructor(options: ConversationsOptions) {
    this.#store = options.conversations;
    this.#contacts = options.contacts;
    this.#accounts = options.accounts;
    this.#hub = options.hub;
    this.#now = options.now ?? Date.now;
  }

  /** Adds a rule every message must pass before it is stored (see SendCheck). */
  useSendCheck(check: SendCheck): void {
    this.#sendChecks.push(check);
  }

  /** Adds a decorator of the views list() returns (see ViewDecorator). */
  useViewDecorator(decorator: ViewDecorator): void {
    this.#decorators.push(decorator);
  }

  /**
   * Stores a system notice in a conversation (someone joined, left, renamed
   * it…) under the next seq, like any message, and delivers it live to every
   * member. `actorId` is its sender; the notice is never refused.
   */
  async appendSystem(conversationId: string, notice: SystemNotice): Promise<MessageView> {
    const { message } = await this.#store.append({
      id: `msg${crypto.randomBytes(12).toString('base64url')}`,
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
    if (!(await this.#contacts.isContact(principal.accountId, userId))) throw new ImError('NOT_FOUND', 'no such contact');
    if (!(await this.#contacts.mayReach(principal.accountId, userId))) throw new ImError('REFUSED_BY_RECIPIENT', 'this person does not accept your messages');
    const conversation = await this.#store.openDirect(`cv${crypto.randomBytes(12).toString('base64url')}`, principal.accountId, userId, this.#now());
    return (await this.#view(principal, conversation.id))!;
  }

  /**
   * A group made from the owner's contacts (at most 1000 people with the
   * owner). Guests cannot make groups. Its conversation id is its id.
   */
  async createGroup(principal: Principal, input: { name: string; members: string[]; temporary?: boolean }): Promise<{ id: string; conversationId: string; name: string; members: number; temporary: boolean; createdAt: number }> {
    if (principal.role === 'guest') throw new ImError('FORBIDDEN', 'guest accounts cannot make groups');
    const members = [...new Set(input.members)].filter((m) => m !== principal.accountId);
    if (members.length === 0) throw new ImError('BAD_REQUEST', 'a group needs someone besides you');
    if (members.length + 1 > MAX_GROUP_MEMBERS) throw new ImError('BAD_REQUEST', `a group holds at most ${MAX_GROUP_MEMBERS} people`);
    const mine = await this.#contacts.contactIds(principal.accountId);
    const stranger = members.find((m) => !mine.has(m));
    if (stranger) throw new ImError('BAD_REQUEST', `${stranger} is not one of your contacts`);
    const id = `cv${crypto.randomBytes(12).toString('base64url')}`;
    const conversation = await this.#store.createGroup(id, principal.accountId, members, { name: input.name, notice: '', temporary: input.temporary ?? false }, this.#now());
    return { id, conversationId: id, name: input.name, members: members.length + 1, temporary: conversation.meta!.temporary, createdAt: conversation.createdAt };
  }

  async list(principal: Principal): Promise<ConversationView[]> {
    const rows = await this.#store.listFor(principal.accountId, CONVERSATIONS_LISTED);
    const views = await Promise.all(rows.map((row) => this.#view(principal, row.conversation.id)));
    let listed = views.filter((v): v is ConversationView => v !== null);
    for (const decorate of this.#decorators) listed = await decorate(principal.accountId, listed);
    return listed;
  }

  async send(principal: Principal, conversationId: string, input: { clientMsgId: string; text: string; replyTo?: string | null; mentions?: string[] }): Promise<{ id: string; seq: number; sentAt: number; duplicate: boolean }> {
    await this.#member(principal, conversationId);
    if (Buffer.byteLength(input.text, 'utf8') > MAX_TEXT_BYTES) {
      throw new ImError('TEXT_TOO_LONG', `a text message is at most ${MAX_TEXT_BYTES} bytes of UTF-8 (${Buffer.byteLength(input.text, 'utf8')} given)`);
    }
    if (input.text.trim() === '') throw new ImError('BAD_REQUEST', 'an empty message says nothing');
    const conversation = (await this.#store.get(conversationId))!;
    const others = (await this.#store.members(conversationId)).filter((m) => m.userId !== principal.accountId);
    // A block is between two people: it refuses one-to-one messages, not a group's.
    if (conversation.kind === 'direct') {
      for (const other of others) {
        if (!(await this.#contacts.mayReach(principal.accountId, other.userId))) throw new ImError('REFUSED_BY_RECIPIENT', 'this person does not accept your messages');
      }
    }
    for (const check of this.#sendChecks) await check({ principal, conversation, others, input });
    const body = { text: input.text, ...(input.replyTo ? { replyTo: input.replyTo } : {}), ...(input.mentions?.length ? { mentions: [...new Set(input.mentions)] } : {}) };
    const members = [principal.accountId, ...others.map((m) => m.userId)];
    const { message, duplicate } = await this.#store.append({
      id: `msg${crypto.randomBytes(12).toString('base64url')}`,
      conversationId,
      senderId: principal.accountId,
      clientMsgId: input.clientMsgId,
      type: 'text',
      body,
      sentAt: this.#now(),
    });
    // A retry was delivered the first time; catch-up covers a device that missed it.
    if (!duplicate) this.#hub.publish('im.message', members, messageView(message));
    return { id: message.id, seq: message.seq, sentAt: message.sentAt, duplicate };
  }

  async messages(principal: Principal, conversationId: string, range: { afterSeq?: number; beforeSeq?: number; limit?: number }): Promise<MessageView[]> {
    await this.#member(principal, conversationId);
    return (await this.#store.messages(conversationId, { ...range, limit: range.limit ?? DEFAULT_PAGE })).map(messageView);
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
    return { readSeq, unread: Math.max(0, (conversation?.lastSeq ?? 0) - readSeq) };
  }

  async #member(principal: Principal, conversationId: string): Promise<void> {
    if (!(await this.#store.membership(conversationId, principal.accountId))) throw new ImError('NOT_FOUND', 'no such conversation');
  }

  async #view(principal: Principal, conversationId: string): Promise<ConversationView | null> {
    const [conversation, membership] = await Promise.all([this.#store.get(conversationId), this.#store.membership(conversationId, principal.accountId)]);
    if (!conversation || !membership) return null;
    let peer: ConversationView['peer'] = null;
    if (conversation.kind === 'direct') {
      const other = (await this.#store.members(conversationId)).find((m) => m.userId !== principal.accountId);
      const profile = other ? (await this.#accounts.profiles.publicProfiles([other.userId])).get(other.userId) : undefined;
      if (profile) peer = profile;
    }
    const [last] = await this.#store.messages(conversationId, { limit: 1 });
    return {
      id: conversation.id,
      kind: conversation.kind,
      peer,
      name: conversation.meta?.name ?? null,
      lastSeq: conversation.lastSeq,
      readSeq: membership.readSeq,
      unread: Math.max(0, conversation.lastSeq - membership.readSeq),
      lastMessage: last ? messageView(last) : null,
      updatedAt: conversation.updatedAt,
    };
  }
}

function messageView(m: StoredMessage): MessageView {
  return {
    id: m.id,
    conversationId: m.conversationId,
    seq: m.seq,
    senderId: m.senderId,
    type: m.type,
    ...(m.body.text !== undefined ? { text: m.body.text } : {}),
    ...(m.body.replyTo ? { replyTo: m.body.replyTo } : {}),
    ...(m.body.mentions ? { mentions: m.body.mentions } : {}),
    ...(m.body.notice ? { notice: m.body.notice } : {}),
    sentAt: m.sentAt,
  };
}
