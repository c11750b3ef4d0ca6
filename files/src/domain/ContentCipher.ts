/**
 * The content encryption of stored files: AES-256-CTR whose keystream
 * position is the plaintext byte offset. Counter block = IV + floor(offset / 16)
 * (as a 128-bit big-endian number), and offset % 16 bytes of that block's
 * keystream are skipped. So:
 *
 * - a tus PATCH at any offset encrypts its bytes in place, before the store
 *   sees them: nothing in clear ever reaches the disk, S3 or S3's temp parts;
 * - a resume after a crash simply continues at the offset HEAD reports (the
 *   ciphertext of byte n depends only on the key and n);
 * - a Range read decrypts from any offset.
 *
 * CTR is not authenticated: the storage could flip bits undetected. It is the
 * price of random access for resumable writes; the threat addressed is
 * reading at rest (a copied disk, bucket or backup), and a tampered file is
 * caught by the reader's decoders as any corrupt file would be.
 *
 * Each file has its own random 256-bit key and IV (sealed in the database),
 * and each variant derived from a file (thumbnail, GPS-stripped replacement)
 * its own key derived by HKDF, so no keystream is ever used twice.
 */
import crypto from 'node:crypto';
import { Transform } from 'node:stream';

export const CONTENT_KEY_BYTES = 32;
const BLOCK = 16;

export interface ContentKey {
  key: Buffer;
  iv: Buffer;
}

/** The variants stored per file: the upload itself, and the blobs processing derives from it. */
export type Variant = 'original' | 'thumbnail' | 'replacement';

export function newContentKey(): ContentKey {
  return { key: crypto.randomBytes(CONTENT_KEY_BYTES), iv: crypto.randomBytes(BLOCK) };
}

/** 48 bytes: key then IV (what the database seals). */
export function packContentKey(key: ContentKey): Buffer {
  return Buffer.concat([key.key, key.iv]);
}

export function unpackContentKey(bytes: Buffer): ContentKey {
  if (bytes.length !== CONTENT_KEY_BYTES + BLOCK) throw new Error(`a content key has ${CONTENT_KEY_BYTES + BLOCK} bytes, not ${bytes.length}`);
  return { key: Buffer.from(bytes.subarray(0, CONTENT_KEY_BYTES)), iv: Buffer.from(bytes.subarray(CONTENT_KEY_BYTES)) };
}

/** The key of one variant: the original uses the file's key; the others a key derived from it. */
export function variantKey(file: ContentKey, variant: Variant): ContentKey {
  if (variant === 'original') return file;
  const derived = Buffer.from(crypto.hkdfSync('sha256', file.key, file.iv, `muster/files/content/v1\0${variant}`, CONTENT_KEY_BYTES + BLOCK));
  return unpackContentKey(derived);
}

/** IV + n as 128-bit big-endian (wrapping), the counter block of keystream block n. */
function counterAt(iv: Buffer, block: bigint): Buffer {
  const value = (BigInt(`0x${iv.toString('hex')}`) + block) & ((1n << 128n) - 1n);
  return Buffer.from(value.toString(16).padStart(32, '0'), 'hex');
}

/** A CTR cipher positioned at byte `offset` of the keystream (encryption and decryption are the same). */
function cipherAt(key: ContentKey, offset: number): ReturnType<typeof crypto.createCipheriv> {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`bad content offset ${offset}`);
  const cipher = crypto.createCipheriv('aes-256-ctr', key.key, counterAt(key.iv, BigInt(Math.floor(offset / BLOCK))));
  const skip = offset % BLOCK;
  if (skip > 0) cipher.update(Buffer.alloc(skip));
  return cipher;
}

/** Encrypts or decrypts (the same operation) bytes that sit at `offset` of the content. */
export function cryptAt(key: ContentKey, offset: number, bytes: Buffer): Buffer {
  const cipher = cipherAt(key, offset);
  return Buffer.concat([cipher.update(bytes), cipher.final()]);
}

/** A stream transform that encrypts (or decrypts) bytes flowing from `offset` on. */
export function cryptStream(key: ContentKey, offset: number): Transform {
  const cipher = cipherAt(key, offset);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, cipher.update(chunk));
    },
    flush(callback) {
      const rest = cipher.final();
      callback(null, rest.length > 0 ? rest : undefined);
    },
  });
}
