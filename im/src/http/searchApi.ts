import express, { type Router } from 'express';
import type { Logger } from '@muster/kit/log';
import type { MessageSearch } from '../domain/MessageSearch.ts';
import { SearchQuerySchema } from '../protocol.ts';
import { imErrors, parse, route, who } from './routing.ts';

/**
 * GET /api/v1/search/messages?q=&conversationId=&beforeSeq=&before=&limit=
 * → { results: SearchHit[], next }: the person's messages having every word
 * of q, newest first (see MessageSearch). Another person's conversation is 404.
 */
export function searchApi(search: MessageSearch, options: { logger: Logger }): Router {
  const router = express.Router();
  router.get('/search/messages', route(async (req, res) => {
    const principal = who(req);
    const query = parse(SearchQuerySchema, req.query, 'query');
    res.json(await search.search(principal, query));
  }));
  router.use(imErrors(options.logger));
  return router;
}
