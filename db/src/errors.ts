/**
 * Errors with a stable `code`, so callers (the REST layer, the CLI, tests)
 * branch on the code, never on a message that may be reworded.
 */
export type DbErrorCode =
  /** SQLITE_FULL, ENOSPC or PostgreSQL 53100: nothing of the failed batch was committed. */
  | 'DISK_FULL'
  /** The database stayed unreachable for longer than the writer's retry window. */
  | 'DB_UNAVAILABLE'
  /** The database was closed before (or while) the write was queued. */
  | 'DB_CLOSED'
  /** More writes queued than the writer accepts (back-pressure). */
  | 'WRITE_QUEUE_FULL'
  /** The two key passwords do not unwrap the keyring's data key. */
  | 'KEY_PASSWORDS_WRONG'
  /** Key passwords configured for one slot but not the other, or unreadable. */
  | 'KEY_PASSWORDS_INVALID'
  /** A keyring table exists but holds no key while sealed data is present. */
  | 'KEYRING_MISSING'
  /** `init` (or a restore) on a database that already has a keyring. */
  | 'KEYRING_EXISTS'
  /** A sealed value that does not open: tampered, moved to another row, or under an unknown key. */
  | 'SEALED_VALUE_INVALID'
  /** A restore into a database that already holds rows. */
  | 'RESTORE_TARGET_NOT_EMPTY'
  /** A backup file that is not one, is truncated, or fails validation. */
  | 'BACKUP_INVALID';

export class DbError extends Error {
  readonly code: DbErrorCode;

  constructor(code: DbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DbError';
    this.code = code;
  }
}

export function isDbError(error: unknown, code?: DbErrorCode): error is DbError {
  return error instanceof DbError && (code === undefined || error.code === code);
}

/** What the writer does with a failure: give up on the batch, retry it, or fail one write. */
export type FailureKind = 'disk_full' | 'connection' | 'busy' | 'other';

const CONNECTION_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTCONN', 'EAI_AGAIN']);

/**
 * Sorts an engine error. PostgreSQL SQLSTATE classes: 08 (connection
 * exception), 57P01–57P03 (admin shutdown, crash shutdown, cannot connect
 * now: a restart), 53100 (disk full), 40P01 and 40001 (a deadlock or a
 * serialization failure: PostgreSQL aborted this transaction so another could
 * go on; a batch takes row locks in its writes' order, which two processes'
 * batches may take oppositely, so the batch is re-run in a new transaction,
 * as for a busy SQLite). node-postgres reports a dropped socket
 * with plain messages and no code. better-sqlite3 puts SQLite's extended
 * result code in `code` (SQLITE_FULL; SQLITE_BUSY when another process holds
 * the write lock beyond the busy timeout).
 */
export function classifyFailure(error: unknown): FailureKind {
  if (!(error instanceof Error)) return 'other';
  const code = String((error as { code?: unknown }).code ?? '');
  const message = error.message;
  if (code === '53100' || code === 'SQLITE_FULL' || code === 'ENOSPC' || /ENOSPC|database or disk is full|No space left on device/i.test(message)) return 'disk_full';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === '40P01' || code === '40001') return 'busy';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || CONNECTION_ERRNOS.has(code)) return 'connection';
  if (/Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|terminating connection/i.test(message)) return 'connection';
  return 'other';
}

/**
 * A write refused by a unique index (SQLite SQLITE_CONSTRAINT_UNIQUE or
 * _PRIMARYKEY, PostgreSQL 23505): the caller turns it into its own conflict
 * code (PHONE_TAKEN…). Only that write's savepoint is rolled back.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
