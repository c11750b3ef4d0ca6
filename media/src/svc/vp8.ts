/**
 * The VP8 RTP payload descriptor (RFC 7741 §4.2), read in place, and the
 * rewriting a simulcast consumer needs: when it moves from one encoding to
 * another, picture ids, TL0PICIDX and KEYIDX must carry on from the last
 * ones the subscriber saw, as if one stream had continued.
 *
 *       0 1 2 3 4 5 6 7
 *      +-+-+-+-+-+-+-+-+
 *      |X|R|N|S|R| PID |
 *   X: |I|L|T|K| RSV   |
 *   I: |M| PictureID   | (+ 8 bits if M)
 *   L: |   TL0PICIDX   |
 * T/K: |TID|Y| KEYIDX  |
 */

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
 * across encoding switches. `rebase` at the first packet of the new
 * encoding; `apply` rewrites a copy of the payload about to go out.
 */
export class Vp8PictureRewriter {
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

  /**
   * Rewrites, in buf (an outgoing copy: the producer's packet is shared), the
   * descriptor `d` parsed from a packet whose payload started at
   * `inPayloadAt`; the copy's payload starts at `outPayloadAt`. A
   * retransmission is rewritten alike but does not advance the state.
   */
  apply(buf: Uint8Array, outPayloadAt: number, inPayloadAt: number, d: Vp8Descriptor, retransmission = false): void {
    if (this.#rebasePending && !retransmission) {
      this.#rebasePending = false;
      if (this.#lastPictureId >= 0 && d.pictureId >= 0) this.#pictureIdOffset = (this.#lastPictureId + 1 - d.pictureId) & 0x7fff;
      if (this.#lastTl0 >= 0 && d.tl0PicIdx >= 0) this.#tl0Offset = (this.#lastTl0 + 1 - d.tl0PicIdx) & 0xff;
      if (this.#lastKeyIdx >= 0 && d.keyIdx >= 0) this.#keyIdxOffset = (this.#lastKeyIdx + 1 - d.keyIdx) & 0x1f;
    }
    const base = outPayloadAt - inPayloadAt;
    if (d.pictureIdOffset) {
      const o = base + d.pictureIdOffset;
      const id = (d.pictureId + this.#pictureIdOffset) & (d.longPictureId ? 0x7fff : 0x7f);
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
