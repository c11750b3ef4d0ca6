/**
 * The Moments REST contract, as zod: request bodies and queries, the views
 * the routes answer with, and the error codes. The routes parse with these
 * and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { PublicProfileSchema } from '@muster/accounts/protocol';
import { FileIdSchema, FileViewSchema } from '@muster/files/protocol';

export const MOMENTS_ERROR_CODES = [
  'BAD_REQUEST',
  'BAD_ATTACHMENTS',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'SECOND_FACTOR_REQUIRED',
  'ALREADY_RESOLVED',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL',
] as const;
export type MomentsErrorCode = (typeof MOMENTS_ERROR_CODES)[number];
export const MomentsErrorSchema = z
  .object({ error: z.object({ code: z.enum(MOMENTS_ERROR_CODES), message: z.string() }) })
  .meta({ id: 'MomentsError', description: 'A coded error; a post (or comment, notice, report) you may not see is NOT_FOUND, as one that does not exist' });

// ------------------------------------------------------------------ limits

/** A post's text, in characters (code points: 2,000 Chinese characters as well as 2,000 Latin letters). */
export const MAX_POST_CHARS = 2000;
export const MAX_LOCATION_CHARS = 100;
export const MAX_COMMENT_CHARS = 500;
export const MAX_REASON_CHARS = 500;
/** Images a post carries at most (as WeChat); a video post carries exactly one video. */
export const MAX_POST_IMAGES = 9;
/** A page of posts, notices or reports: this many by default, at most MAX_PAGE. */
export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 50;
/** Likes and comments a post's view carries inline (the counts say how many the viewer may see in all). */
export const INLINE_LIKES = 100;
export const INLINE_COMMENTS = 20;
/** The badge counts new posts up to this (a client shows 99+). */
export const BADGE_CAP = 99;
/** Search: at most this many characters and words in q (as message search). */
export const MAX_QUERY_CHARS = 100;
export const MAX_QUERY_WORDS = 16;
/** Per person: posts, comments, likes and reports one may make in an hour (a like notifies: like-unlike cycles are capped too). */
export const POSTS_PER_HOUR = 60;
export const LIKES_PER_HOUR = 600;
export const COMMENTS_PER_HOUR = 300;
export const REPORTS_PER_HOUR = 30;

export const VISIBILITIES = ['all', 'friends', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];
export const VisibilitySchema = z.enum(VISIBILITIES).meta({ id: 'MomentVisibility', description: 'all: everyone in the organisation; friends: the author’s contacts; private: Only me' });

export const MomentIdSchema = z.string().regex(/^mo[A-Za-z0-9_-]{16,40}$/, 'not a post id');
export const CommentIdSchema = z.string().regex(/^mc[A-Za-z0-9_-]{16,40}$/, 'not a comment id');
export const ReportIdSchema = z.string().regex(/^mr[A-Za-z0-9_-]{16,40}$/, 'not a report id');
export const UserIdSchema = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'not a user id');
/** A page's place in its order, from the previous page's `next` (opaque). */
export const CursorSchema = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'not a cursor');

const chars = (value: string) => Array.from(value).length;
/** Text people write: newlines and tabs allowed, no other control characters; trimmed. */
const Written = (max: number, what: string) =>
  z
    .string()
    .max(max * 4)
    .transform((s) => s.trim())
    .refine((s) => chars(s) <= max, `${what}: at most ${max} characters`)
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), `${what}: no control characters`);
/** One line (a location). */
const Line = (max: number, what: string) =>
  z
    .string()
    .max(max * 4)
    .transform((s) => s.trim())
    .refine((s) => chars(s) <= max, `${what}: at most ${max} characters`)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), `${what}: one line, no control characters`);

// ------------------------------------------------------------------ requests

export const CreateMomentSchema = z
  .object({
    text: Written(MAX_POST_CHARS, 'text').optional().meta({ description: `At most ${MAX_POST_CHARS} characters; newlines kept` }),
    fileIds: z
      .array(FileIdSchema)
      .max(MAX_POST_IMAGES)
      .refine((ids) => new Set(ids).size === ids.length, 'fileIds: each file once')
      .optional()
      .meta({ description: `Your own finished uploads: 1–${MAX_POST_IMAGES} images, or exactly one video` }),
    location: Line(MAX_LOCATION_CHARS, 'location').optional().meta({ description: `Where it was posted, as the author wrote it (at most ${MAX_LOCATION_CHARS} characters)` }),
    visibility: VisibilitySchema,
  })
  .strict()
  .meta({ id: 'CreateMoment', description: 'Text, files or both' });
