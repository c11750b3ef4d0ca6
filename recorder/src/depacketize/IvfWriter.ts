/**
 * The IVF container (libvpx's; ffmpeg's `ivf` demuxer reads it from a pipe):
 * a 32-byte file header, then per frame a 12-byte header (size, 64-bit
 * timestamp) and the frame. The recorder feeds reassembled VP9 and AV1 frames
 * to ffmpeg this way; ffmpeg copies them into WebM without decoding.
 */
export type IvfCodec = 'VP80' | 'VP90' | 'AV01';

/** Timestamps are in RTP video clock units (90 kHz): no rounding between RTP and the file. */
export const IVF_TIMEBASE = 90_000;

export function ivfFileHeader(codec: IvfCodec, width: number, height: number): Buffer {
  const h = Buffer.alloc(32);
  h.write('DKIF', 0, 'ascii');
  h.writeUInt16LE(0, 4); // version
  h.writeUInt16LE(32, 6); // header size
  h.write(codec, 8, 'ascii');
  h.writeUInt16LE(width & 0xffff, 12);
  h.writeUInt16LE(height & 0xffff, 14);
  h.writeUInt32LE(IVF_TIMEBASE, 16); // time base denominator ("rate")
  h.writeUInt32LE(1, 20); // numerator ("scale")
  h.writeUInt32LE(0, 24); // frame count: unknown while streaming
  return h;
}

export function ivfFrameHeader(size: number, timestamp: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(size, 0);
  h.writeBigUInt64LE(BigInt(Math.max(0, Math.round(timestamp))), 4);
  return h;
}

/** Reads an IVF file back (tests): its codec, size and frames. */
export function parseIvf(buf: Buffer): { codec: string; width: number; height: number; frames: { timestamp: number; data: Buffer }[] } {
  if (buf.toString('ascii', 0, 4) !== 'DKIF') throw new Error('not IVF');
  const headerSize = buf.readUInt16LE(6);
  const frames: { timestamp: number; data: Buffer }[] = [];
  for (let o = headerSize; o + 12 <= buf.length; ) {
    const size = buf.readUInt32LE(o);
    const timestamp = Number(buf.readBigUInt64LE(o + 4));
    frames.push({ timestamp, data: buf.subarray(o + 12, o + 12 + size) });
    o += 12 + size;
  }
  return { codec: buf.toString('ascii', 8, 12), width: buf.readUInt16LE(12), height: buf.readUInt16LE(14), frames };
}

/**
 * Writes IVF to a byte sink (ffmpeg's stdin). The file header waits for the
 * first frame, whose size it carries.
 */
export class IvfWriter {
  readonly #codec: IvfCodec;
  readonly #write: (chunk: Buffer) => void;
  #headerWritten = false;
  frames = 0;

  constructor(codec: IvfCodec, write: (chunk: Buffer) => void) {
    this.#codec = codec;
    this.#write = write;
  }

  writeFrame(data: Buffer, timestamp: number, size?: { width: number; height: number }): void {
    if (!this.#headerWritten) {
      this.#write(ivfFileHeader(this.#codec, size?.width ?? 0, size?.height ?? 0));
      this.#headerWritten = true;
    }
    this.#write(Buffer.concat([ivfFrameHeader(data.length, timestamp), data]));
    this.frames++;
  }
}
