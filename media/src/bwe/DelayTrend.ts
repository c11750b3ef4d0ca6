/**
 * Is the path's queue growing? The delay-based detector of Google congestion
 * control (draft-ietf-rmcat-gcc-02 §5.3–5.4, libwebrtc's TrendlineEstimator):
 * the variation of one-way delay between packet groups is accumulated and
 * smoothed; the slope of a least-squares line through the last 20 smoothed
 * values, scaled, is compared with an adaptive threshold. A trend above it
 * for a while is overuse (a queue is building), below its negative underuse
 * (a queue is draining), else normal. The threshold follows the trend slowly
 * so that a competing TCP flow does not starve us, fast so that noise does
 * not read as overuse.
 */

export type BandwidthUsage = 'normal' | 'overusing' | 'underusing';

const WINDOW = 20;
const SMOOTHING = 0.9;
const GAIN = 4;
/** The gain counts up to this many deltas (a young trend is trusted less). */
const MIN_DELTAS = 60;
/** Overuse must last this long (ms) before it counts. */
const OVERUSE_TIME_MS = 10;
const K_UP = 0.0087;
const K_DOWN = 0.039;
const MAX_ADAPT_OFFSET_MS = 15;
const THRESHOLD_MIN = 6;
const THRESHOLD_MAX = 600;

export class DelayTrend {
  // The window as a ring: arrival time (ms since the first) and smoothed accumulated delay.
  readonly #x = new Float64Array(WINDOW);
  readonly #y = new Float64Array(WINDOW);
  #filled = 0;
  #head = 0;
  #deltas = 0;
  #firstArrival = -1;
  #accumulated = 0;
  #smoothed = 0;
  #trend = 0;
  #threshold = 12.5;
  #thresholdAt = -1;
  #overusingFor = -1;
  #overuseCount = 0;
  #usage: BandwidthUsage = 'normal';
  /** The scaled trend last compared with the threshold (for tests and dumps). */
  modifiedTrend = 0;

  get usage(): BandwidthUsage {
    return this.#usage;
  }

  get threshold(): number {
    return this.#threshold;
  }

  /**
   * One packet group's deltas against the previous group (ms): how much
   * later it arrived than the previous one, and how much later it was sent;
   * `arrival` is its arrival time (ms).
   */
  update(arrivalDelta: number, sendDelta: number, arrival: number): BandwidthUsage {
    const delta = arrivalDelta - sendDelta;
    if (this.#deltas < 1000) this.#deltas++;
    if (this.#firstArrival < 0) this.#firstArrival = arrival;
    this.#accumulated += delta;
    this.#smoothed = SMOOTHING * this.#smoothed + (1 - SMOOTHING) * this.#accumulated;
    this.#x[this.#head] = arrival - this.#firstArrival;
    this.#y[this.#head] = this.#smoothed;
    this.#head = (this.#head + 1) % WINDOW;
    if (this.#filled < WINDOW) this.#filled++;
    let trend = this.#trend;
    if (this.#filled === WINDOW) trend = this.#slope() ?? trend;
    this.#detect(trend, sendDelta, arrival);
    return this.#usage;
  }

  #slope(): number | null {
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < WINDOW; i++) {
      sx += this.#x[i]!;
      sy += this.#y[i]!;
    }
    const mx = sx / WINDOW;
    const my = sy / WINDOW;
    let num = 0;
    let den = 0;
    for (let i = 0; i < WINDOW; i++) {
      const dx = this.#x[i]! - mx;
      num += dx * (this.#y[i]! - my);
      den += dx * dx;
    }
    return den === 0 ? null : num / den;
  }

  #detect(trend: number, sendDelta: number, now: number): void {
    if (this.#deltas < 2) {
      this.#usage = 'normal';
      this.#trend = trend;
      return;
    }
    const modified = Math.min(this.#deltas, MIN_DELTAS) * trend * GAIN;
    this.modifiedTrend = modified;
    if (modified > this.#threshold) {
      this.#overusingFor = this.#overusingFor < 0 ? sendDelta / 2 : this.#overusingFor + sendDelta;
      this.#overuseCount++;
      if (this.#overusingFor > OVERUSE_TIME_MS && this.#overuseCount > 1 && trend >= this.#trend) {
        this.#overusingFor = 0;
        this.#overuseCount = 0;
        this.#usage = 'overusing';
      }
    } else if (modified < -this.#threshold) {
      this.#overusingFor = -1;
      this.#overuseCount = 0;
      this.#usage = 'underusing';
    } else {
      this.#overusingFor = -1;
      this.#overuseCount = 0;
      this.#usage = 'normal';
    }
    this.#trend = trend;
    this.#adaptThreshold(modified, now);
  }

  #adaptThreshold(modified: number, now: number): void {
    if (this.#thresholdAt < 0) this.#thresholdAt = now;
    const magnitude = Math.abs(modified);
    // A spike far above the threshold (a route change, a burst) must not drag it up.
    if (magnitude > this.#threshold + MAX_ADAPT_OFFSET_MS) {
      this.#thresholdAt = now;
      return;
    }
    const k = magnitude < this.#threshold ? K_DOWN : K_UP;
    const elapsed = Math.min(now - this.#thresholdAt, 100);
    this.#threshold = Math.min(THRESHOLD_MAX, Math.max(THRESHOLD_MIN, this.#threshold + k * (magnitude - this.#threshold) * elapsed));
    this.#thresholdAt = now;
  }
}
