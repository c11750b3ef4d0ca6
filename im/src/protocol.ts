/**
 * The IM REST protocol (contacts so far; conversations and messages next):
 * request bodies, replies and error codes as zod. The routes parse with
 * these and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { AvatarSchema } from '@muster/accounts/protocol';

export const IM_ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'ALREADY_CONTACTS',
  'REQUEST_EXPIRED',
  'REFUSED_BY_RECIPIENT',
  'TEXT_TOO_LONG',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL',
] as const;
export type ImErrorCode = (typeof IM_ERROR_CODES)[number];
export const ImErrorSchema = z
  .object({ error: z.object({ code: z.enum(IM_ERROR_CODES), message: z.string() }) })
  .meta({ id: 'ImError', description: 'A coded error; another person’s object is NOT_FOUND' });

export const UserIdSchema = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'not a user id');
const Text = (max: number) => z.string().trim().max(max).refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters');

export const ContactRequestBodySchema = z
  .object({ to: UserIdSchema, greeting: Text(100).optional().meta({ description: 'A line the other person reads with the request' }) })
  .strict()
  .meta({ id: 'ContactRequestBody' });
export const ContactUpdateSchema = z
  .object({
    remark: Text(40).nullable().optional().meta({ description: 'Your name for them, seen only by you (null or empty: none)' }),
    tags: z.array(Text(20).pipe(z.string().min(1))).max(20).optional(),
  })
  .strict()
  .meta({ id: 'ContactUpdate' });
export const ContactQuerySchema = z.object({ q: z.string().max(60).optional() }).strict();

const Person = z.object({ id: z.string(), nickname: z.string(), avatar: AvatarSchema, musterId: z.string().nullable() });

export const ContactRequestSchema = z
  .object({
    id: z.string(),
    from: Person,
    to: Person,
    greeting: z.string().nullable(),
    state: z.enum(['pending', 'accepted', 'declined', 'expired']),
    createdAt: z.number().int(),
    expiresAt: z.number().int(),
  })
  .meta({ id: 'ContactRequest' });
export type ContactRequestView = z.infer<typeof ContactRequestSchema>;

export const ContactSchema = z
  .object({
    userId: z.string(),
    nickname: z.string(),
    remark: z.string().nullable(),
    displayName: z.string().meta({ description: 'The remark if set, else the nickname' }),
    avatar: AvatarSchema,
    musterId: z.string().nullable(),
    tags: z.array(z.string()),
    letter: z.string().meta({ description: 'The A–Z index letter of the display name (pinyin for Chinese), # for others' }),
    since: z.number().int(),
  })
  .meta({ id: 'Contact' });
export type ContactView = z.infer<typeof ContactSchema>;

// ------------------------------------------------------------------ conversations and messages

/** Text is limited in bytes of UTF-8, not characters: 2048 bytes are 682 Chinese characters or 2048 Latin letters. */
export const MAX_TEXT_BYTES = 2048;
export const ConversationIdSchema = z.string().regex(/^cv[A-Za-z0-9_-]{8,40}$/, 'not a conversation id');
export const OpenConversationSchema = z.object({ userId: UserIdSchema }).strict().meta({ id: 'OpenConversation' });
export const SendMessageSchema = z
  .object({
    clientMsgId: z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/).meta({ description: 'The client\'s own id: a retried send with the same one returns the first message' }),
    type: z.literal('text'),
    text: z.string().min(1).max(MAX_TEXT_BYTES * 4),
    replyTo: z.string().max(64).nullable().optional(),
    mentions: z.array(UserIdSchema).max(100).optional(),
  })
  .strict()
  .meta({ id: 'SendMessage' });
