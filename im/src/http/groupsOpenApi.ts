/** The groups routes and the console's IM routes in the OpenAPI document (imOpenApi registers them with the rest of IM). */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  GroupDetailsSchema,
  ImAdminSettingsSchema,
  ImAdminSettingsUpdateSchema,
  InvitedSchema,
  InviteSchema,
  JoinRequestSchema,
  MuteSchema,
  TemporaryGroupSchema,
  TransferSchema,
  UpdateGroupSchema,
} from '../groupsProtocol.ts';
import { CreateGroupSchema, GroupSchema, ImErrorSchema } from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const none = (description: string) => ({ description });
const err = (description: string) => ({ description, content: json(ImErrorSchema) });
const E = {
  400: err('BAD_REQUEST: the body or query does not match the schema, or names someone who is not your contact; IMAGE_INVALID: the upload is not an image Muster reads'),
  401: err('UNAUTHORIZED: no valid access token'),
  403: err('FORBIDDEN: your role in the group does not allow it (or a guest account); SECOND_FACTOR_REQUIRED: the console wants an elevated admin'),
  404: err('NOT_FOUND: no such group of yours, member, or pending join request'),
  409: err('GROUP_FULL: a group holds at most 1000 people'),
  410: err('GROUP_DISSOLVED: the group was dissolved; nothing about it changes any more'),
  413: err('PAYLOAD_TOO_LARGE'),
  415: err('UNSUPPORTED_MEDIA_TYPE'),
} as const;
const errors = (...codes: (keyof typeof E)[]) => Object.fromEntries(codes.map((c) => [c, E[c]]));
const GroupParams = z.object({ id: z.string().meta({ description: 'Group id (its conversation id)' }) });
const MemberParams = GroupParams.extend({ userId: z.string() });
const RequestParams = GroupParams.extend({ requestId: z.string() });
const Q = z.object({ q: z.string().optional() });

