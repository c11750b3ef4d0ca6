/**
 * Where file bytes live: behind this interface, on local disk (the default)
 * or in an S3-compatible bucket. Everything that passes through it is
 * already ciphertext (see ContentCipher and EncryptingStore); the storage
 * never sees a key, a name or any metadata.
 */
import type { Readable } from 'node:stream';
import type { DataStore } from '@tus/utils';
import type { Variant } from './ContentCipher.ts';

/** A variant processing writes whole (the original is written by tus, in pieces). */
export type DerivedVariant = Exclude<Variant, 'original'>;

export interface BlobStorage {
  /** For logs and the operations page: where the bytes are. */
  readonly description: string;
  /** The tus store uploads are written through (EncryptingStore wraps it). */
  readonly uploads: DataStore;
  /** Ciphertext bytes start..end (inclusive) of an upload. */
  readUpload(id: string, start: number, end: number): Promise<Readable>;
  /** Stores a derived blob (already encrypted), replacing any earlier one. */
  putDerived(id: string, variant: DerivedVariant, bytes: Buffer): Promise<void>;
  /** Ciphertext bytes start..end (inclusive) of a derived blob. */
  readDerived(id: string, variant: DerivedVariant, start: number, end: number): Promise<Readable>;
  /** Deletes the upload (finished or not) and its derived blobs. Idempotent: a missing blob is no error. */
  removeAll(id: string): Promise<void>;
  /** Deletes only the upload's bytes (a replacement took their place). Idempotent. */
  removeUpload(id: string): Promise<void>;
}
