import express, { type Request, type Response, type Router } from 'express';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Channels } from '../Channels.ts';
import { MAX_DOCUMENT_BYTES } from '../document/validate.ts';
import {
  ArticleIdSchema,
  ArticlePatchSchema,
  ArticlesQuerySchema,
  ChannelsSettingsSchema,
  CommentBodySchema,
  CommentIdSchema,
  CommentsQuerySchema,
  CreateServiceAccountSchema,
  DirectoryQuerySchema,
  EditArticleSchema,
  EditorsBodySchema,
  NoticesQuerySchema,
  NoticesReadSchema,
  PinBodySchema,
  PublishArticleSchema,
  QueueQuerySchema,
  ReplyBodySchema,
  ServiceAccountIdSchema,
  SubscriptionPatchSchema,
  UpdateServiceAccountSchema,
} from '../protocol.ts';
import { actorOf, channelsErrors, documentBody, idParam, parse, route } from './routing.ts';

export interface ChannelsApiOptions {
  logger: Logger;
  /** The organisation's API token (MUSTER_API_TOKEN): a business system publishing and moderating through these routes. */
  apiToken?: string;
}

/**
 * The service-account routes under /api/v1. Each takes a person's access
 * token (read by the accounts router in front) or the organisation's API
 * token; documented in channelsOpenApi.ts and docs/channels.md.
 */
