import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { isMissingTableError } from './Engine.ts';
import { DbError } from './errors.ts';
import { DATA_KEY_BYTES, newKeyId } from './Sealer.ts';
import type { KeyringTable, Schema } from './schema.ts';

const scrypt = promisify(crypto.scrypt) as (password: crypto.BinaryLike, salt: crypto.BinaryLike, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

export interface KeyPasswords {
  password1: string;
  password2: string;
}

/**
 * scrypt cost. The default (N = 2^17, r = 8, p = 1: 128 MiB and a few hundred
 * ms per password) is OWASP's recommendation for scrypt. Both passwords are
 * stretched in parallel on libuv's thread pool, once per start.
 */
export interface KdfCost {
  logN: number;
  r: number;
  p: number;
}

export const DEFAULT_KDF_COST: KdfCost = { logN: 17, r: 8, p: 1 };
/** Below this a KEK is cheap to brute-force; only tests go lower than the default. */
const MIN_LOG_N = 10;

const KdfParamsSchema = z.object({
  algorithm: z.literal('scrypt'),
  logN: z.number().int().min(MIN_LOG_N).max(22),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt1: z.string().min(16),
  salt2: z.string().min(16),
});
export type KdfParams = z.infer<typeof KdfParamsSchema>;

export const KEY_PASSWORDS_WRONG_MESSAGE = "the two key passwords do not open this database's data key";

const WRAP_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A key-encryption key and the parameters it was derived with. */
export interface Kek {
  kek: Buffer;
  kdf: KdfParams;
}

export interface KeyEntry {
  keyId: string;
  status: KeyringTable['status'];
  dataKey: Buffer;
  createdAt: number;
}

/**
 * The data keys, unwrapped, and the key-encryption key (KEK) that wraps them.
 *
 * KEK = HKDF-SHA256(scrypt(password1, salt1) ‖ scrypt(password2, salt2)).
 * Each password is stretched on its own salt and the two results only meet in
 * HKDF: knowing one password (and both salts, which are stored) leaves the
 * full 256-bit output of the other scrypt to guess. Neither alone unwraps.
 *
 * A wrapped key is AES-256-GCM over the 32-byte data key, with the key id as
 * additional data (a row cannot be relabelled): version | nonce | ct | tag.
 */
export class Keyring {
  #kek: Buffer;
  #kdf: KdfParams;
  readonly #keys = new Map<string, KeyEntry>();

  private constructor(kek: Buffer, kdf: KdfParams, keys: Iterable<KeyEntry>) {
    this.#kek = kek;
    this.#kdf = kdf;
    for (const key of keys) this.#keys.set(key.keyId, key);
  }

  /** The keyring rows, or null when the table does not exist yet (a new database). */
  static async readRows(db: Kysely<Schema>): Promise<KeyringTable[] | null> {
    try {
      return await db.selectFrom('keyring').selectAll().orderBy('created_at').orderBy('key_id').execute();
    } catch (error) {
      if (isMissingTableError(error)) return null;
      throw error;
    }
  }

  /**
   * Unwraps every row. Throws KEY_PASSWORDS_WRONG when the passwords do not
   * open them; writes nothing either way.
   */
  static async unlock(rows: readonly KeyringTable[], passwords: KeyPasswords): Promise<Keyring> {
    if (rows.length === 0) throw new Error('an empty keyring cannot be unlocked');
    // All rows share one KDF parameter set (every rewrap changes all of them in
    // one transaction); derive once per distinct set all the same.
    const keks = new Map<string, Promise<Buffer>>();
    const keys: KeyEntry[] = [];
    let kdf: KdfParams | undefined;
    let kek: Buffer | undefined;
    for (const row of rows) {
      const params = parseKdf(row.kdf, row.key_id);
      const cacheKey = JSON.stringify(params);
      if (!keks.has(cacheKey)) keks.set(cacheKey, deriveKek(passwords, params));
      const rowKek = await keks.get(cacheKey)!;
      const dataKey = unwrapKey(rowKek, row.key_id, Buffer.from(row.wrapped));
      if (!dataKey) throw new DbError('KEY_PASSWORDS_WRONG', KEY_PASSWORDS_WRONG_MESSAGE);
      keys.push({ keyId: row.key_id, status: row.status, dataKey, createdAt: Number(row.created_at) });
      if (row.status === 'active' || !kdf) {
        kdf = params;
        kek = rowKek;
      }
    }
    return new Keyring(kek!, kdf!, keys);
  }

  /** A new keyring: fresh salts, one fresh active data key. */
  static async create(passwords: KeyPasswords, cost: KdfCost = DEFAULT_KDF_COST): Promise<Keyring> {
    const kdf = freshKdf(cost);
    const kek = await deriveKek(passwords, kdf);
    return new Keyring(kek, kdf, [{ keyId: newKeyId(), status: 'active', dataKey: crypto.randomBytes(DATA_KEY_BYTES), createdAt: Date.now() }]);
  }

  get kdf(): Readonly<KdfParams> {
    return this.#kdf;
  }

  get activeKeyId(): string {
    const active = [...this.#keys.values()].find((k) => k.status === 'active');
    if (!active) throw new Error('the keyring has no active key');
    return active.keyId;
  }

  keys(): KeyEntry[] {
    return [...this.#keys.values()];
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** Every key as a row to store: wrapped under the current KEK. */
  rows(): KeyringTable[] {
    return this.keys().map((key) => this.row(key.keyId));
  }

  row(keyId: string): KeyringTable {
    const key = this.#keys.get(keyId);
    if (!key) throw new Error(`unknown key ${keyId}`);
    return this.rowFor(key);
  }

  /** The row storing `key`, wrapped under the current KEK (the key need not be held yet). */
  rowFor(key: KeyEntry): KeyringTable {
    return { key_id: key.keyId, status: key.status, wrapped: wrapKey(this.#kek, key.keyId, key.dataKey), kdf: JSON.stringify(this.#kdf), created_at: key.createdAt };
  }

  /** A fresh data key for a rotation; not held until adoptActiveKey (after its row is committed). */
  newActiveKey(): KeyEntry {
    let keyId = newKeyId();
    while (this.#keys.has(keyId)) keyId = newKeyId();
    return { keyId, status: 'active', dataKey: crypto.randomBytes(DATA_KEY_BYTES), createdAt: Date.now() };
  }

  /** Makes `key` the active key; the previously active one becomes 'retiring'. */
  adoptActiveKey(key: KeyEntry): void {
    for (const held of this.#keys.values()) if (held.status === 'active') held.status = 'retiring';
    this.#keys.set(key.keyId, { ...key, status: 'active' });
  }

  removeKey(keyId: string): void {
    if (this.#keys.get(keyId)?.status === 'active') throw new Error('the active key cannot be removed');
    this.#keys.delete(keyId);
  }

  /**
   * A KEK for new passwords (fresh salts, the current cost unless given).
   * The data keys stay, so no sealed value changes: store rowsUnder(kek),
   * then useKek(kek) once that committed.
   */
  static async deriveNewKek(passwords: KeyPasswords, cost: KdfCost): Promise<Kek> {
    const kdf = freshKdf({ logN: cost.logN, r: cost.r, p: cost.p });
    return { kek: await deriveKek(passwords, kdf), kdf };
  }

  rowsUnder(kek: Kek): KeyringTable[] {
    return this.keys().map((key) => ({ key_id: key.keyId, status: key.status, wrapped: wrapKey(kek.kek, key.keyId, key.dataKey), kdf: JSON.stringify(kek.kdf), created_at: key.createdAt }));
  }

  useKek(kek: Kek): void {
    this.#kek = kek.kek;
    this.#kdf = kek.kdf;
  }
}

function freshKdf(cost: KdfCost): KdfParams {
  const params = {
    algorithm: 'scrypt' as const,
    ...cost,
    salt1: crypto.randomBytes(16).toString('base64'),
    salt2: crypto.randomBytes(16).toString('base64'),
  };
  return KdfParamsSchema.parse(params);
}

function parseKdf(text: string, keyId: string): KdfParams {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = KdfParamsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`keyring row ${keyId}: unreadable KDF parameters (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

export async function deriveKek(passwords: KeyPasswords, kdf: KdfParams): Promise<Buffer> {
  const options: crypto.ScryptOptions = { N: 2 ** kdf.logN, r: kdf.r, p: kdf.p, maxmem: 256 * 2 ** kdf.logN * kdf.r + 16 * 2 ** 20 };
  const [stretched1, stretched2] = await Promise.all([
    scrypt(passwords.password1.normalize('NFC'), Buffer.from(kdf.salt1, 'base64'), 32, options),
    scrypt(passwords.password2.normalize('NFC'), Buffer.from(kdf.salt2, 'base64'), 32, options),
  ]);
  return Buffer.from(crypto.hkdfSync('sha256', Buffer.concat([stretched1, stretched2]), Buffer.alloc(0), 'muster/kek/v1', 32));
}

function wrapAad(keyId: string): Buffer {
  return Buffer.from(JSON.stringify(['muster-keyring', keyId]), 'utf8');
}

export function wrapKey(kek: Buffer, keyId: string, dataKey: Buffer): Buffer {
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', kek, nonce);
  cipher.setAAD(wrapAad(keyId));
  const ciphertext = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([Buffer.from([WRAP_VERSION]), nonce, ciphertext, cipher.getAuthTag()]);
}

/** The data key, or null when this KEK does not open the wrapped value. */
export function unwrapKey(kek: Buffer, keyId: string, wrapped: Buffer): Buffer | null {
  if (wrapped.length !== 1 + NONCE_BYTES + DATA_KEY_BYTES + TAG_BYTES || wrapped[0] !== WRAP_VERSION) return null;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', kek, wrapped.subarray(1, 1 + NONCE_BYTES));
    decipher.setAAD(wrapAad(keyId));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
    return Buffer.concat([decipher.update(wrapped.subarray(1 + NONCE_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}
