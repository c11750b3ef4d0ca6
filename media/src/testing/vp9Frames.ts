/**
 * The start of a VP9 frame's uncompressed header (VP9 bitstream spec §6.2),
 * as far as the frame size: written into generated test frames, and read
 * back on the receiving side the way a decoder learns the resolution it
 * decodes. Reading tracks the eight reference slots, so frames that take
 * their size from a reference (found_ref) resolve too.
 */

class Bits {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  read(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const p = this.pos++;
      if (p >> 3 >= this.buf.length) throw RangeError('VP9 header truncated');
      v = v * 2 + ((this.buf[p >> 3]! >> (7 - (p & 7))) & 1);
    }
    return v;
  }
}

class BitSink {
  readonly bytes: number[] = [];
  #n = 0;
  write(n: number, v: number): void {
    for (let i = n - 1; i >= 0; i--) {
      if ((this.#n & 7) === 0) this.bytes.push(0);
      this.bytes[this.bytes.length - 1]! |= ((v >> i) & 1) << (7 - (this.#n & 7));
      this.#n++;
    }
  }
}

/** A profile-0 VP9 frame header with an explicit size: a keyframe, or an inter frame that refreshes `refresh`. */
export function writeVp9FrameHeader(f: { keyFrame: boolean; width: number; height: number; refresh?: number }): Buffer {
  const w = new BitSink();
  w.write(2, 2); // frame_marker
  w.write(2, 0); // profile 0
  w.write(1, 0); // show_existing_frame
  w.write(1, f.keyFrame ? 0 : 1); // frame_type
  w.write(1, 1); // show_frame
  w.write(1, 0); // error_resilient_mode
  if (f.keyFrame) {
    w.write(8, 0x49);
    w.write(8, 0x83);
    w.write(8, 0x42);
    w.write(3, 1); // color_space BT.601
    w.write(1, 0); // color_range
  } else {
    w.write(2, 0); // reset_frame_context
    w.write(8, f.refresh ?? 1);
    for (let i = 0; i < 3; i++) w.write(4, 0); // ref_frame_idx, sign bias
    for (let i = 0; i < 3; i++) w.write(1, 0); // found_ref: none, size follows
  }
  w.write(16, f.width - 1);
  w.write(16, f.height - 1);
  w.write(1, 0); // render_and_frame_size_different
  return Buffer.from(w.bytes);
}

/** Follows a VP9 stream's frame sizes like a decoder (reference slots included). */
export class Vp9SizeTracker {
  readonly #slots: [number, number][] = Array.from({ length: 8 }, () => [0, 0]);

  /** The size of the frame whose data starts at `frame`, or null if it cannot be read. */
  frameSize(frame: Uint8Array): { width: number; height: number } | null {
    try {
      const r = new Bits(frame);
      if (r.read(2) !== 2) return null;
      const profile = r.read(1) | (r.read(1) << 1);
      if (profile === 3) r.read(1);
      if (r.read(1)) return null; // show_existing_frame: no new frame decoded
      const keyFrame = r.read(1) === 0;
      const showFrame = r.read(1) === 1;
      const errorResilient = r.read(1) === 1;
      let size: [number, number];
      if (keyFrame) {
        if (r.read(8) !== 0x49 || r.read(8) !== 0x83 || r.read(8) !== 0x42) return null;
        this.#colorConfig(r, profile);
        size = [r.read(16) + 1, r.read(16) + 1];
        this.#slots.forEach((s) => ((s[0] = size[0]), (s[1] = size[1])));
        return { width: size[0], height: size[1] };
      }
      const intraOnly = showFrame ? false : r.read(1) === 1;
      if (!errorResilient) r.read(2);
      let refresh: number;
      if (intraOnly) {
        if (r.read(8) !== 0x49 || r.read(8) !== 0x83 || r.read(8) !== 0x42) return null;
        if (profile > 0) this.#colorConfig(r, profile);
        refresh = r.read(8);
        size = [r.read(16) + 1, r.read(16) + 1];
      } else {
        refresh = r.read(8);
        const refs: number[] = [];
        for (let i = 0; i < 3; i++) {
          refs.push(r.read(3));
          r.read(1);
        }
        let found = -1;
        for (let i = 0; i < 3; i++) {
          if (r.read(1)) {
            found = refs[i]!;
            break;
          }
        }
        size = found >= 0 ? [this.#slots[found]![0], this.#slots[found]![1]] : [r.read(16) + 1, r.read(16) + 1];
      }
      for (let i = 0; i < 8; i++) if (refresh & (1 << i)) this.#slots[i] = [size[0], size[1]];
      return { width: size[0], height: size[1] };
    } catch {
      return null;
    }
  }

  #colorConfig(r: Bits, profile: number): void {
    if (profile >= 2) r.read(1);
    const colorSpace = r.read(3);
    if (colorSpace !== 7) {
      r.read(1);
      if (profile === 1 || profile === 3) r.read(3);
    } else if (profile === 1 || profile === 3) {
      r.read(1);
    }
  }
}
