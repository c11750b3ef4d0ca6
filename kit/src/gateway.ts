/**
 * The socket gateway pipeline: what every request of a socket protocol goes
 * through before and after its handler, written once for the meeting
 * (signaling) and board protocols. Exported as `@muster/kit/gateway`.
 *
 * For each incoming socket.io event, in this order:
 *
 *   1. limits        each `GatewayLimit` in turn: the socket's own bucket first
 *                    (cheap, and a flooding socket stops there), then the
 *                    address's budgets; unknown events count too, they cost
 *                    decoding and a reply           → RATE_LIMITED "…; try again in 3 s"
 *   2. unknown event no schema for that name         → UNKNOWN_EVENT
 *   3. size          `measure(payload)` over the event's bound → PAYLOAD_TOO_LARGE
 *   4. version       the version field (`v`) present and not this protocol's
 *                    version, before the schema says "invalid literal" → UNSUPPORTED_VERSION
 *   5. schema        zod `safeParse`                 → BAD_REQUEST "path: message"
 *   6. handler       through the optional `run` wrapper (ordering, timers);
 *                    a protocol error it throws (`errorOf`) is the reply, any
 *                    other error is logged and answered INTERNAL, never with
 *                    its message or stack
 *
 * The reply is `{ ok: true, data } | { ok: false, error: { code, message } }`,
 * given to the acknowledgement callback; a request without one that fails is
 * reported on the protocol's error event (`server.error`, `board.error`) as
 * `{ code, message, event }`, and one that succeeds gets nothing.
 *
 * What differs between protocols comes in as options: the schemas and
 * handlers, the limits and their keys, how a payload's size is counted, the
 * bounds, the error event, the domain's error class. Per-connection state
 * (sessions, memberships) lives in the context object each connection is
 * attached with; the gateway keeps none of it.
 *
 * Only types are imported here, so a browser bundle that reaches `zodMessage`
 * through a protocol file pulls in no server code.
 */
import type { z } from 'zod';
import type { Limit } from './limits.ts';
import type { Logger } from './log.ts';

// ---------------------------------------------------------------- wire shapes

/** The codes the pipeline itself answers with; a protocol using it declares every one of them. */
export const GATEWAY_ERROR_CODES = ['BAD_REQUEST', 'UNKNOWN_EVENT', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_VERSION', 'RATE_LIMITED', 'INTERNAL'] as const;
export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

/** A stable code for programs and a readable message for people. */
export interface GatewayError<Code extends string = string> {
  code: Code;
  message: string;
}

/** What every acknowledgement receives. */
export type GatewayAck<T, Code extends string = string> = { ok: true; data: T } | { ok: false; error: GatewayError<Code> };

/** The message INTERNAL carries: what went wrong stays in the server's log. */
export const INTERNAL_MESSAGE = 'the server could not complete the request';

/** The longest unknown event name echoed back in a reply. */
const MAX_ECHOED_NAME = 64;

// ---------------------------------------------------------------- options

/** A protocol's requests: one zod schema per event name. */
export type RequestSchemas = Readonly<Record<string, z.ZodType>>;

/** One handler per request: gets the connection's context and the parsed request, resolves to the reply's `data`. */
export type GatewayHandlers<R extends RequestSchemas, C, Res extends { [N in keyof R]: unknown } = { [N in keyof R]: unknown }> = {
  [N in keyof R & string]: (context: C, request: z.output<R[N]>) => Promise<Res[N]>;
};

/** One rate limit a request must pass before anything else is done with it. */
export interface GatewayLimit<C> {
  limit: Limit;
  /** Whose budget the request spends: the socket's id, the client's address… */
  key(context: C): string;
  /** What the request weighs, from its measured size; 1 when absent (and the payload is then not measured for it). */
  points?(size: number): number;
  /** Counted for these events only; absent: every event, unknown ones too. */
  events?: readonly string[];
  /** The RATE_LIMITED message, given how long until the key may try again. */
  refusal(retryAfterMs: number): string;
}

/** What the gateway needs of a socket: socket.io's `Socket` has it, and so can a test's fake. */
export interface GatewaySocket {
  onAny(listener: (event: unknown, ...args: unknown[]) => unknown): unknown;
  emit(event: string, ...args: unknown[]): unknown;
}

export interface GatewayOptions<R extends RequestSchemas, C, Code extends string, Res extends { [N in keyof R]: unknown }> {
  /** The protocol's requests (`ClientRequests`, `BoardRequests`). */
  requests: R;
  handlers: GatewayHandlers<R, C, Res>;
  /** The protocol's version (`PROTOCOL_VERSION`): a request naming another one is refused UNSUPPORTED_VERSION. */
  version: number;
  /** The request field that names the version; `v` when absent. Absent from a request: this version. */
  versionField?: string;
  /** Largest payload, in what `measure` counts: one bound, or one per event. */
  maxBytes: number | ((event: keyof R & string) => number);
  /** A payload's size; UTF-8 bytes of its JSON (`jsonSize`) when absent. */
  measure?(payload: unknown): number;
  /** The PAYLOAD_TOO_LARGE message; "requests are limited to N bytes" when absent. */
  tooLarge?(maxBytes: number): string;
  /** Taken in order, before anything else; the first refusal is the reply. */
  limits?: readonly GatewayLimit<C>[];
  /** Runs around each handler (keep some requests in order, arm timers after one succeeds); resolves to what the task does. */
  run?(context: C, event: keyof R & string, task: () => Promise<unknown>): Promise<unknown>;
  /** The error mapper: the protocol error a thrown value stands for (the domain's error class), or undefined for a bug. */
  errorOf(error: unknown): GatewayError<Code> | undefined;
  /** Where failures of requests sent without an acknowledgement go (`server.error`). */
  errorEvent: string;
  /** A child of `@muster/kit/log`'s logger; requests that fail with INTERNAL are logged here. */
  log: Logger;
  /** What to add to that log line about the connection (room, participant, boards). */
  logFields?(context: C): Record<string, unknown>;
}

// ---------------------------------------------------------------- helpers

/** A zod error as one readable line: the first issue, with its path (`tracks.0.mid: Too big…`). */
export function zodMessage(error: Pick<z.ZodError, 'issues'>): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const path = issue.path.length ? `${issue.path.map(String).join('.')}: ` : '';
  return `${path}${issue.message}`;
}

