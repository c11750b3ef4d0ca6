import express, { type Request, type RequestHandler, type Router } from 'express';
import { AVATAR_MAX_BYTES } from '@muster/accounts';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Groups } from '../domain/Groups.ts';
import type { TemporaryGroups } from '../domain/TemporaryGroups.ts';
import { ImError } from '../errors.ts';
import { GroupIdSchema, GroupQuerySchema, ImAdminSettingsUpdateSchema, InviteSchema, JoinRequestIdSchema, MuteSchema, TransferSchema, UpdateGroupSchema } from '../groupsProtocol.ts';
import { CreateGroupSchema } from '../protocol.ts';
import { imErrors, parse, route, userParam, who } from './routing.ts';

/** A malformed group id names no group of yours: NOT_FOUND, as a conversation's. */
function groupParam(req: Request): string {
  const id = GroupIdSchema.safeParse(req.params.id);
  if (!id.success) throw new ImError('NOT_FOUND', 'no such group');
  return id.data;
}

function requestParam(req: Request): string {
  const id = JoinRequestIdSchema.safeParse(req.params.requestId);
  if (!id.success) throw new ImError('NOT_FOUND', 'no such pending join request');
  return id.data;
}

/**
 * Groups under /api/v1: making one, its info and members, and its
 * administration (roles, invitations and join requests, mutes, transfer,
 * leave, dissolve); and the console's temporary groups and IM settings under
 * /admin/im. A group you are not in is NOT_FOUND; one you may not change, FORBIDDEN.
 */
export function groupsApi(groups: Groups, temporaryGroups: TemporaryGroups, options: { logger: Logger }): Router {
  const router = express.Router();
  const json = jsonBody({ limit: '16kb' });
  // 999 ids of up to 64 characters: well under 128 KiB.
  const ids = jsonBody({ limit: '128kb' });
  const done = (res: express.Response) => void res.status(204).end();

  router.post('/groups', ids, route(async (req, res) => {
    const principal = who(req);
    res.status(201).json(await groups.create(principal, parse(CreateGroupSchema, req.body)));
  }));
  router.get('/groups', route(async (req, res) => {
    const principal = who(req);
    res.json(await groups.list(principal, parse(GroupQuerySchema, req.query, 'query').q));
  }));
  router.get('/groups/:id', route(async (req, res) => {
    const principal = who(req);
    const query = parse(GroupQuerySchema, req.query, 'query');
    res.json(await groups.get(principal, groupParam(req), query.q));
  }));
  router.patch('/groups/:id', json, route(async (req, res) => {
    const principal = who(req);
    const id = groupParam(req);
    res.json(await groups.update(principal, id, parse(UpdateGroupSchema, req.body)));
  }));
  router.delete('/groups/:id', route(async (req, res) => {
    await groups.dissolve(who(req), groupParam(req));
    done(res);
  }));
  router.post('/groups/:id/members', ids, route(async (req, res) => {
    const principal = who(req);
    const id = groupParam(req);
    res.json(await groups.invite(principal, id, parse(InviteSchema, req.body).userIds));
  }));
  router.delete('/groups/:id/members/:userId', route(async (req, res) => {
    const principal = who(req);
    await groups.remove(principal, groupParam(req), userParam(req, 'member'));
    done(res);
  }));
  router.post('/groups/:id/leave', json, route(async (req, res) => {
    await groups.leave(who(req), groupParam(req));
    done(res);
  }));
  router.post('/groups/:id/transfer', json, route(async (req, res) => {
    const principal = who(req);
    const id = groupParam(req);
    res.json(await groups.transfer(principal, id, parse(TransferSchema, req.body).userId));
  }));
  for (const [method, admin] of [['put', true], ['delete', false]] as const) {
    router[method]('/groups/:id/admins/:userId', route(async (req, res) => {
      const principal = who(req);
      await groups.setAdmin(principal, groupParam(req), userParam(req, 'member'), admin);
      done(res);
    }));
  }
  router.put('/groups/:id/mutes/:userId', json, route(async (req, res) => {
    const principal = who(req);
    const id = groupParam(req);
    const userId = userParam(req, 'member');
    await groups.mute(principal, id, userId, parse(MuteSchema, req.body).until ?? null);
    done(res);
  }));
  router.delete('/groups/:id/mutes/:userId', route(async (req, res) => {
    const principal = who(req);
    await groups.unmute(principal, groupParam(req), userParam(req, 'member'));
    done(res);
  }));
  // The group's photo: the image itself as the body (as PUT /me/avatar), at most AVATAR_MAX_BYTES.
  router.put(
    '/groups/:id/avatar',
    (req, _res, next) => {
      try {
        who(req);
        if (!req.is('image/*') && !req.is('application/octet-stream')) throw new ImError('UNSUPPORTED_MEDIA_TYPE', 'send the image itself, with Content-Type: image/jpeg, image/png, image/webp…');
        next();
      } catch (error) {
        next(error);
      }
    },
    express.raw({ type: () => true, limit: AVATAR_MAX_BYTES }),
    route(async (req, res) => {
      const principal = who(req);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      res.json(await groups.setAvatar(principal, groupParam(req), body));
    }),
  );
  router.delete('/groups/:id/avatar', route(async (req, res) => {
    const principal = who(req);
    res.json(await groups.removeAvatar(principal, groupParam(req)));
  }));
  router.get('/groups/:id/join-requests', route(async (req, res) => {
    const principal = who(req);
    res.json(await groups.joinRequests(principal, groupParam(req)));
  }));
  for (const [action, approve] of [['approve', true], ['decline', false]] as const) {
    router.post(`/groups/:id/join-requests/:requestId/${action}`, json, route(async (req, res) => {
      const principal = who(req);
      await groups.answer(principal, groupParam(req), requestParam(req), approve);
      done(res);
    }));
  }

  // ---------------------------------------------------------------- the console
  // The accounts router in front already turns away anyone but an elevated admin
  // from /admin; the same check again here keeps these routes safe wherever they are mounted.
  const consoleOnly: RequestHandler = (req, _res, next) => {
    try {
      temporaryGroups.assertConsole((req as Request & { principal?: Parameters<TemporaryGroups['assertConsole']>[0] }).principal ?? null);
      next();
    } catch (error) {
      next(error);
    }
  };
  router.get('/admin/im/settings', consoleOnly, route(async (_req, res) => {
    res.json(await temporaryGroups.settings());
  }));
  router.put('/admin/im/settings', consoleOnly, json, route(async (req, res) => {
    const principal = who(req);
    res.json(await temporaryGroups.updateSettings(principal, parse(ImAdminSettingsUpdateSchema, req.body)));
  }));
  router.get('/admin/im/temporary-groups', consoleOnly, route(async (_req, res) => {
    res.json(await temporaryGroups.list());
  }));

  router.use(imErrors(options.logger));
  return router;
}
