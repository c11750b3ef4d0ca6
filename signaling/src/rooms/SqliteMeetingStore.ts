import type { Database } from 'sql.js';
import { DEFAULT_SETTINGS, MeetingSettingsSchema } from '../protocol.ts';
import { openSqlFile, saveSqlFile } from '../util/sqlFile.ts';
import type { MeetingConfig, MeetingStore } from './MeetingStore.ts';

/**
 * Scheduled and API-created meetings in one SQLite file under the data
 * directory, so they survive restarts. sql.js is SQLite in WebAssembly (no
 * native addon); it works on an in-memory image, which is written back whole
 * and atomically (temp file + rename, mode 600: it holds host keys and
 * passcodes) on every change. Meetings change a few times a day, not a second.
 */
export class SqliteMeetingStore implements MeetingStore {
  readonly file: string;
  readonly #db: Database;
  #closed = false;

  private constructor(file: string, db: Database) {
    this.file = file;
    this.#db = db;
  }

  static async open(file: string): Promise<SqliteMeetingStore> {
    const db = await openSqlFile(file);
    db.run(`CREATE TABLE IF NOT EXISTS meetings (
      id TEXT PRIMARY KEY,
      topic TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      starts_at INTEGER,
      passcode TEXT,
      host_key TEXT NOT NULL,
      settings TEXT NOT NULL,
      lobby INTEGER NOT NULL,
      locked INTEGER NOT NULL
    )`);
    return new SqliteMeetingStore(file, db);
  }

  get(id: string): MeetingConfig | undefined {
    return this.#select('WHERE id = ?', [id])[0];
  }

  list(): MeetingConfig[] {
    return this.#select('ORDER BY created_at', []);
  }

  put(config: MeetingConfig): void {
    this.#assertOpen();
    this.#db.run(
      `INSERT INTO meetings (id, topic, created_at, starts_at, passcode, host_key, settings, lobby, locked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET topic = excluded.topic, starts_at = excluded.starts_at, passcode = excluded.passcode,
         host_key = excluded.host_key, settings = excluded.settings, lobby = excluded.lobby, locked = excluded.locked`,
      [config.id, config.topic, config.createdAt, config.startsAt, config.passcode, config.hostKey, JSON.stringify(config.settings), config.lobby ? 1 : 0, config.locked ? 1 : 0],
    );
    this.#write();
  }

  delete(id: string): boolean {
    this.#assertOpen();
    this.#db.run('DELETE FROM meetings WHERE id = ?', [id]);
    const removed = this.#db.getRowsModified() > 0;
    if (removed) this.#write();
    return removed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #select(where: string, params: (string | number)[]): MeetingConfig[] {
    this.#assertOpen();
    const statement = this.#db.prepare(`SELECT id, topic, created_at, starts_at, passcode, host_key, settings, lobby, locked FROM meetings ${where}`);
    const rows: MeetingConfig[] = [];
    try {
      statement.bind(params);
      while (statement.step()) {
        const row = statement.get();
        // Settings written by an older version may lack newer keys: defaults fill them.
        const settings = MeetingSettingsSchema.partial().safeParse(safeJson(String(row[6])));
        rows.push({
          id: String(row[0]),
          topic: String(row[1]),
          createdAt: Number(row[2]),
          startsAt: row[3] === null ? null : Number(row[3]),
          passcode: row[4] === null ? null : String(row[4]),
          hostKey: String(row[5]),
          settings: { ...DEFAULT_SETTINGS, ...(settings.success ? settings.data : {}) },
          lobby: Number(row[7]) === 1,
          locked: Number(row[8]) === 1,
          persistent: true,
        });
      }
    } finally {
      statement.free();
    }
    return rows;
  }

  #write(): void {
    saveSqlFile(this.#db, this.file, 0o600);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the meeting store is closed');
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
