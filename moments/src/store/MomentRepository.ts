import { openEach, type AuditEntry, type Database, type Schema } from '@muster/db';
import type { Visibility } from '../protocol.ts';

type Row = Schema['moments'];

/** A post as stored, its text and location opened. */
export interface StoredMoment {
  id: string;
  authorId: string;
  visibility: Visibility;
  text: string | null;
  location: string | null;
  /** In order. */
  fileIds: string[];
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  deletedBy: string | null;
  termsKey: string | null;
}

/** Where a page continues: the last post of the previous page, in the order (created_at, id) newest first. */
export interface MomentCursor {
  createdAt: number;
  id: string;
}

export interface MomentPageQuery {
  viewerId: string;
  /** every post; posts by the viewer's contacts; one author's. */
  scope: { kind: 'all' } | { kind: 'friends' } | { kind: 'author'; authorId: string };
  before?: MomentCursor;
  /** Only posts made after this time (ms). */
  since?: number;
  /** Each entry: one query word's terms (under every key held); a post must have a term of every entry. */
  terms?: readonly (readonly string[])[];
  limit: number;
}

interface Body {
  text: string | null;
  location: string | null;
}

/** The Sealer.blindIndex kind of a post's search terms: its own key, apart from message search. */
export const MOMENT_TERM_KIND = 'moment-term';
/** Rows per statement. */
const CHUNK = 300;

const bodyAad = (id: string) => ({ table: 'moments', column: 'body', rowId: id });

/**
 * Posts, their files and their search terms, either engine. The text and
 * location are sealed (one JSON value bound to the post's id); the files are
 * rows of moment_files in order, found by file id for readsFile; each
 * distinct word of the text is a keyed hash in moment_terms.
 *
 * `page` narrows in SQL to the posts the viewer may see, by the same rule as
 * the Audience (which decides again on every row): the author's own; "all";
 * "friends" when the viewer is in the author's contacts (IM's contacts
 * table); never across a block (IM's blocks table) either way. Reading IM's
 * tables here keeps a page one indexed query, ordered and cut in SQL, rather
 * than a contact list sent back as IN lists in chunks whose pages would have
 * to be merged.
 */
