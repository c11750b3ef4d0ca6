import type { Logger } from '@muster/kit/log';
import { sql, type Kysely } from 'kysely';
import { AuditLog } from './AuditLog.ts';
import { openEngine, type EngineHandles, type EngineName } from './Engine.ts';
import type { WalCheckpointerStats } from './WalCheckpointer.ts';
import { DbError, isDbError } from './errors.ts';
import { GroupedWriter, type GroupedWriterOptions, type WriterStats } from './GroupedWriter.ts';
import { DEFAULT_KDF_COST, Keyring, type KdfCost, type KeyPasswords } from './Keyring.ts';
import { resolveKeyPasswords } from './keyPasswords.ts';
import { log } from './log.ts';
import { migrateToLatest } from './migrations.ts';
import { Rotation, type RotationProgress } from './Rotation.ts';
import { Sealer } from './Sealer.ts';
import type { Schema } from './schema.ts';
import { SEALED_TABLES } from './tables.ts';

export interface OpenDatabaseOptions {
  /** SQLite: the database is `<dataDir>/muster.db`. Also where embedded key passwords go. */
  dataDir: string;
  /** `postgres://…` or `postgresql://…` (the server passes DATABASE_URL): PostgreSQL instead of SQLite. */
  url?: string;
  /** Default: the kit's logger as `component: 'db'`. */
  logger?: Logger;
  /**
   * The two key passwords. When absent: resolveKeyPasswords(process.env,
   * dataDir, logger), generating the embedded default only for a database
   * that has no data key yet.
   */
  keys?: KeyPasswords;
  /** scrypt cost of a keyring this call creates (default: DEFAULT_KDF_COST). An existing keyring keeps its own. */
  kdfCost?: KdfCost;
  writer?: Omit<GroupedWriterOptions, 'db' | 'logger'>;
  /** Resume an interrupted key rotation in the background (default true). */
  resumeRotation?: boolean;
  /** Rows per rotation batch (default 200). */
  rotationBatchSize?: number;
  onRotationProgress?: (progress: RotationProgress) => void;
  /** PostgreSQL reader pool size (default 10). */
  readerPoolSize?: number;
  /** SQLite: when WAL checkpoints move to their own thread (ms after opening; false: never). See WalCheckpointer. */
  walCheckpointThreadAfterMs?: number | false;
}

export interface DatabaseStats {
  engine: EngineName;
  writer: WriterStats;
  /** SQLite: how its WAL is checkpointed (on a thread, or inline by the writer). */
  wal?: WalCheckpointerStats;
}

/**
 * One open database, either engine:
 *
 * - `kysely`: reads (a read-only connection; a write through it fails);
 * - `writer`: every write, group-committed (see GroupedWriter);
 * - `sealer`: seals and opens column values under the data key;
 * - `audit`: the hash-chained audit log;
 * - `rotation`: data-key rotation.
 */
export class Database {
  readonly engine: EngineName;
  /** Where the data is (SQLite file or PostgreSQL host/database/schema), for logs. */
  readonly location: string;
  readonly kysely: Kysely<Schema>;
  readonly writer: GroupedWriter;
  readonly sealer: Sealer;
  readonly audit: AuditLog;
  readonly rotation: Rotation;
  readonly #handles: EngineHandles;
  readonly #keyring: Keyring;
  readonly #logger: Logger;

  /** Where the database and its repositories log. */
  get logger(): Logger {
    return this.#logger;
  }
  #closing: Promise<void> | undefined;

  /** @internal use openDatabase() */
  constructor(handles: EngineHandles, keyring: Keyring, logger: Logger, options: OpenDatabaseOptions) {
    this.#handles = handles;
    this.#keyring = keyring;
    this.#logger = logger;
    this.engine = handles.engine;
    this.location = handles.location;
    this.kysely = handles.reader;
    this.sealer = new Sealer(keyring.keys(), keyring.activeKeyId);
    this.writer = new GroupedWriter({ ...options.writer, db: handles.writer, logger, engine: handles.engine });
    this.audit = new AuditLog(handles.reader, this.writer, this.sealer);
    this.rotation = new Rotation({
      dataDir: options.dataDir,
      engine: handles.engine,
      reader: handles.reader,
      writer: this.writer,
      keyring,
      sealer: this.sealer,
      audit: this.audit,
      logger,
      batchSize: options.rotationBatchSize,
      onProgress: options.onRotationProgress,
    });
  }

  /** The SQLite file, when the engine is SQLite. */
  get file(): string | undefined {
    return this.#handles.file;
  }

  /** The PostgreSQL schema holding the tables, when the engine is PostgreSQL. */
  get pgSchema(): string | undefined {
    return this.#handles.pgSchema;
  }

