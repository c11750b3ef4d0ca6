/**
 * What one transport sent under each transport-wide sequence number: send
 * time and size, in a ring of typed arrays (no object per packet), so that
 * feedback can be matched to it. The ring grows (rarely: a high packet rate,
 * feedback that is late) while its oldest entry is still unreported and
 * recent; a voice-or-thumbnail subscriber keeps the small one.
 */

const INITIAL_SIZE = 1024;
const MAX_SIZE = 16_384;
/** An entry younger than this (ms) and not yet reported is still wanted. */
const KEEP_MS = 2000;

const SENT = 1;
const REPORTED = 2;
const LOST = 3;

export class SendHistory {
  #mask = INITIAL_SIZE - 1;
  /** The unwrapped sequence number each slot holds (-1: none). */
  #sequence = new Float64Array(INITIAL_SIZE).fill(-1);
  #sentAt = new Float64Array(INITIAL_SIZE);
  #bytes = new Uint16Array(INITIAL_SIZE);
  #state = new Uint8Array(INITIAL_SIZE);
  /** The next unwrapped sequence number; its low 16 bits go on the wire. */
  #next: number;
  /** For lookup(): the entry found last. */
  sentAt = 0;
  bytes = 0;

  constructor(first = Math.floor(Math.random() * 0x10000)) {
    this.#next = first;
  }

  /** The sequence number the next packet carries (16 bits). */
  get nextSequence(): number {
    return this.#next & 0xffff;
  }

  get size(): number {
    return this.#mask + 1;
  }

  /** The packet carrying nextSequence went out: `bytes` long at `at` (ms). */
  sent(bytes: number, at: number): void {
    let i = this.#next & this.#mask;
    if (this.#state[i] === SENT && at - this.#sentAt[i]! < KEEP_MS && this.#mask + 1 < MAX_SIZE) {
      this.#grow();
      i = this.#next & this.#mask;
    }
    this.#sequence[i] = this.#next;
    this.#sentAt[i] = at;
    this.#bytes[i] = bytes > 0xffff ? 0xffff : bytes;
    this.#state[i] = SENT;
    this.#next++;
  }

  /**
   * Finds the packet a feedback reports as `sequence` (16 bits): true (with
   * sentAt and bytes set) the first time it is reported, false if it is
   * unknown, too old, or was reported before. A packet reported lost may
   * still be reported received later (it arrived late).
   */
  report(sequence: number, received: boolean): boolean {
    const back = (this.#next - sequence) & 0xffff;
    if (back === 0) return false; // not sent yet (or 65536 ago)
    const unwrapped = this.#next - back;
    const i = unwrapped & this.#mask;
    const state = this.#state[i];
    if (this.#sequence[i] !== unwrapped || state === REPORTED || (state === LOST && !received)) return false;
    this.#state[i] = received ? REPORTED : LOST;
    this.sentAt = this.#sentAt[i]!;
    this.bytes = this.#bytes[i]!;
    return true;
  }

  #grow(): void {
    const size = (this.#mask + 1) * 2;
    const sequence = new Float64Array(size).fill(-1);
    const sentAt = new Float64Array(size);
    const bytes = new Uint16Array(size);
    const state = new Uint8Array(size);
    const mask = size - 1;
    for (let j = 0; j <= this.#mask; j++) {
      const seq = this.#sequence[j]!;
      if (seq < 0) continue;
      const k = seq & mask;
      sequence[k] = seq;
      sentAt[k] = this.#sentAt[j]!;
      bytes[k] = this.#bytes[j]!;
      state[k] = this.#state[j]!;
    }
    this.#mask = mask;
    this.#sequence = sequence;
    this.#sentAt = sentAt;
    this.#bytes = bytes;
    this.#state = state;
  }
}
