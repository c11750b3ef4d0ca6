import type { WorkerStats } from './channel.ts';
import type { MediaConfig } from './config.ts';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import type { MediaWorker } from './MediaWorker.ts';
import { Worker } from './Worker.ts';
import { allocateWorkerId } from './workerIds.ts';

/** How long leastLoaded() waits for a worker when none is running (a pool of media hosts' workers only, none linked yet). */
const WAIT_FOR_WORKER_MS = 10_000;

export type WorkerPoolEvents = {
  /**
   * A worker died; `routerIds` were on it. A local worker's replacement is
   * already starting; a remote one's (`replacement: null`) is started by its
   * media host and arrives through attach().
   */
  workerdied: [info: { worker: MediaWorker; routerIds: string[]; replacement: MediaWorker | null }];
  workerready: [MediaWorker];
};

/**
 * The media workers rooms are placed on: this host's own processes, one per
 * core (`numWorkers`; 0 runs none), supervised and replaced when one dies,
 * and any attached from media hosts (RemoteWorker), which their hosts
 * supervise.
 */
export class WorkerPool extends EnhancedEventEmitter<WorkerPoolEvents> {
  readonly #config: MediaConfig;
  readonly #workers: MediaWorker[] = [];
  /** leastLoaded() calls waiting for a first worker. */
  readonly #waiting = new Set<() => void>();
  #closed = false;

  constructor(config: MediaConfig) {
    super();
    this.#config = config;
  }

  async start(): Promise<void> {
    const starting: Promise<void>[] = [];
    // numWorkers 0: no local workers (MEDIA_LOCAL=0); rooms go to attached media hosts' workers.
    for (let i = 0; i < this.#config.numWorkers; i++) starting.push(this.#spawn().ready());
    await Promise.all(starting);
  }

  get workers(): readonly MediaWorker[] {
    return this.#workers;
  }

  #spawn(): Worker {
    const worker = new Worker(allocateWorkerId(), this.#config);
    this.#add(worker);
    worker.on('died', () => {
      this.#remove(worker);
      if (this.#closed) return;
      const replacement = this.#spawn();
      this.safeEmit('workerdied', { worker, routerIds: [...worker.routerIds], replacement });
    });
    return worker;
  }

  /**
   * Adds a worker this pool does not run: a media host's (RemoteWorker).
   * Rooms are placed on it like on any other; when it dies it is removed and
   * `workerdied` says so with no replacement (its host starts one, which
   * arrives here through attach() in turn); when it is closed it is removed.
   */
  attach(worker: MediaWorker): void {
    if (this.#closed) {
      worker.close();
      return;
    }
    if (this.#workers.includes(worker) || worker.closed) return;
    this.#add(worker);
    worker.on('died', () => {
      this.#remove(worker);
      if (!this.#closed) this.safeEmit('workerdied', { worker, routerIds: [...worker.routerIds], replacement: null });
    });
    worker.on('close', () => this.#remove(worker));
  }

  #add(worker: MediaWorker): void {
    this.#workers.push(worker);
    worker.ready().then(
      () => {
        if (!worker.closed) this.safeEmit('workerready', worker);
      },
      () => undefined,
    );
    for (const wake of [...this.#waiting]) wake();
  }

  #remove(worker: MediaWorker): void {
    const index = this.#workers.indexOf(worker);
    if (index >= 0) this.#workers.splice(index, 1);
  }

  /**
   * The least-loaded live worker. Load is the number of rooms placed there,
   * refined by consumer count from the last stats poll, which is what CPU
   * actually follows in an SFU. Workers that are up win over one still booting
   * (a replacement takes a second or more to start), so rooms orphaned by a
   * crash move at once when another worker can take them.
   *
   * With no worker at all (only media hosts' workers, and none linked yet,
   * or every host lost at once) it waits up to `waitMs` for one to be
   * attached before failing: a room asked for in that moment opens late
   * rather than not at all.
   */
  async leastLoaded(options: { avoid?: ReadonlySet<MediaWorker>; waitMs?: number } = {}): Promise<MediaWorker> {
    if (!this.#workers.some((w) => !w.closed)) await this.#waitForWorker(options.waitMs ?? WAIT_FOR_WORKER_MS);
    const all = this.#workers.filter((w) => !w.closed);
    // Workers to avoid (a spanning room's own) are passed over while another can take the room.
    const others = options.avoid ? all.filter((w) => !options.avoid!.has(w)) : all;
    const live = others.length > 0 ? others : all;
    if (live.length === 0) throw new Error(this.#closed ? 'no media worker is running: the pool is closed' : 'no media worker is running');
    const ready = live.filter((w) => w.isReady);
    let best: MediaWorker | undefined;
    let bestLoad = Infinity;
    for (const worker of ready.length > 0 ? ready : live) {
      // A media host's worker may also carry other apps' rooms: its own count (last stats) wins when higher.
      const load = (worker.lastStats?.consumers ?? 0) + Math.max(worker.routerIds.size, worker.lastStats?.routers ?? 0) * 4;
      if (load < bestLoad) {
        best = worker;
        bestLoad = load;
      }
    }
    await best!.ready();
    return best!;
  }

  #waitForWorker(timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(done);
        resolve();
      };
      // On timeout the caller finds no worker and throws as before.
      const timer = setTimeout(done, timeoutMs);
      this.#waiting.add(done);
    });
  }

  dump(): { id: number; host: string; pid: number | undefined; ready: boolean; routerIds: string[] }[] {
    return this.#workers.map((w) => ({ id: w.id, host: w.host, pid: w.pid, ready: w.isReady, routerIds: [...w.routerIds] }));
  }

  /** Fresh stats of every live worker; a worker that cannot answer is left out. */
  async getStats(): Promise<WorkerStats[]> {
    const stats = await Promise.all(this.#workers.filter((w) => !w.closed).map((w) => w.getStats().catch(() => null)));
    return stats.filter((s): s is WorkerStats => s !== null);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of [...this.#waiting]) wake();
    for (const worker of [...this.#workers]) worker.close();
    this.#workers.length = 0;
    this.removeAllListeners();
  }
}
