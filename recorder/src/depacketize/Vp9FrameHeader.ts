/**
 * The VP9 uncompressed frame header (VP9 bitstream spec §6.2), read far
 * enough to rewrite `show_frame`.
 *
 * Why: libvpx's spatial SVC (what Chromium sends for L3T3_KEY) marks every
 * layer frame of a picture as shown. libvpx's decoder returns only the last
 * frame of a superframe, but ffmpeg's native decoder outputs each shown frame,
 * so a recording would play 320×180, 640×360 and 1280×720 in turn. The
 * recorder therefore hides every frame of a superframe but the last.
 * For an inter frame, show_frame = 0 adds an `intra_only` bit to the header,
 * so the rest of the uncompressed header moves by one bit and its end (which
 * is byte-aligned) must be known: hence the full parse, and the reference
 * frame sizes kept across frames (frame_size_with_refs copies them).
 */

const KEY_FRAME = 0;
const CS_RGB = 7;
const MIN_TILE_WIDTH_B64 = 4;
const MAX_TILE_WIDTH_B64 = 64;

class BitReader {
  readonly #buf: Buffer;
  pos = 0;
  constructor(buf: Buffer) {
    this.#buf = buf;
  }
  bit(): number {
    const byte = this.#buf[this.pos >> 3];
    if (byte === undefined) throw new RangeError('VP9 header runs past the frame');
    const b = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  /** su(n): n bits of magnitude, then a sign bit. */
  signed(n: number): void {
    this.pos += n + 1;
  }
}

export interface Vp9HeaderInfo {
  keyFrame: boolean;
  showFrame: boolean;
  showExistingFrame: boolean;
  intraOnly: boolean;
  width: number;
  height: number;
  /** Bit offset just after error_resilient_mode (where intra_only goes). */
  intraOnlyBit: number;
  /** Bit offset of show_frame. */
  showFrameBit: number;
  /** Bits of the uncompressed header (up to and including header_size_in_bytes). */
  headerBits: number;
  /** Profile (0–3): a show_existing_frame header written for this stream needs it. */
  profile: number;
  /** refresh_frame_flags: the reference slots this frame is stored in. */
  refresh: number;
}

/**
 * Reads the headers of one VP9 stream in decoding order: it keeps the sizes
 * of the 8 reference slots, which later headers may refer to.
 */
export class Vp9FrameHeaderReader {
  readonly #refWidths = new Array<number>(8).fill(0);
  readonly #refHeights = new Array<number>(8).fill(0);

