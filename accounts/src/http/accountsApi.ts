import express, { type Request, type RequestHandler, type Router } from 'express';
import type { z } from 'zod';
import { codedErrors, parseOr, route } from '@muster/kit/coded-routes';
import { jsonBody } from '@muster/kit/json-body';
import type { Logger } from '@muster/kit/log';
import type { Accounts } from '../domain/Accounts.ts';
import type { Administration } from '../domain/Administration.ts';
import type { ClientContext } from '../domain/Authenticator.ts';
import { AVATAR_MAX_BYTES, AVATAR_SIZES, type AvatarSize } from '../domain/Profiles.ts';
import type { Principal } from '../domain/SessionGuard.ts';
import { AccountError, isAccountError } from '../errors.ts';
import {
  AccountSettingsUpdateSchema,
  AdminElevateSchema,
  AdminSetupSchema,
  ChangePasswordSchema,
  CreateGuestSchema,
  GuestLoginSchema,
  IdParamSchema,
  LoginSchema,
  LookupQuerySchema,
  LogoutSchema,
  ProfileUpdateSchema,
  RefreshSchema,
  RequestCodeSchema,
  ResetPasswordSchema,
  SignupSchema,
} from '../protocol.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** The signed-in device asking, when it sent a valid access token. */
    principal?: Principal;
  }
}

export interface AccountsApiOptions {
  /** Where a failed request (a 500) is logged. */
  logger: Logger;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The access token of `Authorization: Bearer …`, if any. */
export function bearerToken(req: Request): string | undefined {
  return BEARER.exec(req.headers.authorization ?? '')?.[1];
}

/**
 * Reads the Bearer access token into `req.principal` (absent when there is
 * none, or it is not a valid user token: it may be the organisation's API
 * token, which the routes after this one check).
 */
export function readPrincipal(accounts: Accounts): RequestHandler {
  return async (req, _res, next) => {
    const token = bearerToken(req);
    if (token && token.split('.').length === 3) {
      try {
        const principal = await accounts.guard.authenticate(token);
        if (principal) req.principal = principal;
      } catch (error) {
        return next(error);
      }
    }
    next();
  };
}

function client(req: Request): ClientContext {
  return { address: req.ip ?? 'unknown', userAgent: req.headers['user-agent'] };
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  return parseOr(schema, value, what, (message) => new AccountError('BAD_REQUEST', message));
}

function signedIn(req: Request): Principal {
  if (!req.principal) throw new AccountError('UNAUTHORIZED', 'sign in: a valid access token is required');
  return req.principal;
}


/**
 * The accounts REST routes under /api/v1: auth, the signed-in person
 * (`/me`), public profiles and avatars, and the admin console's routes.
 * Every error is `{ error: { code, message } }` (RATE_LIMITED and
 * ACCOUNT_LOCKED with Retry-After); an unknown or another person's object
 * is NOT_FOUND.
 */
export function accountsApi(accounts: Accounts, options: AccountsApiOptions): Router {
  const router = express.Router();
  const json = jsonBody({ limit: '64kb' });
  const { auth, profiles } = accounts;
  const admin: Administration = accounts.admin;
  router.use(readPrincipal(accounts));

  // ---------------------------------------------------------------- auth
  // Public: a sign-up form says up front what it needs.
  router.get('/auth/policy', route(async (_req, res) => {
    res.json({ signupPolicy: (await accounts.settings()).signupPolicy });
  }));
  router.post('/auth/codes', json, route(async (req, res) => {
    const body = parse(RequestCodeSchema, req.body);
    await auth.requestCode(body.phone, body.purpose, client(req));
    res.status(204).end();
  }));
  router.post('/auth/signup', json, route(async (req, res) => {
    const body = parse(SignupSchema, req.body);
    const { account, session } = await auth.signup(body, client(req));
    if (session) res.status(201).json(session);
    else res.status(202).json({ user: await profiles.userOf(account) });
  }));
  router.post('/auth/login', json, route(async (req, res) => {
    res.json(await auth.login(parse(LoginSchema, req.body), client(req)));
  }));
  router.post('/auth/refresh', json, route(async (req, res) => {
    res.json(await auth.refresh(parse(RefreshSchema, req.body).refreshToken, client(req)));
  }));
  router.post('/auth/logout', json, route(async (req, res) => {
    const body = parse(LogoutSchema, req.body);
    await auth.logout(req.principal ?? null, body.refreshToken);
    res.status(204).end();
  }));
  router.post('/auth/password-reset', json, route(async (req, res) => {
    await auth.resetPassword(parse(ResetPasswordSchema, req.body), client(req));
    res.status(204).end();
  }));
  router.post('/auth/guest', json, route(async (req, res) => {
    const body = parse(GuestLoginSchema, req.body);
    res.json(await auth.guestLogin(body.token, body.device, client(req)));
  }));

  // ---------------------------------------------------------------- me
  router.get('/me', route(async (req, res) => {
    res.json(await profiles.me(signedIn(req)));
  }));
  router.patch('/me', json, route(async (req, res) => {
    const principal = signedIn(req);
    res.json(await profiles.update(principal, parse(ProfileUpdateSchema, req.body)));
  }));
  router.put(
    '/me/avatar',
    (req, _res, next) => {
      if (!req.principal) return next(new AccountError('UNAUTHORIZED', 'sign in: a valid access token is required'));
      if (!req.is('image/*') && !req.is('application/octet-stream')) return next(new AccountError('UNSUPPORTED_MEDIA_TYPE', 'send the image itself, with Content-Type: image/jpeg, image/png, image/webp…'));
      next();
    },
    express.raw({ type: () => true, limit: AVATAR_MAX_BYTES }),
    route(async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      res.json(await profiles.setAvatar(signedIn(req), body));
    }),
  );
  router.put('/me/password', json, route(async (req, res) => {
    await auth.changePassword(signedIn(req), parse(ChangePasswordSchema, req.body), client(req));
    res.status(204).end();
  }));
  router.get('/me/devices', route(async (req, res) => {
    res.json(await auth.devices(signedIn(req)));
  }));
  router.post('/me/devices/sign-out-others', json, route(async (req, res) => {
    res.json({ signedOut: await auth.signOutOthers(signedIn(req)) });
  }));
  router.delete('/me/devices/:id', route(async (req, res) => {
    const principal = signedIn(req);
    const id = IdParamSchema.safeParse(req.params.id);
    if (!id.success) throw new AccountError('NOT_FOUND', 'no such device');
    await auth.signOutDevice(principal, id.data);
    res.status(204).end();
  }));