  getStats(): DatabaseStats {
    return { engine: this.engine, writer: this.writer.stats(), ...(this.#handles.walStats ? { wal: this.#handles.walStats() } : {}) };
  }

  /** A diagnostic snapshot (no secrets): engine, location, keys in use, writer figures. */
  dump(): Record<string, unknown> {
    return {
      engine: this.engine,
      location: this.location,
      closed: this.#closing !== undefined,
      activeKeyId: this.sealer.activeKeyId,
      keys: this.#keyring.keys().map((k) => ({ keyId: k.keyId, status: k.status, createdAt: new Date(k.createdAt).toISOString() })),
      kdf: { algorithm: this.#keyring.kdf.algorithm, logN: this.#keyring.kdf.logN, r: this.#keyring.kdf.r, p: this.#keyring.kdf.p },
      writer: this.writer.stats(),
      ...(this.#handles.walStats ? { wal: this.#handles.walStats() } : {}),
    };
  }

  /**
   * Replaces one of the two key passwords: the data keys are re-wrapped under
   * a KEK from the new pair (fresh salts); no sealed value changes. Needs both
   * current passwords (checked against the stored keyring) and the new one.
   */
  async changeKeyPassword(which: 1 | 2, current: KeyPasswords, newPassword: string): Promise<void> {
    if (newPassword === '') throw new DbError('KEY_PASSWORDS_INVALID', 'the new password is empty');
    const rows = await Keyring.readRows(this.#handles.writer);
    await Keyring.unlock(rows ?? [], current);
    const next = which === 1 ? { password1: newPassword, password2: current.password2 } : { password1: current.password1, password2: newPassword };
    const kek = await Keyring.deriveNewKek(next, this.#keyring.kdf);
    const newRows = this.#keyring.rowsUnder(kek);
    await this.writer.write(async (trx) => {
      const stored = (await trx.selectFrom('keyring').select('key_id').execute()).map((r) => r.key_id).sort();
      const held = newRows.map((r) => r.key_id).sort();
      if (stored.join() !== held.join()) throw new Error(`the keyring changed meanwhile (stored ${stored.join(',')}, held ${held.join(',')}); retry`);
      for (const row of newRows) await trx.updateTable('keyring').set({ wrapped: row.wrapped, kdf: row.kdf }).where('key_id', '=', row.key_id).execute();
      await this.audit.appendIn(trx, { actor: 'operator', action: 'keyring.change-password', target: 'keyring', details: { which } });
    });
    this.#keyring.useKek(kek);
    this.#logger.info({ which }, 'db: key password changed; the data keys are re-wrapped');
  }

  /** Commits everything queued, then closes the connections. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.writer.close();
      await this.#handles.destroy();
    })();
    return this.#closing;
  }
}

/**
 * Opens (creating if needed) the database: connects, unlocks the keyring
 * with the two passwords, migrates, creates the data key on a new database,
 * and resumes an interrupted key rotation.
 *
 * The keyring is unlocked before anything is written: with wrong passwords
 * this throws KEY_PASSWORDS_WRONG and leaves the database as it was. A data
 * key is only ever created for a database that has none, and never for one
 * whose keyring is empty while sealed data exists (KEYRING_MISSING).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const logger = options.logger ?? log;
  const handles = await openEngine({ dataDir: options.dataDir, url: options.url, logger, readerPoolSize: options.readerPoolSize, walCheckpointThreadAfterMs: options.walCheckpointThreadAfterMs });
  try {
    const rows = await Keyring.readRows(handles.writer);
    // Embedded passwords are only ever generated for a database without a key.
    const passwords = options.keys ?? resolveKeyPasswords(process.env, options.dataDir, logger, { createEmbedded: !rows || rows.length === 0 });
    let keyring: Keyring | undefined;
    if (rows && rows.length > 0) keyring = await Keyring.unlock(rows, passwords);
    else if (rows) await assertNoSealedData(handles);
    await migrateToLatest(handles, logger);
    keyring ??= await createKeyring(handles, passwords, options.kdfCost ?? DEFAULT_KDF_COST, logger);
    const db = new Database(handles, keyring, logger, options);
    if ((options.resumeRotation ?? true) && (await db.rotation.pending())) {
      logger.warn({}, 'db: resuming an interrupted data key rotation in the background');
      db.rotation.run().catch((error: unknown) => {
        if (!isDbError(error, 'DB_CLOSED')) logger.error({ err: error }, 'db: the data key rotation stopped; it resumes at the next start');
      });
    }
    logger.info({ engine: handles.engine, location: handles.location, activeKeyId: keyring.activeKeyId }, 'db: open');
    return db;
  } catch (error) {
    await handles.destroy();
    throw error;
  }
}

async function assertNoSealedData(handles: EngineHandles): Promise<void> {
  for (const spec of SEALED_TABLES) {
    const row = await (handles.writer as Kysely<any>).selectFrom(spec.name).select(sql<number>`count(*)`.as('n')).executeTakeFirst();
    if (Number(row?.n ?? 0) > 0) {
      throw new DbError('KEYRING_MISSING', `the keyring is empty but ${spec.name} holds sealed rows: restore the keyring (from a backup) instead of creating a new data key`);
    }
  }
}

async function createKeyring(handles: EngineHandles, passwords: KeyPasswords, cost: KdfCost, logger: Logger): Promise<Keyring> {
  const keyring = await Keyring.create(passwords, cost);
  let created = false;
  try {
    created = await handles.writer.transaction().execute(async (trx) => {
      if (await trx.selectFrom('keyring').select('key_id').limit(1).executeTakeFirst()) return false;
      await trx.insertInto('keyring').values(keyring.rows()).execute();
      return true;
    });
  } catch (error) {
    // Another process created one first (the unique index on the active key): use theirs.
    logger.warn({ err: error }, 'db: could not store a new data key; reading the keyring again');
  }
  if (created) {
    logger.info({ keyId: keyring.activeKeyId }, 'db: new database; data key created');
    return keyring;
  }
  const rows = await Keyring.readRows(handles.writer);
  if (!rows || rows.length === 0) throw new Error('could not create or read the keyring');
  return Keyring.unlock(rows, passwords);
}
