/**
 * The files table: one row per upload, on either engine. The name and every
 * fact about the content are one sealed JSON value (meta), the content key
 * another (data_key); the plain columns are what the access checks and the
 * retention sweeper query. Status changes that two processes could race on
 * (finishing, claiming for deletion) are conditional writes: exactly one wins.
 */
import type { Database } from '@muster/db';
import type { FileKind } from '../protocol.ts';

export type FileStatus = 'uploading' | 'ready' | 'deleting' | 'expired';

/** Everything sealed about a file. */
export interface FileMeta {
  name: string;
  /** What the uploader said (Upload-Metadata filetype): a hint for processing, never served. */
  declaredMime?: string;
  /** Images: keep the GPS position (Upload-Metadata keepLocation=1). */
  keepLocation?: boolean;
  /** After processing: the true type, from the bytes. */
  mime?: string;
  width?: number;
  height?: number;
  durationMs?: number;
  waveform?: number[];
  thumbnail?: boolean;
  thumbnailMime?: string;
  thumbnailSize?: number;
  /** Which blob holds the content: the upload, or the GPS-stripped replacement processing made. */
  content?: 'original' | 'replacement';
}

export interface StoredFile {
  id: string;
  ownerId: string;
  conversationId: string | null;
  status: FileStatus;
  kind: FileKind | null;
  size: number | null;
  meta: FileMeta;
  createdAt: number;
  completedAt: number | null;
  lastRefAt: number | null;
  expiredAt: number | null;
}

export interface NewFile {
  id: string;
  ownerId: string;
  conversationId: string | null;
  size: number | null;
  meta: FileMeta;
  /** The packed content key (ContentCipher.packContentKey). */
  contentKey: Buffer;
  createdAt: number;
}

type Row = {
  id: string;
  owner_id: string;
  conversation_id: string | null;
  status: FileStatus;
  kind: string | null;
  size: number | string | null;
  meta: Buffer;
  created_at: number | string;
  completed_at: number | string | null;
  last_ref_at: number | string | null;
  expired_at: number | string | null;
};

const metaAad = (id: string) => ({ table: 'files', column: 'meta', rowId: id });
const keyAad = (id: string) => ({ table: 'files', column: 'data_key', rowId: id });
const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
const COLUMNS = ['id', 'owner_id', 'conversation_id', 'status', 'kind', 'size', 'meta', 'created_at', 'completed_at', 'last_ref_at', 'expired_at'] as const;

