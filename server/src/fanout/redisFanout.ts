import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import type { Server as SocketIoServer } from 'socket.io';
import type { Logger } from '@muster/kit/log';

/** What crosses app processes (hosts) besides socket.io's own rooms: events for the gateways each app holds. */
export interface CrossAppEvents {
  /** A live IM event for these accounts (their longlink connections may be on any host's gateways). */
  deliver(to: readonly string[], event: string, payload: unknown): void;
  /** An event for every longlink connection on every host. */
  broadcast(event: string, payload: unknown): void;
}

const DELIVER = 'muster:deliver';
const BROADCAST = 'muster:broadcast';
/** One stream per namespace in use ('/', '/board', '/account'), so that one busy namespace does not hold up the others. */
const STREAM_COUNT = 3;

/**
 * The fan-out between app processes on several hosts, through Redis
 * (REDIS_URL): socket.io's Redis Streams adapter, so that a room's or an
 * account's emit reaches sockets on every app, and that a Redis restart
 * resumes the streams where they were without losing packets; and the
 * same adapter's server-side events for what the gateways of each host
 * must hear (`local` is this app's own delivery to its gateways).
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
  io.on(DELIVER, (to: string[], event: string, payload: unknown) => options.local.deliver(to, event, payload));
  io.on(BROADCAST, (event: string, payload: unknown) => options.local.broadcast(event, payload));
  return {
    deliver(to, event, payload) {
      io.serverSideEmit(DELIVER, to, event, payload);
    },
    broadcast(event, payload) {
      io.serverSideEmit(BROADCAST, event, payload);
    },
    async close() {
      redis.disconnect();
    },
  };
}
