import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import type { Server as SocketIoServer } from 'socket.io';
import type { Logger } from '@muster/kit/log';
import { StreamBus } from './StreamBus.ts';

/** What crosses app processes (hosts) besides socket.io's own rooms: events for the gateways each app holds. */
export interface CrossAppEvents {
  /** A live IM event for these accounts (their longlink connections may be on any host's gateways). */
  deliver(to: readonly string[], event: string, payload: unknown): void;
  /** An event for every longlink connection on every host. */
  broadcast(event: string, payload: unknown): void;
}

type CrossAppMessage = { t: 'deliver'; to: readonly string[]; e: string; d: unknown } | { t: 'broadcast'; e: string; d: unknown };
/** One stream per namespace in use ('/', '/board', '/account'), so that one busy namespace does not hold up the others. */
const STREAM_COUNT = 3;

/**
 * The fan-out between app processes on several hosts, through Redis
 * (REDIS_URL): socket.io's Redis Streams adapter, so that a room's or an
 * account's emit reaches sockets on every app, and that a Redis restart
 * resumes the streams where they were without losing packets; and what
 * the gateways of each host must hear, on a stream of our own (StreamBus: socket.io's server-side
 * events go by pub/sub and are lost while Redis is away). `local` is this
 * app's own delivery to its gateways.
 *
 * Returns the events to send to the other apps (this one delivers its own
 * locally, first) and `close`.
 */
export function attachRedisFanout(
  io: SocketIoServer,
  options: { redisUrl: string; prefix: string; logger: Logger; local: CrossAppEvents },
): CrossAppEvents & { close(): Promise<void> } {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false });
  let warned = false;
  redis.on('error', (error) => {
    if (warned) return;
    warned = true;
    options.logger.warn({ err: error }, 'redis fan-out: connection lost; reconnecting (events resume from the stream)');
  });
  redis.on('ready', () => {
    if (warned) options.logger.info('redis fan-out: connected again');
    warned = false;
  });
  io.adapter(createAdapter(redis, { streamName: `${options.prefix}:sio`, streamCount: STREAM_COUNT, channelPrefix: `${options.prefix}:sio`, maxLen: 100_000 }));
  const bus = new StreamBus<CrossAppMessage>({
    redisUrl: options.redisUrl,
    stream: `${options.prefix}:gateways`,
    logger: options.logger,
    onMessage: (message) => (message.t === 'deliver' ? options.local.deliver(message.to, message.e, message.d) : options.local.broadcast(message.e, message.d)),
  });
  return {
    deliver(to, event, payload) {
      bus.publish({ t: 'deliver', to, e: event, d: payload });
    },
    broadcast(event, payload) {
      bus.publish({ t: 'broadcast', e: event, d: payload });
    },
    async close() {
      await bus.close();
      redis.disconnect();
    },
  };
}
