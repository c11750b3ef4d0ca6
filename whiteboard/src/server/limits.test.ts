/**
 * Security issue 13 on the board namespace: the update probe over the wire
 * (finding 1), the per-board size cap, new boards per address and per server,
 * the per-address event budget, the join timeout (finding 10), and the bounds
 * of state vectors, awareness and REST import.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Manager, type Socket } from 'socket.io-client';
import { trustProxyFrom } from '@muster/kit/client-address';
import { BoardDoc } from '../model/BoardDoc.ts';
import { BOARD_PROTOCOL_VERSION, MAX_STATE_VECTOR_BYTES, type BoardAck, type BoardJson, type BoardResponses } from '../protocol.ts';
import { startBoardTestServer, until, type BoardTestServer } from '../testing/boardTestServer.ts';
import { makeBoard } from '../testing/fixtures.ts';
import { lagDuring } from '../testing/lag.ts';
import { deletedRunProbe, varuint } from '../testing/updates.ts';

let server: BoardTestServer | undefined;
const extra: { close(): void }[] = [];
afterEach(async () => {
  for (const s of extra.splice(0)) s.close();
  await server?.close();
  server = undefined;
});

function ask<T = unknown>(socket: Socket, event: string, payload: unknown): Promise<BoardAck<T>> {
  return socket.timeout(10_000).emitWithAck(event, payload);
}

let keys = 0;
function join(socket: Socket, board: string, more: Record<string, unknown> = {}): Promise<BoardAck<BoardResponses['board.join']>> {
  return ask(socket, 'board.join', { v: BOARD_PROTOCOL_VERSION, board, name: 'T', clientKey: `limits-test-client-${++keys}-abcdef`, ...more });
}

function disconnected(socket: Socket): Promise<string> {
  return new Promise((resolve) => (socket.connected ? socket.once('disconnect', (reason) => resolve(reason)) : resolve('already')));
}

describe('the 22-byte update probe over the wire', () => {
  it('is refused with BAD_UPDATE at 17 M and 4 M claimed items; the board is unchanged and the server keeps answering', async () => {
    server = await startBoardTestServer();
    const socket = await server.socket();
    expect(await join(socket, 'probe')).toMatchObject({ ok: true });
    const board = server.service.get('probe')!;
    const before = Y.encodeStateAsUpdate(board.doc.doc);
    const lag = await lagDuring(async () => {
      for (const claimed of [17_000_000, 4_000_000]) {
        const [reply, http] = await Promise.all([
          ask(socket, 'board.update', { board: 'probe', update: deletedRunProbe(1234, claimed) }),
          // The /healthz of the embedding server stands for any request: it must still be answered.
          fetch(`${server!.url}/api/v1/boards`),
        ]);
        expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_UPDATE' } });
        expect(http.status).toBe(200);
      }
    });
    expect(lag).toBeLessThan(2_000);
    expect(Y.encodeStateAsUpdate(board.doc.doc)).toEqual(before);
    expect(board.doc.doc.store.clients.has(1234)).toBe(false);
  });
});

describe('per-board size cap', () => {
  it('refuses content past the cap with BOARD_FULL, still takes deletions, and takes content again once there is room', async () => {
    const cap = 64 * 1024;
    server = await startBoardTestServer({ maxBoardBytes: cap });
    const socket = await server.socket();
    const joined = await join(socket, 'full');
    if (!joined.ok) throw new Error(joined.error.message);
    let local = new BoardDoc(new Y.Doc());
    Y.applyUpdate(local.doc, new Uint8Array(joined.data.update));
    const send = (edit: () => void) => {
      const sv = Y.encodeStateVector(local.doc);
      edit();
      return ask(socket, 'board.update', { board: 'full', update: Y.encodeStateAsUpdate(local.doc, sv) });
    };
    const board = server.service.get('full')!;
    let full: BoardAck<unknown> | undefined;
    const added: string[] = [];
    for (let i = 0; i < 40 && !full; i++) {
      const id = `n${i}`;
      const reply = await send(() => local.addObject({ id, type: 'note', page: 'p1', x: i, y: 0, w: 10, h: 10, text: `${i}`.padEnd(8_000, 'x') }));
      if (reply.ok) added.push(id);
      else full = reply;
    }
    expect(full).toMatchObject({ ok: false, error: { code: 'BOARD_FULL' } });
    expect(added.length).toBeGreaterThan(3);
    expect(board.doc.objectCount).toBe(added.length);
    expect(Y.encodeStateAsUpdate(board.doc.doc).byteLength).toBeLessThanOrEqual(cap);
    // The refused note was never applied: start again from the server's state, as BoardClient does.
    local = new BoardDoc(new Y.Doc());
    Y.applyUpdate(local.doc, Y.encodeStateAsUpdate(board.doc.doc));

    // A full board can be cleaned up...
    expect(await send(() => local.removeObjects(added.slice(0, -1)))).toMatchObject({ ok: true });
    // ...and once saved (and so measured again), it has room.
    await until(() => board.estimatedBytes < cap / 2, 'the board measured after the deletion');
    expect(await send(() => local.addObject({ id: 'again', type: 'note', page: 'p1', x: 0, y: 0, w: 10, h: 10, text: 'y'.repeat(8_000) }))).toMatchObject({ ok: true });
  });
});

describe('new boards per address and per server', () => {
  it('an address may create a few boards a minute; joining existing boards is not counted', async () => {
    server = await startBoardTestServer({}, { quotas: { newBoardsPerAddress: { points: 3, perSeconds: 60 } } });
    const a = await server.socket();
    for (const id of ['n1', 'n2', 'n3']) expect(await join(a, id)).toMatchObject({ ok: true });
    const refused = await join(a, 'n4');
    expect(refused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', message: expect.stringMatching(/new boards/) } });
    expect(server.service.get('n4')).toBeUndefined();
    expect(await server.service.store.load('n4')).toBeNull();
    const b = await server.socket();
    expect(await join(b, 'n1')).toMatchObject({ ok: true });
    expect(await join(b, 'n5')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });

  it('and only so many a day (QUOTA_EXCEEDED)', async () => {
    server = await startBoardTestServer({}, { quotas: { newBoardsPerAddressPerDay: { points: 2, perSeconds: 86_400 } } });
    const a = await server.socket();
    expect(await join(a, 'd1')).toMatchObject({ ok: true });
    expect(await join(a, 'd2')).toMatchObject({ ok: true });
    expect(await join(a, 'd3')).toMatchObject({ ok: false, error: { code: 'QUOTA_EXCEEDED' } });
    expect(await server.service.store.load('d3')).toBeNull();
  });

  it('addresses come from X-Forwarded-For only behind a trusted proxy; IPv6 counts by /64; the server has a ceiling of its own', async () => {
    const quotas = { newBoardsPerAddress: { points: 1, perSeconds: 60 }, newBoardsPerServer: { points: 3, perSeconds: 3_600 } };
    const from = (address: string) => ({ extraHeaders: { 'x-forwarded-for': address } });

    server = await startBoardTestServer({}, { quotas });
    // No trusted proxy: the header is ignored, everyone is 127.0.0.1.
    expect(await join(await server.socket(from('203.0.113.1')), 'u1')).toMatchObject({ ok: true });
    expect(await join(await server.socket(from('203.0.113.2')), 'u2')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    await server.close();

    server = await startBoardTestServer({}, { quotas, trustProxy: trustProxyFrom('loopback') });
    expect(await join(await server.socket(from('203.0.113.1')), 't1')).toMatchObject({ ok: true });
    expect(await join(await server.socket(from('203.0.113.1')), 't2')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await join(await server.socket(from('2001:db8:1:2::1')), 't3')).toMatchObject({ ok: true });
    // The same /64.
    expect(await join(await server.socket(from('2001:db8:1:2:aaaa::2')), 't4')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await join(await server.socket(from('203.0.113.2')), 't5')).toMatchObject({ ok: true });
    // Three new boards on the server within the hour: the fourth address is refused too.
    expect(await join(await server.socket(from('203.0.113.3')), 't6')).toMatchObject({ ok: false, error: { code: 'QUOTA_EXCEEDED' } });
  });
});

describe('per-address event budget', () => {
  it('many sockets from one address share one budget, and unknown events spend it too', async () => {
    server = await startBoardTestServer({}, { quotas: { eventsPerAddress: { points: 60, perSeconds: 60 } } });
    const sockets = await Promise.all(Array.from({ length: 5 }, () => server!.socket()));
    const replies = await Promise.all(sockets.flatMap((s) => Array.from({ length: 20 }, () => ask(s, 'board.nope', {}))));
    const limited = replies.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED');
    const unknown = replies.filter((r) => !r.ok && r.error.code === 'UNKNOWN_EVENT');
    // Each socket sent 20, far inside its own bucket: the address budget is what refused.
    expect(unknown).toHaveLength(60);
    expect(limited).toHaveLength(40);
    expect(limited[0]).toMatchObject({ error: { message: expect.stringMatching(/from your address/) } });
    // Spent on unknown events, the budget is gone for real ones from a new socket of the same address as well.
    expect(await join(await server.socket(), 'spent')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });

  it('big events weigh more', async () => {
    server = await startBoardTestServer({}, { quotas: { eventsPerAddress: { points: 60, perSeconds: 60 } } });
    const socket = await server.socket();
    expect(await join(socket, 'heavy')).toMatchObject({ ok: true });
    const big = { board: 'heavy', update: new Uint8Array(500 * 1024) }; // 1 + 31 points
    expect(await ask(socket, 'board.update', big)).toMatchObject({ ok: false, error: { code: 'BAD_UPDATE' } });
    expect(await ask(socket, 'board.update', big)).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });
});

describe('join timeout', () => {
  it('disconnects sockets that open no board, keeps those that do, and applies again after the last leave', async () => {
    // Long enough for the joins below to land first on a loaded machine.
    server = await startBoardTestServer({}, { joinTimeoutMs: 2_000 });
    const idle = await server.socket();
    const busy = await server.socket();
    expect(await join(busy, 'kept')).toMatchObject({ ok: true });
    const leaver = await server.socket();
    expect(await join(leaver, 'left')).toMatchObject({ ok: true });
    expect(await disconnected(idle)).toBe('io server disconnect');
    expect(await ask(leaver, 'board.leave', { board: 'left' })).toMatchObject({ ok: true });
    expect(await disconnected(leaver)).toBe('io server disconnect');
    // By now any timer of the busy socket has long fired.
    expect(busy.connected).toBe(true);
    expect(await ask(busy, 'board.update', { board: 'kept', update: Y.encodeStateAsUpdate(new Y.Doc()) })).toMatchObject({ ok: true });
  });

  it('on a meeting connection, only the board namespace is closed', async () => {
    server = await startBoardTestServer({}, { joinTimeoutMs: 300 });
    const manager = new Manager(server.url, { transports: ['websocket'], reconnection: false });
    const main = manager.socket('/');
    const board = manager.socket('/board');
    extra.push(main, board);
    await until(() => main.connected && board.connected, 'both namespaces connected');
    expect(await disconnected(board)).toBe('io server disconnect');
    expect(main.connected).toBe(true);
  });
});

describe('bounds of what board.join and board.awareness carry', () => {
  it('refuses state vectors that claim more than they hold, or are too large, quickly', async () => {
    server = await startBoardTestServer();
    const socket = await server.socket();
    const lag = await lagDuring(async () => {
      expect(await join(socket, 'sv', { stateVector: new Uint8Array([...varuint(2 ** 32 - 1), 1, 1]) })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(await join(socket, 'sv', { stateVector: new Uint8Array([...varuint(2 ** 53 - 1)]) })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(await join(socket, 'sv', { stateVector: new Uint8Array(MAX_STATE_VECTOR_BYTES + 1).fill(1) })).toMatchObject({ ok: false });
    });
    expect(lag).toBeLessThan(2_000);
    const doc = new Y.Doc();
    doc.getMap('objects').set('x', new Y.Map());
    expect(await join(socket, 'sv', { stateVector: Y.encodeStateVector(doc) })).toMatchObject({ ok: true });
  });

  it('refuses oversized and malformed awareness', async () => {
    server = await startBoardTestServer();
    const socket = await server.socket();
    expect(await join(socket, 'aw')).toMatchObject({ ok: true });
    expect(await ask(socket, 'board.awareness', { board: 'aw', update: new Uint8Array(100 * 1024).fill(1) })).toMatchObject({ ok: false });
    expect(await ask(socket, 'board.awareness', { board: 'aw', update: new Uint8Array([...varuint(2 ** 32), 1, 1, 0]) })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ask(socket, 'board.awareness', { board: 'aw', update: new Uint8Array([1, 1, 1, ...varuint(17_000_000), 0x7b]) })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });
});

describe('REST import bounds', () => {
  const put = (id: string, body: string, type = 'application/json') => fetch(`${server!.url}/api/v1/boards/${id}`, { method: 'PUT', headers: { 'content-type': type }, body });

  it('refuses deep nesting before parsing it, too many objects before the schema walks them, and oversized bodies', async () => {
    server = await startBoardTestServer();
    let deep: Response | undefined;
    const lag = await lagDuring(async () => {
      deep = await put('deep', '['.repeat(400_000) + ']'.repeat(400_000));
    });
    expect(deep!.status).toBe(400);
    expect((await deep!.json()).error.message).toMatch(/nest/);
    expect(lag).toBeLessThan(2_000);

    const many: BoardJson = { id: 'many', pages: [{ id: 'p1', name: 'P', objects: Array.from({ length: 10_001 }, (_, i) => ({ id: `o${i}`, type: 'rect', page: 'p1', x: 0, y: 0, w: 1, h: 1 }) as const) }] };
    const tooMany = await put('many', JSON.stringify(many));
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).error.message).toMatch(/at most/);

    const huge = await put('huge', JSON.stringify({ id: 'huge', pages: [{ id: 'p1', name: 'x'.repeat(20 * 1024 * 1024), objects: [] }] }));
    expect(huge.status).toBe(413);
    expect((await put('utf16', '{}', 'application/json; charset=utf-16')).status).toBe(400);
  });

  it('refuses an import that would make the board bigger than the cap, and leaves the board as it was', async () => {
    server = await startBoardTestServer({ maxBoardBytes: 256 * 1024 });
    const small = makeBoard('capped', 10, 2);
    expect((await put('capped', JSON.stringify(small))).status).toBe(201);
    const big = await put('capped', JSON.stringify(makeBoard('capped', 2000, 500)));
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('BOARD_FULL');
    expect(await (await fetch(`${server.url}/api/v1/boards/capped`)).json()).toEqual(small);
  });
});
