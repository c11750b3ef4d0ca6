import type { Database, SyncCursorsTable } from '@muster/db';

/** Where one of a person's conversations stands: what the sync compares from one reply to the next. */
export interface ConversationState {
  conversationId: string;
  kind: 'direct' | 'group';
  lastSeq: number;
  lastRev: number;
  updatedAt: number;
  readSeq: number;
  /** Direct conversations: the other person and their read pointer. */
  peerId: string | null;
  peerReadSeq: number | null;
}

export interface HideEntry {
  conversationId: string;
  seq: number;
  at: number;
}

export interface StoredCursor<S> {
  id: string;
  accountId: string;
  gen: number;
  state: S;
  createdAt: number;
  expiresAt: number;
}

const stateAad = (id: string) => ({ table: 'sync_cursors', column: 'state', rowId: id });

/**
 * What the sync reads and keeps, either engine: a person's conversations as
 * a few plain numbers each (one query, nothing unsealed), their
 * delete-for-me entries since a time, and the sync cursors (a sealed
 * snapshot per client, moved by compare-and-set on its generation so two
 * replies never both advance one cursor).
 */
export class SyncRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Every conversation the person is in, with the numbers that change when anything in it does. */
  async states(userId: string): Promise<ConversationState[]> {
    const rows = await this.#db.kysely
      .selectFrom('conversation_members as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      // The other member of a direct conversation (a group's members' pointers are asked for on tap).
      .leftJoin('conversation_members as p', (join) => join.onRef('p.conversation_id', '=', 'm.conversation_id').onRef('p.user_id', '<>', 'm.user_id').on('c.kind', '=', 'direct'))
      .select(['c.id', 'c.kind', 'c.last_seq', 'c.last_rev', 'c.updated_at', 'm.read_seq', 'p.user_id as peer_id', 'p.read_seq as peer_read_seq'])
      .where('m.user_id', '=', userId)
      .execute();
    return rows.map((row) => ({
      conversationId: row.id,
      kind: row.kind,
      lastSeq: Number(row.last_seq),
      lastRev: Number(row.last_rev),
      updatedAt: Number(row.updated_at),
      readSeq: Number(row.read_seq),
      peerId: row.peer_id ?? null,
      peerReadSeq: row.peer_read_seq === null || row.peer_read_seq === undefined ? null : Number(row.peer_read_seq),
    }));
  }

  /** The person's delete-for-me entries made at or after `since`, oldest first. */
  async hidesSince(userId: string, since: number): Promise<HideEntry[]> {
    const rows = await this.#db.kysely.selectFrom('message_hides').select(['conversation_id', 'seq', 'at']).where('user_id', '=', userId).where('at', '>=', since).orderBy('at').orderBy('conversation_id').orderBy('seq').execute();
    return rows.map((row) => ({ conversationId: row.conversation_id, seq: Number(row.seq), at: Number(row.at) }));
  }

  /** Which of these messages the person hid for themselves ("conversationId/seq"). */
  async hiddenAmong(userId: string, conversationIds: readonly string[]): Promise<Set<string>> {
    if (conversationIds.length === 0) return new Set();
    const rows = await this.#db.kysely.selectFrom('message_hides').select(['conversation_id', 'seq']).where('user_id', '=', userId).where('conversation_id', 'in', [...conversationIds]).execute();
    return new Set(rows.map((row) => `${row.conversation_id}/${Number(row.seq)}`));
  }

  async createCursor<S>(cursor: StoredCursor<S>): Promise<void> {
    await this.#db.writer.write((trx) =>
      trx
        .insertInto('sync_cursors')
        .values({ id: cursor.id, account_id: cursor.accountId, gen: cursor.gen, state: this.#db.sealer.sealJson(cursor.state, stateAad(cursor.id)), created_at: cursor.createdAt, expires_at: cursor.expiresAt })
        .execute(),
    );
  }

  async getCursor<S>(id: string): Promise<StoredCursor<S> | null> {
    const row = await this.#db.kysely.selectFrom('sync_cursors').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.#toCursor<S>(row) : null;
  }

  /** Moves a cursor from generation `fromGen` to a new state (and gen + 1); false when another reply moved it first. */
  async advanceCursor<S>(id: string, fromGen: number, state: S, expiresAt: number): Promise<boolean> {
    const result = await this.#db.writer.write((trx) =>
      trx
        .updateTable('sync_cursors')
        .set({ gen: fromGen + 1, state: this.#db.sealer.sealJson(state, stateAad(id)), expires_at: expiresAt })
        .where('id', '=', id)
        .where('gen', '=', fromGen)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /** Keeps an idle cursor alive (a long-poll that finds nothing new still counts as use). */
  async touchCursor(id: string, expiresAt: number): Promise<void> {
    await this.#db.writer.write((trx) => trx.updateTable('sync_cursors').set({ expires_at: expiresAt }).where('id', '=', id).where('expires_at', '<', expiresAt).execute());
  }

  async deleteCursor(id: string): Promise<void> {
    await this.#db.writer.write((trx) => trx.deleteFrom('sync_cursors').where('id', '=', id).execute());
  }

  /** Deletes the cursors that lapsed before `now`; returns how many. */
  async deleteExpired(now: number): Promise<number> {
    const result = await this.#db.writer.write((trx) => trx.deleteFrom('sync_cursors').where('expires_at', '<', now).executeTakeFirst());
    return Number(result.numDeletedRows);
  }

  #toCursor<S>(row: SyncCursorsTable): StoredCursor<S> {
    return {
      id: row.id,
      accountId: row.account_id,
      gen: Number(row.gen),
      state: this.#db.sealer.openJson<S>(row.state, stateAad(row.id)),
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
    };
  }
}
