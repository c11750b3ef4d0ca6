import { io, type Socket } from 'socket.io-client';
import type { ClientRequest, ClientRequestName, ClientResponses, ErrorCode, JoinedReply, ServerEvents } from '../protocol.ts';

export type Reply<T = unknown> = { ok: true; data: T } | { ok: false; error: { code: ErrorCode; message: string } };

/**
 * A bare protocol client for tests: one socket, no media, every server event
 * recorded. For checking what the server allows, refuses and tells whom.
 */
export class ProtocolClient {
  readonly socket: Socket;
  readonly events: { event: string; payload: unknown }[] = [];
  joined?: JoinedReply;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.onAny((event: string, payload: unknown) => this.events.push({ event, payload }));
  }

  /** `headers`: what a browser or proxy would add (Origin, X-Forwarded-For); `accessToken`: connect signed in. */
  static async connect(url: string, headers?: Record<string, string>, accessToken?: string): Promise<ProtocolClient> {
    const socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(headers ? { extraHeaders: headers } : {}),
      ...(accessToken ? { auth: { accessToken } } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return new ProtocolClient(socket);
  }

  /** Connects and joins; fails the test if the server does not say `joined`. */
  static async join(url: string, room: string, name: string, extra: Partial<ClientRequest<'join'>> = {}, accessToken?: string): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(url, undefined, accessToken);
    const reply = await client.send('join', { room, name, ...extra });
    if (!reply.ok || reply.data.status !== 'joined') throw new Error(`${name} could not join: ${JSON.stringify(reply)}`);
    client.joined = reply.data;
    return client;
  }

  get id(): string {
    if (!this.joined) throw new Error('not joined');
    return this.joined.self.id;
  }

  send<N extends ClientRequestName>(event: N, payload: ClientRequest<N> | Record<string, unknown>): Promise<Reply<ClientResponses[N]>> {
    return this.socket.timeout(10_000).emitWithAck(event, payload) as Promise<Reply<ClientResponses[N]>>;
  }

  received<E extends keyof ServerEvents>(event: E): Parameters<ServerEvents[E]>[0][] {
    return this.events.filter((e) => e.event === event).map((e) => e.payload as Parameters<ServerEvents[E]>[0]);
  }

  /** Resolves with the first (already received or next) `event` payload that matches. */
  waitFor<E extends keyof ServerEvents>(event: E, predicate: (payload: Parameters<ServerEvents[E]>[0]) => boolean = () => true, timeoutMs = 5_000): Promise<Parameters<ServerEvents[E]>[0]> {
    const seen = this.received(event).find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off(event as string, handler);
        reject(new Error(`timed out waiting for ${String(event)}`));
      }, timeoutMs);
      const handler = (payload: Parameters<ServerEvents[E]>[0]) => {
        if (!predicate(payload)) return;
        clearTimeout(timer);
        this.socket.off(event as string, handler);
        resolve(payload);
      };
      this.socket.on(event as string, handler);
    });
  }

  close(): void {
    this.socket.close();
  }
}
