/**
 * The VP8 RTP payload descriptor (RFC 7741 §4.2), read in place, and the
 * rewriting a simulcast consumer needs: when it moves from one encoding to
 * another, picture ids, TL0PICIDX and KEYIDX must carry on from the last
 * ones the subscriber saw, as if one stream had continued; and when it drops
 * an encoding's upper temporal layers, the dropped frames' picture ids are
 * closed up (a receiver waits for a missing picture id that might be one of
 * the frames it needs). TL0PICIDX counts base-layer frames, never dropped.
 *
 *       0 1 2 3 4 5 6 7
 *      +-+-+-+-+-+-+-+-+
 *      |X|R|N|S|R| PID |
 *   X: |I|L|T|K| RSV   |
 *   I: |M| PictureID   | (+ 8 bits if M)
 *   L: |   TL0PICIDX   |
 * T/K: |TID|Y| KEYIDX  |
 */

import { SequenceGaps } from './SequenceGaps.ts';

export class Vp8Descriptor {
  /** Where the VP8 payload starts. */
  payloadOffset = 0;
  /** S and partition index 0: the first packet of a frame. */
  startOfFrame = false;
  keyFrame = false;
  /** -1 when absent. */
  pictureId = -1;
  /** Offset of the picture id (0: none) and whether it is 15 bits. */
  pictureIdOffset = 0;
  longPictureId = false;
  /** -1 when absent; offsets 0 when absent. */
  tl0PicIdx = -1;
  tl0PicIdxOffset = 0;
  temporalId = 0;
  /** Y: this frame references only base-layer (TL0) frames, a place to start forwarding its layer. */
  layerSync = false;
  /**
   * Bit t: a receiver that gets temporal layers up to t - 1 may get layer t
   * too from this frame on. From Y (bit TID), or from the dependency
   * descriptor when the stream carries one (see ProducerLayers).
   */
  switchUp = 0;
  /** The descriptor has a TID (T bit). */
  hasTemporalId = false;
  keyIdx = -1;
  tidKeyIdxOffset = 0;
  /** Keyframes carry their size. */
  width = 0;
  height = 0;
}

export function parseVp8Descriptor(buf: Uint8Array, offset: number, end: number, d: Vp8Descriptor): boolean {
  if (offset >= end) return false;
  let o = offset;
  const b0 = buf[o++]!;
  d.startOfFrame = (b0 & 0x10) !== 0 && (b0 & 0x07) === 0;
  d.pictureId = -1;
  d.pictureIdOffset = 0;
  d.longPictureId = false;
  d.tl0PicIdx = -1;
  d.tl0PicIdxOffset = 0;
  d.temporalId = 0;
  d.layerSync = false;
  d.switchUp = 0;
  d.hasTemporalId = false;
  d.keyIdx = -1;
  d.tidKeyIdxOffset = 0;
  if (b0 & 0x80) {
    if (o >= end) return false;
    const x = buf[o++]!;
    if (x & 0x80) {
      if (o >= end) return false;
      d.pictureIdOffset = o;
      const p = buf[o++]!;
      if (p & 0x80) {
        if (o >= end) return false;
        d.longPictureId = true;
        d.pictureId = ((p & 0x7f) << 8) | buf[o++]!;
      } else {
        d.pictureId = p;
      }
    }
    if (x & 0x40) {
      if (o >= end) return false;
      d.tl0PicIdxOffset = o;
      d.tl0PicIdx = buf[o++]!;
    }
    if (x & 0x30) {
      if (o >= end) return false;
      d.tidKeyIdxOffset = o;
      const t = buf[o++]!;
      d.temporalId = x & 0x20 ? t >> 6 : 0;
      d.hasTemporalId = (x & 0x20) !== 0;
      d.layerSync = d.hasTemporalId && (t & 0x20) !== 0;
      d.switchUp = d.layerSync ? 1 << d.temporalId : 0;
      d.keyIdx = x & 0x10 ? t & 0x1f : -1;
    }
  }
  d.payloadOffset = o;
  d.keyFrame = false;
  if (d.startOfFrame && o < end) {
    d.keyFrame = (buf[o]! & 0x01) === 0;
    if (d.keyFrame && o + 10 <= end && buf[o + 3] === 0x9d && buf[o + 4] === 0x01 && buf[o + 5] === 0x2a) {
      d.width = (buf[o + 6]! | (buf[o + 7]! << 8)) & 0x3fff;
      d.height = (buf[o + 8]! | (buf[o + 9]! << 8)) & 0x3fff;
    }
  }
  return true;
}

