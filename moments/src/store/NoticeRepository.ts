import type { Database } from '@muster/db';
import type { NoticeKind } from '../protocol.ts';

export interface StoredNotice {
  id: string;
  recipientId: string;
  kind: NoticeKind;
  momentId: string;
  actorId: string;
  commentId: string | null;
  createdAt: number;
  readAt: number | null;
}

/** Where a page of notices continues: the last one of the previous page, newest first. */
export interface NoticeCursor {
  createdAt: number;
  id: string;
}

/**
 * Notices ("likes and comments on your posts", replies to your comments),
 * either engine: references only (no text), each checked again by the
 * domain when listed. An unlike or a deleted comment deletes its notice
 * (LikeRepository, CommentRepository); a deleted post's are left out.
 */
export class NoticeRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async add(notice: StoredNotice): Promise<void> {
    await this.#db.writer.write((trx) =>
      trx
        .insertInto('moment_notices')
        .values({
          id: notice.id,
          recipient_id: notice.recipientId,
          kind: notice.kind,
          moment_id: notice.momentId,
          actor_id: notice.actorId,
          comment_id: notice.commentId,
          created_at: notice.createdAt,
          read_at: notice.readAt,
        })
        .execute(),
    );
  }

  /** A person's notices, newest first; `unread`: only those not yet read. */
  async page(recipientId: string, options: { before?: NoticeCursor; limit: number; unread?: boolean }): Promise<StoredNotice[]> {
    let select = this.#db.kysely.selectFrom('moment_notices').selectAll().where('recipient_id', '=', recipientId);
    if (options.unread) select = select.where('read_at', 'is', null);
    const before = options.before;
    // A row-value comparison: the (…, created_at, id) index is walked from the cursor, without a sort.
    if (before) select = select.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(before.createdAt, before.id)));
    const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
    return rows.map((row) => ({
      id: row.id,
      recipientId: row.recipient_id,
      kind: row.kind as NoticeKind,
      momentId: row.moment_id,
      actorId: row.actor_id,
      commentId: row.comment_id,
      createdAt: Number(row.created_at),
      readAt: row.read_at === null ? null : Number(row.read_at),
    }));
  }

  /** Marks every unread notice of the person read; how many. */
  async markRead(recipientId: string, at: number): Promise<number> {
    const result = await this.#db.writer.write((trx) => trx.updateTable('moment_notices').set({ read_at: at }).where('recipient_id', '=', recipientId).where('read_at', 'is', null).executeTakeFirst());
    return Number(result.numUpdatedRows);
  }
}
