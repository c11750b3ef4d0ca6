import express, { type Response, type Router } from 'express';
import { z } from 'zod';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Moments } from '../Moments.ts';
import {
  CommentsQuerySchema,
  CreateCommentSchema,
  CreateMomentSchema,
  CreateReportSchema,
  FeedQuerySchema,
  NoticesQuerySchema,
  ReportsQuerySchema,
  ResolveReportSchema,
  UpdateMomentSchema,
} from '../protocol.ts';
import { commentParam, momentParam, momentsErrors, parse, principalOf, reportParam, route, who } from './routing.ts';

/** Routes that take no body take none: an empty JSON object at most. */
const NoBody = z.object({}).strict();

/**
 * The Moments routes under /api/v1, for the signed-in person (the accounts
 * router in front has read their access token); the report console's for
 * an elevated admin. `apiToken` is taken for the shape all domain routers
 * share: nothing in Moments is done by the organisation as itself.
 */
export function momentsApi(moments: Moments, options: { logger: Logger; apiToken?: string }): Router {
  const router = express.Router();
  // A post is at most 2,000 characters (8 KB of UTF-8) and nine file ids.
  const json = jsonBody({ limit: '32kb' });
  const fresh = (res: Response) => res.set('Cache-Control', 'no-store');

  router.post('/moments', json, route(async (req, res) => {
    const principal = who(req);
    res.status(201).json(await moments.posts.create(principal, parse(CreateMomentSchema, req.body)));
  }));
  router.get('/moments', route(async (req, res) => {
    const principal = who(req);
    fresh(res).json(await moments.feed.page(principal, parse(FeedQuerySchema, req.query, 'query')));
  }));

  // ---------------------------------------------------------------- the tab: badge and notices
  router.get('/moments/badge', route(async (req, res) => {
    fresh(res).json(await moments.badge(who(req)));
  }));
  router.post('/moments/seen', json, route(async (req, res) => {
    const principal = who(req);
    parse(NoBody, req.body);
    await moments.feed.markSeen(principal);
    res.status(204).end();
  }));
  router.get('/moments/notices', route(async (req, res) => {
    const principal = who(req);
    fresh(res).json(await moments.notices.list(principal, parse(NoticesQuerySchema, req.query, 'query')));
  }));
  router.post('/moments/notices/read', json, route(async (req, res) => {
    const principal = who(req);
    parse(NoBody, req.body);
    await moments.notices.markRead(principal);
    res.status(204).end();
  }));

  // ---------------------------------------------------------------- the console: reports
  router.get('/moments/reports', route(async (req, res) => {
    const principal = principalOf(req);
    moments.reports.assertConsole(principal);
    fresh(res).json(await moments.reports.list(principal, parse(ReportsQuerySchema, req.query, 'query')));
  }));
  router.post('/moments/reports/:id/resolve', json, route(async (req, res) => {
    const principal = principalOf(req);
    moments.reports.assertConsole(principal);
    const id = reportParam(req);
    res.json(await moments.reports.resolve(principal, id, parse(ResolveReportSchema, req.body).action));
  }));

  // ---------------------------------------------------------------- one post
  router.get('/moments/:id', route(async (req, res) => {
    const principal = who(req);
    fresh(res).json(await moments.feed.one(principal, momentParam(req)));
  }));
  router.patch('/moments/:id', json, route(async (req, res) => {
    const principal = who(req);
    const id = momentParam(req);
    await moments.posts.setVisibility(principal, id, parse(UpdateMomentSchema, req.body).visibility);
    res.json(await moments.feed.one(principal, id));
  }));
  router.delete('/moments/:id', route(async (req, res) => {
    const principal = who(req);
    await moments.posts.remove(principal, momentParam(req));
    res.status(204).end();
  }));

  router.post('/moments/:id/likes', json, route(async (req, res) => {
    const principal = who(req);
    const id = momentParam(req);
    parse(NoBody, req.body);
    await moments.likes.like(principal, id);
    res.status(204).end();
  }));
  router.delete('/moments/:id/likes', route(async (req, res) => {
    const principal = who(req);
    await moments.likes.unlike(principal, momentParam(req));
    res.status(204).end();
  }));

  router.get('/moments/:id/comments', route(async (req, res) => {
    const principal = who(req);
    const id = momentParam(req);
    fresh(res).json(await moments.comments.page(principal, id, parse(CommentsQuerySchema, req.query, 'query')));
  }));
  router.post('/moments/:id/comments', json, route(async (req, res) => {
    const principal = who(req);
    const id = momentParam(req);
    res.status(201).json(await moments.comments.add(principal, id, parse(CreateCommentSchema, req.body)));
  }));
  router.get('/moments/:id/comments/:commentId', route(async (req, res) => {
    const principal = who(req);
    fresh(res).json(await moments.comments.one(principal, momentParam(req), commentParam(req)));
  }));
  router.delete('/moments/:id/comments/:commentId', route(async (req, res) => {
    const principal = who(req);
    await moments.comments.remove(principal, momentParam(req), commentParam(req));
    res.status(204).end();
  }));

  router.post('/moments/:id/reports', json, route(async (req, res) => {
    const principal = who(req);
    const id = momentParam(req);
    res.status(201).json(await moments.reports.report(principal, id, parse(CreateReportSchema, req.body).reason));
  }));

  router.use(momentsErrors(options.logger));
  return router;
}
