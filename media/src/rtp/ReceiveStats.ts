/**
 * What the SFU knows about one incoming stream (a producer's SSRC): RFC 3550
 * receiver statistics for its receiver reports, and the sequence numbers it
 * still misses, for NACKs (RFC 4585) when the codec negotiated them.
 */
import type { ReportBlock } from './rtcp.ts';

/** Packets a NACK may ask for again; after that the packet is given up. */
export const NACK_MAX_RETRIES = 10;
/** A missing packet older than this is given up (the decoder has moved on). */
export const NACK_MAX_AGE_MS = 1000;
/** Never NACK the same packet more often than this, whatever the RTT. */
export const NACK_MIN_INTERVAL_MS = 20;
/** A gap wider than this is a restart or an outage, not loss worth repairing. */
export const NACK_MAX_GAP = 256;
const MAX_MISSING = 500;

export class ReceiveStats {
  readonly ssrc: number;
  readonly clockRate: number;
  #started = false;
  #baseSeq = 0;
  #maxSeq = 0;
  #cycles = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  /** Interarrival jitter in timestamp units (RFC 3550 A.8), as a float. */
  #jitter = 0;
  #lastTransit = NaN;
  /** Missing sequence numbers (extended) → when missed, when last NACKed, how often. */
  readonly #missing = new Map<number, { since: number; lastNack: number; tries: number }>();
  readonly #nackEnabled: boolean;

  constructor(ssrc: number, clockRate: number, options: { nack?: boolean } = {}) {
    this.ssrc = ssrc;
    this.clockRate = clockRate;
    this.#nackEnabled = options.nack ?? false;
  }

  get packetsReceived(): number {
    return this.#received;
  }

  /** Cycles (<< 16) plus the highest sequence number seen. */
  get extendedHighestSequence(): number {
    return this.#cycles + this.#maxSeq;
  }

  get packetsLost(): number {
    return this.#started ? this.#cycles + this.#maxSeq - this.#baseSeq + 1 - this.#received : 0;
  }

  get jitter(): number {
    return this.#jitter;
  }

  get missingCount(): number {
    return this.#missing.size;
  }

  /** Records one packet; `arrivalMs` on any steady clock. */
  onPacket(seq: number, timestamp: number, arrivalMs: number): void {
    this.#received++;
    // Jitter (A.8), in timestamp units; arrival converted to the media clock.
    const transit = (arrivalMs * this.clockRate) / 1000 - timestamp;
    if (!Number.isNaN(this.#lastTransit)) {
      let d = transit - this.#lastTransit;
      // Timestamps wrap at 2^32: fold the difference back near zero.
      if (d > 2_147_483_648) d -= 4_294_967_296;
      else if (d < -2_147_483_648) d += 4_294_967_296;
      this.#jitter += (Math.abs(d) - this.#jitter) / 16;
    }
    this.#lastTransit = transit;

    if (!this.#started) {
      this.#started = true;
      this.#baseSeq = seq;
      this.#maxSeq = seq;
      return;
    }
    const delta = (seq - this.#maxSeq) & 0xffff;
    if (delta === 0) return; // duplicate
    if (delta < 0x8000) {
      // In order (possibly after a gap).
      if (seq < this.#maxSeq) this.#cycles += 0x10000;
      if (this.#nackEnabled && delta > 1) this.#addMissing(this.#cycles + this.#maxSeq, delta - 1, arrivalMs);
      this.#maxSeq = seq;
    } else if (this.#nackEnabled && this.#missing.size > 0) {
      // Late: a reordered or retransmitted packet fills a hole.
      const back = 0x10000 - delta;
      this.#missing.delete(this.#cycles + this.#maxSeq - back);
    }
  }

  #addMissing(fromExtended: number, count: number, now: number): void {
    if (count > NACK_MAX_GAP) {
      this.#missing.clear();
      return;
    }
    for (let i = 1; i <= count; i++) this.#missing.set(fromExtended + i, { since: now, lastNack: -Infinity, tries: 0 });
    if (this.#missing.size > MAX_MISSING) {
      for (const key of this.#missing.keys()) {
        this.#missing.delete(key);
        if (this.#missing.size <= MAX_MISSING) break;
      }
    }
  }

  /**
   * Sequence numbers (16-bit) to NACK now, oldest first; each is asked for at
   * most once per max(rtt, NACK_MIN_INTERVAL_MS) and NACK_MAX_RETRIES times.
   */
  takeNacks(nowMs: number, rttMs = 0): number[] {
    const out: number[] = [];
    if (this.#missing.size === 0) return out;
    const interval = Math.max(NACK_MIN_INTERVAL_MS, rttMs);
    for (const [extended, m] of this.#missing) {
      if (m.tries >= NACK_MAX_RETRIES || nowMs - m.since > NACK_MAX_AGE_MS) {
        this.#missing.delete(extended);
        continue;
      }
      if (nowMs - m.lastNack < interval) continue;
      m.lastNack = nowMs;
      m.tries++;
      out.push(extended & 0xffff);
    }
    return out;
  }

  /** A report block for an RR (RFC 3550 §6.4.1); updates the interval counters. */
  reportBlock(lsr = 0, dlsr = 0): ReportBlock {
    const expected = this.#started ? this.#cycles + this.#maxSeq - this.#baseSeq + 1 : 0;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      packetsLost: expected - this.#received,
      extendedHighestSequence: this.extendedHighestSequence,
      jitter: this.#jitter,
      lsr,
      dlsr,
    };
  }
}