export type CreateMomentInput = z.infer<typeof CreateMomentSchema>;

export const UpdateMomentSchema = z.object({ visibility: VisibilitySchema }).strict().meta({ id: 'UpdateMoment' });

export const CreateCommentSchema = z
  .object({
    text: Written(MAX_COMMENT_CHARS, 'text').pipe(z.string().min(1, 'text: write something')),
    replyTo: CommentIdSchema.optional().meta({ description: 'A comment of the same post (one you can see) this one answers' }),
  })
  .strict()
  .meta({ id: 'CreateMomentComment' });

export const CreateReportSchema = z
  .object({ reason: Written(MAX_REASON_CHARS, 'reason').pipe(z.string().min(1, 'reason: say what is wrong')) })
  .strict()
  .meta({ id: 'CreateMomentReport' });

export const ResolveReportSchema = z
  .object({ action: z.enum(['dismiss', 'remove']).meta({ description: 'dismiss: nothing wrong (this report only); remove: the post is removed and every open report of it resolved' }) })
  .strict()
  .meta({ id: 'ResolveMomentReport' });

const Limit = z.coerce.number().int().min(1).max(MAX_PAGE);

export const FeedQuerySchema = z
  .object({
    view: z.enum(['all', 'friends', 'mine']).optional().meta({ description: 'all (default): every post you may see; friends: posts by your contacts; mine: your own' }),
    userId: UserIdSchema.optional().meta({ description: 'A person’s profile: their posts you may see (yours: all of them). Not with view' }),
    q: z.string().trim().min(1, 'q: nothing to search for').max(MAX_QUERY_CHARS).optional().meta({ description: 'Words the post’s text must all have (Chinese is cut into words)' }),
    before: CursorSchema.optional().meta({ description: 'The previous page’s `next`' }),
    limit: Limit.optional().meta({ description: `1–${MAX_PAGE} (${DEFAULT_PAGE})` }),
  })
  .strict()
  .refine((q) => !(q.view !== undefined && q.userId !== undefined), 'give view or userId, not both');
export type FeedQuery = z.infer<typeof FeedQuerySchema>;

export const CommentsQuerySchema = z
  .object({ after: CursorSchema.optional().meta({ description: 'The previous page’s `next` (comments come oldest first)' }), limit: Limit.optional() })
  .strict();
export const NoticesQuerySchema = z.object({ before: CursorSchema.optional(), limit: Limit.optional() }).strict();
export const ReportsQuerySchema = z.object({ state: z.enum(['open', 'resolved']).optional().meta({ description: 'open (default) or resolved' }), before: CursorSchema.optional(), limit: Limit.optional() }).strict();

// ------------------------------------------------------------------ views

const Person = PublicProfileSchema;

export const LikeViewSchema = z.object({ user: Person, at: z.number().int() }).meta({ id: 'MomentLike' });
export type LikeView = z.infer<typeof LikeViewSchema>;

export const CommentViewSchema = z
  .object({
    id: z.string(),
    momentId: z.string(),
    author: Person,
    text: z.string(),
    replyTo: z.object({ commentId: z.string(), user: Person }).nullable().meta({ description: 'The comment this answers and its author' }),
    createdAt: z.number().int(),
  })
  .meta({ id: 'MomentComment', description: 'Seen by its author, the post’s author, and whoever may see the post and is a contact of both (of the person answered too, for a reply)' });
export type CommentView = z.infer<typeof CommentViewSchema>;

export const MomentViewSchema = z
  .object({
    id: z.string(),
    author: Person,
    text: z.string().nullable(),
    location: z.string().nullable(),
    files: z.array(FileViewSchema).meta({ description: 'Images in order, or one video (read through /files/{id} as a reader of this post)' }),
    visibility: VisibilitySchema.optional().meta({ description: 'Only on your own posts' }),
    createdAt: z.number().int(),
    likes: z.array(LikeViewSchema).meta({ description: `The likes you may see, oldest first (at most ${INLINE_LIKES})` }),
    comments: z.array(CommentViewSchema).meta({ description: `The comments you may see, oldest first (at most ${INLINE_COMMENTS}: GET …/comments for the rest)` }),
    likeCount: z.number().int().meta({ description: 'Likes you may see' }),
    commentCount: z.number().int().meta({ description: 'Comments you may see' }),
    likedByMe: z.boolean(),
  })
  .meta({ id: 'Moment' });
