/** The service-account routes in the OpenAPI document (server/src/http/openapi.ts adds them), from the zod schemas they parse with. */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  ArticlePageSchema,
  ArticlePatchSchema,
  ArticleSchema,
  ArticleVersionSchema,
  ArticleVersionsSchema,
  ChannelsErrorSchema,
  ChannelsSettingsSchema,
  CommentBodySchema,
  CommentCreatedSchema,
  CommentPageSchema,
  CommentSchema,
  CreatedSchema,
  CreateServiceAccountSchema,
  DirectoryEntrySchema,
  EditArticleDocSchema,
  EditorsBodySchema,
  FeedEntrySchema,
  MAX_COMMENT_CHARS,
  MAX_PAGE,
  NoticePageSchema,
  NoticesReadSchema,
  PersonSchema,
  PinBodySchema,
  PublishArticleDocSchema,
  QueuePageSchema,
  ReplyBodySchema,
  ServiceAccountSchema,
  SubscriptionPatchSchema,
  SummarySchema,
  UpdateServiceAccountSchema,
} from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const err = (description: string) => ({ description, content: json(ChannelsErrorSchema) });
const E = {
  400: err('BAD_REQUEST: the body or query does not match the schema (or an editor is no active person; an avatar no image of yours); BAD_DOCUMENT: the article’s document does not pass the article schema, or names a file you may not attach or of the wrong kind'),
  401: err('UNAUTHORIZED: neither a valid access token nor the organisation’s API token'),
  403: err('FORBIDDEN: visible to you but not yours to do (a reader moderating; a guest or the organisation’s token subscribing or commenting; someone not an admin changing accounts); SECOND_FACTOR_REQUIRED: an admin whose console elevation lapsed; COMMENTS_CLOSED'),
  404: err('NOT_FOUND: no such account, article or comment — or one you may not see (another’s pending comment, a deleted article)'),
  409: err('NAME_TAKEN: another service account has this name; COMMENT_PENDING: approve before pinning'),
  413: err('PAYLOAD_TOO_LARGE'),
  415: err('UNSUPPORTED_MEDIA_TYPE: send JSON'),
  429: err('DAILY_CAP_REACHED: the account published its daily cap in the last 24 hours (Retry-After says when the next one may go); RATE_LIMITED: too many comments (Retry-After)'),
} as const;
const errors = (...codes: (keyof typeof E)[]) => Object.fromEntries(codes.map((c) => [c, E[c]]));
const accountParams = z.object({ id: z.string().meta({ description: 'Service account id (sa…)' }) });
const articleParams = z.object({ id: z.string().meta({ description: 'Article id (ar…)' }) });
const commentParams = z.object({ id: z.string().meta({ description: 'Comment id (cm…)' }) });
const cursorQuery = {
  before: z.string().optional().meta({ description: 'The previous page’s next' }),
  limit: z.number().int().min(1).max(MAX_PAGE).optional().meta({ description: `At most ${MAX_PAGE} (default 20)` }),
};

