import type { ChannelsErrorCode } from './protocol.ts';

export const CHANNELS_STATUS: Record<ChannelsErrorCode, number> = {
  BAD_REQUEST: 400,
  // An article's document does not pass the schema (validateDocument), or names a file the publisher may not attach.
  BAD_DOCUMENT: 400,
  UNAUTHORIZED: 401,
  // Visible, but not yours to do (a reader approving a comment; a guest subscribing).
  FORBIDDEN: 403,
  // Creating or changing accounts is the console's: an admin whose elevation is current (as IM's console routes).
  SECOND_FACTOR_REQUIRED: 403,
  // The editors turned comments off for this article.
  COMMENTS_CLOSED: 403,
  NOT_FOUND: 404,
  // Another live account has this name.
  NAME_TAKEN: 409,
  // Pinning a comment not yet approved.
  COMMENT_PENDING: 409,
  // The account published its daily cap in the last 24 hours: retry after Retry-After.
  DAILY_CAP_REACHED: 429,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
};

/** A refusal with a stable code and a readable message. */
export class ChannelsError extends Error {
  readonly code: ChannelsErrorCode;
  readonly status: number;
  readonly retryAfterSeconds?: number;

  constructor(code: ChannelsErrorCode, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ChannelsError';
    this.code = code;
    this.status = CHANNELS_STATUS[code];
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export function isChannelsError(error: unknown, code?: ChannelsErrorCode): error is ChannelsError {
  return error instanceof ChannelsError && (code === undefined || error.code === code);
}
