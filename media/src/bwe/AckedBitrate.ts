/**
 * The rate at which the receiver says packets arrived (bit/s): bytes of the
 * packets acknowledged by transport-wide feedback over a window of their
 * arrival times. Under a bottleneck this is the bottleneck's rate, whatever
 * was sent into it. A ring of (arrival, bytes); nothing per packet.
 */

const WINDOW_MS = 500;
/** Below this much history the rate is not known yet. */
const MIN_SPAN_MS = 150;
const CAPACITY = 4096;

export class AckedBitrate {
  readonly #at = new Float64Array(CAPACITY);
  readonly #bytes = new Uint32Array(CAPACITY);
  #head = 0;
  #length = 0;
  #sum = 0;
  #first = -1;
  #newest = -Infinity;

  /** A packet of `bytes` arrived at `arrival` (ms, the receiver's clock). */
  add(arrival: number, bytes: number): void {
    if (this.#first < 0) this.#first = arrival;
    // Reordered arrivals count at the newest time: the window slides forward only.
    if (arrival > this.#newest) this.#newest = arrival;
    if (this.#length === CAPACITY) this.#drop();
    const i = (this.#head + this.#length) % CAPACITY;
    this.#at[i] = this.#newest;
    this.#bytes[i] = bytes;
    this.#length++;
    this.#sum += bytes;
    while (this.#length > 0 && this.#at[this.#head]! <= this.#newest - WINDOW_MS) this.#drop();
  }

  #drop(): void {
    this.#sum -= this.#bytes[this.#head]!;
    this.#head = (this.#head + 1) % CAPACITY;
    this.#length--;
  }

  /** bit/s over the last window, or null before there is enough history. */
  get bitrate(): number | null {
    const span = Math.min(WINDOW_MS, this.#newest - this.#first);
    if (!(span >= MIN_SPAN_MS)) return null;
    return (this.#sum * 8000) / span;
  }

  reset(): void {
    this.#head = 0;
    this.#length = 0;
    this.#sum = 0;
    this.#first = -1;
    this.#newest = -Infinity;
  }
}