/**
 * Keeps picture ids, TL0PICIDX and KEYIDX continuous for one subscriber
 * across encoding switches and temporal-layer drops. `rebase` at the first
 * packet of the new encoding; `drop` for each packet of a frame not
 * forwarded; `apply` rewrites a copy of the payload about to go out.
 */
export class Vp8PictureRewriter {
  /** Picture ids of dropped frames since the last rebase (15-bit ids, and 7-bit for encoders that use those). */
  readonly #droppedLong = new SequenceGaps(15);
  readonly #droppedShort = new SequenceGaps(7);
  #pictureIdOffset = 0;
  #tl0Offset = 0;
  #keyIdxOffset = 0;
  #lastPictureId = -1;
  #lastTl0 = -1;
  #lastKeyIdx = -1;
  #rebasePending = false;

  /** The next packet starts another encoding: continue from the last values sent. */
  rebase(): void {
    this.#rebasePending = true;
  }

  /** A packet of a frame that is not forwarded (an upper temporal layer): its picture id must not leave a hole. */
  drop(d: Vp8Descriptor): void {
    if (d.pictureId >= 0) (d.longPictureId ? this.#droppedLong : this.#droppedShort).drop(d.pictureId);
  }

  /**
   * Rewrites, in buf (an outgoing copy: the producer's packet is shared), the
   * descriptor `d` parsed from a packet whose payload started at
   * `inPayloadAt`; the copy's payload starts at `outPayloadAt`. A
   * retransmission is rewritten alike but does not advance the state.
   */
  apply(buf: Uint8Array, outPayloadAt: number, inPayloadAt: number, d: Vp8Descriptor, retransmission = false): void {
    if (this.#rebasePending && !retransmission) {
      this.#rebasePending = false;
      // The drops counted so far were of the old encoding's picture ids.
      this.#droppedLong.reset();
      this.#droppedShort.reset();
      if (this.#lastPictureId >= 0 && d.pictureId >= 0) this.#pictureIdOffset = (this.#lastPictureId + 1 - d.pictureId) & 0x7fff;
      if (this.#lastTl0 >= 0 && d.tl0PicIdx >= 0) this.#tl0Offset = (this.#lastTl0 + 1 - d.tl0PicIdx) & 0xff;
      if (this.#lastKeyIdx >= 0 && d.keyIdx >= 0) this.#keyIdxOffset = (this.#lastKeyIdx + 1 - d.keyIdx) & 0x1f;
    }
    const base = outPayloadAt - inPayloadAt;
    if (d.pictureIdOffset) {
      const o = base + d.pictureIdOffset;
      const dropped = (d.longPictureId ? this.#droppedLong : this.#droppedShort).shift(d.pictureId);
      const id = (d.pictureId - dropped + this.#pictureIdOffset) & (d.longPictureId ? 0x7fff : 0x7f);
      if (d.longPictureId) {
        buf[o] = 0x80 | (id >> 8);
        buf[o + 1] = id & 0xff;
      } else {
        buf[o] = id;
      }
      if (!retransmission) this.#lastPictureId = id;
    }
    if (d.tl0PicIdxOffset) {
      const v = (d.tl0PicIdx + this.#tl0Offset) & 0xff;
      buf[base + d.tl0PicIdxOffset] = v;
      if (!retransmission) this.#lastTl0 = v;
    }
    if (d.tidKeyIdxOffset && d.keyIdx >= 0) {
      const v = (d.keyIdx + this.#keyIdxOffset) & 0x1f;
      const o = base + d.tidKeyIdxOffset;
      buf[o] = (buf[o]! & 0xe0) | v;
      if (!retransmission) this.#lastKeyIdx = v;
    }
  }
}

/**
 * What a simulcast consumer hangs on its output (ConsumerOutput.payloadPatch):
 * the outgoing copy of each payload gets continuous picture ids.
 */
export class Vp8SimulcastPatch {
  readonly #descriptor = new Vp8Descriptor();
  readonly pictures = new Vp8PictureRewriter();

  apply(out: Buffer, outPayloadAt: number, src: Buffer, srcPayloadAt: number, srcEnd: number, retransmission: boolean): void {
    if (parseVp8Descriptor(src, srcPayloadAt, srcEnd, this.#descriptor)) this.pictures.apply(out, outPayloadAt, srcPayloadAt, this.#descriptor, retransmission);
  }
}
