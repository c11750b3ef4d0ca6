import type { WorkerPool } from '@muster/media';
import type { IceServer } from '../protocol.ts';
import { Room } from './Room.ts';

export interface RoomManagerOptions {
  pool: WorkerPool;
  iceServers: IceServer[];
  /** A room with nobody in it is closed after this long. */
  roomCloseGraceMs: number;
  participantGraceMs: number;
}

/** Creates rooms on first join, places them on workers, and closes them when empty. */
export class RoomManager {
  readonly #rooms = new Map<string, Room>();
  /** Rooms being created, so two simultaneous first joins make one room. */
  readonly #opening = new Map<string, Promise<Room>>();
  readonly #closeTimers = new Map<string, NodeJS.Timeout>();
  readonly #options: RoomManagerOptions;

  constructor(options: RoomManagerOptions) {
    this.#options = options;
    options.pool.on('workerdied', ({ routerIds }) => {
      const lost = new Set(routerIds);
      for (const room of this.#rooms.values()) {
        if (!lost.has(room.routerId)) continue;
        // Move at once to the least-loaded worker that is up; the replacement
        // is only waited for when no other worker is left.
        void this.#options.pool
          .leastLoaded()
          .then((worker) => room.migrate(worker))
          .catch((error) => console.error(`[rooms] could not move room ${room.id} to a new worker:`, error));
      }
    });
  }

  get rooms(): Room[] {
    return [...this.#rooms.values()];
  }

  get(id: string): Room | undefined {
    return this.#rooms.get(id);
  }

  async getOrCreate(id: string): Promise<Room> {
    this.#cancelClose(id);
    const existing = this.#rooms.get(id);
    if (existing && !existing.closed) return existing;
    const opening = this.#opening.get(id);
    if (opening) return opening;
    const promise = (async () => {
      const worker = await this.#options.pool.leastLoaded();
      const room = new Room({
        id,
        worker,
        iceServers: this.#options.iceServers,
        participantGraceMs: this.#options.participantGraceMs,
        onEmpty: (r) => this.#scheduleClose(r),
      });
      await room.open();
      this.#rooms.set(id, room);
      return room;
    })();
    this.#opening.set(id, promise);
    try {
      return await promise;
    } finally {
      this.#opening.delete(id);
    }
  }

  #scheduleClose(room: Room): void {
    this.#cancelClose(room.id);
    const timer = setTimeout(() => {
      this.#closeTimers.delete(room.id);
      if (room.participants.size === 0) this.close(room.id, 'empty');
    }, this.#options.roomCloseGraceMs);
    timer.unref();
    this.#closeTimers.set(room.id, timer);
  }

  #cancelClose(id: string): void {
    clearTimeout(this.#closeTimers.get(id));
    this.#closeTimers.delete(id);
  }

  close(id: string, reason = 'ended'): boolean {
    const room = this.#rooms.get(id);
    if (!room) return false;
    this.#cancelClose(id);
    this.#rooms.delete(id);
    room.close(reason);
    return true;
  }

  closeAll(): void {
    for (const id of [...this.#rooms.keys()]) this.close(id, 'server-shutdown');
  }
}
