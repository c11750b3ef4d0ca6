import { openSqlFile, saveSqlFile } from '@muster/signaling/sql-file';
import type { Database } from 'sql.js';
import { AccessSettingsSchema, DEFAULT_ACCESS } from '../protocol.ts';
import type { BoardStore, StoredBoard, StoredBoardSummary } from './BoardStore.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'whiteboard' });

/** How long writes are gathered before the database file is rewritten. */
const FLUSH_DELAY_MS = 250;

/**
 * The embedded default: one SQLite database file under the data directory.
 * sql.js is SQLite compiled to WebAssembly (no native addon to build); it
 * works on an in-memory image, so the file is rewritten as a whole, atomically
 * (temp file + rename), a short while after changes. Boards are saved
 * debounced upstream, so this stays a few writes per second at most.
 */
export class SqliteBoardStore implements BoardStore {
  readonly file: string;
  readonly #db: Database;
  #flushTimer?: NodeJS.Timeout;
  #dirty = false;
  #closed = false;

  private constructor(file: string, db: Database) {
    this.file = file;
    this.#db = db;
  }

  static async open(file: string): Promise<SqliteBoardStore> {
    const db = await openSqlFile(file);
    db.run(`CREATE TABLE IF NOT EXISTS boards (
      id TEXT PRIMARY KEY,
      state BLOB NOT NULL,
      access TEXT NOT NULL,
      owner_key_hash TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
    return new SqliteBoardStore(file, db);
  }

  async load(id: string): Promise<StoredBoard | null> {
    this.#assertOpen();
    const statement = this.#db.prepare('SELECT id, state, access, owner_key_hash, created_at, updated_at FROM boards WHERE id = ?');
    try {
      statement.bind([id]);
      if (!statement.step()) return null;
      const row = statement.get();
      const access = AccessSettingsSchema.safeParse(safeJson(String(row[2])));
      return {
        id: String(row[0]),
        state: row[1] as Uint8Array,
        access: access.success ? access.data : DEFAULT_ACCESS,
        ownerKeyHash: row[3] === null ? undefined : String(row[3]),
        createdAt: Number(row[4]),
        updatedAt: Number(row[5]),
      };
    } finally {
      statement.free();
    }
  }

  async save(board: StoredBoard): Promise<void> {
    this.#assertOpen();
    this.#db.run(
      `INSERT INTO boards (id, state, access, owner_key_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, access = excluded.access, owner_key_hash = excluded.owner_key_hash, updated_at = excluded.updated_at`,
      [board.id, board.state, JSON.stringify(board.access), board.ownerKeyHash ?? null, board.createdAt, board.updatedAt],
    );
    this.#scheduleFlush();
  }

  async delete(id: string): Promise<void> {
    this.#assertOpen();
    this.#db.run('DELETE FROM boards WHERE id = ?', [id]);
    this.#scheduleFlush();
  }

  async list(): Promise<StoredBoardSummary[]> {
    this.#assertOpen();
    const result = this.#db.exec('SELECT id, created_at, updated_at, length(state) FROM boards ORDER BY updated_at DESC');
    return (result[0]?.values ?? []).map((row) => ({ id: String(row[0]), createdAt: Number(row[1]), updatedAt: Number(row[2]), bytes: Number(row[3]) }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    clearTimeout(this.#flushTimer);
    this.flush();
    this.#closed = true;
    this.#db.close();
  }

  /** Writes the database file now if anything changed. */
  flush(): void {
    if (!this.#dirty || this.#closed) return;
    this.#dirty = false;
    saveSqlFile(this.#db, this.file);
  }

  #scheduleFlush(): void {
    this.#dirty = true;
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      try {
        this.flush();
      } catch (error) {
        log.error({ err: error }, 'could not write the board database');
        this.#dirty = true;
      }
    }, FLUSH_DELAY_MS);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the board store is closed');
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
