import type { Server, Socket } from 'socket.io';
import {
  ClientRequests,
  MAX_REQUEST_BYTES,
  MusterError,
  PROTOCOL_VERSION,
  type ClientRequest,
  type ClientRequestName,
  type ClientResponses,
  type ErrorCode,
} from '../protocol.ts';
import { CONTROL_NAMES, type ControlName } from '../controls/RoomControls.ts';
import type { Participant } from '../rooms/Participant.ts';
import type { Room } from '../rooms/Room.ts';
import type { RoomManager } from '../rooms/RoomManager.ts';
import type { SignedInUser } from '../rooms/admission.ts';
import { addressKey, clientAddress, TRUST_NO_PROXY, type TrustProxy } from '@muster/kit/client-address';
import { GATEWAY_ERROR_CODES, SocketGateway, type ConnectionRelay, type GatewayHandlers, type RelayedConnection as GatewayRelayedConnection } from '@muster/kit/gateway';
import { MemoryLimits, retryText, type Limit, type LimitStore } from '@muster/kit/limits';
import { log as rootLog } from '@muster/kit/log';

// Every code the pipeline answers with is one of this protocol's.
void (GATEWAY_ERROR_CODES satisfies readonly ErrorCode[]);

const log = rootLog.child({ component: 'signaling' });

/** Per socket: a flooding client is refused, never served at others' expense. */
const RATE_PER_SECOND = 30;
const RATE_BURST = 60;

interface Session {
  room: Room;
  participant: Participant;
}

/** One connection, as its handlers see it. */
interface HandlerContext {
  socket: Socket;
  /** The client's address as limits count it (see clientAddress, addressKey). */
  address: string;
  rooms: RoomManager;
  /** Joins of one meeting, from every address. */
  meetingJoins: Limit;
  identify?: (socket: Socket) => Promise<SignedInUser | null>;
  anonymousJoins?: () => Promise<boolean>;
  /** The meeting this connection is in; null before its join (or while in the lobby) and after its leave. */
  session: Session | null;
  /** Runs joins and leaves of this connection one at a time, in order. */
  inOrder: (task: () => Promise<unknown>) => Promise<unknown>;
  /** (Re)starts the timer that closes a connection that has not joined in time; `stopIdle` stops it. */
  armIdle: () => void;
  stopIdle: () => void;
  relay?: SignalingRelay;
  /** Set once the relay has taken this connection over: the app holding its meeting answers everything from then on. */
  relayed?: RelayedConnection;
}

/** A connection carried to the app process that holds its meeting (see SignalingRelay). */
export type RelayedConnection = GatewayRelayedConnection<ClientRequest<'join'>, ClientResponses['join']>;

/** Meetings held by another app process (several app hosts share Redis; the server's MeetingRelay): see ConnectionRelay. */
export type SignalingRelay = ConnectionRelay<Socket, ClientRequest<'join'>, ClientResponses['join']>;

/**
 * Limits per client address, across all its connections (a per-socket limit
 * cannot see twenty sockets), and on joins per meeting, from all addresses.
 */
