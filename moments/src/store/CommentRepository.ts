import type { Database } from '@muster/db';

/** What deciding who sees a comment needs: no text. */
export interface CommentMeta {
  id: string;
  momentId: string;
  authorId: string;
  replyTo: string | null;
  /** Whom a reply answers (kept when that comment is deleted: the reply still names them). */
  replyToAuthor: string | null;
  createdAt: number;
}

export interface StoredComment extends CommentMeta {
  text: string;
}

const CHUNK = 300;
const bodyAad = (id: string) => ({ table: 'moment_comments', column: 'body', rowId: id });

/**
 * Comments, either engine, each post's in order (created_at, id); the text
 * is sealed, bound to the comment's id. Who may see one is decided from its
 * metadata (`forMoments`, never opening a text); texts are opened only for
 * the comments shown (`texts`).
 */
export class CommentRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async add(comment: StoredComment): Promise<void> {
    const body = this.#db.sealer.seal(comment.text, bodyAad(comment.id));
    await this.#db.writer.write((trx) =>
      trx
        .insertInto('moment_comments')
        .values({
          id: comment.id,
          moment_id: comment.momentId,
          author_id: comment.authorId,
          reply_to: comment.replyTo,
          reply_to_author: comment.replyToAuthor,
          body,
          created_at: comment.createdAt,
        })
        .execute(),
    );
  }

  /** One comment with its text; null when there is none. */
  async get(id: string): Promise<StoredComment | null> {
    const row = await this.#db.kysely.selectFrom('moment_comments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return { ...metaOf(row), text: this.#db.sealer.openText(row.body, bodyAad(row.id)) };
  }

  /** The comments of these posts (metadata only), each post's oldest first. */
  async forMoments(momentIds: readonly string[]): Promise<Map<string, CommentMeta[]>> {
    const found = new Map<string, CommentMeta[]>();
    const ids = [...new Set(momentIds)];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.#db.kysely
        .selectFrom('moment_comments')
        .select(['id', 'moment_id', 'author_id', 'reply_to', 'reply_to_author', 'created_at'])
        .where('moment_id', 'in', ids.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) {
        const list = found.get(row.moment_id) ?? [];
        list.push(metaOf(row));
        found.set(row.moment_id, list);
      }
    }
    // Ordered here, not by the engine's collation (PostgreSQL's may order ids otherwise than code units): cursors compare in code.
    for (const list of found.values()) list.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return found;
  }

  /** The texts of these comments, by id; one that does not open (altered, or copied from another row) is left out and logged. */
  async texts(commentIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const ids = [...new Set(commentIds)];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.#db.kysely.selectFrom('moment_comments').select(['id', 'body']).where('id', 'in', ids.slice(i, i + CHUNK)).execute();
      for (const row of rows) {
        try {
          found.set(row.id, this.#db.sealer.openText(row.body, bodyAad(row.id)));
        } catch (error) {
          this.#db.logger.error({ table: 'moment_comments', rowId: row.id, err: error }, 'moments: a sealed comment does not open (altered, or copied from another row); left out');
        }
      }
    }
    return found;
  }

  /** Deletes a comment and the notices it gave, in one write; false when there was none. */
  async remove(momentId: string, id: string): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const result = await trx.deleteFrom('moment_comments').where('id', '=', id).where('moment_id', '=', momentId).executeTakeFirst();
      // By the post first: moment_notices is indexed by post.
      await trx.deleteFrom('moment_notices').where('moment_id', '=', momentId).where('comment_id', '=', id).execute();
      return Number(result.numDeletedRows) > 0;
    });
  }
}

function metaOf(row: { id: string; moment_id: string; author_id: string; reply_to: string | null; reply_to_author: string | null; created_at: number }): CommentMeta {
  return { id: row.id, momentId: row.moment_id, authorId: row.author_id, replyTo: row.reply_to, replyToAuthor: row.reply_to_author, createdAt: Number(row.created_at) };
}
