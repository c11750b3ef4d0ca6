import type { WorkerStats } from './channel.ts';
import type { MediaConfig } from './config.ts';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import { Worker } from './Worker.ts';

export type WorkerPoolEvents = {
  /** A worker died; `routerIds` were on it. Its replacement is already starting. */
  workerdied: [info: { worker: Worker; routerIds: string[]; replacement: Worker }];
  workerready: [Worker];
};

/** A supervised set of media workers, one per core, replaced when one dies. */
export class WorkerPool extends EnhancedEventEmitter<WorkerPoolEvents> {
  readonly #config: MediaConfig;
  readonly #workers: Worker[] = [];
  #nextWorkerId = 0;
  #closed = false;

  constructor(config: MediaConfig) {
    super();
    this.#config = config;
  }

  async start(): Promise<void> {
    const starting: Promise<void>[] = [];
    for (let i = 0; i < Math.max(1, this.#config.numWorkers); i++) starting.push(this.#spawn().ready());
    await Promise.all(starting);
  }

  get workers(): readonly Worker[] {
    return this.#workers;
  }

  #spawn(): Worker {
    const worker = new Worker(this.#nextWorkerId++, this.#config);
    this.#workers.push(worker);
    worker.ready().then(
      () => this.safeEmit('workerready', worker),
      () => undefined,
    );
    worker.on('died', () => {
      const index = this.#workers.indexOf(worker);
      if (index >= 0) this.#workers.splice(index, 1);
      if (this.#closed) return;
      const replacement = this.#spawn();
      this.safeEmit('workerdied', { worker, routerIds: [...worker.routerIds], replacement });
    });
    return worker;
  }

  /**
   * The least-loaded live worker. Load is the number of rooms placed there,
   * refined by consumer count from the last stats poll, which is what CPU
   * actually follows in an SFU. Workers that are up win over one still booting
   * (a replacement takes a second or more to start), so rooms orphaned by a
   * crash move at once when another worker can take them.
   */
  async leastLoaded(): Promise<Worker> {
    const live = this.#workers.filter((w) => !w.closed);
    if (live.length === 0) throw new Error('no media worker is running');
    const ready = live.filter((w) => w.isReady);
    let best: Worker | undefined;
    let bestLoad = Infinity;
    for (const worker of ready.length > 0 ? ready : live) {
      const load = (worker.lastStats?.consumers ?? 0) + worker.routerIds.size * 4;
      if (load < bestLoad) {
        best = worker;
        bestLoad = load;
      }
    }
    await best!.ready();
    return best!;
  }

  dump(): { id: number; pid: number | undefined; ready: boolean; routerIds: string[] }[] {
    return this.#workers.map((w) => ({ id: w.id, pid: w.pid, ready: w.isReady, routerIds: [...w.routerIds] }));
  }

  /** Fresh stats of every live worker; a worker that cannot answer is left out. */
  async getStats(): Promise<WorkerStats[]> {
    const stats = await Promise.all(this.#workers.filter((w) => !w.closed).map((w) => w.getStats().catch(() => null)));
    return stats.filter((s): s is WorkerStats => s !== null);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const worker of this.#workers) worker.close();
    this.#workers.length = 0;
    this.removeAllListeners();
  }
}
