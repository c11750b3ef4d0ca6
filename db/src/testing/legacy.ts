/**
 * The tables the sql.js stores of installs from before @muster/db wrote
 * (signaling's SqliteMeetingStore, the whiteboard's SqliteBoardStore), for
 * tests that build an old data directory and check it is imported once.
 */
export const LEGACY_MEETINGS_SCHEMA = `CREATE TABLE IF NOT EXISTS meetings (
  id TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  starts_at INTEGER,
  passcode TEXT,
  host_key TEXT NOT NULL,
  settings TEXT NOT NULL,
  lobby INTEGER NOT NULL,
  locked INTEGER NOT NULL
)`;

export const LEGACY_BOARDS_SCHEMA = `CREATE TABLE IF NOT EXISTS boards (
  id TEXT PRIMARY KEY,
  state BLOB NOT NULL,
  access TEXT NOT NULL,
  owner_key_hash TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
)`;
