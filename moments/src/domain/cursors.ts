import { MomentsError } from '../errors.ts';

/** A place in an order by (time, id): what `next` carries, base64url of JSON, opaque to clients. */
export interface TimeCursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(at: TimeCursor): string {
  return Buffer.from(JSON.stringify([at.createdAt, at.id]), 'utf8').toString('base64url');
}

/** BAD_REQUEST for anything a `next` never was. */
export function decodeCursor(value: string): TimeCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[0]) && (parsed[0] as number) >= 0 && typeof parsed[1] === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(parsed[1])) {
      return { createdAt: parsed[0] as number, id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw new MomentsError('BAD_REQUEST', 'not a cursor: give the `next` of the previous page');
}
