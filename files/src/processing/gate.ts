/**
 * At most `limit` tasks at once; the rest wait their turn in arrival order.
 * Processing bounds its CPU and memory with these (ffmpeg processes, image
 * decodes) instead of letting a burst of uploads start everything at once.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`a gate needs a limit ≥ 1, got ${limit}`);
  }

  /** Tasks running now (for tests and metrics). */
  get active(): number {
    return this.running;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
