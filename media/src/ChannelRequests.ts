import type { ChannelRequest, ChannelResponse, WorkerMethod } from './channel.ts';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The requests one side of a worker channel has sent and not yet had
 * answered: ids, timeouts, answers matched to their promise, and everything
 * failed at once when the worker goes. A local Worker sends over IPC, a
 * RemoteWorker over its media host's link; both keep their requests here.
 */
export class ChannelRequests {
  readonly #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;
  /** Names the worker in errors ("media worker 3", "media worker 3 (10.0.0.5:4443)"). */
  readonly #label: string;
  #nextId = 1;

  constructor(options: { timeoutMs: number; label: string }) {
    this.#timeoutMs = options.timeoutMs;
    this.#label = options.label;
  }

  /**
   * A new request handed to `transmit`, which calls back with an error when
   * it could not be sent; it settles with the answer, that error, or a timeout.
   */
  send(method: WorkerMethod, params: unknown, transmit: (message: ChannelRequest, sent: (error?: Error | null) => void) => void): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(id, new Error(`${this.#label}: ${method} timed out`)), this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      transmit({ kind: 'request', id, method, params }, (error) => {
        if (error) this.#fail(id, error);
      });
    });
  }

  /** Settles the request a response answers; a response to none (timed out already) is dropped. */
  settle(response: ChannelResponse): void {
    const pending = this.#pending.get(response.id);
    if (!pending) return;
    this.#pending.delete(response.id);
    clearTimeout(pending.timer);
    if (response.ok) pending.resolve(response.result);
    else pending.reject(new Error(response.error));
  }

  /** Fails every request still waiting (the worker exited, closed, or its host went away). */
  rejectAll(error: Error): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  #fail(id: number, error: Error): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    pending.reject(error);
  }
}
