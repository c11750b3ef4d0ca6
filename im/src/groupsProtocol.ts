/**
 * The group administration protocol (REST bodies and replies, socket
 * requests, the console's routes) as zod; creation's CreateGroup and the
 * Group reply are in protocol.ts beside the conversation they make.
 */
import { z } from 'zod';
import { AvatarSchema } from '@muster/accounts/protocol';
import { GroupSchema, IM_PROTOCOL_VERSION, MAX_GROUP_MEMBERS, Text, UserIdSchema } from './protocol.ts';

/** A temporary group is cleared after this many days without a message unless the console says otherwise. */
export const DEFAULT_TEMPORARY_GROUP_IDLE_DAYS = 30;
/** Members hear a temporary group is about to be cleared this long before. */
export const EXPIRY_NOTICE_MS = 3 * 24 * 3600_000;
/** Group names and notices. */
export const MAX_GROUP_NAME = 60;
export const MAX_GROUP_NOTICE = 2000;

export const GroupIdSchema = z.string().regex(/^cv[A-Za-z0-9_-]{8,40}$/, 'not a group id');
export const JoinRequestIdSchema = z.string().regex(/^gj[A-Za-z0-9_-]{8,40}$/, 'not a join request id');

/** The notice may hold line breaks (an announcement has paragraphs); other control characters no. */
const Notice = z
  .string()
  .trim()
  .max(MAX_GROUP_NOTICE)
  .refine((s) => !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(s), 'no control characters but line breaks');

const GroupChange = {
  name: Text(MAX_GROUP_NAME).pipe(z.string().min(1, 'a group needs a name')).optional(),
  notice: Notice.optional().meta({ description: 'The announcement (empty: none)' }),
  joinApproval: z.boolean().optional().meta({ description: 'A plain member’s invitation waits for the owner or an admin' }),
  muteAll: z.boolean().optional().meta({ description: 'Only the owner and admins may send' }),
  exportAdminsOnly: z.boolean().optional().meta({ description: 'Only the owner and admins may export the chat as minutes' }),
};
const somethingToChange = (b: Record<string, unknown>) => ['name', 'notice', 'joinApproval', 'muteAll', 'exportAdminsOnly'].some((k) => b[k] !== undefined);
export const UpdateGroupSchema = z.object(GroupChange).strict().refine(somethingToChange, 'nothing to change').meta({ id: 'UpdateGroup' });
export const InviteSchema = z
  .object({ userIds: z.array(UserIdSchema).min(1).max(MAX_GROUP_MEMBERS - 1).meta({ description: 'Your contacts to bring in' }) })
  .strict()
  .meta({ id: 'InviteToGroup' });
export const InvitedSchema = z
  .object({
    added: z.array(z.string()).meta({ description: 'In the group now' }),
    requested: z.array(z.string()).meta({ description: 'Join approval: waiting for the owner or an admin' }),
  })
  .meta({ id: 'Invited' });
export const TransferSchema = z.object({ userId: UserIdSchema }).strict().meta({ id: 'TransferGroup' });
export const MuteSchema = z
  .object({ until: z.number().int().positive().optional().meta({ description: 'Unix ms in the future; absent: until unmuted' }) })
  .strict()
  .meta({ id: 'MuteMember' });
export const GroupQuerySchema = z.object({ q: z.string().max(60).optional() }).strict();

export const GroupMemberSchema = z
  .object({
    userId: z.string(),
    nickname: z.string(),
    displayName: z.string().meta({ description: 'Your remark for them if you set one, else their nickname' }),
    avatar: AvatarSchema,
    role: z.enum(['owner', 'admin', 'member']),
    joinedAt: z.number().int(),
    mutedUntil: z.number().int().nullable().optional().meta({ description: 'Muted: until then (null: until unmuted); absent when not muted' }),
  })
  .meta({ id: 'GroupMember' });
