/**
 * The service-accounts REST contract, as zod: request bodies and queries
 * (the routes parse with these), replies, error codes, the live event. The
 * OpenAPI document is generated from them (http/channelsOpenApi.ts).
 */
import { z } from 'zod';
import { FileIdSchema, FileViewSchema } from '@muster/files/protocol';
import { AvatarSchema } from '@muster/accounts/protocol';
import { Text, UserIdSchema } from '@muster/im';
import { MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_FILES, MAX_DOCUMENT_NODES, MAX_DOCUMENT_TEXT } from './document/validate.ts';

export const CHANNELS_ERROR_CODES = [
  'BAD_REQUEST',
  'BAD_DOCUMENT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'SECOND_FACTOR_REQUIRED',
  'COMMENTS_CLOSED',
  'NOT_FOUND',
  'NAME_TAKEN',
  'COMMENT_PENDING',
  'DAILY_CAP_REACHED',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL',
] as const;
export type ChannelsErrorCode = (typeof CHANNELS_ERROR_CODES)[number];
export const ChannelsErrorSchema = z
  .object({ error: z.object({ code: z.enum(CHANNELS_ERROR_CODES), message: z.string() }) })
  .meta({ id: 'ChannelsError', description: 'A coded error; what you may not see is NOT_FOUND' });

// ------------------------------------------------------------------ limits

export * from './limits.ts';
import { DEFAULT_DAILY_CAP, DEFAULT_PAGE, MAX_COMMENT_CHARS, MAX_DAILY_CAP, MAX_DESCRIPTION_CHARS, MAX_EDITORS, MAX_KEYWORD_CHARS, MAX_KEYWORDS, MAX_NAME_CHARS, MAX_PAGE, MAX_TITLE_CHARS, MIN_DAILY_CAP } from './limits.ts';

// ------------------------------------------------------------------ ids

export const SERVICE_ACCOUNT_KINDS = ['subscription', 'service'] as const;
export type ServiceAccountKind = (typeof SERVICE_ACCOUNT_KINDS)[number];
export const ServiceAccountIdSchema = z.string().regex(/^sa[A-Za-z0-9_-]{16,40}$/, 'not a service account id');
export const ArticleIdSchema = z.string().regex(/^ar[A-Za-z0-9_-]{16,40}$/, 'not an article id');
export const CommentIdSchema = z.string().regex(/^cm[A-Za-z0-9_-]{16,40}$/, 'not a comment id');
export const NoticeIdSchema = z.string().regex(/^cn[A-Za-z0-9_-]{16,40}$/, 'not a notice id');
/** Where a listing continues (the `next` of the previous page): opaque. */
export const CursorSchema = z.string().regex(/^[A-Za-z0-9_-]{4,120}$/, 'not a cursor');

/** Comment text: trimmed, 1–600 characters, line breaks allowed, no other control characters. */
const CommentText = z
  .string()
  .trim()
  .min(1, 'empty')
  .max(MAX_COMMENT_CHARS)
  .refine((s) => !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(s), 'no control characters but line breaks');
const Name = Text(MAX_NAME_CHARS).pipe(z.string().min(1, 'a name is 1 to 30 characters'));
const Description = Text(MAX_DESCRIPTION_CHARS);
const Kind = z.enum(SERVICE_ACCOUNT_KINDS).meta({ description: 'subscription (订阅号: articles in the "Service accounts" entry) or service (服务号)' });
const DailyCap = z.number().int().min(MIN_DAILY_CAP, `the daily cap is at least ${MIN_DAILY_CAP}`).max(MAX_DAILY_CAP).meta({ description: `Articles at most in any 24 hours (${MIN_DAILY_CAP}–${MAX_DAILY_CAP})` });
const Editors = z.array(UserIdSchema).max(MAX_EDITORS).meta({ description: `The people who publish, edit and moderate (at most ${MAX_EDITORS})` });
const Limit = z.coerce.number().int().min(1).max(MAX_PAGE).optional();

// ------------------------------------------------------------------ requests

export const CreateServiceAccountSchema = z
  .object({
    name: Name,
    description: Description.optional(),
    editors: Editors.optional(),
    kind: Kind.optional().meta({ description: 'Default subscription' }),
    dailyCap: DailyCap.optional().meta({ description: `Default ${DEFAULT_DAILY_CAP}` }),
    avatarFileId: FileIdSchema.optional().meta({ description: 'An image uploaded by the admin (an organisation token: by one of the editors)' }),
  })
  .strict()
  .meta({ id: 'CreateServiceAccount' });
