import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { BoardClient } from '../client/BoardClient.ts';
import type { BoardObject } from '../protocol.ts';
import { startBoardTestServer, until, type BoardTestServer } from '../testing/boardTestServer.ts';
import { makeBoard } from '../testing/fixtures.ts';
import { BoardService } from './BoardService.ts';
import { SqlBoardLogRepository } from '@muster/db';
import { testLocation } from '@muster/db/testing';
import { BoardStore } from './BoardStore.ts';

const rect = (client: BoardClient, x: number, extra: Partial<BoardObject> = {}): BoardObject =>
  ({ id: client.newId(), type: 'rect', page: 'p1', x, y: 10, w: 50, h: 40, ...extra }) as BoardObject;

let server: BoardTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('board sync', () => {
  it('three clients editing at once converge on the same document', async () => {
    server = await startBoardTestServer();
    const [a, b, c] = [await server.client('ops'), await server.client('ops'), await server.client('ops')];
    const shared = rect(a, 0);
    a.add(shared);
    a.flush();
    await until(() => b.doc.getObject(shared.id) !== null && c.doc.getObject(shared.id) !== null, 'the shared rect everywhere');

    // Everyone edits in the same instant: new objects, and different fields of the one shared object.
    for (let i = 0; i < 20; i++) {
      a.add(rect(a, i * 10));
      b.add(rect(b, i * 10 + 1));
      c.add(rect(c, i * 10 + 2));
    }
    a.update(shared.id, { x: 111 });
    b.update(shared.id, { fill: '#ff0000' });
    c.update(shared.id, { angle: 45 });
    b.remove([shared.id].filter(() => false));
    a.flush();
    b.flush();
    c.flush();

    const json = (client: BoardClient) => JSON.stringify(client.exportJson());
    await until(() => a.doc.objectCount === 61 && b.doc.objectCount === 61 && c.doc.objectCount === 61, 'all 61 objects on every client');
    await until(() => json(a) === json(b) && json(b) === json(c), 'identical documents');
    expect(a.doc.getObject(shared.id)).toMatchObject({ x: 111, fill: '#ff0000', angle: 45 });
    // The server holds the same state as the clients.
    expect(JSON.stringify(server.service.get('ops')!.exportJson())).toBe(json(a));
  });

  it("undo takes back only the user's own changes, never someone else's", async () => {
    server = await startBoardTestServer();
    const [a, b, c] = [await server.client('undo'), await server.client('undo'), await server.client('undo')];
    const mine = rect(a, 1);
    const theirs = rect(b, 2);
    const third = rect(c, 3);
    a.add(mine);
    a.stopCapturing();
    b.add(theirs);
    c.add(third);
    for (const client of [a, b, c]) client.flush();
    await until(() => [a, b, c].every((cl) => cl.doc.objectCount === 3), 'three objects everywhere');

    // B moves A's object; then A undoes: A's creation goes, B's and C's objects stay.
    b.update(theirs.id, { x: 500 });
    b.flush();
    await until(() => a.doc.getObject(theirs.id)?.x === 500, 'B’s move on A');
    a.undo();
    a.flush();
    await until(() => [a, b, c].every((cl) => cl.doc.objectCount === 2), 'A’s object undone everywhere');
    for (const client of [a, b, c]) {
      expect(client.doc.getObject(mine.id)).toBeNull();
      expect(client.doc.getObject(theirs.id)).toMatchObject({ x: 500 });
      expect(client.doc.getObject(third.id)).not.toBeNull();
    }
    // A has nothing more of its own to undo: B's and C's work is untouchable from A.
    a.undo();
    a.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(b.doc.objectCount).toBe(2);
    // Redo brings A's object back.
    a.redo();
    a.flush();
    await until(() => c.doc.getObject(mine.id) !== null, 'redo on C');
  });

  it('a late joiner gets the state through its state vector, including what it made offline', async () => {
    server = await startBoardTestServer();
    const a = await server.client('late');
    for (let i = 0; i < 10; i++) a.add(rect(a, i));
    a.flush();
    await until(() => server!.service.get('late')!.doc.objectCount === 10, 'server has 10');
    const b = await server.client('late');
    expect(b.doc.objectCount).toBe(10);
    expect(b.exportJson()).toEqual(a.exportJson());
    // Presence: A's name reaches B.
    await until(() => b.peers().some((p) => p.user.name === a.self!.name), 'A’s presence on B');
  });

  it('the server refuses changes from a user without the right to draw, and applies none of them', async () => {
    server = await startBoardTestServer();
    const host = await server.client('perm');
    const guest = await server.client('perm');
    expect(host.self?.isHost).toBe(true);
    expect(guest.self?.isHost).toBe(false);

    await expect(guest.setAccess({ mode: 'everyone', allowed: [] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await host.setAccess({ mode: 'list', allowed: [host.self!.userId] });
    await until(() => guest.self?.canDraw === false, 'guest loses the right to draw');

    // Bypass the UI: send a raw update straight to the server.
    const rogue = new Y.Doc();
    Y.applyUpdate(rogue, Y.encodeStateAsUpdate(guest.doc.doc));
    const before = Y.encodeStateVector(rogue);
    const map = new Y.Map();
    map.set('type', 'rect');
    rogue.getMap('objects').set('rogue', map);
    const update = Y.encodeStateAsUpdate(rogue, before);
    await expect(guest.request('board.update', { board: 'perm', update })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(server.service.get('perm')!.doc.objects.has('rogue')).toBe(false);
    expect(host.doc.objects.has('rogue')).toBe(false);

    // Clearing is the host's.
    await expect(guest.clear('p1')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    host.add(rect(host, 1));
    host.flush();
    await until(() => server!.service.get('perm')!.doc.objectCount === 1, 'host object on the server');
    expect(await host.clear('p1')).toEqual({ removed: 1 });
    await until(() => guest.doc.objectCount === 0, 'clear reaches the guest');

    // Back to everyone: the guest draws again.
    await host.setAccess({ mode: 'everyone', allowed: [] });
    await until(() => guest.self?.canDraw === true, 'guest may draw again');
    guest.add(rect(guest, 2));
    guest.flush();
    await until(() => host.doc.objectCount === 1, 'guest object on the host');
  });

  it('a client that outruns the rate limit keeps its changes: they are sent again, in order, never dropped', async () => {
    server = await startBoardTestServer();
    const a = await server.client('flood', { sendIntervalMs: 0 });
    const b = await server.client('flood');
    let refused = 0;
    a.on('refused', () => refused++);
    // Empty the connection's token bucket with no-op updates, so the edits below meet the rate limit.
    const noop = Y.encodeStateAsUpdate(new Y.Doc());
    const drained = Promise.all(Array.from({ length: 300 }, () => a.socket.emitWithAck('board.update', { board: 'flood', update: noop })));
    for (let i = 0; i < 400; i++) {
      a.add(rect(a, i));
      a.flush();
    }
    const answers = await drained;
    expect(answers.some((r: { ok: boolean; error?: { code: string } }) => !r.ok && r.error?.code === 'RATE_LIMITED')).toBe(true);
    await until(() => b.doc.objectCount === 400, '400 objects on B', 30_000);
    expect(a.resends).toBeGreaterThan(0);
    expect(refused).toBe(0);
    expect(a.joined).toBe(true);
  });

  it('a refused update resets the client to the server state', async () => {
    server = await startBoardTestServer();
    const host = await server.client('reset');
    const guest = await server.client('reset');
    await host.setAccess({ mode: 'presenter', allowed: [] });
    await until(() => guest.self?.canDraw === false, 'guest read-only');
    const refused = guest.waitFor('refused');
    guest.add(rect(guest, 9));
    guest.flush();
    const [error] = await refused;
    expect(error.code).toBe('FORBIDDEN');
    await guest.waitFor('ready');
    expect(guest.doc.objectCount).toBe(0);
  });

  it('import then export of a 2000-object board with 500 symbols gives an identical board, over REST', async () => {
    server = await startBoardTestServer();
    const board = makeBoard('big', 2000, 500);
    const put = await fetch(`${server.url}/api/v1/boards/big`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(board) });
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({ id: 'big', pages: 2, objects: 2000 });
    const exported = await (await fetch(`${server.url}/api/v1/boards/big`)).json();
    expect(exported).toEqual(board);
    expect(exported.pages.flatMap((p: { objects: BoardObject[] }) => p.objects).filter((o: BoardObject) => o.type === 'symbol')).toHaveLength(500);
    // Exporting what was exported and importing it again is byte-identical.
    const again = await fetch(`${server.url}/api/v1/boards/big`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(exported) });
    expect(again.status).toBe(200);
    expect(await (await fetch(`${server.url}/api/v1/boards/big`)).text()).toBe(JSON.stringify(exported));
    // A client that opens it sees the same board, and so does one importing it through the socket.
    const viewer = await server.client('big');
    expect(viewer.exportJson()).toEqual(board);
    // Nobody created it through the socket: the first to open it becomes host, and only they.
    expect(viewer.self?.isHost).toBe(true);
    expect((await server.client('big')).self?.isHost).toBe(false);
    const importer = await server.client('big2');
    importer.importJson({ ...board, id: 'big2' });
    await until(() => server!.service.get('big2')!.doc.objectCount === 2000, 'socket import on the server', 15_000);
    expect(server.service.get('big2')!.exportJson()).toEqual({ ...board, id: 'big2' });
  });

  it('REST answers coded errors for bad ids, bad bodies and unknown boards', async () => {
    server = await startBoardTestServer();
    const put = (id: string, body: string) => fetch(`${server!.url}/api/v1/boards/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
    expect((await fetch(`${server.url}/api/v1/boards/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/v1/boards/bad%20id`)).status).toBe(400);
    const bad = await put('x', '{"id":"x","pages":[{"id":"p1","name":"a","objects":[{"id":"1","type":"symbol","page":"p1","x":0,"y":0}]}]}');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('BAD_REQUEST');
    expect((await put('x', '{not json')).status).toBe(400);
    expect((await put('y', JSON.stringify(makeBoard('x', 1, 1)))).status).toBe(400);
    expect((await fetch(`${server.url}/api/v1/boards/x`)).status).toBe(404);
  });
});

describe('board persistence', () => {
  it('a board survives a server restart in SQLite', async () => {
    const location = await testLocation('sqlite');
    try {
      let db = await location.open();
      server = await startBoardTestServer({ store: new BoardStore(new SqlBoardLogRepository(db)) });
      const a = await server.client('keep');
      const objects = Array.from({ length: 5 }, (_, i) => rect(a, i * 7));
      for (const o of objects) a.add(o);
      await a.setAccess({ mode: 'presenter', allowed: [] });
      a.flush();
      await until(() => server!.service.get('keep')!.doc.objectCount === 5, 'server has them');
      const before = server.service.get('keep')!.exportJson();
      await server.close();
      server = undefined;
      await db.close();

      db = await location.open();
      const service = new BoardService({ store: new BoardStore(new SqlBoardLogRepository(db)) });
      try {
        const { board } = await service.open('keep', { create: false });
        expect(board.exportJson()).toEqual(before);
        expect(board.access.mode).toBe('presenter');
      } finally {
        await service.close();
        await db.close();
      }
    } finally {
      await location.remove();
    }
  });

});