  // ---------------------------------------------------------------- people
  // Before /users/:id, which would read "lookup" as an id.
  router.get('/users/lookup', route(async (req, res) => {
    const principal = signedIn(req);
    const query = parse(LookupQuerySchema, req.query, 'query');
    res.json(await profiles.lookup(principal, query));
  }));
  router.get('/users/:id', route(async (req, res) => {
    signedIn(req);
    const id = IdParamSchema.safeParse(req.params.id);
    if (!id.success) throw new AccountError('NOT_FOUND', 'no such user');
    res.json(await profiles.publicProfile(id.data));
  }));
  // Image elements send no token: the path's signature stands in for it (see Profiles.avatar).
  router.get('/avatars/:id/:version/:file', route(async (req, res) => {
    const match = /^(small|large)\.webp$/.exec(String(req.params.file ?? ''));
    const id = IdParamSchema.safeParse(req.params.id);
    const version = Number(req.params.version);
    const sig = typeof req.query.sig === 'string' ? req.query.sig : '';
    if (!match || !id.success || !Number.isInteger(version) || version < 1 || !(match[1]! in AVATAR_SIZES)) throw new AccountError('NOT_FOUND', 'no such avatar');
    const image = await profiles.avatar(id.data, version, match[1] as AvatarSize, sig);
    // The path changes with every new avatar: the image at one path never changes.
    res.set('Cache-Control', 'private, max-age=31536000, immutable').type('image/webp').send(image);
  }));

