import type { Logger } from '@muster/kit/log';
import { sql, type Kysely, type Transaction } from 'kysely';
import { sealedKeyIdSql, type EngineName } from './Engine.ts';
import type { AuditLog } from './AuditLog.ts';
import type { GroupedWriter } from './GroupedWriter.ts';
import type { Keyring } from './Keyring.ts';
import type { Sealer } from './Sealer.ts';
import type { Schema } from './schema.ts';
import { resealRetiredFiles } from './legacy.ts';
import { SEALED_TABLES, type TableSpec } from './tables.ts';

export interface RotationStatus {
  /** The key values are being re-encrypted to, or null when no rotation is under way. */
  targetKeyId: string | null;
  retiringKeyIds: string[];
  tables: { table: string; done: boolean; lastKey: unknown[] | null }[];
}

export interface RotationProgress {
  table: string;
  rows: number;
  reencrypted: number;
  done: boolean;
}

export interface RotationOptions {
  engine: EngineName;
  reader: Kysely<Schema>;
  writer: GroupedWriter;
  keyring: Keyring;
  sealer: Sealer;
  audit: AuditLog;
  logger: Logger;
  /** Where retired files of older installs lie (re-sealed too, before the old keys go); none when absent. */
  dataDir?: string;
  /** Rows re-encrypted per write (default 200: a few ms of the writer's time). */
  batchSize?: number;
  onProgress?: (progress: RotationProgress) => void;
}

/**
 * Data-key rotation. start() commits a fresh active key (the previous one
 * turns 'retiring') and one rotation_progress row per sealed table; from
 * then on new values are sealed under the new key. run() walks each table in
 * primary-key order, a batch per write through the grouped writer (so
 * ordinary writes go on in between), re-sealing every value still under an
 * old key and storing its position in the same transaction: after a crash it
 * resumes where the last committed batch ended. Reads work throughout (each
 * value names its key, and both keys are held).
 *
 * When every table is done, one last write checks in SQL that no value
 * under a retiring key is left (a value sealed before the switch but written
 * behind the cursor would be), then deletes the retiring keys and the
 * progress rows. Until then the old key stays in the keyring.
 *
 * Another process writing with the old key during a rotation (a server
 * running while the CLI rotates) would seal values the final check finds;
 * they are re-encrypted, but that process cannot read the new key's values:
 * rotate inside the server, or with the server stopped.
 */
export class Rotation {
  readonly #o: RotationOptions;
  readonly #batchSize: number;
  #running: Promise<void> | undefined;

  constructor(options: RotationOptions) {
    this.#o = options;
    this.#batchSize = options.batchSize ?? 200;
  }

  async status(): Promise<RotationStatus> {
    const rows = await this.#o.reader.selectFrom('rotation_progress').selectAll().orderBy('table_name').execute();
    return {
      targetKeyId: rows[0]?.target_key_id ?? null,
      retiringKeyIds: this.#o.keyring.keys().filter((k) => k.status === 'retiring').map((k) => k.keyId),
      tables: rows.map((r) => ({ table: r.table_name, done: r.done === 1, lastKey: r.last_key === null ? null : (JSON.parse(r.last_key) as unknown[]) })),
    };
  }

  /** Whether a rotation was started and has not finished (e.g. interrupted by a crash). */
  async pending(): Promise<boolean> {
    const status = await this.status();
    return status.targetKeyId !== null || status.retiringKeyIds.length > 0;
  }

