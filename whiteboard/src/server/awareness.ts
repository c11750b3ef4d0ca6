import * as decoding from 'lib0/decoding';
import { z } from 'zod';
import { BoardError } from '../protocol.ts';
import { MAX_CLIENT_ID } from '../model/scanUpdate.ts';
import { jsonDepthWithin } from '@muster/kit/json-depth';

/** What a client may say about itself in awareness: who it is, where its cursor is, what it has selected. */
export const AwarenessStateSchema = z
  .object({
    user: z.object({ id: z.string().max(80), name: z.string().max(64), color: z.string().max(32) }).strict(),
    cursor: z.object({ x: z.number().finite(), y: z.number().finite(), page: z.string().max(40) }).strict().nullable().optional(),
    selection: z.array(z.string().max(40)).max(500).optional(),
    tool: z.string().max(32).optional(),
  })
  .strict();
export type AwarenessState = z.infer<typeof AwarenessStateSchema>;

/** States in one awareness update (a browser sends its own, one). */
export const MAX_AWARENESS_ENTRIES = 16;
/** One state's JSON: the largest valid state (500 selected ids of 40 characters) is about 22 KB. */
export const MAX_AWARENESS_STATE_BYTES = 32 * 1024;
/** The valid state nests 3 deep (state, cursor/user/selection). */
const MAX_AWARENESS_DEPTH = 4;
/** Awareness client ids one connection may speak for on one board (a browser has one per document). */
export const MAX_AWARENESS_CLIENTS_PER_MEMBER = 4;

/**
 * Reads a y-protocols awareness update (count, then per client: id, clock,
 * JSON state) and checks every state, so that nothing malformed is relayed to
 * the other browsers. Bounds, each checked before the thing it bounds is read:
 * the whole update is at most `MAX_AWARENESS_BYTES` (protocol schema); at most
 * `MAX_AWARENESS_ENTRIES` states; client ids uint32, clocks safe integers;
 * each state's JSON at most `MAX_AWARENESS_STATE_BYTES` and nested at most
 * `MAX_AWARENESS_DEPTH` before `JSON.parse` sees it; nothing after the last
 * state. y-protocols then reads the same bytes.
 */
export function decodeAwareness(update: Uint8Array): { clientId: number; clock: number; state: AwarenessState | null }[] {
  const bad = (message: string) => new BoardError('BAD_REQUEST', message);
  const decoder = decoding.createDecoder(update);
  const readNumber = (max: number, what: string) => {
    let value: number;
    try {
      value = decoding.readVarUint(decoder);
    } catch {
      throw bad(`not an awareness update (${what})`);
    }
    if (!Number.isSafeInteger(value) || value > max) throw bad(`awareness ${what} out of range`);
    return value;
  };
  const count = readNumber(Number.MAX_SAFE_INTEGER, 'count');
  if (count < 1 || count > MAX_AWARENESS_ENTRIES) throw bad(`an awareness update carries 1 to ${MAX_AWARENESS_ENTRIES} states`);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const clientId = readNumber(MAX_CLIENT_ID, 'client id');
    const clock = readNumber(Number.MAX_SAFE_INTEGER, 'clock');
    const start = decoder.pos;
    const length = readNumber(MAX_AWARENESS_STATE_BYTES, 'state size');
    if (length > decoder.arr.length - decoder.pos) throw bad('not an awareness update (truncated state)');
    decoder.pos = start;
    let text: string;
    try {
      text = decoding.readVarString(decoder);
    } catch {
      throw bad('awareness state is not UTF-8');
    }
    if (!jsonDepthWithin(text, MAX_AWARENESS_DEPTH)) throw bad('awareness state nests too deep');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw bad('awareness state is not JSON');
    }
    if (raw === null) {
      entries.push({ clientId, clock, state: null });
      continue;
    }
    const parsed = AwarenessStateSchema.safeParse(raw);
    if (!parsed.success) throw bad(`bad awareness state: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    entries.push({ clientId, clock, state: parsed.data });
  }
  if (decoding.hasContent(decoder)) throw bad('trailing bytes after the awareness update');
  return entries;
}
