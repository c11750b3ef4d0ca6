import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  ChannelMessage,
  ChannelRequest,
  WorkerMethod,
  WorkerMethods,
  WorkerNotifications,
  WorkerStats,
} from './channel.ts';
import type { MediaConfig } from './config.ts';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';

const ENTRY = fileURLToPath(new URL('./worker/entry.mjs', import.meta.url));
const REQUEST_TIMEOUT_MS = 15_000;

export type WorkerEvents = {
  /** The process exited without close(): its routers are gone. */
  died: [info: { code: number | null; signal: NodeJS.Signals | null }];
  notification: { [E in keyof WorkerNotifications]: [event: E, data: WorkerNotifications[E]] }[keyof WorkerNotifications];
  close: [];
};

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** The main process's handle on one media worker process. */
export class Worker extends EnhancedEventEmitter<WorkerEvents> {
  readonly id: number;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #ready: Promise<void>;
  #nextRequestId = 1;
  #closed = false;
  #died = false;
  #isReady = false;
  /** Rooms placed here; the pool's load measure. */
  readonly routerIds = new Set<string>();
  #lastStats?: WorkerStats;

  constructor(id: number, config: MediaConfig) {
    super();
    this.id = id;
    this.#child = fork(ENTRY, [], {
      env: { ...process.env, MUSTER_MEDIA_CONFIG: JSON.stringify(config), MUSTER_WORKER_ID: String(id) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // MUSTER_WORKER_CPU_PROF=<dir> writes a V8 CPU profile per worker on exit, for profiling the SFU under load.
      execArgv: process.env.MUSTER_WORKER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MUSTER_WORKER_CPU_PROF}`] : [],
      serialization: 'advanced',
    });
    this.#ready = new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`media worker ${id} exited during start-up`));
      this.#child.once('exit', onExit);
      this.once('notification', () => {
        this.#child.off('exit', onExit);
        this.#isReady = true;
        resolve();
      });
    });
    this.#ready.catch(() => undefined);
    this.#child.on('message', (message: ChannelMessage) => this.#onMessage(message));
    this.#child.on('exit', (code, signal) => this.#onExit(code, signal));
    this.#child.on('error', () => undefined); // 'exit' follows and carries the consequence
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get closed(): boolean {
    return this.#closed || this.#died;
  }

  get lastStats(): WorkerStats | undefined {
    return this.#lastStats;
  }

  /** Started and answering; a worker still booting is not a place for a room in a hurry. */
  get isReady(): boolean {
    return this.#isReady && !this.closed;
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  request<M extends WorkerMethod>(method: M, params: WorkerMethods[M]['params']): Promise<WorkerMethods[M]['result']> {
    if (this.closed) return Promise.reject(new Error(`media worker ${this.id} is not running`));
    const id = this.#nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`media worker ${this.id}: ${method} timed out`));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const message: ChannelRequest = { kind: 'request', id, method, params };
      this.#child.send(message, (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(error);
      });
    });
  }

  async getStats(): Promise<WorkerStats> {
    this.#lastStats = await this.request('worker.stats', {});
    return this.#lastStats;
  }

  /** Every router on this worker with its transports, producers and consumers. */
  dump(): Promise<WorkerMethods['worker.dump']['result']> {
    return this.request('worker.dump', {});
  }

  #onMessage(message: ChannelMessage): void {
    if (message.kind === 'response') {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(message.error));
    } else if (message.kind === 'notification') {
      this.safeEmit('notification', message.event as never, message.data as never);
    }
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#rejectAll(new Error(`media worker ${this.id} exited`));
    if (this.#closed || this.#died) return;
    this.#died = true;
    this.safeEmit('died', { code, signal });
  }

  #rejectAll(error: Error): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  /** Kills the process hard; used by fault tests to simulate a crash. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.#child.kill(signal);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rejectAll(new Error(`media worker ${this.id} closed`));
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    this.safeEmit('close');
    this.removeAllListeners();
  }
}
