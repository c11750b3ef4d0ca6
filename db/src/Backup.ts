import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { Logger } from '@muster/kit/log';
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import { openDatabase } from './Database.ts';
import { openEngine, type EngineHandles } from './Engine.ts';
import { DbError } from './errors.ts';
import { Keyring, type KeyPasswords } from './Keyring.ts';
import { log } from './log.ts';
import { appliedMigrations, migrateToLatest, migrationNames } from './migrations.ts';
import type { KeyringTable, Schema } from './schema.ts';
import { TABLES, tableSpec, type TableSpec } from './tables.ts';

/**
 * Backup file: gzip'd JSON lines.
 *
 *     {"kind":"header","format":"muster-db-backup","version":1,"createdAt":…,"engine":…,"migrations":[…]}
 *     {"kind":"row","table":"keyring","row":{…}}        ← every table, in TABLES order, in key order
 *     …
 *     {"kind":"end","rows":{"keyring":1,"meetings":12,…}}
 *
 * Bytes columns are base64. Sealed values stay sealed and the keyring rows
 * are the wrapped keys: a backup reveals nothing without both passwords, and
 * taking one needs no password (a cron job holds none). The rows come from
 * one read transaction: a consistent snapshot while the server runs.
 */
export const BACKUP_FORMAT = 'muster-db-backup';
export const BACKUP_VERSION = 1;
const PAGE = 500;
const INSERT_ROWS = 100;

export interface BackupSummary {
  file: string;
  rows: Record<string, number>;
}

export interface BackupOptions {
  dataDir: string;
  url?: string;
  out: string;
  /** Default: the kit's logger as `component: 'db'`. */
  logger?: Logger;
}

export async function backupDatabase(options: BackupOptions): Promise<BackupSummary> {
  const logger = options.logger ?? log;
  const handles = await openEngine({ dataDir: options.dataDir, url: options.url, logger, readerPoolSize: 1, walCheckpointThreadAfterMs: false });
  const out = path.resolve(options.out);
  const temp = `${out}.partial-${process.pid}`;
  try {
    const migrations = await appliedMigrations(handles);
    if (migrations.length === 0) throw new DbError('BACKUP_INVALID', `${handles.location} holds no Muster database to back up`);
    const gzip = zlib.createGzip();
    const written = pipeline(gzip, fs.createWriteStream(temp, { mode: 0o600 }));
    const write = async (line: unknown) => {
      if (!gzip.write(`${JSON.stringify(line)}\n`)) await once(gzip, 'drain');
    };
    const rows: Record<string, number> = {};
    await readSnapshot(handles, async (trx) => {
      await write({ kind: 'header', format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: new Date().toISOString(), engine: handles.engine, migrations });
      for (const spec of TABLES) {
        rows[spec.name] = 0;
        for await (const row of walkTable(trx, spec)) {
          await write({ kind: 'row', table: spec.name, row: encodeRow(spec, row) });
          rows[spec.name]++;
        }
      }
      await write({ kind: 'end', rows });
    });
    gzip.end();
    await written;
    fs.renameSync(temp, out);
    logger.info({ file: out, rows }, 'db: backup written');
    return { file: out, rows };
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  } finally {
    await handles.destroy();
  }
}

/** One read transaction over the reader: SQLite's WAL snapshot, PostgreSQL's REPEATABLE READ. */
async function readSnapshot(handles: EngineHandles, fn: (trx: Transaction<Schema>) => Promise<void>): Promise<void> {
  const builder = handles.reader.transaction();
  await (handles.engine === 'postgres' ? builder.setIsolationLevel('repeatable read') : builder).execute(fn);
}

/** Every row of a table in primary-key order, a page at a time (keyset pagination). */
async function* walkTable(db: Kysely<Schema>, spec: TableSpec): AsyncGenerator<Record<string, unknown>> {
  const anyDb = db as unknown as Kysely<any>;
  let after: unknown[] | null = null;
  for (;;) {
    let query = anyDb.selectFrom(spec.name).selectAll();
    if (after) query = query.where(sql<boolean>`(${sql.join(spec.key.map((k) => sql.ref(k)))}) > (${sql.join(after)})`);
    for (const k of spec.key) query = query.orderBy(k);
    const page = (await query.limit(PAGE).execute()) as Record<string, unknown>[];
    yield* page;
    if (page.length < PAGE) return;
    const last = page.at(-1)!;
    after = spec.key.map((k) => last[k]);
  }
}

function encodeRow(spec: TableSpec, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, type] of Object.entries(spec.columns)) {
    const value = row[column];
    out[column] = value === null || value === undefined ? null : type.kind === 'bytes' ? Buffer.from(value as Uint8Array).toString('base64') : type.kind === 'int' ? Number(value) : value;
  }
  return out;
}

const base64Bytes = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64')
  .transform((s) => Buffer.from(s, 'base64'));

/** A zod schema per table, built from its column list: unknown columns and wrong types are refused. */
const rowSchemas = new Map<string, z.ZodTypeAny>(
  TABLES.map((spec): [string, z.ZodTypeAny] => {
    const shape: Record<string, z.ZodTypeAny> = {};
    for (const [column, type] of Object.entries(spec.columns)) {
      const base = type.kind === 'bytes' ? base64Bytes : type.kind === 'int' ? z.number().int().safe() : z.string();
      shape[column] = type.nullable ? base.nullable() : base;
    }
    return [spec.name, z.object(shape).strict()];
  }),
);

