import { openEach, type Database, type Schema } from '@muster/db';
import type { NoticeKind } from '../protocol.ts';

type Row = Schema['channel_notices'];

/** A system message to a commenter about their comment. */
export interface StoredNotice {
  id: string;
  accountId: string;
  kind: NoticeKind;
  articleId: string;
  commentId: string;
  /** The start of the comment (its own text may be gone: deleted). */
  excerpt: string;
  at: number;
  readAt: number | null;
}

const bodyAad = (id: string) => ({ table: 'channel_notices', column: 'body', rowId: id });
const CHUNK = 500;

/** The commenters' system messages, either engine; the excerpt sealed. */
export class NoticeRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async add(notice: Omit<StoredNotice, 'readAt'>): Promise<void> {
    await this.#db.writer.write((trx) =>
      trx
        .insertInto('channel_notices')
        .values({
          id: notice.id,
          account_id: notice.accountId,
          kind: notice.kind,
          article_id: notice.articleId,
          comment_id: notice.commentId,
          body: this.#db.sealer.sealJson({ excerpt: notice.excerpt }, bodyAad(notice.id)),
          at: notice.at,
          read_at: null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute(),
    );
  }

  /** A person's notices, newest first, after `before`. */
  async list(accountId: string, before: { at: number; id: string } | undefined, limit: number): Promise<StoredNotice[]> {
    let query = this.#db.kysely.selectFrom('channel_notices').selectAll().where('account_id', '=', accountId);
    if (before) query = query.where((eb) => eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]));
    const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return openEach(this.#db, 'channel_notices', rows, (row) => this.#toNotice(row));
  }

  async unread(accountId: string): Promise<number> {
    const row = await this.#db.kysely.selectFrom('channel_notices').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).where('read_at', 'is', null).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Marks some of the person's notices read (all of them without ids); others' ids change nothing. */
  async markRead(accountId: string, ids: readonly string[] | undefined, at: number): Promise<number> {
    return this.#db.writer.write(async (trx) => {
      if (ids === undefined) {
        const result = await trx.updateTable('channel_notices').set({ read_at: at }).where('account_id', '=', accountId).where('read_at', 'is', null).executeTakeFirst();
        return Number(result.numUpdatedRows);
      }
      let updated = 0;
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += CHUNK) {
        const result = await trx
          .updateTable('channel_notices')
          .set({ read_at: at })
          .where('account_id', '=', accountId)
          .where('id', 'in', unique.slice(i, i + CHUNK))
          .where('read_at', 'is', null)
          .executeTakeFirst();
        updated += Number(result.numUpdatedRows);
      }
      return updated;
    });
  }

  #toNotice(row: Row): StoredNotice {
    const body = this.#db.sealer.openJson<{ excerpt: string }>(row.body, bodyAad(row.id));
    return {
      id: row.id,
      accountId: row.account_id,
      kind: row.kind as NoticeKind,
      articleId: row.article_id,
      commentId: row.comment_id,
      excerpt: body.excerpt,
      at: Number(row.at),
      readAt: row.read_at === null ? null : Number(row.read_at),
    };
  }
}
