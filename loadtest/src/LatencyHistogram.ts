/**
 * A mergeable latency histogram with geometric buckets (about 2 % wide) from
 * 10 µs to over a minute: bots in many processes each fill one, and the
 * coordinator adds them up without keeping every sample.
 */
const MIN_MS = 0.01;
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
export const BUCKETS = 1000;

export class LatencyHistogram {
  readonly counts: Uint32Array;
  count = 0;
  max = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Uint32Array(BUCKETS);
    if (counts) {
      for (let i = 0; i < BUCKETS; i++) this.counts[i] = counts[i] ?? 0;
      this.count = this.counts.reduce((a, b) => a + b, 0);
    }
  }

  record(ms: number): void {
    const index = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH) + 1);
    this.counts[index]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value below which `p` (0..1) of the samples fall; the bucket's upper bound. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, i === 0 ? MIN_MS : MIN_MS * GROWTH ** i);
    }
    return this.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }

  toJSON(): { counts: number[]; max: number } {
    // Sparse: most buckets are empty.
    return { counts: Array.from(this.counts), max: this.max };
  }

  static from(json: { counts: number[]; max: number }): LatencyHistogram {
    const h = new LatencyHistogram(json.counts);
    h.max = json.max;
    return h;
  }
}
