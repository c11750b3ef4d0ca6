import type { ChannelNotification, ChannelResponse, WorkerMethod, WorkerMethods, WorkerStats } from '../channel.ts';
import { ChannelRequests } from '../ChannelRequests.ts';
import { EnhancedEventEmitter } from '../EnhancedEventEmitter.ts';
import type { MediaWorker, MediaWorkerEvents } from '../MediaWorker.ts';
import { allocateWorkerId } from '../workerIds.ts';
import type { ClientChannelFrame, RemoteWorkerInfo } from './protocol.ts';

/**
 * Worker.ts waits 15 s for a local worker; the host's own Worker handle
 * times out after as long and answers with its error, which is the more
 * telling one, so this side waits a little longer for it.
 */
const REQUEST_TIMEOUT_MS = 17_000;

/** What a RemoteWorker needs of its host's link. */
export interface RemoteWorkerLink {
  /** Sends a channel frame; false when the link is down (the request fails at once). */
  send(frame: ClientChannelFrame, callback: (error?: Error) => void): boolean;
  kill(remoteId: number, signal: NodeJS.Signals): void;
}

/**
 * A media worker process of a media host, as signaling sees it: the same
 * MediaWorker a local Worker is, reached over the host's link
 * (MediaHostLink). `host` is the media host's id and `pipeAddress` its
 * registered address, which other hosts' workers pipe to. It dies (emits
 * 'died') when its process dies on the host or when the link to the host is
 * lost: either way its routers are gone from this process's point of view,
 * and the rooms on it move as they do off a crashed local worker.
 */
export class RemoteWorker extends EnhancedEventEmitter<MediaWorkerEvents> implements MediaWorker {
  /** Unique in this process (shared with the local workers' numbering). */
  readonly id = allocateWorkerId();
  readonly host: string;
  readonly pipeAddress: string;
  /** The worker's id on its host: what the link's frames name. */
  readonly remoteId: number;
  readonly routerIds = new Set<string>();
  readonly #link: RemoteWorkerLink;
  readonly #requests: ChannelRequests;
  readonly #ready: Promise<void>;
  #settleReady!: (error?: Error) => void;
  #pid: number | undefined;
  #isReady = false;
  #closed = false;
  #died = false;
  #lastStats?: WorkerStats;
  /** 'died' is emitted once, whether or not markDead() came first. */
  #diedEmitted = false;

  constructor(options: { link: RemoteWorkerLink; host: string; pipeAddress: string; info: RemoteWorkerInfo }) {
    super();
    this.#link = options.link;
    this.host = options.host;
    this.#requests = new ChannelRequests({ timeoutMs: REQUEST_TIMEOUT_MS, label: `media worker ${this.id} (${this.host})` });
    this.pipeAddress = options.pipeAddress;
    this.remoteId = options.info.id;
    this.#pid = options.info.pid ?? undefined;
    this.#ready = new Promise((resolve, reject) => {
      this.#settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.#ready.catch(() => undefined);
    if (options.info.ready) this.markReady(options.info.pid);
  }

  /** The process id on the media host (another machine's pid space). */
  get pid(): number | undefined {
    return this.#pid;
  }

  get closed(): boolean {
    return this.#closed || this.#died;
  }

  get isReady(): boolean {
    return this.#isReady && !this.closed;
  }

  get lastStats(): WorkerStats | undefined {
    return this.#lastStats;
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  request<M extends WorkerMethod>(method: M, params: WorkerMethods[M]['params']): Promise<WorkerMethods[M]['result']> {
    if (this.closed) return Promise.reject(new Error(`media worker ${this.id} (${this.host}) is not running`));
    return this.#requests.send(method, params, (message, sent) => {
      if (!this.#link.send({ t: 'channel', worker: this.remoteId, message }, (error) => sent(error))) {
        sent(new Error(`media worker ${this.id}: the link to media host ${this.host} is down`));
      }
    }) as Promise<WorkerMethods[M]['result']>;
  }

  async getStats(): Promise<WorkerStats> {
    this.#lastStats = await this.request('worker.stats', {});
    return this.#lastStats;
  }

  dump(): Promise<WorkerMethods['worker.dump']['result']> {
    return this.request('worker.dump', {});
  }

  /** Has the media host send the signal to this worker's process (fault tests); its death comes back as 'died'. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.closed) this.#link.kill(this.remoteId, signal);
  }

  /**
   * Lets go of the worker: this process stops using it. The process on the
   * host runs on (other apps may use it); what this app made there is closed
   * by the rooms themselves, or by the host when the link closes.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#requests.rejectAll(new Error(`media worker ${this.id} (${this.host}) closed`));
    this.#settleReady(new Error(`media worker ${this.id} (${this.host}) closed`));
    this.safeEmit('close');
    this.removeAllListeners();
  }

  // What follows is for the worker's MediaHostLink.

  /** The host says the worker has started. */
  markReady(pid: number | null): void {
    if (pid !== null) this.#pid = pid;
    if (this.#isReady || this.closed) return;
    this.#isReady = true;
    this.#settleReady();
  }

  /** A response or notification of this worker, relayed by the host. */
  handle(message: ChannelResponse | ChannelNotification): void {
    if (this.closed) return;
    if (message.kind === 'response') {
      this.#requests.settle(message);
    } else {
      // The host relays every notification its worker emits (worker.ready among them); the
      // envelope was validated, the event's data is the worker's own, as over the local IPC.
      this.safeEmit('notification', message.event as never, message.data as never);
    }
  }

  /**
   * Gone without close(): the process died on the host, or the link to the
   * host was lost. Callers mark every worker of a lost host closed before
   * any emits 'died' (see MediaHostLink), so that the rooms leaving one are
   * not placed on another of the same dead host.
   */
  markDead(): void {
    if (this.closed) return;
    this.#died = true;
  }

  die(info: MediaWorkerEvents['died'][0]): void {
    if (this.#closed || this.#diedEmitted) return;
    this.#died = true;
    this.#diedEmitted = true;
    this.#requests.rejectAll(new Error(`media worker ${this.id} (${this.host}) died`));
    this.#settleReady(new Error(`media worker ${this.id} (${this.host}) died before it was ready`));
    this.safeEmit('died', info);
  }
}
