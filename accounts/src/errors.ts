import type { AccountErrorCode } from './protocol.ts';

/** The HTTP status each code answers with. */
export const STATUS_OF: Record<AccountErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  CODE_EXPIRED: 401,
  CODE_INVALID: 401,
  CODE_REQUIRED: 400,
  CODE_DELIVERY_FAILED: 502,
  RATE_LIMITED: 429,
  ACCOUNT_LOCKED: 423,
  ACCOUNT_DISABLED: 403,
  ACCOUNT_PENDING: 403,
  ACCOUNT_EXPIRED: 403,
  PHONE_TAKEN: 409,
  PHONE_INVALID: 400,
  PASSWORD_WEAK: 400,
  PASSWORD_REQUIRED: 400,
  MUSTER_ID_TAKEN: 409,
  MUSTER_ID_TOO_SOON: 409,
  LINK_INVALID: 401,
  SECOND_FACTOR_REQUIRED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  IMAGE_INVALID: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
};

/** A refusal the caller can act on: a stable code, a readable message, and when to retry. */
export class AccountError extends Error {
  readonly code: AccountErrorCode;
  readonly status: number;
  /** RATE_LIMITED, ACCOUNT_LOCKED: seconds until trying again makes sense. */
  readonly retryAfterSeconds?: number;

  constructor(code: AccountErrorCode, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'AccountError';
    this.code = code;
    this.status = STATUS_OF[code];
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export function isAccountError(error: unknown, code?: AccountErrorCode): error is AccountError {
  return error instanceof AccountError && (code === undefined || error.code === code);
}
