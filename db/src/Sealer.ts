import crypto from 'node:crypto';
import { DbError } from './errors.ts';

/** Characters of a blind index kept as a search term (see Sealer.searchTerm). */
export const SEARCH_TERM_CHARS = 16;

/**
 * Where a sealed value belongs. It is bound into the value as GCM additional
 * data: a value copied to another row, column or table does not open.
 */
export interface SealAad {
  table: string;
  column: string;
  rowId: string | number;
}

/**
 * Sealed value layout (binary, stored in blob/bytea columns):
 *
 *     version (1 byte, = 1) | key id (4 bytes) | nonce (12) | ciphertext | GCM tag (16)
 *
 * 33 bytes of overhead. The header is authenticated too (it is part of the
 * additional data), so a value cannot be relabelled to another key. The key
 * id lets reads work throughout a rotation, and lets rotation tell values
 * still under an old key from re-encrypted ones (in SQL, without opening).
 */
export const SEALED_VERSION = 1;
const KEY_ID_BYTES = 4;
const HEADER_BYTES = 1 + KEY_ID_BYTES;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const SEALED_OVERHEAD_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

export const DATA_KEY_BYTES = 32;

interface KeyMaterial {
  id: string;
  idBytes: Buffer;
  /** AES-256-GCM key: HKDF of the data key, so the data key itself encrypts nothing directly. */
  sealKey: Buffer;
  dataKey: Buffer;
  /** Per-kind blind-index keys, derived on first use. */
  indexKeys: Map<string, Buffer>;
}

/** A fresh key id: 8 hex characters (4 bytes in every sealed value). */
export function newKeyId(): string {
  return crypto.randomBytes(KEY_ID_BYTES).toString('hex');
}

export function isKeyId(value: string): boolean {
  return /^[0-9a-f]{8}$/.test(value);
}

/**
 * Seals (AES-256-GCM) and opens column values under the database's data
 * keys; computes blind indexes for equality look-ups without plaintext.
 *
 * Nonces are random (96 bits): safe for far more values than a database
 * seals under one key before a rotation (the limit is around 2^32 values).
 */
export class Sealer {
  readonly #keys = new Map<string, KeyMaterial>();
  #activeKeyId: string;

