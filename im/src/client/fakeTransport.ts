/**
 * An in-memory ImTransport for the SDK's unit tests: REST answered by
 * handlers keyed "METHOD /path" (the query string left out, passed along),
 * every call recorded, live events and reconnections fired by hand.
 */
import type { ImEventMap, ImEventName } from '../domain/ImHub.ts';
import { ImClientError, type FileReply, type ImTransport } from './transport.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type FakeHandler = (call: { method: Method; path: string; query: URLSearchParams; body: unknown; params: string[] }) => unknown;

export class FakeTransport implements ImTransport {
  readonly calls: { method: Method; path: string; body: unknown }[] = [];
  readonly #routes: { method: Method; pattern: RegExp; handler: FakeHandler }[] = [];
  readonly #listeners = new Map<string, Set<(payload: unknown) => void>>();
  readonly #connected = new Set<() => void>();
  /** Requests held until released (to see optimistic state), by "METHOD /path". */
  readonly #gates = new Map<string, Promise<void>>();

  /** Answers `METHOD /path` (`:param` segments captured, in order) with the handler's value; a thrown ImClientError is the refusal. */
  route(method: Method, path: string, handler: FakeHandler): this {
    const pattern = new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[a-zA-Z]+/g, '([^/]+)')}$`);
    this.#routes.unshift({ method, pattern, handler });
    return this;
  }

  /** Holds requests matching `METHOD /path` until the returned release is called. */
  hold(key: string): () => void {
    let release!: () => void;
    this.#gates.set(key, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.#gates.delete(key);
      release();
    };
  }

  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const [pathname, search] = path.split('?') as [string, string | undefined];
    this.calls.push({ method, path, body });
    const gate = this.#gates.get(`${method} ${pathname}`);
    await Promise.resolve();
    if (gate) await gate;
    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(pathname);
      if (!match) continue;
      return (await route.handler({ method, path: pathname, query: new URLSearchParams(search ?? ''), body, params: match.slice(1).map(decodeURIComponent) })) as T;
    }
    throw new ImClientError('NOT_FOUND', `no fake route for ${method} ${pathname}`, 404);
  }

  /** A raw upload: answered by the same routes, with `{ type, bytes }` as the body. */
  async upload<T>(method: 'PUT' | 'POST', path: string, body: Blob | ArrayBuffer | Uint8Array, type: string): Promise<T> {
    const bytes = body instanceof Uint8Array ? body : body instanceof ArrayBuffer ? new Uint8Array(body) : new Uint8Array(await body.arrayBuffer());
    return this.request<T>(method, path, { type, bytes });
  }

  /**
   * A document reply: answered by the same routes, whose handler returns
   * `{ body, headers? }` (body: text or bytes); the extra request headers
   * are recorded in `fileHeaders`.
   */
  async fetchFile(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<FileReply> {
    this.fileHeaders.push(headers);
    const reply = await this.request<{ body: string | Uint8Array; headers?: Record<string, string> }>(method, path, body);
    return { blob: new Blob([reply.body as BlobPart]), headers: new Headers(reply.headers ?? {}) };
  }
  readonly fileHeaders: Record<string, string>[] = [];

  emit<T>(event: string): Promise<T> {
    return Promise.reject(new ImClientError('NETWORK', `no socket in the fake (${event})`));
  }

  on<E extends ImEventName>(event: E, listener: (payload: ImEventMap[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: unknown) => void);
    return () => set.delete(listener as (payload: unknown) => void);
  }

  onConnected(listener: () => void): () => void {
    this.#connected.add(listener);
    return () => this.#connected.delete(listener);
  }

  /** A live event from the "server". */
  fire<E extends ImEventName>(event: E, payload: ImEventMap[E]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) listener(payload);
  }

  reconnect(): void {
    for (const listener of [...this.#connected]) listener();
  }

  listening(event: string): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}

/** Settles every pending promise callback (the fake answers in microtasks). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}
