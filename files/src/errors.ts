import type { FilesErrorCode } from './protocol.ts';

export const FILES_STATUS: Record<FilesErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  // A file you may not read answers as one that does not exist: nothing tells the two apart.
  NOT_FOUND: 404,
  // The console's routes want an elevated admin (as the accounts and IM consoles do).
  SECOND_FACTOR_REQUIRED: 403,
  // Retention deleted its bytes; its name and kind remain for the messages that show it as expired.
  FILE_EXPIRED: 410,
  // The admin blocked the type (by its true type or by the name's extension).
  FILE_TYPE_BLOCKED: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  // The storage under the files refused a write (disk full): this upload stops, others go on.
  STORAGE_FULL: 507,
  // Too many upload creations or link requests from one account (Retry-After says when to try again).
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

/** A refusal with a stable code and a readable message. */
export class FilesError extends Error {
  readonly code: FilesErrorCode;
  readonly status: number;
  /** RATE_LIMITED: whole seconds until a retry may pass (the Retry-After header). */
  readonly retryAfterSeconds?: number;

  constructor(code: FilesErrorCode, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options);
    this.name = 'FilesError';
    this.code = code;
    this.status = FILES_STATUS[code];
    if (options?.retryAfterMs !== undefined) this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterMs / 1000));
  }

  /** The JSON body every files reply carries on an error (tus replies too). */
  toJson(): string {
    return JSON.stringify({ error: { code: this.code, message: this.message } });
  }
}

export function isFilesError(error: unknown, code?: FilesErrorCode): error is FilesError {
  return error instanceof FilesError && (code === undefined || error.code === code);
}

/** Whether an error is the storage refusing a write for lack of space (disk, quota). */
export function isStorageFull(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
