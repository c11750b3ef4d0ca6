/**
 * Form checks for the account pages: what is wrong before the server says
 * so. They mirror the accounts protocol's schemas (accounts/src/protocol.ts)
 * without bundling zod; the server stays the judge.
 */

/** Digits, spaces, dashes, dots, brackets and a leading +; 5 to 20 digits. */
export function phoneProblem(phone: string): string | null {
  const trimmed = phone.trim();
  if (!trimmed) return 'Enter your phone number.';
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return 'A phone number has only digits (and +, spaces or dashes).';
  const digits = trimmed.replace(/\D/g, '').length;
  if (digits < 5 || digits > 20) return 'That phone number is too short or too long.';
  return null;
}

export const MIN_PASSWORD = 8;

export function passwordProblem(password: string): string | null {
  if (!password) return 'Enter a password.';
  if (password.length < MIN_PASSWORD) return `A password has at least ${MIN_PASSWORD} characters.`;
  if (password.length > 256) return 'That password is too long.';
  return null;
}

export function codeProblem(code: string): string | null {
  return /^\d{6}$/.test(code.trim()) ? null : 'The code is the 6 digits sent to your phone.';
}

export function nicknameProblem(nickname: string): string | null {
  const trimmed = nickname.trim();
  if (!trimmed) return 'Enter the name others will see.';
  if (trimmed.length > 40) return 'A name has at most 40 characters.';
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return 'That name has characters that cannot be shown.';
  return null;
}

export function musterIdProblem(id: string): string | null {
  return /^[A-Za-z][A-Za-z0-9_-]{3,19}$/.test(id.trim()) ? null : 'A Muster ID is 4–20 letters, digits, _ or -, starting with a letter.';
}

/** The first problem of several checks, or null. */
export function firstProblem(...problems: (string | null)[]): string | null {
  return problems.find((p) => p !== null) ?? null;
}

/** How long to wait before another code may be asked for (the server also limits it). */
export const RESEND_SECONDS = 60;

/** The "send code" button's label: "Send code", or "Resend in 42 s" while the countdown runs. */
export function codeButtonLabel(secondsLeft: number, sentBefore: boolean): string {
  if (secondsLeft > 0) return `Resend in ${secondsLeft} s`;
  return sentBefore ? 'Resend code' : 'Send code';
}

/** Seconds left until `until` (ms since epoch), never negative. */
export function secondsUntil(until: number, now: number): number {
  return Math.max(0, Math.ceil((until - now) / 1000));
}
