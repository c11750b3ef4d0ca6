/** The Moments routes in the OpenAPI document (server/src/http/openapi.ts adds them), from the zod schemas they parse with. */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  BadgeSchema,
  CommentPageSchema,
  CommentViewSchema,
  CreateCommentSchema,
  CreateMomentSchema,
  CreatedSchema,
  CreateReportSchema,
  DEFAULT_PAGE,
  MAX_PAGE,
  MomentPageSchema,
  MomentsErrorSchema,
  MomentViewSchema,
  NoticePageSchema,
  ReportPageSchema,
  ReportViewSchema,
  ResolveReportSchema,
  UpdateMomentSchema,
} from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const err = (description: string) => ({ description, content: json(MomentsErrorSchema) });
const E = {
  400: err('BAD_REQUEST: the body or query does not match the schema; BAD_ATTACHMENTS: not 1–9 images or one video of your own finished uploads'),
  401: err('UNAUTHORIZED: no valid access token'),
  403: err('FORBIDDEN: a guest account, or a post or comment you see that is not yours to change'),
  404: err('NOT_FOUND: no such post (or comment) that you may see'),
  409: err('ALREADY_RESOLVED'),
  413: err('PAYLOAD_TOO_LARGE'),
  415: err('UNSUPPORTED_MEDIA_TYPE: send JSON'),
  429: err('RATE_LIMITED: too many posts, comments, likes or reports in an hour (Retry-After)'),
} as const;
const errors = (...codes: (keyof typeof E)[]) => Object.fromEntries(codes.map((c) => [c, E[c]]));
const consoleErrors = {
  403: err('SECOND_FACTOR_REQUIRED: the console wants an elevated admin'),
  404: err('NOT_FOUND: not an admin (no such route), or no such report'),
};

const id = z.object({ id: z.string().meta({ description: 'A post id' }) });
const commentIds = z.object({ id: z.string().meta({ description: 'A post id' }), commentId: z.string().meta({ description: 'A comment id' }) });
const page = { before: z.string().optional().meta({ description: 'The previous page’s `next`' }), limit: z.string().optional().meta({ description: `1–${MAX_PAGE} (${DEFAULT_PAGE})` }) };

