import type { Timers } from '../domain/Notifier.ts';

/**
 * Timers on a clock the test moves (the accounts' TestClock, so IM, the
 * accounts and the notifier share one time): `advance(ms)` moves the clock
 * and runs every timer that falls due, in order.
 */
export class ManualTimers implements Timers {
  readonly #clock: { now(): number; advance(ms: number): void };
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #ids = 0;

  constructor(clock: { now(): number; advance(ms: number): void }) {
    this.#clock = clock;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#ids;
    this.#timers.push({ at: this.#clock.now() + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Timers waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  advance(ms: number): void {
    const target = this.#clock.now() + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      if (due.at > this.#clock.now()) this.#clock.advance(due.at - this.#clock.now());
      due.fn();
    }
    if (target > this.#clock.now()) this.#clock.advance(target - this.#clock.now());
  }
}
