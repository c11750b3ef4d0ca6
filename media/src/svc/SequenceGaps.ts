/**
 * Sequence-number accounting for packets a consumer does not forward (layers
 * it filters out): the subscriber must see a contiguous sequence, or it
 * would NACK every dropped packet. Each forwarded packet's number is shifted
 * down by the drops before it; a packet arriving late (reordered) is shifted
 * only by the drops that came before it in sequence order.
 *
 * Counters of other widths work the same way: VP8 picture ids (15 or 7 bits)
 * of dropped temporal-layer frames are closed up with a SequenceGaps(15).
 */
const RECENT = 256;

export class SequenceGaps {
  readonly #mask: number;
  readonly #half: number;
  #count = 0;
  #highest = -1;
  /** Input sequence numbers of recent drops, oldest overwritten first. */
  readonly #recent = new Int32Array(RECENT).fill(-1);
  #head = 0;

  constructor(bits = 16) {
    this.#mask = (1 << bits) - 1;
    this.#half = 1 << (bits - 1);
  }

  /** a comes after b (modulo the counter's width). */
  #newer(a: number, b: number): boolean {
    const d = (a - b) & this.#mask;
    return d !== 0 && d < this.#half;
  }

  /** Packets dropped so far. */
  get dropped(): number {
    return this.#count;
  }

  drop(seq: number): void {
    // A late packet dropped behind newer forwarded ones left no hole to close.
    if (this.#highest >= 0 && !this.#newer(seq, this.#highest)) return;
    this.#highest = seq;
    this.#count++;
    this.#recent[this.#head] = seq;
    this.#head = (this.#head + 1) & (RECENT - 1);
  }

  /** How far to shift forwarded packet `seq` down. */
  shift(seq: number): number {
    if (this.#highest < 0 || this.#newer(seq, this.#highest)) {
      this.#highest = seq;
      return this.#count;
    }
    let n = this.#count;
    for (let i = 1; i <= RECENT && n > 0; i++) {
      const dropped = this.#recent[(this.#head - i) & (RECENT - 1)]!;
      if (dropped < 0 || !this.#newer(dropped, seq)) break;
      n--;
    }
    return n;
  }

  reset(): void {
    this.#count = 0;
    this.#highest = -1;
    this.#recent.fill(-1);
  }
}
