import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  GATEWAY_ERROR_CODES,
  INTERNAL_MESSAGE,
  SocketGateway,
  jsonSize,
  zodMessage,
  type GatewayAck,
  type GatewayErrorCode,
  type GatewayOptions,
  type GatewaySocket,
} from './gateway.ts';
import { MemoryLimits, retryText, type Limit } from './limits.ts';
import { mulberry32 } from './testing/index.ts';

// ---------------------------------------------------------------- a small protocol to run the pipeline on

const VERSION = 3;
const MAX_BYTES = 200;

const Requests = {
  echo: z.object({ v: z.literal(VERSION).optional(), text: z.string().max(100), nested: z.object({ n: z.number().int() }).strict().optional() }).strict(),
  /** A bug in a handler: its message must never reach the client. */
  boom: z.object({}).strict(),
  /** A refusal the domain throws on purpose, with its own code. */
  refuse: z.object({}).strict(),
  /** Takes a bigger payload than the rest (`maxBytes` per event). */
  bulk: z.object({ data: z.string() }).strict(),
};
type TestCode = GatewayErrorCode | 'NOPE';
const CODES: readonly TestCode[] = [...GATEWAY_ERROR_CODES, 'NOPE'];
interface Responses {
  echo: { text: string };
  boom: never;
  refuse: never;
  bulk: { length: number };
}

class TestError extends Error {
  constructor(
    readonly code: TestCode,
    message: string,
  ) {
    super(message);
  }
}

interface Context {
  id: string;
  /** Events whose handler ran, through `run`. */
  ran: string[];
}

type Reply = GatewayAck<unknown, TestCode>;

/** A logger whose lines the test reads. */
function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

type Overrides = Partial<GatewayOptions<typeof Requests, Context, TestCode, Responses>>;

function gatewayWith(overrides: Overrides = {}) {
  const { log, lines } = capturingLog();
  const gateway = new SocketGateway<typeof Requests, Context, TestCode, Responses>({
    requests: Requests,
    handlers: {
      async echo(_context, request) {
        return { text: request.text };
      },
      async boom() {
        throw new Error('secret detail: /etc/passwd at line 3');
      },
      async refuse() {
        throw new TestError('NOPE', 'not today');
      },
      async bulk(_context, request) {
        return { length: request.data.length };
      },
    },
    version: VERSION,
    maxBytes: (event) => (event === 'bulk' ? 10 * MAX_BYTES : MAX_BYTES),
    run: async (context, event, task) => {
      context.ran.push(event);
      return task();
    },
    errorOf: (error) => (error instanceof TestError ? { code: error.code, message: error.message } : undefined),
    errorEvent: 'test.error',
    log,
    logFields: (context) => ({ connection: context.id }),
    ...overrides,
  });
  return { gateway, lines };
}

