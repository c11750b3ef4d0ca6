import { openEach, type Database, type Schema, type WriteFn } from '@muster/db';
import type { DocumentJson } from '../document/validate.ts';

type Row = Schema['articles'];
type Transaction = Parameters<WriteFn<unknown>>[0];

/** What a list shows of an article, sealed in its row (so that listing never opens a document). */
export interface ArticleHead {
  title: string;
  summary: string;
  /** The first image's file id. */
  cover: string | null;
}

export interface StoredArticle {
  id: string;
  serviceAccountId: string;
  authorId: string | null;
  head: ArticleHead;
  version: number;
  publishedAt: number;
  editedAt: number | null;
  commentsEnabled: boolean;
  deletedAt: number | null;
}

export interface StoredVersion {
  version: number;
  title: string;
  content: DocumentJson;
  editorId: string | null;
  at: number;
}

/** A version's words and files, as an edit or a publish stores them. */
export interface VersionInput {
  title: string;
  content: DocumentJson;
  head: ArticleHead;
  fileIds: readonly string[];
  /** Distinct search tokens of the title and text. */
  tokens: readonly string[];
}

export interface NewArticle extends VersionInput {
  id: string;
  serviceAccountId: string;
  authorId: string | null;
  commentsEnabled: boolean;
  at: number;
}

/** Where a listing continues: the last article of the previous page. */
export interface ArticleCursor {
  at: number;
  id: string;
}

/** The Sealer.blindIndex kind of article search terms: its own key, unrelated to IM's message terms. */
export const ARTICLE_TERM_KIND = 'channels-article-term';
/** Rows per statement: three parameters a row stays far below either engine's limit. */
const CHUNK = 300;

const headAad = (id: string) => ({ table: 'articles', column: 'head', rowId: id });
const bodyAad = (id: string, version: number) => ({ table: 'article_versions', column: 'body', rowId: `${id}/${version}` });

/** Thrown inside the publish write (rolling it back): the cap is reached; `retryAt`: when the oldest counted leaves the window. */
class CapReached extends Error {
  constructor(readonly retryAt: number) {
    super('daily cap reached');
  }
}

/**
 * Articles, their versions, files and search terms, either engine. An
 * article is stored once, whatever its audience: publishing writes its
 * row, its first version, one row per file it names and one per distinct
 * search token, and moves its account's `latest_article_at`: never a row
 * per subscriber (read diffusion). Titles and documents are sealed; search
 * terms are keyed hashes (Sealer.blindIndex), never the words.
 */
