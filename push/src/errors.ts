import type { PushErrorCode } from './protocol.ts';

export const PUSH_STATUS: Record<PushErrorCode, number> = {
  BAD_REQUEST: 400,
  // An endpoint that is no http(s) URL, carries credentials, or keys that are no P-256 point.
  ENDPOINT_INVALID: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  // The account has MAX_SUBSCRIPTIONS_PER_ACCOUNT: remove one (dead ones go by themselves).
  SUBSCRIPTION_LIMIT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
};

/** A refusal with a stable code and a readable message. */
export class PushError extends Error {
  readonly code: PushErrorCode;
  readonly status: number;

  constructor(code: PushErrorCode, message: string) {
    super(message);
    this.name = 'PushError';
    this.code = code;
    this.status = PUSH_STATUS[code];
  }
}

export function isPushError(error: unknown, code?: PushErrorCode): error is PushError {
  return error instanceof PushError && (code === undefined || error.code === code);
}