export type CreateServiceAccount = z.infer<typeof CreateServiceAccountSchema>;

export const UpdateServiceAccountSchema = z
  .object({
    name: Name.optional(),
    description: Description.optional(),
    kind: Kind.optional(),
    dailyCap: DailyCap.optional(),
    avatarFileId: FileIdSchema.nullable().optional().meta({ description: 'A new avatar image, or null for none' }),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to change')
  .meta({ id: 'UpdateServiceAccount' });
export type UpdateServiceAccount = z.infer<typeof UpdateServiceAccountSchema>;

export const EditorsBodySchema = z.object({ editors: Editors }).strict().meta({ id: 'ServiceAccountEditors' });

/** The article body: `content` is checked by validateDocument (BAD_DOCUMENT), not by this schema. */
export const PublishArticleSchema = z
  .object({
    title: Text(MAX_TITLE_CHARS).pipe(z.string().min(1, 'a title is 1 to 64 characters')),
    content: z.unknown(),
    commentsEnabled: z.boolean().optional().meta({ description: 'Default true' }),
  })
  .strict();
export type PublishArticle = z.infer<typeof PublishArticleSchema>;
export const EditArticleSchema = z
  .object({ title: Text(MAX_TITLE_CHARS).pipe(z.string().min(1, 'a title is 1 to 64 characters')), content: z.unknown() })
  .strict();
export type EditArticle = z.infer<typeof EditArticleSchema>;
export const ArticlePatchSchema = z.object({ commentsEnabled: z.boolean() }).strict().meta({ id: 'ArticlePatch' });

export const ArticlesQuerySchema = z
  .object({
    q: z.string().max(100).optional().meta({ description: 'Words the title or text must all have' }),
    before: CursorSchema.optional().meta({ description: 'The previous page’s next' }),
    limit: Limit,
  })
  .strict();
export const DirectoryQuerySchema = z.object({ q: z.string().max(60).optional().meta({ description: 'Part of the name (or its pinyin, initials), or of the description' }) }).strict();
export const CommentsQuerySchema = z.object({ before: CursorSchema.optional(), limit: Limit }).strict();
export const QueueQuerySchema = z
  .object({
    state: z.enum(['pending', 'approved']).optional(),
    flagged: z.enum(['true', 'false']).optional().meta({ description: 'true: only comments the content check flagged; false: only the others' }),
    articleId: ArticleIdSchema.optional(),
    before: CursorSchema.optional(),
    limit: Limit,
  })
  .strict();
export const NoticesQuerySchema = z.object({ before: CursorSchema.optional(), limit: Limit }).strict();

export const CommentBodySchema = z.object({ text: CommentText }).strict().meta({ id: 'CommentBody' });
export const ReplyBodySchema = z.object({ text: CommentText.nullable().meta({ description: 'The reply, or null to remove it' }) }).strict().meta({ id: 'CommentReply' });
export const PinBodySchema = z.object({ pinned: z.boolean() }).strict().meta({ id: 'CommentPin' });
export const SubscriptionPatchSchema = z
  .object({
    pinned: z.boolean().optional(),
    position: z.number().int().min(-1_000_000).max(1_000_000).optional().meta({ description: 'Order among your pinned accounts (ascending). Pinning without one puts it first' }),
  })
  .strict()
  .refine((v) => v.pinned !== undefined || v.position !== undefined, 'give pinned or position')
  .meta({ id: 'SubscriptionPatch' });
export const NoticesReadSchema = z
  .object({ ids: z.array(NoticeIdSchema).min(1).max(200).optional().meta({ description: 'These notices; without ids, all of yours' }) })
  .strict()
  .meta({ id: 'NoticesRead' });
export const ChannelsSettingsSchema = z
  .object({
    keywords: z
      .array(Text(MAX_KEYWORD_CHARS).pipe(z.string().min(1)))
      .max(MAX_KEYWORDS)
      .meta({ description: 'Comments containing any of these (case and width folded) are flagged for review' }),
  })
  .strict()
  .meta({ id: 'ChannelsSettings' });
export type ChannelsSettings = z.infer<typeof ChannelsSettingsSchema>;

// ------------------------------------------------------------------ replies

export const CreatedSchema = z.object({ id: z.string() }).meta({ id: 'Created' });
export const PersonSchema = z.object({ id: z.string(), nickname: z.string(), avatar: AvatarSchema }).meta({ id: 'ChannelPerson' });
export type PersonView = z.infer<typeof PersonSchema>;

export const ServiceAccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(SERVICE_ACCOUNT_KINDS),
    avatarFileId: z.string().nullable().meta({ description: 'GET /files/{id} (anyone signed in may read it)' }),
    dailyCap: z.number().int(),
    latestArticleAt: z.number().int().nullable(),
    createdAt: z.number().int(),
    subscribed: z.boolean(),
    subscribers: z.number().int(),
    editor: z.boolean().meta({ description: 'Whether you may publish and moderate here (an editor, or the organisation’s token)' }),
    editors: z.array(PersonSchema).optional().meta({ description: 'Editors and admins only' }),
  })
  .meta({ id: 'ServiceAccount' });
