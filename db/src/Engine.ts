import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type RawBuilder, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import type { Logger } from '@muster/kit/log';
import type { Schema } from './schema.ts';
import { WalCheckpointer, type WalCheckpointerStats } from './WalCheckpointer.ts';

export type EngineName = 'sqlite' | 'postgres';

export const SQLITE_FILE_NAME = 'muster.db';

/**
 * How long a SQLite statement waits for another process's write lock before
 * SQLITE_BUSY (the writer then retries the batch with back-off). The wait is
 * synchronous, on the event loop: only a second writing process causes it,
 * and the server is meant to be the only one.
 */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** int8: ms timestamps, sequence numbers and count(*) all fit a JS number. */
const PG_INT8_OID = 20;

export function isPostgresUrl(url: string | undefined): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url);
}

/**
 * The connections of one database. Two of them on purpose:
 *
 * - `writer`: one connection only (SQLite: its own handle; PostgreSQL: a pool
 *   of one), used by the GroupedWriter, migrations and key management.
 * - `reader`: for every read. It is read-only (SQLite `query_only`, PostgreSQL
 *   `default_transaction_read_only`), so a write that bypasses the writer
 *   fails at once instead of racing it for the lock.
 */
export interface EngineHandles {
  readonly engine: EngineName;
  /** Where the data is: the SQLite file, or the PostgreSQL host/database/schema (no password). */
  readonly location: string;
  readonly reader: Kysely<Schema>;
  readonly writer: Kysely<Schema>;
  /** PostgreSQL: the schema the tables live in (`current_schema()`, from search_path). */
  readonly pgSchema?: string;
  /** SQLite: the database file. */
  readonly file?: string;
  /** SQLite: how its WAL is being checkpointed (see WalCheckpointer). */
  walStats?(): WalCheckpointerStats;
  destroy(): Promise<void>;
}

export interface EngineOptions {
  dataDir: string;
  url?: string;
  logger: Logger;
  /** PostgreSQL reader pool size (default 10). */
  readerPoolSize?: number;
  /** SQLite: when the WAL checkpoint thread starts (ms after opening, default 5 000; see WalCheckpointer), or false for none (a one-shot tool). */
  walCheckpointThreadAfterMs?: number | false;
}

export async function openEngine(options: EngineOptions): Promise<EngineHandles> {
  return isPostgresUrl(options.url) ? openPostgres(options.url, options) : openSqlite(options);
}

function openSqlite(options: EngineOptions): EngineHandles {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, SQLITE_FILE_NAME);
  // Created here with mode 600 so SQLite's -wal and -shm files (which copy the
  // main file's mode) are private too; better-sqlite3 would use the umask.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const writerDb = new BetterSqlite3(file);
  writerDb.pragma('journal_mode = WAL');
  configureSqlite(writerDb);
  const readerDb = new BetterSqlite3(file);
  configureSqlite(readerDb);
  readerDb.pragma('query_only = ON');
  const writer = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(writerDb) }) });
  const reader = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(readerDb) }) });
  const checkpointer =
    options.walCheckpointThreadAfterMs === false ? null : new WalCheckpointer({ file, writer: writerDb, logger: options.logger, startAfterMs: options.walCheckpointThreadAfterMs });
  let destroyed: Promise<void> | undefined;
  return {
    engine: 'sqlite',
    location: file,
    file,
    reader,
    writer,
    ...(checkpointer ? { walStats: () => checkpointer.getStats() } : {}),
    destroy: () => (destroyed ??= (async () => {
      await checkpointer?.close();
      await Promise.all([reader.destroy(), writer.destroy()]);
    })()),
  };
}

/**
 * Kysely prepares every SQLite statement afresh (a tenth of a small write's
 * CPU); the same SQL text gets the same prepared statement here instead.
 * Safe because Kysely runs a statement to completion (all/run) before the
 * next, on one connection; streaming queries (iterate) are not used.
 */
