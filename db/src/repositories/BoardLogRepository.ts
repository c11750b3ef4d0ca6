import type { Json } from './MeetingRepository.ts';

export interface BoardUpdateEntry {
  seq: number;
  update: Uint8Array;
  at: number;
}

export interface BoardSnapshot {
  /** The snapshot contains every update with seq ≤ uptoSeq. */
  uptoSeq: number;
  state: Uint8Array;
  at: number;
}

/** A board as stored: the latest snapshot plus the updates after it. Apply the snapshot, then the updates in order. */
export interface BoardLog {
  id: string;
  meta: Json | null;
  createdAt: number;
  updatedAt: number;
  sizeBytes: number;
  lastSeq: number;
  snapshot: BoardSnapshot | null;
  /** Updates with seq > snapshot.uptoSeq (or all), ascending. */
  updates: BoardUpdateEntry[];
}

export interface BoardSummary {
  id: string;
  createdAt: number;
  updatedAt: number;
  sizeBytes: number;
}

/**
 * Merges a snapshot (or null) and the updates after it into one state; for
 * Yjs, `(base, updates) => Y.mergeUpdates(base ? [base, ...updates] : updates)`.
 * The store knows nothing of Yjs.
 */
export type BoardMerge = (base: Uint8Array | null, updates: Uint8Array[]) => Uint8Array | Promise<Uint8Array>;

/**
 * Whiteboards as an append-only log of updates per board, compacted now and
 * then into a snapshot. Implementations: SqlBoardLogRepository (SQLite,
 * PostgreSQL; updates, snapshot and meta sealed), MemoryBoardLogRepository.
 */
export interface BoardLogRepository {
  /** Appends an update (creating the board on first use); returns its sequence number, 1, 2, 3… per board. */
  append(boardId: string, update: Uint8Array, at?: number): Promise<number>;
  /** The snapshot and the tail, or null for an unknown board. */
  read(boardId: string): Promise<BoardLog | null>;
  /**
   * Writes a new snapshot holding the old one and every update so far
   * (`merge`), and deletes the updates it covers, in one transaction. Null for
   * an unknown board; a board without updates since its snapshot is left as it is.
   */
  compact(boardId: string, merge: BoardMerge): Promise<{ uptoSeq: number; removed: number } | null>;
  /** Sets the board's metadata (access settings, owner…), creating the board if needed. */
  putMeta(boardId: string, meta: Json, at?: number): Promise<void>;
  /** Most recently updated first. */
  list(): Promise<BoardSummary[]>;
  /** Whether there was such a board. */
  delete(boardId: string): Promise<boolean>;
}
