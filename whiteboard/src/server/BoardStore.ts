import { MemoryBoardLogRepository, type BoardLogRepository, type Json } from '@muster/db';
import * as Y from 'yjs';
import { AccessSettingsSchema, DEFAULT_ACCESS, type AccessSettings } from '../protocol.ts';

/** A board's settings, kept beside its document (the `boards.meta` column, sealed). */
export interface BoardMeta {
  access: AccessSettings;
  /** Standalone boards: hash of the key that makes its holder host. */
  ownerKeyHash?: string;
}

/** What is kept of a board between server runs. */
export interface StoredBoard extends BoardMeta {
  id: string;
  /** The document: the snapshot (if any), then every update after it. Apply them all, in order. */
  updates: Uint8Array[];
  /** The updates after the snapshot: how many, and their bytes (compaction decides on these). */
  tail: { seq: number; bytes: number }[];
  createdAt: number;
  updatedAt: number;
  /** Bytes stored: snapshot plus tail. */
  sizeBytes: number;
}

export interface StoredBoardSummary {
  id: string;
  createdAt: number;
  updatedAt: number;
  bytes: number;
}

/**
 * Merges Yjs updates into one, garbage-collected: through a document, so
 * deleted content shrinks to tombstones (Y.mergeUpdates alone keeps it).
 */
export function mergeBoardUpdates(base: Uint8Array | null, updates: Uint8Array[]): Uint8Array {
  const doc = new Y.Doc({ gc: true });
  try {
    Y.applyUpdate(doc, Y.mergeUpdates(base ? [base, ...updates] : updates));
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
}

/**
 * Boards on @muster/db's BoardLogRepository: each change is one appended row
 * (the Yjs update), never a rewrite; loading applies the latest snapshot and
 * the updates after it; `compact` folds the tail into a new snapshot. The
 * repository is the server's database (sealed at rest) or, for tests and
 * embedding, its in-memory twin.
 */
export class BoardStore {
  readonly repository: BoardLogRepository;

  constructor(repository: BoardLogRepository = new MemoryBoardLogRepository()) {
    this.repository = repository;
  }

  async load(id: string): Promise<StoredBoard | null> {
    const log = await this.repository.read(id);
    if (!log) return null;
    const meta = parseMeta(log.meta);
    return {
      id,
      ...meta,
      updates: [...(log.snapshot ? [log.snapshot.state] : []), ...log.updates.map((u) => u.update)],
      tail: log.updates.map((u) => ({ seq: u.seq, bytes: u.update.byteLength })),
      createdAt: log.createdAt,
      updatedAt: log.updatedAt,
      sizeBytes: log.sizeBytes,
    };
  }

  async exists(id: string): Promise<boolean> {
    return (await this.repository.read(id)) !== null;
  }

  /** Appends one document update (creating the board); resolves with its sequence number once committed. */
  append(id: string, update: Uint8Array, at?: number): Promise<number> {
    return this.repository.append(id, update, at);
  }

  /** Sets the board's settings (creating the board; `at` is its creation time then). */
  putMeta(id: string, meta: BoardMeta, at?: number): Promise<void> {
    const json: { access: Json; ownerKeyHash?: string } = { access: structuredClone(meta.access) as unknown as Json };
    if (meta.ownerKeyHash !== undefined) json.ownerKeyHash = meta.ownerKeyHash;
    return this.repository.putMeta(id, json, at);
  }

  /** Folds the snapshot and the tail into a new snapshot; updates appended meanwhile stay in the tail. */
  compact(id: string): Promise<{ uptoSeq: number; removed: number } | null> {
    return this.repository.compact(id, mergeBoardUpdates);
  }

  delete(id: string): Promise<boolean> {
    return this.repository.delete(id);
  }

  /** Most recently updated first. */
  async list(): Promise<StoredBoardSummary[]> {
    return (await this.repository.list()).map((b) => ({ id: b.id, createdAt: b.createdAt, updatedAt: b.updatedAt, bytes: b.sizeBytes }));
  }
}

function parseMeta(meta: Json | null): BoardMeta {
  const raw = meta && typeof meta === 'object' && !Array.isArray(meta) ? meta : {};
  const access = AccessSettingsSchema.safeParse(raw.access);
  return {
    access: access.success ? access.data : DEFAULT_ACCESS,
    ...(typeof raw.ownerKeyHash === 'string' ? { ownerKeyHash: raw.ownerKeyHash } : {}),
  };
}