export type ServiceAccountView = z.infer<typeof ServiceAccountSchema>;

export const DirectoryEntrySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(SERVICE_ACCOUNT_KINDS),
    avatarFileId: z.string().nullable(),
    latestArticleAt: z.number().int().nullable(),
    subscribed: z.boolean(),
  })
  .meta({ id: 'ServiceAccountEntry' });
export type DirectoryEntry = z.infer<typeof DirectoryEntrySchema>;

export const ArticleSummarySchema = z
  .object({
    id: z.string(),
    serviceAccountId: z.string(),
    title: z.string(),
    summary: z.string().meta({ description: 'The start of its text, on one line' }),
    cover: z.string().nullable().meta({ description: 'Its first image’s file id' }),
    publishedAt: z.number().int(),
    edited: z.boolean(),
    editedAt: z.number().int().nullable(),
    version: z.number().int(),
    commentsEnabled: z.boolean(),
  })
  .meta({ id: 'ArticleSummary' });
export type ArticleSummary = z.infer<typeof ArticleSummarySchema>;
export const ArticlePageSchema = z.object({ articles: z.array(ArticleSummarySchema), next: z.string().nullable() }).meta({ id: 'ArticlePage' });

/** Describes the document in the OpenAPI file; the server's check is validateDocument (see docs/channels.md). */
export const ArticleDocumentSchema = z
  .looseObject({
    type: z.literal('doc'),
    content: z.array(z.looseObject({ type: z.string(), attrs: z.record(z.string(), z.union([z.string(), z.number()])).optional(), content: z.array(z.looseObject({})).optional(), marks: z.array(z.looseObject({ type: z.string() })).optional(), text: z.string().optional() })),
  })
  .meta({
    id: 'ArticleDocument',
    description:
      `A ProseMirror document of the article schema (@muster/channels/document). Nodes: doc, paragraph, heading{level 1–3}, blockquote, bullet_list, ordered_list{order}, list_item, horizontal_rule, hard_break, text, image{fileId, alt}, video{fileId}, audio{fileId}; ` +
      `marks: strong, em, underline, strike, code, link{href: http(s) only}. Nothing else is accepted (BAD_DOCUMENT): no other node, mark, attribute or field, no HTML. ` +
      `At most ${MAX_DOCUMENT_BYTES} bytes of JSON, ${MAX_DOCUMENT_DEPTH} levels, ${MAX_DOCUMENT_NODES} nodes, ${MAX_DOCUMENT_TEXT} characters of text, ${MAX_DOCUMENT_FILES} files; ` +
      'each file a finished upload you may attach, of the node’s kind (image, video, audio for voice)',
  });
export const PublishArticleDocSchema = z
  .object({ title: z.string().min(1).max(MAX_TITLE_CHARS), content: ArticleDocumentSchema, commentsEnabled: z.boolean().optional() })
  .meta({ id: 'PublishArticle' });
export const EditArticleDocSchema = z.object({ title: z.string().min(1).max(MAX_TITLE_CHARS), content: ArticleDocumentSchema }).meta({ id: 'EditArticle' });

export const ArticleSchema = ArticleSummarySchema.extend({
  content: ArticleDocumentSchema,
  files: z.array(FileViewSchema).meta({ description: 'The files the document names (GET /files/{id}: anyone signed in may read them)' }),
  serviceAccount: z.object({ id: z.string(), name: z.string(), avatarFileId: z.string().nullable() }),
  subscribed: z.boolean(),
  editor: z.boolean().meta({ description: 'Whether you may edit it and moderate its comments' }),
}).meta({ id: 'Article' });
export type ArticleView = z.infer<typeof ArticleSchema>;

