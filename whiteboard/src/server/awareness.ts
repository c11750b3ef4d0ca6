import * as decoding from 'lib0/decoding';
import { z } from 'zod';
import { BoardError } from '../protocol.ts';

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

const MAX_ENTRIES = 16;

/**
 * Reads a y-protocols awareness update (count, then per client: id, clock,
 * JSON state) and checks every state, so that nothing malformed is relayed to
 * the other browsers.
 */
export function decodeAwareness(update: Uint8Array): { clientId: number; clock: number; state: AwarenessState | null }[] {
  try {
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    if (count < 1 || count > MAX_ENTRIES) throw new BoardError('BAD_REQUEST', `an awareness update carries 1 to ${MAX_ENTRIES} states`);
    const entries = [];
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      const raw: unknown = JSON.parse(decoding.readVarString(decoder));
      if (raw === null) {
        entries.push({ clientId, clock, state: null });
        continue;
      }
      const parsed = AwarenessStateSchema.safeParse(raw);
      if (!parsed.success) throw new BoardError('BAD_REQUEST', `bad awareness state: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      entries.push({ clientId, clock, state: parsed.data });
    }
    if (decoding.hasContent(decoder)) throw new BoardError('BAD_REQUEST', 'trailing bytes after the awareness update');
    return entries;
  } catch (error) {
    if (error instanceof BoardError) throw error;
    throw new BoardError('BAD_REQUEST', 'not an awareness update');
  }
}
