import type { TableName } from './schema.ts';
import { CHANNELS_TABLES } from './schemas/channels.ts';
import { MOMENTS_TABLES } from './schemas/moments.ts';

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
  /**
   * Blind-index columns derived from a sealed JSON column: the index is keyed
   * by the data key, so a rotation recomputes it when it re-seals the row.
   */
  blindIndexes?: readonly BlindIndexSpec[];
}

export interface BlindIndexSpec {
  /** The plain column holding Sealer.blindIndex(kind, value). */
  column: string;
  kind: string;
  /** The sealed JSON column the value comes from. */
  from: string;
  /** The normalised value inside the opened JSON, or null for no index. */
  value: (opened: unknown) => string | null;
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
    columns: { id: text, created_at: int, updated_at: int, starts_at: { kind: 'int', nullable: true }, owner_id: { kind: 'text', nullable: true }, config: bytes },
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
  {
    name: 'accounts',
    key: ['id'],
    columns: {
      id: text,
      phone_index: { kind: 'text', nullable: true },
      muster_id: { kind: 'text', nullable: true },
      role: text,
      status: text,
      created_at: int,
      updated_at: int,
      expires_at: { kind: 'int', nullable: true },
      locked_until: { kind: 'int', nullable: true },
      profile: bytes,
      credentials: { kind: 'bytes', nullable: true },
    },
    sealed: ['profile', 'credentials'],
    rowId: (row) => String(row.id),
    blindIndexes: [{ column: 'phone_index', kind: 'phone', from: 'profile', value: (opened) => (opened as { phone?: string | null }).phone ?? null }],
  },
  {
    name: 'account_avatars',
    key: ['account_id'],
    columns: { account_id: text, version: int, small: bytes, large: bytes, updated_at: int },
    sealed: ['small', 'large'],
    rowId: (row) => `${row.account_id}/${row.version}`,
  },
  {
    name: 'account_sessions',
    key: ['id'],
    columns: {
      id: text,
      account_id: text,
      created_at: int,
      last_seen_at: int,
      generation: int,
      revoked_at: { kind: 'int', nullable: true },
      secret: bytes,
      device: bytes,
    },
    sealed: ['secret', 'device'],
    rowId: (row) => String(row.id),
  },
  {
    // Codes live 5 minutes: a rotation leaves them alone (they are checked against every key's hash).
    name: 'auth_codes',
    key: ['phone_index', 'purpose'],
    columns: { phone_index: text, purpose: text, code_hash: text, expires_at: int, attempts: int, created_at: int },
    sealed: [],
  },
  {
    name: 'one_time_links',
    key: ['token_hash'],
    columns: { token_hash: text, account_id: text, purpose: text, expires_at: int, used_at: { kind: 'int', nullable: true }, created_at: int },
    sealed: [],
  },
  {
    name: 'security_events',
    key: ['id'],
    columns: { id: text, at: int, account_id: { kind: 'text', nullable: true }, kind: text, details: bytes },
    sealed: ['details'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'settings',
    key: ['key'],
    columns: { key: text, value: bytes, updated_at: int },
    sealed: ['value'],
    rowId: (row) => String(row.key),
  },
  {
    name: 'contact_requests',
    key: ['id'],
    columns: { id: text, from_id: text, to_id: text, state: text, greeting: { kind: 'bytes', nullable: true }, created_at: int, updated_at: int, expires_at: int },
    sealed: ['greeting'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'contacts',
    key: ['owner_id', 'contact_id'],
    columns: { owner_id: text, contact_id: text, details: { kind: 'bytes', nullable: true }, created_at: int, updated_at: int },
    sealed: ['details'],
    rowId: (row) => `${row.owner_id}/${row.contact_id}`,
  },
  {
    name: 'blocks',
    key: ['owner_id', 'blocked_id'],
    columns: { owner_id: text, blocked_id: text, created_at: int },
    sealed: [],
  },
  {
    name: 'conversations',
    key: ['id'],
    columns: { id: text, kind: text, direct_key: { kind: 'text', nullable: true }, last_seq: int, last_rev: int, meta: { kind: 'bytes', nullable: true }, created_at: int, updated_at: int },
    sealed: ['meta'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'conversation_members',
    key: ['conversation_id', 'user_id'],
    columns: { conversation_id: text, user_id: text, role: text, read_seq: int, joined_at: int },
    sealed: [],
  },
  {
    name: 'messages',
    key: ['conversation_id', 'seq'],
    columns: { conversation_id: text, seq: int, id: text, sender_id: text, client_msg_id: text, type: text, body: bytes, sent_at: int, rev: int },
    sealed: ['body'],
    rowId: (row) => `${row.conversation_id}/${row.seq}`,
  },
  {
    name: 'message_files',
    key: ['conversation_id', 'seq'],
    columns: { conversation_id: text, seq: int, file_id: text },
    sealed: [],
  },
  {
    name: 'message_hides',
    key: ['user_id', 'conversation_id', 'seq'],
    columns: { user_id: text, conversation_id: text, seq: int, at: int },
    sealed: [],
  },
  {
    name: 'sync_cursors',
    key: ['id'],
    columns: { id: text, account_id: text, gen: int, state: bytes, created_at: int, expires_at: int },
    sealed: ['state'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'conversation_prefs',
    key: ['user_id', 'conversation_id'],
    columns: {
      user_id: text,
      conversation_id: text,
      pinned_at: { kind: 'int', nullable: true },
      muted: int,
      hidden_seq: { kind: 'int', nullable: true },
      marked_unread: int,
      draft: { kind: 'bytes', nullable: true },
      version: int,
      updated_at: int,
    },
    sealed: ['draft'],
    rowId: (row) => `${row.user_id}/${row.conversation_id}`,
  },
  {
    name: 'im_settings',
    key: ['account_id'],
    columns: { account_id: text, hide_last_seen: int, accept_from_non_friends: int, last_seen_at: { kind: 'int', nullable: true }, updated_at: int },
    sealed: [],
  },
  {
    // Search terms are keyed hashes (not sealed values): a key rotation leaves them to the
    // search indexer, which re-hashes a conversation whose search_progress.key_id is not the active key.
    name: 'message_terms',
    key: ['conversation_id', 'term', 'seq'],
    columns: { conversation_id: text, term: text, seq: int },
    sealed: [],
  },
  {
    name: 'search_progress',
    key: ['conversation_id'],
    columns: { conversation_id: text, indexed_rev: int, key_id: text, updated_at: int },
    sealed: [],
  },
  {
    name: 'groups',
    key: ['conversation_id'],
    columns: {
      conversation_id: text,
      temporary: int,
      expires_at: { kind: 'int', nullable: true },
      join_approval: int,
      mute_all: int,
      export_admins_only: int,
      dissolved_at: { kind: 'int', nullable: true },
      expiry_notice_at: { kind: 'int', nullable: true },
      updated_at: int,
    },
    sealed: [],
  },
  {
    name: 'group_mutes',
    key: ['conversation_id', 'user_id'],
    columns: { conversation_id: text, user_id: text, until: { kind: 'int', nullable: true }, created_at: int },
    sealed: [],
  },
  {
    name: 'group_join_requests',
    key: ['id'],
    columns: { id: text, conversation_id: text, user_id: text, inviter_id: text, state: text, created_at: int, updated_at: int },
    sealed: [],
  },
  {
    name: 'group_avatars',
    key: ['conversation_id'],
    columns: { conversation_id: text, version: int, small: { kind: 'bytes', nullable: true }, large: { kind: 'bytes', nullable: true }, updated_at: int },
    sealed: ['small', 'large'],
    rowId: (row) => `${row.conversation_id}/${row.version}`,
  },
  {
    name: 'push_subscriptions',
    key: ['id'],
    columns: { id: text, account_id: text, session_id: text, kind: text, endpoint_index: text, target: bytes, created_at: int, last_success_at: { kind: 'int', nullable: true } },
    sealed: ['target'],
    rowId: (row) => String(row.id),
    blindIndexes: [{ column: 'endpoint_index', kind: 'push-endpoint', from: 'target', value: (opened) => (opened as { endpoint?: string }).endpoint ?? null }],
  },
  {
    name: 'push_settings',
    key: ['account_id'],
    columns: { account_id: text, previews: int, dnd: { kind: 'bytes', nullable: true }, updated_at: int },
    sealed: ['dnd'],
    rowId: (row) => String(row.account_id),
  },
  {
    name: 'files',
    key: ['id'],
    columns: {
      id: text,
      owner_id: text,
      conversation_id: { kind: 'text', nullable: true },
      status: text,
      kind: { kind: 'text', nullable: true },
      size: { kind: 'int', nullable: true },
      meta: bytes,
      data_key: { kind: 'bytes', nullable: true },
      created_at: int,
      completed_at: { kind: 'int', nullable: true },
      last_ref_at: { kind: 'int', nullable: true },
      expired_at: { kind: 'int', nullable: true },
    },
    sealed: ['meta', 'data_key'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'file_prefs',
    key: ['account_id'],
    columns: { account_id: text, cache_days: { kind: 'int', nullable: true }, updated_at: int },
    sealed: [],
  },
  // Service accounts and Moments (issue 19): their own files.
  ...CHANNELS_TABLES,
  ...MOMENTS_TABLES,
];

export function tableSpec(name: string): TableSpec {
  const spec = TABLES.find((t) => t.name === name);
  if (!spec) throw new Error(`unknown table ${name}`);
  return spec;
}

export const SEALED_TABLES = TABLES.filter((t) => t.sealed.length > 0);
