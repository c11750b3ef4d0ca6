/**
 * The media link: how a signaling process (an app) drives the media workers
 * of a media host (`MUSTER_ROLE=media`) over one WebSocket (`/media/link`).
 *
 * - The version is the WebSocket subprotocol (`muster-media.1`): a host
 *   refuses an upgrade that does not offer the one it speaks, so two builds
 *   that disagree fail at connect, loudly, instead of mid-meeting.
 * - Control frames are JSON text: the host's hello with its workers, workers
 *   added, ready or dead, a kill (fault tests), an error reply.
 * - Channel frames are binary: a channel.ts message (request, response or
 *   notification) for one worker, v8-serialized as Node's IPC does with
 *   `serialization: 'advanced'`, so a value crosses the network exactly as it
 *   crosses the local IPC (undefined, Buffers, nested objects). The relay
 *   looks only at the envelope, never at a method's parameters: any channel
 *   method, present or future, travels unchanged.
 *
 * Every frame is validated on arrival, on both ends (zod): a bad frame is
 * answered with an error (or dropped with a log line), never thrown.
 */
import { deserialize, serialize } from 'node:v8';
import { z } from 'zod';
import type { ChannelNotification, ChannelRequest, ChannelResponse } from '../channel.ts';

export const MEDIA_LINK_PATH = '/media/link';
export const MEDIA_LINK_VERSION = 1;
/** The WebSocket subprotocol naming the version. */
export const MEDIA_LINK_SUBPROTOCOL = `muster-media.${MEDIA_LINK_VERSION}`;

/** Signals a signaling process may ask the host to send to a worker (fault tests: a crash, a stall and its end). */
export const KILL_SIGNALS = ['SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGCONT'] as const;

const workerId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const requestId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const pid = z.number().int().positive().max(2 ** 32).nullable();
// Bounded so that a garbage frame cannot make a log line or a lookup key of arbitrary size.
const shortText = z.string().min(1).max(128);
const errorText = z.string().max(16_384);

export const remoteWorkerInfo = z.object({ id: workerId, pid, ready: z.boolean() });
export type RemoteWorkerInfo = z.infer<typeof remoteWorkerInfo>;

/** Control frames the host sends. */
export const hostControlFrame = z.discriminatedUnion('t', [
  /** First frame on every connection: who the host is and the workers it has now. */
  z.object({ t: z.literal('hello'), v: z.literal(MEDIA_LINK_VERSION), host: shortText, workers: z.array(remoteWorkerInfo).max(4096) }),
  /** A new worker (a dead one's replacement), usually still starting. */
  z.object({ t: z.literal('worker.added'), worker: remoteWorkerInfo }),
  z.object({ t: z.literal('worker.ready'), id: workerId, pid }),
  /** The worker's process is gone: its routers with it. */
  z.object({
    t: z.literal('worker.died'),
    id: workerId,
    code: z.number().int().nullable(),
    signal: z.string().max(32).nullable(),
    stalled: z.literal(true).optional(),
  }),
  /** A frame of this connection was refused. */
  z.object({ t: z.literal('error'), message: errorText }),
]);
export type HostControlFrame = z.infer<typeof hostControlFrame>;

/** Control frames a signaling process sends. */
export const clientControlFrame = z.discriminatedUnion('t', [z.object({ t: z.literal('kill'), worker: workerId, signal: z.enum(KILL_SIGNALS) })]);
export type ClientControlFrame = z.infer<typeof clientControlFrame>;

/**
 * Any channel method, present or future, has this shape (`router.create`,
 * `pipeTransport.consume`); nothing else reaches a worker's handler table,
 * where `constructor` or `__proto__` would find an inherited property.
 */
const method = z.string().max(64).regex(/^[a-z][A-Za-z]*\.[a-z][A-Za-z]*$/, 'not a channel method name');
const channelRequest = z.object({ kind: z.literal('request'), id: requestId, method, params: z.unknown().optional() });
const channelResponse = z.discriminatedUnion('ok', [
  z.object({ kind: z.literal('response'), id: requestId, ok: z.literal(true), result: z.unknown().optional() }),
  z.object({ kind: z.literal('response'), id: requestId, ok: z.literal(false), error: errorText }),
]);
const channelNotification = z.object({ kind: z.literal('notification'), event: shortText, data: z.unknown().optional() });

/** Binary frames the signaling side sends: a request for one worker of the host. */
export const clientChannelFrame = z.object({ t: z.literal('channel'), worker: workerId, message: channelRequest });
/** Binary frames the host sends: a worker's response or notification. */
export const hostChannelFrame = z.object({ t: z.literal('channel'), worker: workerId, message: z.union([channelResponse, channelNotification]) });

export type ClientChannelFrame = { t: 'channel'; worker: number; message: ChannelRequest };
export type HostChannelFrame = { t: 'channel'; worker: number; message: ChannelResponse | ChannelNotification };

export type Decoded<T> = { ok: true; frame: T } | { ok: false; error: string };

/** A text frame through `schema`; never throws. */
export function decodeControl<T>(schema: z.ZodType<T>, data: string): Decoded<T> {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, error: 'a text frame must be JSON' };
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, frame: parsed.data } : { ok: false, error: `invalid control frame: ${summarise(parsed.error)}` };
}

/** A binary frame through `schema`; never throws. */
export function decodeChannel<T>(schema: z.ZodType<T>, data: Buffer): Decoded<T> {
  let value: unknown;
  try {
    value = deserialize(data);
  } catch {
    return { ok: false, error: 'a binary frame must be a v8-serialized channel frame' };
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, frame: parsed.data } : { ok: false, error: `invalid channel frame: ${summarise(parsed.error)}` };
}

export function encodeControl(frame: HostControlFrame | ClientControlFrame): string {
  return JSON.stringify(frame);
}

export function encodeChannel(frame: HostChannelFrame | ClientChannelFrame): Buffer {
  return serialize(frame);
}

/** The first issue of a failed parse, short: it goes into a reply and a log line. */
function summarise(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unknown';
  return `${issue.path.join('.') || '(frame)'}: ${issue.message}`.slice(0, 200);
}
