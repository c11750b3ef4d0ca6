import type { TableName } from './schema.ts';

export type ColumnKind = 'text' | 'int' | 'bytes';

export interface ColumnSpec {
  kind: ColumnKind;
  nullable?: boolean;
}

/**
 * What the generic machinery (key rotation, backup and restore, the
 * plaintext checks) knows of each table. One entry per table of schema.ts,
 * parents before children (restore inserts in this order).
 */
export interface TableSpec {
  name: TableName;
  /** Primary-key columns, in order: rotation and backups walk tables in key order. */
  key: readonly string[];
  columns: Readonly<Record<string, ColumnSpec>>;
  /** Sealed columns: re-encrypted by a rotation. */
  sealed: readonly string[];
  /** The row id bound into this table's sealed values (see SealAad). */
  rowId?: (row: Record<string, unknown>) => string | number;
}

const text = { kind: 'text' } as const;
const int = { kind: 'int' } as const;
const bytes = { kind: 'bytes' } as const;

export const TABLES: readonly TableSpec[] = [
  {
    name: 'keyring',
    key: ['key_id'],
    columns: { key_id: text, status: text, wrapped: bytes, kdf: text, created_at: int },
    sealed: [],
  },
  {
    name: 'rotation_progress',
    key: ['target_key_id', 'table_name'],
    columns: { target_key_id: text, table_name: text, last_key: { kind: 'text', nullable: true }, done: int, updated_at: int },
    sealed: [],
  },
  {
    name: 'meetings',
    key: ['id'],
    columns: { id: text, created_at: int, updated_at: int, starts_at: { kind: 'int', nullable: true }, config: bytes },
    sealed: ['config'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'boards',
    key: ['id'],
    columns: { id: text, meta: { kind: 'bytes', nullable: true }, created_at: int, updated_at: int, size_bytes: int, last_seq: int },
    sealed: ['meta'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'board_updates',
    key: ['board_id', 'seq'],
    columns: { board_id: text, seq: int, data: bytes, at: int },
    sealed: ['data'],
    rowId: (row) => `${row.board_id}/${row.seq}`,
  },
  {
    name: 'board_snapshots',
    key: ['board_id'],
    columns: { board_id: text, upto_seq: int, state: bytes, at: int },
    sealed: ['state'],
    // The covered sequence is part of the row id: an older snapshot of the
    // same board written back in place does not open.
    rowId: (row) => `${row.board_id}/${row.upto_seq}`,
  },
  {
    name: 'audit_log',
    key: ['seq'],
    columns: { seq: int, at: int, action: text, target: text, body: bytes, prev_hash: bytes, hash: bytes },
    sealed: ['body'],
    rowId: (row) => Number(row.seq),
  },
  {
    name: 'recordings',
    key: ['id'],
    columns: { id: text, started_at: int, info: bytes },
    sealed: ['info'],
    rowId: (row) => String(row.id),
  },
];

export function tableSpec(name: string): TableSpec {
  const spec = TABLES.find((t) => t.name === name);
  if (!spec) throw new Error(`unknown table ${name}`);
  return spec;
}

export const SEALED_TABLES = TABLES.filter((t) => t.sealed.length > 0);
