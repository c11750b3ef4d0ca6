/** Mirrors DisplayNameSchema in the protocol, to say what is wrong before the server does. */
export function validateName(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return 'Enter your name so others know who joined.';
  if (trimmed.length > 64) return 'That name is too long (64 characters at most).';
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return 'That name contains characters that cannot be shown.';
  return null;
}
