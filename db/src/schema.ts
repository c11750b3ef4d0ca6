/**
 * The tables as Kysely sees them. Times are milliseconds since the epoch
 * (int8 on PostgreSQL, parsed to numbers: they stay far below 2^53). Sealed
 * columns hold the Sealer's binary values (`Buffer`), never plaintext.
 */
export interface Schema {
  meetings: MeetingsTable;
  boards: BoardsTable;
  board_updates: BoardUpdatesTable;
  board_snapshots: BoardSnapshotsTable;
  keyring: KeyringTable;
  rotation_progress: RotationProgressTable;
  audit_log: AuditLogTable;
  recordings: RecordingsTable;
}

export interface MeetingsTable {
  id: string;
  created_at: number;
  updated_at: number;
  /** Scheduled start (ms) or null; plain, so "upcoming meetings" is a query. */
  starts_at: number | null;
  /** Sealed JSON: the whole meeting configuration (topic, passcode, host key, settings…). */
  config: Buffer;
}

export interface BoardsTable {
  id: string;
  /** Sealed JSON (access settings, owner key hash…), or null before any was set. */
  meta: Buffer | null;
  created_at: number;
  updated_at: number;
  /** Plaintext bytes of the snapshot plus the update tail: what a quota counts. */
  size_bytes: number;
  /** The last sequence number handed out; never reused, even after compaction. */
  last_seq: number;
}

export interface BoardUpdatesTable {
  board_id: string;
  seq: number;
  /** Sealed Yjs update. */
  data: Buffer;
  at: number;
}

export interface BoardSnapshotsTable {
  board_id: string;
  /** The snapshot holds every update with seq ≤ upto_seq. */
  upto_seq: number;
  /** Sealed merged Yjs state. */
  state: Buffer;
  at: number;
}

export interface KeyringTable {
  /** 8 hex characters; the same id is written into every value sealed under the key. */
  key_id: string;
  /** 'active' (seals new values) or 'retiring' (still opens values until a rotation ends). */
  status: 'active' | 'retiring';
  /** The data key wrapped under the key-encryption key (see Keyring.ts). */
  wrapped: Buffer;
  /** JSON KdfParams: algorithm, cost and the two salts. */
  kdf: string;
  created_at: number;
}

export interface RotationProgressTable {
  /** The key every sealed value is being re-encrypted to. */
  target_key_id: string;
  table_name: string;
  /** JSON array: the primary key of the last row re-encrypted, null before the first batch. */
  last_key: string | null;
  done: number;
  updated_at: number;
}

export interface AuditLogTable {
  seq: number;
  at: number;
  action: string;
  /** An opaque object id (meeting id, board id); never personal data. */
  target: string;
  /** Sealed JSON { actor, details, salt }. */
  body: Buffer;
  prev_hash: Buffer;
  hash: Buffer;
}

/** Meeting recordings' descriptions; their media files stay on disk (see @muster/recorder). */
export interface RecordingsTable {
  /** The recording's id (the name of its directory of media files). */
  id: string;
  /** When the recording started (ms); plain, for ordering. */
  started_at: number;
  /** Sealed JSON: the recorder's RecordingInfo (state, hosts, who started it, the manifest with participants' names). */
  info: Buffer;
}

export type TableName = keyof Schema;
