import type { FileView, SystemNotice } from '../protocol.ts';
import { isUniqueViolation, openEach, type ConversationsTable, type Database, type MessagesTable, type WriteFn } from '@muster/db';

export type ConversationKind = 'direct' | 'group';
export type MemberRole = 'owner' | 'admin' | 'member';

/** A group's description, sealed. */
export interface GroupMeta {
  name: string;
  notice: string;
  /** Temporary groups are cleared when idle (see the console's setting). */
  temporary: boolean;
}

export interface Conversation {
  id: string;
  kind: ConversationKind;
  /** Groups: name, notice, temporary; null for direct conversations. */
  meta: GroupMeta | null;
  lastSeq: number;
  /** The last change to its messages (new, edited, recalled): catch-up asks for what changed after a rev. */
  lastRev: number;
  createdAt: number;
  updatedAt: number;
}

export interface Membership {
  conversationId: string;
  userId: string;
  role: MemberRole;
  readSeq: number;
  joinedAt: number;
}

/** A reply's snapshot of the message it answers, taken when the reply is sent. */
export interface QuoteSnapshot {
  id: string;
  seq: number;
  senderId: string;
  type: string;
  /** At most 100 characters of its text; absent for a system notice. */
  excerpt?: string;
}

/** One message of a merged forward, as it was when forwarded. */
export interface ForwardItem {
  senderName: string;
  sentAt: number;
  type: string;
  text?: string;
}

/**
 * What a message says: sealed as one value. Each type fills its own part:
 * text and emoji `text`, system `notice`, forward `forward`; image, voice,
 * video and file `file`: a snapshot of the file as it was sent (the file id
 * is also in message_files, plain, for access checks and retention). A
 * recall replaces the whole body with `recalled`.
 */
export interface MessageBody {
  text?: string;
  /** Type system: what happened. */
  notice?: SystemNotice;
  mentions?: string[];
  mentionAll?: boolean;
  replyTo?: string | null;
  quote?: QuoteSnapshot;
  /** Type forward: a merged chat history. */
  forward?: { title: string; items: ForwardItem[] };
  /** Set by an edit. */
  editedAt?: number;
  /** Types image, video, voice and file: the file as sent (its `expired` comes from the files domain when viewed). */
  file?: Omit<FileView, 'expired'>;
  /** Set by a recall, which removes everything else. */
  recalled?: { by: string; at: number };
}

export interface StoredMessage {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  type: string;
  body: MessageBody;
  sentAt: number;
  /** The conversation's rev when this message last changed. */
  rev: number;
}

const metaAad = (id: string) => ({ table: 'conversations', column: 'meta', rowId: id });
const bodyAad = (conversationId: string, seq: number) => ({ table: 'messages', column: 'body', rowId: `${conversationId}/${seq}` });

/** The key of the one direct conversation of two people, whoever opens it. */
export function directKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * Conversations, members and messages, either engine, in the OpenIM model:
 * each conversation has a gap-free seq allocated in the transaction that
 * stores the message (never in memory: every process shares it); a message
 * is one row whatever the number of members; each member has a read
 * pointer, and unread is last_seq − read_seq. Message bodies are sealed.
 */
