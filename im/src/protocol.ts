/**
 * The IM REST protocol (contacts so far; conversations and messages next):
 * request bodies, replies and error codes as zod. The routes parse with
 * these and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { FileIdSchema, FileViewSchema as FileSchema } from '@muster/files/protocol';
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
  'RECALL_WINDOW_PASSED',
  'SYNC_TOKEN_EXPIRED',
  'MUTED',
  'GROUP_DISSOLVED',
  'GROUP_FULL',
  'SECOND_FACTOR_REQUIRED',
  'CALL_STATE',
  'IN_CALL',
  'RATE_LIMITED',
  'BUSY',
  'UNAVAILABLE',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'IMAGE_INVALID',
  'VOICE_TOO_LONG',
  'WRONG_FILE_KIND',
  'FILE_EXPIRED',
  'EXPORT_TOO_LARGE',
  'EXPORT_FONT_MISSING',
  'INTERNAL',
] as const;
export type ImErrorCode = (typeof IM_ERROR_CODES)[number];
export const ImErrorSchema = z
  .object({ error: z.object({ code: z.enum(IM_ERROR_CODES), message: z.string() }) })
  .meta({ id: 'ImError', description: 'A coded error; another person’s object is NOT_FOUND' });

export const UserIdSchema = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'not a user id');
/** Trimmed single-line text of at most `max` characters. */
export const Text = (max: number) => z.string().trim().max(max).refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters');

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
export const MessageIdSchema = z.string().regex(/^msg[A-Za-z0-9_-]{8,40}$/, 'not a message id');
/**
 * Every message type. People send `text` and `emoji`, and the media types:
 * `image | video | voice | file`, each a text-less body naming one uploaded
 * file (see FileSchema); `forward` comes from a merged forward, `system`
 * and `call` from the server.
 */
export const MESSAGE_TYPES = ['text', 'emoji', 'image', 'video', 'voice', 'file', 'forward', 'system', 'call'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
/** The types a person sends with SendMessage and some text. */
export const SENDABLE_TYPES = ['text', 'emoji'] as const;
/** The types a person sends with SendMessage and a finished upload's file id. */
export const MEDIA_TYPES = ['image', 'video', 'voice', 'file'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];
/** A voice message is at most 60 s (VOICE_TOO_LONG past it). */
export const MAX_VOICE_MS = 60_000;
/** A file id, a file's kinds and its view are the files contract's (`@muster/files/protocol`). */
export { FileIdSchema, FILE_KINDS, FileViewSchema as FileSchema, type FileView } from '@muster/files/protocol';
/** A merged forward holds at most this many messages, and a forward goes to at most this many conversations (as WeChat). */
export const MAX_FORWARD_MESSAGES = 100;
export const MAX_FORWARD_TARGETS = 9;
/** A quote carries at most this many characters of the message it answers. */
export const QUOTE_EXCERPT_CHARS = 100;
export const OpenConversationSchema = z.object({ userId: UserIdSchema }).strict().meta({ id: 'OpenConversation' });
const ClientMsgIdSchema = z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/).meta({ description: 'The client\'s own id: a retried send with the same one returns the first message' });
const ReplyToSchema = MessageIdSchema.nullable().optional().meta({ description: 'A message of this conversation this one answers (it is quoted)' });
export const SendTextSchema = z
  .object({
    clientMsgId: ClientMsgIdSchema,
    type: z.enum(SENDABLE_TYPES).meta({ description: 'text, or emoji: one emoji shown big (its text is that emoji)' }),
    text: z.string().min(1).max(MAX_TEXT_BYTES * 4),
    replyTo: ReplyToSchema,
    mentions: z.array(UserIdSchema).max(100).optional().meta({ description: 'Members of the conversation this message @mentions' }),
    mentionAll: z.boolean().optional().meta({ description: '@everyone (groups; owners and admins only)' }),
  })
  .strict()
  .meta({ id: 'SendText' });
export const SendMediaSchema = z
  .object({
    clientMsgId: ClientMsgIdSchema,
    type: z.enum(MEDIA_TYPES).meta({ description: 'image, video, voice (at most 60 s) or file: what the uploaded file is sent as' }),
    fileId: FileIdSchema.meta({ description: 'A finished upload of yours (the last path segment of its tus Location)' }),
    replyTo: ReplyToSchema,
  })
  .strict()
  .meta({ id: 'SendMedia' });