/** A socket.io server on 127.0.0.1 with the gateway on every connection, and clients for it. */
async function startServer(overrides: Overrides = {}) {
  const { gateway, lines } = gatewayWith(overrides);
  const httpServer = http.createServer();
  const io = new Server(httpServer, { maxHttpBufferSize: 1_000_000 });
  const contexts: Context[] = [];
  io.on('connection', (socket) => {
    const context: Context = { id: socket.id, ran: [] };
    contexts.push(context);
    gateway.attach(socket, context);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  const clients: ClientSocket[] = [];
  const server = {
    lines,
    contexts,
    async client(): Promise<ClientSocket> {
      const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      clients.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      return socket;
    },
    async close() {
      for (const socket of clients) socket.close();
      await io.close();
    },
  };
  running.push(server);
  return server;
}

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

function ask(socket: ClientSocket, event: string, ...payload: unknown[]): Promise<Reply> {
  return socket.timeout(5_000).emitWithAck(event, ...payload) as Promise<Reply>;
}

/** A reply as the protocols promise it: ok with data, or a known code with a readable message. */
function expectWellFormed(reply: Reply, context = '') {
  expect(typeof reply, context).toBe('object');
  if (reply.ok) {
    expect(Object.keys(reply).sort(), context).toEqual(['data', 'ok']);
    return;
  }
  expect(Object.keys(reply).sort(), context).toEqual(['error', 'ok']);
  expect(Object.keys(reply.error).sort(), context).toEqual(['code', 'message']);
  expect(CODES, context).toContain(reply.error.code);
  expect(typeof reply.error.message, context).toBe('string');
  expect(reply.error.message.length, context).toBeGreaterThan(0);
  if (reply.error.code === 'INTERNAL') expect(reply.error.message, context).toBe(INTERNAL_MESSAGE);
}

/** A socket the test drives by hand: what the gateway emits is kept, the listener's promise awaited. */
function fakeSocket() {
  const emitted: { event: string; args: unknown[] }[] = [];
  let listener: ((event: unknown, ...args: unknown[]) => unknown) | undefined;
  const socket: GatewaySocket = {
    onAny(l) {
      listener = l;
    },
    emit(event, ...args) {
      emitted.push({ event, args });
    },
  };
  return {
    socket,
    emitted,
    async receive(event: unknown, ...args: unknown[]): Promise<void> {
      await listener!(event, ...args);
    },
  };
}

// ---------------------------------------------------------------- the pipeline, step by step

describe('the socket gateway pipeline', () => {
  it('runs a valid request through its handler (inside `run`) and acks { ok: true, data }', async () => {
    const server = await startServer();
    const socket = await server.client();
    expect(await ask(socket, 'echo', { text: 'hello' })).toEqual({ ok: true, data: { text: 'hello' } });
    expect(await ask(socket, 'echo', { v: VERSION, text: 'versioned' })).toEqual({ ok: true, data: { text: 'versioned' } });
    expect(server.contexts[0]!.ran).toEqual(['echo', 'echo']);
  });

  it('answers BAD_REQUEST with the path and zod message of the first issue', async () => {
    const server = await startServer();
    const socket = await server.client();
    const reply = await ask(socket, 'echo', { text: 'x', nested: { n: 1.5 } });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(!reply.ok && reply.error.message).toMatch(/^nested\.n: /);
    // Not an object at all: no path, just what was wrong.
    const notObject = await ask(socket, 'echo', 'a string');
    expect(notObject).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(!notObject.ok && notObject.error.message).not.toMatch(/^\S+: /);
    // Unknown fields are refused (strict schemas), and no payload at all is an empty request.
    expect(await ask(socket, 'echo', { text: 'x', extra: 1 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ask(socket, 'echo')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^text: /) } });
    expect(server.contexts[0]!.ran).toEqual([]);
  });

  it('answers UNKNOWN_EVENT for names it has no schema for, prototype names included, echoing at most 64 characters', async () => {
    const server = await startServer();
    const socket = await server.client();
    expect(await ask(socket, 'drop.tables', {})).toEqual({ ok: false, error: { code: 'UNKNOWN_EVENT', message: 'unknown request "drop.tables"' } });
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(await ask(socket, name, {}), name).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    }
    const long = await ask(socket, 'x'.repeat(500));
    expect(!long.ok && long.error.message).toBe(`unknown request "${'x'.repeat(64)}"`);
  });

  it('answers PAYLOAD_TOO_LARGE over the event’s bound, before the schema sees it', async () => {
    const server = await startServer();
    const socket = await server.client();
    expect(await ask(socket, 'echo', { text: 'x'.repeat(MAX_BYTES) })).toEqual({
      ok: false,
      error: { code: 'PAYLOAD_TOO_LARGE', message: `requests are limited to ${MAX_BYTES} bytes` },
    });
    // The bound is per event: bulk takes ten times more.
    expect(await ask(socket, 'bulk', { data: 'x'.repeat(5 * MAX_BYTES) })).toEqual({ ok: true, data: { length: 5 * MAX_BYTES } });
    expect(await ask(socket, 'bulk', { data: 'x'.repeat(11 * MAX_BYTES) })).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('takes its size measure and PAYLOAD_TOO_LARGE message from the protocol', async () => {
    const server = await startServer({ measure: () => 1e9, tooLarge: (max) => `board messages are limited to ${max} bytes` });
    const socket = await server.client();
    expect(await ask(socket, 'echo', { text: 'x' })).toEqual({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE', message: `board messages are limited to ${MAX_BYTES} bytes` } });
  });

  it('answers UNSUPPORTED_VERSION when the version field is present and not this protocol’s', async () => {
    const server = await startServer();
    const socket = await server.client();
    const reply = await ask(socket, 'echo', { v: 4, text: 'from the future' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_VERSION' } });
    expect(!reply.ok && reply.error.message).toMatch(/^this server speaks protocol version 3; the request asked for version 4/);
    // Whatever the value's type, and on requests whose schema has no version field too.
    expect(await ask(socket, 'echo', { v: '3', text: 'x' })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_VERSION' } });
    expect(await ask(socket, 'echo', { v: null, text: 'x' })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_VERSION' } });
    expect(await ask(socket, 'boom', { v: 2 })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_VERSION' } });
    // The right version on a request that does not take the field is the schema's business.
    expect(await ask(socket, 'boom', { v: VERSION })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(server.contexts[0]!.ran).toEqual([]);
  });

  it('reads the version from the field the protocol names', async () => {
    const server = await startServer({ versionField: 'version' });
    const socket = await server.client();
    expect(await ask(socket, 'bulk', { version: 1, data: 'x' })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_VERSION' } });
  });

  it('answers RATE_LIMITED with the limit’s own message and when to retry, for known and unknown events alike', async () => {
    const store = new MemoryLimits();
    const server = await startServer({
      limits: [
        { limit: store.bursty({ name: 'test-socket', perSecond: 1_000, burst: 1_000 }), key: (c) => c.id, refusal: () => 'too many requests; slow down' },
        { limit: store.rate({ name: 'test-shared', points: 3, perSeconds: 60 }), key: () => 'everyone', refusal: (ms) => `too many requests from your address; ${retryText(ms)}` },
      ],
    });
    const socket = await server.client();
    expect((await ask(socket, 'echo', { text: '1' })).ok).toBe(true);
    expect(await ask(socket, 'no.such', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    expect((await ask(socket, 'echo', { text: '3' })).ok).toBe(true);
    // The budget is spent, unknown events included: refused before the size, the version or the schema are looked at.
    for (const [event, payload] of [['echo', { text: 'x' }], ['no.such', {}], ['echo', { v: 9 }], ['echo', 'x'.repeat(10_000)]] as const) {
      const reply = await ask(socket, event, payload);
      expect(reply, event).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      expect(!reply.ok && reply.error.message).toMatch(/^too many requests from your address; try again in \d+ (s|min)$/);
    }
    expect(server.contexts[0]!.ran).toEqual(['echo', 'echo']);
  });

  it('weighs requests by size, and counts a limit only for its events', async () => {
    const store = new MemoryLimits();
    const measured: unknown[] = [];
    const server = await startServer({
      measure: (payload) => {
        measured.push(payload);
        return jsonSize(payload);
      },
      limits: [
        { limit: store.rate({ name: 'test-socket-first', points: 1, perSeconds: 60 }), key: () => 'first', events: ['refuse'], refusal: () => 'slow down' },
        { limit: store.rate({ name: 'test-weighed', points: 20, perSeconds: 60 }), key: () => 'all', events: ['bulk'], points: (size) => 1 + Math.floor(size / 100), refusal: () => 'too heavy' },
      ],
    });
    const socket = await server.client();
    // 1 + 10 points, then 1 + 10 more: over 20.
    expect((await ask(socket, 'bulk', { data: 'x'.repeat(1_000) })).ok).toBe(true);
    expect(await ask(socket, 'bulk', { data: 'x'.repeat(1_000) })).toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: 'too heavy' } });
    // Echo is in neither limit's events; refuse is in the first, which stops the second one.
    expect((await ask(socket, 'echo', { text: 'free' })).ok).toBe(true);
    expect(await ask(socket, 'refuse', {})).toMatchObject({ ok: false, error: { code: 'NOPE' } });
    expect(await ask(socket, 'refuse', {})).toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } });
    // Each payload is measured once, for the limit and the bound together.
    expect(measured.filter((p) => (p as { data?: string }).data !== undefined)).toHaveLength(2);
  });

  it('passes a protocol error a handler throws through as it is', async () => {
    const server = await startServer();
    const socket = await server.client();
    expect(await ask(socket, 'refuse', {})).toEqual({ ok: false, error: { code: 'NOPE', message: 'not today' } });
  });

  it('answers INTERNAL for any other error, logs it with the connection’s fields, and never sends its message', async () => {
    const server = await startServer();
    const socket = await server.client();
    const reply = await ask(socket, 'boom', {});
    expect(reply).toEqual({ ok: false, error: { code: 'INTERNAL', message: INTERNAL_MESSAGE } });
    expect(JSON.stringify(reply)).not.toMatch(/secret|passwd|at line/);
    const line = server.lines.find((l) => l.msg === 'request failed');
    expect(line).toMatchObject({ level: 50, event: 'boom', connection: server.contexts[0]!.id, err: { message: 'secret detail: /etc/passwd at line 3' } });
  });

  it('answers INTERNAL when a limit’s store fails, rather than letting the request through or the rejection escape', async () => {
    const broken: Limit = {
      name: 'broken',
      take: () => Promise.reject(new Error('store unreachable')),
      reward: async () => undefined,
      reset: async () => undefined,
    };
    const server = await startServer({ limits: [{ limit: broken, key: () => 'k', refusal: () => 'no' }] });
    const socket = await server.client();
    expect(await ask(socket, 'echo', { text: 'x' })).toEqual({ ok: false, error: { code: 'INTERNAL', message: INTERNAL_MESSAGE } });
    expect(server.contexts[0]!.ran).toEqual([]);
  });

  it('reports failures of requests sent without an acknowledgement on the error event, and successes nowhere', async () => {
    const server = await startServer();
    const socket = await server.client();
    const errors: unknown[] = [];
    socket.on('test.error', (e) => errors.push(e));
    socket.emit('echo', 'not an object');
    socket.emit('no.such');
    socket.emit('echo', { text: 'fine' });
    socket.emit('boom', {});
    await expect.poll(() => errors.length).toBe(3);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'BAD_REQUEST', event: 'echo' }),
        { code: 'UNKNOWN_EVENT', message: 'unknown request "no.such"', event: 'no.such' },
        { code: 'INTERNAL', message: INTERNAL_MESSAGE, event: 'boom' },
      ]),
    );
    // The connection still answers.
    expect((await ask(socket, 'echo', { text: 'after' })).ok).toBe(true);
  });

  it('treats a last argument that is not a function as no acknowledgement', async () => {
    const { gateway } = gatewayWith();
    const fake = fakeSocket();
    const context: Context = { id: 'fake', ran: [] };
    gateway.attach(fake.socket, context);
    await fake.receive('echo', { text: 'x' }, 'not a callback');
    expect(context.ran).toEqual(['echo']);
    expect(fake.emitted).toEqual([]);
    await fake.receive('echo', 42, { also: 'not a callback' });
    await fake.receive(Symbol('odd'), 1, 2);
    expect(fake.emitted.map((e) => [e.event, (e.args[0] as { code: string; event: string }).code, (e.args[0] as { event: string }).event])).toEqual([
      ['test.error', 'BAD_REQUEST', 'echo'],
      ['test.error', 'UNKNOWN_EVENT', 'Symbol(odd)'],
    ]);
  });

  it('an acknowledgement that throws does not escape the listener', async () => {
    const { gateway } = gatewayWith();
    const fake = fakeSocket();
    gateway.attach(fake.socket, { id: 'fake', ran: [] });
    await expect(
      fake.receive('echo', { text: 'x' }, () => {
        throw new Error('socket gone');
      }),
    ).resolves.toBeUndefined();
  });
});

describe('zodMessage', () => {
  it('names the first issue with its path', () => {
    const result = z.object({ a: z.array(z.object({ b: z.number() })) }).safeParse({ a: [{ b: 'x' }] });
    expect(!result.success && zodMessage(result.error)).toMatch(/^a\.0\.b: /);
    expect(zodMessage({ issues: [] })).toBe('invalid request');
  });
});

// ---------------------------------------------------------------- fuzz

/** Whatever a hostile or broken client might send, as socket.io can carry it. */
function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 8 : 12));
  switch (pick) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2: return [0, -1, 1.5, 3, 4, VERSION, NaN, Infinity, -0, 2 ** 53, -(2 ** 31)][Math.floor(rand() * 11)];
    case 3: return 'x'.repeat(Math.floor(rand() * 150));
    case 4: return ['', 'echo', '__proto__', 'v', '🙂'.repeat(30), '\u0000\u202e', 'a'.repeat(3_000)][Math.floor(rand() * 7)];
    case 5: return Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
    case 6: return undefined;
    case 7: return {};
    case 8:
    case 9: return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const keys = ['v', 'text', 'nested', 'n', 'data', '__proto__', 'constructor', 'toString', 'version', ''];
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(rand() * 5); i++) {
        // Own properties, as JSON.parse makes them: `obj.__proto__ = x` would set the prototype instead.
        Object.defineProperty(obj, keys[Math.floor(rand() * keys.length)]!, { value: randomValue(rand, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return obj;
    }
  }
}

function randomEvent(rand: () => number): string {
  const names = [...Object.keys(Requests), 'echo', 'echo', 'bulk', 'no.such', '__proto__', 'constructor', '', 'x'.repeat(200), 'ECHO', 'echo '];
  return names[Math.floor(rand() * names.length)]!;
}

describe('the socket gateway pipeline under random input', () => {
  const seed = process.env.GATEWAY_FUZZ_SEED ? Number(process.env.GATEWAY_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 32);

  it('acks every random request with a well-formed reply and keeps serving', async () => {
    // A failure names the seed; GATEWAY_FUZZ_SEED=<seed> runs the same requests again.
    console.info(`gateway fuzz seed: ${seed} (repeat with GATEWAY_FUZZ_SEED=${seed})`);
    const rand = mulberry32(seed);
    const store = new MemoryLimits();
    const server = await startServer({
      limits: [
        // Wide enough that validation, not the limit, answers most requests; weighed, so the size path runs too.
        { limit: store.bursty({ name: 'fuzz-socket', perSecond: 10_000, burst: 10_000 }), key: (c) => c.id, refusal: () => 'slow down' },
        { limit: store.rate({ name: 'fuzz-weighed', points: 1_000_000, perSeconds: 60 }), key: () => 'all', points: (size) => 1 + Math.floor(Math.min(size, 1e6) / 100), refusal: (ms) => `too many; ${retryText(ms)}` },
      ],
    });
    const socket = await server.client();
    const errors: unknown[] = [];
    socket.on('test.error', (e) => errors.push(e));
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const event = randomEvent(rand);
      const args = Array.from({ length: Math.floor(rand() * 3) }, () => randomValue(rand));
      const context = `seed ${seed}, request ${i}: ${event} ${JSON.stringify(args)?.slice(0, 200)}`;
      if (rand() < 0.1) {
        // No acknowledgement: a failure comes back on the error event, a success not at all.
        socket.emit(event, ...args);
        continue;
      }
      const reply = await ask(socket, event, ...args);
      expectWellFormed(reply, context);
      seen.add(reply.ok ? 'OK' : reply.error.code);
      // Only the handler that throws on purpose may produce INTERNAL.
      if (!reply.ok && reply.error.code === 'INTERNAL') expect(event, context).toBe('boom');
    }
    for (const error of errors) {
      expect(error, `seed ${seed}`).toMatchObject({ code: expect.any(String), message: expect.any(String), event: expect.any(String) });
      expect(CODES, `seed ${seed}`).toContain((error as { code: TestCode }).code);
    }
    expect(seen.has('BAD_REQUEST') && seen.has('UNKNOWN_EVENT'), `seed ${seed}: ${[...seen].join(', ')}`).toBe(true);
    // The server and this connection survive it all.
    expect(await ask(socket, 'echo', { v: VERSION, text: 'still here' })).toEqual({ ok: true, data: { text: 'still here' } });
    const fresh = await server.client();
    expect(await ask(fresh, 'echo', { text: 'new connection' })).toEqual({ ok: true, data: { text: 'new connection' } });
  });

  it('survives values no socket.io frame can carry (cycles, BigInt, throwing getters and proxies), in process', async () => {
    const rand = mulberry32(seed);
    // The default measure refuses most of these as too large (JSON cannot hold them); a measure that lets
    // everything through sends them on to the version check, the schema and the handlers.
    const fakes = [gatewayWith(), gatewayWith({ measure: () => 0 })].map(({ gateway }) => {
      const fake = fakeSocket();
      gateway.attach(fake.socket, { id: 'fake', ran: [] });
      return fake;
    });
    const cyclic: Record<string, unknown> = { text: 'x' };
    cyclic.self = cyclic;
    const exotic: unknown[] = [
      cyclic,
      { text: 'x', big: 10n },
      10n,
      Symbol('s'),
      Object.create(null),
      Object.defineProperty({}, 'v', { enumerable: true, get: () => { throw new Error('getter'); } }),
      new Proxy({}, { get: () => { throw new Error('trap'); }, has: () => { throw new Error('trap'); }, getOwnPropertyDescriptor: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } }),
      new Map([['v', 1]]),
      new Date(0),
    ];
    for (let i = 0; i < 200; i++) {
      const event = randomEvent(rand);
      const payload = rand() < 0.5 ? exotic[Math.floor(rand() * exotic.length)] : randomValue(rand);
      for (const fake of fakes) {
        const replies: Reply[] = [];
        await fake.receive(event, payload, (reply: Reply) => replies.push(reply));
        expect(replies, `seed ${seed}, exotic request ${i}: ${event}`).toHaveLength(1);
        expectWellFormed(replies[0]!, `seed ${seed}, exotic request ${i}: ${event}`);
      }
    }
    for (const fake of fakes) expect(fake.emitted).toEqual([]);
  });
});
