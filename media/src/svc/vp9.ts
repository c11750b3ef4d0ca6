/**
 * The VP9 RTP payload descriptor (RFC 9628 §4.2), read in place. The SFU
 * needs the layer ids, frame boundaries and switching points to forward a
 * subset of an SVC stream, and the scalability structure (SS) for the
 * resolution of each spatial layer. Parsing fills one reusable object: no
 * allocation per packet.
 *
 *        0 1 2 3 4 5 6 7
 *       +-+-+-+-+-+-+-+-+
 *       |I|P|L|F|B|E|V|Z| (required)
 *  I:   |M| PICTURE ID  | (+ 8 more bits if M)
 *  L:   |  TID  |U| SID |D|
 *       |   TL0PICIDX   | (non-flexible mode only)
 *  F,P: | P_DIFF      |N| (up to 3 times)
 *  V:   | SS ...        |
 */

export const MAX_SPATIAL_LAYERS = 3;
export const MAX_TEMPORAL_LAYERS = 3;

export class Vp9Descriptor {
  /** Where the VP9 payload proper starts (after the descriptor). */
  payloadOffset = 0;
  /** -1 when absent (I = 0). */
  pictureId = -1;
  /** 15-bit picture id (M = 1) rather than 7-bit. */
  longPictureId = false;
  /** Offset of the picture id in the packet (for rewriting), 0 when absent. */
  pictureIdOffset = 0;
  /** P: inter-picture predicted (references an earlier picture). */
  interPicturePredicted = false;
  /** F: flexible mode (reference list in the packet) rather than a group of frames. */
  flexible = false;
  /** B: first packet of a layer frame. */
  beginOfFrame = false;
  /** E: last packet of a layer frame. */
  endOfFrame = false;
  /** Z: not used as reference by the upper spatial layers. */
  notUpperReference = false;
  /** L present: temporal/spatial ids known; else both 0. */
  hasLayerIndices = false;
  temporalId = 0;
  spatialId = 0;
  /** U: switching up point (a higher temporal layer may be added from this frame on). */
  switchingUp = false;
  /** D: inter-layer dependency on the spatial layer below. */
  interLayerDependency = false;
  /** -1 when absent. */
  tl0PicIdx = -1;
  /** SS present in this packet (V = 1). */
  hasScalabilityStructure = false;
  /** From SS: number of spatial layers and their resolutions (when Y = 1). */
  spatialLayers = 0;
  readonly widths = new Uint16Array(MAX_SPATIAL_LAYERS + 5);
  readonly heights = new Uint16Array(MAX_SPATIAL_LAYERS + 5);
  hasResolutions = false;

  /** A keyframe starts here: base layer, first packet, no inter-picture prediction. */
  get keyFrame(): boolean {
    return this.beginOfFrame && !this.interPicturePredicted && this.spatialId === 0;
  }
}

/**
 * Parses the descriptor at buf[offset, end); false if it is malformed (the
 * packet should then be forwarded untouched or dropped by the caller).
 */
