import { parseRtp, type MediaPacket } from './rtpPacket.ts';
import { copyBytes, wordView } from './bytes.ts';

/** Bytes per slot: a full-size WebRTC packet (≈1200-byte payload plus headers) fits. */
export const RING_SLOT_BYTES = 1280;

/**
 * The last packets of a producer, by sequence number, for retransmission to
 * subscribers that NACK. Packets are copied into one preallocated slab: the
 * received datagrams themselves die young (keeping them for seconds promoted
 * them to V8's old generation and made major GCs the largest cost of the
 * packet path). A slot is checked against the sequence number, so a packet
 * overwritten by a newer one is reported missing, never wrong.
 * (The scalable-video work can add RTX from here.)
 */
export class PacketRing {
  readonly #capacity: number;
  readonly #mask: number;
  #slab?: Buffer;
  #slabWords: Int32Array | null = null;
  readonly #sequence: Int32Array;
  readonly #length: Uint16Array;
  readonly #receivedAt: Float64Array;

  /** `capacity` is rounded up to a power of two; memory is taken on the first push. */
  constructor(capacity = 256) {
    let size = 1;
    while (size < capacity) size <<= 1;
    this.#capacity = size;
    this.#mask = size - 1;
    this.#sequence = new Int32Array(size).fill(-1);
    this.#length = new Uint16Array(size);
    this.#receivedAt = new Float64Array(size);
  }

  get capacity(): number {
    return this.#capacity;
  }

  push(packet: MediaPacket): void {
    const slot = packet.sequenceNumber & this.#mask;
    if (packet.length > RING_SLOT_BYTES) {
      this.#sequence[slot] = -1; // too large to keep: report it missing rather than stale
      return;
    }
    let slab = this.#slab;
    if (slab === undefined) {
      slab = this.#slab = Buffer.allocUnsafeSlow(this.#capacity * RING_SLOT_BYTES);
      this.#slabWords = wordView(slab);
    }
    copyBytes(slab, this.#slabWords, slot * RING_SLOT_BYTES, packet.buffer, packet.words, 0, packet.length);
    this.#sequence[slot] = packet.sequenceNumber;
    this.#length[slot] = packet.length;
    this.#receivedAt[slot] = packet.receivedAt;
  }

  /**
   * The packet with `sequenceNumber` if still kept. Its buffer is a view of
   * the ring: use it at once (a later push may overwrite it).
   */
  get(sequenceNumber: number): MediaPacket | undefined {
    const slot = sequenceNumber & this.#mask;
    if (this.#sequence[slot] !== sequenceNumber || !this.#slab) return undefined;
    const start = slot * RING_SLOT_BYTES;
    const length = this.#length[slot]!;
    const packet = parseRtp(this.#slab.subarray(start, start + length), length);
    if (packet) {
      packet.receivedAt = this.#receivedAt[slot]!;
      packet.words = wordView(packet.buffer);
    }
    return packet ?? undefined;
  }

  clear(): void {
    this.#sequence.fill(-1);
  }
}
