/**
 * Generic byte and 32-bit word helpers of the packet path: big-endian reads,
 * Int32Array views of Buffers, word-wise copy and XOR, words in memory order,
 * cached prefix views. SRTP (srtp.ts), the packet ring, RTX, UDP and the
 * shared port use them; nothing here knows RTP or SRTP.
 */

/** Big-endian 32-bit read from plain indexing (cheaper than Buffer methods on dgram's buffers). */
export function u32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

/**
 * An Int32Array over `buf`'s memory (word 0 = buf[0…3]) when `buf` starts on
 * a 4-byte boundary, else null. Buffers from dgram and Node's pool are aligned.
 */
export function wordView(buf: Buffer): Int32Array | null {
  if ((buf.byteOffset & 3) !== 0) return null;
  return new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
}

/**
 * dst[dstAt…] = src[srcAt…] XOR ks[ksAt…] over `length` bytes, in 32-bit words
 * where all three are word-aligned (null word views fall back to bytes).
 * `src` may be `dst` (in place).
 */
export function xorBytes(
  dst: Buffer,
  dstWords: Int32Array | null,
  dstAt: number,
  src: Buffer,
  srcWords: Int32Array | null,
  srcAt: number,
  ks: Buffer,
  ksWords: Int32Array | null,
  ksAt: number,
  length: number,
): void {
  let i = 0;
  if (dstWords !== null && srcWords !== null && ksWords !== null && ((dstAt | srcAt | ksAt) & 3) === 0) {
    const words = length >> 2;
    const d = dstAt >> 2;
    const s = srcAt >> 2;
    const k = ksAt >> 2;
    for (let w = 0; w < words; w++) dstWords[d + w] = srcWords[s + w]! ^ ksWords[k + w]!;
    i = words << 2;
  }
  for (; i < length; i++) dst[dstAt + i] = src[srcAt + i]! ^ ks[ksAt + i]!;
}

/**
 * dst[dstAt…] = src[srcAt…] over `length` bytes: a word loop for short spans,
 * native memcpy (TypedArray#set) for long ones, where it is cheaper.
 */
export function copyBytes(dst: Buffer, dstWords: Int32Array | null, dstAt: number, src: Buffer, srcWords: Int32Array | null, srcAt: number, length: number): void {
  if (length > 128) {
    dst.set(srcAt === 0 && length === src.length ? src : src.subarray(srcAt, srcAt + length), dstAt);
    return;
  }
  if (dstWords !== null && srcWords !== null && ((dstAt | srcAt) & 3) === 0) {
    const words = length >> 2;
    const d = dstAt >> 2;
    const s = srcAt >> 2;
    for (let w = 0; w < words; w++) dstWords[d + w] = srcWords[s + w]!;
    for (let i = words << 2; i < length; i++) dst[dstAt + i] = src[srcAt + i]!;
    return;
  }
  src.copy(dst, dstAt, srcAt, srcAt + length);
}

/** Compat wrapper: XORs `length` bytes of keystream[ksOffset…] into data[offset…]. */
export function xorInPlace(data: Buffer, offset: number, keystream: Buffer, length: number, ksOffset = 0): void {
  const words = wordView(data);
  xorBytes(data, words, offset, data, words, offset, keystream, wordView(keystream), ksOffset, length);
}

/** Views of one buffer's prefixes by length, so hashing them allocates no view. */
export class PrefixViews {
  #buffer?: Buffer;
  #views: Buffer[] = [];

  get(buffer: Buffer, start: number, end: number): Buffer {
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#views = [];
    }
    const key = end * 4 + start; // start is 0 or 64 here; keep it in the key anyway
    return (this.#views[key] ??= buffer.subarray(start, end));
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function bswap(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** A big-endian 32-bit word as an Int32Array element holding the same bytes. */
export function memoryOrder(x: number): number {
  return LITTLE_ENDIAN ? bswap(x) : x | 0;
}
