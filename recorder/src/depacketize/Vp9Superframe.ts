/**
 * VP9 superframes (VP9 bitstream spec, Annex B): several frames in one
 * chunk, followed by an index that gives their sizes. One picture of a
 * spatially scalable stream is one superframe: its layer frames, lowest
 * first. Decoders (libvpx, ffmpeg's vp9_superframe_split) find the index by
 * its marker byte at the end of the chunk, and the same byte at its start.
 *
 *   frame 0 | frame 1 | … | marker | size 0 | size 1 | … | marker
 *   marker = 0b110 MM FFF: MM + 1 bytes per size (little-endian), FFF + 1 frames
 */

const MAX_FRAMES = 8;

/** Joins frames into a superframe; one frame is returned as it is (no index needed). */
export function buildVp9Superframe(frames: Buffer[]): Buffer {
  if (frames.length === 0) throw new Error('no frames');
  if (frames.length > MAX_FRAMES) throw new Error(`a superframe holds at most ${MAX_FRAMES} frames`);
  if (frames.length === 1 && !parseVp9SuperframeIndex(frames[0]!)) return frames[0]!;
  const largest = Math.max(...frames.map((f) => f.length));
  const mag = largest < 1 << 8 ? 1 : largest < 1 << 16 ? 2 : largest < 1 << 24 ? 3 : 4;
  const marker = 0xc0 | ((mag - 1) << 3) | (frames.length - 1);
  const index = Buffer.alloc(2 + mag * frames.length);
  index[0] = marker;
  frames.forEach((f, i) => index.writeUIntLE(f.length, 1 + i * mag, mag));
  index[index.length - 1] = marker;
  return Buffer.concat([...frames, index]);
}

/**
 * The frames of a superframe, or null if `chunk` has no valid index (a
 * single frame). Sizes that do not add up to the chunk make it invalid.
 */
export function parseVp9SuperframeIndex(chunk: Buffer): Buffer[] | null {
  const last = chunk[chunk.length - 1];
  if (last === undefined || (last & 0xe0) !== 0xc0) return null;
  const mag = ((last >> 3) & 0x03) + 1;
  const count = (last & 0x07) + 1;
  const indexSize = 2 + mag * count;
  if (chunk.length < indexSize || chunk[chunk.length - indexSize] !== last) return null;
  const frames: Buffer[] = [];
  let offset = 0;
  const dataEnd = chunk.length - indexSize;
  for (let i = 0; i < count; i++) {
    const size = chunk.readUIntLE(chunk.length - indexSize + 1 + i * mag, mag);
    if (offset + size > dataEnd) return null;
    frames.push(chunk.subarray(offset, offset + size));
    offset += size;
  }
  return offset === dataEnd ? frames : null;
}
