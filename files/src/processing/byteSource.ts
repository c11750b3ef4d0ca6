import { Readable } from 'node:stream';

/**
 * Random access to a stored file's plaintext. The stored bytes are encrypted;
 * `read` decrypts on the fly, so processing never sees a path and never puts
 * plaintext on disk. `end` is inclusive, as in an HTTP Range.
 */
export interface ByteSource {
  size: number;
  read(start: number, end: number /* inclusive */): Promise<NodeJS.ReadableStream>;
}

/** A ByteSource over bytes already in memory (tests, small uploads). */
export function bufferSource(bytes: Buffer): ByteSource {
  return {
    size: bytes.length,
    async read(start, end) {
      return Readable.from([bytes.subarray(start, end + 1)]);
    },
  };
}

/**
 * Bytes [start, end] of a source, into memory. `end` is clamped to the
 * source's size; a source that yields more than asked (a sloppy
 * implementation) is cut, so the buffer never exceeds what was asked for.
 */
export async function readRange(source: ByteSource, start: number, end: number): Promise<Buffer> {
  const last = Math.min(end, source.size - 1);
  if (last < start) return Buffer.alloc(0);
  const want = last - start + 1;
  const stream = await source.read(start, last);
  const chunks: Buffer[] = [];
  let have = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(have + bytes.length > want ? bytes.subarray(0, want - have) : bytes);
      have = Math.min(want, have + bytes.length);
      if (have >= want) break;
    }
  } finally {
    // Breaking out of the loop destroys a Node stream; an old-style one is told explicitly.
    (stream as Partial<Readable>).destroy?.();
  }
  return Buffer.concat(chunks, have);
}
