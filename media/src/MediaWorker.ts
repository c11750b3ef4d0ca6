import type { WorkerMethod, WorkerMethods, WorkerNotifications, WorkerStats } from './channel.ts';
import type { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';

export type MediaWorkerEvents = {
  /**
   * The worker is gone without close(): its routers are gone. A local
   * process exited (or the watchdog killed it, `stalled`); a remote one's
   * media host died or could no longer be reached.
   */
  died: [info: { code: number | null; signal: NodeJS.Signals | null; stalled?: true }];
  notification: { [E in keyof WorkerNotifications]: [event: E, data: WorkerNotifications[E]] }[keyof WorkerNotifications];
  close: [];
};

/**
 * What signaling holds of a media worker, wherever it runs: a process of
 * this host (Worker) or one on a media host reached over the network
 * (RemoteWorker). Rooms are placed on these and speak the channel protocol
 * (channel.ts) to them; nothing above this interface knows which kind it has.
 */
export interface MediaWorker extends EnhancedEventEmitter<MediaWorkerEvents> {
  /** Unique among the workers one signaling process knows. */
  readonly id: number;
  /** 'local', or the id of the media host the worker runs on. */
  readonly host: string;
  /**
   * The address this worker's pipe transports bind to and are reached at:
   * loopback for a local worker, the media host's address for a remote one.
   * Two workers of the same host pipe over loopback.
   */
  readonly pipeAddress: string;
  /** Rooms' routers placed here; the pool's load measure. */
  readonly routerIds: Set<string>;
  readonly closed: boolean;
  readonly isReady: boolean;
  readonly lastStats: WorkerStats | undefined;
  readonly pid: number | undefined;
  ready(): Promise<void>;
  request<M extends WorkerMethod>(method: M, params: WorkerMethods[M]['params']): Promise<WorkerMethods[M]['result']>;
  getStats(): Promise<WorkerStats>;
  dump(): Promise<WorkerMethods['worker.dump']['result']>;
  /** Ends the worker hard, as a crash would (fault tests); for a remote worker its media host kills the process. */
  kill(signal?: NodeJS.Signals): void;
  close(): void;
}
