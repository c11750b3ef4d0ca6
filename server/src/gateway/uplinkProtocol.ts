/**
 * The uplink, version 1: what a gateway process and the app process of the
 * same host say to each other, over one WebSocket on loopback
 * (`/internal/uplink`, `Authorization: Bearer <MUSTER_INTERNAL_SECRET>`).
 *
 * The gateway holds connections and relays; the app holds the domains
 * (accounts, IM) and their rules. So the app keeps no state per connection:
 * a request arrives with the principal the gateway authenticated it as (the
 * gateway asked the app, `auth`, when the connection said hello), and the
 * app keeps only which gateway holds which accounts, to route live events
 * there and nowhere else.
 *
 * Both sides validate what they receive (a bug in one must not become a
 * crash in the other), with these schemas.
 */
import { z } from 'zod';

export const UPLINK_VERSION = 1;
export const UPLINK_PATH = '/internal/uplink';

const Rid = z.number().int().min(0);
/**
 * When the gateway stops waiting for the answer (ms since the epoch, on the
 * host's clock, which both ends share: the uplink is on loopback). The app
 * drops a request it reaches after that unanswered: a starved app that did
 * work nobody waits for any more fell further behind with every retry, and
 * never caught up (a 600k run stalled at 360,718 with 528,432 sign-ins
 * retried after GOING_AWAY).
 */
const Until = z.number().optional();
const Id = z.string().min(1).max(128);

export const PrincipalSchema = z.object({
  accountId: Id,
  sessionId: Id,
  role: z.enum(['user', 'admin', 'guest']),
  elevatedUntil: z.number().optional(),
});

// ---------------------------------------------------------------- gateway → app

export const GatewayMessage = z.discriminatedUnion('t', [
  /** Who this gateway is; first on every uplink (the app forgets what a gateway's earlier uplink attached). */
  z.object({ t: z.literal('hello'), v: z.number().int(), gatewayId: Id }),
  /** Check a hello's access token. */
  z.object({ t: z.literal('auth'), rid: Rid, token: z.string().max(2000), until: Until }),
  /** One more connection of each of these accounts is held here (their live events come through this gateway). Batched. */
  z.object({ t: z.literal('attach'), accounts: z.array(Id).max(20_000) }),
  /** One connection fewer of each. Batched. */
  z.object({ t: z.literal('detach'), accounts: z.array(Id).max(20_000) }),
  /** Its figures, every few seconds (the app's /metrics shows them). */
  z.object({ t: z.literal('stats'), connections: z.number().int().min(0), signedIn: z.number().int().min(0), heapUsed: z.number().min(0), rss: z.number().min(0) }),
  /** A client's request, to run through the IM gateway pipeline as that principal. */
  z.object({ t: z.literal('req'), rid: Rid, conn: Id, principal: PrincipalSchema, e: z.string().max(64), d: z.unknown().optional(), until: Until }),
]);
export type GatewayMessage = z.infer<typeof GatewayMessage>;

// ---------------------------------------------------------------- app → gateway

export type AppMessage =
  | { t: 'auth'; rid: number; principal: z.infer<typeof PrincipalSchema> | null }
  | { t: 'res'; rid: number; reply: unknown }
  /** A live event for every connection of these accounts held by this gateway. */
  | { t: 'deliver'; to: string[]; e: string; d: unknown }
  /** An event for every connection. */
  | { t: 'broadcast'; e: string; d: unknown }
  /** These devices were signed out: their connections close. */
  | { t: 'revoke'; sessions: string[]; reason: string };

export const AppMessageSchema: z.ZodType<AppMessage> = z.discriminatedUnion('t', [
  z.object({ t: z.literal('auth'), rid: Rid, principal: PrincipalSchema.nullable() }),
  z.object({ t: z.literal('res'), rid: Rid, reply: z.unknown() }),
  z.object({ t: z.literal('deliver'), to: z.array(Id), e: z.string(), d: z.unknown() }),
  z.object({ t: z.literal('broadcast'), e: z.string(), d: z.unknown() }),
  z.object({ t: z.literal('revoke'), sessions: z.array(Id), reason: z.string() }),
]) as z.ZodType<AppMessage>;