export class MomentRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The key new terms are hashed under. */
  get activeKeyId(): string {
    return this.#db.sealer.activeKeyId;
  }

  /** A word's term under the active key. */
  term(token: string): string {
    return this.#db.sealer.searchTerm(MOMENT_TERM_KIND, token);
  }

  /** A word's term under every key held (during a rotation some posts' terms are still under the old one). */
  termCandidates(token: string): string[] {
    return this.#db.sealer.searchTermCandidates(MOMENT_TERM_KIND, token);
  }

  /** Stores a new post with its files and the terms of its words, in one write. */
  async create(moment: { id: string; authorId: string; visibility: Visibility; text: string | null; location: string | null; fileIds: readonly string[]; createdAt: number }, tokens: readonly string[]): Promise<void> {
    const keyId = this.activeKeyId;
    const terms = [...new Set(tokens.map((t) => this.term(t)))];
    const body = this.#db.sealer.sealJson({ text: moment.text, location: moment.location } satisfies Body, bodyAad(moment.id));
    await this.#db.writer.write(async (trx) => {
      await trx
        .insertInto('moments')
        .values({
          id: moment.id,
          author_id: moment.authorId,
          visibility: moment.visibility,
          body,
          created_at: moment.createdAt,
          updated_at: moment.createdAt,
          deleted_at: null,
          deleted_by: null,
          terms_key: terms.length > 0 ? keyId : null,
        })
        .execute();
      if (moment.fileIds.length > 0) {
        await trx.insertInto('moment_files').values(moment.fileIds.map((fileId, position) => ({ moment_id: moment.id, position, file_id: fileId }))).execute();
      }
      for (let i = 0; i < terms.length; i += CHUNK) {
        await trx.insertInto('moment_terms').values(terms.slice(i, i + CHUNK).map((term) => ({ term, moment_id: moment.id }))).execute();
      }
    });
  }

  /** A post by id, deleted or not (the caller decides what a deleted one means). */
  async get(id: string): Promise<StoredMoment | null> {
    return (await this.getMany([id]))[0] ?? null;
  }

  /** Posts by id, deleted or not, in no particular order; a row that does not open is left out (and logged). */
  async getMany(ids: readonly string[]): Promise<StoredMoment[]> {
    const unique = [...new Set(ids)];
    const found: StoredMoment[] = [];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.#db.kysely.selectFrom('moments').selectAll().where('id', 'in', unique.slice(i, i + CHUNK)).execute();
      found.push(...(await this.#open(rows)));
    }
    return found;
  }

  /**
   * A page of posts newest first (created_at, id): the scope's, narrowed to
   * those the viewer may see (their own always), not deleted. Candidates:
   * the Audience decides on each.
   */
  async page(query: MomentPageQuery): Promise<StoredMoment[]> {
    const viewer = query.viewerId;
    let select = this.#db.kysely.selectFrom('moments as m').selectAll('m').where('m.deleted_at', 'is', null);
    const scope = query.scope;
    if (scope.kind === 'author') select = select.where('m.author_id', '=', scope.authorId);
    if (scope.kind === 'friends') select = select.where('m.author_id', 'in', (eb) => eb.selectFrom('contacts').select('contacts.contact_id').where('contacts.owner_id', '=', viewer));
    if (!(scope.kind === 'author' && scope.authorId === viewer)) {
      select = select.where((eb) =>
        eb.or([
          eb('m.author_id', '=', viewer),
          eb.and([
            eb.or([
              eb('m.visibility', '=', 'all'),
              eb.and([
                eb('m.visibility', '=', 'friends'),
                eb.exists(eb.selectFrom('contacts as c').select('c.contact_id').whereRef('c.owner_id', '=', 'm.author_id').where('c.contact_id', '=', viewer)),
              ]),
            ]),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('blocks as b')
                  .select('b.owner_id')
                  .where((b) =>
                    b.or([
                      b.and([b('b.owner_id', '=', b.ref('m.author_id')), b('b.blocked_id', '=', viewer)]),
                      b.and([b('b.owner_id', '=', viewer), b('b.blocked_id', '=', b.ref('m.author_id'))]),
                    ]),
                  ),
              ),
            ),
          ]),
        ]),
      );
    }
    if (query.since !== undefined) select = select.where('m.created_at', '>', query.since);
    const before = query.before;
    // A row-value comparison, not an OR of two: both engines then walk the (created_at, id) index from the cursor, without a sort.
    if (before) select = select.where((eb) => eb(eb.refTuple('m.created_at', 'm.id'), '<', eb.tuple(before.createdAt, before.id)));
    for (const candidates of query.terms ?? []) {
      const terms = [...new Set(candidates)];
      select = select.where('m.id', 'in', (eb) => eb.selectFrom('moment_terms as t').select('t.moment_id').where('t.term', 'in', terms));
    }
    const rows = await select.orderBy('m.created_at', 'desc').orderBy('m.id', 'desc').limit(query.limit).execute();
    return this.#open(rows);
  }

  /** The posts, not deleted, that carry this file (readsFile; one as a rule). */
  async carrying(fileId: string): Promise<StoredMoment[]> {
    const rows = await this.#db.kysely
      .selectFrom('moment_files as f')
      .innerJoin('moments as m', 'm.id', 'f.moment_id')
      .selectAll('m')
      .where('f.file_id', '=', fileId)
      .where('m.deleted_at', 'is', null)
      .limit(20)
      .execute();
    return this.#open(rows);
  }

  /** Changes a post's visibility; false when it is not the author's or is deleted. */
  async setVisibility(id: string, authorId: string, visibility: Visibility, at: number): Promise<boolean> {
    const result = await this.#db.writer.write((trx) =>
      trx.updateTable('moments').set({ visibility, updated_at: at }).where('id', '=', id).where('author_id', '=', authorId).where('deleted_at', 'is', null).executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Deletes a post (soft: the row stays for reports and the audit; its
   * search terms go), in one write with what goes with it: an audit entry
   * (an admin's removal), and the post's open reports resolved as removed.
   * `removed`: false when it was already deleted (the reports are resolved
   * all the same).
   */
  async remove(id: string, options: { by: string; at: number; audit?: AuditEntry; resolveReports?: boolean }): Promise<{ removed: boolean; reportsResolved: number }> {
    return this.#db.writer.write(async (trx) => {
      const updated = await trx.updateTable('moments').set({ deleted_at: options.at, deleted_by: options.by, updated_at: options.at, terms_key: null }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
      const removed = Number(updated.numUpdatedRows) === 1;
      if (removed) await trx.deleteFrom('moment_terms').where('moment_id', '=', id).execute();
      let reportsResolved = 0;
      if (options.resolveReports) {
        const resolved = await trx
          .updateTable('moment_reports')
          .set({ state: 'resolved', resolution: 'remove', resolved_at: options.at, resolved_by: options.by })
          .where('moment_id', '=', id)
          .where('state', '=', 'open')
          .executeTakeFirst();
        reportsResolved = Number(resolved.numUpdatedRows);
      }
      if (options.audit && (removed || reportsResolved > 0)) await this.#db.audit.appendIn(trx, options.audit);
      return { removed, reportsResolved };
    });
  }

  // ------------------------------------------------------------ the search index after a key rotation

  /** Posts, not deleted, whose terms are hashed under another key than `activeKeyId`, at most `limit`. */
  async staleTerms(activeKeyId: string, limit: number): Promise<StoredMoment[]> {
    const rows = await this.#db.kysely.selectFrom('moments').selectAll().where('terms_key', 'is not', null).where('terms_key', '<>', activeKeyId).where('deleted_at', 'is', null).orderBy('id').limit(limit).execute();
    return this.#open(rows);
  }

  /**
   * Replaces a post's terms with these words hashed under the active key,
   * compare-and-set on its terms_key (false, nothing written, when another
   * process re-hashed it first or it was deleted).
   */
  async rehash(id: string, expectedKeyId: string, tokens: readonly string[]): Promise<boolean> {
    const keyId = this.activeKeyId;
    const terms = [...new Set(tokens.map((t) => this.term(t)))];
    return this.#db.writer.write(async (trx) => {
      const updated = await trx
        .updateTable('moments')
        .set({ terms_key: terms.length > 0 ? keyId : null })
        .where('id', '=', id)
        .where('terms_key', '=', expectedKeyId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await trx.deleteFrom('moment_terms').where('moment_id', '=', id).execute();
      for (let i = 0; i < terms.length; i += CHUNK) {
        await trx.insertInto('moment_terms').values(terms.slice(i, i + CHUNK).map((term) => ({ term, moment_id: id }))).execute();
      }
      return true;
    });
  }

  /** Terms stored for a post (tests: the index's contents). */
  async termsOf(id: string): Promise<string[]> {
    const rows = await this.#db.kysely.selectFrom('moment_terms').select('term').where('moment_id', '=', id).orderBy('term').execute();
    return rows.map((r) => r.term);
  }

  async #open(rows: Row[]): Promise<StoredMoment[]> {
    if (rows.length === 0) return [];
    const files = new Map<string, string[]>();
    const ids = rows.map((r) => r.id);
    for (let i = 0; i < ids.length; i += CHUNK) {
      const fileRows = await this.#db.kysely.selectFrom('moment_files').select(['moment_id', 'file_id']).where('moment_id', 'in', ids.slice(i, i + CHUNK)).orderBy('moment_id').orderBy('position').execute();
      for (const f of fileRows) {
        const list = files.get(f.moment_id) ?? [];
        list.push(f.file_id);
        files.set(f.moment_id, list);
      }
    }
    return openEach(this.#db, 'moments', rows, (row) => {
      const body = this.#db.sealer.openJson<Body>(row.body, bodyAad(row.id));
      return {
        id: row.id,
        authorId: row.author_id,
        visibility: row.visibility as Visibility,
        text: body.text,
        location: body.location,
        fileIds: files.get(row.id) ?? [],
        createdAt: Number(row.created_at),
        updatedAt: Number(row.updated_at),
        deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
        deletedBy: row.deleted_by,
        termsKey: row.terms_key,
      };
    });
  }
}