export class ArticleRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The key new terms are hashed under. */
  get activeKeyId(): string {
    return this.#db.sealer.activeKeyId;
  }

  /** A token's term under every key held (during a rotation an article's terms may still be under the old one). */
  termCandidates(token: string): string[] {
    return this.#db.sealer.searchTermCandidates(ARTICLE_TERM_KIND, token);
  }

  /** The terms of some tokens under the active key, and that key (read first, with no await before the hashing). */
  #terms(tokens: readonly string[]): { keyId: string; terms: string[] } {
    const keyId = this.#db.sealer.activeKeyId;
    return { keyId, terms: [...new Set(tokens.map((token) => this.#db.sealer.searchTerm(ARTICLE_TERM_KIND, token)))] };
  }

  /**
   * Publishes, unless the account published `cap` articles in the window
   * before `at` (deleted ones count): then `{ capped, retryAt }`. The count
   * and the insert are one write, after the account's row is updated (its
   * lock on PostgreSQL), so two publishes at once cannot both take the last
   * one. `rows`: how many rows the write changed (the same for 10
   * subscribers or 100,000). `gone`: the account is not live.
   */
  async publish(article: NewArticle, cap: { limit: number; windowMs: number }): Promise<{ published: true; rows: number } | { capped: true; retryAt: number } | { gone: true }> {
    const { keyId, terms } = this.#terms(article.tokens);
    try {
      return await this.#db.writer.write(async (trx) => {
        // A re-run of a write whose COMMIT was lost finds its own article, and does nothing twice.
        if (await trx.selectFrom('articles').select('id').where('id', '=', article.id).executeTakeFirst()) return { published: true as const, rows: 0 };
        const moved = await trx
          .updateTable('service_accounts')
          .set({ latest_article_id: article.id, latest_article_at: article.at })
          .where('id', '=', article.serviceAccountId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) return { gone: true as const };
        const recent = await trx
          .selectFrom('articles')
          .select('published_at')
          .where('service_account_id', '=', article.serviceAccountId)
          .where('published_at', '>', article.at - cap.windowMs)
          .orderBy('published_at')
          .execute();
        if (recent.length >= cap.limit) throw new CapReached(Number(recent[recent.length - cap.limit]!.published_at) + cap.windowMs);
        let rows = 1;
        await trx
          .insertInto('articles')
          .values({
            id: article.id,
            service_account_id: article.serviceAccountId,
            author_id: article.authorId,
            head: this.#db.sealer.sealJson(article.head, headAad(article.id)),
            version: 1,
            published_at: article.at,
            edited_at: null,
            comments_enabled: article.commentsEnabled ? 1 : 0,
            deleted_at: null,
            terms_key_id: keyId,
          })
          .execute();
        rows += 1;
        rows += await this.#insertVersion(trx, article.id, 1, article, article.authorId, article.at);
        rows += await this.#insertTerms(trx, article.serviceAccountId, article.id, terms);
        return { published: true as const, rows };
      }, { lockKey: article.serviceAccountId });
    } catch (error) {
      if (error instanceof CapReached) return { capped: true, retryAt: error.retryAt };
      throw error;
    }
  }

  /**
   * A new version over `baseVersion`: `moved` when another edit came first
   * (read again and retry), `gone` when the article is deleted. `rows`: rows
   * changed.
   */
  async edit(input: VersionInput & { id: string; baseVersion: number; editorId: string | null; at: number }): Promise<{ edited: true; version: number; rows: number } | { moved: true } | { gone: true }> {
    const { keyId, terms } = this.#terms(input.tokens);
    return this.#db.writer.write(async (trx) => {
      const row = await trx.selectFrom('articles').select(['version', 'deleted_at', 'service_account_id']).where('id', '=', input.id).executeTakeFirst();
      if (!row || row.deleted_at !== null) return { gone: true as const };
      if (Number(row.version) !== input.baseVersion) return { moved: true as const };
      const version = input.baseVersion + 1;
      await trx
        .updateTable('articles')
        .set({ version, head: this.#db.sealer.sealJson(input.head, headAad(input.id)), edited_at: input.at, terms_key_id: keyId })
        .where('id', '=', input.id)
        .where('version', '=', input.baseVersion)
        .execute();
      let rows = 1;
      rows += await this.#insertVersion(trx, input.id, version, input, input.editorId, input.at);
      await trx.deleteFrom('article_terms').where('article_id', '=', input.id).execute();
      rows += await this.#insertTerms(trx, row.service_account_id, input.id, terms);
      return { edited: true as const, version, rows };
    }, { lockKey: input.id });
  }

  async #insertVersion(trx: Transaction, id: string, version: number, input: VersionInput, editorId: string | null, at: number): Promise<number> {
    await trx
      .insertInto('article_versions')
      .values({ article_id: id, version, body: this.#db.sealer.sealJson({ title: input.title, content: input.content }, bodyAad(id, version)), editor_id: editorId, at })
      .execute();
    const files = [...new Set(input.fileIds)];
    for (let i = 0; i < files.length; i += CHUNK) {
      await trx
        .insertInto('article_files')
        .values(files.slice(i, i + CHUNK).map((fileId) => ({ article_id: id, version, file_id: fileId })))
        .execute();
    }
    return 1 + files.length;
  }

  async #insertTerms(trx: Transaction, serviceAccountId: string, articleId: string, terms: readonly string[]): Promise<number> {
    for (let i = 0; i < terms.length; i += CHUNK) {
      await trx
        .insertInto('article_terms')
        .values(terms.slice(i, i + CHUNK).map((term) => ({ service_account_id: serviceAccountId, term, article_id: articleId })))
        .onConflict((oc) => oc.columns(['service_account_id', 'term', 'article_id']).doNothing())
        .execute();
    }
    return terms.length;
  }

  /** An article not deleted (its account's liveness is the caller's to check). */
  async get(id: string): Promise<StoredArticle | null> {
    const row = await this.#db.kysely.selectFrom('articles').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return row ? this.#toArticle(row) : null;
  }

  /** Articles not deleted, by id (titles for notices and the moderation queue). */
  async getMany(ids: readonly string[]): Promise<Map<string, StoredArticle>> {
    const found = new Map<string, StoredArticle>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.#db.kysely.selectFrom('articles').selectAll().where('id', 'in', unique.slice(i, i + CHUNK)).where('deleted_at', 'is', null).execute();
      for (const article of openEach(this.#db, 'articles', rows, (row) => this.#toArticle(row))) found.set(article.id, article);
    }
    return found;
  }

  /** One version (the current one for reading the article); null when there is none. */
  async version(id: string, version: number): Promise<StoredVersion | null> {
    const row = await this.#db.kysely.selectFrom('article_versions').selectAll().where('article_id', '=', id).where('version', '=', version).executeTakeFirst();
    return row ? this.#toVersion(row) : null;
  }

  /** Every version, newest first (at most `limit`), without their documents' weight mattering to the caller. */
  async versions(id: string, limit: number): Promise<StoredVersion[]> {
    const rows = await this.#db.kysely.selectFrom('article_versions').selectAll().where('article_id', '=', id).orderBy('version', 'desc').limit(limit).execute();
    return openEach(this.#db, 'article_versions', rows.map((r) => ({ ...r, id: `${r.article_id}/${r.version}` })), (row) => this.#toVersion(row));
  }

  /** An account's articles not deleted, newest first, after `before`. */
  async list(serviceAccountId: string, before: ArticleCursor | undefined, limit: number): Promise<StoredArticle[]> {
    let query = this.#db.kysely.selectFrom('articles').selectAll().where('service_account_id', '=', serviceAccountId).where('deleted_at', 'is', null);
    if (before) query = query.where((eb) => eb.or([eb('published_at', '<', before.at), eb.and([eb('published_at', '=', before.at), eb('id', '<', before.id)])]));
    const rows = await query.orderBy('published_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return openEach(this.#db, 'articles', rows, (row) => this.#toArticle(row));
  }

  /** An account's articles having every token (title or text), newest first, after `before`. */
  async search(serviceAccountId: string, tokens: readonly string[], before: ArticleCursor | undefined, limit: number): Promise<StoredArticle[]> {
    const distinct = [...new Set(tokens)];
    if (distinct.length === 0) return [];
    const terms = [...new Set(distinct.flatMap((token) => this.termCandidates(token)))];
    let query = this.#db.kysely
      .selectFrom('article_terms as t')
      .innerJoin('articles as a', 'a.id', 't.article_id')
      .select(['t.article_id', 'a.published_at'])
      .where('t.service_account_id', '=', serviceAccountId)
      .where('t.term', 'in', terms)
      .where('a.deleted_at', 'is', null);
    if (before) query = query.where((eb) => eb.or([eb('a.published_at', '<', before.at), eb.and([eb('a.published_at', '=', before.at), eb('t.article_id', '<', before.id)])]));
    // An article's terms are all under one key (an edit or re-hash replaces them whole): each token counts once.
    const hits = await query
      .groupBy(['t.article_id', 'a.published_at'])
      .having((eb) => eb(eb.fn.count('t.term').distinct(), '=', distinct.length))
      .orderBy('a.published_at', 'desc')
      .orderBy('t.article_id', 'desc')
      .limit(limit)
      .execute();
    const found = await this.getMany(hits.map((h) => h.article_id));
    return hits.flatMap((h) => (found.has(h.article_id) ? [found.get(h.article_id)!] : []));
  }

  /** Turns comments on or off; false when the article is deleted. */
  async setCommentsEnabled(id: string, enabled: boolean): Promise<boolean> {
    const result = await this.#db.writer.write((trx) => trx.updateTable('articles').set({ comments_enabled: enabled ? 1 : 0 }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst());
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Deletes an article: gone for readers, out of search, and out of its
   * account's feed (the latest article is the newest one left). Its
   * versions stay (sealed) for the files' editors. False when already gone.
   */
  async delete(id: string, at: number): Promise<boolean> {
    const row = await this.#db.kysely.selectFrom('articles').select('service_account_id').where('id', '=', id).executeTakeFirst();
    if (!row) return false;
    const accountId = row.service_account_id;
    return this.#db.writer.write(async (trx) => {
      const result = await trx.updateTable('articles').set({ deleted_at: at }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await trx.deleteFrom('article_terms').where('article_id', '=', id).execute();
      const newest = await trx
        .selectFrom('articles')
        .select(['id', 'published_at'])
        .where('service_account_id', '=', accountId)
        .where('deleted_at', 'is', null)
        .orderBy('published_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      await trx
        .updateTable('service_accounts')
        .set({ latest_article_id: newest?.id ?? null, latest_article_at: newest ? Number(newest.published_at) : null })
        .where('id', '=', accountId)
        .execute();
      return true;
    }, { lockKey: accountId });
  }

  /** An account's articles whose terms are not under `keyId` (after a key rotation), at most `limit`. */
  async staleTerms(serviceAccountId: string, keyId: string, limit: number): Promise<{ id: string; version: number }[]> {
    const rows = await this.#db.kysely
      .selectFrom('articles')
      .select(['id', 'version'])
      .where('service_account_id', '=', serviceAccountId)
      .where('deleted_at', 'is', null)
      .where('terms_key_id', '<>', keyId)
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, version: Number(r.version) }));
  }

  /** Hashes an article's terms again under the active key (unless an edit changed its version meanwhile). */
  async rehash(id: string, version: number, tokens: readonly string[]): Promise<boolean> {
    const { keyId, terms } = this.#terms(tokens);
    return this.#db.writer.write(async (trx) => {
      const row = await trx.selectFrom('articles').select(['service_account_id', 'version', 'deleted_at']).where('id', '=', id).executeTakeFirst();
      if (!row || row.deleted_at !== null || Number(row.version) !== version) return false;
      await trx.deleteFrom('article_terms').where('article_id', '=', id).execute();
      await this.#insertTerms(trx, row.service_account_id, id, terms);
      await trx.updateTable('articles').set({ terms_key_id: keyId }).where('id', '=', id).execute();
      return true;
    }, { lockKey: id });
  }

  /**
   * Who a file is readable for through articles: `public` when the current
   * version of a live article of a live account names it; `editorsOf`, the
   * live accounts any of whose articles (any version, deleted or not) name it.
   */
  async fileUse(fileId: string): Promise<{ public: boolean; editorsOf: string[] }> {
    const current = await this.#db.kysely
      .selectFrom('article_files as f')
      .innerJoin('articles as a', (join) => join.onRef('a.id', '=', 'f.article_id').onRef('a.version', '=', 'f.version'))
      .innerJoin('service_accounts as s', 's.id', 'a.service_account_id')
      .select('a.id')
      .where('f.file_id', '=', fileId)
      .where('a.deleted_at', 'is', null)
      .where('s.deleted_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    if (current) return { public: true, editorsOf: [] };
    const rows = await this.#db.kysely
      .selectFrom('article_files as f')
      .innerJoin('articles as a', 'a.id', 'f.article_id')
      .innerJoin('service_accounts as s', 's.id', 'a.service_account_id')
      .select('a.service_account_id')
      .distinct()
      .where('f.file_id', '=', fileId)
      .where('s.deleted_at', 'is', null)
      .execute();
    return { public: false, editorsOf: rows.map((r) => r.service_account_id) };
  }

  #toArticle(row: Row): StoredArticle {
    return {
      id: row.id,
      serviceAccountId: row.service_account_id,
      authorId: row.author_id,
      head: this.#db.sealer.openJson<ArticleHead>(row.head, headAad(row.id)),
      version: Number(row.version),
      publishedAt: Number(row.published_at),
      editedAt: row.edited_at === null ? null : Number(row.edited_at),
      commentsEnabled: Number(row.comments_enabled) === 1,
      deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
    };
  }

  #toVersion(row: Schema['article_versions']): StoredVersion {
    const body = this.#db.sealer.openJson<{ title: string; content: DocumentJson }>(row.body, bodyAad(row.article_id, Number(row.version)));
    return { version: Number(row.version), title: body.title, content: body.content, editorId: row.editor_id, at: Number(row.at) };
  }
}
