/**
 * A signed-in join: the Room hands socket.io an `auth` callback that asks
 * for the access token at every (re)connection, and a refused token fails
 * the connect at once with UNAUTHORIZED instead of waiting for the timeout.
 * A stand-in for socket.io's `io` records what the Room asks of it.
 */
import { describe, expect, it } from 'vitest';
import type { io as realIo } from 'socket.io-client';
import { Room, type RoomOptions } from './Room.ts';

type Listener = (...args: unknown[]) => void;

class FakeSocket {
  readonly listeners = new Map<string, Set<Listener>>();
  readonly io = { on: () => undefined };
  constructor(readonly options: Record<string, unknown>) {}
  on(event: string, listener: Listener) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(listener);
    return this;
  }
  once(event: string, listener: Listener) {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }
  off(event: string, listener: Listener) {
    this.listeners.get(event)?.delete(listener);
    return this;
  }
  fire(event: string, ...args: unknown[]) {
    for (const l of [...(this.listeners.get(event) ?? [])]) l(...args);
  }
  close() {}
}

function roomWith(accessToken: RoomOptions['accessToken']) {
  const sockets: FakeSocket[] = [];
  const io = ((_url: string, options: Record<string, unknown>) => {
    const socket = new FakeSocket(options);
    sockets.push(socket);
    return socket;
  }) as unknown as typeof realIo;
  const room = new Room({ io, accessToken, requestTimeoutMs: 30_000 });
  return { room, sockets };
}

const authOf = (socket: FakeSocket) => new Promise<object>((resolve) => (socket.options.auth as (cb: (data: object) => void) => void)(resolve));

describe('Room: joining signed in', () => {
  it('asks for the access token at every connection', async () => {
    let issued = 0;
    const { room, sockets } = roomWith(async () => `token-${++issued}`);
    const connecting = room.connect('bamo-kite-ruso', 'ignored');
    expect(await authOf(sockets[0]!)).toEqual({ accessToken: 'token-1' });
    // socket.io calls it again on a reconnection: a fresh token each time.
    expect(await authOf(sockets[0]!)).toEqual({ accessToken: 'token-2' });
    sockets[0]!.fire('connect_error', Object.assign(new Error('not valid'), { data: { code: 'UNAUTHORIZED', message: 'the access token is not valid' } }));
    await expect(connecting).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'the access token is not valid' });
  });

  it('connects without a token when none is to be had, and sends no auth at all without the option', async () => {
    const signedOut = roomWith(() => null);
    void signedOut.room.connect('bamo-kite-ruso', 'Ada').catch(() => undefined);
    expect(await authOf(signedOut.sockets[0]!)).toEqual({});
    const failing = roomWith(() => Promise.reject(new Error('offline')));
    void failing.room.connect('bamo-kite-ruso', 'Ada').catch(() => undefined);
    expect(await authOf(failing.sockets[0]!)).toEqual({});
    const linkJoiner = roomWith(undefined);
    void linkJoiner.room.connect('bamo-kite-ruso', 'Ada').catch(() => undefined);
    expect(linkJoiner.sockets[0]!.options.auth).toBeUndefined();
    for (const r of [signedOut, failing, linkJoiner]) await r.room.leave();
  });
});
