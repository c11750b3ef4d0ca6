import type { Json } from './MeetingRepository.ts';
import type { BoardLog, BoardLogRepository, BoardMerge, BoardSummary } from './BoardLogRepository.ts';

/** Tests and embedding: the BoardLogRepository contract in memory (values copied in and out). */
export class MemoryBoardLogRepository implements BoardLogRepository {
  readonly #boards = new Map<string, BoardLog>();

  async append(boardId: string, update: Uint8Array, at = Date.now()): Promise<number> {
    const board = this.#board(boardId, at);
    board.lastSeq++;
    board.updates.push({ seq: board.lastSeq, update: new Uint8Array(update), at });
    board.sizeBytes += update.byteLength;
    board.updatedAt = at;
    return board.lastSeq;
  }

  async read(boardId: string): Promise<BoardLog | null> {
    const board = this.#boards.get(boardId);
    return board ? structuredClone(board) : null;
  }

  async compact(boardId: string, merge: BoardMerge): Promise<{ uptoSeq: number; removed: number } | null> {
    const board = this.#boards.get(boardId);
    if (!board) return null;
    if (board.updates.length === 0) return { uptoSeq: board.snapshot?.uptoSeq ?? 0, removed: 0 };
    const state = await merge(board.snapshot ? new Uint8Array(board.snapshot.state) : null, board.updates.map((u) => new Uint8Array(u.update)));
    const uptoSeq = board.updates.at(-1)!.seq;
    const removed = board.updates.length;
    board.snapshot = { uptoSeq, state: new Uint8Array(state), at: Date.now() };
    board.updates = [];
    board.sizeBytes = state.byteLength;
    return { uptoSeq, removed };
  }

  async putMeta(boardId: string, meta: Json, at = Date.now()): Promise<void> {
    const board = this.#board(boardId, at);
    board.meta = structuredClone(meta);
    board.updatedAt = at;
  }

  async list(): Promise<BoardSummary[]> {
    return [...this.#boards.values()]
      .sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(({ id, createdAt, updatedAt, sizeBytes }) => ({ id, createdAt, updatedAt, sizeBytes }));
  }

  async delete(boardId: string): Promise<boolean> {
    return this.#boards.delete(boardId);
  }

  #board(boardId: string, at: number): BoardLog {
    let board = this.#boards.get(boardId);
    if (!board) {
      board = { id: boardId, meta: null, createdAt: at, updatedAt: at, sizeBytes: 0, lastSeq: 0, snapshot: null, updates: [] };
      this.#boards.set(boardId, board);
    }
    return board;
  }
}
