/**
 * A sql.js (SQLite in WebAssembly, no native addon) database kept in one
 * file: sql.js works on an in-memory image, so the file is read once at open
 * and rewritten whole, atomically (temp file + rename), on save. Used by the
 * meeting store and the whiteboard store (exported as `@muster/signaling/sql-file`).
 */
import fs from 'node:fs';
import path from 'node:path';
import initSqlJs, { type Database } from 'sql.js';

/** Opens `file` (created with its folder if missing) as an in-memory database. */
export async function openSqlFile(file: string): Promise<Database> {
  const SQL = await initSqlJs();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return new SQL.Database(fs.existsSync(file) ? fs.readFileSync(file) : undefined);
}

/** Replaces `file` with the database's image atomically; `mode` for files that hold secrets. */
export function saveSqlFile(db: Database, file: string, mode?: number): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, db.export(), mode === undefined ? undefined : { mode });
  fs.renameSync(temp, file);
}