export interface RequestLimits {
  /** Requests of any kind, known or not, per second and address. */
  requestsPerSecond: number;
  joinsPerMinute: number;
  chatsPerMinute: number;
  /** Joins of one meeting per minute, whoever sends them: a flood of joiners (or of wrong passcodes) is slowed, the meeting is not swamped. */
  joinsPerMeetingPerMinute: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { requestsPerSecond: 300, joinsPerMinute: 120, chatsPerMinute: 120, joinsPerMeetingPerMinute: 1_000 };

export interface SignalingOptions {
  trustProxy?: TrustProxy;
  limits?: LimitStore;
  requestLimits?: RequestLimits;
  /** A connection that has not joined (or entered a lobby) by then is closed: idle sockets cost a file each. */
  joinTimeoutMs?: number;
  /**
   * Who a connection is, when it connected signed in (the server resolves
   * the account's profile from its access token); null for a link joiner.
   * Asked at each join, so a changed nickname shows at the next one.
   */
  identify?: (socket: Socket) => Promise<SignedInUser | null>;
  /** Whether people without an account may join meetings (an organisation setting); yes when absent. */
  anonymousJoins?: () => Promise<boolean>;
  /** Where a meeting another app process holds is served (several app hosts); every meeting is served here when absent. */
  relay?: SignalingRelay;
}

export const DEFAULT_JOIN_TIMEOUT_MS = 30_000;

type Handlers = GatewayHandlers<typeof ClientRequests, HandlerContext, ClientResponses>;

function requireSession(session: Session | null): Session {
  if (!session || session.participant.left) throw new MusterError('NOT_JOINED', 'join a meeting first');
  return session;
}

const handlers: Handlers = {
  async join(ctx, request) {
    const { socket, address, rooms, meetingJoins, session } = ctx;
    // Carried elsewhere already (a join queued behind the one that was relayed, a second meeting): that app answers, and counts it.
    if (ctx.relayed) return ctx.relayed.join(request);
    const route = session && !session.participant.left ? undefined : await ctx.relay?.route(socket, request);
    if (route && !route.local) {
      ctx.relayed = route;
      // The app holding the meeting times the connection out from now on.
      ctx.stopIdle();
      return route.join(request);
    }
    try {
      const verdict = await meetingJoins.take(request.room);
      if (!verdict.allowed) throw new MusterError('RATE_LIMITED', `too many people are joining this meeting at once; ${retryText(verdict.retryAfterMs)}`);
      if (session && !session.participant.left) throw new MusterError('ALREADY_JOINED', 'this connection is already in a meeting');
      const user = (await ctx.identify?.(socket)) ?? null;
      if (!user && ctx.anonymousJoins && !(await ctx.anonymousJoins())) throw new MusterError('SIGN_IN_REQUIRED', 'sign in to join meetings of this organisation');
      const { room, participant, response } = await rooms.join(socket, address, request, user);
      // Someone held in the lobby has no session yet: they join again once admitted.
      if (participant) {
        ctx.session = { room, participant };
        // The socket closed while the join ran: its disconnect found no session, so start the grace period now.
        if (socket.disconnected) room.socketLost(participant, socket);
      }
      return response;
    } finally {
      route?.settled();
    }
  },
  async leave(ctx) {
    const { room, participant } = requireSession(ctx.session);
    ctx.session = null;
    await room.leave(participant, 'left');
    return {};
  },
  async publish({ session }, request) {
    const { room, participant } = requireSession(session);
    return room.publish(participant, request);
  },
  async 'subscriber.answer'({ session }, request) {
    const { room, participant } = requireSession(session);
    return room.answer(participant, request);
  },
  async 'track.setMuted'({ session }, request) {
    const { room, participant } = requireSession(session);
    return room.setTrackMuted(participant, request.source, request.muted);
  },
  async 'media.restart'({ session }) {
    const { room, participant } = requireSession(session);
    await room.restartMedia(participant);
    return {};
  },
  async 'subscription.update'({ session }, request) {
    const { room, participant } = requireSession(session);
    return room.updateSubscriptions(participant, request);
  },
  async 'recordings.list'({ rooms, session }) {
    const { room, participant } = requireSession(session);
    if (!room.can(participant.id, 'moderate') && !room.wasModerator(participant.identity)) throw new MusterError('FORBIDDEN', 'only the host and co-hosts can see the recordings');
    return { recordings: rooms.recorder ? await rooms.recorder.listFor(room, participant) : [] };
  },
  ...controlHandlers(),
};

/** Every control goes to the one implementation the REST API uses too. */
function controlHandlers(): { [N in ControlName]: Handlers[N] } {
  const entries = CONTROL_NAMES.map((name) => [
    name,
    async ({ rooms, session }: HandlerContext, request: unknown) => {
      const { room, participant } = requireSession(session);
      return rooms.controls.execute(room, { type: 'participant', participant }, name, request as never);
    },
  ]);
  return Object.fromEntries(entries) as { [N in ControlName]: Handlers[N] };
}

/** Joins and leaves of a connection run in order; after each, the idle timer follows what the connection is now. */
async function run(ctx: HandlerContext, event: ClientRequestName, task: () => Promise<unknown>): Promise<unknown> {
  if (event !== 'join' && event !== 'leave') return task();
  const result = await ctx.inOrder(task);
  // In the meeting or its lobby: no longer idle. After a leave, the connection must join again in time.
  if (event === 'join') ctx.stopIdle();
  else ctx.armIdle();
  return result;
}

/**
 * Binds the versioned protocol to socket.io through the kit's gateway
 * pipeline (`@muster/kit/gateway`): rate limits (per socket, per address, and
 * per event for joins and chat), size limit, version and schema validation and
 * error mapping happen there once, so handlers only ever see valid requests
 * from the right state.
 *
 * `join` and `leave` of one connection run one at a time, each seeing what the
 * one before it left: fifty joins sent at once make one participant and
 * forty-nine `ALREADY_JOINED`, never fifty participants of which the socket
 * can only ever clean up one.
 */
export function attachSignaling(io: Server, rooms: RoomManager, options: SignalingOptions = {}): void {
  const trust = options.trustProxy ?? TRUST_NO_PROXY;
  const store = options.limits ?? new MemoryLimits();
  const budgets = options.requestLimits ?? DEFAULT_REQUEST_LIMITS;
  const joinTimeoutMs = options.joinTimeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
  const fromAddress = (retryAfterMs: number) => `too many requests from your address; ${retryText(retryAfterMs)}`;
  const byAddress = (ctx: HandlerContext) => ctx.address;
  const gateway = new SocketGateway<typeof ClientRequests, HandlerContext, ErrorCode, ClientResponses>({
    requests: ClientRequests,
    handlers,
    version: PROTOCOL_VERSION,
    maxBytes: MAX_REQUEST_BYTES,
    // The per-socket bucket, then the address's budget (unknown events spend it too), then the event's own for joins and chat.
    limits: [
      { limit: store.bursty({ name: 'signaling-socket', perSecond: RATE_PER_SECOND, burst: RATE_BURST }), key: (ctx) => ctx.socket.id, refusal: () => 'too many requests; slow down' },
      { limit: store.rate({ name: 'signaling-requests', points: budgets.requestsPerSecond, perSeconds: 1 }), key: byAddress, refusal: fromAddress },
      { limit: store.rate({ name: 'signaling-joins', points: budgets.joinsPerMinute, perSeconds: 60 }), key: byAddress, events: ['join'], refusal: fromAddress },
      { limit: store.rate({ name: 'signaling-chats', points: budgets.chatsPerMinute, perSeconds: 60 }), key: byAddress, events: ['chat.send'], refusal: fromAddress },
    ],
    run,
    errorOf: (error) => (error instanceof MusterError ? { code: error.code, message: error.message } : undefined),
    errorEvent: 'server.error',
    log,
    logFields: (ctx) => ({ room: ctx.session?.room.id, participant: ctx.session?.participant.id }),
  });
  const meetingJoins = store.rate({ name: 'signaling-meeting-joins', points: budgets.joinsPerMeetingPerMinute, perSeconds: 60 });

  io.on('connection', (socket) => {
    /** Joins and leaves of this connection, in order. */
    let membership: Promise<unknown> = Promise.resolve();
    // A connection that never joins is closed: it holds a file and a slot for nothing.
    let idle: NodeJS.Timeout | undefined;
    const ctx: HandlerContext = {
      socket,
      address: addressKey(clientAddress(socket.request, trust)),
      rooms,
      meetingJoins,
      identify: options.identify,
      anonymousJoins: options.anonymousJoins,
      relay: options.relay,
      session: null,
      inOrder: (task) => (membership = membership.then(task, task)),
      armIdle: () => {
        clearTimeout(idle);
        if (socket.disconnected) return;
        idle = setTimeout(() => socket.disconnect(true), joinTimeoutMs);
        idle.unref();
      },
      stopIdle: () => clearTimeout(idle),
    };
    ctx.armIdle();
    // A relayed connection's requests are the other app's to limit, check and answer.
    socket.onAny(gateway.relayingListener(socket, ctx, 'join', () => ctx.relayed));

    socket.on('disconnect', () => {
      clearTimeout(idle);
      const current = ctx.session;
      if (current) current.room.socketLost(current.participant, socket);
    });
  });
}
