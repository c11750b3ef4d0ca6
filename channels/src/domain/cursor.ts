import { ChannelsError } from '../errors.ts';

/**
 * Listing cursors: the sort key of a page's last item, as opaque base64url
 * JSON. A cursor is only a position (no access is granted by one): a forged
 * one lists what the caller could list anyway.
 */
export function encodeCursor(key: readonly (string | number | boolean)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key inside a cursor, checked against the listing's shape; BAD_REQUEST otherwise. */
export function decodeCursor<T extends readonly ('string' | 'number' | 'boolean')[]>(cursor: string | undefined, shape: T): { [K in keyof T]: T[K] extends 'string' ? string : T[K] extends 'number' ? number : boolean } | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const fits = Array.isArray(key) && key.length === shape.length && key.every((v, i) => typeof v === shape[i] && (typeof v !== 'number' || Number.isSafeInteger(v)) && (typeof v !== 'string' || v.length <= 64));
  if (!fits) throw new ChannelsError('BAD_REQUEST', 'before: not a cursor of this listing (use the previous page’s next)');
  return key as never;
}
