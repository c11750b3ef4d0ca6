import { openEach, type Database, type Schema } from '@muster/db';
import type { CommentState } from '../protocol.ts';

type Row = Schema['article_comments'];

export interface StoredComment {
  id: string;
  articleId: string;
  serviceAccountId: string;
  authorId: string;
  text: string;
  /** Why the content check flagged it (empty: not flagged). */
  reasons: string[];
  state: CommentState;
  flagged: boolean;
  pinned: boolean;
  reply: { text: string; at: number } | null;
  createdAt: number;
  approvedAt: number | null;
}

/** Where an article's comments continue: pinned ones come first, then newest first. */
export interface CommentCursor {
  pinned: boolean;
  at: number;
  id: string;
}

export interface QueueFilter {
  state?: CommentState;
  flagged?: boolean;
  articleId?: string;
  before?: { at: number; id: string };
  limit: number;
}

const bodyAad = (id: string) => ({ table: 'article_comments', column: 'body', rowId: id });
const replyAad = (id: string) => ({ table: 'article_comments', column: 'reply', rowId: id });

/**
 * Comments on articles, either engine: sealed text (with the content
 * check's reasons) and sealed reply; state, flag and pin plain, to filter
 * and order on. A deleted comment keeps its row without its text (its id
 * still answers "gone", and a notice about it still names it).
 */
export class CommentRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async create(comment: Omit<StoredComment, 'state' | 'pinned' | 'reply' | 'approvedAt'>): Promise<void> {
    await this.#db.writer.write((trx) =>
      trx
        .insertInto('article_comments')
        .values({
          id: comment.id,
          article_id: comment.articleId,
          service_account_id: comment.serviceAccountId,
          author_id: comment.authorId,
          body: this.#db.sealer.sealJson({ text: comment.text, reasons: comment.reasons }, bodyAad(comment.id)),
          state: 'pending',
          flagged: comment.flagged ? 1 : 0,
          pinned: 0,
          reply: null,
          created_at: comment.createdAt,
          approved_at: null,
          deleted_at: null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute(),
    );
  }

  /** A comment not deleted. */
  async get(id: string): Promise<StoredComment | null> {
    const row = await this.#db.kysely.selectFrom('article_comments').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return row ? this.#toComment(row) : null;
  }

  /**
   * An article's comments a viewer sees: approved ones and the viewer's own
   * pending ones (`viewerId`), or all of them (`all`: an editor). Pinned
   * first, then newest first.
   */
  async forArticle(articleId: string, viewer: { all: true } | { viewerId: string | null }, before: CommentCursor | undefined, limit: number): Promise<StoredComment[]> {
    let query = this.#db.kysely.selectFrom('article_comments').selectAll().where('article_id', '=', articleId).where('deleted_at', 'is', null);
    if (!('all' in viewer)) {
      const { viewerId } = viewer;
      query = query.where((eb) => (viewerId === null ? eb('state', '=', 'approved') : eb.or([eb('state', '=', 'approved'), eb('author_id', '=', viewerId)])));
    }
    if (before) {
      const pinned = before.pinned ? 1 : 0;
      query = query.where((eb) =>
        eb.or([
          eb('pinned', '<', pinned),
          eb.and([eb('pinned', '=', pinned), eb.or([eb('created_at', '<', before.at), eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)])])]),
        ]),
      );
    }
    const rows = await query.orderBy('pinned', 'desc').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return openEach(this.#db, 'article_comments', rows, (row) => this.#toComment(row));
  }

  /** An account's moderation queue: its comments by state, flag and article, newest first. */
  async queue(serviceAccountId: string, filter: QueueFilter): Promise<StoredComment[]> {
    let query = this.#db.kysely.selectFrom('article_comments').selectAll().where('service_account_id', '=', serviceAccountId).where('deleted_at', 'is', null);
    if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.flagged !== undefined) query = query.where('flagged', '=', filter.flagged ? 1 : 0);
    if (filter.articleId) query = query.where('article_id', '=', filter.articleId);
    const before = filter.before;
    if (before) query = query.where((eb) => eb.or([eb('created_at', '<', before.at), eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)])]));
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    return openEach(this.#db, 'article_comments', rows, (row) => this.#toComment(row));
  }

  /** Approves a pending comment; false when it was approved already (or is gone): one notice per approval. */
  async approve(id: string, at: number): Promise<boolean> {
    const result = await this.#db.writer.write((trx) =>
      trx.updateTable('article_comments').set({ state: 'approved', approved_at: at }).where('id', '=', id).where('state', '=', 'pending').where('deleted_at', 'is', null).executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }

  /** Deletes a comment (its text and reply go); false when already gone. */
  async delete(id: string, at: number): Promise<boolean> {
    const result = await this.#db.writer.write((trx) =>
      trx.updateTable('article_comments').set({ deleted_at: at, body: null, reply: null, pinned: 0 }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }

  /** Sets or removes (null) the editors' reply; false when the comment is gone. */
  async reply(id: string, reply: { text: string; at: number } | null): Promise<boolean> {
    const result = await this.#db.writer.write((trx) =>
      trx
        .updateTable('article_comments')
        .set({ reply: reply === null ? null : this.#db.sealer.sealJson(reply, replyAad(id)) })
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }

  /** Pins or unpins an approved comment; false when it is gone or not approved. */
  async pin(id: string, pinned: boolean): Promise<boolean> {
    const result = await this.#db.writer.write((trx) =>
      trx.updateTable('article_comments').set({ pinned: pinned ? 1 : 0 }).where('id', '=', id).where('state', '=', 'approved').where('deleted_at', 'is', null).executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }

  #toComment(row: Row): StoredComment {
    const body = this.#db.sealer.openJson<{ text: string; reasons: string[] }>(row.body!, bodyAad(row.id));
    return {
      id: row.id,
      articleId: row.article_id,
      serviceAccountId: row.service_account_id,
      authorId: row.author_id,
      text: body.text,
      reasons: body.reasons,
      state: row.state as CommentState,
      flagged: Number(row.flagged) === 1,
      pinned: Number(row.pinned) === 1,
      reply: row.reply === null ? null : this.#db.sealer.openJson<{ text: string; at: number }>(row.reply, replyAad(row.id)),
      createdAt: Number(row.created_at),
      approvedAt: row.approved_at === null ? null : Number(row.approved_at),
    };
  }
}
