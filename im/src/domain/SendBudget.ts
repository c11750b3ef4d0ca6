import { ImError } from '../errors.ts';

/** Sends one process takes on at once unless `maxSendsInFlight` says otherwise (the server reads IM_MAX_SENDS_IN_FLIGHT). */
export const DEFAULT_MAX_SENDS_IN_FLIGHT = 2_000;

/**
 * A per-process cap on sends in flight (taken but not yet answered).
 *
 * Why: the chat load test showed that a process offered more sends than it
 * can store does not slow down gracefully. Every send already started gets
 * its share of the event loop and the database writer, so none finishes:
 * clients time out, sockets miss their pings, memory grows. Past the cap a
 * send is refused at once with BUSY (503, Retry-After: 1) before it reads or
 * stores anything, so those in flight finish, and a client's retry with the
 * same clientMsgId is safe (nothing of the refused one was kept).
 */
export class SendBudget {
  readonly limit: number;
  #inFlight = 0;
  #refused = 0;

  constructor(limit: number = DEFAULT_MAX_SENDS_IN_FLIGHT) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`maxSendsInFlight must be a whole number of at least 1, got ${limit}`);
    this.limit = limit;
  }

  /** Sends taken and not yet answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Sends refused with BUSY since the process started. */
  get refused(): number {
    return this.#refused;
  }

  /** Runs one send holding a slot, freed however it ends; BUSY at once, without running it, when every slot is taken. */
  async run<T>(send: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.limit) {
      this.#refused++;
      throw new ImError('BUSY', 'the server is busy: try again in a moment (the same clientMsgId is safe)', 1);
    }
    this.#inFlight++;
    try {
      return await send();
    } finally {
      this.#inFlight--;
    }
  }
}
