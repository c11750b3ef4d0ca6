import { performance } from 'node:perf_hooks';
import { sql, type ControlledTransaction, type Kysely, type Transaction } from 'kysely';
import type { Logger } from '@muster/kit/log';
import { classifyFailure, DbError, type FailureKind } from './errors.ts';
import { log } from './log.ts';
import type { Schema } from './schema.ts';

/** One queued write: runs inside the batch's transaction, in its own savepoint. */
export type WriteFn<T> = (trx: Transaction<Schema>) => Promise<T>;

export interface GroupedWriterOptions {
  /** The writer connection (one connection: SQLite handle, or a PostgreSQL pool of one). */
  db: Kysely<Schema>;
  /** Default: the kit's logger as `component: 'db'`. */
  logger?: Logger;
  /**
   * Most writes in one transaction. Default 256 on SQLite; 64 on PostgreSQL,
   * where each savepoint that writes is a subtransaction and a transaction
   * with more than 64 of them overflows the per-backend cache
   * (PGPROC_MAX_CACHED_SUBXIDS), slowing every other session's snapshots.
   */
  maxBatch?: number;
  /**
   * Stop adding writes to a batch once it has run this long (ms). On SQLite
   * the whole batch runs on the event loop (better-sqlite3 is synchronous):
   * this bounds the stall. Default 10 (SQLite) or 50 (PostgreSQL).
   */
  maxBatchMs?: number;
  /** How long the oldest queued write waits for companions before its batch starts (ms, default 2). */
  intervalMs?: number;
  /** A write is failed with DB_UNAVAILABLE once it has waited this long while the database is unreachable (ms, default 30 000). */
  retryWindowMs?: number;
  /** Writes queued beyond this are refused at once with WRITE_QUEUE_FULL (default 100 000). */
  maxQueue?: number;
}

export interface LatencySummary {
  p50: number;
  p99: number;
  samples: number;
}

export interface WriterStats {
  queueDepth: number;
  /** Transactions committed. */
  commits: number;
  /** Writes acknowledged (each `write()` call that resolved). */
  writes: number;
  /** Writes rejected (their own error, DISK_FULL, DB_UNAVAILABLE…). */
  failedWrites: number;
  /** Batches re-run after a connection failure or a busy database. */
  retries: number;
  meanBatchSize: number;
  maxBatchSize: number;
  /** BEGIN to COMMIT of each batch, ms (the last 2048 batches). */
  commitLatencyMs: LatencySummary;
  /** `write()` called to promise resolved, ms (the last 2048 writes). */
  ackLatencyMs: LatencySummary;
  /** Since when batches fail with a connection error (epoch ms), or null. */
  unavailableSince: number | null;
}

/** How a write is placed in its batch (see GroupedWriter.write). */
export interface WriteOptions {
  /**
   * The rows this write locks, named (a conversation's id, say): within a
   * batch, writes with a key run in the order of their keys, after those
   * without. Two processes writing to one PostgreSQL then take the locks of
   * keyed writes in one global order, so their batches wait for each other
   * instead of deadlocking (a deadlock costs PostgreSQL's deadlock_timeout,
   * 1 s by default, and the re-run of a whole batch). A write's key must
   * cover every row it locks that another process's write might lock too.
   */
  lockKey?: string;
}

interface PendingWrite {
  fn: WriteFn<unknown>;
  lockKey: string | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  enqueuedAt: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Aborts a whole batch: the failure is the database's, not one write's. */
class BatchAbort extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly failure: unknown,
  ) {
    super('batch aborted');
  }
}

const SAVEPOINT = sql.raw('muster_write');
const RING = 2048;
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;

/**
 * Group commit: every write of the database goes through one queue. Writes
 * queued within a few milliseconds share one transaction, each in its own
 * savepoint (a failing write rolls back only itself and rejects only its own
 * caller), and each caller's promise resolves after the COMMIT that holds its
 * write: an acknowledged write is on disk (SQLite WAL: in the OS; PostgreSQL:
 * flushed per its synchronous_commit).
 *
 * Failures of the database itself:
 *
 * - connection lost (PostgreSQL restart, terminated backend) or SQLite busy:
 *   nothing of the batch committed, so the whole batch is re-run in a new
 *   transaction, with back-off, until it commits or each write has waited
 *   `retryWindowMs` (then DB_UNAVAILABLE). A connection lost *during COMMIT*
 *   leaves it unknown whether the commit happened; the re-run would repeat
 *   the writes. So the write functions must be idempotent (insert with a
 *   caller-chosen id and ON CONFLICT DO NOTHING, upserts, "set" rather than
 *   "increment") wherever a duplicate would matter.
 * - disk full: every write of the batch is rejected with DISK_FULL; earlier
 *   commits are untouched (the failed transaction rolls back).
 */
export class GroupedWriter {
  readonly #db: Kysely<Schema>;
  readonly #logger: Logger;
  readonly #maxBatch: number;
  readonly #maxBatchMs: number;
  readonly #intervalMs: number;
  readonly #retryWindowMs: number;
  readonly #maxQueue: number;

