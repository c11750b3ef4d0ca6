/** The content cipher: the ciphertext of byte n depends only on the key and n, so pieces at any offsets make up the whole. */
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@muster/kit/testing';
import { cryptAt, cryptStream, newContentKey, packContentKey, unpackContentKey, variantKey } from './ContentCipher.ts';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('content cipher (AES-256-CTR at the byte offset)', () => {
  it('encrypts pieces written at any offsets to exactly the whole ciphertext, and decrypts any range', async () => {
    const random = mulberry32(17);
    const key = newContentKey();
    const plain = crypto.randomBytes(10_000);
    const whole = cryptAt(key, 0, plain);
    expect(whole.equals(plain)).toBe(false);
    for (let round = 0; round < 50; round++) {
      const cuts = [0, ...Array.from({ length: 5 }, () => Math.floor(random() * plain.length)).sort((a, b) => a - b), plain.length];
      const pieces = await Promise.all(cuts.slice(1).map((end, i) => collect(Readable.from([plain.subarray(cuts[i], end)]).pipe(cryptStream(key, cuts[i]!)))));
      expect(Buffer.concat(pieces).equals(whole)).toBe(true);
      const start = Math.floor(random() * plain.length);
      const end = start + Math.floor(random() * (plain.length - start));
      expect(cryptAt(key, start, whole.subarray(start, end)).equals(plain.subarray(start, end))).toBe(true);
    }
  });

  it('carries the counter across its 128 bits, and gives each variant its own keystream', () => {
    const key = { key: crypto.randomBytes(32), iv: Buffer.alloc(16, 0xff) };
    const plain = crypto.randomBytes(64);
    const whole = cryptAt(key, 0, plain);
    expect(cryptAt(key, 33, whole.subarray(33)).equals(plain.subarray(33))).toBe(true);
    const thumb = variantKey(key, 'thumbnail');
    expect(thumb.key.equals(key.key)).toBe(false);
    expect(variantKey(key, 'replacement').key.equals(thumb.key)).toBe(false);
    expect(unpackContentKey(packContentKey(key))).toEqual(key);
  });
});
