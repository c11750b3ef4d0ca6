import type { Database } from '@muster/db';

/**
 * The lock key of a conversation's index writes (see WriteOptions.lockKey):
 * its own, apart from the conversation's messages (another set of rows), and
 * after them in the order, so that an append and an index write of one
 * conversation always lock in the same order.
 */
const searchLockKey = (conversationId: string) => `${conversationId}~search`;

/** The Sealer.blindIndex kind of search terms: its own key, unrelated to the phone or any other index. */
export const SEARCH_TERM_KIND = 'search-term';
/** lag() looks at this many conversations behind at most, and at the oldest message of the first 100 of them. */
const LAG_SCAN = 10_000;
const LAG_OLDEST_SCAN = 100;
/** Rows per statement: 3 parameters a row stays far below either engine's limit. */
const CHUNK = 300;

/** How far a conversation's messages are indexed, and under which data key its terms are hashed. */
export interface IndexProgress {
  indexedRev: number;
  keyId: string;
}

/** One message's tokens (none: a recalled message, a notice): they replace whatever it had. */
export interface IndexedMessage {
  seq: number;
  tokens: readonly string[];
}

/** Where results continue: the last hit of the previous page. */
export interface SearchCursor {
  sentAt: number;
  conversationId: string;
  seq: number;
}

export interface SearchHitKey {
  conversationId: string;
  seq: number;
  sentAt: number;
}

export interface SearchQuery {
  /** The person searching: only conversations they are a member of, without the messages they deleted for themselves. */
  userId: string;
  /** Distinct tokens, all of which a message must have (AND). */
  tokens: readonly string[];
  conversationId?: string;
  beforeSeq?: number;
  before?: SearchCursor;
  limit: number;
}

/** A conversation whose index is behind: new revs, or terms hashed under a key that is not the active one. */
export interface BehindConversation {
  conversationId: string;
  lastRev: number;
  progress: IndexProgress | null;
}

/**
 * The message search index, either engine: `message_terms` holds one row
 * per distinct token of a message, the token as a keyed hash (HMAC under
 * a key derived from the data key; see Sealer.blindIndex), never the word;
 * `search_progress` says up to which rev each conversation is indexed and
 * under which data key. Writing a batch is compare-and-set on the progress
 * row, so two indexers (two processes) never interleave their batches.
 */