  #queue: PendingWrite[] = [];
  #running = false;
  #wake: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #idleWaiters: (() => void)[] = [];

  #backoffMs = 0;
  #unavailableSince: number | null = null;
  #lastUnavailableLog = 0;

  #commits = 0;
  #writes = 0;
  #failedWrites = 0;
  #retries = 0;
  #batchedWrites = 0;
  #maxBatchSize = 0;
  readonly #commitMs = new Float64Array(RING);
  readonly #ackMs = new Float64Array(RING);

  constructor(options: GroupedWriterOptions & { engine: 'sqlite' | 'postgres' }) {
    this.#db = options.db;
    this.#logger = options.logger ?? log;
    this.#maxBatch = options.maxBatch ?? (options.engine === 'sqlite' ? 256 : 64);
    this.#maxBatchMs = options.maxBatchMs ?? (options.engine === 'sqlite' ? 10 : 50);
    this.#intervalMs = options.intervalMs ?? 2;
    this.#retryWindowMs = options.retryWindowMs ?? 30_000;
    this.#maxQueue = options.maxQueue ?? 100_000;
  }

  /**
   * Queues `fn`; resolves with its result once the transaction holding it has
   * committed. `fn` must do all its work through `trx` and await it, and must
   * not await another `write()` (that one waits for this batch's commit: a
   * deadlock). `fn` may run more than once (see the class comment).
   */
  write<T>(fn: WriteFn<T>, options: WriteOptions = {}): Promise<T> {
    if (this.#closing) return Promise.reject(new DbError('DB_CLOSED', 'the database is closed'));
    if (this.#queue.length >= this.#maxQueue) {
      this.#failedWrites++;
      return Promise.reject(new DbError('WRITE_QUEUE_FULL', `${this.#queue.length} writes are already queued`));
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn: fn as WriteFn<unknown>, lockKey: options.lockKey, resolve: resolve as (value: unknown) => void, reject, enqueuedAt: performance.now() });
      this.#schedule();
    });
  }

  /** Resolves once nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  stats(): WriterStats {
    return {
      queueDepth: this.#queue.length,
      commits: this.#commits,
      writes: this.#writes,
      failedWrites: this.#failedWrites,
      retries: this.#retries,
      meanBatchSize: this.#commits === 0 ? 0 : this.#batchedWrites / this.#commits,
      maxBatchSize: this.#maxBatchSize,
      commitLatencyMs: summarise(this.#commitMs, this.#commits),
      ackLatencyMs: summarise(this.#ackMs, this.#writes),
      unavailableSince: this.#unavailableSince,
    };
  }

  /** Refuses new writes, commits (or fails) every queued one, then resolves. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#schedule();
      await this.whenIdle();
    })();
    return this.#closing;
  }

  #schedule(): void {
    if (this.#running || this.#queue.length === 0) return;
    const full = this.#queue.length >= this.#maxBatch || this.#closing !== undefined;
    if (this.#wake && !full) return;
    this.#wake?.();
    const start = () => {
      this.#wake = undefined;
      void this.#run();
    };
    if (full) {
      const handle = setImmediate(start);
      this.#wake = () => clearImmediate(handle);
    } else {
      const wait = Math.max(0, this.#queue[0].enqueuedAt + this.#intervalMs - performance.now());
      const handle = setTimeout(start, wait);
      this.#wake = () => clearTimeout(handle);
    }
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const retry = await this.#runBatch();
        if (retry) {
          await new Promise((resolve) => setTimeout(resolve, this.#backoffMs));
          continue;
        }
        // Between batches, always let I/O run; a batch that is not full yet
        // waits for its interval (see #schedule) unless closing.
        if (this.#queue.length < this.#maxBatch && !this.#closing) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#running = false;
      if (this.#queue.length > 0) this.#schedule();
      else for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** Runs one batch; true when it must be retried (it is back at the head of the queue). */
  async #runBatch(): Promise<boolean> {
    const take = Math.min(this.#queue.length, this.#maxBatch);
    const batch = inLockOrder(this.#queue.splice(0, take));
    const started = performance.now();
    let trx: ControlledTransaction<Schema> | undefined;
    const outcomes: Outcome[] = [];
    try {
      trx = await this.#db.startTransaction().execute();
      // One write alone needs no savepoint: its failure is the transaction's.
      const savepoints = batch.length > 1;
      for (const item of batch) {
        if (outcomes.length > 0 && performance.now() - started > this.#maxBatchMs) break;
        outcomes.push(await this.#runOne(trx, item, savepoints));
      }
      if (!savepoints && !outcomes[0].ok) await trx.rollback().execute();
      else await trx.commit().execute();
    } catch (error) {
      if (trx && !trx.isCommitted && !trx.isRolledBack) await trx.rollback().execute().catch(() => undefined);
      const abort = error instanceof BatchAbort ? error : new BatchAbort(classifyFailure(error), error);
      return this.#batchFailed(batch, abort);
    }
    const finished = performance.now();
    // Writes the time budget left out go back to the head of the queue.
    if (outcomes.length < batch.length) this.#queue.unshift(...batch.slice(outcomes.length));
    this.#recovered();
    if (trx.isCommitted) {
      this.#commitMs[this.#commits % RING] = finished - started;
      this.#commits++;
      this.#batchedWrites += outcomes.length;
      this.#maxBatchSize = Math.max(this.#maxBatchSize, outcomes.length);
    }
    outcomes.forEach((outcome, i) => {
      const item = batch[i];
      if (outcome.ok) {
        this.#ackMs[this.#writes % RING] = finished - item.enqueuedAt;
        this.#writes++;
        item.resolve(outcome.value);
      } else {
        this.#failedWrites++;
        item.reject(outcome.error);
      }
    });
    return false;
  }

  /**
   * One write in its savepoint. A savepoint is never released: COMMIT
   * releases them all, and a release per write would cost a statement (a
   * round trip on PostgreSQL) each. Savepoints of one name nest, and
   * ROLLBACK TO goes back to the most recent, which is this write's.
   */
  async #runOne(trx: ControlledTransaction<Schema>, item: PendingWrite, savepoint: boolean): Promise<Outcome> {
    if (savepoint) await sql`savepoint ${SAVEPOINT}`.execute(trx);
    try {
      return { ok: true, value: await item.fn(trx) };
    } catch (error) {
      const kind = classifyFailure(error);
      if (kind !== 'other') throw new BatchAbort(kind, error);
      if (savepoint) await sql`rollback to savepoint ${SAVEPOINT}`.execute(trx);
      return { ok: false, error };
    }
  }

  #batchFailed(batch: PendingWrite[], abort: BatchAbort): boolean {
    if (abort.kind === 'connection' || abort.kind === 'busy') {
      this.#queue.unshift(...batch);
      this.#retries++;
      const now = Date.now();
      this.#unavailableSince ??= now;
      this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs === 0 ? FIRST_BACKOFF_MS : this.#backoffMs * 2);
      if (now - this.#lastUnavailableLog > 5_000) {
        this.#lastUnavailableLog = now;
        this.#logger.warn({ err: abort.failure, kind: abort.kind, queued: this.#queue.length, retryInMs: this.#backoffMs }, 'db: a write batch failed; retrying it in a new transaction');
      }
      this.#expireWaiting();
      return this.#queue.length > 0;
    }
    const error =
      abort.kind === 'disk_full'
        ? new DbError('DISK_FULL', 'the database disk is full: the write was not saved (earlier writes are safe)', { cause: abort.failure })
        : abort.failure;
    if (abort.kind === 'disk_full') this.#logger.error({ err: abort.failure, writes: batch.length }, 'db: DISK FULL, a write batch was refused; free space on the database disk');
    else this.#logger.error({ err: abort.failure, writes: batch.length }, 'db: a write batch failed to commit');
    this.#failedWrites += batch.length;
    for (const item of batch) item.reject(error);
    return false;
  }

  /** While the database is unreachable, fails writes that have waited out the retry window. */
  #expireWaiting(): void {
    const deadline = performance.now() - this.#retryWindowMs;
    if (this.#queue.length === 0 || this.#queue[0].enqueuedAt > deadline) return;
    const expired = this.#queue.filter((item) => item.enqueuedAt <= deadline);
    this.#queue = this.#queue.filter((item) => item.enqueuedAt > deadline);
    this.#failedWrites += expired.length;
    const since = new Date(this.#unavailableSince ?? Date.now()).toISOString();
    this.#logger.error({ writes: expired.length, since }, 'db: the database stayed unreachable; writes failed');
    for (const item of expired) item.reject(new DbError('DB_UNAVAILABLE', `the database has been unreachable since ${since}; the write was not saved`));
  }

  #recovered(): void {
    if (this.#unavailableSince === null) return;
    this.#logger.info({ downMs: Date.now() - this.#unavailableSince }, 'db: the database is reachable again; writes resumed');
    this.#unavailableSince = null;
    this.#backoffMs = 0;
    this.#lastUnavailableLog = 0;
  }
}

function summarise(ring: Float64Array, count: number): LatencySummary {
  const samples = Math.min(count, RING);
  if (samples === 0) return { p50: 0, p99: 0, samples: 0 };
  const sorted = Array.from(ring.subarray(0, samples)).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(samples - 1, Math.floor(q * samples))];
  return { p50: round(at(0.5)), p99: round(at(0.99)), samples };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * A batch's writes in lock order (see WriteOptions.lockKey): those without a
 * key first, as queued, then the keyed ones by key (the same key: as queued).
 * A re-run batch keeps this order.
 */
export function inLockOrder<T extends { lockKey?: string | undefined }>(batch: T[]): T[] {
  if (!batch.some((w) => w.lockKey !== undefined)) return batch;
  return batch
    .map((write, index) => ({ write, index }))
    .sort((a, b) => {
      const [ka, kb] = [a.write.lockKey, b.write.lockKey];
      if (ka === kb) return a.index - b.index;
      if (ka === undefined) return -1;
      if (kb === undefined) return 1;
      return ka < kb ? -1 : 1;
    })
    .map(({ write }) => write);
}
