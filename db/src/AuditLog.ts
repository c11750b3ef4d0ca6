import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { isDbError } from './errors.ts';
import type { GroupedWriter } from './GroupedWriter.ts';
import type { Sealer } from './Sealer.ts';
import type { Schema } from './schema.ts';

export interface AuditEntry {
  /** Who: a user id, "operator", "system"… Sealed. */
  actor: string;
  /** What, as a stable dotted name ("meeting.create"). Plain, to filter on. */
  action: string;
  /** The object acted on, as an opaque id. Plain: never put personal data here. */
  target: string;
  /** Anything else (JSON). Sealed. */
  details?: unknown;
  /** ms since epoch; now by default. */
  at?: number;
}

export interface AuditRecord {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  details: unknown;
  hash: string;
}

export type ChainReport =
  | { ok: true; rows: number; head: string | null }
  | { ok: false; rows: number; brokenAt: number; reason: string };

const GENESIS = Buffer.alloc(32);
const PAGE = 500;

interface SealedBody {
  actor: string;
  details: unknown;
  /** Random, and only inside the sealed body: the stored hash cannot be used to guess the details. */
  salt: string;
}

/**
 * An append-only, hash-chained log: row n stores prev_hash = hash of row n−1
 * and hash = SHA-256(prev_hash ‖ canonical JSON of [seq, at, action, target,
 * actor, details, salt]). The hash covers the plaintext, not the sealed bytes,
 * so a key rotation (which re-encrypts the body) leaves the chain intact; the
 * secret salt inside the body keeps the hash from confirming guesses about
 * low-entropy details to someone holding only the database.
 *
 * An edit of any row, a deleted or reordered row, or a body moved between
 * rows is found by verifyChain(). Rows cut off at the end are not: compare
 * the head hash it reports with one recorded elsewhere. And whoever holds the
 * data key and write access can rebuild the whole chain: it is evidence
 * against edits made without the key (direct SQL, a restored old file).
 */
export class AuditLog {
  readonly #reader: Kysely<Schema>;
  readonly #writer: GroupedWriter;
  readonly #sealer: Sealer;

  constructor(reader: Kysely<Schema>, writer: GroupedWriter, sealer: Sealer) {
    this.#reader = reader;
    this.#writer = writer;
    this.#sealer = sealer;
  }

  append(entry: AuditEntry): Promise<{ seq: number; hash: string }> {
    return this.#writer.write((trx) => this.appendIn(trx, entry));
  }

  /** Appends inside a write already running, so the audit row commits (or not) with the change it records. */
  async appendIn(trx: Transaction<Schema>, entry: AuditEntry): Promise<{ seq: number; hash: string }> {
    const last = await trx.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last ? Buffer.from(last.hash) : GENESIS;
    const at = entry.at ?? Date.now();
    const body: SealedBody = { actor: entry.actor, details: canonicalValue(entry.details ?? null), salt: crypto.randomBytes(16).toString('base64') };
    const hash = chainHash(prevHash, seq, at, entry.action, entry.target, body);
    await trx
      .insertInto('audit_log')
      .values({ seq, at, action: entry.action, target: entry.target, body: this.#sealer.sealJson(body, { table: 'audit_log', column: 'body', rowId: seq }), prev_hash: prevHash, hash })
      .execute();
    return { seq, hash: hash.toString('hex') };
  }

  /** Rows in order, opened. */
  async read(options: { afterSeq?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    const rows = await this.#reader
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', options.afterSeq ?? 0)
      .orderBy('seq')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map((row) => {
      const body = this.#sealer.openJson<SealedBody>(row.body, { table: 'audit_log', column: 'body', rowId: row.seq });
      return { seq: row.seq, at: row.at, actor: body.actor, action: row.action, target: row.target, details: body.details, hash: Buffer.from(row.hash).toString('hex') };
    });
  }

  /** Walks the whole chain; reports the first row that does not fit. */
  async verifyChain(): Promise<ChainReport> {
    let prev: Buffer = GENESIS;
    let expected = 1;
    for (;;) {
      const rows = await this.#reader
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expected)
        .orderBy('seq')
        .limit(PAGE)
        .execute();
      for (const row of rows) {
        const broken = (reason: string): ChainReport => ({ ok: false, rows: expected - 1, brokenAt: expected, reason });
        if (row.seq !== expected) return broken(`row ${expected} is missing (next row is ${row.seq})`);
        if (!Buffer.from(row.prev_hash).equals(prev)) return broken(`row ${row.seq}: prev_hash is not the hash of row ${row.seq - 1}`);
        let body: SealedBody;
        try {
          body = this.#sealer.openJson<SealedBody>(row.body, { table: 'audit_log', column: 'body', rowId: row.seq });
        } catch (error) {
          if (!isDbError(error, 'SEALED_VALUE_INVALID')) throw error;
          return broken(`row ${row.seq}: the sealed body does not open (${error.message})`);
        }
        const hash = chainHash(prev, row.seq, row.at, row.action, row.target, body);
        if (!hash.equals(Buffer.from(row.hash))) return broken(`row ${row.seq}: its content does not match its hash`);
        prev = hash;
        expected++;
      }
      if (rows.length < PAGE) break;
    }
    return { ok: true, rows: expected - 1, head: expected === 1 ? null : prev.toString('hex') };
  }
}

function chainHash(prevHash: Buffer, seq: number, at: number, action: string, target: string, body: SealedBody): Buffer {
  const canonical = JSON.stringify(canonicalValue([1, seq, at, action, target, body.actor, body.details, body.salt]));
  return crypto.createHash('sha256').update(prevHash).update(canonical, 'utf8').digest();
}

/** JSON with object keys sorted at every level: the same value always serialises the same way. */
export function canonicalValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const json = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof json === 'function') return canonicalValue(json.call(value));
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, canonicalValue((value as Record<string, unknown>)[key])]),
    );
  }
  if (value instanceof Date) return value.toISOString();
  return value;
}
