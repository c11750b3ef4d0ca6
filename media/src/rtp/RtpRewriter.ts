/**
 * Per-consumer sequence-number and timestamp rewriting. The subscriber sees
 * one continuous stream: across a pause (or a producer switch, later a layer
 * switch) the sequence continues from the last packet sent and the timestamp
 * jumps by the real gap, so the receiver neither NACKs the gap nor mis-times
 * playout. A short history maps sequence numbers the subscriber NACKs back to
 * the producer's, for retransmission from the producer's packet ring.
 */
import { seqNewer } from './rtpPacket.ts';

const HISTORY = 1024; // power of two

export class RtpRewriter {
  #seqOffset = 0;
  #tsOffset = 0;
  #started = false;
  #lastSeq = 0;
  #lastTimestamp = 0;
  #rebasePending = false;
  #rebaseTicks = 1;
  /** Output sequence number of each history slot (-1 empty), its input sequence number and output timestamp. */
  readonly #historyOut = new Int32Array(HISTORY).fill(-1);
  readonly #historyIn = new Uint16Array(HISTORY);
  readonly #historyTs = new Uint32Array(HISTORY);
  /** Results of the last map() call. */
  sequenceNumber = 0;
  timestamp = 0;
  /** Date.now() of the last packet mapped, or null before the first. */
  lastMappedAt: number | null = null;

  /**
   * The next packet starts a new run: it follows the last one sent by one
   * sequence number and `elapsedTicks` of timestamp.
   */
  rebase(elapsedTicks: number): void {
    this.#rebasePending = true;
    this.#rebaseTicks = Math.max(1, Math.round(elapsedTicks));
  }

  get started(): boolean {
    return this.#started;
  }

  /** Output sequence number and timestamp of the last packet sent. */
  get lastSequenceNumber(): number {
    return this.#lastSeq;
  }

  get lastTimestamp(): number {
    return this.#lastTimestamp;
  }

  /**
   * Maps an input packet; the result is in `sequenceNumber` / `timestamp`.
   * `dropped`: packets of the input before this one that were not forwarded
   * (filtered layers), so the output stays contiguous (see svc/SequenceGaps).
   */
  map(inSeq: number, inTimestamp: number, dropped = 0): void {
    const shifted = (inSeq - dropped) & 0xffff;
    if (this.#rebasePending) {
      this.#rebasePending = false;
      if (this.#started) {
        this.#seqOffset = (this.#lastSeq + 1 - shifted) & 0xffff;
        this.#tsOffset = (this.#lastTimestamp + this.#rebaseTicks - inTimestamp) >>> 0;
      }
    }
    const seq = (shifted + this.#seqOffset) & 0xffff;
    const ts = (inTimestamp + this.#tsOffset) >>> 0;
    this.sequenceNumber = seq;
    this.timestamp = ts;
    if (!this.#started || seqNewer(seq, this.#lastSeq)) {
      this.#started = true;
      this.#lastSeq = seq;
      this.#lastTimestamp = ts;
    }
    this.lastMappedAt = Date.now();
    const slot = seq & (HISTORY - 1);
    this.#historyOut[slot] = seq;
    this.#historyIn[slot] = inSeq;
    this.#historyTs[slot] = ts;
  }

  /** Forgets the history (the slot now carries another producer's packets). */
  forgetHistory(): void {
    this.#historyOut.fill(-1);
  }

  /**
   * The producer's sequence number of output packet `outSeq` (and sets
   * `timestamp` to its output timestamp), or -1 if it is no longer known.
   */
  lookup(outSeq: number): number {
    const slot = outSeq & (HISTORY - 1);
    if (this.#historyOut[slot] !== outSeq) return -1;
    this.sequenceNumber = outSeq;
    this.timestamp = this.#historyTs[slot]!;
    return this.#historyIn[slot]!;
  }
}