export const SendMessageSchema = z.discriminatedUnion('type', [SendTextSchema, SendMediaSchema]).meta({ id: 'SendMessage' });
export type SendMessage = z.infer<typeof SendMessageSchema>;
export const MessagesQuerySchema = z
  .object({
    afterSeq: z.coerce.number().int().nonnegative().optional(),
    beforeSeq: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict();
export const ReadSchema = z.object({ seq: z.number().int().nonnegative() }).strict().meta({ id: 'MarkRead' });
export const EditMessageSchema = z.object({ text: z.string().min(1).max(MAX_TEXT_BYTES * 4) }).strict().meta({ id: 'EditMessage' });
export const ForwardMessagesSchema = z
  .object({
    clientMsgId: z.string().min(8).max(48).regex(/^[A-Za-z0-9_-]+$/).meta({ description: 'The client\'s own id: a retried forward returns the messages first stored' }),
    from: ConversationIdSchema.meta({ description: 'The conversation the messages are in' }),
    messageIds: z.array(MessageIdSchema).min(1).max(MAX_FORWARD_MESSAGES),
    to: z.array(ConversationIdSchema).min(1).max(MAX_FORWARD_TARGETS).meta({ description: 'Your conversations to forward to (at most 9)' }),
    mode: z.enum(['single', 'merged']).meta({ description: 'single: each message again, one by one; merged: one chat-history message' }),
    title: Text(100).optional().meta({ description: 'Merged: the history’s title (default: the group’s name, or both people’s names)' }),
  })
  .strict()
  .meta({ id: 'ForwardMessages' });
export const ReadersSchema = z
  .object({
    readBy: z.array(z.string()).meta({ description: 'Members (besides the sender) who have read it' }),
    unreadBy: z.array(z.string()).meta({ description: 'Members (besides the sender) who have not' }),
  })
  .meta({ id: 'Readers' });

/**
 * A system notice: a seq'd message of type `system` in the conversation it
 * concerns (a member joined, left or was removed; the group was renamed…).
 * Clients render it from `kind` and the people it names, in their own language.
 */
export const SYSTEM_NOTICE_KINDS = ['created', 'joined', 'left', 'removed', 'renamed', 'notice', 'owner', 'admin', 'muted', 'unmuted', 'recalled', 'dissolved', 'expiring', 'call', 'avatar'] as const;
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
export const ForwardedSchema = z
  .object({
    results: z.array(
      z.object({
        conversationId: z.string(),
        sent: z.array(SentSchema).optional().meta({ description: 'What was stored there (one message per source, or one merged)' }),
        error: z.object({ code: z.enum(IM_ERROR_CODES), message: z.string() }).optional().meta({ description: 'Why that conversation refused it (blocked, muted…); nothing stored there' }),
      }),
    ),
  })
  .meta({ id: 'Forwarded' });
/** A reply's snapshot of the message it answers; only `recalled` once that one is recalled. */
export const QuoteSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    senderId: z.string(),
    type: z.string(),
    excerpt: z.string().optional().meta({ description: 'At most 100 characters of its text' }),
    recalled: z.boolean().optional(),
  })
  .meta({ id: 'Quote' });
/** A merged forward: a chat history as one message, each item as its sender’s name, time and text then. */
export const ForwardBodySchema = z
  .object({
    title: z.string(),
    items: z.array(z.object({ senderName: z.string(), sentAt: z.number().int(), type: z.string(), text: z.string().optional() })),
  })
  .meta({ id: 'ForwardedHistory' });
