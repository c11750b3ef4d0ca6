import fs from 'node:fs';
import path from 'node:path';
import { MemoryBoardLogRepository, SqlBoardLogRepository, type BoardLogRepository, type Database } from '@muster/db';
import { postgresTestsEnabled, rawQuery, tempDir, testLocation, testSealer, withSqliteFile, type TestLocation, LEGACY_BOARDS_SCHEMA } from '@muster/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BoardDoc } from '../model/BoardDoc.ts';
import { fakeMember } from '../testing/fixtures.ts';
import { BoardService } from './BoardService.ts';
import { BoardStore, mergeBoardUpdates } from './BoardStore.ts';
import { importLegacyBoards } from './importLegacyBoards.ts';

const withPostgres = await postgresTestsEnabled('the PostgreSQL board store (whiteboard/src/server/BoardStore.test.ts)');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sqlRepository(engine: 'sqlite' | 'postgres'): Promise<{ repository: BoardLogRepository; db: Database; location: TestLocation }> {
  const location = await testLocation(engine);
  const db = await location.open();
  cleanups.push(async () => {
    await db.close();
    await location.remove();
  });
  return { repository: new SqlBoardLogRepository(db), db, location };
}

/** An edit on a scratch document, as the update a client would send. */
function edit(doc: BoardDoc, change: () => void): Uint8Array {
  const sv = Y.encodeStateVector(doc.doc);
  change();
  return Y.encodeStateAsUpdate(doc.doc, sv);
}

const engines: [string, () => Promise<BoardLogRepository>][] = [
  ['memory', async () => new MemoryBoardLogRepository()],
  ['SQLite', async () => (await sqlRepository('sqlite')).repository],
  ...(withPostgres ? [['PostgreSQL', async () => (await sqlRepository('postgres')).repository] as [string, () => Promise<BoardLogRepository>]] : []),
];

describe.each(engines)('board store (%s)', (_name, open) => {
  it('keeps settings and the document as a log; compaction leaves the same document; list and delete', async () => {
    const store = new BoardStore(await open());
    expect(await store.load('b1')).toBeNull();
    expect(await store.exists('b1')).toBe(false);
    await store.putMeta('b1', { access: { mode: 'list', allowed: ['u1'] }, ownerKeyHash: 'hash' }, 1_000);
    const doc = new BoardDoc(new Y.Doc());
    const updates = [
      edit(doc, () => doc.addObject({ id: 'o1', type: 'rect', page: 'p1', x: 1, y: 2, w: 3, h: 4 })),
      edit(doc, () => doc.addObject({ id: 'o2', type: 'note', page: 'p1', x: 5, y: 6, w: 7, h: 8, text: 'hello' })),
      edit(doc, () => doc.removeObjects(['o1'])),
    ];
    for (const update of updates) await store.append('b1', update);

    const loaded = (await store.load('b1'))!;
    expect(loaded).toMatchObject({ id: 'b1', access: { mode: 'list', allowed: ['u1'] }, ownerKeyHash: 'hash', createdAt: 1_000 });
    expect(loaded.updates).toHaveLength(3);
    expect(loaded.tail.map((t) => t.seq)).toEqual([1, 2, 3]);
    const replay = (stored: Uint8Array[]) => {
      const copy = new BoardDoc(new Y.Doc());
      for (const u of stored) Y.applyUpdate(copy.doc, u);
      return copy.toJSON('b1');
    };
    expect(replay(loaded.updates)).toEqual(doc.toJSON('b1'));

    expect(await store.compact('b1')).toEqual({ uptoSeq: 3, removed: 3 });
    const compacted = (await store.load('b1'))!;
    expect(compacted.updates).toHaveLength(1);
    expect(compacted.tail).toEqual([]);
    expect(replay(compacted.updates)).toEqual(doc.toJSON('b1'));
    expect(compacted.sizeBytes).toBe(compacted.updates[0]!.byteLength);
    // Garbage-collected: the merged state is no bigger than the document's own encoding.
    expect(compacted.sizeBytes).toBeLessThanOrEqual(Y.encodeStateAsUpdate(doc.doc).byteLength);

    await store.append('b2', edit(doc, () => doc.addObject({ id: 'o3', type: 'rect', page: 'p1', x: 0, y: 0, w: 1, h: 1 })));
    expect((await store.list()).map((b) => b.id).sort()).toEqual(['b1', 'b2']);
    expect(await store.delete('b1')).toBe(true);
    expect(await store.load('b1')).toBeNull();
    expect((await store.list()).map((b) => b.id)).toEqual(['b2']);
  });
});

