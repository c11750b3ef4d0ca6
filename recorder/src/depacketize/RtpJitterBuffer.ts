import type { RtpPacket } from './RtpPacket.ts';

/** A sequence number this far from the expected one is a new numbering (publisher restart), not reordering. */
const RESET_DISTANCE = 3_000;

export interface RtpJitterBufferOptions {
  /**
   * How long a gap may hold later packets back before it is given up as
   * loss. The SFU forwards a packet it recovered by NACK/RTX as it arrives,
   * so a repair comes one publisher round trip late.
   */
  maxWaitMs?: number;
  /** A gap is given up sooner if this many packets wait behind it. */
  maxPackets?: number;
  onPacket: (packet: RtpPacket) => void;
  /** Packets before the next onPacket are missing for good. */
  onLoss: () => void;
}

/**
 * Puts RTP packets back in sequence order and drops duplicates (libwebrtc's
 * bandwidth probes resend old packets as RTX padding; the SFU forwards them
 * again). Packets leave in order; a gap holds them until it fills or has
 * waited `maxWaitMs`, then it is reported as loss and skipped.
 * Time is passed in (`now`), so tests drive it.
 */
export class RtpJitterBuffer {
  readonly #o: Required<RtpJitterBufferOptions>;
  readonly #waiting = new Map<number, RtpPacket>();
  /** The extended sequence number expected next; -1 before the first packet. */
  #next = -1;
  /** When the current gap was first seen (time of the oldest waiting packet). */
  #gapSince = 0;
  packets = 0;
  duplicates = 0;
  losses = 0;

  constructor(options: RtpJitterBufferOptions) {
    this.#o = { maxWaitMs: 250, maxPackets: 500, ...options };
  }

  push(packet: RtpPacket, now: number): void {
    if (this.#next < 0) this.#next = packet.sequenceNumber;
    // Extend the 16-bit number to the one nearest the expected.
    const delta = ((packet.sequenceNumber - (this.#next & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    const ext = this.#next + delta;
    if (Math.abs(delta) > RESET_DISTANCE) {
      // A new numbering: what waited belongs to the old one.
      this.#waiting.clear();
      this.#next = packet.sequenceNumber;
      this.losses++;
      this.#o.onLoss();
      this.push(packet, now);
      return;
    }
    if (ext < this.#next || this.#waiting.has(ext)) {
      this.duplicates++;
      return;
    }
    this.packets++;
    if (this.#waiting.size === 0) this.#gapSince = now;
    this.#waiting.set(ext, packet);
    this.#drain();
    this.flush(now);
  }

  /** Gives up a gap that waited too long (call it from a timer too: the stream may stop behind a gap). */
  flush(now: number): void {
    while (this.#waiting.size > 0 && (now - this.#gapSince >= this.#o.maxWaitMs || this.#waiting.size >= this.#o.maxPackets)) {
      this.#next = Math.min(...this.#waiting.keys());
      this.losses++;
      this.#o.onLoss();
      this.#drain();
      this.#gapSince = now;
    }
  }

  #drain(): void {
    let packet: RtpPacket | undefined;
    while ((packet = this.#waiting.get(this.#next)) !== undefined) {
      this.#waiting.delete(this.#next);
      this.#next++;
      this.#o.onPacket(packet);
    }
  }
}