export function channelsApi(channels: Channels, options: ChannelsApiOptions): Router {
  const router = express.Router();
  const json = jsonBody({ limit: '16kb' });
  // An article's document is at most 512 KiB of JSON; the body holds it and its title.
  const articleJson = [documentBody, ...jsonBody({ limit: MAX_DOCUMENT_BYTES + 128 * 1024 })];
  const who = (req: Request) => actorOf(req, options.apiToken);
  const account = (req: Request) => idParam(ServiceAccountIdSchema, req.params.id, 'service account');
  const article = (req: Request) => idParam(ArticleIdSchema, req.params.id, 'article');
  const comment = (req: Request) => idParam(CommentIdSchema, req.params.id, 'comment');
  const fresh = (res: Response) => res.set('Cache-Control', 'no-store');

  // ---------------------------------------------------------------- accounts (literal paths before /:id)
  router.get('/service-accounts', route(async (req, res) => {
    const actor = who(req);
    const { q } = parse(DirectoryQuerySchema, req.query, 'query');
    fresh(res).json({ accounts: await channels.serviceAccounts.directory(actor, q) });
  }));
  router.post('/service-accounts', json, route(async (req, res) => {
    const actor = who(req);
    res.status(201).json(await channels.serviceAccounts.create(actor, parse(CreateServiceAccountSchema, req.body)));
  }));
  router.get('/service-accounts/subscribed', route(async (req, res) => {
    const actor = who(req);
    fresh(res).json({ accounts: await channels.subscriptions.feed(actor) });
  }));
  router.get('/service-accounts/summary', route(async (req, res) => {
    const actor = who(req);
    fresh(res).json(await channels.subscriptions.summary(actor));
  }));
  router.get('/service-accounts/notices', route(async (req, res) => {
    const actor = who(req);
    fresh(res).json(await channels.notices.list(actor, parse(NoticesQuerySchema, req.query, 'query')));
  }));
  router.post('/service-accounts/notices/read', json, route(async (req, res) => {
    const actor = who(req);
    res.json(await channels.notices.markRead(actor, parse(NoticesReadSchema, req.body).ids));
  }));

  router.get('/service-accounts/:id', route(async (req, res) => {
    const actor = who(req);
    fresh(res).json(await channels.serviceAccounts.page(actor, account(req)));
  }));
  router.patch('/service-accounts/:id', json, route(async (req, res) => {
    const actor = who(req);
    const id = account(req);
    res.json(await channels.serviceAccounts.update(actor, id, parse(UpdateServiceAccountSchema, req.body)));
  }));
  router.delete('/service-accounts/:id', route(async (req, res) => {
    const actor = who(req);
    await channels.serviceAccounts.delete(actor, account(req));
    res.status(204).end();
  }));
  router.put('/service-accounts/:id/editors', json, route(async (req, res) => {
    const actor = who(req);
    const id = account(req);
    res.json({ editors: await channels.serviceAccounts.setEditors(actor, id, parse(EditorsBodySchema, req.body).editors) });
  }));

  router.post('/service-accounts/:id/subscription', route(async (req, res) => {
    const actor = who(req);
    await channels.subscriptions.subscribe(actor, account(req));
    res.status(204).end();
  }));
  router.delete('/service-accounts/:id/subscription', route(async (req, res) => {
    const actor = who(req);
    await channels.subscriptions.unsubscribe(actor, account(req));
    res.status(204).end();
  }));
  router.patch('/service-accounts/:id/subscription', json, route(async (req, res) => {
    const actor = who(req);
    const id = account(req);
    res.json(await channels.subscriptions.arrange(actor, id, parse(SubscriptionPatchSchema, req.body)));
  }));

  router.post('/service-accounts/:id/articles', articleJson, route(async (req, res) => {
    const actor = who(req);
    const id = account(req);
    const { id: articleId } = await channels.articles.publish(actor, id, parse(PublishArticleSchema, req.body));
    res.status(201).json({ id: articleId });
  }));
  router.get('/service-accounts/:id/articles', route(async (req, res) => {
    const actor = who(req);
    const id = account(req);
    fresh(res).json(await channels.articles.list(actor, id, parse(ArticlesQuerySchema, req.query, 'query')));
  }));
  router.get('/service-accounts/:id/comments', route(async (req, res) => {
    const actor = who(req);
    const id = account(req);
    const query = parse(QueueQuerySchema, req.query, 'query');
    fresh(res).json(await channels.comments.queue(actor, id, { ...query, flagged: query.flagged === undefined ? undefined : query.flagged === 'true' }));
  }));

  // ---------------------------------------------------------------- articles
  router.get('/articles/:id', route(async (req, res) => {
    const actor = who(req);
    fresh(res).json(await channels.articles.read(actor, article(req)));
  }));
  router.put('/articles/:id', articleJson, route(async (req, res) => {
    const actor = who(req);
    const id = article(req);
    res.json(await channels.articles.edit(actor, id, parse(EditArticleSchema, req.body)));
  }));
  router.patch('/articles/:id', json, route(async (req, res) => {
    const actor = who(req);
    const id = article(req);
    res.json(await channels.articles.setCommentsEnabled(actor, id, parse(ArticlePatchSchema, req.body).commentsEnabled));
  }));
  router.delete('/articles/:id', route(async (req, res) => {
    const actor = who(req);
    await channels.articles.delete(actor, article(req));
    res.status(204).end();
  }));
  router.get('/articles/:id/versions', route(async (req, res) => {
    const actor = who(req);
    fresh(res).json({ versions: await channels.articles.versions(actor, article(req)) });
  }));
  router.get('/articles/:id/versions/:version', route(async (req, res) => {
    const actor = who(req);
    const id = article(req);
    // Not a version number: no such version (0 is none), after the same checks.
    const version = /^[1-9][0-9]{0,8}$/.test(String(req.params.version)) ? Number(req.params.version) : 0;
    fresh(res).json(await channels.articles.version(actor, id, version));
  }));
  router.post('/articles/:id/comments', json, route(async (req, res) => {
    const actor = who(req);
    const id = article(req);
    res.status(201).json(await channels.comments.add(actor, id, parse(CommentBodySchema, req.body).text));
  }));
  router.get('/articles/:id/comments', route(async (req, res) => {
    const actor = who(req);
    const id = article(req);
    fresh(res).json(await channels.comments.list(actor, id, parse(CommentsQuerySchema, req.query, 'query')));
  }));

  // ---------------------------------------------------------------- comments
  router.post('/comments/:id/approve', route(async (req, res) => {
    const actor = who(req);
    res.json(await channels.comments.approve(actor, comment(req)));
  }));
  router.delete('/comments/:id', route(async (req, res) => {
    const actor = who(req);
    await channels.comments.delete(actor, comment(req));
    res.status(204).end();
  }));
  router.post('/comments/:id/reply', json, route(async (req, res) => {
    const actor = who(req);
    const id = comment(req);
    res.json(await channels.comments.reply(actor, id, parse(ReplyBodySchema, req.body).text));
  }));
  router.post('/comments/:id/pin', json, route(async (req, res) => {
    const actor = who(req);
    const id = comment(req);
    res.json(await channels.comments.pin(actor, id, parse(PinBodySchema, req.body).pinned));
  }));

  // ---------------------------------------------------------------- the console
  // Under /admin the accounts router in front already turns away anyone but an elevated admin (the API token
  // too: these are the console's); the same check again here keeps them safe wherever they are mounted.
  router.get('/admin/channels/settings', route(async (req, res) => {
    const actor = who(req);
    fresh(res).json(await channels.getSettings(actor));
  }));
  router.put('/admin/channels/settings', json, route(async (req, res) => {
    const actor = who(req);
    res.json(await channels.putSettings(actor, parse(ChannelsSettingsSchema, req.body)));
  }));

  router.use(channelsErrors(options.logger));
  return router;
}
