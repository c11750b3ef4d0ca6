import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manager, type Socket } from 'socket.io-client';
import type { MusterServer } from '../server.ts';
import { startTestServer } from '../testing/index.ts';
import { BoardClient } from '@muster/whiteboard/client';
import { meetingBoardId, type BoardAck } from '@muster/whiteboard/protocol';
import { until } from '@muster/whiteboard/testing';

/** A meeting participant over the raw protocol, and a board client on the same connection. */
async function joinMeeting(url: string, room: string, name: string): Promise<{ main: Socket; board: BoardClient; manager: Manager }> {
  const manager = new Manager(url, { transports: ['websocket'] });
  const main = manager.socket('/');
  const reply: BoardAck<unknown> = await new Promise((resolve) => main.emit('join', { room, name }, resolve));
  expect(reply).toMatchObject({ ok: true });
  const board = new BoardClient({ socket: manager.socket('/board'), board: meetingBoardId(room), sendIntervalMs: 5 });
  await board.join();
  return { main, board, manager };
}

describe('meeting boards', () => {
  let server: MusterServer & { dataDir: string };
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('belong to the meeting: identities, host and rights come from it, over the meeting’s own connection', async () => {
    const ada = await joinMeeting(server.url, 'plot', 'Ada');
    const bob = await joinMeeting(server.url, 'plot', 'Bob');
    try {
      const room = server.rooms.get('plot')!;
      const ids = [...room.participants.values()].map((p) => p.id);
      expect(ids).toContain(ada.board.self!.userId);
      expect(bob.board.self).toMatchObject({ name: 'Bob', isHost: false, canDraw: true });
      expect(ada.board.self).toMatchObject({ name: 'Ada', isHost: true });

      ada.board.add({ id: 'mark', type: 'symbol', page: 'p1', x: 120, y: 80, sidc: 'SFGPUCI----D---', modifiers: { uniqueDesignation: '2' } });
      ada.board.flush();
      await until(() => bob.board.doc.getObject('mark') !== null, 'Ada’s symbol on Bob');

      // Presenter-only: Bob does not share his screen, so the server refuses him.
      await ada.board.setAccess({ mode: 'presenter', allowed: [] });
      await until(() => bob.board.self?.canDraw === false, 'Bob read-only');
      await expect(bob.board.request('board.update', { board: 'm.plot', update: new Uint8Array([0, 0]) })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(bob.board.setAccess({ mode: 'everyone', allowed: [] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      // A named list with Bob in it.
      await ada.board.setAccess({ mode: 'list', allowed: [bob.board.self!.userId] });
      await until(() => bob.board.self?.canDraw === true, 'Bob may draw again');

      // A connection that is not in the meeting cannot open its board.
      const stranger = new Manager(server.url, { transports: ['websocket'] }).socket('/board');
      const refused: BoardAck<unknown> = await new Promise((resolve) => stranger.emit('board.join', { board: 'm.plot' }, resolve));
      expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_JOINED' } });
      stranger.io.engine.close();

      // REST: Bearer token required.
      expect((await fetch(`${server.url}/api/v1/boards/m.plot`)).status).toBe(401);
      const got = await fetch(`${server.url}/api/v1/boards/m.plot`, { headers: { authorization: `Bearer ${server.apiToken}` } });
      expect(got.status).toBe(200);
      const json = await got.json();
      expect(json.pages[0].objects).toEqual([expect.objectContaining({ id: 'mark', type: 'symbol', x: 120, y: 80, sidc: 'SFGPUCI----D---', modifiers: { uniqueDesignation: '2' } })]);
    } finally {
      for (const p of [ada, bob]) {
        p.board.close();
        p.manager.engine.close();
      }
    }
  });
});
