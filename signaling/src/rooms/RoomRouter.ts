import { randomUUID } from 'node:crypto';
import type { MediaWorker } from '@muster/media';

/**
 * One router of a room: the part of the room's media on one worker, local
 * or on a media host, and the participants whose transports it holds. A room
 * has one router until it outgrows a worker; then it spans several, joined
 * by pipe transports (MediaSession).
 */
export class RoomRouter {
  readonly id = randomUUID();
  readonly worker: MediaWorker;
  /** Participants whose send and receive transports are on this router. */
  readonly participantIds = new Set<string>();
  #closed = false;

  constructor(worker: MediaWorker) {
    this.worker = worker;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async open(): Promise<void> {
    await this.worker.request('router.create', { routerId: this.id });
    this.worker.routerIds.add(this.id);
  }

  /**
   * The address its pipe transport towards `other` binds to: loopback when
   * both routers' workers run on one host, else the host's own address.
   */
  pipeAddressTowards(other: RoomRouter): string {
    return this.worker.host === other.worker.host ? '127.0.0.1' : this.worker.pipeAddress;
  }

  /** Closes it in the worker (and with it its transports, producers and consumers). Idempotent; a worker that is gone is no error. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.worker.routerIds.delete(this.id);
    if (!this.worker.closed) this.worker.request('router.close', { routerId: this.id }).catch(() => undefined);
  }
}