export const MessageSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    seq: z.number().int(),
    senderId: z.string(),
    clientMsgId: z.string().optional().meta({ description: 'The id the sender’s client gave it (a random id, not personal): the sending device matches the live event of its own send to its pending copy by it' }),
    type: z.string(),
    text: z.string().optional(),
    replyTo: z.string().nullable().optional(),
    mentions: z.array(z.string()).optional(),
    mentionAll: z.boolean().optional(),
    notice: SystemNoticeSchema.optional().meta({ description: 'Type system: what happened' }),
    quote: QuoteSchema.optional().meta({ description: 'A reply: the message it answers' }),
    forward: ForwardBodySchema.optional().meta({ description: 'Type forward: the merged chat history' }),
    file: FileSchema.optional().meta({ description: 'Types image, video, voice and file: the file it carries' }),
    editedAt: z.number().int().optional().meta({ description: 'Edited: when last (show "edited")' }),
    recalled: z.object({ by: z.string(), at: z.number().int() }).optional().meta({ description: 'Recalled: by whom and when; its content is gone' }),
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
    peerReadSeq: z.number().int().optional().meta({ description: 'Direct conversations: how far the other person has read (your messages up to it show "read")' }),
    unread: z.number().int().nonnegative(),
    // A union, not .nullable(): the document then says "a Message or null" (anyOf), which a validator reads as meant.
    lastMessage: z.union([MessageSchema, z.null()]),
    updatedAt: z.number().int(),
    // Your own settings of it, the same on all of your devices (see ConversationSettings).
    pinned: z.boolean().optional().meta({ description: 'Pinned: listed first' }),
    muted: z.boolean().optional().meta({ description: 'Muted: no notifications, a grey badge' }),
    hidden: z.boolean().optional().meta({ description: 'Hidden from the list until a new message arrives' }),
    markedUnread: z.boolean().optional().meta({ description: 'Marked unread by hand; reading it clears the mark' }),
    draft: z.string().optional().meta({ description: 'Your unsent text' }),
  })
  .meta({ id: 'Conversation' });
export type ConversationView = z.infer<typeof ConversationSchema>;

/** A group holds at most this many people, its owner included. */
export const MAX_GROUP_MEMBERS = 1000;
export const CreateGroupSchema = z
  .object({
    name: Text(60).pipe(z.string().min(1, 'a group needs a name')),
    members: z.array(UserIdSchema).min(1).max(MAX_GROUP_MEMBERS - 1).meta({ description: 'Your contacts to add (you are its owner)' }),
    temporary: z
      .object({ expiresAt: z.number().int().positive().optional().meta({ description: 'Unix ms in the future: dissolved then at the latest' }) })
      .strict()
      .optional()
      .meta({ description: 'A temporary group: dissolved and its messages deleted at expiresAt or after the console’s idle days without a message, whichever comes first' }),
  })
  .strict()
  .meta({ id: 'CreateGroup' });
export const GroupSchema = z
  .object({
    id: z.string(),
    conversationId: z.string().meta({ description: 'The same as id: a group is a conversation' }),
    name: z.string(),
    avatar: AvatarSchema,
    notice: z.string().meta({ description: 'The announcement (empty: none)' }),
    members: z.number().int().meta({ description: 'How many people are in it' }),
    ownerId: z.string(),
    adminIds: z.array(z.string()),
    joinApproval: z.boolean().meta({ description: 'A plain member’s invitation waits for the owner or an admin' }),
    muteAll: z.boolean().meta({ description: 'Only the owner and admins may send' }),
    exportAdminsOnly: z.boolean().optional().meta({ description: 'Only the owner and admins may export the chat as minutes (absent: false)' }),
    temporary: z.boolean(),
    expiresAt: z.number().int().nullable().meta({ description: 'Temporary groups: dissolved then at the latest' }),
    dissolvedAt: z.number().int().nullable().meta({ description: 'Dissolved: nobody sends any more; members keep what is left' }),
    role: z.enum(['owner', 'admin', 'member']).optional().meta({ description: 'Yours (absent in live events, which go to every member)' }),
    createdAt: z.number().int(),
  })
  .meta({ id: 'Group' });
export type GroupView = z.infer<typeof GroupSchema>;

// ------------------------------------------------------------------ sync, conversation settings, presence

/** A sync with nothing new waits at most this long (seconds); DEFAULT_SYNC_TIMEOUT when the query names none. */
export const MAX_SYNC_TIMEOUT = 30;
export const DEFAULT_SYNC_TIMEOUT = 25;
/** A sync reply carries at most this many messages; `more` says to call again at once. */
export const MAX_SYNC_MESSAGES = 1000;
/** The opaque token a sync reply hands back as `next`. */
export const SyncTokenSchema = z.string().max(100).regex(/^sy[A-Za-z0-9_-]{16,40}\.[0-9]{1,12}$/, 'not a sync token');
export const SyncQuerySchema = z
  .object({
    since: SyncTokenSchema.optional().meta({ description: 'The `next` of the last reply; none: the current state' }),
    timeout: z
      .string()
      .regex(/^[0-9]{1,3}$/, 'whole seconds')
      .transform(Number)
      .pipe(z.number().max(MAX_SYNC_TIMEOUT, `at most ${MAX_SYNC_TIMEOUT} seconds`))
      .optional()
      .meta({ description: `Seconds to wait when nothing is new, 0–${MAX_SYNC_TIMEOUT} (${DEFAULT_SYNC_TIMEOUT})` }),
  })
  .strict();
