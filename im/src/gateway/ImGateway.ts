import type { Principal } from '@muster/accounts';
import { GATEWAY_ERROR_CODES, SocketGateway, type GatewayHandlers, type GatewaySocket } from '@muster/kit/gateway';
import { MemoryLimits, type LimitStore } from '@muster/kit/limits';
import { log as rootLog } from '@muster/kit/log';
import type { Conversations } from '../domain/Conversations.ts';
import type { Im } from '../Im.ts';
import { isImError } from '../errors.ts';
import { IM_PROTOCOL_VERSION, ImRequests, MAX_TEXT_BYTES, type ImErrorCode, type MessageView } from '../protocol.ts';

type GatewayCode = (typeof GATEWAY_ERROR_CODES)[number];
type Code = ImErrorCode | GatewayCode;

interface ImConnection {
  principal: Principal;
  socketId: string;
}

interface ImResponses {
  'im.send': { id: string; seq: number; sentAt: number };
  'im.read': { readSeq: number; unread: number };
  'im.messages': MessageView[];
}

/** A text request is at most 2048 bytes of text, escaped in JSON up to 6×, plus its fields. */
const MAX_REQUEST_BYTES = MAX_TEXT_BYTES * 6 + 4_096;
const RATE_PER_SECOND = 20;
const RATE_BURST = 40;

const log = rootLog.child({ component: 'im' });

const handlers: GatewayHandlers<typeof ImRequests, ImConnection & { conversations: Conversations }, ImResponses> = {
  async 'im.send'({ principal, conversations }, request) {
    const { conversationId, v: _v, type: _type, ...message } = request;
    const sent = await conversations.send(principal, conversationId, message);
    return { id: sent.id, seq: sent.seq, sentAt: sent.sentAt };
  },
  async 'im.read'({ principal, conversations }, request) {
    return conversations.markRead(principal, request.conversationId, request.seq);
  },
  async 'im.messages'({ principal, conversations }, request) {
    const { conversationId, v: _v, ...range } = request;
    return conversations.messages(principal, conversationId, range);
  },
};

/**
 * The IM requests on a signed-in socket, through the kit's gateway pipeline
 * (limits → unknown event → size → version → schema → handler → ack): the
 * same rules as the REST routes, since both call `Conversations`.
 */
export function imGateway(im: Im, options: { limits?: LimitStore } = {}) {
  const { conversations } = im;
  const store = options.limits ?? new MemoryLimits();
  const gateway = new SocketGateway<typeof ImRequests, ImConnection & { conversations: Conversations }, Code, ImResponses>({
    requests: ImRequests,
    handlers,
    version: IM_PROTOCOL_VERSION,
    maxBytes: MAX_REQUEST_BYTES,
    tooLarge: (max) => `IM requests are limited to ${max} bytes`,
    limits: [{ limit: store.bursty({ name: 'im-socket', perSecond: RATE_PER_SECOND, burst: RATE_BURST }), key: (c) => c.socketId, refusal: () => 'too many requests; slow down' }],
    errorOf: (error) => (isImError(error) ? { code: error.code, message: error.message } : undefined),
    errorEvent: 'im.error',
    log,
    logFields: (c) => ({ account: c.principal.accountId }),
  });
  return {
    /** Serves IM requests on a socket signed in as `principal`. */
    attach(socket: GatewaySocket & { id: string }, principal: Principal): void {
      gateway.attach(socket, { principal, socketId: socket.id, conversations });
    },
  };
}
