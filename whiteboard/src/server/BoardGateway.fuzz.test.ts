import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Socket } from 'socket.io-client';
import { BOARD_PROTOCOL_VERSION, BoardRequests, type BoardAck } from '../protocol.ts';
import { startBoardTestServer, type BoardTestServer } from '../testing/boardTestServer.ts';

function ask(socket: Socket, event: string, payload: unknown): Promise<BoardAck<unknown>> {
  return socket.timeout(5_000).emitWithAck(event, payload);
}

let seed = 7;
function rand(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
function randomValue(depth = 0): unknown {
  const pick = Math.floor(rand() * 11);
  switch (pick) {
    case 0: return null;
    case 1: return Math.floor(rand() * 1e9) - 5e8;
    case 2: return 'x'.repeat(Math.floor(rand() * 200));
    case 3: return rand() > 0.5;
    case 4: return depth < 3 ? Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(depth + 1)) : [];
    case 5: return depth < 3 ? { board: randomValue(depth + 1), update: randomValue(depth + 1), x: randomValue(depth + 1) } : {};
    case 6: return Buffer.from(Array.from({ length: Math.floor(rand() * 64) + 1 }, () => Math.floor(rand() * 256)));
    case 7: return 'fuzz';
    case 8: return NaN;
    case 9: return { board: 'fuzz', update: Buffer.from(Array.from({ length: 40 }, () => Math.floor(rand() * 256))) };
    default: return { board: 'fuzz', access: { mode: randomValue(depth + 1), allowed: randomValue(depth + 1) }, page: randomValue(depth + 1) };
  }
}

describe('board gateway under malformed input', () => {
  let server: BoardTestServer;
  beforeAll(async () => {
    server = await startBoardTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers every malformed request with a coded error, applies nothing, and keeps serving', async () => {
    const owner = await server.client('fuzz');
    owner.add({ id: 'keep', type: 'rect', page: 'p1', x: 0, y: 0, w: 1, h: 1 });
    owner.flush();
    await new Promise((r) => setTimeout(r, 100));
    const before = JSON.stringify(server.service.get('fuzz')!.exportJson());

    const attacker = await server.socket();
    // Before joining: every request but join needs a board.
    for (const event of ['board.update', 'board.awareness', 'board.clear', 'board.setAccess', 'board.leave']) {
      const reply = await ask(attacker, event, { board: 'fuzz', update: Buffer.from([0, 0]), page: 'p1', access: { mode: 'everyone', allowed: [] } });
      expect(reply.ok).toBe(false);
    }
    expect(await ask(attacker, 'board.nope', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    expect(await ask(attacker, 'board.join', { v: BOARD_PROTOCOL_VERSION + 1, board: 'fuzz', clientKey: 'attacker-key-0123456789' })).toMatchObject({
      ok: false,
      error: { code: 'UNSUPPORTED_VERSION', message: expect.stringMatching(new RegExp(`^this server speaks protocol version ${BOARD_PROTOCOL_VERSION}; `)) },
    });
    expect(await ask(attacker, 'board.join', { board: 'fuzz' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ask(attacker, 'board.join', { board: 'fuzz', clientKey: 'attacker-key-0123456789', stateVector: Buffer.from([255, 255, 255]) })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ask(attacker, 'board.join', { board: 'fuzz', clientKey: 'attacker-key-0123456789' })).toMatchObject({ ok: true });

    const events = Object.keys(BoardRequests).filter((e) => e !== 'board.leave');
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const event = events[i % events.length]!;
      const reply = await ask(attacker, event, randomValue());
      if (!reply.ok) {
        refused++;
        expect(reply.error.code).toMatch(/^(BAD_REQUEST|BAD_UPDATE|FORBIDDEN|NOT_JOINED|RATE_LIMITED|PAYLOAD_TOO_LARGE)$/);
        expect(typeof reply.error.message).toBe('string');
      }
    }
    expect(refused).toBeGreaterThan(250);
    // Let the rate limiter's bucket refill: the checks below must reach the handlers.
    await new Promise((r) => setTimeout(r, 2_100));

    // Structurally valid Yjs updates that write where they must not.
    const rogue = new Y.Doc();
    const sv = Y.encodeStateVector(rogue);
    rogue.getMap('objects').set('x', 'not a map');
    rogue.getMap('evil').set('a', 1);
    expect(await ask(attacker, 'board.update', { board: 'fuzz', update: Y.encodeStateAsUpdate(rogue, sv) })).toMatchObject({ ok: false, error: { code: 'BAD_UPDATE' } });
    // Too large.
    expect(await ask(attacker, 'board.update', { board: 'fuzz', update: Buffer.alloc(600 * 1024, 1) })).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    // Awareness claiming someone else's identity is refused.
    const fake = new Y.Doc();
    const { Awareness, encodeAwarenessUpdate } = await import('y-protocols/awareness');
    const awareness = new Awareness(fake);
    awareness.setLocalState({ user: { id: owner.self!.userId, name: 'me', color: '#fff' } });
    expect(await ask(attacker, 'board.awareness', { board: 'fuzz', update: encodeAwarenessUpdate(awareness, [fake.clientID]) })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    awareness.destroy();

    expect(JSON.stringify(server.service.get('fuzz')!.exportJson())).toBe(before);
    // The owner still works.
    owner.add({ id: 'after', type: 'rect', page: 'p1', x: 0, y: 0, w: 1, h: 1 });
    owner.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(server.service.get('fuzz')!.doc.getObject('after')).not.toBeNull();
  });
});