export const ReceiptSchema = z
  .object({ conversationId: z.string(), userId: z.string(), readSeq: z.number().int() })
  .meta({ id: 'Receipt', description: 'A read pointer that moved: yours (from another device), or the other person’s in a direct conversation' });
export const SyncReplySchema = z
  .object({
    next: z.string().meta({ description: 'The token to sync from next' }),
    full: z.boolean().meta({ description: 'true without `since`: `conversations` is your whole list (hidden ones included) and `messages` is empty' }),
    messages: z.array(MessageSchema).meta({ description: 'New and changed (edited, recalled) messages, newest conversations first, ascending seq within each' }),
    receipts: z.array(ReceiptSchema),
    conversations: z.array(ConversationSchema).meta({ description: 'Conversations that are new or changed (messages, read pointers, your settings)' }),
    removed: z.array(z.string()).meta({ description: 'Conversations you left or lost' }),
    hidden: z.array(z.object({ conversationId: z.string(), seqs: z.array(z.number().int()) })).meta({ description: 'Messages you deleted for yourself on another device' }),
    more: z.boolean().meta({ description: 'The reply was cut at the size limit: sync again at once' }),
  })
  .meta({ id: 'SyncReply' });
export type SyncReply = z.infer<typeof SyncReplySchema>;

/** A draft is kept up to this many bytes of UTF-8, like a message. */
export const MAX_DRAFT_BYTES = MAX_TEXT_BYTES;
export const ConversationSettingsSchema = z
  .object({
    pinned: z.boolean(),
    muted: z.boolean(),
    hidden: z.boolean(),
    markedUnread: z.boolean(),
    draft: z.string().nullable(),
    updatedAt: z.number().int().nullable(),
  })
  .meta({ id: 'ConversationSettings', description: 'One person’s settings of one conversation, the same on all of their devices' });
export type ConversationSettings = z.infer<typeof ConversationSettingsSchema>;
export const ConversationSettingsUpdateSchema = z
  .object({ pinned: z.boolean().optional(), muted: z.boolean().optional(), hidden: z.boolean().optional(), markedUnread: z.boolean().optional() })
  .strict()
  .refine((u) => Object.values(u).some((v) => v !== undefined), 'name a setting to change')
  .meta({ id: 'ConversationSettingsUpdate' });
export const DraftSchema = z
  .object({ text: z.string().max(MAX_DRAFT_BYTES * 4).meta({ description: 'At most 2048 bytes of UTF-8; empty clears it' }) })
  .strict()
  .meta({ id: 'Draft' });
export const ConversationListQuerySchema = z.object({ hidden: z.enum(['0', '1']).optional() }).strict();

export const ImSettingsSchema = z
  .object({
    hideLastSeen: z.boolean().meta({ description: 'Your contacts see whether you are online, never when you were last' }),
    acceptFromNonFriends: z.boolean().meta({ description: 'People who are not your contacts may open a conversation with you (a block still refuses them)' }),
  })
  .meta({ id: 'ImSettings' });
export type ImSettings = z.infer<typeof ImSettingsSchema>;
export const ImSettingsUpdateSchema = ImSettingsSchema.partial().strict().meta({ id: 'ImSettingsUpdate' });
/** Presence asked for at once. */
export const MAX_PRESENCE_IDS = 200;
export const PresenceQuerySchema = z
  .object({
    ids: z
      .string()
      .max(MAX_PRESENCE_IDS * 65)
      .transform((s) => s.split(',').filter((id) => id !== ''))
      .pipe(z.array(UserIdSchema).min(1).max(MAX_PRESENCE_IDS)),
  })
  .strict();
export const PresenceSchema = z
  .object({
    userId: z.string(),
    online: z.boolean().meta({ description: 'A device of theirs is connected' }),
    lastSeenAt: z.number().int().nullable().meta({ description: 'When they were last online; null while online, when never, or when they hide it' }),
  })
  .meta({ id: 'Presence' });