export function registerGroupsOpenApi(registry: OpenAPIRegistry): void {
  const route = (config: RouteConfig) => registry.registerPath({ tags: ['groups'], security: [{ userToken: [] }], ...config });
  route({
    method: 'post', path: '/groups', operationId: 'createGroup',
    summary:
      'Make a group from your contacts (at most 1000 people with you; you are its owner); its conversation id is its id. ' +
      '`temporary`: dissolved and its messages deleted at expiresAt or after the console’s idle days without a message, whichever is first',
    request: { body: { required: true, content: json(CreateGroupSchema) } },
    responses: { 201: ok('The group', GroupSchema), ...errors(400, 401, 403, 413, 415) },
  });
  route({
    method: 'get', path: '/groups', operationId: 'listGroups', summary: 'Your groups, most recently active first; q matches the name, its pinyin or initials',
    request: { query: Q }, responses: { 200: ok('Groups', z.array(GroupSchema)), ...errors(400, 401) },
  });
  route({
    method: 'get', path: '/groups/{id}', operationId: 'getGroup', summary: 'A group with its members and their roles; q filters members by display name (pinyin too)',
    request: { params: GroupParams, query: Q }, responses: { 200: ok('The group', GroupDetailsSchema), ...errors(400, 401, 404) },
  });
  route({
    method: 'patch', path: '/groups/{id}', operationId: 'updateGroup', summary: 'Name, notice, join approval, mute everyone: the owner and admins (each change is a system notice)',
    request: { params: GroupParams, body: { required: true, content: json(UpdateGroupSchema) } },
    responses: { 200: ok('The group', GroupSchema), ...errors(400, 401, 403, 404, 410, 413, 415) },
  });
  route({
    method: 'delete', path: '/groups/{id}', operationId: 'dissolveGroup', summary: 'Dissolve the group: the owner only. Members keep its history; nobody sends in it again (GROUP_DISSOLVED)',
    request: { params: GroupParams }, responses: { 204: none('Dissolved'), ...errors(401, 403, 404, 410) },
  });
  route({
    method: 'post', path: '/groups/{id}/members', operationId: 'inviteToGroup',
    summary: 'Bring your contacts in. With join approval on, a plain member’s invitation becomes a join request for the owner or an admin',
    request: { params: GroupParams, body: { required: true, content: json(InviteSchema) } },
    responses: { 200: ok('Who is in now, and who waits', InvitedSchema), ...errors(400, 401, 404, 409, 410, 413, 415) },
  });
  route({
    method: 'delete', path: '/groups/{id}/members/{userId}', operationId: 'removeFromGroup', summary: 'Remove a member: admins remove members, the owner admins too',
    request: { params: MemberParams }, responses: { 204: none('Removed'), ...errors(400, 401, 403, 404, 410) },
  });
  route({
    method: 'post', path: '/groups/{id}/leave', operationId: 'leaveGroup',
    summary: 'Leave the group. An owner’s group passes to the longest-standing admin, else member; the last one out dissolves it',
    request: { params: GroupParams }, responses: { 204: none('Left'), ...errors(401, 404) },
  });
  route({
    method: 'post', path: '/groups/{id}/transfer', operationId: 'transferGroup', summary: 'Hand the group to another member: the owner only (who stays as a member)',
    request: { params: GroupParams, body: { required: true, content: json(TransferSchema) } },
    responses: { 200: ok('The group', GroupSchema), ...errors(400, 401, 403, 404, 410, 413, 415) },
  });
  route({
    method: 'put', path: '/groups/{id}/admins/{userId}', operationId: 'makeGroupAdmin', summary: 'Make a member an admin: the owner only',
    request: { params: MemberParams }, responses: { 204: none('An admin'), ...errors(400, 401, 403, 404, 410) },
  });
  route({
    method: 'delete', path: '/groups/{id}/admins/{userId}', operationId: 'revokeGroupAdmin', summary: 'Make an admin a member again: the owner only',
    request: { params: MemberParams }, responses: { 204: none('A member'), ...errors(400, 401, 403, 404, 410) },
  });
  route({
    method: 'put', path: '/groups/{id}/mutes/{userId}', operationId: 'muteGroupMember',
    summary: 'Mute a member until a time, or until unmuted: admins mute members, the owner admins too. Their sends are refused with MUTED',
    request: { params: MemberParams, body: { required: false, content: json(MuteSchema) } },
    responses: { 204: none('Muted'), ...errors(400, 401, 403, 404, 410, 413, 415) },
  });
  route({
    method: 'delete', path: '/groups/{id}/mutes/{userId}', operationId: 'unmuteGroupMember', summary: 'Unmute a member',
    request: { params: MemberParams }, responses: { 204: none('Unmuted'), ...errors(401, 403, 404, 410) },
  });
  route({
    method: 'put', path: '/groups/{id}/avatar', operationId: 'setGroupAvatar',
    summary:
      'The group’s photo (the image itself as the body, up to 10 MiB): the owner and admins. Cropped square, stored as 64 and 256 px WebP, ' +
      'served at new signed paths (as a person’s avatar); members see a system notice and an `avatar` group event',
    request: { params: GroupParams, body: { required: true, content: { 'image/*': { schema: z.string().meta({ format: 'binary' }) } } } },
    responses: { 200: ok('The group, with the new avatar paths', GroupSchema), ...errors(400, 401, 403, 404, 410, 413, 415) },
  });
  route({
    method: 'delete', path: '/groups/{id}/avatar', operationId: 'removeGroupAvatar', summary: 'Remove the group’s photo: the owner and admins',
    request: { params: GroupParams }, responses: { 200: ok('The group, without an avatar', GroupSchema), ...errors(401, 403, 404, 410) },
  });
  route({
    method: 'get', path: '/groups/{id}/join-requests', operationId: 'listJoinRequests', summary: 'Pending join requests: the owner and admins',
    request: { params: GroupParams }, responses: { 200: ok('Requests, oldest first', z.array(JoinRequestSchema)), ...errors(401, 403, 404) },
  });
  for (const action of ['approve', 'decline'] as const) {
    route({
      method: 'post', path: `/groups/{id}/join-requests/{requestId}/${action}`, operationId: `${action}JoinRequest`,
      summary: action === 'approve' ? 'Let them in (GROUP_FULL at 1000 people): the owner and admins' : 'Turn the request down: the owner and admins',
      request: { params: RequestParams },
      responses: { 204: none(action === 'approve' ? 'Joined' : 'Declined'), ...errors(401, 403, 404, 409, 410) },
    });
  }

  // The console: an admin whose elevation is current, as every /admin route.
  const admin = (config: RouteConfig) => registry.registerPath({ tags: ['admin'], security: [{ userToken: [] }], ...config });
  admin({ method: 'get', path: '/admin/im/settings', operationId: 'adminGetImSettings', summary: 'The IM settings: how many idle days clear a temporary group', responses: { 200: ok('Settings', ImAdminSettingsSchema), ...errors(403, 404) } });
  admin({
    method: 'put', path: '/admin/im/settings', operationId: 'adminUpdateImSettings', summary: 'Change the IM settings (audited)',
    request: { body: { required: true, content: json(ImAdminSettingsUpdateSchema) } },
    responses: { 200: ok('Settings', ImAdminSettingsSchema), ...errors(400, 403, 404, 413, 415) },
  });
  admin({
    method: 'get', path: '/admin/im/temporary-groups', operationId: 'adminTemporaryGroups',
    summary: 'Temporary groups not yet cleared, the soonest to be cleared first, with their last message time',
    responses: { 200: ok('Temporary groups', z.array(TemporaryGroupSchema)), ...errors(403, 404) },
  });
}
