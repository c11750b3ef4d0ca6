import type { AccountClient, AccountSocketFactory } from '@muster/accounts/client';
import { watchAccount } from '@muster/accounts/client';
import type { ImEventMap, ImEventName } from '../domain/ImHub.ts';
import { ImClientError, type FileReply, type ImTransport } from './transport.ts';

/** What the IM transport needs of a socket.io client socket (the `/account` one). */
export interface ImSocketLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  off(event: string, listener: (...args: any[]) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  emit(event: string, ...args: any[]): unknown;
  readonly connected: boolean;
}

export interface AccountTransportOptions {
  /** How long a socket request waits for its acknowledgement (default 10 s); then it fails with TIMEOUT. */
  ackTimeoutMs?: number;
}

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyListener = (payload: any) => void;

/**
 * The IM transport over the accounts SDK: REST calls go through
 * `AccountClient.fetch` (the device's access token, refreshed as needed), and
 * socket requests and live events ride on the signed-in `/account` socket
 * that `watchAccount` keeps open, so a device holds one connection, not two.
 * `attach` is told of each socket (watchAccount's `onSocket`); listeners
 * outlive sockets, so a reconnection or a new sign-in keeps them.
 *
 * A socket request while no socket is connected fails at once with
 * `NETWORK` (callers fall back to REST or retry on reconnection).
 */
export class AccountTransport implements ImTransport {
  readonly #client: Pick<AccountClient, 'fetch'>;
  readonly #ackTimeoutMs: number;
  readonly #listeners = new Map<string, Set<AnyListener>>();
  readonly #connected = new Set<() => void>();
  /** The socket and the dispatchers wired on it, per event. */
  #socket: ImSocketLike | null = null;
  readonly #wired = new Map<string, AnyListener>();
  readonly #onConnect = () => this.#fireConnected();

  constructor(client: Pick<AccountClient, 'fetch'>, options: AccountTransportOptions = {}) {
    this.#client = client;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
  }

  /** Whether the live socket is connected now. */
  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  /** Uses this socket from now on (null: none). Called by watchAccount's `onSocket`. */
  attach(socket: ImSocketLike | null): void {
    const old = this.#socket;
    if (old === socket) return;
    if (old) {
      for (const [event, dispatch] of this.#wired) old.off(event, dispatch);
      old.off('connect', this.#onConnect);
    }
    this.#wired.clear();
    this.#socket = socket;
    if (!socket) return;
    for (const event of this.#listeners.keys()) this.#wire(event);
    socket.on('connect', this.#onConnect);
    if (socket.connected) queueMicrotask(() => this.#socket === socket && this.#fireConnected());
  }

  request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.#send<T>(method, path, body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  upload<T>(method: 'PUT' | 'POST', path: string, body: Blob | ArrayBuffer | Uint8Array, type: string): Promise<T> {
    return this.#send<T>(method, path, { headers: { 'content-type': type }, body: body as BodyInit });
  }

  async fetchFile(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<FileReply> {
    const res = await this.#fetch(method, path, body === undefined ? { headers } : { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) return this.#refusal(method, path, res);
    return { blob: await res.blob(), headers: res.headers };
  }

  async #fetch(method: string, path: string, init: { headers?: Record<string, string>; body?: BodyInit }): Promise<Response> {
    try {
      return await this.#client.fetch(path, { method, ...init });
    } catch (error) {
      const e = error as { code?: string; status?: number; message?: string };
      throw new ImClientError(e.code ?? 'NETWORK', e.message ?? String(error), e.status);
    }
  }

  /** A refused call's ImClientError: the server's code and message from its JSON body, else one from the status. */
  async #refusal(method: string, path: string, res: Response): Promise<never> {
    const text = await res.text().catch(() => '');
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: a proxy's error page.
    }
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ImClientError(error?.code ?? (res.status === 404 ? 'NOT_FOUND' : 'INTERNAL'), error?.message ?? `${method} ${path}: ${res.status}`, res.status);
  }

  async #send<T>(method: string, path: string, init: { headers?: Record<string, string>; body?: BodyInit }): Promise<T> {
    const res = await this.#fetch(method, path, init);
    if (res.status === 204) return undefined as T;
    if (!res.ok) return this.#refusal(method, path, res);
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: a proxy's error page.
    }
    return parsed as T;
  }

  emit<T>(event: string, payload: unknown): Promise<T> {
    const socket = this.#socket;
    if (!socket?.connected) return Promise.reject(new ImClientError('NETWORK', 'not connected'));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ImClientError('TIMEOUT', `${event}: no answer in ${this.#ackTimeoutMs} ms`)), this.#ackTimeoutMs);
      socket.emit(event, payload, (reply: Ack<T> | undefined) => {
        clearTimeout(timer);
        if (reply && reply.ok) resolve(reply.data);
        else reject(new ImClientError(reply?.error?.code ?? 'INTERNAL', reply?.error?.message ?? `${event} failed`));
      });
    });
  }

  on<E extends ImEventName>(event: E, listener: (payload: ImEventMap[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      this.#listeners.set(event, (set = new Set()));
      this.#wire(event);
    }
    set.add(listener as AnyListener);
    return () => {
      set.delete(listener as AnyListener);
    };
  }

  onConnected(listener: () => void): () => void {
    this.#connected.add(listener);
    return () => this.#connected.delete(listener);
  }

  #wire(event: string): void {
    const socket = this.#socket;
    if (!socket || this.#wired.has(event)) return;
    const dispatch: AnyListener = (payload) => {
      for (const listener of [...(this.#listeners.get(event) ?? [])]) {
        try {
          listener(payload);
        } catch {
          // One listener's failure is its own.
        }
      }
    };
    this.#wired.set(event, dispatch);
    socket.on(event, dispatch);
  }

  #fireConnected(): void {
    for (const listener of [...this.#connected]) {
      try {
        listener();
      } catch {
        // As above.
      }
    }
  }
}

/**
 * An IM transport that opens (and keeps open) the `/account` socket itself:
 * for Node bots and tests that have no `watchAccount` of their own. In a
 * browser app that already watches the account, pass
 * `onSocket: (s) => transport.attach(s)` to its watchAccount instead.
 */
export function connectAccountTransport(
  client: AccountClient,
  connect: AccountSocketFactory,
  options: AccountTransportOptions & { url?: string } = {},
): { transport: AccountTransport; close: () => void } {
  const transport = new AccountTransport(client, options);
  const stop = watchAccount(client, connect, {
    ...(options.url !== undefined ? { url: options.url } : {}),
    onSocket: (socket) => transport.attach(socket as unknown as ImSocketLike | null),
  });
  return {
    transport,
    close: () => {
      stop();
      transport.attach(null);
    },
  };
}