/** UTF-8 bytes of a payload's JSON; 0 for none, Infinity for what JSON cannot hold (cycles, BigInt, nesting past the stack). */
export function jsonSize(payload: unknown): number {
  if (payload === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(payload) ?? '');
  } catch {
    return Infinity;
  }
}

function fail<Code extends string>(code: Code, message: string): { ok: false; error: GatewayError<Code> } {
  return { ok: false, error: { code, message } };
}

/** An event name fit to echo: a string, cut short. */
function nameOf(event: unknown): string {
  let name: string;
  try {
    name = String(event);
  } catch {
    name = typeof event;
  }
  return name.slice(0, MAX_ECHOED_NAME);
}

/** A version value as a reply may quote it: numbers as they are, anything else by its type. */
function describeVersion(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return `version ${value}`;
  return `a ${value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value} as its version`;
}

// ---------------------------------------------------------------- the pipeline

type Ack<Code extends string> = GatewayAck<unknown, Code | GatewayErrorCode>;

/**
 * A connection carried to the app process that holds what it joined (several
 * app hosts share Redis; the server's relays): from then on that app answers
 * everything of it.
 */
export interface RelayedConnection<Join, Joined> {
  local: false;
  /** Sends a join there; resolves with that app's reply, or rejects with its refusal as the protocol's error. */
  join(request: Join): Promise<Joined>;
  /** Sends any other request there, its acknowledgement (the last argument, when a function) answered from there. */
  forward(event: string, args: unknown[]): void;
}

/**
 * Where what a connection joins is served, when another app process may hold
 * it. A protocol knows nothing of hosts or Redis: it asks at a join, and hands
 * over a connection the relay took.
 */
export interface ConnectionRelay<S, Join, Joined> {
  /**
   * Asked at a join of a connection that has nothing open here, after the
   * pipeline's limits and checks. `local`: this process serves it, and
   * `settled` is called once that join is done, whatever its outcome.
   * Otherwise the relay has taken the connection over (it mirrors the
   * disconnect itself): the gateway sends that join and every later request
   * through it and acts on none of them.
   */
  route(socket: S, request: Join): Promise<{ local: true; settled(): void } | RelayedConnection<Join, Joined>>;
}

/**
 * One protocol's pipeline. Made once per server; `attach` binds it to each
 * connection with that connection's context.
 */
export class SocketGateway<
  R extends RequestSchemas,
  C,
  Code extends string = GatewayErrorCode,
  Res extends { [N in keyof R]: unknown } = { [N in keyof R]: unknown },
