/** The longlink socket's own rules, against a scripted WebSocket: hello, acks, events, refusal, loss, heartbeats. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { longlink, LonglinkSocket, type WebSocketLike } from './longlinkSocket.ts';

class FakeWebSocket implements WebSocketLike {
  static all: FakeWebSocket[] = [];
  readyState = 0;
  sent: any[] = [];
  closed = false;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeWebSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  /** The server side of the script. */
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  lose() {
    this.readyState = 3;
    this.onclose?.({ code: 1006 });
  }
}

const auth = (callback: (data: object) => void) => callback({ accessToken: 'token-1' });
const welcome = { t: 'welcome', v: 1, accountId: 'u1', connectionId: 'g1:0', heartbeatMs: 30_000 };

function connected(): { socket: LonglinkSocket; ws: FakeWebSocket; events: string[] } {
  const socket = new LonglinkSocket('ws://host/longlink', { auth }, FakeWebSocket);
  const events: string[] = [];
  for (const name of ['connect', 'disconnect', 'connect_error']) socket.on(name, () => events.push(name));
  const ws = FakeWebSocket.all.at(-1)!;
  ws.open();
  ws.frame(welcome);
  return { socket, ws, events };
}

afterEach(() => {
  FakeWebSocket.all = [];
  vi.useRealTimers();
});

describe('LonglinkSocket', () => {
  it('says hello with a fresh token, is connected at the welcome, answers requests by id and hands events on', () => {
    const { socket, ws, events } = connected();
    expect(ws.sent[0]).toEqual({ t: 'hello', v: 1, token: 'token-1', client: 'muster-sdk' });
    expect(socket.connected).toBe(true);
    expect(events).toEqual(['connect']);
    const answers: unknown[] = [];
    socket.emit('im.sync', {}, (reply: unknown) => answers.push(reply));
    socket.emit('im.read', { seq: 1 }, (reply: unknown) => answers.push(reply));
    expect(ws.sent.slice(1)).toEqual([
      { t: 'req', id: 1, e: 'im.sync', d: {} },
      { t: 'req', id: 2, e: 'im.read', d: { seq: 1 } },
    ]);
    ws.frame({ t: 'res', id: 2, ok: false, error: { code: 'NOT_FOUND', message: 'no' } });
    ws.frame({ t: 'res', id: 1, ok: true, d: { changes: [] } });
    expect(answers).toEqual([{ ok: false, error: { code: 'NOT_FOUND', message: 'no' } }, { ok: true, data: { changes: [] } }]);
    const messages: unknown[] = [];
    socket.on('im.message', (m) => messages.push(m));
    ws.frame({ t: 'ev', e: 'im.message', d: { seq: 7 } });
    expect(messages).toEqual([{ seq: 7 }]);
  });

  it('answers NETWORK at once when not connected, and fails requests in flight when the connection is lost', () => {
    const early = new LonglinkSocket('ws://host/longlink', { auth }, FakeWebSocket);
    const answers: any[] = [];
    early.emit('im.sync', {}, (reply: unknown) => answers.push(reply));
    expect(answers).toEqual([{ ok: false, error: { code: 'NETWORK', message: 'not connected' } }]);
    const { socket, ws, events } = connected();
    socket.emit('im.sync', {}, (reply: unknown) => answers.push(reply));
    ws.lose();
    expect(answers[1]).toMatchObject({ ok: false, error: { code: 'NETWORK' } });
    expect(events).toEqual(['connect', 'disconnect']);
    expect(socket.connected).toBe(false);
  });

  it('reconnects by itself after a loss, with a fresh hello', () => {
    vi.useFakeTimers();
    const { ws } = connected();
    ws.lose();
    expect(FakeWebSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(5_000);
    expect(FakeWebSocket.all).toHaveLength(2);
    const next = FakeWebSocket.all[1]!;
    next.open();
    expect(next.sent[0]).toMatchObject({ t: 'hello', token: 'token-1' });
  });

  it('does not retry a refused token: it reports UNAUTHORIZED as socket.io does, and connect() tries again', () => {
    vi.useFakeTimers();
    const { socket, ws } = connected();
    const errors: any[] = [];
    socket.on('connect_error', (error) => errors.push(error));
    ws.frame({ t: 'bye', code: 'UNAUTHORIZED', message: 'expired' });
    ws.lose();
    expect(errors).toHaveLength(1);
    expect(errors[0].data).toEqual({ code: 'UNAUTHORIZED', message: 'expired' });
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(1);
    socket.connect();
    expect(FakeWebSocket.all).toHaveLength(2);
  });

  it('does not come back after being signed out, nor after disconnect()', () => {
    vi.useFakeTimers();
    const { ws } = connected();
    ws.frame({ t: 'bye', code: 'SIGNED_OUT', message: 'signed out' });
    ws.lose();
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(1);
    const second = connected();
    second.socket.disconnect();
    expect(second.ws.closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(2);
  });

  it('pings every heartbeat, and drops a connection that stays silent for two', () => {
    vi.useFakeTimers();
    const { ws, events } = connected();
    vi.advanceTimersByTime(30_000);
    expect(ws.sent.at(-1)).toEqual({ t: 'ping' });
    ws.frame({ t: 'pong' });
    vi.advanceTimersByTime(30_000);
    expect(ws.closed).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(ws.closed).toBe(true);
    expect(events).toContain('disconnect');
  });

  it('connects to <base>/longlink for watchAccount’s <base>/account, and to this page’s origin for a bare path', () => {
    const factory = longlink(FakeWebSocket);
    factory('https://muster.example.org/account', { transports: [], forceNew: true, auth });
    expect(FakeWebSocket.all.at(-1)!.url).toBe('wss://muster.example.org/longlink');
    vi.stubGlobal('location', { origin: 'http://localhost:8080' });
    try {
      factory('/account', { transports: [], forceNew: true, auth });
      expect(FakeWebSocket.all.at(-1)!.url).toBe('ws://localhost:8080/longlink');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
