/**
 * Boards across app hosts: two (and for a while three) app servers on one
 * PostgreSQL and one Redis, as on separate hosts behind a balancer without
 * stickiness. A meeting's board is held where the meeting is, and opens for
 * its participants through either app (the board socket of someone whose
 * meeting connection is relayed goes along that same relayed connection,
 * which is how the owner knows them); anyone else is refused as on one app.
 * A standalone board is held by the app that first opened it (its claim in
 * Redis); people who open it through another app are relayed there, so
 * everyone edits one document, stored once. A holder that stopped, or died,
 * is replaced at the next open, which loads what it stored. Garbage through
 * a relayed board connection gets the replies a local one gets.
 */
import { randomBytes } from 'node:crypto';
import { Manager, type Socket } from 'socket.io-client';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestsEnabled } from '@muster/db/testing';
import { freePort, mulberry32, redisTestsEnabled } from '@muster/kit/testing';
import { BoardClient } from '@muster/whiteboard/client';
import { BOARD_ERROR_CODES, BoardRequests, meetingBoardId, type BoardAck, type BoardJson, type BoardObject } from '@muster/whiteboard/protocol';
import { appsOnOneRedis, type HostApp as App } from '../crossHost/testing.ts';
import { waitUntil } from '../testing/index.ts';

const enabled = (await postgresTestsEnabled('the boards-across-hosts test')) && (await redisTestsEnabled('the boards-across-hosts test'));

type Reply = { ok: boolean; data?: any; error?: { code: string; message: string } };

