/**
 * The zod parsers of longlink's client frames (protocol.ts), for gateways.
 * Apart from the protocol file so that clients, which only send these,
 * bundle no zod through it. Exported as `@muster/kit/longlink/frames`.
 */
import { z } from 'zod';
import type { ClientFrame as ClientFrameType } from './protocol.ts';

const RequestId = z.number().int().min(0).max(2 ** 31);

export const HelloFrame = z.object({
  t: z.literal('hello'),
  v: z.number().int(),
  token: z.string().min(1).max(2000),
  client: z.string().max(64).optional(),
});
export const RequestFrame = z.object({
  t: z.literal('req'),
  id: RequestId,
  e: z.string().min(1).max(64),
  d: z.unknown().optional(),
});
export const PingFrame = z.object({ t: z.literal('ping') });
export const ClientFrame: z.ZodType<ClientFrameType> = z.discriminatedUnion('t', [HelloFrame, RequestFrame, PingFrame]);
