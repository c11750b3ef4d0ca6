import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '@muster/kit/log';

/** SQLite's own default: a checkpoint once the WAL holds this many pages. */
const INLINE_AUTOCHECKPOINT_PAGES = 1000;

export interface WalCheckpointerOptions {
  /** The database file. */
  file: string;
  /** The writer's connection: its automatic checkpoints are turned off while the thread does them, and back on if the thread fails. */
  writer: BetterSqlite3.Database;
  logger: Logger;
  /** Checkpoint every this many ms (default 250). */
  everyMs?: number;
  /** Start the thread this long after opening (ms, default 5 000; see below). */
  startAfterMs?: number;
}

export interface WalCheckpointerStats {
  /** `thread`: checkpoints run on the checkpointer's thread; `inline`: by the writer as it commits (SQLite's default). */
  mode: 'thread' | 'inline';
  checkpoints: number;
  /** Frames in the WAL at the last checkpoint, and how many of them it moved into the database file. */
  lastLogFrames: number;
  lastCheckpointedFrames: number;
  failures: number;
}

/**
 * Runs SQLite's WAL checkpoints on a worker thread instead of inside the
 * writer's commits.
 *
 * Why: with automatic checkpoints (every 1,000 WAL pages) the commit that
 * crosses the threshold copies the pages into the database file and, with
 * `synchronous = NORMAL`, fsyncs it, all on the event loop (better-sqlite3 is
 * synchronous): measured here, 60 µs of every stored message's 160 µs of SQL
 * was commits, and every few hundred messages one of them stalled the loop
 * for milliseconds. A PASSIVE checkpoint from another connection does the
 * same copy without taking the writer's lock, so it runs beside the writes,
 * on another core.
 *
 * The thread starts `startAfterMs` after opening, so that the many short-lived
 * databases of tools and tests do not each pay for a thread; until then and
 * if it ever fails, the writer checkpoints inline as before (nothing is lost
 * either way: a checkpoint only moves committed pages). `journal_size_limit`
 * trims the WAL file after a burst.
 */
export class WalCheckpointer {
  readonly #options: WalCheckpointerOptions;
  #worker: Worker | null = null;
  #startTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #stats: WalCheckpointerStats = { mode: 'inline', checkpoints: 0, lastLogFrames: 0, lastCheckpointedFrames: 0, failures: 0 };
  #failureLogged = false;
  /** Settles once the thread has taken over, or never will (it failed, or the checkpointer closed). */
  readonly #settled: Promise<void>;
  #settle: () => void = () => undefined;

  constructor(options: WalCheckpointerOptions) {
    this.#options = options;
    this.#settled = new Promise((resolve) => (this.#settle = resolve));
    options.writer.pragma('journal_size_limit = 67108864');
    const after = options.startAfterMs ?? 5_000;
    if (after <= 0) this.#start();
    else {
      this.#startTimer = setTimeout(() => this.#start(), after);
      this.#startTimer.unref();
    }
  }

  getStats(): WalCheckpointerStats {
    return { ...this.#stats };
  }

  /** Resolves once the thread has taken over the checkpoints, or once it cannot (it failed, or this closed): read `getStats().mode`. */
  ready(): Promise<void> {
    return this.#settled;
  }

  #start(): void {
    this.#startTimer = null;
    if (this.#closed) return;
    const worker = new Worker(new URL('./walCheckpointWorker.mjs', import.meta.url), {
      workerData: { file: this.#options.file, everyMs: this.#options.everyMs ?? 250, busyTimeoutMs: 5_000 },
      // Plain JavaScript: no loader hooks needed (and none of the parent's --import).
      execArgv: [],
    });
    worker.unref();
    this.#worker = worker;
    worker.on('message', (message: { type: 'ready' } | { type: 'checkpointed'; log: number; checkpointed: number } | { type: 'failed'; code: string; message: string }) => {
      if (message.type === 'ready') {
        if (this.#closed) return;
        // From now on the thread checkpoints: the writer's commits no longer do.
        this.#options.writer.pragma('wal_autocheckpoint = 0');
        this.#stats.mode = 'thread';
        this.#settle();
      } else if (message.type === 'checkpointed') {
        this.#stats.checkpoints++;
        this.#stats.lastLogFrames = message.log;
        this.#stats.lastCheckpointedFrames = message.checkpointed;
        this.#failureLogged = false;
      } else {
        this.#stats.failures++;
        // Once per run of failures (a full disk fails every tick).
        if (!this.#failureLogged) this.#options.logger.warn({ code: message.code, reason: message.message }, 'db: WAL checkpoint failed; retrying');
        this.#failureLogged = true;
      }
    });
    worker.on('error', (error) => this.#lost(error));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#lost(new Error(`exited with code ${code}`));
    });
  }

  /** The thread is gone: the writer checkpoints inline again, as SQLite does by default. */
  #lost(error: unknown): void {
    if (this.#worker === null) return;
    this.#worker = null;
    this.#settle();
    if (this.#closed) return;
    this.#stats.mode = 'inline';
    try {
      this.#options.writer.pragma(`wal_autocheckpoint = ${INLINE_AUTOCHECKPOINT_PAGES}`);
    } catch {
      // The writer is closing.
    }
    this.#options.logger.warn({ err: error }, 'db: the WAL checkpoint thread stopped; the writer checkpoints itself from now on');
  }

  /** Stops the thread after one last checkpoint (idempotent); the writer's own close checkpoints the rest. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#settle();
    if (this.#startTimer) clearTimeout(this.#startTimer);
    const worker = this.#worker;
    this.#worker = null;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      // A thread stuck in I/O is not waited for past a few seconds.
      const stuck = setTimeout(() => void worker.terminate(), 5_000);
      worker.once('exit', () => {
        clearTimeout(stuck);
        resolve();
      });
      worker.postMessage('close');
    });
  }
}
