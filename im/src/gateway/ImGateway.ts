import type { Principal } from '@muster/accounts';
import { GATEWAY_ERROR_CODES, SocketGateway, type GatewayHandlers, type GatewaySocket } from '@muster/kit/gateway';
import { MemoryLimits, type LimitStore } from '@muster/kit/limits';
import { log as rootLog } from '@muster/kit/log';
import type { Conversations, ForwardResult } from '../domain/Conversations.ts';
import type { Im } from '../Im.ts';
import { isImError } from '../errors.ts';
import { IM_PROTOCOL_VERSION, ImRequests, MAX_TEXT_BYTES, type ImErrorCode, type MessageView } from '../protocol.ts';
import type { ConversationSettings, PresenceView, SyncReply } from '../protocol.ts';
import type { SearchResults } from '../protocol.ts';
import { GroupRequests } from '../groupsProtocol.ts';
import { groupHandlers, type GroupResponses } from './groupHandlers.ts';
import { CallRequests, callHandlers, type CallResponses } from './callHandlers.ts';

type GatewayCode = (typeof GATEWAY_ERROR_CODES)[number];
type Code = ImErrorCode | GatewayCode;

interface ImConnection {
  principal: Principal;
  socketId: string;
  /** The other IM domains (sync, conversation settings, presence). */
  im: Im;
}

interface ImResponses extends GroupResponses, CallResponses {
  'im.send': { id: string; seq: number; sentAt: number };
  'im.read': { readSeq: number; unread: number };
  'im.messages': MessageView[];
  'im.recall': MessageView;
  'im.edit': MessageView;
  'im.hide': { seqs: number[] };
  'im.forward': { results: ForwardResult[] };
  'im.typing': Record<string, never>;
  'im.readers': { readBy: string[]; unreadBy: string[] };
  'im.sync': SyncReply;
  'im.settings': ConversationSettings;
  'im.draft': ConversationSettings;
  'im.presence': PresenceView[];
  'im.search': SearchResults;
}

/** A text request is at most 2048 bytes of text, escaped in JSON up to 6×, plus its fields. */
const MAX_REQUEST_BYTES = MAX_TEXT_BYTES * 6 + 4_096;
const RATE_PER_SECOND = 20;
const RATE_BURST = 40;

const log = rootLog.child({ component: 'im' });

/** The IM requests and the group requests (groupsProtocol.ts): one gateway serves both. */
const Requests = { ...ImRequests, ...GroupRequests, ...CallRequests };

const handlers: GatewayHandlers<typeof Requests, ImConnection & { conversations: Conversations }, ImResponses> = {
  ...groupHandlers,
  ...callHandlers,
  async 'im.send'({ principal, conversations }, request) {
    const { conversationId, v: _v, ...message } = request;
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
  async 'im.recall'({ principal, conversations }, request) {
    return conversations.recall(principal, request.conversationId, request.messageId);
  },
  async 'im.edit'({ principal, conversations }, request) {
    return conversations.edit(principal, request.conversationId, request.messageId, request.text);
  },
  async 'im.hide'({ principal, conversations }, request) {
    return conversations.hide(principal, request.conversationId, request.messageIds);
  },
  async 'im.forward'({ principal, conversations }, request) {
    const { v: _v, ...forward } = request;
    return conversations.forward(principal, forward);
  },
  async 'im.typing'({ principal, conversations }, request) {
    await conversations.typing(principal, request.conversationId);
    return {};
  },
  async 'im.readers'({ principal, conversations }, request) {
    return conversations.readers(principal, request.conversationId, request.messageId);
  },
  // GET /sync without the long wait: a socket has the live events for that.
  async 'im.sync'({ principal, im }, request) {
    return im.sync.sync(principal, request.since, 0);
  },
  async 'im.settings'({ principal, im }, request) {
    const { conversationId, v: _v, ...change } = request;
    return im.prefs.update(principal, conversationId, change);
  },
  async 'im.draft'({ principal, im }, request) {
    return im.prefs.setDraft(principal, request.conversationId, request.text);
  },
  async 'im.presence'({ principal, im }, request) {
    return im.presence.of(principal, request.ids);
  },
  async 'im.search'({ principal, im }, request) {
    const { v: _v, ...query } = request;
    return im.search.search(principal, query);
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
  const gateway = new SocketGateway<typeof Requests, ImConnection & { conversations: Conversations }, Code, ImResponses>({
    requests: Requests,
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
      gateway.attach(socket, { principal, socketId: socket.id, conversations, im });
    },
    /**
     * One request of a connection another process holds (a gateway's
     * longlink): the same pipeline, limits keyed by that connection's id,
     * and the reply handed to `reply` (it always gets one, failures too).
     */
    request(connectionId: string, principal: Principal, event: string, payload: unknown, reply: (ack: unknown) => void): Promise<void> {
      const socket: GatewaySocket = { onAny: () => undefined, emit: () => undefined };
      return gateway.listener(socket, { principal, socketId: connectionId, conversations, im })(event, payload, reply);
    },
  };
}
