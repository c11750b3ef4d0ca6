/**
 * The console's blocked types: entries are extensions ("exe") or MIME types
 * ("application/x-msdownload", or "application/*"). A name is blocked by its
 * last extension; a type by an exact or a wildcard entry. Processing checks
 * the true type from the bytes as well.
 */

export function isBlockedName(name: string, blocked: readonly string[]): boolean {
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot === name.length - 1) return false;
  const extension = name.slice(dot + 1).trim().toLowerCase();
  return blocked.some((entry) => !entry.includes('/') && entry.replace(/^\./, '') === extension);
}

export function isBlockedType(mime: string, blocked: readonly string[]): boolean {
  const type = mime.split(';')[0]!.trim().toLowerCase();
  return blocked.some((entry) => entry.includes('/') && (entry === type || (entry.endsWith('/*') && type.startsWith(entry.slice(0, -1)))));
}
