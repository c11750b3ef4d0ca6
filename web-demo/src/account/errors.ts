import type { AccountErrorCode } from '@muster/accounts/client';

/**
 * What to tell a person about a refused account request, from its stable
 * code. The server's message is often the best words (it names the tries
 * left, the field that is wrong), so it is used where it is specific; the
 * codes that need a next step get one.
 */
export function accountErrorText(error: unknown): string {
  const e = error as { code?: AccountErrorCode | 'NETWORK'; message?: string; retryAfterSeconds?: number } | null;
  const message = e?.message?.trim() ?? '';
  const wait = e?.retryAfterSeconds ? ` Try again in ${waitText(e.retryAfterSeconds)}.` : '';
  switch (e?.code) {
    case 'NETWORK':
      return 'The server could not be reached. Check your connection and try again.';
    case 'INVALID_CREDENTIALS':
      return message ? capitalise(message) : 'That phone number and password do not match.';
    case 'CODE_REQUIRED':
      return 'Sign-up needs the code sent to your phone: press “Send code”, then enter it.';
    case 'PASSWORD_REQUIRED':
      return 'Choose a password (or sign up with a code).';
    case 'PHONE_TAKEN':
      return 'An account with this phone number exists. Log in instead.';
    case 'PHONE_INVALID':
      return 'That is not a phone number we can send to. Check it, with the country code if it is abroad.';
    case 'RATE_LIMITED':
      return `Too many attempts.${wait || ' Wait a moment and try again.'}`;
    case 'ACCOUNT_LOCKED':
      return `This account is locked after too many wrong passwords.${wait} You can still log in with a code.`;
    case 'ACCOUNT_DISABLED':
      return 'This account has been disabled. Ask your administrator.';
    case 'ACCOUNT_PENDING':
      return 'This account waits for an administrator to approve it.';
    case 'ACCOUNT_EXPIRED':
      return 'This guest account has expired.';
    case 'LINK_INVALID':
      return 'This link is not valid any more (used, or too old). Ask for a new one.';
    case 'CODE_DELIVERY_FAILED':
      return 'The code could not be sent. Try again in a moment.';
    case 'PAYLOAD_TOO_LARGE':
      return 'That file is too large.';
    case 'IMAGE_INVALID':
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'That file is not an image we can use (JPEG, PNG or WebP).';
    case 'INTERNAL':
      return 'Something went wrong on the server. Try again.';
    default:
      return message ? capitalise(message) : 'That did not work. Try again.';
  }
}

/** Why /login is shown after the server signed this device out. */
export function signedOutMessage(reason: string): string {
  switch (reason) {
    case 'expired':
      return 'Your session has ended. Log in again.';
    case 'password-changed':
      return 'Your password was changed on another device, so this one was signed out.';
    case 'password-reset':
      return 'Your password was reset, so every device was signed out.';
    case 'token-reused':
      return 'This device was signed out for safety: its session was used from two places.';
    case 'disabled':
      return 'Your account has been disabled.';
    case 'deleted':
      return 'Your account has been deleted.';
    default:
      return 'This device was signed out from another device.';
  }
}

/** "42 seconds", "3 minutes", "2 hours". */
export function waitText(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} seconds`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} minutes`;
  return `${Math.round(seconds / 3600)} hours`;
}

function capitalise(text: string): string {
  const t = text.endsWith('.') ? text : `${text}.`;
  return t.charAt(0).toUpperCase() + t.slice(1);
}
