import { sql } from 'kysely';
import type { Database } from '../Database.ts';
import { SEALED_OVERHEAD_BYTES } from '../Sealer.ts';
import type { BoardLog, BoardLogRepository, BoardMerge, BoardSummary } from './BoardLogRepository.ts';
import type { Json } from './MeetingRepository.ts';

const updateAad = (boardId: string, seq: number) => ({ table: 'board_updates', column: 'data', rowId: `${boardId}/${seq}` });
const snapshotAad = (boardId: string, uptoSeq: number) => ({ table: 'board_snapshots', column: 'state', rowId: `${boardId}/${uptoSeq}` });
const metaAad = (boardId: string) => ({ table: 'boards', column: 'meta', rowId: boardId });

/** How often compact() re-reads when another compaction of the same board got in first. */
const COMPACT_ATTEMPTS = 3;

/** Board logs in boards / board_updates / board_snapshots, every byte of content sealed; either engine. */
export class SqlBoardLogRepository implements BoardLogRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  append(boardId: string, update: Uint8Array, at = Date.now()): Promise<number> {
    const length = update.byteLength;
    return this.#db.writer.write(async (trx) => {
      // The board row hands out the sequence number: last_seq survives
      // compaction, so a seq is never reused.
      const { last_seq: seq } = await trx
        .insertInto('boards')
        .values({ id: boardId, meta: null, created_at: at, updated_at: at, size_bytes: length, last_seq: 1 })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ last_seq: sql<number>`boards.last_seq + 1`, size_bytes: sql<number>`boards.size_bytes + ${length}`, updated_at: at }),
        )
        .returning('last_seq')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('board_updates')
        .values({ board_id: boardId, seq, data: this.#db.sealer.seal(update, updateAad(boardId, seq)), at })
        .execute();
      return seq;
    });
  }

  async read(boardId: string): Promise<BoardLog | null> {
    // No read transaction, and still consistent: the tail is read first, the
    // snapshot second. A compaction committing in between only moves the
    // snapshot forward; the tail is then cut at the newer snapshot, and what
    // remains still follows it without a gap.
    const db = this.#db.kysely;
    const updates = await db.selectFrom('board_updates').selectAll().where('board_id', '=', boardId).orderBy('seq').execute();
    const snapshot = await db.selectFrom('board_snapshots').selectAll().where('board_id', '=', boardId).executeTakeFirst();
    const board = await db.selectFrom('boards').selectAll().where('id', '=', boardId).executeTakeFirst();
    if (!board) return null;
    const { sealer } = this.#db;
    const uptoSeq = snapshot?.upto_seq ?? 0;
    const tail = updates.filter((u) => u.seq > uptoSeq).map((u) => ({ seq: u.seq, update: sealer.open(u.data, updateAad(boardId, u.seq)), at: u.at }));
    return {
      id: board.id,
      meta: board.meta === null ? null : sealer.openJson<Json>(board.meta, metaAad(boardId)),
      createdAt: board.created_at,
      updatedAt: board.updated_at,
      sizeBytes: board.size_bytes,
      lastSeq: tail.at(-1)?.seq ?? uptoSeq,
      snapshot: snapshot ? { uptoSeq: snapshot.upto_seq, state: sealer.open(snapshot.state, snapshotAad(boardId, snapshot.upto_seq)), at: snapshot.at } : null,
      updates: tail,
    };
  }

  async compact(boardId: string, merge: BoardMerge): Promise<{ uptoSeq: number; removed: number } | null> {
    for (let attempt = 1; ; attempt++) {
      // Merged outside the writer (merging a large board takes a while and
      // would hold every other write); the write then checks that nobody
      // compacted meanwhile. Updates appended meanwhile stay in the tail.
      const log = await this.read(boardId);
      if (!log) return null;
      if (log.updates.length === 0) return { uptoSeq: log.snapshot?.uptoSeq ?? 0, removed: 0 };
      const baseSeq = log.snapshot?.uptoSeq ?? 0;
      const state = await merge(log.snapshot?.state ?? null, log.updates.map((u) => u.update));
      const uptoSeq = log.lastSeq;
      const result = await this.#db.writer.write(async (trx) => {
        const current = await trx.selectFrom('board_snapshots').select('upto_seq').where('board_id', '=', boardId).executeTakeFirst();
        if ((current?.upto_seq ?? 0) !== baseSeq) return 'raced' as const;
        if (!(await trx.selectFrom('boards').select('id').where('id', '=', boardId).executeTakeFirst())) return null;
        const now = Date.now();
        const sealed = this.#db.sealer.seal(state, snapshotAad(boardId, uptoSeq));
        await trx
          .insertInto('board_snapshots')
          .values({ board_id: boardId, upto_seq: uptoSeq, state: sealed, at: now })
          .onConflict((oc) => oc.column('board_id').doUpdateSet({ upto_seq: uptoSeq, state: sealed, at: now }))
          .execute();
        const deleted = await trx.deleteFrom('board_updates').where('board_id', '=', boardId).where('seq', '<=', uptoSeq).executeTakeFirst();
        // Size: the new snapshot plus whatever was appended after the read
        // (plaintext length = sealed length minus the fixed overhead).
        await trx
          .updateTable('boards')
          .set({
            size_bytes: sql<number>`${state.byteLength} + coalesce((select sum(length(data) - ${SEALED_OVERHEAD_BYTES}) from board_updates where board_id = ${boardId}), 0)`,
          })
          .where('id', '=', boardId)
          .execute();
        return { uptoSeq, removed: Number(deleted.numDeletedRows) };
      });
      if (result !== 'raced' || attempt >= COMPACT_ATTEMPTS) return result === 'raced' ? { uptoSeq: baseSeq, removed: 0 } : result;
    }
  }

  putMeta(boardId: string, meta: Json, at = Date.now()): Promise<void> {
    return this.#db.writer.write(async (trx) => {
      const sealed = this.#db.sealer.sealJson(meta, metaAad(boardId));
      await trx
        .insertInto('boards')
        .values({ id: boardId, meta: sealed, created_at: at, updated_at: at, size_bytes: 0, last_seq: 0 })
        .onConflict((oc) => oc.column('id').doUpdateSet({ meta: sealed, updated_at: at }))
        .execute();
    });
  }

  async list(): Promise<BoardSummary[]> {
    const rows = await this.#db.kysely.selectFrom('boards').select(['id', 'created_at', 'updated_at', 'size_bytes']).orderBy('updated_at', 'desc').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at, updatedAt: r.updated_at, sizeBytes: r.size_bytes }));
  }

  delete(boardId: string): Promise<boolean> {
    // Updates and snapshot go with it (ON DELETE CASCADE).
    return this.#db.writer.write(async (trx) => {
      const result = await trx.deleteFrom('boards').where('id', '=', boardId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }
}
