import { WebSocket } from 'ws';
import type { Logger } from '@muster/kit/log';
import { AppMessageSchema, UPLINK_PATH, UPLINK_VERSION, type AppMessage, type GatewayMessage } from './uplinkProtocol.ts';

type Principal = Extract<AppMessage, { t: 'auth' }>['principal'];
type Event = Extract<AppMessage, { t: 'deliver' | 'broadcast' | 'revoke' }>;

/** The app could not be asked: it is restarting, or the uplink is down. */
export class UplinkUnavailable extends Error {
  constructor() {
    super('the server is restarting; try again in a moment');
  }
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2_000;
/** An answer the app owes for this long is given up on (its process is stuck or gone). */
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * A gateway's one connection to its host's app process (uplinkProtocol.ts).
 * It reconnects by itself, with a growing delay; on every (re)connection it
 * says hello and attaches again every account the gateway holds, so an app
 * restart loses no live events past that moment. Requests made while it is
 * down fail at once with UplinkUnavailable rather than wait.
 */
export class Uplink {
  #url: string;
  readonly #secret: string;
  readonly #gatewayId: string;
  readonly #log: Logger;
  readonly #onEvent: (event: Event) => void;
  readonly #heldAccounts: () => Iterable<string>;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; at: number }>();
  #socket: WebSocket | undefined;
  #open = false;
  #rid = 0;
  #retryMs = RECONNECT_MIN_MS;
  #retry: NodeJS.Timeout | undefined;
  #sweep: NodeJS.Timeout;
  #closed = false;
  #onOpen = new Set<() => void>();

  constructor(options: { appUrl: string; secret: string; gatewayId: string; logger: Logger; onEvent(event: Event): void; heldAccounts(): Iterable<string> }) {
    this.#url = uplinkUrl(options.appUrl);
    this.#secret = options.secret;
    this.#gatewayId = options.gatewayId;
    this.#log = options.logger;
    this.#onEvent = options.onEvent;
    this.#heldAccounts = options.heldAccounts;
    this.#sweep = setInterval(() => this.#expire(), 5_000);
    this.#sweep.unref();
    this.#connect();
  }

  get open(): boolean {
    return this.#open;
  }

  /** Resolves once the uplink is open (at once when it is). */
  opened(): Promise<void> {
    if (this.#open) return Promise.resolve();
    return new Promise((resolve) => this.#onOpen.add(resolve));
  }

  authenticate(token: string): Promise<Principal> {
    return this.#ask((rid, until) => ({ t: 'auth', rid, token, until })) as Promise<Principal>;
  }

  request(conn: string, principal: NonNullable<Principal>, event: string, payload: unknown): Promise<unknown> {
    return this.#ask((rid, until) => ({ t: 'req', rid, conn, principal, e: event, d: payload, until }));
  }

  /** Tells the app about connections taken on or let go (batched by the caller). */
  tell(message: Extract<GatewayMessage, { t: 'attach' | 'detach' | 'stats' }>): void {
    if (this.#open && (message.t === 'stats' || message.accounts.length > 0)) this.#socket!.send(JSON.stringify(message));
  }

  /** The app was started again on another port: connect there (now, if the old one is gone). */
  retarget(appUrl: string): void {
    this.#url = uplinkUrl(appUrl);
    if (!this.#open && !this.#closed) {
      clearTimeout(this.#retry);
      this.#retryMs = RECONNECT_MIN_MS;
      if (this.#socket?.readyState !== WebSocket.CONNECTING) this.#connect();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    clearInterval(this.#sweep);
    this.#socket?.close(1001, 'gateway stopping');
    this.#failAll();
  }

  #ask(make: (rid: number, until: number) => GatewayMessage): Promise<unknown> {
    if (!this.#open) return Promise.reject(new UplinkUnavailable());
    const rid = (this.#rid = (this.#rid + 1) % 2 ** 31);
    return new Promise((resolve, reject) => {
      const at = Date.now();
      this.#pending.set(rid, { resolve, reject, at });
      this.#socket!.send(JSON.stringify(make(rid, at + ANSWER_TIMEOUT_MS)));
    });
  }

  #connect(): void {
    if (this.#closed) return;
    const socket = new WebSocket(this.#url, { headers: { authorization: `Bearer ${this.#secret}` }, perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    this.#socket = socket;
    socket.on('open', () => {
      this.#open = true;
      this.#retryMs = RECONNECT_MIN_MS;
      socket.send(JSON.stringify({ t: 'hello', v: UPLINK_VERSION, gatewayId: this.#gatewayId } satisfies GatewayMessage));
      // Everything held is attached again: the app forgot this gateway when the last uplink closed.
      let batch: string[] = [];
      for (const accountId of this.#heldAccounts()) {
        batch.push(accountId);
        if (batch.length === 10_000) {
          this.tell({ t: 'attach', accounts: batch });
          batch = [];
        }
      }
      this.tell({ t: 'attach', accounts: batch });
      this.#log.info({ app: this.#url }, 'uplink open');
      for (const resolve of this.#onOpen) resolve();
      this.#onOpen.clear();
    });
    socket.on('message', (data) => {
      let message: AppMessage;
      try {
        const parsed = AppMessageSchema.safeParse(JSON.parse(data.toString()));
        if (!parsed.success) throw new Error(parsed.error.issues[0]?.message);
        message = parsed.data;
      } catch (error) {
        this.#log.error({ err: error }, 'uplink: a message that is not the uplink protocol; ignored');
        return;
      }
      if (message.t === 'auth' || message.t === 'res') {
        const pending = this.#pending.get(message.rid);
        if (!pending) return;
        this.#pending.delete(message.rid);
        pending.resolve(message.t === 'auth' ? message.principal : message.reply);
        return;
      }
      this.#onEvent(message);
    });
    socket.on('close', () => {
      const wasOpen = this.#open;
      this.#open = false;
      this.#failAll();
      if (this.#closed) return;
      if (wasOpen) this.#log.warn('uplink closed; reconnecting');
      this.#retry = setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(RECONNECT_MAX_MS, this.#retryMs * 2);
    });
    socket.on('error', (error) => this.#log.debug({ err: error }, 'uplink error'));
  }

  #failAll(): void {
    for (const pending of this.#pending.values()) pending.reject(new UplinkUnavailable());
    this.#pending.clear();
  }

  #expire(): void {
    const cutoff = Date.now() - ANSWER_TIMEOUT_MS;
    for (const [rid, pending] of this.#pending) {
      if (pending.at > cutoff) continue;
      this.#pending.delete(rid);
      pending.reject(new UplinkUnavailable());
    }
  }
}

function uplinkUrl(appUrl: string): string {
  return `${appUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}${UPLINK_PATH}`;
}
