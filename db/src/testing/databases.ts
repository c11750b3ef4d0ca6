/**
 * Opening throw-away databases of either engine in tests.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase, type Database, type OpenDatabaseOptions } from '../Database.ts';
import { SQLITE_FILE_NAME, type EngineName } from '../Engine.ts';
import type { KdfCost, KeyPasswords } from '../Keyring.ts';
import { DATA_KEY_BYTES, newKeyId, Sealer } from '../Sealer.ts';
import { silentLogger } from './logging.ts';
import { adminQuery, createTestSchema, type TestSchema } from './postgres.ts';

/** Fixed test passwords. */
export const TEST_KEYS: KeyPasswords = { password1: 'test password one', password2: 'test password two' };

/** scrypt at its minimum: tests open many databases; the default costs ~0.5 s per open. */
export const TEST_KDF_COST: KdfCost = { logN: 10, r: 8, p: 1 };

export function tempDir(prefix = 'muster-db-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Where a test database lives: a temp data dir, and a schema on PostgreSQL. Reopen it as often as needed. */
export interface TestLocation {
  engine: EngineName;
  dataDir: string;
  /** PostgreSQL URL (search_path set to a fresh schema); undefined for SQLite. */
  url?: string;
  schema?: TestSchema;
  /** Opens with the test keys, the cheap KDF and a silent logger, unless given others. */
  open(options?: Partial<OpenDatabaseOptions>): Promise<Database>;
  /** Drops the schema / removes the directory. */
  remove(): Promise<void>;
}

export async function testLocation(engine: EngineName): Promise<TestLocation> {
  const dataDir = tempDir();
  let schema: TestSchema | undefined;
  try {
    schema = engine === 'postgres' ? await createTestSchema() : undefined;
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    engine,
    dataDir,
    url: schema?.url,
    schema,
    open: (options = {}) => openDatabase({ dataDir, url: schema?.url, keys: TEST_KEYS, kdfCost: TEST_KDF_COST, logger: silentLogger, ...options }),
    remove: async () => {
      await schema?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs SQL straight on the database, around the code under test (tampering,
 * inspecting raw bytes): its own connection, `?` placeholders on both engines.
 */
export async function rawQuery<R = Record<string, unknown>>(location: TestLocation, text: string, params: unknown[] = []): Promise<R[]> {
  if (location.engine === 'postgres') {
    let n = 0;
    return adminQuery(location.url!, text.replace(/\?/g, () => `$${++n}`), params) as Promise<R[]>;
  }
  const db = new BetterSqlite3(path.join(location.dataDir, SQLITE_FILE_NAME));
  try {
    db.pragma('busy_timeout = 5000');
    const statement = db.prepare(text);
    return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as R[];
  } finally {
    db.close();
  }
}

/**
 * Opens (creating) a plain SQLite file, runs `fn` on it and closes it: for
 * fixtures such as the files of an install from before @muster/db.
 */
export function withSqliteFile<T>(file: string, fn: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** A sealer under one fresh random data key, for code that seals without a database. */
export function testSealer(): Sealer {
  const keyId = newKeyId();
  return new Sealer([{ keyId, dataKey: crypto.randomBytes(DATA_KEY_BYTES) }], keyId);
}
