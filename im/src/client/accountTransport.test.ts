import { describe, expect, it } from 'vitest';
import { AccountTransport, type ImSocketLike } from './accountTransport.ts';
import { ImClientError } from './transport.ts';

/** A socket.io client socket's stand-in: listeners by event, acks answered by a handler. */
class FakeSocket implements ImSocketLike {
  connected = false;
  readonly listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  answer: (event: string, payload: unknown) => unknown = () => ({ ok: true, data: null });
  on(event: string, listener: (...args: unknown[]) => void) {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }
  off(event: string, listener: (...args: unknown[]) => void) {
    this.listeners.get(event)?.delete(listener);
    return this;
  }
  emit(event: string, payload: unknown, ack: (reply: unknown) => void) {
    const reply = this.answer(event, payload);
    if (reply !== undefined) queueMicrotask(() => ack(reply));
    return this;
  }
  fire(event: string, payload?: unknown) {
    for (const l of [...(this.listeners.get(event) ?? [])]) l(payload);
  }
  count(event: string) {
    return this.listeners.get(event)?.size ?? 0;
  }
}

function fetcher(reply: (path: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: { path: string; init: RequestInit }[] = [];
  return {
    calls,
    client: {
      fetch: async (path: string, init: RequestInit = {}) => {
        calls.push({ path, init });
        return reply(path, init);
      },
    },
  };
}

describe('AccountTransport', () => {
  it('calls REST through the accounts client, with coded errors', async () => {
    const f = fetcher((path) =>
      path === '/conversations'
        ? new Response(JSON.stringify([{ id: 'cv1' }]), { status: 200 })
        : path === '/gone'
          ? new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no such conversation' } }), { status: 404 })
          : new Response(null, { status: 204 }),
    );
    const t = new AccountTransport(f.client);
    expect(await t.request('GET', '/conversations')).toEqual([{ id: 'cv1' }]);
    expect(await t.request('POST', '/conversations/cv1/read', { seq: 3 })).toBeUndefined();
    expect(f.calls[1]!.init).toMatchObject({ method: 'POST', body: '{"seq":3}' });
    const error = await t.request('GET', '/gone').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImClientError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    const offline = new AccountTransport({ fetch: () => Promise.reject(Object.assign(new Error('could not reach the server'), { code: 'NETWORK', status: 0 })) });
    await expect(offline.request('GET', '/conversations')).rejects.toMatchObject({ code: 'NETWORK' });
  });

  it('uploads raw bytes with their content type; a refusal is coded as for JSON', async () => {
    const f = fetcher((path) =>
      path === '/groups/cvGroupOne0001/avatar'
        ? new Response(JSON.stringify({ id: 'cvGroupOne0001', avatar: { small: '/s', large: '/l' } }), { status: 200 })
        : new Response(JSON.stringify({ error: { code: 'IMAGE_INVALID', message: 'not an image' } }), { status: 400 }),
    );
    const t = new AccountTransport(f.client);
    const image = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' });
    expect(await t.upload('PUT', '/groups/cvGroupOne0001/avatar', image, 'image/png')).toMatchObject({ avatar: { small: '/s' } });
    expect(f.calls[0]!.init).toMatchObject({ method: 'PUT', headers: { 'content-type': 'image/png' }, body: image });
    await expect(t.upload('PUT', '/groups/other/avatar', new Uint8Array([1]), 'image/png')).rejects.toMatchObject({ code: 'IMAGE_INVALID', status: 400 });
  });

  it('rides on the socket it is given: acks, live events, reconnections; listeners outlive sockets', async () => {
    const t = new AccountTransport(fetcher(() => new Response(null, { status: 204 })).client, { ackTimeoutMs: 50 });
    const got: unknown[] = [];
    let connects = 0;
    t.on('im.message', (m) => got.push(m.seq));
    t.onConnected(() => connects++);
    await expect(t.emit('im.send', {})).rejects.toMatchObject({ code: 'NETWORK' });

    const first = new FakeSocket();
    first.connected = true;
    first.answer = (event) => (event === 'im.send' ? { ok: true, data: { seq: 7 } } : { ok: false, error: { code: 'TEXT_TOO_LONG', message: 'too long' } });
    t.attach(first);
    await Promise.resolve();
    expect(connects).toBe(1);
    expect(await t.emit('im.send', { text: 'x' })).toEqual({ seq: 7 });
    await expect(t.emit('im.other', {})).rejects.toMatchObject({ code: 'TEXT_TOO_LONG' });
    first.answer = () => undefined;
    await expect(t.emit('im.send', {})).rejects.toMatchObject({ code: 'TIMEOUT' });
    first.fire('im.message', { seq: 1 });
    first.fire('connect');
    expect(connects).toBe(2);

    // A new socket (a new sign-in): the old one is let go, the listeners carry over.
    const second = new FakeSocket();
    t.attach(second);
    expect(first.count('im.message')).toBe(0);
    expect(first.count('connect')).toBe(0);
    first.fire('im.message', { seq: 99 });
    second.fire('im.message', { seq: 2 });
    expect(got).toEqual([1, 2]);
    t.on('im.read', () => got.push('read'));
    second.fire('im.read', {});
    expect(got).toEqual([1, 2, 'read']);
    t.attach(null);
    expect(second.count('im.message')).toBe(0);
    expect(t.connected).toBe(false);
  });
});