> {
  readonly #options: GatewayOptions<R, C, Code, Res>;
  readonly #versionField: string;
  readonly #measure: (payload: unknown) => number;
  readonly #limits: readonly GatewayLimit<C>[];

  constructor(options: GatewayOptions<R, C, Code, Res>) {
    this.#options = options;
    this.#versionField = options.versionField ?? 'v';
    this.#measure = options.measure ?? jsonSize;
    this.#limits = options.limits ?? [];
  }

  /** Handles every event the socket receives (one `onAny` listener) with this context. */
  attach(socket: GatewaySocket, context: C): void {
    socket.onAny(this.listener(socket, context));
  }

  /**
   * The `onAny` listener `attach` installs, for callers that register it
   * themselves. Its promise settles once the reply is sent, and never rejects.
   */
  listener(socket: GatewaySocket, context: C): (event: unknown, ...args: unknown[]) => Promise<void> {
    return (event, ...args) => this.#dispatch(socket, context, event, args);
  }

  /**
   * `listener`, for a connection the server may carry to another app process
   * (see ConnectionRelay): once `relayed()` names where, every known request
   * but the join goes there as it came, to be limited, checked and answered
   * there; joins still pass this pipeline first (they are what the relay acts
   * on), and an unknown event gets its UNKNOWN_EVENT here, as it would there
   * (socket.io's client could not even send some of those names on).
   */
  relayingListener(socket: GatewaySocket, context: C, joinEvent: keyof R & string, relayed: () => RelayedConnection<unknown, unknown> | undefined): (event: unknown, ...args: unknown[]) => Promise<void> {
    const local = this.listener(socket, context);
    return async (event, ...args) => {
      const carried = relayed();
      if (carried && typeof event === 'string' && event !== joinEvent && Object.hasOwn(this.#options.requests, event)) return carried.forward(event, args);
      return local(event, ...args);
    };
  }

  async #dispatch(socket: GatewaySocket, context: C, event: unknown, args: unknown[]): Promise<void> {
    const known = typeof event === 'string' && Object.hasOwn(this.#options.requests, event) ? (event as keyof R & string) : null;
    const name = known ?? nameOf(event);
    // socket.io appends the acknowledgement last, when the client asked for one.
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (reply: unknown) => void) : undefined;
    const rest = ack ? args.slice(0, -1) : args;
    // A request is its first argument; for an unknown event everything sent is weighed.
    const payload = known ? rest[0] : rest;
    let reply: Ack<Code>;
    try {
      reply = await this.#handle(context, known, name, payload);
    } catch (error) {
      reply = this.#failure(context, name, error);
    }
    try {
      if (ack) ack(reply);
      else if (!reply.ok) socket.emit(this.#options.errorEvent, { ...reply.error, event: name });
    } catch (error) {
      // The connection went away under the reply: nothing to tell anyone.
      this.#options.log.debug({ err: error, event: name }, 'reply not sent');
    }
  }

  async #handle(context: C, event: (keyof R & string) | null, name: string, payload: unknown): Promise<Ack<Code>> {
    const options = this.#options;
    // Measured at most once, and only when needed: a flooding socket is refused before its payload is read.
    let size: number | undefined;
    const sizeOf = () => (size ??= this.#measure(payload));

    for (const check of this.#limits) {
      if (check.events && (event === null || !check.events.includes(event))) continue;
      const verdict = await check.limit.take(check.key(context), check.points ? check.points(sizeOf()) : 1);
      if (!verdict.allowed) return fail('RATE_LIMITED', check.refusal(verdict.retryAfterMs));
    }
    if (event === null) return fail('UNKNOWN_EVENT', `unknown request "${name}"`);

    const max = typeof options.maxBytes === 'function' ? options.maxBytes(event) : options.maxBytes;
    if (sizeOf() > max) return fail('PAYLOAD_TOO_LARGE', options.tooLarge ? options.tooLarge(max) : `requests are limited to ${max} bytes`);

    // No payload (or null) is an empty request: `leave` with nothing is `leave` with `{}`.
    const request = payload ?? {};
    const unsupported = this.#versionProblem(request);
    if (unsupported) return fail('UNSUPPORTED_VERSION', unsupported);

    const parsed = options.requests[event]!.safeParse(request);
    if (!parsed.success) return fail('BAD_REQUEST', zodMessage(parsed.error));

    const handler = options.handlers[event] as (context: C, request: unknown) => Promise<unknown>;
    const task = () => handler(context, parsed.data);
    const data = await (options.run ? options.run(context, event, task) : task());
    return { ok: true, data };
  }

  /** Why a request's version field rules it out, or null when it is absent or ours. */
  #versionProblem(request: unknown): string | null {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) return null;
    if (!Object.hasOwn(request, this.#versionField)) return null;
    const asked = (request as Record<string, unknown>)[this.#versionField];
    if (asked === undefined || asked === this.#options.version) return null;
    const version = this.#options.version;
    return `this server speaks protocol version ${version}; the request asked for ${describeVersion(asked)} (send "${this.#versionField}": ${version}, or update the client)`;
  }

  /** A thrown value as a reply: the protocol error it stands for, or INTERNAL (logged, its message kept from the client). */
  #failure(context: C, event: string, error: unknown): Ack<Code> {
    const options = this.#options;
    let known: GatewayError<Code> | undefined;
    let fields: Record<string, unknown> = {};
    try {
      known = options.errorOf(error);
      if (!known) fields = options.logFields?.(context) ?? {};
    } catch {
      // A broken mapper is a bug like any other: INTERNAL below.
    }
    if (known) return fail(known.code, known.message);
    options.log.error({ err: error, event, ...fields }, 'request failed');
    return fail('INTERNAL', INTERNAL_MESSAGE);
  }
}