  /**
   * Commits a new active data key and the progress rows; returns its id.
   * A rotation already under way is not restarted: its target is returned.
   */
  async start(): Promise<string> {
    const { keyring, sealer } = this.#o;
    const key = keyring.newActiveKey();
    const started = await this.#o.writer.write(async (trx) => {
      const existing = await trx.selectFrom('rotation_progress').select('target_key_id').limit(1).executeTakeFirst();
      if (existing) return false;
      const now = Date.now();
      await trx.updateTable('keyring').set({ status: 'retiring' }).where('status', '=', 'active').execute();
      await trx.insertInto('keyring').values(keyring.rowFor(key)).execute();
      await trx
        .insertInto('rotation_progress')
        .values(SEALED_TABLES.map((t) => ({ target_key_id: key.keyId, table_name: t.name, last_key: null, done: 0, updated_at: now })))
        .execute();
      await this.#o.audit.appendIn(trx, { actor: 'operator', action: 'keyring.rotation.start', target: 'keyring', details: { keyId: key.keyId } });
      return true;
    });
    if (!started) return (await this.status()).targetKeyId!;
    keyring.adoptActiveKey(key);
    sealer.addKey(key.keyId, key.dataKey);
    sealer.activate(key.keyId);
    this.#o.logger.info({ keyId: key.keyId }, 'db: data key rotation started; re-encrypting in the background');
    return key.keyId;
  }

  /** Re-encrypts until the rotation is complete. One run at a time; concurrent calls share it. */
  run(): Promise<void> {
    this.#running ??= this.#runToEnd().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #runToEnd(): Promise<void> {
    const target = this.#o.keyring.activeKeyId;
    await this.#repairProgress(target);
    for (;;) {
      const status = await this.status();
      if (status.targetKeyId === null) return;
      const pending = status.tables.filter((t) => !t.done);
      if (pending.length === 0) {
        if (await this.#finish(target)) return;
        continue;
      }
      for (const { table } of pending) {
        const spec = SEALED_TABLES.find((t) => t.name === table);
        if (!spec) {
          await this.#o.writer.write((trx) => markDone(trx, target, table));
          continue;
        }
        const progress = await this.#o.writer.write((trx) => this.#batch(trx, spec, target));
        this.#o.onProgress?.(progress);
      }
    }
  }

  /** A crash-free database has progress rows for the active key exactly when keys are retiring; mend anything else. */
  async #repairProgress(target: string): Promise<void> {
    const retiring = this.#o.keyring.keys().some((k) => k.status === 'retiring');
    await this.#o.writer.write(async (trx) => {
      await trx.deleteFrom('rotation_progress').where('target_key_id', '!=', target).execute();
      if (!retiring) return;
      const present = new Set((await trx.selectFrom('rotation_progress').select('table_name').execute()).map((r) => r.table_name));
      const missing = SEALED_TABLES.filter((t) => !present.has(t.name));
      if (missing.length > 0) {
        await trx
          .insertInto('rotation_progress')
          .values(missing.map((t) => ({ target_key_id: target, table_name: t.name, last_key: null, done: 0, updated_at: Date.now() })))
          .execute();
      }
    });
  }

  async #batch(trx: Transaction<Schema>, spec: TableSpec, target: string): Promise<RotationProgress> {
    const db = trx as unknown as Transaction<any>;
    const progress = await trx
      .selectFrom('rotation_progress')
      .select(['last_key', 'done'])
      .where('target_key_id', '=', target)
      .where('table_name', '=', spec.name)
      .executeTakeFirst();
    if (!progress || progress.done === 1) return { table: spec.name, rows: 0, reencrypted: 0, done: true };
    const after = progress.last_key === null ? null : (JSON.parse(progress.last_key) as unknown[]);
    let query = db.selectFrom(spec.name).selectAll();
    if (after) query = query.where(sql<boolean>`(${sql.join(spec.key.map((k) => sql.ref(k)))}) > (${sql.join(after)})`);
    for (const k of spec.key) query = query.orderBy(k);
    const rows = (await query.limit(this.#batchSize).execute()) as Record<string, unknown>[];
    let reencrypted = 0;
    for (const row of rows) {
      const changes: Record<string, Buffer | string | null> = {};
      for (const column of spec.sealed) {
        const value = row[column] as Buffer | null;
        if (value === null || this.#o.sealer.keyIdOf(value) === target) continue;
        const aad = { table: spec.name, column, rowId: spec.rowId!(row) };
        const plain = this.#o.sealer.open(value, aad);
        changes[column] = this.#o.sealer.seal(plain, aad);
        // Indexes keyed by the old key would no longer be found once it is gone.
        for (const index of spec.blindIndexes ?? []) {
          if (index.from !== column) continue;
          const normalised = index.value(JSON.parse(Buffer.from(plain).toString('utf8')));
          changes[index.column] = normalised === null ? null : this.#o.sealer.blindIndex(index.kind, normalised);
        }
      }
      if (Object.keys(changes).length === 0) continue;
      let update = db.updateTable(spec.name).set(changes);
      for (const k of spec.key) update = update.where(k, '=', row[k]);
      await update.execute();
      reencrypted++;
    }
    const done = rows.length < this.#batchSize;
    const last = rows.at(-1);
    await trx
      .updateTable('rotation_progress')
      .set({ last_key: last ? JSON.stringify(spec.key.map((k) => last[k])) : progress.last_key, done: done ? 1 : 0, updated_at: Date.now() })
      .where('target_key_id', '=', target)
      .where('table_name', '=', spec.name)
      .execute();
    return { table: spec.name, rows: rows.length, reencrypted, done };
  }

  /** Drops the retiring keys if no value needs them any more; otherwise re-opens the tables that still have some. */
  async #finish(target: string): Promise<boolean> {
    const retiring = this.#o.keyring.keys().filter((k) => k.status === 'retiring').map((k) => k.keyId);
    // Files sealed under a retiring key would not open once it is deleted.
    if (this.#o.dataDir !== undefined && retiring.length > 0) {
      const resealed = resealRetiredFiles(this.#o.dataDir, this.#o.sealer);
      if (resealed > 0) this.#o.logger.info({ files: resealed }, 'db: retired files of an older install re-sealed under the new key');
    }
    const finished = await this.#o.writer.write(async (trx) => {
      const db = trx as unknown as Transaction<any>;
      const ids = retiring.map((id) => Buffer.from(id, 'hex'));
      const stragglers: string[] = [];
      if (ids.length > 0) {
        for (const spec of SEALED_TABLES) {
          for (const column of spec.sealed) {
            const row = await db.selectFrom(spec.name).select(sql<number>`count(*)`.as('n')).where(sealedKeyIdSql(this.#o.engine, column), 'in', ids).executeTakeFirst();
            if (Number(row?.n ?? 0) > 0) stragglers.push(spec.name);
          }
        }
      }
      if (stragglers.length > 0) {
        await trx
          .updateTable('rotation_progress')
          .set({ last_key: null, done: 0, updated_at: Date.now() })
          .where('target_key_id', '=', target)
          .where('table_name', 'in', stragglers)
          .execute();
        return false;
      }
      if (retiring.length > 0) await trx.deleteFrom('keyring').where('key_id', 'in', retiring).execute();
      await trx.deleteFrom('rotation_progress').execute();
      await this.#o.audit.appendIn(trx, { actor: 'operator', action: 'keyring.rotation.complete', target: 'keyring', details: { keyId: target, retired: retiring } });
      return true;
    });
    if (!finished) {
      this.#o.logger.warn({ retiring }, 'db: values under a retiring key appeared behind the rotation; another pass');
      return false;
    }
    for (const id of retiring) {
      this.#o.keyring.removeKey(id);
      this.#o.sealer.removeKey(id);
    }
    this.#o.logger.info({ keyId: target, retired: retiring }, 'db: data key rotation complete; the old keys are deleted');
    return true;
  }
}

async function markDone(trx: Transaction<Schema>, target: string, table: string): Promise<void> {
  await trx.updateTable('rotation_progress').set({ done: 1, updated_at: Date.now() }).where('target_key_id', '=', target).where('table_name', '=', table).execute();
}