export class FileRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async create(file: NewFile): Promise<void> {
    const sealer = this.#db.sealer;
    await this.#db.writer.write(async (trx) => {
      await trx
        .insertInto('files')
        .values({
          id: file.id,
          owner_id: file.ownerId,
          conversation_id: file.conversationId,
          status: 'uploading',
          kind: null,
          size: file.size,
          meta: sealer.sealJson(file.meta, metaAad(file.id)),
          data_key: sealer.seal(file.contentKey, keyAad(file.id)),
          created_at: file.createdAt,
          completed_at: null,
          last_ref_at: null,
          expired_at: null,
        })
        .execute();
    });
  }

  async get(id: string): Promise<StoredFile | null> {
    const row = await this.#db.kysely.selectFrom('files').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return row ? this.#open(row as Row) : null;
  }

  async getMany(ids: readonly string[]): Promise<StoredFile[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.kysely.selectFrom('files').select(COLUMNS).where('id', 'in', [...new Set(ids)]).execute();
    return rows.map((row) => this.#open(row as Row));
  }

  /** The file's packed content key, or null (no such file, or retention deleted it). */
  async contentKey(id: string): Promise<Buffer | null> {
    const row = await this.#db.kysely.selectFrom('files').select(['data_key']).where('id', '=', id).executeTakeFirst();
    return row?.data_key ? this.#db.sealer.open(row.data_key, keyAad(id)) : null;
  }

  /** uploading → ready with what processing found; false when it was not uploading any more (another request finished it). */
  async finish(id: string, result: { kind: FileKind; size: number; meta: FileMeta; completedAt: number }): Promise<boolean> {
    const meta = this.#db.sealer.sealJson(result.meta, metaAad(id));
    return this.#db.writer.write(async (trx) => {
      const done = await trx
        .updateTable('files')
        .set({ status: 'ready', kind: result.kind, size: result.size, meta, completed_at: result.completedAt })
        .where('id', '=', id)
        .where('status', '=', 'uploading')
        .executeTakeFirst();
      return Number(done.numUpdatedRows) === 1;
    });
  }

  async delete(id: string): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx.deleteFrom('files').where('id', '=', id).execute();
    });
  }

  /** last_ref_at = max(last_ref_at, at) for each id. */
  async referenced(ids: readonly string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.#db.writer.write(async (trx) => {
      await trx
        .updateTable('files')
        .set({ last_ref_at: at })
        .where('id', 'in', [...new Set(ids)])
        .where((eb) => eb.or([eb('last_ref_at', 'is', null), eb('last_ref_at', '<', at)]))
        .execute();
    });
  }

  // ------------------------------------------------------------ retention

  /**
   * Ids the sweeper should claim, oldest first: unfinished uploads created
   * before `staleBefore`; finished files never referenced, finished before
   * `staleBefore`; and (with a retention period) files last referenced
   * before `expireBefore`. And rows left in `deleting` by a sweep cut short.
   */
  async sweepCandidates(staleBefore: number, expireBefore: number | null, limit: number): Promise<{ deleting: StoredFile[]; stale: string[]; unreferenced: string[]; expiring: string[] }> {
    const k = this.#db.kysely;
    const deleting = await k.selectFrom('files').select(COLUMNS).where('status', '=', 'deleting').limit(limit).execute();
    const stale = await k.selectFrom('files').select('id').where('status', '=', 'uploading').where('created_at', '<', staleBefore).orderBy('created_at').limit(limit).execute();
    const unreferenced = await k
      .selectFrom('files')
      .select('id')
      .where('status', '=', 'ready')
      .where('last_ref_at', 'is', null)
      .where('completed_at', '<', staleBefore)
      .orderBy('completed_at')
      .limit(limit)
      .execute();
    const expiring =
      expireBefore === null
        ? []
        : await k.selectFrom('files').select('id').where('status', '=', 'ready').where('last_ref_at', '<', expireBefore).orderBy('last_ref_at').limit(limit).execute();
    return {
      deleting: deleting.map((row) => this.#open(row as Row)),
      stale: stale.map((r) => r.id),
      unreferenced: unreferenced.map((r) => r.id),
      expiring: expiring.map((r) => r.id),
    };
  }

  /**
   * Moves a file to `deleting` if it still qualifies (checked in the same
   * statement, so a reference or a finish that came meanwhile wins): the
   * caller that gets true deletes the bytes, then completeDeletion.
   */
  async claim(id: string, why: 'stale' | 'unreferenced' | 'expiring', before: number): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      let q = trx.updateTable('files').set({ status: 'deleting' }).where('id', '=', id);
      if (why === 'stale') q = q.where('status', '=', 'uploading').where('created_at', '<', before);
      if (why === 'unreferenced') q = q.where('status', '=', 'ready').where('last_ref_at', 'is', null).where('completed_at', '<', before);
      if (why === 'expiring') q = q.where('status', '=', 'ready').where('last_ref_at', '<', before);
      return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
    });
  }

  /**
   * After the bytes are gone: a file no message ever referenced is forgotten
   * (its row deleted); one a message references stays as `expired`, its name
   * kept for the message, its content key dropped.
   */
  async completeDeletion(id: string, at: number): Promise<'deleted' | 'expired' | 'none'> {
    return this.#db.writer.write(async (trx) => {
      const gone = await trx.deleteFrom('files').where('id', '=', id).where('status', '=', 'deleting').where('last_ref_at', 'is', null).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 1) return 'deleted';
      const expired = await trx
        .updateTable('files')
        .set({ status: 'expired', expired_at: at, data_key: null })
        .where('id', '=', id)
        .where('status', '=', 'deleting')
        .executeTakeFirst();
      return Number(expired.numUpdatedRows) === 1 ? 'expired' : 'none';
    });
  }

  #open(row: Row): StoredFile {
    return {
      id: row.id,
      ownerId: row.owner_id,
      conversationId: row.conversation_id,
      status: row.status,
      kind: row.kind as FileKind | null,
      size: num(row.size),
      meta: this.#db.sealer.openJson<FileMeta>(row.meta, metaAad(row.id)),
      createdAt: Number(row.created_at),
      completedAt: num(row.completed_at),
      lastRefAt: num(row.last_ref_at),
      expiredAt: num(row.expired_at),
    };
  }
}