export class ConversationRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The direct conversation of two people, made (with both as members) if there is none. */
  async openDirect(id: string, a: string, b: string, at: number): Promise<Conversation> {
    const key = directKey(a, b);
    const existing = await this.#db.kysely.selectFrom('conversations').selectAll().where('direct_key', '=', key).executeTakeFirst();
    if (existing) return this.#toConversation(existing);
    try {
      await this.#db.writer.write(async (trx) => {
        await trx.insertInto('conversations').values({ id, kind: 'direct', direct_key: key, last_seq: 0, last_rev: 0, meta: null, created_at: at, updated_at: at }).execute();
        await trx
          .insertInto('conversation_members')
          .values([a, b].map((userId) => ({ conversation_id: id, user_id: userId, role: 'member' as const, read_seq: 0, joined_at: at })))
          .execute();
      });
    } catch (error) {
      // Both opened it at once (another process): theirs stands.
      if (!isUniqueViolation(error)) throw error;
    }
    const row = await this.#db.kysely.selectFrom('conversations').selectAll().where('direct_key', '=', key).executeTakeFirstOrThrow();
    return this.#toConversation(row);
  }

  async get(id: string): Promise<Conversation | null> {
    const row = await this.#db.kysely.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.#toConversation(row) : null;
  }

  /** A group with its owner and members, in one write (members in batches: a 1000-member group is fine on both engines). */
  async createGroup(id: string, ownerId: string, memberIds: readonly string[], meta: GroupMeta, at: number, within?: WriteFn<void>): Promise<Conversation> {
    await this.#db.writer.write(async (trx) => {
      await trx.insertInto('conversations').values({ id, kind: 'group', direct_key: null, last_seq: 0, last_rev: 0, meta: this.#db.sealer.sealJson(meta, metaAad(id)), created_at: at, updated_at: at }).execute();
      const rows = [ownerId, ...memberIds.filter((m) => m !== ownerId)].map((userId) => ({
        conversation_id: id,
        user_id: userId,
        role: userId === ownerId ? ('owner' as const) : ('member' as const),
        read_seq: 0,
        joined_at: at,
      }));
      for (let i = 0; i < rows.length; i += 200) await trx.insertInto('conversation_members').values(rows.slice(i, i + 200)).execute();
      // The group's own settings row (Groups), committed with it or not at all.
      await within?.(trx);
    });
    return (await this.get(id))!;
  }

  async countMembers(conversationId: string): Promise<number> {
    const row = await this.#db.kysely.selectFrom('conversation_members').select((eb) => eb.fn.countAll<number>().as('n')).where('conversation_id', '=', conversationId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async membership(conversationId: string, userId: string): Promise<Membership | null> {
    const row = await this.#db.kysely.selectFrom('conversation_members').selectAll().where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
    return row ? toMembership(row) : null;
  }

  async members(conversationId: string): Promise<Membership[]> {
    const rows = await this.#db.kysely.selectFrom('conversation_members').selectAll().where('conversation_id', '=', conversationId).orderBy('joined_at').orderBy('user_id').execute();
    return rows.map(toMembership);
  }

  /** A person's conversations with their membership, most recently active first. */
  async listFor(userId: string, limit: number): Promise<{ conversation: Conversation; membership: Membership }[]> {
    const rows = await this.#db.kysely
      .selectFrom('conversation_members as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .selectAll('c')
      .select(['m.role', 'm.read_seq', 'm.joined_at', 'm.user_id'])
      .where('m.user_id', '=', userId)
      .orderBy('c.updated_at', 'desc')
      .orderBy('c.id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      conversation: this.#toConversation(row),
      membership: { conversationId: row.id, userId: row.user_id, role: row.role, readSeq: Number(row.read_seq), joinedAt: Number(row.joined_at) },
    }));
  }

  /**
   * Stores a message under the next seq, in one write: the seq is taken and
   * the row inserted together. A send repeated with the same client id
   * returns the message first stored (`duplicate: true`), never a second one.
   */
  async append(message: Omit<StoredMessage, 'seq' | 'rev'>): Promise<{ message: StoredMessage; duplicate: boolean }> {
    // A retry is rare: it is looked for inside the write only, not by a read before it too.
    try {
      return await this.#db.writer.write(async (trx) => {
        const again = await trx
          .selectFrom('messages')
          .selectAll()
          .where('conversation_id', '=', message.conversationId)
          .where('sender_id', '=', message.senderId)
          .where('client_msg_id', '=', message.clientMsgId)
          .executeTakeFirst();
        if (again) return { message: this.#toMessage(again), duplicate: true };
        // The row lock of this update orders concurrent senders on PostgreSQL; SQLite has one writer.
        const bumped = await trx
          .updateTable('conversations')
          .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_rev: eb('last_rev', '+', 1), updated_at: message.sentAt }))
          .where('id', '=', message.conversationId)
          .returning(['last_seq', 'last_rev'])
          .executeTakeFirstOrThrow();
        const seq = Number(bumped.last_seq);
        const rev = Number(bumped.last_rev);
        await trx
          .insertInto('messages')
          .values({
            conversation_id: message.conversationId,
            seq,
            id: message.id,
            sender_id: message.senderId,
            client_msg_id: message.clientMsgId,
            type: message.type,
            body: this.#db.sealer.sealJson(message.body, bodyAad(message.conversationId, seq)),
            sent_at: message.sentAt,
            rev,
          })
          .execute();
        if (message.body.file) await trx.insertInto('message_files').values({ conversation_id: message.conversationId, seq, file_id: message.body.file.id }).execute();
        // The sender has read what they sent.
        await trx
          .updateTable('conversation_members')
          .set({ read_seq: seq })
          .where('conversation_id', '=', message.conversationId)
          .where('user_id', '=', message.senderId)
          .where('read_seq', '<', seq)
          .execute();
        return { message: { ...message, seq, rev }, duplicate: false };
      }, { lockKey: message.conversationId });
    } catch (error) {
      // The same client id from two processes at once: the first one stored stands.
      if (!isUniqueViolation(error)) throw error;
      const first = await this.#byClientId(message.conversationId, message.senderId, message.clientMsgId);
      if (!first) throw error;
      return { message: first, duplicate: true };
    }
  }

  /**
   * Messages with afterSeq < seq < beforeSeq, oldest first, at most `limit`
   * (the newest ones when only beforeSeq bounds them). With `viewerId`, the
   * ones that person deleted for themselves are left out.
   */
  async messages(conversationId: string, range: { afterSeq?: number; beforeSeq?: number; limit: number; viewerId?: string }): Promise<StoredMessage[]> {
    let query = this.#db.kysely.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId);
    if (range.afterSeq !== undefined) query = query.where('seq', '>', range.afterSeq);
    if (range.beforeSeq !== undefined) query = query.where('seq', '<', range.beforeSeq);
    if (range.viewerId !== undefined) {
      const viewerId = range.viewerId;
      query = query.where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('message_hides as h').select('h.seq').where('h.user_id', '=', viewerId).whereRef('h.conversation_id', '=', 'messages.conversation_id').whereRef('h.seq', '=', 'messages.seq'))),
      );
    }
    // Paging back in history takes the newest below beforeSeq; catching up takes the oldest above afterSeq.
    const newestFirst = range.afterSeq === undefined;
    const rows = await query.orderBy('seq', newestFirst ? 'desc' : 'asc').limit(range.limit).execute();
    const messages = openEach(this.#db, 'messages', rows, (row) => this.#toMessage(row));
    return newestFirst ? messages.reverse() : messages;
  }

  /** Messages that changed (sent, edited, recalled) after `afterRev`, in rev order, at most `limit`: catch-up on changes. */
  async changedSince(conversationId: string, afterRev: number, limit: number): Promise<StoredMessage[]> {
    const rows = await this.#db.kysely
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('rev', '>', afterRev)
      .orderBy('rev')
      .limit(limit)
      .execute();
    return openEach(this.#db, 'messages', rows, (row) => this.#toMessage(row));
  }

  /** One message of a conversation by its id (null if it is not in that conversation). */
  async byId(conversationId: string, id: string): Promise<StoredMessage | null> {
    const row = await this.#db.kysely.selectFrom('messages').selectAll().where('id', '=', id).where('conversation_id', '=', conversationId).executeTakeFirst();
    return row ? this.#toMessage(row) : null;
  }

  /** The messages of a conversation with these ids, in seq order; ids elsewhere are left out. */
  async byIds(conversationId: string, ids: readonly string[]): Promise<StoredMessage[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.kysely.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('id', 'in', [...ids]).orderBy('seq').execute();
    return openEach(this.#db, 'messages', rows, (row) => this.#toMessage(row));
  }

  /** The messages of a conversation at these seqs, in seq order. */
  async bySeqs(conversationId: string, seqs: readonly number[]): Promise<StoredMessage[]> {
    if (seqs.length === 0) return [];
    const rows = await this.#db.kysely.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('seq', 'in', [...new Set(seqs)]).orderBy('seq').execute();
    return openEach(this.#db, 'messages', rows, (row) => this.#toMessage(row));
  }

  /**
   * Changes a message's body (an edit, a recall) under the conversation's
   * next rev, taken in the same write as append takes one, so catch-up by
   * rev sees the change. `change` gets the message as it is inside that
   * write, after the conversation's row is locked (every append and change
   * takes that lock first), so two changes at once cannot undo each other:
   * an edit racing a recall sees the recall. It returns the new body, or
   * null to leave the message as it is (nothing is written, no rev taken);
   * what it throws rolls the write back. The seq, sender and time stay; the
   * conversation's place in the list does not move. Null if there is no such message.
   */
  async changeBody(conversationId: string, seq: number, change: (current: StoredMessage) => MessageBody | null): Promise<{ message: StoredMessage; changed: boolean } | null> {
    try {
      return await this.#db.writer.write(async (trx) => {
        const bumped = await trx
          .updateTable('conversations')
          .set((eb) => ({ last_rev: eb('last_rev', '+', 1) }))
          .where('id', '=', conversationId)
          .returning(['last_rev'])
          .executeTakeFirst();
        const row = bumped && (await trx.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('seq', '=', seq).executeTakeFirst());
        if (!row) throw new Unchanged(null);
        const current = this.#toMessage(row);
        const body = change(current);
        if (body === null) throw new Unchanged(current);
        const rev = Number(bumped.last_rev);
        await trx
          .updateTable('messages')
          .set({ body: this.#db.sealer.sealJson(body, bodyAad(conversationId, seq)), rev })
          .where('conversation_id', '=', conversationId)
          .where('seq', '=', seq)
          .execute();
        // A recall takes the file with the rest of the content: nobody reads it through this message any more.
        if (current.body.file && !body.file) await trx.deleteFrom('message_files').where('conversation_id', '=', conversationId).where('seq', '=', seq).execute();
        return { message: { ...current, body, rev }, changed: true };
      }, { lockKey: conversationId });
    } catch (error) {
      // Nothing to write: the rev taken above is rolled back with the rest.
      if (!(error instanceof Unchanged)) throw error;
      return error.current ? { message: error.current, changed: false } : null;
    }
  }

  /**
   * Whether a message of a conversation `userId` is a member of carries this
   * file: the IM answer to the files domain's canRead.
   */
  async readsFile(fileId: string, userId: string): Promise<boolean> {
    const row = await this.#db.kysely
      .selectFrom('message_files as f')
      .innerJoin('conversation_members as m', (join) => join.onRef('m.conversation_id', '=', 'f.conversation_id').on('m.user_id', '=', userId))
      .select('f.seq')
      .where('f.file_id', '=', fileId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * The seqs of a conversation's first and last message sent within
   * [from, to] (ms); null when none was. Two index reads (messages_sent_at):
   * the chat export pages through that range, and bounds its size by it,
   * before reading a message.
   */
  async seqRangeByTime(conversationId: string, from: number, to: number): Promise<{ first: number; last: number } | null> {
    const bound = (direction: 'asc' | 'desc') =>
      this.#db.kysely
        .selectFrom('messages')
        .select('seq')
        .where('conversation_id', '=', conversationId)
        .where('sent_at', '>=', from)
        .where('sent_at', '<=', to)
        .orderBy('sent_at', direction)
        .orderBy('seq', direction)
        .limit(1)
        .executeTakeFirst();
    const [first, last] = await Promise.all([bound('asc'), bound('desc')]);
    if (!first || !last) return null;
    return { first: Math.min(Number(first.seq), Number(last.seq)), last: Math.max(Number(first.seq), Number(last.seq)) };
  }

  /** Which of these seqs of a conversation a person hid. */
  async hiddenSeqs(userId: string, conversationId: string, seqs: readonly number[]): Promise<Set<number>> {
    if (seqs.length === 0) return new Set();
    const rows = await this.#db.kysely
      .selectFrom('message_hides')
      .select('seq')
      .where('user_id', '=', userId)
      .where('conversation_id', '=', conversationId)
      .where('seq', 'in', [...new Set(seqs)])
      .execute();
    return new Set(rows.map((r) => Number(r.seq)));
  }

  /** The messages at these places, across conversations, in one query per 200 (the messages replies quote). */
  async byKeys(keys: readonly { conversationId: string; seq: number }[]): Promise<StoredMessage[]> {
    const found: StoredMessage[] = [];
    for (let i = 0; i < keys.length; i += 200) {
      const chunk = keys.slice(i, i + 200);
      const rows = await this.#db.kysely
        .selectFrom('messages')
        .selectAll()
        .where(({ or, and, eb }) => or(chunk.map((k) => and([eb('conversation_id', '=', k.conversationId), eb('seq', '=', k.seq)]))))
        .execute();
      found.push(...openEach(this.#db, 'messages', rows, (row) => this.#toMessage(row)));
    }
    return found;
  }

  /** "Delete for me": hides these messages from one person (again is a no-op). */
  async hide(userId: string, conversationId: string, seqs: readonly number[], at: number): Promise<void> {
    if (seqs.length === 0) return;
    await this.#db.writer.write(async (trx) => {
      await trx
        .insertInto('message_hides')
        .values([...new Set(seqs)].map((seq) => ({ user_id: userId, conversation_id: conversationId, seq, at })))
        .onConflict((oc) => oc.columns(['user_id', 'conversation_id', 'seq']).doNothing())
        .execute();
    });
  }

  /** A person's hides made after `afterAt`, oldest first, at most `limit` (sync: what their other devices must hide). */
  async hiddenSince(userId: string, afterAt: number, limit: number): Promise<{ conversationId: string; seq: number; at: number }[]> {
    const rows = await this.#db.kysely
      .selectFrom('message_hides')
      .select(['conversation_id', 'seq', 'at'])
      .where('user_id', '=', userId)
      .where('at', '>', afterAt)
      .orderBy('at')
      .orderBy('conversation_id')
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ conversationId: r.conversation_id, seq: Number(r.seq), at: Number(r.at) }));
  }

  /**
   * A person's conversations, most recently active first, each with their
   * membership and, for direct ones, the other member's (their id and read
   * pointer): one query, whatever the number of conversations.
   */
  async overview(userId: string, which: { limit: number } | { ids: readonly string[] }): Promise<{ conversation: Conversation; membership: Membership; peer: Membership | null }[]> {
    if ('ids' in which && which.ids.length === 0) return [];
    let query = this.#db.kysely
      .selectFrom('conversation_members as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      // Only a direct conversation has a peer: for a group this join finds nothing (and does not multiply rows).
      .leftJoin('conversation_members as p', (join) => join.onRef('p.conversation_id', '=', 'm.conversation_id').onRef('p.user_id', '<>', 'm.user_id').on('c.kind', '=', 'direct'))
      .selectAll('c')
      .select(['m.role', 'm.read_seq', 'm.joined_at', 'm.user_id', 'p.user_id as peer_id', 'p.role as peer_role', 'p.read_seq as peer_read_seq', 'p.joined_at as peer_joined_at'])
      .where('m.user_id', '=', userId)
      .orderBy('c.updated_at', 'desc')
      .orderBy('c.id');
    query = 'ids' in which ? query.where('m.conversation_id', 'in', [...new Set(which.ids)]) : query.limit(which.limit);
    const rows = await query.execute();
    return rows.map((row) => ({
      conversation: this.#toConversation(row),
      membership: { conversationId: row.id, userId: row.user_id, role: row.role, readSeq: Number(row.read_seq), joinedAt: Number(row.joined_at) },
      peer:
        row.peer_id === null
          ? null
          : { conversationId: row.id, userId: row.peer_id, role: row.peer_role!, readSeq: Number(row.peer_read_seq), joinedAt: Number(row.peer_joined_at) },
    }));
  }

  /**
   * The last message of each of these conversations, in one query, with
   * whether `viewerId` hid it (then the caller looks further back for that
   * conversation alone: rare).
   */
  async lastMessages(conversationIds: readonly string[], viewerId: string): Promise<Map<string, { message: StoredMessage; hidden: boolean }>> {
    const found = new Map<string, { message: StoredMessage; hidden: boolean }>();
    // In chunks: a bound parameter list stays well under either engine's limit.
    for (let i = 0; i < conversationIds.length; i += 500) {
      const chunk = conversationIds.slice(i, i + 500);
      const rows = await this.#db.kysely
        .selectFrom('messages as msg')
        .innerJoin('conversations as c', (join) => join.onRef('c.id', '=', 'msg.conversation_id').onRef('c.last_seq', '=', 'msg.seq'))
        .leftJoin('message_hides as h', (join) => join.onRef('h.conversation_id', '=', 'msg.conversation_id').onRef('h.seq', '=', 'msg.seq').on('h.user_id', '=', viewerId))
        .selectAll('msg')
        .select('h.at as hidden_at')
        .where('msg.conversation_id', 'in', chunk)
        .execute();
      for (const message of openEach(this.#db, 'messages', rows, (row) => ({ message: this.#toMessage(row), hidden: row.hidden_at !== null }))) {
        found.set(message.message.conversationId, message);
      }
    }
    return found;
  }

  /** Moves a member's read pointer forward (never back), up to the conversation's last seq; returns it. */
  async markRead(conversationId: string, userId: string, seq: number): Promise<number> {
    return this.#db.writer.write(async (trx) => {
      const conversation = await trx.selectFrom('conversations').select('last_seq').where('id', '=', conversationId).executeTakeFirst();
      const target = Math.min(seq, Number(conversation?.last_seq ?? 0));
      await trx
        .updateTable('conversation_members')
        .set({ read_seq: target })
        .where('conversation_id', '=', conversationId)
        .where('user_id', '=', userId)
        .where('read_seq', '<', target)
        .execute();
      const row = await trx.selectFrom('conversation_members').select('read_seq').where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
      return Number(row?.read_seq ?? 0);
    }, { lockKey: conversationId });
  }

  /** How many rows a conversation's messages occupy (tests: one per message, whatever the members). */
  async countMessages(conversationId: string): Promise<number> {
    const row = await this.#db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('conversation_id', '=', conversationId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async #byClientId(conversationId: string, senderId: string, clientMsgId: string): Promise<StoredMessage | null> {
    const row = await this.#db.kysely
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('sender_id', '=', senderId)
      .where('client_msg_id', '=', clientMsgId)
      .executeTakeFirst();
    return row ? this.#toMessage(row) : null;
  }

  #toConversation(row: ConversationsTable): Conversation {
    return {
      id: row.id,
      kind: row.kind,
      meta: row.meta === null ? null : this.#db.sealer.openJson<GroupMeta>(row.meta, metaAad(row.id)),
      lastSeq: Number(row.last_seq),
      lastRev: Number(row.last_rev),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }

  #toMessage(row: MessagesTable): StoredMessage {
    const seq = Number(row.seq);
    return {
      id: row.id,
      conversationId: row.conversation_id,
      seq,
      senderId: row.sender_id,
      clientMsgId: row.client_msg_id,
      type: row.type,
      body: this.#db.sealer.openJson<MessageBody>(row.body, bodyAad(row.conversation_id, seq)),
      sentAt: Number(row.sent_at),
      rev: Number(row.rev),
    };
  }
}


/** Thrown inside changeBody's write to roll it back when there is nothing to change. */
class Unchanged extends Error {
  constructor(readonly current: StoredMessage | null) {
    super('unchanged');
  }
}

function toMembership(row: { conversation_id: string; user_id: string; role: MemberRole; read_seq: number; joined_at: number }): Membership {
  return { conversationId: row.conversation_id, userId: row.user_id, role: row.role, readSeq: Number(row.read_seq), joinedAt: Number(row.joined_at) };
}