export function registerMomentsOpenApi(registry: OpenAPIRegistry): void {
  const route = (config: RouteConfig) => registry.registerPath({ tags: ['moments'], security: [{ userToken: [] }], ...config });
  route({
    method: 'post', path: '/moments', operationId: 'createMoment',
    summary: 'Post to Moments: text, 1–9 images or one video (your own finished uploads), a location, and who sees it (all: everyone in the organisation; friends: your contacts; private: only you). Your online contacts who may see it are told (moments.post: the badge). Guests cannot post',
    request: { body: { required: true, content: json(CreateMomentSchema) } },
    responses: { 201: ok('Posted', CreatedSchema), ...errors(400, 401, 403, 413, 415, 429) },
  });
  route({
    method: 'get', path: '/moments', operationId: 'listMoments',
    summary: 'A feed, newest first: view=all (every post you may see), friends (posts by your contacts) or mine; or userId=… for a person’s profile (their posts you may see); q=… searches the posts’ text (every word). Each post carries only the likes and comments you may see (those of people who are contacts of both you and its author), and its visibility only when it is yours',
    request: {
      query: z.object({
        view: z.enum(['all', 'friends', 'mine']).optional(),
        userId: z.string().optional(),
        q: z.string().optional().meta({ description: 'At most 100 characters, 16 words' }),
        ...page,
      }),
    },
    responses: { 200: ok('A page of posts', MomentPageSchema), ...errors(400, 401) },
  });
  route({
    method: 'get', path: '/moments/badge', operationId: 'getMomentsBadge',
    summary: 'The Moments tab’s badge: new posts by your contacts since you last opened it, and unread likes, comments and replies',
    responses: { 200: ok('The counts', BadgeSchema), ...errors(401) },
  });
  route({
    method: 'post', path: '/moments/seen', operationId: 'markMomentsSeen',
    summary: 'You opened the Moments tab: the new-posts count starts again from now',
    responses: { 204: { description: 'Noted' }, ...errors(400, 401) },
  });
  route({
    method: 'get', path: '/moments/notices', operationId: 'listMomentNotices',
    summary: 'Likes and comments on your posts, and replies to your comments, newest first; only those you may still see (an unlike, a deleted comment or post takes its notice away)',
    request: { query: z.object(page) },
    responses: { 200: ok('A page of notices', NoticePageSchema), ...errors(400, 401) },
  });
  route({
    method: 'post', path: '/moments/notices/read', operationId: 'readMomentNotices',
    summary: 'Marks all your notices read',
    responses: { 204: { description: 'Read' }, ...errors(400, 401) },
  });
  route({
    method: 'get', path: '/moments/reports', operationId: 'listMomentReports',
    summary: 'The admin console: reported posts with their content, newest report first (an elevated admin)',
    request: { query: z.object({ state: z.enum(['open', 'resolved']).optional(), ...page }) },
    responses: { 200: ok('A page of reports', ReportPageSchema), ...errors(400), ...consoleErrors },
  });
  route({
    method: 'post', path: '/moments/reports/{id}/resolve', operationId: 'resolveMomentReport',
    summary: 'The admin console: dismiss a report, or remove the post (audited; every open report of it is resolved)',
    request: { params: z.object({ id: z.string().meta({ description: 'A report id' }) }), body: { required: true, content: json(ResolveReportSchema) } },
    responses: { 200: ok('The report, resolved', ReportViewSchema), ...errors(400, 409, 413, 415), ...consoleErrors },
  });
  route({
    method: 'get', path: '/moments/{id}', operationId: 'getMoment',
    summary: 'One post you may see (404 for any other, as for one that does not exist)',
    request: { params: id },
    responses: { 200: ok('The post', MomentViewSchema), ...errors(401, 404) },
  });
  route({
    method: 'patch', path: '/moments/{id}', operationId: 'updateMoment',
    summary: 'Change who sees your post',
    request: { params: id, body: { required: true, content: json(UpdateMomentSchema) } },
    responses: { 200: ok('The post', MomentViewSchema), ...errors(400, 401, 403, 404, 413, 415) },
  });
  route({
    method: 'delete', path: '/moments/{id}', operationId: 'deleteMoment',
    summary: 'Delete your post; an admin removes anyone’s (even one they cannot see; audited). It is gone from every feed at once, and its files are unreadable to others',
    request: { params: id },
    responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) },
  });
  route({
    method: 'post', path: '/moments/{id}/likes', operationId: 'likeMoment',
    summary: 'Like a post you may see (liking again changes nothing); its author is told',
    request: { params: id },
    responses: { 204: { description: 'Liked' }, ...errors(400, 401, 404, 429) },
  });
  route({
    method: 'delete', path: '/moments/{id}/likes', operationId: 'unlikeMoment',
    summary: 'Take your like back',
    request: { params: id },
    responses: { 204: { description: 'Not liked' }, ...errors(401, 404) },
  });
  route({
    method: 'get', path: '/moments/{id}/comments', operationId: 'listMomentComments',
    summary: 'The comments of a post that you may see, oldest first',
    request: { params: id, query: z.object({ after: z.string().optional().meta({ description: 'The previous page’s `next`' }), limit: page.limit }) },
    responses: { 200: ok('A page of comments', CommentPageSchema), ...errors(400, 401, 404) },
  });
  route({
    method: 'post', path: '/moments/{id}/comments', operationId: 'commentMoment',
    summary: 'Comment on a post you may see, or answer one of its comments you can see; the post’s author (and the person answered) is told',
    request: { params: id, body: { required: true, content: json(CreateCommentSchema) } },
    responses: { 201: ok('Commented', CreatedSchema), ...errors(400, 401, 404, 413, 415, 429) },
  });
  route({
    method: 'get', path: '/moments/{id}/comments/{commentId}', operationId: 'getMomentComment',
    summary: 'One comment you may see',
    request: { params: commentIds },
    responses: { 200: ok('The comment', CommentViewSchema), ...errors(401, 404) },
  });
  route({
    method: 'delete', path: '/moments/{id}/comments/{commentId}', operationId: 'deleteMomentComment',
    summary: 'Delete a comment: yours, or any on your post',
    request: { params: commentIds },
    responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) },
  });
  route({
    method: 'post', path: '/moments/{id}/reports', operationId: 'reportMoment',
    summary: 'Report someone’s post you may see to the admins (reporting it again answers your open report)',
    request: { params: id, body: { required: true, content: json(CreateReportSchema) } },
    responses: { 201: ok('Reported', CreatedSchema), ...errors(400, 401, 404, 413, 415, 429) },
  });
}
