/**
 * People for the IM tests that go through a whole server the way a client
 * does: sign-up over REST with the code from the log channel, REST calls
 * with a person's token, `/account` socket devices recording every event,
 * friends made by request and accept, and SDK accounts. One factory per test
 * server; `closeAll()` closes every device and SDK client it opened, then the server.
 */
import { expect } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import type { LogCodeChannel, SessionReply } from '@muster/accounts';
import { AccountClient, MemoryTokenStore } from '@muster/accounts/client';
import type { MusterServer } from '../../server.ts';
import { api as rest } from '../scaleWorld.ts';

type Server = Pick<MusterServer, 'accounts' | 'url'> & { close(): Promise<void> };

/** The password every person signed up here has. */
export const PASSWORD = 'cedar-harbor-52';

/** A signed-in `/account` socket and every event it received, in arrival order. */
export interface Device {
  socket: Socket;
  events: { event: string; payload: any }[];
}

/** The payloads of one event a device received, in arrival order. */
export const eventsOf = (d: Pick<Device, 'events'>, event: string): any[] => d.events.filter((e) => e.event === event).map((e) => e.payload);

/** A socket request, acknowledged `{ ok, data | error }` (10 s timeout). */
export const ack = (d: Pick<Device, 'socket'>, event: string, payload: unknown): Promise<any> => d.socket.timeout(10_000).emitWithAck(event, payload) as Promise<any>;

/**
 * Helpers bound to a test server. `server` is a getter, so the factory can be
 * made before `beforeAll` starts the server.
 */
export function imPeople(server: () => Server) {
  const sockets: Socket[] = [];
  const closers: (() => void)[] = [];

  /** REST as a person (or without a token); `raw` sends a string body unencoded. */
  const api = (method: string, url: string, token: string | undefined, body?: unknown, options?: { raw?: boolean }) => rest(server().url, method, url, token, body, options);

  /** The sign-up code the log channel holds for `phone`. */
  const codeFor = (phone: string): string => (server().accounts.channel as LogCodeChannel).pending().find((p) => p.phone === phone)!.code;

  /** A new person, signed up over REST (code, then `/auth/signup`). */
  async function signup(phone: string, nickname: string): Promise<SessionReply> {
    await api('POST', '/auth/codes', undefined, { phone, purpose: 'signup' });
    return (await api('POST', '/auth/signup', undefined, { phone, code: codeFor(phone), password: PASSWORD, nickname })).body as SessionReply;
  }

  /** Another session (device) of a person already signed up. */
  async function login(phone: string): Promise<SessionReply> {
    return (await api('POST', '/auth/login', undefined, { phone, password: PASSWORD })).body as SessionReply;
  }

  /** `a` asks `b`, `b` accepts (204). */
  async function befriend(a: SessionReply, b: SessionReply): Promise<void> {
    const request = await api('POST', '/contacts/requests', a.accessToken, { to: b.user.id });
    expect((await api('POST', `/contacts/requests/${request.body.id}/accept`, b.accessToken)).status).toBe(204);
  }

  /** A real socket.io client on `/account`, signed in, collecting every event. */
  async function device(accessToken: string): Promise<Device> {
    const socket = connect(`${server().url}/account`, { transports: ['websocket'], auth: { accessToken }, reconnection: false, forceNew: true });
    sockets.push(socket);
    const events: Device['events'] = [];
    socket.onAny((event: string, payload: unknown) => events.push({ event, payload }));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return { socket, events };
  }

  /** A new person signed up through the accounts SDK (closed by `closeAll`). */
  async function accountClient(phone: string, nickname: string): Promise<AccountClient> {
    const accounts = new AccountClient({ store: new MemoryTokenStore(), baseUrl: server().url, autoRefresh: false });
    await accounts.requestCode(phone, 'signup');
    await accounts.signup({ phone, code: codeFor(phone), password: PASSWORD, nickname });
    closers.push(() => accounts.close());
    return accounts;
  }

  /** Runs `close` at `closeAll`, after everything opened later (last in, first out). */
  const onClose = (...close: (() => void)[]) => void closers.push(...close);

  /** Closes every device socket and SDK client opened here, then the server (if it started). */
  async function closeAll(): Promise<void> {
    for (const close of closers.splice(0).reverse()) close();
    for (const s of sockets.splice(0)) s.close();
    await (server() as Server | undefined)?.close();
  }

  return { api, codeFor, signup, login, befriend, device, accountClient, onClose, closeAll };
}