export const ArticleVersionEntrySchema = z
  .object({
    version: z.number().int(),
    title: z.string(),
    at: z.number().int().meta({ description: 'When it was published (version 1) or saved' }),
    editorId: z.string().nullable().meta({ description: 'Who made it (null: the organisation’s token)' }),
    current: z.boolean(),
  })
  .meta({ id: 'ArticleVersionEntry' });
export type ArticleVersionEntry = z.infer<typeof ArticleVersionEntrySchema>;
export const ArticleVersionsSchema = z.object({ versions: z.array(ArticleVersionEntrySchema) }).meta({ id: 'ArticleVersions' });
export const ArticleVersionSchema = ArticleVersionEntrySchema.extend({
  content: ArticleDocumentSchema,
  files: z.array(FileViewSchema),
}).meta({ id: 'ArticleVersion' });
export type ArticleVersionView = z.infer<typeof ArticleVersionSchema>;
/** Versions listed at most (newest first). */
export const MAX_VERSIONS_LISTED = 200;

export const COMMENT_STATES = ['pending', 'approved'] as const;
export type CommentState = (typeof COMMENT_STATES)[number];
export const CommentSchema = z
  .object({
    id: z.string(),
    articleId: z.string(),
    author: PersonSchema.nullable().meta({ description: 'null when the account is gone' }),
    text: z.string(),
    state: z.enum(COMMENT_STATES).meta({ description: 'pending: seen only by its author and the editors' }),
    pinned: z.boolean(),
    createdAt: z.number().int(),
    approvedAt: z.number().int().nullable(),
    reply: z.object({ text: z.string(), at: z.number().int() }).nullable().meta({ description: 'The account’s reply' }),
    mine: z.boolean(),
    flagged: z.boolean().optional().meta({ description: 'Editors: the content check flagged it' }),
    reasons: z.array(z.string()).optional().meta({ description: 'Editors: why' }),
    articleTitle: z.string().optional().meta({ description: 'The moderation queue: its article’s title' }),
  })
  .meta({ id: 'Comment' });
export type CommentView = z.infer<typeof CommentSchema>;
export const CommentPageSchema = z.object({ comments: z.array(CommentSchema), commentsEnabled: z.boolean(), next: z.string().nullable() }).meta({ id: 'CommentPage' });
export const QueuePageSchema = z.object({ comments: z.array(CommentSchema), next: z.string().nullable() }).meta({ id: 'ModerationPage' });
export const CommentCreatedSchema = z.object({ id: z.string(), state: z.literal('pending') }).meta({ id: 'CommentCreated' });

export const FeedEntrySchema = z
  .object({
    serviceAccountId: z.string(),
    name: z.string(),
    kind: z.enum(SERVICE_ACCOUNT_KINDS),
    avatarFileId: z.string().nullable(),
    pinned: z.boolean(),
    position: z.number().int(),
    dot: z.boolean().meta({ description: 'A newer article than when you last opened it: show a dot, never a count' }),
    subscribedAt: z.number().int(),
    latest: z.object({ articleId: z.string(), title: z.string(), summary: z.string(), publishedAt: z.number().int() }).nullable(),
  })
  .meta({ id: 'SubscribedAccount' });
export type FeedEntry = z.infer<typeof FeedEntrySchema>;
export const SummarySchema = z
  .object({
    dot: z.boolean().meta({ description: 'Some subscribed account has an article newer than when you last opened it' }),
    latest: z.object({ serviceAccountId: z.string(), name: z.string(), title: z.string(), publishedAt: z.number().int() }).nullable(),
  })
  .meta({ id: 'ServiceAccountsSummary', description: 'The "Service accounts" entry of the chat list: a dot and the newest article, never a count' });
export type SummaryView = z.infer<typeof SummarySchema>;

export const NOTICE_KINDS = ['comment-approved', 'comment-deleted'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
export const NoticeSchema = z
  .object({
    id: z.string(),
    kind: z.enum(NOTICE_KINDS),
    articleId: z.string(),
    articleTitle: z.string().nullable().meta({ description: 'null when the article is gone' }),
    serviceAccountId: z.string().nullable(),
    commentId: z.string(),
    excerpt: z.string().meta({ description: 'The start of your comment' }),
    at: z.number().int(),
    readAt: z.number().int().nullable(),
  })
  .meta({ id: 'ChannelNotice', description: 'A system message about your comment: approved, or deleted by the editors' });
export type NoticeView = z.infer<typeof NoticeSchema>;
export const NoticePageSchema = z.object({ notices: z.array(NoticeSchema), unread: z.number().int(), next: z.string().nullable() }).meta({ id: 'ChannelNotices' });
