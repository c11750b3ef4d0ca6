import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BoardError } from '../protocol.ts';
import { Board } from '../server/Board.ts';
import { fakeMember } from '../testing/fixtures.ts';
import { DEFAULT_ACCESS } from '../protocol.ts';
import { lagDuring } from '../testing/lag.ts';
import { deletedRunProbe, encodeTestUpdate, varuint, type TestUpdate } from '../testing/updates.ts';
import { BoardDoc } from './BoardDoc.ts';
import { MAX_STATE_VECTOR_CLIENTS, MAX_UPDATE_ITEMS, MAX_UPDATE_STRUCTS, scanStateVector, scanUpdate } from './scanUpdate.ts';
import { validateUpdate } from './validateUpdate.ts';

function boardWithRect(): Board {
  const board = new Board({ id: 'b', access: DEFAULT_ACCESS });
  board.doc.addObject({ id: 'r1', type: 'rect', page: 'p1', x: 1, y: 2, w: 3, h: 4 });
  return board;
}

const member = fakeMember('m');

function structCount(doc: Y.Doc): number {
  let n = 0;
  for (const structs of doc.store.clients.values()) n += structs.length;
  return n;
}

function refusal(fn: () => void): BoardError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BoardError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('update bounds: the deleted-run probe (security issue 13, finding 1)', () => {
  it.each([17_000_000, 4_000_000])('refuses the 22-byte probe claiming %i deleted items with BAD_UPDATE, quickly, changing nothing', async (claimed) => {
    const probe = deletedRunProbe(1234, claimed);
    expect(probe.byteLength).toBe(22);
    // Yjs itself reads it as one struct of that length: the claim is the whole attack.
    expect(Y.decodeUpdate(probe).structs[0]!.length).toBe(claimed);
    const board = boardWithRect();
    const before = Y.encodeStateAsUpdate(board.doc.doc);
    const heapBefore = process.memoryUsage().heapUsed;
    let error: BoardError | undefined;
    const lag = await lagDuring(() => {
      error = refusal(() => board.applyClientUpdate(member, probe));
    });
    expect(error?.code).toBe('BAD_UPDATE');
    expect(lag).toBeLessThan(2_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(Y.encodeStateAsUpdate(board.doc.doc)).toEqual(before);
    board.close();
  });

  it('accepts the same struct with a modest run (a deletion of an object entry)', () => {
    const board = boardWithRect();
    const probe = deletedRunProbe(1234, 3);
    expect(validateUpdate(board.doc.doc, probe)).toMatchObject({ ok: true, structs: 1 });
    board.applyClientUpdate(member, probe);
    expect(board.doc.doc.store.pendingStructs).toBeNull();
    board.close();
  });
});

describe('update bounds: every count and length in an update is bounded before use', () => {
  const ok: TestUpdate = {
    sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', parent: 'objects', key: 'o1', content: { map: true } }, { kind: 'item', parent: [7, 0], key: 'x', content: { values: [5] } }] }],
  };

  it('a well-formed hand-made update passes, so the refusals below are about their one change', () => {
    const doc = new BoardDoc().doc;
    expect(validateUpdate(doc, encodeTestUpdate(ok))).toMatchObject({ ok: true, newObjects: 1, structs: 2 });
  });

  it.each<[string, TestUpdate, RegExp]>([
    ['a huge client count', { ...ok, count: 2 ** 32 }, /client count/],
    ['more clients than bytes', { ...ok, count: 1000 }, /more than the update holds/],
    ['a huge struct count', { sections: [{ ...ok.sections[0]!, count: 2 ** 31 }] }, /struct count/],
    ['a struct count past the limit', { sections: [{ ...ok.sections[0]!, count: MAX_UPDATE_STRUCTS + 1 }] }, /struct count/],
    ['a huge GC run', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'gc', length: 2 ** 40 }] }] }, /GC length/],
    ['a GC run past the item limit', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'gc', length: MAX_UPDATE_ITEMS + 1 }] }] }, /GC length/],
    ['runs that add up past the item limit', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'gc', length: MAX_UPDATE_ITEMS }, { kind: 'gc', length: 1 }] }] }, /at most 1000000 items/],
    ['a skip struct', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'skip', length: 5 }] }] }, /skip/],
    ['a huge value count', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', parent: 'objects', key: 'k', content: { values: [1], count: 2 ** 30 } }] }] }, /value count/],
    ['a huge clock', { sections: [{ client: 7, clock: 2 ** 50, structs: [{ kind: 'gc', length: 1 }] }] }, /clock out of range/],
    ['a client id above uint32', { sections: [{ client: 2 ** 40, clock: 0, structs: [{ kind: 'gc', length: 1 }] }] }, /client id/],
    ['a client listed twice', { sections: [ok.sections[0]!, ok.sections[0]!] }, /listed twice/],
    ['text content', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', parent: 'objects', key: 'k', content: { typeRef: 2 } }] }] }, /maps only/],
    ['a string content struct', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', parent: 'objects', key: 'k', content: { ref: 4, raw: varuint(2 ** 30) } }] }] }, /content type 4/],
    ['an embedded document', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', parent: 'objects', key: 'k', content: { ref: 9, raw: [1, 0x61, 126] } }] }] }, /content type 9/],
    ['binary content', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', parent: 'objects', key: 'k', content: { ref: 3, raw: varuint(2 ** 30) } }] }] }, /content type 3/],
    ['JSON content', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', parent: 'objects', key: 'k', content: { ref: 2, raw: varuint(2 ** 30) } }] }] }, /content type 2/],
    ['a deleted item in an unknown root', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', parent: 'evil', key: 'k', content: { deleted: 1 } }] }] }, /unknown root/],
    ['a huge delete-set client count', { sections: [], deleteCount: 2 ** 32 }, /delete-set client count/],
    ['a huge delete range count', { sections: [], deletes: [{ client: 7, ranges: [[0, 1]], count: 2 ** 31 }] }, /delete range count/],
    ['a huge delete range', { sections: [], deletes: [{ client: 7, ranges: [[0, 2 ** 52]] }] }, /delete length/],
    ['deletes of clocks the server does not have', { sections: [], deletes: [{ client: 7, ranges: [[0, 17_000_000]] }] }, /deletes changes the server does not have/],
    ['overlapping delete ranges', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'gc', length: 10 }] }], deletes: [{ client: 7, ranges: [[0, 5], [2, 5]] }] }, /overlap/],
    ['an empty delete range', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'gc', length: 10 }] }], deletes: [{ client: 7, ranges: [[0, 0]] }] }, /empty delete range/],
    ['a reference to a clock nobody has', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', origin: [9, 5], content: { values: [1] } }] }] }, /depends on changes/],
    ['a reference to itself', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', origin: [7, 0], content: { values: [1] } }] }] }, /refers to itself/],
    [
      'references in a circle',
      {
        sections: [
          { client: 7, clock: 0, structs: [{ kind: 'item', origin: [8, 0], content: { values: [1] } }] },
          { client: 8, clock: 0, structs: [{ kind: 'item', origin: [7, 0], content: { values: [1] } }] },
        ],
      },
      /in a circle/,
    ],
    ['a gap before the first struct', { sections: [{ client: 7, clock: 5, structs: [{ kind: 'gc', length: 1 }] }] }, /depends on changes/],
    ['values nested 100 deep', { sections: [{ client: 7, clock: 0, structs: [{ kind: 'item', parent: [7, 0], key: 'x', content: { values: [JSON.parse('['.repeat(100) + ']'.repeat(100))] } }] }] }, /nest at most/],
  ])('refuses %s', (_what, update, reason) => {
    const doc = new BoardDoc().doc;
    const before = structCount(doc);
    const bytes = encodeTestUpdate(update);
    const verdict = validateUpdate(doc, bytes);
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
    expect(structCount(doc)).toBe(before);
  });

  it('refuses trailing bytes and truncations', () => {
    const bytes = encodeTestUpdate(ok);
    const doc = new BoardDoc().doc;
    expect(validateUpdate(doc, new Uint8Array([...bytes, 0]))).toMatchObject({ ok: false });
    for (let cut = 1; cut < bytes.length; cut++) expect(validateUpdate(doc, bytes.subarray(0, cut).slice())).toMatchObject({ ok: false });
  });

  it('reads exactly what Yjs reads, on real updates', () => {
    const server = new BoardDoc();
    server.ensurePage('p1', 'Page');
    const client = new Y.Doc();
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server.doc));
    const board = new BoardDoc(client);
    const sv = Y.encodeStateVector(client);
    board.addObject({ id: 's1', type: 'symbol', page: 'p1', x: 0, y: 0, sidc: 'SFGPUCI--------', modifiers: { uniqueDesignation: 'A', direction: 45 } });
    board.addObject({ id: 'p1x', type: 'path', page: 'p1', x: 0.5, y: -2, points: [0, 1.25, 2, 3e5] });
    board.updateObject('s1', { x: 9 });
    board.removeObjects(['p1x']);
    const update = Y.encodeStateAsUpdate(client, sv);
    const scanned = scanUpdate(update);
    const decoded = Y.decodeUpdate(update);
    const flat = scanned.sections.flatMap((s) => s.structs);
    expect(flat.map((s) => [s.client, s.clock, s.length])).toEqual(decoded.structs.map((s) => [s.id.client, s.id.clock, s.length]));
    for (const [i, struct] of decoded.structs.entries()) {
      if (struct instanceof Y.Item && struct.content instanceof Y.ContentAny) expect((flat[i]!.content as { values: unknown[] }).values).toEqual(struct.content.arr);
    }
    expect(scanned.deletes.map((d) => [d.client, d.ranges.map((r) => [r.clock, r.end - r.clock])])).toEqual(
      [...decoded.ds.clients.entries()].map(([client, items]) => [client, items.map((i) => [i.clock, i.len])]),
    );
  });
});

describe('state vector bounds (board.join)', () => {
  it('reads real state vectors', () => {
    const doc = new Y.Doc();
    doc.getMap('objects').set('a', 1);
    expect([...scanStateVector(Y.encodeStateVector(doc))]).toEqual([...Y.decodeStateVector(Y.encodeStateVector(doc))]);
    expect(scanStateVector(new Uint8Array([0])).size).toBe(0);
  });

  it.each<[string, number[]]>([
    ['a huge client count', [...varuint(2 ** 32 - 1), 1, 1]],
    ['more clients than bytes', [...varuint(1000), 1, 1]],
    ['a count past the limit', [...varuint(MAX_STATE_VECTOR_CLIENTS + 1), ...Array(2 * (MAX_STATE_VECTOR_CLIENTS + 1)).fill(1)]],
    ['a client id above uint32', [1, ...varuint(2 ** 40), 1]],
    ['an unsafe clock', [1, 1, 255, 255, 255, 255, 255, 255, 255, 255, 127]],
    ['trailing bytes', [1, 1, 1, 9]],
    ['truncation', [2, 1, 1, 2]],
  ])('refuses %s', (_what, bytes) => {
    expect(() => scanStateVector(new Uint8Array(bytes))).toThrow();
  });
});