  /** Parses `frame`'s header and updates the reference slots; throws on a malformed or unsupported header. */
  read(frame: Buffer): Vp9HeaderInfo {
    const r = new BitReader(frame);
    if (r.bits(2) !== 2) throw new Error('not a VP9 frame (frame marker)');
    const profile = r.bit() | (r.bit() << 1);
    if (profile === 3) r.bit();
    const info: Vp9HeaderInfo = {
      keyFrame: false,
      showFrame: true,
      showExistingFrame: false,
      intraOnly: false,
      width: 0,
      height: 0,
      intraOnlyBit: -1,
      showFrameBit: -1,
      headerBits: 0,
      profile,
      refresh: 0,
    };
    if (r.bit()) {
      info.showExistingFrame = true;
      r.bits(3);
      info.headerBits = r.pos;
      return info;
    }
    info.keyFrame = r.bit() === KEY_FRAME;
    info.showFrameBit = r.pos;
    info.showFrame = r.bit() === 1;
    const errorResilient = r.bit() === 1;
    info.intraOnlyBit = r.pos;
    let refresh = 0;
    if (info.keyFrame) {
      syncCode(r);
      colorConfig(r, profile);
      [info.width, info.height] = frameSize(r);
      renderSize(r);
      refresh = 0xff;
    } else {
      info.intraOnly = info.showFrame ? false : r.bit() === 1;
      if (!errorResilient) r.bits(2); // reset_frame_context
      if (info.intraOnly) {
        syncCode(r);
        if (profile > 0) colorConfig(r, profile);
        refresh = r.bits(8);
        [info.width, info.height] = frameSize(r);
        renderSize(r);
      } else {
        refresh = r.bits(8);
        const refs: number[] = [];
        for (let i = 0; i < 3; i++) {
          refs.push(r.bits(3));
          r.bit(); // sign bias
        }
        let found = false;
        for (let i = 0; i < 3 && !found; i++) {
          if (r.bit()) {
            found = true;
            info.width = this.#refWidths[refs[i]!]!;
            info.height = this.#refHeights[refs[i]!]!;
          }
        }
        if (!found) [info.width, info.height] = frameSize(r);
        if (info.width === 0) throw new Error('VP9 frame refers to an unknown reference size');
        renderSize(r);
        r.bit(); // allow_high_precision_mv
        if (!r.bit()) r.bits(2); // interpolation filter
      }
    }
    if (!errorResilient) r.bits(2); // refresh_frame_context, frame_parallel_decoding_mode
    r.bits(2); // frame_context_idx
    loopFilterParams(r);
    quantizationParams(r);
    segmentationParams(r);
    tileInfo(r, info.width);
    r.bits(16); // header_size_in_bytes
    info.headerBits = r.pos;
    info.refresh = refresh;
    for (let i = 0; i < 8; i++) {
      if (refresh & (1 << i)) {
        this.#refWidths[i] = info.width;
        this.#refHeights[i] = info.height;
      }
    }
    return info;
  }
}

function syncCode(r: BitReader): void {
  if (r.bits(24) !== 0x498342) throw new Error('VP9 sync code missing');
}

function colorConfig(r: BitReader, profile: number): void {
  if (profile >= 2) r.bit(); // ten_or_twelve_bit
  const colorSpace = r.bits(3);
  if (colorSpace !== CS_RGB) {
    r.bit(); // color_range
    if (profile === 1 || profile === 3) r.bits(3); // subsampling_x, subsampling_y, reserved
  } else if (profile === 1 || profile === 3) {
    r.bit();
  }
}

function frameSize(r: BitReader): [number, number] {
  return [r.bits(16) + 1, r.bits(16) + 1];
}

function renderSize(r: BitReader): void {
  if (r.bit()) r.bits(32);
}

function loopFilterParams(r: BitReader): void {
  r.bits(6 + 3); // level, sharpness
  if (r.bit() && r.bit()) {
    // mode_ref_delta_enabled, mode_ref_delta_update
    for (let i = 0; i < 4; i++) if (r.bit()) r.signed(6);
    for (let i = 0; i < 2; i++) if (r.bit()) r.signed(6);
  }
}

function quantizationParams(r: BitReader): void {
  r.bits(8); // base_q_idx
  for (let i = 0; i < 3; i++) if (r.bit()) r.signed(4);
}

function segmentationParams(r: BitReader): void {
  if (!r.bit()) return;
  if (r.bit()) {
    // update_map: tree probabilities, then (temporal_update) prediction probabilities
    for (let i = 0; i < 7; i++) if (r.bit()) r.bits(8);
    if (r.bit()) for (let i = 0; i < 3; i++) if (r.bit()) r.bits(8);
  }
  if (r.bit()) {
    r.bit(); // abs_or_delta_update
    const bits = [8, 6, 2, 0];
    const signed = [true, true, false, false];
    for (let s = 0; s < 8; s++) {
      for (let f = 0; f < 4; f++) {
        if (r.bit()) {
          r.bits(bits[f]!);
          if (signed[f]) r.bit();
        }
      }
    }
  }
}

function tileInfo(r: BitReader, width: number): void {
  const miCols = (width + 7) >> 3;
  const sb64Cols = (miCols + 7) >> 3;
  let minLog2 = 0;
  while (MAX_TILE_WIDTH_B64 << minLog2 < sb64Cols) minLog2++;
  let maxLog2 = 1;
  while (sb64Cols >> maxLog2 >= MIN_TILE_WIDTH_B64) maxLog2++;
  maxLog2--;
  let log2 = minLog2;
  while (log2 < maxLog2 && r.bit()) log2++;
  if (r.bit()) r.bit(); // tile_rows_log2, increment
}

/**
 * `frame` with show_frame = 0, given its parsed header. A key frame only
 * flips the bit; an inter frame also gains intra_only = 0 after
 * error_resilient_mode, which moves the rest of the uncompressed header by
 * one bit (one more byte when it was byte-aligned). The compressed header and
 * tile data follow unchanged at the next byte boundary.
 */
export function hideVp9Frame(frame: Buffer, info: Vp9HeaderInfo): Buffer {
  if (!info.showFrame || info.showExistingFrame) return frame;
  if (info.keyFrame) {
    const out = Buffer.from(frame);
    out[info.showFrameBit >> 3]! &= ~(0x80 >> (info.showFrameBit & 7));
    return out;
  }
  const oldHeaderBytes = (info.headerBits + 7) >> 3;
  const newHeaderBytes = (info.headerBits + 1 + 7) >> 3;
  const out = Buffer.alloc(frame.length - oldHeaderBytes + newHeaderBytes);
  const bitAt = (pos: number) => (frame[pos >> 3]! >> (7 - (pos & 7))) & 1;
  let w = 0;
  const put = (b: number) => {
    if (b) out[w >> 3]! |= 0x80 >> (w & 7);
    w++;
  };
  for (let p = 0; p < info.headerBits; p++) {
    if (p === info.intraOnlyBit) put(0); // intra_only = 0
    put(p === info.showFrameBit ? 0 : bitAt(p));
  }
  frame.copy(out, newHeaderBytes, oldHeaderBytes);
  return out;
}

/**
 * A one-byte frame that shows reference slot `slot` again (show_existing_frame):
 * a picture that lacks the top spatial layer repeats the last top-layer frame
 * instead of showing a smaller one. Profiles 0–2 (profile 3 needs two bytes).
 */
export function vp9ShowExistingFrame(profile: number, slot: number): Buffer {
  if (profile > 2) throw new Error('profile 3 not supported');
  return Buffer.from([0x80 | ((profile & 1) << 5) | ((profile >> 1) << 4) | 0x08 | (slot & 7)]);
}
