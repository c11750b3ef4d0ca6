import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';

/**
 * Reading the SQLite files of an install from before @muster/db (sql.js wrote
 * ordinary SQLite files), once, to import them. better-sqlite3 opens the file
 * read-only: nothing in it changes. Null when the file does not exist; no
 * rows when it lacks the table.
 */
export function readLegacySqlite<R = Record<string, unknown>>(file: string, query: string): R[] | null {
  if (!fs.existsSync(file)) return null;
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(query).all() as R[];
  } catch (error) {
    // A file that never got its table (created, then nothing stored) holds nothing to import.
    if (/no such table/.test((error as Error).message)) return [];
    throw error;
  } finally {
    db.close();
  }
}

/**
 * Puts an imported file aside as `<file>.migrated` (or `.migrated.1`, `.2`…
 * if that exists), so the next start does not import it again and the
 * operator can delete it once satisfied. Returns the new name.
 */
export function retireLegacyFile(file: string): string {
  let target = `${file}.migrated`;
  for (let n = 1; fs.existsSync(target); n++) target = `${file}.migrated.${n}`;
  fs.renameSync(file, target);
  return target;
}

/** A JSON column of a legacy row, or null when an older version left it unreadable (defaults then apply). */
export function parseLegacyJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