export function parseVp9Descriptor(buf: Buffer | Uint8Array, offset: number, end: number, d: Vp9Descriptor): boolean {
  if (offset >= end) return false;
  let o = offset;
  const b0 = buf[o++]!;
  const i = (b0 & 0x80) !== 0;
  d.interPicturePredicted = (b0 & 0x40) !== 0;
  const l = (b0 & 0x20) !== 0;
  d.flexible = (b0 & 0x10) !== 0;
  d.beginOfFrame = (b0 & 0x08) !== 0;
  d.endOfFrame = (b0 & 0x04) !== 0;
  const v = (b0 & 0x02) !== 0;
  d.notUpperReference = (b0 & 0x01) !== 0;
  d.pictureId = -1;
  d.pictureIdOffset = 0;
  d.longPictureId = false;
  if (i) {
    if (o >= end) return false;
    d.pictureIdOffset = o;
    const p0 = buf[o++]!;
    if (p0 & 0x80) {
      if (o >= end) return false;
      d.longPictureId = true;
      d.pictureId = ((p0 & 0x7f) << 8) | buf[o++]!;
    } else {
      d.pictureId = p0;
    }
  }
  d.hasLayerIndices = l;
  d.temporalId = 0;
  d.spatialId = 0;
  d.switchingUp = false;
  d.interLayerDependency = false;
  d.tl0PicIdx = -1;
  if (l) {
    if (o >= end) return false;
    const b = buf[o++]!;
    d.temporalId = b >> 5;
    d.switchingUp = (b & 0x10) !== 0;
    d.spatialId = (b >> 1) & 0x07;
    d.interLayerDependency = (b & 0x01) !== 0;
    if (!d.flexible) {
      if (o >= end) return false;
      d.tl0PicIdx = buf[o++]!;
    }
  }
  if (d.flexible && d.interPicturePredicted) {
    // Up to three reference indices, each with N = "another follows".
    for (let n = 0; n < 3; n++) {
      if (o >= end) return false;
      if ((buf[o++]! & 0x01) === 0) break;
    }
  }
  d.hasScalabilityStructure = v;
  if (v) {
    if (o >= end) return false;
    const s = buf[o++]!;
    const layers = (s >> 5) + 1;
    const y = (s & 0x10) !== 0;
    const g = (s & 0x08) !== 0;
    d.spatialLayers = layers;
    d.hasResolutions = y;
    if (y) {
      if (o + 4 * layers > end) return false;
      for (let k = 0; k < layers; k++) {
        d.widths[k] = (buf[o]! << 8) | buf[o + 1]!;
        d.heights[k] = (buf[o + 2]! << 8) | buf[o + 3]!;
        o += 4;
      }
    }
    if (g) {
      if (o >= end) return false;
      const pictures = buf[o++]!;
      for (let k = 0; k < pictures; k++) {
        if (o >= end) return false;
        const refs = (buf[o++]! >> 2) & 0x03;
        o += refs;
      }
      if (o > end) return false;
    }
  }
  d.payloadOffset = o;
  return true;
}

/** Writes a VP9 payload descriptor (tests, benchmarks): returns the bytes written. */
export function writeVp9Descriptor(
  buf: Buffer,
  offset: number,
  f: {
    pictureId?: number;
    interPicturePredicted?: boolean;
    flexible?: boolean;
    begin?: boolean;
    end?: boolean;
    notUpperReference?: boolean;
    temporalId?: number;
    spatialId?: number;
    switchingUp?: boolean;
    interLayerDependency?: boolean;
    tl0PicIdx?: number;
    /** Reference diffs (flexible mode, P = 1). */
    pDiffs?: number[];
    resolutions?: [number, number][];
  },
): number {
  let o = offset;
  const hasLayers = f.temporalId !== undefined || f.spatialId !== undefined;
  buf[o++] =
    (f.pictureId !== undefined ? 0x80 : 0) |
    (f.interPicturePredicted ? 0x40 : 0) |
    (hasLayers ? 0x20 : 0) |
    (f.flexible ? 0x10 : 0) |
    (f.begin ? 0x08 : 0) |
    (f.end ? 0x04 : 0) |
    (f.resolutions ? 0x02 : 0) |
    (f.notUpperReference ? 0x01 : 0);
  if (f.pictureId !== undefined) {
    buf[o++] = 0x80 | ((f.pictureId >> 8) & 0x7f);
    buf[o++] = f.pictureId & 0xff;
  }
  if (hasLayers) {
    buf[o++] = ((f.temporalId ?? 0) << 5) | (f.switchingUp ? 0x10 : 0) | ((f.spatialId ?? 0) << 1) | (f.interLayerDependency ? 1 : 0);
    if (!f.flexible) buf[o++] = f.tl0PicIdx ?? 0;
  }
  if (f.flexible && f.interPicturePredicted) {
    const diffs = f.pDiffs?.length ? f.pDiffs : [1];
    diffs.forEach((diff, k) => {
      buf[o++] = (diff << 1) | (k < diffs.length - 1 ? 1 : 0);
    });
  }
  if (f.resolutions) {
    buf[o++] = ((f.resolutions.length - 1) << 5) | 0x10;
    for (const [w, h] of f.resolutions) {
      buf.writeUInt16BE(w, o);
      buf.writeUInt16BE(h, o + 2);
      o += 4;
    }
  }
  return o - offset;
}
