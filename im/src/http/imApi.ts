import express, { type Router } from 'express';
import type { Logger } from '@muster/kit/log';
import type { Im } from '../Im.ts';
import { contactsApi } from './contactsApi.ts';
import { conversationsApi } from './conversationsApi.ts';
import { callsApi } from './callsApi.ts';
import { searchApi } from './searchApi.ts';
import { groupsApi } from './groupsApi.ts';
import { syncApi } from './syncApi.ts';
import { exportApi } from '../export/exportApi.ts';

/**
 * Every IM route under /api/v1, one router per capability (each answers its
 * own errors with coded replies). The accounts router in front of it has
 * read the access token; a route without one is UNAUTHORIZED.
 */
export function imApi(im: Im, options: { logger: Logger }): Router {
  const router = express.Router();
  router.use(contactsApi(im.contacts, options));
  router.use(conversationsApi(im.conversations, options));
  router.use(groupsApi(im.groups, im.temporaryGroups, options));
  router.use(callsApi(im.calls, options));
  router.use(searchApi(im.search, options));
  router.use(syncApi(im, options));
  router.use(exportApi(im.exports, options));
  return router;
}