export type MomentView = z.infer<typeof MomentViewSchema>;

export const MomentPageSchema = z.object({ items: z.array(MomentViewSchema), next: z.string().nullable().meta({ description: 'Give as `before` for the next page; null: no more' }) }).meta({ id: 'MomentPage' });
export type MomentPage = z.infer<typeof MomentPageSchema>;
export const CommentPageSchema = z.object({ items: z.array(CommentViewSchema), next: z.string().nullable().meta({ description: 'Give as `after` for the next page; null: no more' }) }).meta({ id: 'MomentCommentPage' });
export type CommentPage = z.infer<typeof CommentPageSchema>;

export const NOTICE_KINDS = ['like', 'comment', 'reply'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
export const NoticeViewSchema = z
  .object({
    id: z.string(),
    kind: z.enum(NOTICE_KINDS).meta({ description: 'like or comment: on your post; reply: to your comment' }),
    actor: Person,
    moment: z
      .object({ id: z.string(), text: z.string().nullable().meta({ description: 'The start of its text' }), file: z.union([FileViewSchema, z.null()]).meta({ description: 'Its first file' }) })
      .meta({ description: 'The post, in brief' }),
    // A union, not .nullable(): zod-to-openapi documents a nullable reference as one that must be an object.
    comment: z.union([CommentViewSchema, z.null()]),
    at: z.number().int(),
    read: z.boolean(),
  })
  .meta({ id: 'MomentNotice' });
export type NoticeView = z.infer<typeof NoticeViewSchema>;
export const NoticePageSchema = z.object({ items: z.array(NoticeViewSchema), next: z.string().nullable() }).meta({ id: 'MomentNoticePage' });
export type NoticePage = z.infer<typeof NoticePageSchema>;

export const BadgeSchema = z
  .object({
    newPosts: z.number().int().meta({ description: `Posts by your contacts since you last opened Moments (POST /moments/seen), at most ${BADGE_CAP}` }),
    unreadNotices: z.number().int().meta({ description: `Unread likes, comments and replies (at most ${BADGE_CAP})` }),
  })
  .meta({ id: 'MomentsBadge' });
export type Badge = z.infer<typeof BadgeSchema>;

export const REPORT_STATES = ['open', 'resolved'] as const;
export type ReportState = (typeof REPORT_STATES)[number];
export const ReportViewSchema = z
  .object({
    id: z.string(),
    reason: z.string(),
    reporter: z.union([Person, z.null()]).meta({ description: 'null once their account is gone' }),
    state: z.enum(REPORT_STATES),
    createdAt: z.number().int(),
    resolution: z.enum(['dismiss', 'remove']).nullable(),
    resolvedAt: z.number().int().nullable(),
    resolvedBy: z.string().nullable(),
    moment: z
      .object({
        id: z.string(),
        author: Person.nullable(),
        text: z.string().nullable(),
        location: z.string().nullable(),
        files: z.array(FileViewSchema),
        visibility: VisibilitySchema,
        createdAt: z.number().int(),
        removed: z.boolean().meta({ description: 'Deleted by its author or removed by an admin' }),
      })
      .meta({ description: 'The post reported, with its content' }),
  })
  .meta({ id: 'MomentReport' });
export type ReportView = z.infer<typeof ReportViewSchema>;
export const ReportPageSchema = z.object({ items: z.array(ReportViewSchema), next: z.string().nullable() }).meta({ id: 'MomentReportPage' });
export type ReportPage = z.infer<typeof ReportPageSchema>;

export const CreatedSchema = z.object({ id: z.string() }).meta({ id: 'MomentCreated' });

// ------------------------------------------------------------------ live events

/** `moments.post`: a contact posted something you may see (the Moments tab's badge; never a push notification). */
export interface MomentPostEvent {
  authorId: string;
}
