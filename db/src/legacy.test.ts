/**
 * Files of an older install, put aside after their import: sealed, so their
 * plaintext is gone from the data directory, and re-sealed by a key rotation
 * before the old key is deleted.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openRetiredFile, retiredFiles, retireLegacyFile } from './legacy.ts';
import { useTestDatabase } from './testing/fixture.ts';
import { tempDir, testSealer } from './testing/databases.ts';

const MARKER = 'Weekly plan of 张三丰测试';

/** An old install's SQLite file with one row holding MARKER; `walOnly` leaves the row in the -wal, not yet in the file. */
function oldDatabase(file: string, walOnly = false): BetterSqlite3.Database {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE meetings (id TEXT PRIMARY KEY, topic TEXT)');
  if (!walOnly) db.pragma('wal_checkpoint(TRUNCATE)');
  db.prepare('INSERT INTO meetings VALUES (?, ?)').run('weekly', MARKER);
  return db;
}

function topicIn(bytes: Buffer): string {
  const dir = tempDir('muster-retired-');
  try {
    const file = path.join(dir, 'restored.sqlite');
    fs.writeFileSync(file, bytes);
    const db = new BetterSqlite3(file, { readonly: true });
    try {
      return (db.prepare('SELECT topic FROM meetings').get() as { topic: string }).topic;
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('retired files of an older install', () => {
  it('are sealed, with their -wal folded in and removed; they open back to the old database, only under their own name', () => {
    const dir = tempDir('muster-legacy-');
    try {
      const file = path.join(dir, 'meetings.sqlite');
      // Still open (its WAL not checkpointed), as a crashed old install leaves it.
      const old = oldDatabase(file, true);
      expect(fs.existsSync(`${file}-wal`)).toBe(true);
      const sealer = testSealer();
      const retired = retireLegacyFile(file, sealer);
      old.close();
      expect(retired).toBe(`${file}.migrated`);
      expect(fs.readdirSync(dir).sort()).toEqual(['meetings.sqlite.migrated']);
      expect(fs.readFileSync(retired).includes(Buffer.from(MARKER))).toBe(false);
      expect(topicIn(openRetiredFile(retired, sealer))).toBe(MARKER);
      // Renamed to pass for another file, it does not open.
      const renamed = path.join(dir, 'boards.sqlite.migrated');
      fs.copyFileSync(retired, renamed);
      expect(() => openRetiredFile(renamed, sealer)).toThrow(/does not open/);
      // A second import of a file of the same name goes beside the first.
      oldDatabase(file).close();
      expect(retireLegacyFile(file, sealer)).toBe(`${file}.migrated.1`);
      expect(retiredFiles(dir)).toEqual([`${file}.migrated`, `${file}.migrated.1`, renamed].sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const testDb = useTestDatabase('sqlite');
  it('are re-sealed under the new key by a rotation, and still open once the old key is gone', async () => {
    const db = await testDb.open();
    const folder = path.join(testDb.location.dataDir, 'whiteboard');
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, 'boards.sqlite');
    oldDatabase(file).close();
    const retired = retireLegacyFile(file, db.sealer);
    const oldKey = db.sealer.activeKeyId;
    expect(db.sealer.keyIdOf(fs.readFileSync(retired))).toBe(oldKey);

    const newKey = await db.rotation.start();
    await db.rotation.run();
    expect(db.sealer.keyIds).toEqual([newKey]);
    expect(db.sealer.keyIdOf(fs.readFileSync(retired))).toBe(newKey);
    expect(topicIn(openRetiredFile(retired, db.sealer))).toBe(MARKER);
  });
});
