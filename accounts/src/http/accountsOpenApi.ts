/**
 * The accounts routes in the OpenAPI document (server/src/http/openapi.ts
 * adds them), from the same zod schemas the routes parse with.
 */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  AccountErrorSchema,
  AccountSettingsSchema,
  AccountSettingsUpdateSchema,
  AdminElevateSchema,
  AdminSetupSchema,
  AdminUserSchema,
  ChangePasswordSchema,
  CreatedGuestSchema,
  CreateGuestSchema,
  DeviceSchema,
  GuestLoginSchema,
  LoginSchema,
  LogoutSchema,
  PendingCodeSchema,
  ProfileUpdateSchema,
  PublicProfileSchema,
  RefreshSchema,
  RequestCodeSchema,
  ResetPasswordSchema,
  SecurityEventSchema,
  SessionSchema,
  SignupSchema,
  SignupPolicyReplySchema,
  UserSchema,
} from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const none = (description: string) => ({ description });
const body = (schema: z.ZodType, required = true) => ({ required, content: json(schema) });
const err = (description: string) => ({ description, content: json(AccountErrorSchema) });

const E = {
  400: err('BAD_REQUEST (the body does not match the schema), PHONE_INVALID, PASSWORD_WEAK, PASSWORD_REQUIRED, CODE_REQUIRED, IMAGE_INVALID'),
  401: err('UNAUTHORIZED (no valid access token, or a refresh token already used: the device is signed out), INVALID_CREDENTIALS, CODE_INVALID, CODE_EXPIRED, LINK_INVALID'),
  403: err('ACCOUNT_DISABLED, ACCOUNT_PENDING, ACCOUNT_EXPIRED, SECOND_FACTOR_REQUIRED'),
  404: err('NOT_FOUND: no such object, or one that is not yours'),
  409: err('PHONE_TAKEN, MUSTER_ID_TAKEN, MUSTER_ID_TOO_SOON'),
  413: err('PAYLOAD_TOO_LARGE'),
  415: err('UNSUPPORTED_MEDIA_TYPE'),
  423: err('ACCOUNT_LOCKED: too many wrong passwords; password log-in is locked for 15 minutes (Retry-After), a code still works'),
  429: err('RATE_LIMITED: too many requests (Retry-After, seconds)'),
  502: err('CODE_DELIVERY_FAILED: the SMS gateway did not take the code'),
} as const;
type Status = keyof typeof E;
const errors = (...codes: Status[]) => Object.fromEntries(codes.map((c) => [c, E[c]]));

const DeviceParams = z.object({ id: z.string().meta({ description: 'Device id (from GET /me/devices)' }) });
const UserParams = z.object({ id: z.string().meta({ description: 'User id' }) });
const AvatarParams = z.object({
  id: z.string(),
  version: z.string().meta({ description: 'Avatar version (bumped by each upload)' }),
  file: z.enum(['small.webp', 'large.webp']),
});
const AvatarQuery = z.object({ sig: z.string().meta({ description: "The path's signature, as given in a profile's avatar paths" }) });
const ElevatedSchema = z.object({ accessToken: z.string(), accessTokenExpiresAt: z.number().int(), elevatedUntil: z.number().int() }).meta({ id: 'Elevated' });
const SetupReplySchema = SessionSchema.extend({
  totp: z.object({ secret: z.string(), uri: z.string().meta({ description: 'otpauth:// URI for an authenticator app' }) }).optional(),
}).meta({ id: 'AdminSetupReply' });
const ResetByAdminSchema = z.object({ user: AdminUserSchema, temporaryPassword: z.string().meta({ description: 'Shown once; every device of the user is signed out' }) }).meta({ id: 'AdminPasswordReset' });

