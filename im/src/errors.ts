import type { ImErrorCode } from './protocol.ts';

export const IM_STATUS: Record<ImErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ALREADY_CONTACTS: 409,
  REQUEST_EXPIRED: 409,
  REFUSED_BY_RECIPIENT: 403,
  TEXT_TOO_LONG: 400,
  RECALL_WINDOW_PASSED: 409,
  // The sync token lapsed (unused for 7 days) or fell behind: start over without `since`.
  SYNC_TOKEN_EXPIRED: 410,
  // Groups: muted (one member, or everyone but the owner and admins); dissolved (gone for good); full (1000 people).
  MUTED: 403,
  GROUP_DISSOLVED: 410,
  GROUP_FULL: 409,
  // The console's routes want an elevated admin (as the accounts console does).
  SECOND_FACTOR_REQUIRED: 403,
  // Calls: the call is past what was asked (accepting a cancelled call, hanging up one that rings); you are in another call.
  CALL_STATE: 409,
  IN_CALL: 409,
  RATE_LIMITED: 429,
  // The process has as many sends in flight as it takes (maxSendsInFlight): refused at once, nothing stored; retry after Retry-After.
  BUSY: 503,
  // Several server processes: the one holding what was asked (a call) did not answer in time, or the shared store is away; retry.
  UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // A group avatar upload that is not an image Muster reads (as accounts' IMAGE_INVALID).
  IMAGE_INVALID: 400,
  // Media messages: a voice message over 60 s; a file sent as a type its bytes are not (an image that is not one);
  // a file the retention period deleted (it cannot be sent or forwarded again).
  VOICE_TOO_LONG: 400,
  WRONG_FILE_KIND: 415,
  FILE_EXPIRED: 410,
  // Chat export: more messages in the range than one export takes (narrow the range); a PDF asked of a
  // server with no CJK font installed (fonts-noto-cjk, or MUSTER_CJK_FONT; DOCX and Markdown still work).
  EXPORT_TOO_LARGE: 400,
  EXPORT_FONT_MISSING: 503,
  INTERNAL: 500,
};

/** A refusal with a stable code and a readable message. */
export class ImError extends Error {
  readonly code: ImErrorCode;
  readonly status: number;
  readonly retryAfterSeconds?: number;

  constructor(code: ImErrorCode, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ImError';
    this.code = code;
    this.status = IM_STATUS[code];
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export function isImError(error: unknown, code?: ImErrorCode): error is ImError {
  return error instanceof ImError && (code === undefined || error.code === code);
}