const HeaderLine = z.object({
  kind: z.literal('header'),
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_VERSION),
  createdAt: z.string(),
  engine: z.enum(['sqlite', 'postgres']),
  migrations: z.array(z.string().max(200)).max(10_000),
});
const RowLine = z.object({ kind: z.literal('row'), table: z.enum(TABLES.map((t) => t.name) as [string, ...string[]]), row: z.record(z.string(), z.unknown()) });
const EndLine = z.object({ kind: z.literal('end'), rows: z.record(z.string(), z.number().int().nonnegative()) });
const Line = z.discriminatedUnion('kind', [HeaderLine, RowLine, EndLine]);

export interface RestoreOptions {
  dataDir: string;
  url?: string;
  in: string;
  /** The passwords the backup's keyring opens with: checked before anything is written. */
  keys: KeyPasswords;
  /** Default: the kit's logger as `component: 'db'`. */
  logger?: Logger;
}

/**
 * Restores a backup into an empty database (either engine, whichever the
 * backup came from), in one transaction: the backup's keyring must unlock
 * with the passwords before any other row goes in, and a wrong password, a
 * bad or a truncated file leaves the target empty. Afterwards the database
 * is opened normally and its audit chain verified.
 */
export async function restoreDatabase(options: RestoreOptions): Promise<BackupSummary & { auditRows: number }> {
  const logger = options.logger ?? log;
  const file = path.resolve(options.in);
  const handles = await openEngine({ dataDir: options.dataDir, url: options.url, logger, readerPoolSize: 1, walCheckpointThreadAfterMs: false });
  let rows: Record<string, number>;
  try {
    const existing = await Keyring.readRows(handles.writer);
    if (existing && existing.length > 0) throw new DbError('RESTORE_TARGET_NOT_EMPTY', `${handles.location} already has a keyring: restore into an empty database`);
    await migrateToLatest(handles, logger);
    for (const spec of TABLES) {
      const row = await (handles.writer as Kysely<any>).selectFrom(spec.name).select(sql<number>`count(*)`.as('n')).executeTakeFirst();
      if (Number(row?.n ?? 0) > 0) throw new DbError('RESTORE_TARGET_NOT_EMPTY', `${handles.location}: ${spec.name} is not empty: restore into an empty database`);
    }
    rows = await handles.writer.transaction().execute((trx) => insertBackup(trx, file, options.keys, migrationNames(handles.engine)));
  } finally {
    await handles.destroy();
  }
  const db = await openDatabase({ dataDir: options.dataDir, url: options.url, keys: options.keys, logger });
  try {
    const chain = await db.audit.verifyChain();
    if (!chain.ok) throw new DbError('BACKUP_INVALID', `restored, but the audit chain is broken at row ${chain.brokenAt}: ${chain.reason}`);
    logger.info({ file, rows }, 'db: backup restored');
    return { file, rows, auditRows: chain.rows };
  } finally {
    await db.close();
  }
}

async function insertBackup(trx: Transaction<Schema>, file: string, keys: KeyPasswords, known: string[]): Promise<Record<string, number>> {
  const anyTrx = trx as unknown as Transaction<any>;
  const input = fs.createReadStream(file).pipe(zlib.createGunzip());
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const counts: Record<string, number> = {};
  const keyringRows: KeyringTable[] = [];
  let keyringChecked = false;
  let pending: { table: string; rows: Record<string, unknown>[] } = { table: '', rows: [] };
  let lineNo = 0;
  let header = false;
  let end: Record<string, number> | undefined;
  const invalid = (message: string) => new DbError('BACKUP_INVALID', `${file} line ${lineNo}: ${message}`);
  const flush = async () => {
    if (pending.rows.length > 0) await anyTrx.insertInto(pending.table).values(pending.rows).execute();
    pending = { table: pending.table, rows: [] };
  };
  const checkKeyring = async () => {
    if (keyringChecked) return;
    keyringChecked = true;
    if (keyringRows.length === 0) throw invalid('the backup holds no keyring');
    await Keyring.unlock(keyringRows, keys);
  };
  try {
    for await (const text of lines) {
      lineNo++;
      if (end) throw invalid('content after the end line');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw invalid('not JSON');
      }
      const parsed = Line.safeParse(json);
      if (!parsed.success) throw invalid(parsed.error.issues[0]?.message ?? 'unexpected line');
      const line = parsed.data;
      if (line.kind === 'header') {
        if (header) throw invalid('a second header');
        const unknown = line.migrations.filter((m) => !known.includes(m));
        if (unknown.length > 0) throw invalid(`made by a newer version (migrations ${unknown.join(', ')}); restore with that version`);
        header = true;
        continue;
      }
      if (!header) throw invalid('no header: not a Muster backup');
      if (line.kind === 'end') {
        end = line.rows;
        continue;
      }
      const row = rowSchemas.get(line.table)!.safeParse(line.row);
      if (!row.success) throw invalid(`${line.table}: ${row.error.issues[0]?.path.join('.')} ${row.error.issues[0]?.message}`);
      if (line.table === 'keyring') {
        keyringRows.push(row.data as unknown as KeyringTable);
      } else {
        // The keyring comes first: the passwords are checked before any other row goes in.
        await checkKeyring();
      }
      if (pending.table !== line.table) {
        await flush();
        pending.table = tableSpec(line.table).name;
      }
      pending.rows.push(row.data as Record<string, unknown>);
      counts[line.table] = (counts[line.table] ?? 0) + 1;
      if (pending.rows.length >= INSERT_ROWS) await flush();
    }
  } catch (error) {
    if (error instanceof DbError) throw error;
    throw new DbError('BACKUP_INVALID', `${file}: cannot be read (${(error as Error).message})`, { cause: error });
  }
  if (!end) throw invalid('no end line: the backup is truncated');
  await checkKeyring();
  await flush();
  for (const [table, n] of Object.entries(end)) {
    if ((counts[table] ?? 0) !== n) throw invalid(`${table}: the end line counts ${n} rows, the file holds ${counts[table] ?? 0}`);
  }
  return counts;
}