export const MessagesQuerySchema = z
  .object({
    afterSeq: z.coerce.number().int().nonnegative().optional(),
    beforeSeq: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict();
export const ReadSchema = z.object({ seq: z.number().int().nonnegative() }).strict().meta({ id: 'MarkRead' });

/**
 * A system notice: a seq'd message of type `system` in the conversation it
 * concerns (a member joined, left or was removed; the group was renamed…).
 * Clients render it from `kind` and the people it names, in their own language.
 */
export const SYSTEM_NOTICE_KINDS = ['created', 'joined', 'left', 'removed', 'renamed', 'notice', 'owner', 'admin', 'muted', 'unmuted', 'recalled', 'dissolved', 'expiring', 'call'] as const;
export const SystemNoticeSchema = z
  .object({
    kind: z.enum(SYSTEM_NOTICE_KINDS),
    actorId: z.string().meta({ description: 'Who did it' }),
    userIds: z.array(z.string()).optional().meta({ description: 'Whom it concerns (joined, removed, admin…)' }),
    text: z.string().optional().meta({ description: 'A new name or notice' }),
    detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  })
  .meta({ id: 'SystemNotice' });
export type SystemNotice = z.infer<typeof SystemNoticeSchema>;

export const SentSchema = z.object({ id: z.string(), seq: z.number().int(), sentAt: z.number().int() }).meta({ id: 'Sent' });
export const MessageSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    seq: z.number().int(),
    senderId: z.string(),
    type: z.string(),
    text: z.string().optional(),
    replyTo: z.string().nullable().optional(),
    mentions: z.array(z.string()).optional(),
    notice: SystemNoticeSchema.optional().meta({ description: 'Type system: what happened' }),
    sentAt: z.number().int(),
  })
  .meta({ id: 'Message' });
export type MessageView = z.infer<typeof MessageSchema>;
export const ConversationSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['direct', 'group']),
    peer: z.object({ id: z.string(), nickname: z.string(), avatar: AvatarSchema, musterId: z.string().nullable() }).nullable().meta({ description: 'Direct conversations: the other person' }),
    name: z.string().nullable().meta({ description: 'Groups: the group’s name' }),
    lastSeq: z.number().int(),
    readSeq: z.number().int(),
    unread: z.number().int().nonnegative(),
    lastMessage: MessageSchema.nullable(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'Conversation' });
export type ConversationView = z.infer<typeof ConversationSchema>;

/** A group holds at most this many people, its owner included. */
export const MAX_GROUP_MEMBERS = 1000;
export const CreateGroupSchema = z
  .object({
    name: Text(60).pipe(z.string().min(1, 'a group needs a name')),
    members: z.array(UserIdSchema).min(1).max(MAX_GROUP_MEMBERS - 1).meta({ description: 'Your contacts to add (you are its owner)' }),
    temporary: z.boolean().optional().meta({ description: 'Cleared when idle (the console sets how long)' }),
  })
  .strict()
  .meta({ id: 'CreateGroup' });
export const GroupSchema = z
  .object({ id: z.string(), conversationId: z.string(), name: z.string(), members: z.number().int(), temporary: z.boolean(), createdAt: z.number().int() })
  .meta({ id: 'Group' });

// ------------------------------------------------------------------ socket protocol

/**
 * The IM socket protocol (on the signed-in `/account` connection): requests
 * acknowledged with `{ ok: true, data } | { ok: false, error: { code, message } }`,
 * mirroring the REST routes. A request may name `v`; another version is
 * refused with UNSUPPORTED_VERSION.
 */
export const IM_PROTOCOL_VERSION = 1;
const V = z.literal(IM_PROTOCOL_VERSION).optional();
export const ImRequests = {
  'im.send': SendMessageSchema.extend({ v: V, conversationId: ConversationIdSchema }).strict(),
  'im.read': ReadSchema.extend({ v: V, conversationId: ConversationIdSchema }).strict(),
  'im.messages': z
    .object({
      v: V,
      conversationId: ConversationIdSchema,
      afterSeq: z.number().int().nonnegative().optional(),
      beforeSeq: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(200).optional(),
    })
    .strict(),
} as const;
export type ImRequestName = keyof typeof ImRequests;