export function registerChannelsOpenApi(registry: OpenAPIRegistry): void {
  // A person's access token, or the organisation's API token where the route takes it.
  const both: Record<string, string[]>[] = [{ userToken: [] }, { bearer: [] }];
  const person: Record<string, string[]>[] = [{ userToken: [] }];
  const route = (config: RouteConfig, security = both) => registry.registerPath({ tags: ['service-accounts'], security, ...config });

  route({
    method: 'get', path: '/service-accounts', operationId: 'listServiceAccounts',
    summary: 'The directory of service accounts (anyone signed in), by name; q finds them by name (also its pinyin or initials) or description. Each says whether you subscribe',
    request: { query: z.object({ q: z.string().max(60).optional() }) },
    responses: { 200: ok('Accounts', z.object({ accounts: z.array(DirectoryEntrySchema) })), ...errors(400, 401) },
  });
  route({
    method: 'post', path: '/service-accounts', operationId: 'createServiceAccount',
    summary: 'Create a service account (an admin from the console, elevated; or the organisation’s token), with its editors. Audited',
    request: { body: { required: true, content: json(CreateServiceAccountSchema) } },
    responses: { 201: ok('Created', CreatedSchema), ...errors(400, 401, 403, 409, 413, 415) },
  });
  route({
    method: 'get', path: '/service-accounts/subscribed', operationId: 'listSubscribedServiceAccounts',
    summary: 'Your subscribed accounts, as the "Service accounts" entry opens: pinned first (your order), then by newest article; each with its newest article and a dot (newer than your last visit) — never a count',
    responses: { 200: ok('Your subscriptions', z.object({ accounts: z.array(FeedEntrySchema) })), ...errors(401, 403) },
  }, person);
  route({
    method: 'get', path: '/service-accounts/summary', operationId: 'getServiceAccountsSummary',
    summary: 'The chat list’s "Service accounts" entry: a dot when some subscribed account has a newer article than your last visit, and the newest article. No count, no push: ask when the app is opened or focused (nothing is sent live per article)',
    responses: { 200: ok('The entry', SummarySchema), ...errors(401, 403) },
  }, person);
  route({
    method: 'get', path: '/service-accounts/notices', operationId: 'listChannelNotices',
    summary: 'Your system messages about your comments (approved; deleted by the editors), newest first, with how many are unread. Each also arrives live as the event channels.notice',
    request: { query: z.object(cursorQuery) },
    responses: { 200: ok('Notices', NoticePageSchema), ...errors(400, 401, 403) },
  }, person);
  route({
    method: 'post', path: '/service-accounts/notices/read', operationId: 'readChannelNotices',
    summary: 'Mark your notices read: these ids, or all of them',
    request: { body: { required: true, content: json(NoticesReadSchema) } },
    responses: { 200: ok('How many were marked', z.object({ read: z.number().int() })), ...errors(400, 401, 403, 413, 415) },
  }, person);
  route({
    method: 'get', path: '/service-accounts/{id}', operationId: 'getServiceAccount',
    summary: 'An account’s page: profile, kind, subscriber count, whether you subscribe; its editors if you are one (or an admin)',
    request: { params: accountParams },
    responses: { 200: ok('The account', ServiceAccountSchema), ...errors(401, 404) },
  });
  route({
    method: 'patch', path: '/service-accounts/{id}', operationId: 'updateServiceAccount',
    summary: 'Change an account: name, description, kind, daily cap (at least 10), avatar (an admin from the console, or the organisation’s token). Audited',
    request: { params: accountParams, body: { required: true, content: json(UpdateServiceAccountSchema) } },
    responses: { 200: ok('The account', ServiceAccountSchema), ...errors(400, 401, 403, 404, 409, 413, 415) },
  });
  route({
    method: 'delete', path: '/service-accounts/{id}', operationId: 'deleteServiceAccount',
    summary: 'Delete an account: its page, articles and comments are gone for everyone, and it leaves its subscribers’ lists. Audited',
    request: { params: accountParams },
    responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) },
  });
  route({
    method: 'put', path: '/service-accounts/{id}/editors', operationId: 'setServiceAccountEditors',
    summary: 'Name the account’s editors (replacing the list): active people, not guests. Audited',
    request: { params: accountParams, body: { required: true, content: json(EditorsBodySchema) } },
    responses: { 200: ok('The editors', z.object({ editors: z.array(PersonSchema) })), ...errors(400, 401, 403, 404, 413, 415) },
  });
  route({
    method: 'post', path: '/service-accounts/{id}/subscription', operationId: 'subscribeServiceAccount',
    summary: 'Subscribe (from the account’s page, from search, from a shared article: the same call). Again: nothing changes. Guests cannot',
    request: { params: accountParams },
    responses: { 204: { description: 'Subscribed' }, ...errors(401, 403, 404) },
  }, person);
  route({
    method: 'delete', path: '/service-accounts/{id}/subscription', operationId: 'unsubscribeServiceAccount',
    summary: 'Unsubscribe (not subscribed: nothing changes)',
    request: { params: accountParams },
    responses: { 204: { description: 'Unsubscribed' }, ...errors(401, 403, 404) },
  }, person);
  route({
    method: 'patch', path: '/service-accounts/{id}/subscription', operationId: 'arrangeServiceAccountSubscription',
    summary: 'Pin or unpin a subscribed account, or move it among your pinned ones (position, ascending; pinning without one puts it first)',
    request: { params: accountParams, body: { required: true, content: json(SubscriptionPatchSchema) } },
    responses: { 200: ok('The subscription as listed', FeedEntrySchema), ...errors(400, 401, 403, 404, 413, 415) },
  }, person);
  route({
    method: 'post', path: '/service-accounts/{id}/articles', operationId: 'publishArticle',
    summary: 'Publish an article (the account’s editors, or the organisation’s token). Stored once, whatever the audience: subscribers find it when they open the app (a dot; no push, no count)',
    request: { params: accountParams, body: { required: true, content: json(PublishArticleDocSchema) } },
    responses: { 201: ok('Published', CreatedSchema), ...errors(400, 401, 403, 404, 413, 415, 429) },
  });
  route({
    method: 'get', path: '/service-accounts/{id}/articles', operationId: 'listArticles',
    summary: 'An account’s articles, newest first, a page at a time; q: those whose title or text have all its words. Anyone signed in; marks the account seen',
    request: { params: accountParams, query: z.object({ q: z.string().max(100).optional(), ...cursorQuery }) },
    responses: { 200: ok('A page', ArticlePageSchema), ...errors(400, 401, 404) },
  });
  route({
    method: 'get', path: '/service-accounts/{id}/comments', operationId: 'moderationQueue',
    summary: 'The moderation queue (editors, the organisation’s token): the account’s comments, newest first, by state, flag (the content check’s) and article, with reasons',
    request: {
      params: accountParams,
      query: z.object({ state: z.enum(['pending', 'approved']).optional(), flagged: z.enum(['true', 'false']).optional(), articleId: z.string().optional(), ...cursorQuery }),
    },
    responses: { 200: ok('A page', QueuePageSchema), ...errors(400, 401, 403, 404) },
  });
  route({
    method: 'get', path: '/articles/{id}', operationId: 'getArticle',
    summary: 'An article (anyone signed in, subscribed or not): its current version, marked edited once edited, with its files’ views. Marks the account seen',
    request: { params: articleParams },
    responses: { 200: ok('The article', ArticleSchema), ...errors(401, 404) },
  });
  route({
    method: 'put', path: '/articles/{id}', operationId: 'editArticle',
    summary: 'Edit an article: a new version (title and document) readers see marked edited; the earlier ones stay for the editors',
    request: { params: articleParams, body: { required: true, content: json(EditArticleDocSchema) } },
    responses: { 200: ok('The article', ArticleSchema), ...errors(400, 401, 403, 404, 413, 415) },
  });
  route({
    method: 'patch', path: '/articles/{id}', operationId: 'setArticleComments',
    summary: 'Turn comments on or off for an article (off: readers see none and cannot write one; editors still see all)',
    request: { params: articleParams, body: { required: true, content: json(ArticlePatchSchema) } },
    responses: { 200: ok('The article', ArticleSchema), ...errors(400, 401, 403, 404, 413, 415) },
  });
  route({
    method: 'delete', path: '/articles/{id}', operationId: 'deleteArticle',
    summary: 'Delete an article (editors): gone for everyone, out of the history, search and feeds',
    request: { params: articleParams },
    responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) },
  });
  route({
    method: 'get', path: '/articles/{id}/versions', operationId: 'listArticleVersions',
    summary: 'Every version of an article, newest first (editors)',
    request: { params: articleParams },
    responses: { 200: ok('Versions', ArticleVersionsSchema), ...errors(401, 403, 404) },
  });
  route({
    method: 'get', path: '/articles/{id}/versions/{version}', operationId: 'getArticleVersion',
    summary: 'One version with its document (editors)',
    request: { params: articleParams.extend({ version: z.string().meta({ description: 'Version number, 1 first' }) }) },
    responses: { 200: ok('The version', ArticleVersionSchema), ...errors(401, 403, 404) },
  });
  route({
    method: 'post', path: '/articles/{id}/comments', operationId: 'commentArticle',
    summary: `Comment on an article (a person, not a guest; at most ${MAX_COMMENT_CHARS} characters). It stays pending — seen by you and the editors only — until an editor approves it`,
    request: { params: articleParams, body: { required: true, content: json(CommentBodySchema) } },
    responses: { 201: ok('Written, pending', CommentCreatedSchema), ...errors(400, 401, 403, 404, 413, 415, 429) },
  }, person);
  route({
    method: 'get', path: '/articles/{id}/comments', operationId: 'listArticleComments',
    summary: 'An article’s comments: approved ones (pinned first, then newest) and your own pending ones; editors see all, with flags',
    request: { params: articleParams, query: z.object(cursorQuery) },
    responses: { 200: ok('A page', CommentPageSchema), ...errors(400, 401, 404) },
  });
  route({
    method: 'post', path: '/comments/{id}/approve', operationId: 'approveComment',
    summary: 'Approve a comment (editors, the organisation’s token): readers see it, and the commenter gets a system message (once)',
    request: { params: commentParams },
    responses: { 200: ok('The comment', CommentSchema), ...errors(401, 403, 404) },
  });
  route({
    method: 'delete', path: '/comments/{id}', operationId: 'deleteComment',
    summary: 'Delete a comment: your own, or (editors) any — then its author gets a system message saying so',
    request: { params: commentParams },
    responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) },
  });
  route({
    method: 'post', path: '/comments/{id}/reply', operationId: 'replyToComment',
    summary: 'The account’s reply under a comment (editors; null removes it)',
    request: { params: commentParams, body: { required: true, content: json(ReplyBodySchema) } },
    responses: { 200: ok('The comment', CommentSchema), ...errors(400, 401, 403, 404, 413, 415) },
  });
  route({
    method: 'post', path: '/comments/{id}/pin', operationId: 'pinComment',
    summary: 'Pin an approved comment above the others, or unpin it (editors)',
    request: { params: commentParams, body: { required: true, content: json(PinBodySchema) } },
    responses: { 200: ok('The comment', CommentSchema), ...errors(400, 401, 403, 404, 409, 413, 415) },
  });
  route({
    method: 'get', path: '/admin/channels/settings', operationId: 'getChannelsSettings',
    summary: 'The console: the keyword list comments are checked against (an elevated admin)',
    responses: { 200: ok('Settings', ChannelsSettingsSchema), ...errors(401, 403, 404) },
  }, person);
  route({
    method: 'put', path: '/admin/channels/settings', operationId: 'setChannelsSettings',
    summary: 'The console: replace the keyword list (an elevated admin). Comments containing one are flagged for review. Audited',
    request: { body: { required: true, content: json(ChannelsSettingsSchema) } },
    responses: { 200: ok('Settings', ChannelsSettingsSchema), ...errors(400, 401, 403, 404, 413, 415) },
  }, person);
}
