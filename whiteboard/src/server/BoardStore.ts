import type { AccessSettings } from '../protocol.ts';

/** What is kept of a board between server runs. */
export interface StoredBoard {
  id: string;
  /** The whole Yjs document, as one update (`Y.encodeStateAsUpdate`). */
  state: Uint8Array;
  access: AccessSettings;
  /** Standalone boards: hash of the key that makes its holder host. */
  ownerKeyHash?: string;
  createdAt: number;
  updatedAt: number;
}

export interface StoredBoardSummary {
  id: string;
  createdAt: number;
  updatedAt: number;
  bytes: number;
}

/**
 * Board persistence. `BoardService` writes a board's whole state after a
 * quiet spell (debounced) and on close; stores only ever see complete states,
 * so an implementation needs no knowledge of Yjs.
 */
export interface BoardStore {
  load(id: string): Promise<StoredBoard | null>;
  save(board: StoredBoard): Promise<void>;
  delete(id: string): Promise<void>;
  list(): Promise<StoredBoardSummary[]>;
  /** Flushes anything pending and releases the store. Idempotent. */
  close(): Promise<void>;
}
