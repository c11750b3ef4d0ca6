import type { Principal } from '@muster/accounts';
import type { GatewayHandlers } from '@muster/kit/gateway';
import type { Im } from '../Im.ts';
import type { GroupDetailsView, GroupRequests } from '../groupsProtocol.ts';
import type { GroupView } from '../protocol.ts';

export interface GroupResponses {
  'im.group.get': GroupDetailsView;
  'im.group.update': GroupView;
  'im.group.invite': { added: string[]; requested: string[] };
  'im.group.remove': Record<string, never>;
  'im.group.leave': Record<string, never>;
  'im.group.mute': Record<string, never>;
  'im.group.unmute': Record<string, never>;
}

/** The group requests on a signed-in socket: each calls what its REST route calls (Groups). */
export const groupHandlers: GatewayHandlers<typeof GroupRequests, { principal: Principal; im: Im }, GroupResponses> = {
  async 'im.group.get'({ principal, im }, request) {
    return im.groups.get(principal, request.groupId, request.q);
  },
  async 'im.group.update'({ principal, im }, request) {
    const { groupId, v: _v, ...change } = request;
    return im.groups.update(principal, groupId, change);
  },
  async 'im.group.invite'({ principal, im }, request) {
    return im.groups.invite(principal, request.groupId, request.userIds);
  },
  async 'im.group.remove'({ principal, im }, request) {
    await im.groups.remove(principal, request.groupId, request.userId);
    return {};
  },
  async 'im.group.leave'({ principal, im }, request) {
    await im.groups.leave(principal, request.groupId);
    return {};
  },
  async 'im.group.mute'({ principal, im }, request) {
    await im.groups.mute(principal, request.groupId, request.userId, request.until ?? null);
    return {};
  },
  async 'im.group.unmute'({ principal, im }, request) {
    await im.groups.unmute(principal, request.groupId, request.userId);
    return {};
  },
};
