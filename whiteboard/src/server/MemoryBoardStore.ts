import type { BoardStore, StoredBoard, StoredBoardSummary } from './BoardStore.ts';

/** Keeps boards in this process only: tests, and deployments that want boards to vanish on restart. */
export class MemoryBoardStore implements BoardStore {
  readonly #boards = new Map<string, StoredBoard>();

  async load(id: string): Promise<StoredBoard | null> {
    const board = this.#boards.get(id);
    return board ? { ...board, state: board.state.slice(), access: structuredClone(board.access) } : null;
  }

  async save(board: StoredBoard): Promise<void> {
    this.#boards.set(board.id, { ...board, state: board.state.slice(), access: structuredClone(board.access) });
  }

  async delete(id: string): Promise<void> {
    this.#boards.delete(id);
  }

  async list(): Promise<StoredBoardSummary[]> {
    return [...this.#boards.values()].map((b) => ({ id: b.id, createdAt: b.createdAt, updatedAt: b.updatedAt, bytes: b.state.byteLength }));
  }

  async close(): Promise<void> {}
}