describe.skipIf(!enabled)('boards across two apps on one Redis', () => {
  const hosts = appsOnOneRedis();
  const apps = hosts.apps;
  const managers: Manager[] = [];
  const boards: BoardClient[] = [];

  const relayUrl = hosts.relayUrl;
  const boardOwner = (id: string) => hosts.ownerOf('board-owner', id);
  const manager = (app: App, reconnection = true) => {
    const m = new Manager(app.url, { transports: ['websocket'], reconnection });
    managers.push(m);
    return m;
  };
  const rect = (id: string, x = 10): BoardObject => ({ id, type: 'rect', page: 'p1', x, y: 20, w: 30, h: 40 });
  const hasAll = (client: BoardClient, ids: string[]) => ids.every((id) => client.doc.getObject(id) !== null);
  /** A meeting participant through `app`, and its board client on the same connection (as the web client does it). */
  const inMeeting = async (app: App, room: string, name: string) => {
    const m = manager(app);
    const main = m.socket('/');
    const reply: BoardAck<unknown> = await main.timeout(20_000).emitWithAck('join', { room, name });
    expect(reply).toMatchObject({ ok: true });
    const board = new BoardClient({ socket: m.socket('/board'), board: meetingBoardId(room), sendIntervalMs: 5 });
    boards.push(board);
    await board.join();
    return { main, board, manager: m };
  };
  /** Someone on a standalone board through `app`. */
  const onBoard = async (app: App, id: string, name: string, reconnection = true) => {
    const board = new BoardClient({ socket: manager(app, reconnection).socket('/board'), board: id, name, clientKey: `key-${name}-${randomBytes(6).toString('hex')}`, sendIntervalMs: 5 });
    boards.push(board);
    await board.join();
    return board;
  };
  const draw = (client: BoardClient, object: BoardObject) => {
    client.add(object);
    client.flush();
  };
  const rest = hosts.rest;
  const ask = (socket: Socket, event: string, payload: unknown): Promise<Reply> => socket.timeout(10_000).emitWithAck(event, payload);

  beforeAll(() => hosts.setUp(), 120_000);
  afterAll(async () => {
    for (const b of boards) b.close();
    for (const m of managers) m.engine?.close();
    for (const app of apps) await app.close().catch(() => undefined);
    await hosts.tearDown();
  }, 60_000);

  it('opens a meeting’s board for participants on either app, held where the meeting is: each sees the other’s strokes', async () => {
    const ada = await inMeeting(apps[0]!, 'xb-meet', 'Ada');
    const bob = await inMeeting(apps[1]!, 'xb-meet', 'Bob');
    // Bob's board is the owner's: his identity is his participant there, the meeting's rights apply.
    const room = apps[0]!.rooms.get('xb-meet')!;
    expect([...room.participants.values()].map((p) => p.id)).toContain(bob.board.self!.userId);
    expect(bob.board.self).toMatchObject({ name: 'Bob', isHost: false, canDraw: true });
    expect(ada.board.self).toMatchObject({ name: 'Ada', isHost: true });
    expect(apps[0]!.boards.get('m.xb-meet')!.members.size).toBe(2);
    expect(apps[1]!.boards.get('m.xb-meet')).toBeUndefined();

    draw(ada.board, rect('from-ada'));
    draw(bob.board, rect('from-bob', 50));
    for (const p of [ada, bob]) await waitUntil(() => hasAll(p.board, ['from-ada', 'from-bob']), 10_000, 'both strokes on both boards');
    // Rights set by the host on app 1 reach Bob through app 2.
    await ada.board.setAccess({ mode: 'presenter', allowed: [] });
    await waitUntil(() => bob.board.self?.canDraw === false, 10_000, 'Bob read-only');
    await expect(bob.board.request('board.update', { board: 'm.xb-meet', update: new Uint8Array([0, 0]) })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await ada.board.setAccess({ mode: 'everyone', allowed: [] });
    await waitUntil(() => bob.board.self?.canDraw === true, 10_000, 'Bob may draw again');
    // Its REST export through app 2 is the owner's live board.
    const exported = await rest(apps[1]!, 'GET', '/boards/m.xb-meet');
    expect((exported.body as BoardJson).pages.flatMap((p) => p.objects.map((o) => o.id)).sort()).toEqual(['from-ada', 'from-bob']);
    expect(apps[1]!.boards.get('m.xb-meet')).toBeUndefined();
  }, 60_000);

  it('refuses a meeting’s board to anyone not in that meeting, through either app, as one app does', async () => {
    const refusal = async (socket: Socket) => ask(socket, 'board.join', { board: 'm.xb-meet' });
    // In no meeting, on either app.
    for (const app of apps) expect(await refusal(manager(app).socket('/board'))).toMatchObject({ ok: false, error: { code: 'NOT_JOINED' } });
    // In another meeting held by the same app (its board open), on it or relayed there by app 2: the owner knows
    // their connection, as people of that meeting, not of this one.
    const local = await inMeeting(apps[0]!, 'xb-other', 'Cy');
    const relayed = await inMeeting(apps[1]!, 'xb-other', 'Di');
    expect(apps[1]!.rooms.get('xb-other')).toBeUndefined();
    for (const p of [local, relayed]) expect(await refusal(p.manager.socket('/board'))).toMatchObject({ ok: false, error: { code: 'NOT_JOINED' } });
    // Nothing joined the board; its own people still draw.
    expect(apps[0]!.boards.get('m.xb-meet')!.members.size).toBe(2);
  }, 60_000);

  it('holds a standalone board on the app that first opened it: updates cross both ways, and are stored once', async () => {
    const ann = await onBoard(apps[0]!, 'xb-plan', 'Ann');
    expect(ann.self?.isHost).toBe(true);
    expect(await boardOwner('xb-plan')).toBe(relayUrl(apps[0]!));
    const ben = await onBoard(apps[1]!, 'xb-plan', 'Ben');
    expect(ben.self?.isHost).toBe(false);
    expect(apps[0]!.boards.get('xb-plan')!.members.size).toBe(2);
    expect(apps[1]!.boards.get('xb-plan')).toBeUndefined();

    draw(ann, rect('ann-1'));
    draw(ben, rect('ben-1', 60));
    for (const p of [ann, ben]) await waitUntil(() => hasAll(p, ['ann-1', 'ben-1']), 10_000, 'both strokes on both boards');
    // Presence crosses too.
    ben.setCursor({ x: 5, y: 5, page: 'p1' });
    await waitUntil(() => ann.peers().some((p) => p.user.name === 'Ben' && p.cursor?.x === 5), 10_000, 'Ben’s cursor on Ann’s board');

    // Opened again through either app, and over REST through the app that does not hold it (answered by the one that does).
    for (const app of apps) {
      const again = await onBoard(app, 'xb-plan', `Re${app.port}`);
      expect(hasAll(again, ['ann-1', 'ben-1'])).toBe(true);
      again.close();
    }
    const exported = await rest(apps[1]!, 'GET', '/boards/xb-plan');
    expect((exported.body as BoardJson).pages.flatMap((p) => p.objects.map((o) => o.id)).sort()).toEqual(['ann-1', 'ben-1']);
    // An import through app 2 reaches the people on the board held by app 1.
    const imported = await rest(apps[1]!, 'PUT', '/boards/xb-plan', { id: 'xb-plan', pages: [{ id: 'p1', name: 'Page 1', objects: [rect('imported')] }] });
    expect(imported.status).toBe(200);
    await waitUntil(() => ann.doc.getObject('imported') && ben.doc.getObject('imported'), 10_000, 'the import on both boards');
    expect(apps[1]!.boards.get('xb-plan')).toBeUndefined();
    // Stored once: what the holder wrote is what a fresh load finds.
    await apps[0]!.boards.flush('xb-plan');
    const stored = await apps[1]!.boards.store.load('xb-plan');
    expect(stored).not.toBeNull();
  }, 60_000);

  it('gives garbage through a relayed board connection the replies a local connection gets, and neither app falls over', async () => {
    const rand = mulberry32(20_261_207);
    const owner = await onBoard(apps[0]!, 'xb-fuzz', 'Owner');
    draw(owner, rect('keep'));
    await waitUntil(() => apps[0]!.boards.get('xb-fuzz')?.doc.getObject('keep'), 10_000, 'the first stroke stored');
    const before = JSON.stringify(apps[0]!.boards.get('xb-fuzz')!.exportJson());
    // Two people who are not its host, one on each app.
    const local = manager(apps[0]!).socket('/board');
    const relayed = manager(apps[1]!).socket('/board');
    const both = async (event: string, payload: unknown) => {
      const [a, b] = await Promise.all([ask(local, event, payload), ask(relayed, event, payload)]);
      const what = `${event} ${JSON.stringify(payload)?.slice(0, 200)}: ${JSON.stringify(b)} vs ${JSON.stringify(a)}`;
      expect(b.ok, what).toBe(a.ok);
      if (!a.ok) {
        expect(BOARD_ERROR_CODES).toContain(b.error!.code);
        expect(b.error!.code, what).toBe(a.error!.code);
      }
      return b;
    };
    // Refused before anything is open, then carried: the second join goes through the relay.
    expect((await both('board.join', { board: 'xb-fuzz' })).error?.code).toBe('BAD_REQUEST');
    expect((await both('board.join', { board: 'xb-fuzz', clientKey: 'k', stateVector: Buffer.from([255, 255, 255]) })).error?.code).toBe('BAD_REQUEST');
    expect((await both('board.update', { board: 'xb-fuzz', update: Buffer.from([0, 0]) })).error?.code).toBe('NOT_JOINED');
    expect((await both('board.join', { board: 'xb-fuzz', clientKey: `fuzz-${randomBytes(6).toString('hex')}` })).ok).toBe(true);
    expect(apps[0]!.boards.get('xb-fuzz')!.members.size).toBe(3);
    expect((await both('board.join', { board: 'xb-fuzz', clientKey: 'again-0123456789' })).error?.code).toBe('BAD_REQUEST');
    expect((await both('board.nope', {})).error?.code).toBe('UNKNOWN_EVENT');
    expect((await both('constructor', {})).error?.code).toBe('UNKNOWN_EVENT');
    expect((await both('board.update', { board: 'xb-fuzz', update: Buffer.alloc(600 * 1024, 1) })).error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await both('board.clear', { board: 'xb-fuzz', page: 'p1' })).error?.code).toBe('FORBIDDEN');
    expect((await both('board.setAccess', { board: 'xb-fuzz', access: { mode: 'presenter', allowed: [] } })).error?.code).toBe('FORBIDDEN');
    const rogue = new Y.Doc();
    const sv = Y.encodeStateVector(rogue);
    rogue.getMap('objects').set('x', 'not a map');
    expect((await both('board.update', { board: 'xb-fuzz', update: Y.encodeStateAsUpdate(rogue, sv) })).error?.code).toBe('BAD_UPDATE');

    // Malformed payloads for every request but leave, under the per-socket rate limit.
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
    const values: unknown[] = [undefined, null, 0, 'board.join', [], [1, 2], { board: null }, { __proto__: { board: 'xb-fuzz' } }, { board: 'xb-fuzz' }, { board: 'xb-fuzz', update: 'text' }];
    const events = Object.keys(BoardRequests).filter((event) => event !== 'board.leave');
    for (const event of events) {
      for (const payload of [...values, { board: 'xb-fuzz', update: bytes(1 + Math.floor(rand() * 64)), page: rand(), access: { mode: rand(), allowed: [rand()] } }, { board: 'elsewhere', update: bytes(40) }]) {
        await both(event, payload);
      }
    }
    // Without an acknowledgement, a refusal comes as board.error.
    const error = new Promise<{ code: string; event?: string }>((resolve) => relayed.once('board.error', resolve));
    relayed.emit('board.update', 'not an object');
    expect(await error).toMatchObject({ code: 'BAD_REQUEST', event: 'board.update' });

    expect(JSON.stringify(apps[0]!.boards.get('xb-fuzz')!.exportJson())).toBe(before);
    for (const app of apps) expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    // Leaving works the same, and so does what comes after it; the board still works through both apps.
    expect((await both('board.leave', { board: 'xb-fuzz' })).ok).toBe(true);
    expect((await both('board.leave', { board: 'xb-fuzz' })).error?.code).toBe('NOT_JOINED');
    const late = await onBoard(apps[1]!, 'xb-fuzz', 'Late');
    draw(late, rect('late'));
    await waitUntil(() => owner.doc.getObject('late'), 10_000, 'a stroke through app 2 after the garbage');
  }, 90_000);

  it('moves a standalone board whose holder stopped, or died, to the app the next open reaches, with what was stored', async () => {
    const third = await hosts.start();
    apps.push(third);
    // Made over REST through app 2 while nobody holds it: app 2 keeps a copy of its own for a while (not a claim).
    const put = await rest(apps[1]!, 'PUT', '/boards/xb-moving', { id: 'xb-moving', pages: [{ id: 'p1', name: 'Page 1', objects: [rect('a')] }] });
    expect(put.status).toBe(201);
    expect(apps[1]!.boards.get('xb-moving')).toBeDefined();
    const cal = await onBoard(third, 'xb-moving', 'Cal');
    expect(await boardOwner('xb-moving')).toBe(relayUrl(third));
    draw(cal, rect('b'));
    // Dot's client does not reconnect: what app 2 holds after the move must come from the database alone.
    const dot = await onBoard(apps[1]!, 'xb-moving', 'Dot', false);
    draw(dot, rect('c'));
    await waitUntil(() => hasAll(cal, ['a', 'b', 'c']) && hasAll(dot, ['a', 'b', 'c']), 10_000, 'every stroke on both boards');

    const dropped = new Promise<void>((resolve) => dot.socket.once('disconnect', () => resolve()));
    cal.close();
    await third.close();
    // Dot's relayed connection ends with its holder (a client reconnects by itself, wherever it lands).
    await dropped;
    expect(await boardOwner('xb-moving')).toBeNull();
    // The next open, through app 2, takes the board over: everything the stopped holder stored, not app 2's older copy.
    const eve = await onBoard(apps[1]!, 'xb-moving', 'Eve');
    expect(hasAll(eve, ['a', 'b', 'c'])).toBe(true);
    expect(await boardOwner('xb-moving')).toBe(relayUrl(apps[1]!));
    expect(apps[1]!.boards.get('xb-moving')!.members.size).toBe(1);
    // And it goes on through either app.
    const fay = await onBoard(apps[0]!, 'xb-moving', 'Fay');
    expect(hasAll(fay, ['a', 'b', 'c'])).toBe(true);
    draw(eve, rect('d'));
    await waitUntil(() => hasAll(fay, ['d']), 10_000, 'Eve’s stroke on Fay’s board');

    // A holder that died without a word: its claim is still there, its URL refuses. The next open takes it over.
    expect((await rest(apps[0]!, 'PUT', '/boards/xb-orphan', { id: 'xb-orphan', pages: [{ id: 'p1', name: 'Page 1', objects: [rect('kept')] }] })).status).toBe(201);
    await hosts.redis.set(hosts.key('board-owner', 'xb-orphan'), `dead-app http://127.0.0.1:${await freePort()}`, 'PX', 60_000);
    const gus = await onBoard(apps[1]!, 'xb-orphan', 'Gus');
    expect(hasAll(gus, ['kept'])).toBe(true);
    expect(await boardOwner('xb-orphan')).toBe(relayUrl(apps[1]!));
  }, 90_000);
});
