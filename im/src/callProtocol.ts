/**
 * Calls from a chat: the REST bodies and replies, and what the live
 * `im.call.*` events carry. A one-to-one call runs in a private two-person
 * meeting room (`roomId`) that only its two people may join, signed in.
 */
import { z } from 'zod';
import { AvatarSchema } from '@muster/accounts/protocol';

/** A ringing call nobody answers is missed after this long. */
export const CALL_RING_MS = 45_000;
/** People rung at once from a group chat or a meeting. */
export const MAX_CALL_INVITEES = 50;

const UserId = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'not a user id');
const ConversationId = z.string().regex(/^cv[A-Za-z0-9_-]{8,40}$/, 'not a conversation id');
export const CallIdSchema = z.string().regex(/^ca[A-Za-z0-9_-]{16,40}$/, 'not a call id');

export const CALL_MEDIA = ['voice', 'video'] as const;
export type CallMedia = (typeof CALL_MEDIA)[number];
/**
 * `ringing` → `connected` → `ended`; or straight to an outcome: `missed` (no
 * answer in 45 s), `declined`, `cancelled` (the caller gave up), `busy` (the
 * callee was in another call). Group calls are `ringing` while their meeting
 * rings people; they end when the meeting does.
 */
export const CALL_STATES = ['ringing', 'connected', 'ended', 'missed', 'declined', 'cancelled', 'busy'] as const;
export type CallState = (typeof CALL_STATES)[number];
export const FINAL_CALL_STATES: readonly CallState[] = ['ended', 'missed', 'declined', 'cancelled', 'busy'];

export const StartCallSchema = z
  .object({
    conversationId: ConversationId,
    media: z.enum(CALL_MEDIA),
    invitees: z.array(UserId).min(1).max(MAX_CALL_INVITEES).optional().meta({ description: 'Group conversations: the members to ring (a meeting is started for them)' }),
  })
  .strict()
  .meta({ id: 'StartCall' });

export const InviteToMeetingSchema = z
  .object({
    userIds: z.array(UserId).max(MAX_CALL_INVITEES).optional().meta({ description: 'Contacts to ring' }),
    groupIds: z.array(ConversationId).max(10).optional().meta({ description: 'Your groups: their members are rung (at most 50 people in all)' }),
    media: z.enum(CALL_MEDIA).optional(),
  })
  .strict()
  .refine((b) => (b.userIds?.length ?? 0) + (b.groupIds?.length ?? 0) > 0, 'name someone to invite')
  .meta({ id: 'InviteToMeeting' });

const CallPerson = z.object({ id: z.string(), nickname: z.string(), avatar: AvatarSchema });
export type CallPersonView = z.infer<typeof CallPerson>;

export const CallSchema = z
  .object({
    id: z.string(),
    conversationId: z.string().nullable().meta({ description: 'The chat it was started from (null: an invitation from a meeting)' }),
    kind: z.enum(['direct', 'group']),
    media: z.enum(CALL_MEDIA),
    state: z.enum(CALL_STATES),
    caller: CallPerson,
    calleeId: z.string().nullable().meta({ description: 'One-to-one calls: the person called' }),
    invitees: z.array(z.string()).optional().meta({ description: 'Group calls: the people rung' }),
    roomId: z.string().nullable().meta({ description: 'The meeting room the call runs in: a private two-person room for a one-to-one call (join it signed in), the meeting for a group call; null once it ended or when busy' }),
    link: z.string().nullable().meta({ description: 'Group calls: the meeting’s path' }),
    createdAt: z.number().int(),
    ringsUntil: z.number().int().meta({ description: 'When an unanswered call is missed' }),
    answeredAt: z.number().int().nullable(),
    endedAt: z.number().int().nullable(),
    durationMs: z.number().int().nullable().meta({ description: 'Ended calls: from answer to hang-up' }),
    endedBy: z.string().nullable().meta({ description: 'Who hung up, declined or cancelled (null: missed, busy, or the server)' }),
  })
  .meta({ id: 'Call' });
export type CallView = z.infer<typeof CallSchema>;

/** What a call leaves in the chat: a system notice of kind `call` whose `detail` is this. */
export interface CallRecordDetail {
  [key: string]: string | number | boolean | null;
  callId: string;
  media: CallMedia;
  outcome: 'ended' | 'missed' | 'declined' | 'cancelled' | 'busy';
  calleeId: string | null;
  durationMs: number | null;
}

/** The live call events (on the `/account` socket, to the people named). */
export interface CallEventMap {
  /** To every device of the callee (and each group invitee): ring, show the caller. `roomId` lets a device pre-connect while it rings. */
  'im.call.ring': { callId: string; conversationId: string | null; kind: 'direct' | 'group'; media: CallMedia; caller: CallPersonView; roomId: string | null; link: string | null; ringsUntil: number };
  /** Stop ringing: another device answered (`answered-elsewhere`), the callee declined on another device, the caller cancelled, or no answer. */
  'im.call.stop': { callId: string; reason: 'answered-elsewhere' | 'declined' | 'cancelled' | 'missed' | 'ended' };
  /** The callee accepted: to both people's devices (the caller's connect; the callee's others stop ringing). */
  'im.call.accepted': { callId: string; roomId: string; answeredAt: number };
  /** The call is over, whatever the outcome: to both people's devices. */
  'im.call.ended': CallView;
}
