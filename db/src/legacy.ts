import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Sealer, SealAad } from './Sealer.ts';

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

/** What a retired file's name ends with: `.migrated`, or `.migrated.1`, `.2`… when one was there already. */
const RETIRED = /\.migrated(\.\d+)?$/;
/** SQLite's files beside a database file; a retired database takes them along (they hold its data too). */
const SIDECARS = ['-wal', '-shm', '-journal'];

/** The additional data a retired file is sealed with: bound to the name it had, so it opens only as that file. */
function retiredAad(originalName: string): SealAad {
  return { table: 'retired_files', column: 'content', rowId: originalName };
}

/**
 * Puts an imported file aside as `<file>.migrated` (or `.migrated.1`, `.2`…
 * if that exists), so the next start does not import it again and the
 * operator can delete it once satisfied. Returns the new name.
 *
 * The old file holds the install's data in plaintext (meeting topics, board
 * contents), and nothing under the data directory may: the `.migrated` file
 * is the old one sealed under the data key (written, synced, then the
 * original and its -wal/-shm/-journal removed). `npm run keys -w db --
 * unseal-retired <file> <out>` gives the original back; a key rotation
 * re-seals it (resealRetiredFiles).
 */
export function retireLegacyFile(file: string, sealer: Sealer): string {
  let target = `${file}.migrated`;
  for (let n = 1; fs.existsSync(target); n++) target = `${file}.migrated.${n}`;
  const sidecars = SIDECARS.map((suffix) => `${file}${suffix}`).filter((f) => fs.existsSync(f));
  // A leftover -wal holds committed pages not yet in the main file: seal the database as SQLite sees it.
  const content = sidecars.length > 0 ? checkpointed(file) : fs.readFileSync(file);
  writeDurably(target, sealer.seal(content, retiredAad(path.basename(file))));
  for (const f of [file, ...sidecars]) fs.rmSync(f, { force: true });
  return target;
}

/** The original bytes of a retired file (`<name>.migrated…`). Throws when it does not open (another key, altered, renamed to another file). */
export function openRetiredFile(retired: string, sealer: Sealer): Buffer {
  return sealer.open(fs.readFileSync(retired), retiredAad(path.basename(retired).replace(RETIRED, '')));
}

/** Retired files under the data directory (its top level and one folder down, where the older installs kept theirs). */
export function retiredFiles(dataDir: string): string[] {
  const found: string[] = [];
  const scan = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isFile() && RETIRED.test(entry.name)) found.push(full);
      else if (entry.isDirectory() && depth > 0 && entry.name !== 'recordings' && entry.name !== 'keys') scan(full, depth - 1);
    }
  };
  scan(dataDir, 1);
  return found.sort();
}

/**
 * Re-seals every retired file under `dataDir` that is not sealed under the
 * active key (key rotation calls this before it deletes the old keys).
 * Write-then-rename: a crash leaves either the old or the new sealing, both
 * readable until the old key is gone. Returns how many it re-sealed.
 */
export function resealRetiredFiles(dataDir: string, sealer: Sealer): number {
  let resealed = 0;
  for (const file of retiredFiles(dataDir)) {
    const sealed = fs.readFileSync(file);
    if (sealer.keyIdOf(sealed) === sealer.activeKeyId) continue;
    const aad = retiredAad(path.basename(file).replace(RETIRED, ''));
    writeDurably(file, sealer.seal(sealer.open(sealed, aad), aad));
    resealed++;
  }
  return resealed;
}

/** The database in `file` with its WAL folded in, as one file's bytes (better-sqlite3's serialize). */
function checkpointed(file: string): Buffer {
  const db = new BetterSqlite3(file, { fileMustExist: true });
  try {
    return db.serialize();
  } finally {
    db.close();
  }
}

/** Writes `bytes` to `file` through a temporary file, synced before the rename. */
function writeDurably(file: string, bytes: Buffer): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** A JSON column of a legacy row, or null when an older version left it unreadable (defaults then apply). */
export function parseLegacyJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