describe('board persistence in the database', () => {
  it('a stroke appends one row: nothing is rewritten', async () => {
    const { repository, location } = await sqlRepository('sqlite');
    const service = new BoardService({ store: new BoardStore(repository) });
    cleanups.push(() => service.close());
    const { board } = await service.open('strokes', { create: true });
    await service.flush('strokes');
    const rows = () => rawQuery<{ seq: number; at: number }>(location, 'SELECT seq, at FROM board_updates WHERE board_id = ? ORDER BY seq', ['strokes']);
    const before = await rows();
    expect(before.map((r) => r.seq)).toEqual([1]);
    const snapshotsBefore = await rawQuery(location, 'SELECT * FROM board_snapshots');
    const member = fakeMember('m1');
    board.addMember(member);
    const local = new BoardDoc(new Y.Doc());
    Y.applyUpdate(local.doc, board.encodeState());
    board.applyClientUpdate(member, edit(local, () => local.addObject({ id: 's1', type: 'path', page: 'p1', x: 0, y: 0, points: [0, 0, 5, 5] })));
    await service.flush('strokes');
    const after = await rows();
    expect(after.map((r) => r.seq)).toEqual([1, 2]);
    // The first row is untouched, and no snapshot was written.
    expect(after[0]).toEqual(before[0]);
    expect(await rawQuery(location, 'SELECT * FROM board_snapshots')).toEqual(snapshotsBefore);
  });

  it('compacts in the background past the threshold and when the last member leaves, while edits go on', async () => {
    const { repository, location } = await sqlRepository('sqlite');
    const service = new BoardService({ store: new BoardStore(repository), compactAfterUpdates: 10 });
    cleanups.push(() => service.close());
    const { board } = await service.open('busy', { create: true });
    const member = fakeMember('m1');
    board.addMember(member);
    const local = new BoardDoc(new Y.Doc());
    Y.applyUpdate(local.doc, board.encodeState());
    for (let i = 0; i < 25; i++) {
      board.applyClientUpdate(member, edit(local, () => local.addObject({ id: `r${i}`, type: 'rect', page: 'p1', x: i, y: 0, w: 1, h: 1 })));
    }
    await service.flush('busy');
    await service.compact('busy').catch(() => undefined);
    const count = async (table: string) => Number((await rawQuery<{ n: number }>(location, `SELECT count(*) AS n FROM ${table} WHERE board_id = ?`, ['busy']))[0]!.n);
    expect(await count('board_snapshots')).toBe(1);
    expect(await count('board_updates')).toBeLessThan(10);

    board.applyClientUpdate(member, edit(local, () => local.removeObjects(['r0', 'r1'])));
    board.removeMember(member);
    // The last member left: the tail is folded in.
    await service.flush('busy');
    for (let i = 0; i < 200 && (await count('board_updates')) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await count('board_updates')).toBe(0);
    const stored = (await new BoardStore(repository).load('busy'))!;
    const copy = new BoardDoc(new Y.Doc());
    for (const u of stored.updates) Y.applyUpdate(copy.doc, u);
    expect(copy.toJSON('busy')).toEqual(board.exportJson());
    expect(copy.objectCount).toBe(23);
  });

  it('merges like Yjs: the snapshot of a log equals the document', () => {
    const doc = new BoardDoc(new Y.Doc());
    const a = edit(doc, () => doc.addObject({ id: 'x', type: 'rect', page: 'p1', x: 0, y: 0, w: 1, h: 1 }));
    const b = edit(doc, () => doc.removeObjects(['x']));
    const merged = mergeBoardUpdates(null, [a, b]);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, merged);
    expect(Y.encodeStateAsUpdate(copy)).toEqual(Y.encodeStateAsUpdate(doc.doc));
  });
});

describe('import of an older install', () => {
  it('reads whiteboard/boards.sqlite once, imports every board with its settings, and renames the file', async () => {
    const dir = tempDir('muster-legacy-boards-');
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    fs.mkdirSync(path.join(dir, 'whiteboard'));
    const file = path.join(dir, 'whiteboard', 'boards.sqlite');
    const doc = new BoardDoc(new Y.Doc());
    doc.ensurePage('p1', 'Page 1', 0);
    doc.addObject({ id: 'o1', type: 'note', page: 'p1', x: 1, y: 1, w: 10, h: 10, text: 'kept' });
    withSqliteFile(file, (old) => {
      old.exec(LEGACY_BOARDS_SCHEMA);
      const insert = old.prepare('INSERT INTO boards (id, state, access, owner_key_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
      insert.run('plan', Buffer.from(Y.encodeStateAsUpdate(doc.doc)), JSON.stringify({ mode: 'presenter', allowed: [] }), 'owner-hash', 1_700_000_000_000, 1_700_000_000_500);
      insert.run('empty', Buffer.from(Y.encodeStateAsUpdate(new Y.Doc())), 'not json', null, 1_700_000_000_001, 1_700_000_000_001);
    });

    const { repository } = await sqlRepository('sqlite');
    const store = new BoardStore(repository);
    const sealer = testSealer();
    expect(await importLegacyBoards(dir, store, sealer)).toBe(2);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}.migrated`)).toBe(true);

    const plan = (await store.load('plan'))!;
    expect(plan).toMatchObject({ access: { mode: 'presenter', allowed: [] }, ownerKeyHash: 'owner-hash', createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_500 });
    const service = new BoardService({ store });
    cleanups.push(() => service.close());
    const { board } = await service.open('plan', { create: false });
    expect(board.exportJson()).toEqual(doc.toJSON('plan'));
    expect((await store.load('empty'))!.access).toEqual({ mode: 'everyone', allowed: [] });
    expect(await importLegacyBoards(dir, store, sealer)).toBe(0);
  });
});