  constructor(keys: Iterable<{ keyId: string; dataKey: Buffer }>, activeKeyId: string) {
    for (const key of keys) this.addKey(key.keyId, key.dataKey);
    if (!this.#keys.has(activeKeyId)) throw new Error(`the active key ${activeKeyId} is not among the sealer's keys`);
    this.#activeKeyId = activeKeyId;
  }

  /** The key new values are sealed under. */
  get activeKeyId(): string {
    return this.#activeKeyId;
  }

  /** Every key values may still be sealed under (the active one first). */
  get keyIds(): string[] {
    return [this.#activeKeyId, ...[...this.#keys.keys()].filter((id) => id !== this.#activeKeyId)];
  }

  seal(plaintext: string | Uint8Array, aad: SealAad): Buffer {
    const key = this.#keys.get(this.#activeKeyId)!;
    const header = Buffer.alloc(HEADER_BYTES);
    header[0] = SEALED_VERSION;
    key.idBytes.copy(header, 1);
    const nonce = crypto.randomBytes(NONCE_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', key.sealKey, nonce);
    cipher.setAAD(additionalData(header, aad));
    const body = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ciphertext = Buffer.concat([cipher.update(body), cipher.final()]);
    return Buffer.concat([header, nonce, ciphertext, cipher.getAuthTag()]);
  }

  open(value: Uint8Array, aad: SealAad): Buffer {
    const buffer = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (buffer.length < SEALED_OVERHEAD_BYTES || buffer[0] !== SEALED_VERSION) {
      throw new DbError('SEALED_VALUE_INVALID', `${describe(aad)} is not a sealed value (version ${buffer[0]}, ${buffer.length} bytes)`);
    }
    const keyId = buffer.subarray(1, HEADER_BYTES).toString('hex');
    const key = this.#keys.get(keyId);
    if (!key) throw new DbError('SEALED_VALUE_INVALID', `${describe(aad)} is sealed under key ${keyId}, which this keyring does not hold`);
    const header = buffer.subarray(0, HEADER_BYTES);
    const nonce = buffer.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
    const ciphertext = buffer.subarray(HEADER_BYTES + NONCE_BYTES, buffer.length - TAG_BYTES);
    const tag = buffer.subarray(buffer.length - TAG_BYTES);
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key.sealKey, nonce);
      decipher.setAAD(additionalData(header, aad));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (error) {
      throw new DbError('SEALED_VALUE_INVALID', `${describe(aad)} does not open: altered, or copied from another row`, { cause: error });
    }
  }

  openText(value: Uint8Array, aad: SealAad): string {
    return this.open(value, aad).toString('utf8');
  }

  sealJson(value: unknown, aad: SealAad): Buffer {
    return this.seal(JSON.stringify(value), aad);
  }

  openJson<T = unknown>(value: Uint8Array, aad: SealAad): T {
    return JSON.parse(this.openText(value, aad)) as T;
  }

  /** The key id a sealed value carries (without opening it). */
  keyIdOf(value: Uint8Array): string {
    return Buffer.from(value.subarray(1, HEADER_BYTES)).toString('hex');
  }

  /**
   * HMAC-SHA256 of an already normalised value (e.g. an E.164 phone number)
   * under a key derived from the active data key and `kind`, as base64url:
   * store it beside the sealed value and look rows up by equality. The kind
   * separates uses: the same phone number gives unrelated indexes as "login"
   * and as "invitee".
   */
  blindIndex(kind: string, normalised: string): string {
    return this.#blindIndexUnder(this.#keys.get(this.#activeKeyId)!, kind, normalised);
  }

  /**
   * The blind index under every key held, active first. During a rotation a
   * row's index may still be under the old key: look up with `IN (…)` of these.
   */
  blindIndexCandidates(kind: string, normalised: string): string[] {
    return this.keyIds.map((id) => this.#blindIndexUnder(this.#keys.get(id)!, kind, normalised));
  }

  /**
   * A search index's word: the first SEARCH_TERM_CHARS of its blind index
   * (base64url: 96 bits). A collision only adds a candidate, and every
   * search checks its candidates against the opened text, so the shorter
   * hash costs nothing in precision and saves a third of an index. Each
   * index has its own `kind` (messages, posts, articles).
   */
  searchTerm(kind: string, token: string): string {
    return this.blindIndex(kind, token).slice(0, SEARCH_TERM_CHARS);
  }

  /** A word's search term under every key held, active first (during a rotation some rows' terms are under the old key). */
  searchTermCandidates(kind: string, token: string): string[] {
    return this.blindIndexCandidates(kind, token).map((term) => term.slice(0, SEARCH_TERM_CHARS));
  }

  /** Adds a data key (opening values under it); used by the keyring and rotation, not by domain code. */
  addKey(keyId: string, dataKey: Buffer): void {
    if (dataKey.length !== DATA_KEY_BYTES) throw new Error(`a data key has ${DATA_KEY_BYTES} bytes, not ${dataKey.length}`);
    this.#keys.set(keyId, {
      id: keyId,
      idBytes: Buffer.from(keyId, 'hex'),
      sealKey: hkdf(dataKey, 'muster/seal/aes-256-gcm/v1'),
      dataKey,
      indexKeys: new Map(),
    });
  }

  /** Seals new values under `keyId` from now on. */
  activate(keyId: string): void {
    if (!this.#keys.has(keyId)) throw new Error(`unknown key ${keyId}`);
    this.#activeKeyId = keyId;
  }

  /** Forgets a retired key (after a rotation re-encrypted every value under it). */
  removeKey(keyId: string): void {
    if (keyId === this.#activeKeyId) throw new Error('the active key cannot be removed');
    this.#keys.delete(keyId);
  }

  #blindIndexUnder(key: KeyMaterial, kind: string, normalised: string): string {
    let indexKey = key.indexKeys.get(kind);
    if (!indexKey) {
      indexKey = hkdf(key.dataKey, `muster/blind-index/v1\0${kind}`);
      key.indexKeys.set(kind, indexKey);
    }
    return crypto.createHmac('sha256', indexKey).update(normalised, 'utf8').digest('base64url');
  }
}

function hkdf(key: Buffer, info: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), info, 32));
}

function additionalData(header: Buffer, aad: SealAad): Buffer {
  // JSON of a fixed-shape array: unambiguous whatever the names contain.
  return Buffer.concat([header, Buffer.from(JSON.stringify(['muster-seal', aad.table, aad.column, String(aad.rowId)]), 'utf8')]);
}

function describe(aad: SealAad): string {
  return `${aad.table}.${aad.column} of row ${aad.rowId}`;
}
