import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  ChannelMessage,
  WorkerMethod,
  WorkerMethods,
  WorkerNotifications,
  WorkerStats,
} from './channel.ts';
import type { MediaConfig } from './config.ts';
import { ChannelRequests } from './ChannelRequests.ts';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import type { MediaWorker, MediaWorkerEvents } from './MediaWorker.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'media' });

const ENTRY = fileURLToPath(new URL('./worker/entry.mjs', import.meta.url));
const REQUEST_TIMEOUT_MS = 15_000;
/** Watchdog defaults (MediaConfig.watchdogIntervalMs / watchdogTimeoutMs). */
const WATCHDOG_INTERVAL_MS = 500;
const WATCHDOG_TIMEOUT_MS = 5_000;

export type WorkerEvents = MediaWorkerEvents;

/** The main process's handle on one media worker process of this host. */
export class Worker extends EnhancedEventEmitter<WorkerEvents> implements MediaWorker {
  readonly id: number;
  readonly host = 'local';
  readonly pipeAddress: string;
  readonly #child: ChildProcess;
  readonly #requests: ChannelRequests;
  readonly #ready: Promise<void>;
  #closed = false;
  #died = false;
  #isReady = false;
  #watchdog?: NodeJS.Timeout;
  /** The outstanding ping's deadline timer; undefined when none is outstanding. */
  #pingDeadline?: NodeJS.Timeout;
  #pingsAnswered = 0;
  #stalled = false;
  /** Rooms placed here; the pool's load measure. */
  readonly routerIds = new Set<string>();
  #lastStats?: WorkerStats;

  constructor(id: number, config: MediaConfig) {
    super();
    this.id = id;
    this.#requests = new ChannelRequests({ timeoutMs: REQUEST_TIMEOUT_MS, label: `media worker ${id}` });
    this.pipeAddress = config.pipeAddress ?? '127.0.0.1';
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
        // Only a started worker is watched: loading and binding its port may take long on a busy machine.
        this.#startWatchdog(config);
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

  /** Closed, dead, or killed by the watchdog and about to be reported dead. */
  get closed(): boolean {
    return this.#closed || this.#died || this.#stalled;
  }

  /** Watchdog pings the worker has answered; for tests and diagnostics. */
  get pingsAnswered(): number {
    return this.#pingsAnswered;
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
    return this.#requests.send(method, params, (message, sent) => this.#child.send(message, sent)) as Promise<WorkerMethods[M]['result']>;
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
      this.#requests.settle(message);
    } else if (message.kind === 'notification') {
      this.safeEmit('notification', message.event as never, message.data as never);
    }
  }

  /**
   * Pings the worker every interval, one ping at a time, and kills it
   * (SIGKILL) when a ping stays unanswered past the timeout: a worker whose
   * event loop is stuck (a pathological input, SIGSTOP, a runaway loop) carries
   * no media but never exits, so without this its rooms would never move. The
   * kill sends it down the ordinary death path ('died', then the pool's
   * replacement and room migration). A stall is found at most interval +
   * timeout after it began.
   */
  #startWatchdog(config: MediaConfig): void {
    const interval = config.watchdogIntervalMs ?? WATCHDOG_INTERVAL_MS;
    const timeout = config.watchdogTimeoutMs ?? WATCHDOG_TIMEOUT_MS;
    if (timeout <= 0 || this.closed || this.#watchdog) return;
    this.#watchdog = setInterval(() => {
      if (this.closed) this.#stopWatchdog();
      else if (!this.#pingDeadline) this.#ping(timeout);
    }, interval);
    this.#watchdog.unref();
  }

  #ping(timeout: number): void {
    const sentAt = performance.now();
    const deadline = setTimeout(() => {
      // The verdict waits for the I/O phase of this turn of the event loop:
      // when the main process itself was blocked (a long synchronous task, a
      // starved CPU), the worker's answer may be sitting unread in the channel,
      // and timers run before I/O when the loop wakes. setImmediate runs after
      // the channel is read, so only a worker that really did not answer within
      // the timeout is blamed.
      setImmediate(() => {
        if (this.#pingDeadline === deadline && !this.closed) this.#killStalled(performance.now() - sentAt);
      });
    }, timeout);
    deadline.unref();
    this.#pingDeadline = deadline;
    this.request('worker.ping', {}).then(
      () => {
        clearTimeout(deadline);
        if (this.#pingDeadline === deadline) this.#pingDeadline = undefined;
        this.#pingsAnswered++;
      },
      // Exited or closed: the exit path reports it. Timed out (a watchdog timeout
      // above REQUEST_TIMEOUT_MS): the deadline still decides.
      () => undefined,
    );
  }

  #killStalled(silentMs: number): void {
    this.#stalled = true;
    this.#stopWatchdog();
    log.error({ worker: this.id, workerPid: this.pid, silentMs: Math.round(silentMs) }, 'media worker has not answered a ping: stalled; killing it so that its rooms move');
    this.#child.kill('SIGKILL');
  }

  #stopWatchdog(): void {
    clearInterval(this.#watchdog);
    clearTimeout(this.#pingDeadline);
    this.#watchdog = undefined;
    this.#pingDeadline = undefined;
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#stopWatchdog();
    this.#requests.rejectAll(new Error(`media worker ${this.id} exited`));
    if (this.#closed || this.#died) return;
    this.#died = true;
    this.safeEmit('died', this.#stalled ? { code, signal, stalled: true } : { code, signal });
  }

  /** Kills the process hard; used by fault tests to simulate a crash. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.#child.kill(signal);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatchdog();
    this.#requests.rejectAll(new Error(`media worker ${this.id} closed`));
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    this.safeEmit('close');
    this.removeAllListeners();
  }
}
