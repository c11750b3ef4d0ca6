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
import { TokenBucket } from '../util/TokenBucket.ts';

/** Token bucket per socket: a flooding client is refused, never served at others' expense. */
const RATE_PER_SECOND = 30;
const RATE_BURST = 60;

interface Session {
  room: Room;
  participant: Participant;
}

interface HandlerContext {
  socket: Socket;
  rooms: RoomManager;
  session: Session | null;
  setSession: (session: Session | null) => void;
}

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
  async join({ socket, rooms, session, setSession }, request) {
    if (session && !session.participant.left) throw new MusterError('ALREADY_JOINED', 'this connection is already in a meeting');
    let room: Room;
    try {
      room = await rooms.getOrCreate(request.room);
    } catch (error) {
      throw new MusterError('MEDIA_UNAVAILABLE', `no media server could take the meeting: ${(error as Error).message}`);
    }
    const { participant, response } = await room.join(socket, request);
    // Someone held in the lobby has no session yet: they join again once admitted.
    if (participant) setSession({ room, participant });
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
    if (!room.can(participant.id, 'moderate')) throw new MusterError('FORBIDDEN', 'only the host and co-hosts can see the recordings');
    return { recordings: rooms.recorder ? await rooms.recorder.listFor(room.id) : [] };
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
 * Binds the versioned protocol to socket.io: size limit, rate limit, schema
 * validation and error mapping happen here once, so handlers only ever see
 * valid requests from the right state.
 */
export function attachSignaling(io: Server, rooms: RoomManager): void {
  io.on('connection', (socket) => {
    let session: Session | null = null;
    const setSession = (s: Session | null) => {
      session = s;
    };
    const rate = new TokenBucket(RATE_PER_SECOND, RATE_BURST);

    const reply = (event: string, ack: unknown, result: Ack<unknown>) => {
      if (typeof ack === 'function') ack(result);
      else if (!result.ok) socket.emit('server.error', { ...result.error, event });
    };

    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && Object.hasOwn(ClientRequests, event)) return;
      reply(String(event), args[args.length - 1], fail('UNKNOWN_EVENT', `unknown request "${String(event).slice(0, 64)}"`));
    });

    for (const name of Object.keys(ClientRequests) as ClientRequestName[]) {
      socket.on(name, async (...args: unknown[]) => {
        const ack = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
        const payload = ack ? (args.length > 1 ? args[0] : undefined) : args[0];
        if (!rate.take()) return reply(name, ack, fail('RATE_LIMITED', 'too many requests; slow down'));
        if (payloadSize(payload) > MAX_REQUEST_BYTES) {
          return reply(name, ack, fail('PAYLOAD_TOO_LARGE', `requests are limited to ${MAX_REQUEST_BYTES} bytes`));
        }
        const parsed = ClientRequests[name].safeParse(payload ?? {});
        if (!parsed.success) return reply(name, ack, fail('BAD_REQUEST', zodMessage(parsed.error)));
        try {
          const handler = handlers[name] as (ctx: HandlerContext, request: unknown) => Promise<unknown>;
          reply(name, ack, ok(await handler({ socket, rooms, session, setSession }, parsed.data)));
        } catch (error) {
          if (error instanceof MusterError) return reply(name, ack, fail(error.code, error.message));
          console.error(`[signaling] ${name} failed:`, error);
          reply(name, ack, fail('INTERNAL', 'the server could not complete the request'));
        }
      });
    }

    socket.on('disconnect', () => {
      const current = session as Session | null;
      if (current) current.room.socketLost(current.participant, socket);
    });
  });
}
