import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '@muster/kit/log';

/** Entries kept in the stream (about): a reader away longer than this many messages misses the oldest. */
const MAX_LEN = 100_000;
const BLOCK_MS = 5_000;
const READ_COUNT = 500;

/**
 * A durable broadcast between app processes on a Redis stream: XADD to
 * publish, one blocking XREAD loop per app to receive, from the last entry
 * it read. A Redis restart or a network cut loses nothing: what is
 * published meanwhile waits in the client's offline queue, and the reader
 * goes on from where it was (socket.io's own server-side events travel by
 * pub/sub, which drops what is sent while a subscriber is away; hence this).
 * Each app's own messages come back to it and are skipped.
 */
export class StreamBus<M> {
  readonly #writer: Redis;
  readonly #reader: Redis;
  readonly #stream: string;
  readonly #origin = randomBytes(6).toString('base64url');
  readonly #onMessage: (message: M) => void;
  readonly #log: Logger;
  #lastId: string | undefined;
  #closed = false;
  readonly #loop: Promise<void>;

  constructor(options: { redisUrl: string; stream: string; logger: Logger; onMessage(message: M): void }) {
    const connection = { maxRetriesPerRequest: null, retryStrategy: (attempt: number) => Math.min(2_000, 100 * attempt) };
    this.#writer = new Redis(options.redisUrl, connection);
    this.#reader = new Redis(options.redisUrl, connection);
    // Connection errors are the loop's to ride out; ioredis reconnects by itself.
    this.#writer.on('error', () => undefined);
    this.#reader.on('error', () => undefined);
    this.#stream = options.stream;
    this.#onMessage = options.onMessage;
    this.#log = options.logger;
    this.#loop = this.#read();
  }

  publish(message: M): void {
    this.#writer.xadd(this.#stream, 'MAXLEN', '~', String(MAX_LEN), '*', 'o', this.#origin, 'm', JSON.stringify(message)).catch((error: unknown) => {
      if (!this.#closed) this.#log.error({ err: error }, 'stream bus: a message could not be published');
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader.disconnect();
    await this.#loop;
    await this.#writer.quit().catch(() => this.#writer.disconnect());
  }

  async #read(): Promise<void> {
    let failing = false;
    while (!this.#closed) {
      try {
        // Where to start: the stream's newest entry at the first successful read (older ones are not for us).
        if (this.#lastId === undefined) {
          const newest = await this.#reader.xrevrange(this.#stream, '+', '-', 'COUNT', 1);
          this.#lastId = newest[0]?.[0] ?? '0-0';
        }
        const batches = await this.#reader.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', this.#stream, this.#lastId);
        if (failing) this.#log.info('stream bus: reading again');
        failing = false;
        for (const [, entries] of batches ?? []) {
          for (const [id, fields] of entries) {
            this.#lastId = id;
            if (fields[1] === this.#origin) continue;
            try {
              this.#onMessage(JSON.parse(fields[3]!) as M);
            } catch (error) {
              this.#log.error({ err: error }, 'stream bus: a message could not be handled');
            }
          }
        }
      } catch (error) {
        if (this.#closed) return;
        if (!failing) this.#log.warn({ err: error }, 'stream bus: Redis is away; retrying');
        failing = true;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}