export function registerAccountsOpenApi(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', 'userToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: "A person's access token (POST /auth/login), 15 minutes; renewed with POST /auth/refresh",
  });
  const user = [{ userToken: [] }];
  const open: Record<string, string[]>[] = [];
  const route = (tag: string, config: RouteConfig) => registry.registerPath({ tags: [tag], ...config });

  route('auth', {
    method: 'get', path: '/auth/policy', operationId: 'signupPolicy', security: open,
    summary: 'What sign-up needs here: a code (code), a password alone (password), or an admin\'s approval (approval)',
    responses: { 200: ok('The policy', SignupPolicyReplySchema), 429: E[429] },
  });
  route('auth', {
    method: 'post', path: '/auth/codes', operationId: 'requestCode', security: open,
    summary: 'Send a one-time code (6 digits, 5 minutes, 5 tries) by the configured channel',
    description: 'Answers 204 whether or not a code was sent: a log-in code goes only to a number with an account, a sign-up code only to a free one.',
    request: { body: body(RequestCodeSchema) },
    responses: { 204: none('Accepted'), ...errors(400, 413, 415, 429, 502) },
  });
  route('auth', {
    method: 'post', path: '/auth/signup', operationId: 'signup', security: open,
    summary: 'Create an account with a phone number and a code, a password, or both (as the sign-up policy asks)',
    request: { body: body(SignupSchema) },
    responses: {
      201: ok('Created and signed in', SessionSchema),
      202: ok('Created; it waits for an admin to approve it (sign-up policy "approval")', z.object({ user: UserSchema })),
      ...errors(400, 401, 409, 413, 415, 429),
    },
  });
  route('auth', {
    method: 'post', path: '/auth/login', operationId: 'login', security: open,
    summary: 'Log in with the phone number and a password or a code; signs in a new device',
    request: { body: body(LoginSchema) },
    responses: { 200: ok('Signed in', SessionSchema), ...errors(400, 401, 403, 413, 415, 423, 429) },
  });
  route('auth', {
    method: 'post', path: '/auth/refresh', operationId: 'refresh', security: open,
    summary: 'A new access token and refresh token for the current refresh token (each refresh token works once)',
    request: { body: body(RefreshSchema) },
    responses: { 200: ok('New tokens', SessionSchema), ...errors(400, 401, 403, 413, 415) },
  });
  route('auth', {
    method: 'post', path: '/auth/logout', operationId: 'logout', security: [...user, {}],
    summary: 'Sign this device out (by its access token, or by its refresh token)',
    request: { body: body(LogoutSchema, false) },
    responses: { 204: none('Signed out'), ...errors(400, 401, 413, 415) },
  });
  route('auth', {
    method: 'post', path: '/auth/password-reset', operationId: 'resetPassword', security: open,
    summary: 'Set a new password with a "reset" code; every device is signed out',
    request: { body: body(ResetPasswordSchema) },
    responses: { 204: none('Changed'), ...errors(400, 401, 413, 415, 429) },
  });
  route('auth', {
    method: 'post', path: '/auth/guest', operationId: 'guestLogin', security: open,
    summary: "Sign a guest in with the token of their one-time link (it works once, until the guest's expiry)",
    request: { body: body(GuestLoginSchema) },
    responses: { 200: ok('Signed in', SessionSchema), ...errors(400, 401, 403, 413, 415, 429) },
  });

  route('me', { method: 'get', path: '/me', operationId: 'getMe', security: user, summary: 'The signed-in person', responses: { 200: ok('You', UserSchema), ...errors(401) } });
  route('me', {
    method: 'patch', path: '/me', operationId: 'updateMe', security: user,
    summary: 'Change nickname, Muster ID (once a year), gender, region, signature',
    request: { body: body(ProfileUpdateSchema) },
    responses: { 200: ok('You, after the change', UserSchema), ...errors(400, 401, 409, 413, 415) },
  });
  route('me', {
    method: 'put', path: '/me/avatar', operationId: 'setAvatar', security: user,
    summary: 'Upload an avatar (the image itself as the body, up to 10 MiB): cropped square, stored as 64 and 256 px WebP',
    request: { body: { required: true, content: { 'image/*': { schema: z.string().meta({ format: 'binary' }) } } } },
    responses: { 200: ok('You, with the new avatar paths', UserSchema), ...errors(400, 401, 413, 415) },
  });
  route('me', {
    method: 'put', path: '/me/password', operationId: 'changePassword', security: user,
    summary: 'Change the password (the current one is required if there is one); other devices are signed out',
    request: { body: body(ChangePasswordSchema) },
    responses: { 204: none('Changed'), ...errors(400, 401, 413, 415) },
  });
  route('me', { method: 'get', path: '/me/devices', operationId: 'listDevices', security: user, summary: 'Signed-in devices, most recent first', responses: { 200: ok('Devices', z.array(DeviceSchema)), ...errors(401) } });
  route('me', {
    method: 'delete', path: '/me/devices/{id}', operationId: 'signOutDevice', security: user,
    summary: 'Sign out one of your devices (its tokens and sockets stop within a second)',
    request: { params: DeviceParams },
    responses: { 204: none('Signed out'), ...errors(401, 404) },
  });
  route('me', {
    method: 'post', path: '/me/devices/sign-out-others', operationId: 'signOutOtherDevices', security: user,
    summary: 'Sign out every device but this one',
    responses: { 200: ok('How many', z.object({ signedOut: z.number().int() })), ...errors(401) },
  });
  route('users', {
    method: 'get', path: '/users/lookup', operationId: 'lookupUser', security: user,
    summary: 'Find a person by exact phone number or Muster ID (no partial matches; at most 60 an hour)',
    request: { query: z.object({ phone: z.string().optional(), musterId: z.string().optional() }) },
    responses: { 200: ok('Their public profile', PublicProfileSchema), ...errors(400, 401, 404, 429) },
  });
  route('users', {
    method: 'get', path: '/users/{id}', operationId: 'getUser', security: user,
    summary: "A person's public profile: id, nickname, avatar, Muster ID",
    request: { params: UserParams },
    responses: { 200: ok('The profile', PublicProfileSchema), ...errors(401, 404) },
  });
  route('users', {
    method: 'get', path: '/avatars/{id}/{version}/{file}', operationId: 'getAvatar', security: open,
    summary: 'An avatar image, by the signed path a profile gives (image elements cannot send a token)',
    request: { params: AvatarParams, query: AvatarQuery },
    responses: { 200: { description: 'WebP', content: { 'image/webp': { schema: z.string().meta({ format: 'binary' }) } } }, ...errors(404) },
  });

  route('admin', {
    method: 'post', path: '/admin/setup', operationId: 'adminSetup', security: open,
    summary: "The first admin's set-up (the link `npm run admin -- create-admin` prints): password and the console's second factor",
    request: { body: body(AdminSetupSchema) },
    responses: { 201: ok('Set up and signed in', SetupReplySchema), ...errors(400, 401, 413, 415) },
  });
  route('admin', {
    method: 'post', path: '/admin/elevate', operationId: 'adminElevate', security: user,
    summary: "An admin's second factor (TOTP or console password): an access token that opens the console for 30 minutes",
    request: { body: body(AdminElevateSchema) },
    responses: { 200: ok('Elevated', ElevatedSchema), ...errors(400, 401, 404, 429) },
  });
  const consoleErrors = errors(400, 401, 403, 404);
  route('admin', {
    method: 'get', path: '/admin/users', operationId: 'adminSearchUsers', security: user,
    summary: 'Search users by phone number, nickname, Muster ID or id (empty: the first 50)',
    request: { query: z.object({ q: z.string().optional() }) },
    responses: { 200: ok('Users', z.array(AdminUserSchema)), ...consoleErrors },
  });
  route('admin', { method: 'get', path: '/admin/users/{id}', operationId: 'adminGetUser', security: user, request: { params: UserParams }, summary: 'One user', responses: { 200: ok('User', AdminUserSchema), ...consoleErrors } });
  for (const [action, summary] of [
    ['disable', 'Disable the account: it cannot sign in, and every device is signed out'],
    ['enable', 'Enable a disabled account'],
    ['approve', 'Approve an account waiting for approval'],
    ['unlock', 'Lift a password lock-out'],
    ['sign-out', 'Sign out every device of the user'],
  ] as const) {
    route('admin', {
      method: 'post', path: `/admin/users/{id}/${action}`, operationId: `adminUser${action.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}`, security: user,
      summary, request: { params: UserParams },
      responses: { 200: ok('Done', action === 'sign-out' ? z.object({ devices: z.number().int() }) : AdminUserSchema), ...consoleErrors },
    });
  }
  route('admin', {
    method: 'post', path: '/admin/users/{id}/reset-password', operationId: 'adminResetPassword', security: user,
    summary: 'Set a temporary password (shown once) and sign every device out', request: { params: UserParams },
    responses: { 200: ok('Reset', ResetByAdminSchema), ...consoleErrors },
  });
  route('admin', {
    method: 'delete', path: '/admin/users/{id}', operationId: 'adminDeleteUser', security: user,
    summary: 'Delete the account and what is stored with it', request: { params: UserParams },
    responses: { 204: none('Deleted'), ...consoleErrors },
  });
  route('admin', {
    method: 'post', path: '/admin/guests', operationId: 'adminCreateGuests', security: user,
    summary: 'Create guests (one, a list, or a CSV of names) that expire; each gets a one-time log-in link, shown only here',
    request: { body: body(CreateGuestSchema) },
    responses: { 201: ok('Guests and their links', z.array(CreatedGuestSchema)), ...errors(400, 401, 403, 404, 413, 415) },
  });
  route('admin', { method: 'get', path: '/admin/codes', operationId: 'adminPendingCodes', security: user, summary: 'Codes the log channel delivered that have not expired', responses: { 200: ok('Codes', z.array(PendingCodeSchema)), ...consoleErrors } });
  route('admin', {
    method: 'get', path: '/admin/security-events', operationId: 'adminSecurityEvents', security: user,
    summary: 'Recent log-ins, failures, lock-outs, password changes (newest first)',
    request: { query: z.object({ limit: z.string().optional(), user: z.string().optional() }) },
    responses: { 200: ok('Events', z.array(SecurityEventSchema)), ...consoleErrors },
  });
  route('admin', { method: 'get', path: '/admin/settings', operationId: 'adminGetSettings', security: user, summary: 'Sign-up policy, anonymous meeting joins, board access', responses: { 200: ok('Settings', AccountSettingsSchema), ...consoleErrors } });
  route('admin', {
    method: 'patch', path: '/admin/settings', operationId: 'adminUpdateSettings', security: user,
    summary: 'Change the settings', request: { body: body(AccountSettingsUpdateSchema) },
    responses: { 200: ok('Settings', AccountSettingsSchema), ...errors(400, 401, 403, 404, 413, 415) },
  });
}
