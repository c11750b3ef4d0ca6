import type { MomentsErrorCode } from './protocol.ts';

export const MOMENTS_STATUS: Record<MomentsErrorCode, number> = {
  BAD_REQUEST: 400,
  // Files that are not 1–9 images or exactly one video, or not the author's own finished uploads, or expired.
  BAD_ATTACHMENTS: 400,
  UNAUTHORIZED: 401,
  // Guests cannot post; a post or comment you see but is not yours to change.
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  // The console's routes want an elevated admin (as the accounts and IM consoles do).
  SECOND_FACTOR_REQUIRED: 403,
  ALREADY_RESOLVED: 409,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
};

/** A refusal with a stable code and a readable message. */
export class MomentsError extends Error {
  readonly code: MomentsErrorCode;
  readonly status: number;
  readonly retryAfterSeconds?: number;

  constructor(code: MomentsErrorCode, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'MomentsError';
    this.code = code;
    this.status = MOMENTS_STATUS[code];
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export function isMomentsError(error: unknown, code?: MomentsErrorCode): error is MomentsError {
  return error instanceof MomentsError && (code === undefined || error.code === code);
}
