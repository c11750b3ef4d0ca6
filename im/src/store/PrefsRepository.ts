import type { ConversationPrefsTable, Database } from '@muster/db';

/** One person's settings of one conversation, as stored. */
export interface StoredPrefs {
  userId: string;
  conversationId: string;
  /** When it was pinned, or null. */
  pinnedAt: number | null;
  muted: boolean;
  /** Hidden while the conversation's last seq is at most this (a new message shows it again), or null. */
  hiddenSeq: number | null;
  markedUnread: boolean;
  draft: string | null;
  /** Bumped by every change: the sync notices a changed setting by it. */
  version: number;
  updatedAt: number;
}

/** The settings a change may name; absent ones keep their value. */
export type PrefsChange = Partial<Pick<StoredPrefs, 'pinnedAt' | 'muted' | 'hiddenSeq' | 'markedUnread' | 'draft'>>;

const draftAad = (userId: string, conversationId: string) => ({ table: 'conversation_prefs', column: 'draft', rowId: `${userId}/${conversationId}` });

/**
 * Conversation settings per person (pin, mute, hide, marked unread, draft),
 * either engine. The flags are plain, the draft is sealed. A change sets
 * only the columns it names, in one upsert, and bumps the row's version in
 * SQL: two devices (or processes) changing different settings at once both
 * keep theirs.
 */
export class PrefsRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async get(userId: string, conversationId: string): Promise<StoredPrefs | null> {
    const row = await this.#db.kysely.selectFrom('conversation_prefs').selectAll().where('user_id', '=', userId).where('conversation_id', '=', conversationId).executeTakeFirst();
    return row ? this.#toPrefs(row) : null;
  }

  /** A person's settings of these conversations (all of them when no ids are given), by conversation id. */
  async forUser(userId: string, conversationIds?: readonly string[]): Promise<Map<string, StoredPrefs>> {
    if (conversationIds?.length === 0) return new Map();
    let query = this.#db.kysely.selectFrom('conversation_prefs').selectAll().where('user_id', '=', userId);
    if (conversationIds) query = query.where('conversation_id', 'in', [...conversationIds]);
    const rows = await query.execute();
    return new Map(rows.map((row) => [row.conversation_id, this.#toPrefs(row)]));
  }

  /** The version of each of a person's conversation settings: what the sync compares, without opening a draft. */
  async versions(userId: string): Promise<Map<string, number>> {
    const rows = await this.#db.kysely.selectFrom('conversation_prefs').select(['conversation_id', 'version']).where('user_id', '=', userId).execute();
    return new Map(rows.map((row) => [row.conversation_id, Number(row.version)]));
  }

  /** Sets the named settings (made if there were none) and returns them all. */
  async update(userId: string, conversationId: string, change: PrefsChange, at: number): Promise<StoredPrefs> {
    const columns: Partial<Omit<ConversationPrefsTable, 'user_id' | 'conversation_id' | 'version' | 'updated_at'>> = {};
    if (change.pinnedAt !== undefined) columns.pinned_at = change.pinnedAt;
    if (change.muted !== undefined) columns.muted = change.muted ? 1 : 0;
    if (change.hiddenSeq !== undefined) columns.hidden_seq = change.hiddenSeq;
    if (change.markedUnread !== undefined) columns.marked_unread = change.markedUnread ? 1 : 0;
    if (change.draft !== undefined) columns.draft = change.draft === null ? null : this.#db.sealer.sealJson(change.draft, draftAad(userId, conversationId));
    const row = await this.#db.writer.write((trx) =>
      trx
        .insertInto('conversation_prefs')
        .values({ user_id: userId, conversation_id: conversationId, pinned_at: null, muted: 0, hidden_seq: null, marked_unread: 0, draft: null, ...columns, version: 1, updated_at: at })
        .onConflict((oc) => oc.columns(['user_id', 'conversation_id']).doUpdateSet((eb) => ({ ...columns, version: eb('conversation_prefs.version', '+', 1), updated_at: at })))
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return this.#toPrefs(row);
  }

  /** Clears "marked unread" if it is set; returns the settings then, or null when there was nothing to clear. */
  async clearMarkedUnread(userId: string, conversationId: string, at: number): Promise<StoredPrefs | null> {
    const row = await this.#db.writer.write((trx) =>
      trx
        .updateTable('conversation_prefs')
        .set((eb) => ({ marked_unread: 0, version: eb('version', '+', 1), updated_at: at }))
        .where('user_id', '=', userId)
        .where('conversation_id', '=', conversationId)
        .where('marked_unread', '=', 1)
        .returningAll()
        .executeTakeFirst(),
    );
    return row ? this.#toPrefs(row) : null;
  }

  #toPrefs(row: ConversationPrefsTable): StoredPrefs {
    return {
      userId: row.user_id,
      conversationId: row.conversation_id,
      pinnedAt: row.pinned_at === null ? null : Number(row.pinned_at),
      muted: Number(row.muted) === 1,
      hiddenSeq: row.hidden_seq === null ? null : Number(row.hidden_seq),
      markedUnread: Number(row.marked_unread) === 1,
      draft: row.draft === null ? null : this.#db.sealer.openJson<string>(row.draft, draftAad(row.user_id, row.conversation_id)),
      version: Number(row.version),
      updatedAt: Number(row.updated_at),
    };
  }
}