export class SearchIndexRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The key new terms are hashed under. */
  get activeKeyId(): string {
    return this.#db.sealer.activeKeyId;
  }

  /** A token's term under the active key. */
  term(token: string): string {
    return this.#db.sealer.searchTerm(SEARCH_TERM_KIND, token);
  }

  /** A token's term under every key held (during a rotation a conversation's terms may still be under the old one). */
  termCandidates(token: string): string[] {
    return this.#db.sealer.searchTermCandidates(SEARCH_TERM_KIND, token);
  }

  async progress(conversationId: string): Promise<IndexProgress | null> {
    const row = await this.#db.kysely.selectFrom('search_progress').select(['indexed_rev', 'key_id']).where('conversation_id', '=', conversationId).executeTakeFirst();
    return row ? { indexedRev: Number(row.indexed_rev), keyId: row.key_id } : null;
  }

  /** Conversations whose index is behind (least recently active first), at most `limit`. */
  async behind(limit: number): Promise<BehindConversation[]> {
    const active = this.activeKeyId;
    const rows = await this.#db.kysely
      .selectFrom('conversations as c')
      .leftJoin('search_progress as p', 'p.conversation_id', 'c.id')
      .select(['c.id', 'c.last_rev', 'p.indexed_rev', 'p.key_id'])
      .where((eb) =>
        eb.or([
          eb.and([eb('p.conversation_id', 'is', null), eb('c.last_rev', '>', 0)]),
          eb('c.last_rev', '>', eb.ref('p.indexed_rev')),
          eb('p.key_id', '<>', active),
        ]),
      )
      .orderBy('c.updated_at')
      .orderBy('c.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      conversationId: r.id,
      lastRev: Number(r.last_rev),
      progress: r.key_id === null || r.indexed_rev === null ? null : { indexedRev: Number(r.indexed_rev), keyId: r.key_id },
    }));
  }

  /**
   * One batch, in one write: moves the progress from `expected` to `next`
   * (compare-and-set: false, and nothing written, if another indexer moved
   * it first), deletes the terms of every message of the batch and inserts
   * their new ones. Terms are hashed before the write, under `next.keyId`,
   * which must be the active key read before hashing.
   */
  async apply(conversationId: string, expected: IndexProgress | null, next: IndexProgress, messages: readonly IndexedMessage[], at: number): Promise<boolean> {
    const rows: { conversation_id: string; term: string; seq: number }[] = [];
    for (const message of messages) {
      const terms = new Set(message.tokens.map((token) => this.term(token)));
      for (const term of terms) rows.push({ conversation_id: conversationId, term, seq: message.seq });
    }
    const seqs = [...new Set(messages.map((m) => m.seq))];
    return this.#db.writer.write(async (trx) => {
      if (expected === null) {
        const inserted = await trx
          .insertInto('search_progress')
          .values({ conversation_id: conversationId, indexed_rev: next.indexedRev, key_id: next.keyId, updated_at: at })
          .onConflict((oc) => oc.column('conversation_id').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
      } else {
        const updated = await trx
          .updateTable('search_progress')
          .set({ indexed_rev: next.indexedRev, key_id: next.keyId, updated_at: at })
          .where('conversation_id', '=', conversationId)
          .where('indexed_rev', '=', expected.indexedRev)
          .where('key_id', '=', expected.keyId)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return false;
      }
      for (let i = 0; i < seqs.length; i += CHUNK) {
        await trx.deleteFrom('message_terms').where('conversation_id', '=', conversationId).where('seq', 'in', seqs.slice(i, i + CHUNK)).execute();
      }
      for (let i = 0; i < rows.length; i += CHUNK) {
        await trx
          .insertInto('message_terms')
          .values(rows.slice(i, i + CHUNK))
          .onConflict((oc) => oc.columns(['conversation_id', 'term', 'seq']).doNothing())
          .execute();
      }
      return true;
    }, { lockKey: searchLockKey(conversationId) });
  }

  /** Drops a conversation's index (it is gone: dissolved and cleared). */
  async forget(conversationId: string): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx.deleteFrom('message_terms').where('conversation_id', '=', conversationId).execute();
      await trx.deleteFrom('search_progress').where('conversation_id', '=', conversationId).execute();
    }, { lockKey: searchLockKey(conversationId) });
  }

  /**
   * The messages having every token, newest first (by time sent, then
   * conversation and seq), in the person's conversations, without those
   * they deleted for themselves. Candidates only: the caller checks each
   * against the opened message (an edit or recall the index has not caught
   * up with yet, or a hash collision).
   */
  async search(query: SearchQuery): Promise<SearchHitKey[]> {
    const tokens = [...new Set(query.tokens)];
    if (tokens.length === 0) return [];
    const terms = [...new Set(tokens.flatMap((token) => this.termCandidates(token)))];
    const { userId } = query;
    let select = this.#db.kysely
      .selectFrom('message_terms as t')
      .innerJoin('conversation_members as cm', (join) => join.onRef('cm.conversation_id', '=', 't.conversation_id').on('cm.user_id', '=', userId))
      .innerJoin('messages as m', (join) => join.onRef('m.conversation_id', '=', 't.conversation_id').onRef('m.seq', '=', 't.seq'))
      .select(['t.conversation_id', 't.seq', 'm.sent_at'])
      .where('t.term', 'in', terms)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('message_hides as h').select('h.seq').where('h.user_id', '=', userId).whereRef('h.conversation_id', '=', 't.conversation_id').whereRef('h.seq', '=', 't.seq'))),
      );
    if (query.conversationId !== undefined) select = select.where('t.conversation_id', '=', query.conversationId);
    if (query.beforeSeq !== undefined) select = select.where('t.seq', '<', query.beforeSeq);
    const before = query.before;
    if (before) {
      select = select.where((eb) =>
        eb.or([
          eb('m.sent_at', '<', before.sentAt),
          eb.and([
            eb('m.sent_at', '=', before.sentAt),
            eb.or([eb('t.conversation_id', '<', before.conversationId), eb.and([eb('t.conversation_id', '=', before.conversationId), eb('t.seq', '<', before.seq)])]),
          ]),
        ]),
      );
    }
    // A message's terms are all under one key (a batch replaces them whole), so each token counts once.
    const rows = await select
      .groupBy(['t.conversation_id', 't.seq', 'm.sent_at'])
      .having((eb) => eb(eb.fn.count('t.term').distinct(), '=', tokens.length))
      .orderBy('m.sent_at', 'desc')
      .orderBy('t.conversation_id', 'desc')
      .orderBy('t.seq', 'desc')
      .limit(query.limit)
      .execute();
    return rows.map((r) => ({ conversationId: r.conversation_id, seq: Number(r.seq), sentAt: Number(r.sent_at) }));
  }

  /**
   * How far behind the index is, from the database (every process's work):
   * conversations behind (at most 10 000 counted), revs behind in all, and
   * the send time of the oldest message changed since its conversation was
   * last indexed (among the 100 least recently active conversations behind;
   * an edit of an old message counts from its send time: an upper bound).
   */
  async lag(): Promise<{ conversations: number; revsBehind: number; oldestUnindexedSentAt: number | null }> {
    const active = this.activeKeyId;
    const behind = await this.behind(LAG_SCAN);
    const revsBehind = behind.reduce((sum, b) => sum + b.lastRev - (b.progress && b.progress.keyId === active ? b.progress.indexedRev : 0), 0);
    let oldest: number | null = null;
    for (const b of behind.slice(0, LAG_OLDEST_SCAN)) {
      const after = b.progress && b.progress.keyId === active ? b.progress.indexedRev : 0;
      const row = await this.#db.kysely
        .selectFrom('messages')
        .select((eb) => eb.fn.min('sent_at').as('at'))
        .where('conversation_id', '=', b.conversationId)
        .where('rev', '>', after)
        .executeTakeFirst();
      if (row?.at !== null && row?.at !== undefined) oldest = Math.min(oldest ?? Infinity, Number(row.at));
    }
    return { conversations: behind.length, revsBehind, oldestUnindexedSentAt: oldest };
  }

  /** Rows of the index (tests and the benchmark: its size). */
  async countTerms(conversationId?: string): Promise<number> {
    let query = this.#db.kysely.selectFrom('message_terms').select((eb) => eb.fn.countAll<number>().as('n'));
    if (conversationId !== undefined) query = query.where('conversation_id', '=', conversationId);
    return Number((await query.executeTakeFirst())?.n ?? 0);
  }
}