export type PresenceView = z.infer<typeof PresenceSchema>;

// ------------------------------------------------------------------ search in messages

/** A search is at most this many characters, and at most this many words once cut. */
export const MAX_SEARCH_QUERY_CHARS = 100;
export const MAX_SEARCH_TOKENS = 16;
export const SEARCH_PAGE = 20;
export const MAX_SEARCH_PAGE = 50;
export const SearchQuerySchema = z
  .object({
    q: z.string().trim().min(1, 'nothing to search for').max(MAX_SEARCH_QUERY_CHARS).meta({ description: 'Words, Chinese or not: a message must have every one (Chinese is cut into words, 会议 finds 明天的会议改到三点)' }),
    conversationId: ConversationIdSchema.optional().meta({ description: 'Search this conversation only (yours: another is 404)' }),
    beforeSeq: z.coerce.number().int().positive().optional().meta({ description: 'With conversationId: only messages before this seq' }),
    before: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'not a search cursor').optional().meta({ description: 'The `next` of the previous page' }),
    limit: z.coerce.number().int().min(1).max(MAX_SEARCH_PAGE).optional().meta({ description: `At most this many results (default ${SEARCH_PAGE})` }),
  })
  .strict();
export const SearchHitSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    seq: z.number().int(),
    senderId: z.string(),
    type: z.string(),
    snippet: z.string().meta({ description: 'The text around the first word found (at most about 80 characters)' }),
    sentAt: z.number().int(),
    editedAt: z.number().int().optional(),
  })
  .meta({ id: 'SearchHit' });
export type SearchHit = z.infer<typeof SearchHitSchema>;
export const SearchResultsSchema = z
  .object({
    results: z.array(SearchHitSchema).meta({ description: 'Newest first' }),
    next: z.string().nullable().meta({ description: 'Pass as `before` for the next page; null when there is no more' }),
  })
  .meta({ id: 'SearchResults' });
export type SearchResults = z.infer<typeof SearchResultsSchema>;

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
  'im.send': z.discriminatedUnion('type', [SendTextSchema.extend({ v: V, conversationId: ConversationIdSchema }).strict(), SendMediaSchema.extend({ v: V, conversationId: ConversationIdSchema }).strict()]),
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
  'im.recall': z.object({ v: V, conversationId: ConversationIdSchema, messageId: MessageIdSchema }).strict(),
  'im.edit': EditMessageSchema.extend({ v: V, conversationId: ConversationIdSchema, messageId: MessageIdSchema }).strict(),
  /** Delete for me: one or more messages (a multi-select, at most 100), hidden on all of your devices only. */
  'im.hide': z.object({ v: V, conversationId: ConversationIdSchema, messageIds: z.array(MessageIdSchema).min(1).max(100) }).strict(),
  'im.forward': ForwardMessagesSchema.extend({ v: V }).strict(),
  'im.typing': z.object({ v: V, conversationId: ConversationIdSchema }).strict(),
  'im.readers': z.object({ v: V, conversationId: ConversationIdSchema, messageId: MessageIdSchema }).strict(),
  /** GET /sync without the wait: what changed since the token (or the current state). */
  'im.sync': z.object({ v: V, since: SyncTokenSchema.optional() }).strict(),
  'im.settings': z
    .object({ v: V, conversationId: ConversationIdSchema, pinned: z.boolean().optional(), muted: z.boolean().optional(), hidden: z.boolean().optional(), markedUnread: z.boolean().optional() })
    .strict()
    .refine((r) => [r.pinned, r.muted, r.hidden, r.markedUnread].some((v) => v !== undefined), 'name a setting to change'),
  'im.draft': DraftSchema.extend({ v: V, conversationId: ConversationIdSchema }).strict(),
  'im.presence': z.object({ v: V, ids: z.array(UserIdSchema).min(1).max(MAX_PRESENCE_IDS) }).strict(),
  /** GET /search/messages: numbers as numbers here. */
  'im.search': SearchQuerySchema.extend({
    v: V,
    beforeSeq: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(MAX_SEARCH_PAGE).optional(),
  }).strict(),
} as const;
export type ImRequestName = keyof typeof ImRequests;

export * from './callProtocol.ts';