export const GroupDetailsSchema = GroupSchema.extend({
  memberList: z.array(GroupMemberSchema).meta({ description: 'Owner first, then admins, then members by when they joined (filtered by q)' }),
}).meta({ id: 'GroupDetails' });
export type GroupDetailsView = z.infer<typeof GroupDetailsSchema>;
export type GroupMemberView = z.infer<typeof GroupMemberSchema>;

export const JoinRequestSchema = z
  .object({
    id: z.string(),
    groupId: z.string(),
    user: z.object({ id: z.string(), nickname: z.string(), avatar: AvatarSchema }),
    inviterId: z.string(),
    createdAt: z.number().int(),
  })
  .meta({ id: 'GroupJoinRequest' });
export type JoinRequestView = z.infer<typeof JoinRequestSchema>;

// ------------------------------------------------------------------ the console

export const ImAdminSettingsSchema = z
  .object({ temporaryGroupIdleDays: z.number().int().min(1).max(3650).meta({ description: 'A temporary group without a message for this many days is cleared (default 30)' }) })
  .meta({ id: 'ImAdminSettings' });
export type ImAdminSettings = z.infer<typeof ImAdminSettingsSchema>;
export const ImAdminSettingsUpdateSchema = ImAdminSettingsSchema.strict().meta({ id: 'ImAdminSettingsUpdate' });
export const TemporaryGroupSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    members: z.number().int(),
    createdAt: z.number().int(),
    lastMessageAt: z.number().int().nullable().meta({ description: 'The last message people sent (notices do not count)' }),
    expiresAt: z.number().int().nullable(),
    clearsAt: z.number().int().meta({ description: 'When the sweeper clears it unless someone writes' }),
    noticeSent: z.boolean().meta({ description: 'Members were told it is expiring' }),
  })
  .meta({ id: 'TemporaryGroup' });
export type TemporaryGroupView = z.infer<typeof TemporaryGroupSchema>;

// ------------------------------------------------------------------ live events

export const GROUP_CHANGES = ['created', 'joined', 'left', 'removed', 'renamed', 'notice', 'settings', 'owner', 'admin', 'muted', 'unmuted', 'request', 'dissolved', 'cleared', 'avatar'] as const;
/**
 * `im.group`: a group's new info, to its members when its info, roles or
 * membership change; also once to whoever just left or was removed (then
 * nothing more), and `request` to its owner and admins when a join request waits.
 */
export const GroupEventSchema = z
  .object({
    group: GroupSchema,
    change: z.enum(GROUP_CHANGES),
    actorId: z.string(),
    userIds: z.array(z.string()).optional().meta({ description: 'Whom it concerns (joined, removed, admin, muted…)' }),
  })
  .meta({ id: 'GroupEvent' });
export type GroupEvent = z.infer<typeof GroupEventSchema>;

// ------------------------------------------------------------------ socket requests

const V = z.literal(IM_PROTOCOL_VERSION).optional();
/**
 * The everyday group actions on the signed-in socket (the gateway serves
 * them with the IM requests), mirroring their REST routes: same rules, same codes.
 */
export const GroupRequests = {
  'im.group.get': z.object({ v: V, groupId: GroupIdSchema, q: z.string().max(60).optional() }).strict(),
  'im.group.update': z.object({ v: V, groupId: GroupIdSchema, ...GroupChange }).strict().refine(somethingToChange, 'nothing to change'),
  'im.group.invite': z.object({ v: V, groupId: GroupIdSchema, userIds: InviteSchema.shape.userIds }).strict(),
  'im.group.remove': z.object({ v: V, groupId: GroupIdSchema, userId: UserIdSchema }).strict(),
  'im.group.leave': z.object({ v: V, groupId: GroupIdSchema }).strict(),
  'im.group.mute': z.object({ v: V, groupId: GroupIdSchema, userId: UserIdSchema, until: MuteSchema.shape.until }).strict(),
  'im.group.unmute': z.object({ v: V, groupId: GroupIdSchema, userId: UserIdSchema }).strict(),
} as const;