  // ---------------------------------------------------------------- admin
  router.post('/admin/setup', json, route(async (req, res) => {
    const body = parse(AdminSetupSchema, req.body);
    const result = await admin.setup(body, client(req));
    res.status(201).json(result.totp ? { ...result.session, totp: result.totp } : result.session);
  }));
  router.post('/admin/elevate', json, route(async (req, res) => {
    const principal = req.principal;
    if (!principal || principal.role !== 'admin') throw new AccountError('NOT_FOUND', 'no such API route');
    res.json(await admin.elevate(principal, parse(AdminElevateSchema, req.body), client(req)));
  }));
  const consoleOnly: RequestHandler = (req, _res, next) => {
    try {
      admin.assertConsole(req.principal ?? null);
      next();
    } catch (error) {
      next(error);
    }
  };
  router.use('/admin', consoleOnly);
  router.get('/admin/users', route(async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
    res.json(await admin.searchUsers(q));
  }));
  const userId = (req: Request) => {
    const id = IdParamSchema.safeParse(req.params.id);
    if (!id.success) throw new AccountError('NOT_FOUND', 'no such user');
    return id.data;
  };
  router.get('/admin/users/:id', route(async (req, res) => {
    res.json(await admin.user(userId(req)));
  }));
  router.post('/admin/users/:id/disable', json, route(async (req, res) => {
    res.json(await admin.setStatus(req.principal!, userId(req), 'disabled'));
  }));
  router.post('/admin/users/:id/enable', json, route(async (req, res) => {
    res.json(await admin.setStatus(req.principal!, userId(req), 'active'));
  }));
  router.post('/admin/users/:id/approve', json, route(async (req, res) => {
    res.json(await admin.approve(req.principal!, userId(req)));
  }));
  router.post('/admin/users/:id/unlock', json, route(async (req, res) => {
    res.json(await admin.unlock(req.principal!, userId(req)));
  }));
  router.post('/admin/users/:id/reset-password', json, route(async (req, res) => {
    res.json(await admin.resetPassword(req.principal!, userId(req)));
  }));
  router.post('/admin/users/:id/sign-out', json, route(async (req, res) => {
    res.json(await admin.signOutEverywhere(req.principal!, userId(req)));
  }));
  router.delete('/admin/users/:id', route(async (req, res) => {
    await admin.deleteUser(req.principal!, userId(req));
    res.status(204).end();
  }));
  router.post('/admin/guests', jsonBody({ limit: '256kb' }), route(async (req, res) => {
    const body = parse(CreateGuestSchema, req.body);
    const names = body.nickname !== undefined ? [body.nickname] : body.nicknames ?? namesFromCsv(body.csv ?? '');
    res.status(201).json(await admin.createGuests(req.principal!, names, body.expiresAt));
  }));
  router.get('/admin/codes', route(async (_req, res) => {
    res.json(admin.pendingCodes());
  }));
  router.get('/admin/security-events', route(async (req, res) => {
    const limit = Math.min(500, Math.max(1, Number(req.query.limit) || 100));
    const accountId = typeof req.query.user === 'string' && IdParamSchema.safeParse(req.query.user).success ? req.query.user : undefined;
    res.json(await admin.securityEvents({ limit, accountId }));
  }));
  router.get('/admin/settings', route(async (_req, res) => {
    res.json(await admin.settings());
  }));
  router.patch('/admin/settings', json, route(async (req, res) => {
    res.json(await admin.updateSettings(req.principal!, parse(AccountSettingsUpdateSchema, req.body)));
  }));

  router.use(accountErrors(options.logger));
  return router;
}

/** A CSV of guests: the first column of each non-empty line is the name (a header line "name" is skipped). */
export function namesFromCsv(csv: string): string[] {
  const names: string[] = [];
  for (const line of csv.split(/\r?\n/)) {
    const first = firstCsvField(line).trim();
    if (first === '' || (names.length === 0 && /^(name|nickname|姓名|名字)$/i.test(first))) continue;
    if (first.length > 40 || /[\u0000-\u001f\u007f]/.test(first)) throw new AccountError('BAD_REQUEST', `csv: "${first.slice(0, 40)}…" is not a name (at most 40 characters)`);
    names.push(first);
  }
  if (names.length === 0) throw new AccountError('BAD_REQUEST', 'csv: no names');
  if (names.length > 500) throw new AccountError('BAD_REQUEST', 'csv: at most 500 guests at once');
  return names;
}

function firstCsvField(line: string): string {
  if (!line.startsWith('"')) return line.split(',')[0] ?? '';
  let value = '';
  for (let i = 1; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"') {
      if (line[i + 1] === '"') {
        value += '"';
        i++;
      } else break;
    } else value += ch;
  }
  return value;
}

/** Coded replies for everything the routes throw; never a stack trace. */
export const accountErrors = (logger: Logger) => codedErrors({ domain: 'accounts', logger, isCoded: isAccountError });
