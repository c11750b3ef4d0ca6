import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BoardDoc } from './BoardDoc.ts';
import { validateUpdate } from './validateUpdate.ts';

/** An update made on a copy of `server`'s doc by `edit`. */
function updateFrom(server: BoardDoc, edit: (doc: Y.Doc) => void): Uint8Array {
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server.doc));
  const before = Y.encodeStateVector(client);
  edit(client);
  return Y.encodeStateAsUpdate(client, before);
}

function serverWithRect(): BoardDoc {
  const board = new BoardDoc();
  board.ensurePage('p1', 'Page 1');
  board.addObject({ id: 'r1', type: 'rect', page: 'p1', x: 1, y: 2, w: 3, h: 4 });
  return board;
}

describe('validateUpdate', () => {
  it('accepts the edits clients make: new objects, field changes (overwrites), deletions, pages', () => {
    const server = serverWithRect();
    const client = new BoardDoc(new Y.Doc());
    Y.applyUpdate(client.doc, Y.encodeStateAsUpdate(server.doc));
    for (const edit of [
      () => client.addObject({ id: 's1', type: 'symbol', page: 'p1', x: 0, y: 0, sidc: 'SFGPUCI--------', modifiers: { uniqueDesignation: 'A' } }),
      () => client.updateObject('r1', { x: 50, fill: '#ff0000' }),
      () => client.updateObject('r1', { x: 60 }),
      () => client.removeObjects(['r1']),
      () => client.ensurePage('p2', 'Second'),
    ]) {
      const before = Y.encodeStateVector(client.doc);
      edit();
      const update = Y.encodeStateAsUpdate(client.doc, before);
      expect(validateUpdate(server.doc, update)).toMatchObject({ ok: true });
      Y.applyUpdate(server.doc, update);
    }
    expect(server.toJSON('b')).toEqual(client.toJSON('b'));
  });

  it.each([
    ['an unknown root', (d: Y.Doc) => d.getMap('secrets').set('x', 1)],
    ['a plain value as an object', (d: Y.Doc) => d.getMap('objects').set('o1', 5)],
    ['an unknown object field', (d: Y.Doc) => (d.getMap('objects').get('r1') as Y.Map<unknown>).set('onclick', 'x')],
    ['a bad value', (d: Y.Doc) => (d.getMap('objects').get('r1') as Y.Map<unknown>).set('x', 'far')],
    ['a bad SIDC', (d: Y.Doc) => (d.getMap('objects').get('r1') as Y.Map<unknown>).set('sidc', '<script>')],
    ['a bad colour', (d: Y.Doc) => (d.getMap('objects').get('r1') as Y.Map<unknown>).set('fill', 'url(javascript:1)')],
    ['an array root', (d: Y.Doc) => d.getArray('objects2').insert(0, [1])],
    ['text content', (d: Y.Doc) => d.getMap('objects').set('t', new Y.Text('x'))],
    ['a bad id', (d: Y.Doc) => d.getMap('objects').set('../../x', new Y.Map())],
  ])('refuses %s', (_what, edit) => {
    const server = serverWithRect();
    const verdict = validateUpdate(server.doc, updateFrom(server, edit));
    expect(verdict.ok).toBe(false);
  });

  it('refuses updates that depend on changes the server never saw, and garbage', () => {
    const server = serverWithRect();
    const client = new Y.Doc();
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server.doc));
    const v0 = Y.encodeStateVector(client);
    (client.getMap('objects').get('r1') as Y.Map<unknown>).set('x', 10);
    const v1 = Y.encodeStateVector(client);
    (client.getMap('objects').get('r1') as Y.Map<unknown>).set('x', 20);
    const second = Y.encodeStateAsUpdate(client, v1);
    expect(validateUpdate(server.doc, second)).toMatchObject({ ok: false });
    expect(validateUpdate(server.doc, Y.encodeStateAsUpdate(client, v0))).toMatchObject({ ok: true });
    expect(validateUpdate(server.doc, new Uint8Array([1, 2, 3, 4, 5, 200, 201]))).toMatchObject({ ok: false });
  });
});
