import type { Server, Socket } from 'socket.io';
import type { ZodError } from 'zod';
import {
  ClientRequests,
  MAX_REQUEST_BYTES,
  MusterError,
  fail,
  ok,
  type Ack,
  type ClientRequest,
  type ClientRequestName,
  type ClientResponses,
} from '../protocol.ts';
import { CONTROL_NAMES, type ControlName } from '../controls/RoomControls.ts';
import type { Participant } from '../rooms/Participant.ts';
import type { Room } from '../rooms/Room.ts';
import type { RoomManager } from '../rooms/RoomManager.ts';
import { addressKey, clientAddress, TRUST_NO_PROXY, type TrustProxy } from '@muster/kit/client-address';
import { MemoryLimits, retryText, type Limit, type LimitStore } from '@muster/kit/limits';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'signaling' });

/** Per socket: a flooding client is refused, never served at others' expense. */
const RATE_PER_SECOND = 30;
const RATE_BURST = 60;

interface Session {
  room: Room;
  participant: Participant;
}

interface HandlerContext {
  socket: Socket;
  /** The client's address as limits count it (see clientAddress, addressKey). */
  address: string;
  rooms: RoomManager;
  session: Session | null;
  setSession: (session: Session | null) => void;
}

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
}

export const DEFAULT_JOIN_TIMEOUT_MS = 30_000;

type Handlers = { [N in ClientRequestName]: (ctx: HandlerContext, request: ClientRequest<N>) => Promise<ClientResponses[N]> };

function zodMessage(error: ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const path = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${path}${issue.message}`;
}

function payloadSize(payload: unknown): number {
  if (payload === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(payload) ?? '');
  } catch {
    return Infinity;
  }
}

function requireSession(session: Session | null): Session {
  if (!session || session.participant.left) throw new MusterError('NOT_JOINED', 'join a meeting first');
  return session;
}

const handlers: Handlers = {
  async join({ socket, address, rooms, session, setSession }, request) {
    if (session && !session.participant.left) throw new MusterError('ALREADY_JOINED', 'this connection is already in a meeting');
    const { room, participant, response } = await rooms.join(socket, address, request);
    // Someone held in the lobby has no session yet: they join again once admitted.
    if (participant) {
      setSession({ room, participant });
      // The socket closed while the join ran: its disconnect found no session, so start the grace period now.
      if (socket.disconnected) room.socketLost(participant, socket);
    }
    return response;
  },
  async leave({ session, setSession }) {
    const { room, participant } = requireSession(session);
    setSession(null);
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

/**
 * Binds the versioned protocol to socket.io: rate limits (per socket and per
 * address), size limit, schema validation and error mapping happen here
 * once, so handlers only ever see valid requests from the right state.
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
  const requestLimits: { requests: Limit; join: Limit; 'chat.send': Limit } = {
    requests: store.rate({ name: 'signaling-requests', points: budgets.requestsPerSecond, perSeconds: 1 }),
    join: store.rate({ name: 'signaling-joins', points: budgets.joinsPerMinute, perSeconds: 60 }),
    'chat.send': store.rate({ name: 'signaling-chats', points: budgets.chatsPerMinute, perSeconds: 60 }),
  };
  const meetingJoins = store.rate({ name: 'signaling-meeting-joins', points: budgets.joinsPerMeetingPerMinute, perSeconds: 60 });
  const perSocket = store.bursty({ name: 'signaling-socket', perSecond: RATE_PER_SECOND, burst: RATE_BURST });

  io.on('connection', (socket) => {
    const address = addressKey(clientAddress(socket.request, trust));
    let session: Session | null = null;
    const setSession = (s: Session | null) => {
      session = s;
    };
    /** Joins and leaves of this connection, in order. */
    let membership: Promise<unknown> = Promise.resolve();
    // A connection that never joins is closed: it holds a file and a slot for nothing.
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      if (socket.disconnected) return;
      idle = setTimeout(() => socket.disconnect(true), joinTimeoutMs);
      idle.unref();
    };
    armIdle();

    const reply = (event: string, ack: unknown, result: Ack<unknown>) => {
      if (typeof ack === 'function') ack(result);
      else if (!result.ok) socket.emit('server.error', { ...result.error, event });
    };

    /** The per-socket bucket, then the address's budget (and the event's own, for joins and chat). */
    const admitted = async (event: string): Promise<Ack<unknown> | null> => {
      if (!(await perSocket.take(socket.id)).allowed) return fail('RATE_LIMITED', 'too many requests; slow down');
      for (const limit of [requestLimits.requests, Object.hasOwn(requestLimits, event) ? requestLimits[event as keyof typeof requestLimits] : null]) {
        if (!limit) continue;
        const verdict = await limit.take(address);
        if (!verdict.allowed) return fail('RATE_LIMITED', `too many requests from your address; ${retryText(verdict.retryAfterMs)}`);
      }
      return null;
    };

    socket.onAny(async (event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && Object.hasOwn(ClientRequests, event)) return;
      const name = String(event).slice(0, 64);
      // Unknown events count against the same budgets: they cost us parsing too.
      const refused = await admitted('unknown');
      reply(name, args[args.length - 1], refused ?? fail('UNKNOWN_EVENT', `unknown request "${name}"`));
    });

    for (const name of Object.keys(ClientRequests) as ClientRequestName[]) {
      socket.on(name, async (...args: unknown[]) => {
        const ack = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
        const payload = ack ? (args.length > 1 ? args[0] : undefined) : args[0];
        const refused = await admitted(name);
        if (refused) return reply(name, ack, refused);
        if (payloadSize(payload) > MAX_REQUEST_BYTES) {
          return reply(name, ack, fail('PAYLOAD_TOO_LARGE', `requests are limited to ${MAX_REQUEST_BYTES} bytes`));
        }
        const parsed = ClientRequests[name].safeParse(payload ?? {});
        if (!parsed.success) return reply(name, ack, fail('BAD_REQUEST', zodMessage(parsed.error)));
        const handler = handlers[name] as (ctx: HandlerContext, request: unknown) => Promise<unknown>;
        // The context is made when the handler runs, so a queued join sees the session the one before it made.
        const run = async () => {
          if (name === 'join') {
            const verdict = await meetingJoins.take((parsed.data as { room: string }).room);
            if (!verdict.allowed) throw new MusterError('RATE_LIMITED', `too many people are joining this meeting at once; ${retryText(verdict.retryAfterMs)}`);
          }
          return handler({ socket, address, rooms, session, setSession }, parsed.data);
        };
        const task = name === 'join' || name === 'leave' ? (membership = membership.then(run, run)) : run();
        try {
          const result = await task;
          // In the meeting or its lobby: no longer idle. After a leave, the connection must join again in time.
          if (name === 'join') clearTimeout(idle);
          if (name === 'leave') armIdle();
          reply(name, ack, ok(result));
        } catch (error) {
          if (error instanceof MusterError) return reply(name, ack, fail(error.code, error.message));
          const current = session as Session | null;
          log.error({ err: error, event: name, room: current?.room.id, participant: current?.participant.id }, 'request failed');
          reply(name, ack, fail('INTERNAL', 'the server could not complete the request'));
        }
      });
    }

    socket.on('disconnect', () => {
      clearTimeout(idle);
      const current = session as Session | null;
      if (current) current.room.socketLost(current.participant, socket);
    });
  });
}
