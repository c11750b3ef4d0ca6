import { z } from 'zod';
import type { Principal } from '@muster/accounts';
import type { GatewayHandlers } from '@muster/kit/gateway';
import type { Im } from '../Im.ts';
import { CallIdSchema, StartCallSchema, type CallView } from '../callProtocol.ts';
import { IM_PROTOCOL_VERSION } from '../protocol.ts';

const V = z.literal(IM_PROTOCOL_VERSION).optional();
const OneCall = z.object({ v: V, callId: CallIdSchema }).strict();

/**
 * The calls' socket requests, mirroring their REST routes (`POST /calls`,
 * `…/accept`, `…/decline`, `…/cancel`, `…/hangup`, `GET /calls/:id`). Their
 * names differ from the live events the server sends (`im.call.ring`,
 * `im.call.stop`, `im.call.accepted`, `im.call.ended`).
 */
export const CallRequests = {
  'im.call.start': StartCallSchema.extend({ v: V }).strict(),
  'im.call.get': OneCall,
  'im.call.accept': OneCall,
  'im.call.decline': OneCall,
  'im.call.cancel': OneCall,
  'im.call.hangup': OneCall,
} as const;

export interface CallResponses {
  'im.call.start': CallView;
  'im.call.get': CallView;
  'im.call.accept': CallView;
  'im.call.decline': CallView;
  'im.call.cancel': CallView;
  'im.call.hangup': CallView;
}

/** Each calls what its REST route calls (Calls). */
export const callHandlers: GatewayHandlers<typeof CallRequests, { principal: Principal; im: Im }, CallResponses> = {
  async 'im.call.start'({ principal, im }, request) {
    const { v: _v, ...input } = request;
    return im.calls.start(principal, input);
  },
  async 'im.call.get'({ principal, im }, request) {
    return im.calls.get(principal, request.callId);
  },
  async 'im.call.accept'({ principal, im }, request) {
    return im.calls.accept(principal, request.callId);
  },
  async 'im.call.decline'({ principal, im }, request) {
    return im.calls.decline(principal, request.callId);
  },
  async 'im.call.cancel'({ principal, im }, request) {
    return im.calls.cancel(principal, request.callId);
  },
  async 'im.call.hangup'({ principal, im }, request) {
    return im.calls.hangup(principal, request.callId);
  },
};