function withStatementCache(db: BetterSqlite3.Database, size = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => db.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = db.prepare(text);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

function configureSqlite(db: BetterSqlite3.Database): void {
  // NORMAL in WAL mode: a commit is durable against a process crash (the WAL
  // is in the OS page cache); a power cut may lose the last commits, never
  // corrupt the file. FULL would fsync every group commit.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
}

async function openPostgres(url: string, options: EngineOptions): Promise<EngineHandles> {
  const base = parseIntoClientConfig(url);
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === PG_INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const appName = base.application_name ?? 'muster';
  const common: pg.PoolConfig = {
    ...base,
    types,
    // A PostgreSQL that is down must not hang a connect forever: the writer
    // retries with back-off, readers get the error.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  };
  const writerPool = new pg.Pool({ ...common, max: 1, application_name: `${appName}:writer` });
  const readerPool = new pg.Pool({
    ...common,
    max: options.readerPoolSize ?? 10,
    application_name: `${appName}:reader`,
    options: [base.options, '-c default_transaction_read_only=on'].filter(Boolean).join(' '),
  });
  // An idle pooled connection that dies (server restart, pg_terminate_backend)
  // is reported here; unhandled, the 'error' event would end the process.
  for (const [role, pool] of [['writer', writerPool], ['reader', readerPool]] as const) {
    pool.on('error', (error) => options.logger.warn({ role, err: error }, 'db: an idle PostgreSQL connection failed; it is replaced on next use'));
    // A connection that drops while checked out but between queries (inside
    // a write batch) is reported as an 'error' event on its client, which
    // would end the process unhandled. Its next query fails instead, and the
    // writer retries the batch; the pool then discards the client.
    pool.on('connect', (client) => client.on('error', () => undefined));
  }
  const writer = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: writerPool }) });
  const reader = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: retryingReads(readerPool) }) });
  let destroyed: Promise<void> | undefined;
  const destroy = () => (destroyed ??= Promise.all([reader.destroy(), writer.destroy()]).then(() => undefined));
  try {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(writer);
    const schema = rows[0]?.schema;
    if (!schema) throw new Error(`no schema on the search_path of ${describePostgres(base)} exists`);
    return { engine: 'postgres', location: `${describePostgres(base)} schema ${schema}`, pgSchema: schema, reader, writer, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}

function describePostgres(config: pg.ClientConfig): string {
  return `postgresql://${config.user ?? ''}@${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? ''}`;
}

/** The column type for bytes: SQLite `blob`, PostgreSQL `bytea`. */
export function bytesType(engine: EngineName): 'blob' | 'bytea' {
  return engine === 'postgres' ? 'bytea' : 'blob';
}

/**
 * SQL for the 4-byte key id inside a sealed value (bytes 2–5, see Sealer.ts),
 * so rotation can count values still under an old key without reading them out.
 */
export function sealedKeyIdSql(engine: EngineName, column: string): RawBuilder<Buffer> {
  return engine === 'postgres' ? sql<Buffer>`substring(${sql.ref(column)} from 2 for 4)` : sql<Buffer>`substr(${sql.ref(column)}, 2, 4)`;
}

/** "The table does not exist" on either engine (a database never migrated). */
export function isMissingTableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (error as { code?: unknown }).code === '42P01' || /no such table/i.test(error.message);
}

/**
 * Connection-level failures: the server ended the connection (a restart,
 * pg_terminate_backend: 57P01…57P03) or the socket dropped. Not a query's
 * own error (a constraint, a syntax error, a cancelled statement).
 */
function isConnectionLost(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === '57P01' || e.code === '57P02' || e.code === '57P03' || e.code === 'ECONNRESET' || e.code === 'EPIPE' || /Connection terminated|Client has encountered a connection error/i.test(e.message ?? '');
}

/**
 * The reader pool as kysely sees it, with one change: a read that fails
 * because its pooled connection had died (a restart ends every idle
 * connection at once, and the pool learns of each only when it is next
 * used) runs once more on a fresh connection. Reads are read-only
 * (default_transaction_read_only), so running one again is safe; inside a
 * transaction nothing is retried (the BEGIN was on the dead connection).
 */
export function retryingReads(pool: pg.Pool): pg.Pool {
  const connect = async () => {
    let client = await pool.connect();
    let inTransaction = false;
    const query = async (...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
      try {
        const result = await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
        if (/^\s*begin\b/i.test(text)) inTransaction = true;
        else if (/^\s*(commit|rollback)\b/i.test(text)) inTransaction = false;
        return result;
      } catch (error) {
        if (inTransaction || !isConnectionLost(error)) throw error;
        client.release(error as Error);
        client = await pool.connect();
        return (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
      }
    };
    return { query, release: (error?: Error | boolean) => client.release(error) };
  };
  return { connect, end: () => pool.end(), on: pool.on.bind(pool) } as unknown as pg.Pool;
}
