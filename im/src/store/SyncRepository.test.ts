/** The sync store on SQLite and PostgreSQL: conversation states in one query, delete-for-me since a time, cursors moved by compare-and-set. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rawQuery, testEngines, useTestDatabase } from '@muster/db/testing';
import { ConversationRepository } from './ConversationRepository.ts';
import { SyncRepository } from './SyncRepository.ts';

const engines = await testEngines('the PostgreSQL sync store contract (im/src/store/SyncRepository.test.ts)');
const uid = (p = 'u') => `${p}${crypto.randomBytes(6).toString('hex')}`;

describe.each(engines)('sync store (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const text = (conversationId: string, senderId: string, body: string) => ({ id: uid('msg'), conversationId, senderId, clientMsgId: uid('c'), type: 'text', body: { text: body }, sentAt: 1_000 });

  it('reads a person’s conversations as numbers: seq, rev, read pointers, the peer’s in direct ones only', async () => {
    const db = await testDb.open();
    const conversations = new ConversationRepository(db);
    const sync = new SyncRepository(db);
    const [me, peer, other] = [uid(), uid(), uid()];
    const direct = await conversations.openDirect(uid('cv'), me, peer, 1);
    const group = await conversations.createGroup(uid('cv'), other, [me, peer], { name: 'g', notice: '', temporary: false }, 2);
    await conversations.openDirect(uid('cv'), peer, other, 3);
    for (let i = 0; i < 3; i++) await conversations.append(text(direct.id, peer, `d${i}`));
    await conversations.append(text(group.id, other, 'g0'));
    await conversations.markRead(direct.id, me, 2);
    const states = (await sync.states(me)).sort((a, b) => (a.kind < b.kind ? -1 : 1));
    expect(states).toEqual([
      { conversationId: direct.id, kind: 'direct', lastSeq: 3, lastRev: 3, updatedAt: 1_000, readSeq: 2, peerId: peer, peerReadSeq: 3 },
      { conversationId: group.id, kind: 'group', lastSeq: 1, lastRev: 1, updatedAt: 1_000, readSeq: 0, peerId: null, peerReadSeq: null },
    ]);
    expect(await sync.states(uid())).toEqual([]);
  });

  it('reads delete-for-me entries from a time on, and which of some conversations’ messages are hidden', async () => {
    const db = await testDb.open();
    const sync = new SyncRepository(db);
    const [me, c1, c2] = [uid(), uid('cv'), uid('cv')];
    await db.writer.write((trx) =>
      trx
        .insertInto('message_hides')
        .values([
          { user_id: me, conversation_id: c1, seq: 4, at: 10 },
          { user_id: me, conversation_id: c2, seq: 1, at: 20 },
          { user_id: me, conversation_id: c1, seq: 2, at: 20 },
          { user_id: uid(), conversation_id: c1, seq: 3, at: 30 },
        ])
        .execute(),
    );
    expect(await sync.hidesSince(me, 20)).toEqual([
      { conversationId: c1, seq: 2, at: 20 },
      { conversationId: c2, seq: 1, at: 20 },
    ].sort((a, b) => (a.conversationId < b.conversationId ? -1 : 1)));
    expect([...(await sync.hiddenAmong(me, [c1]))].sort()).toEqual([`${c1}/2`, `${c1}/4`]);
    expect((await sync.hiddenAmong(me, [])).size).toBe(0);
  });

  it('moves a cursor only from the generation it is at, keeps its state sealed, and sweeps lapsed ones', async () => {
    const db = await testDb.open();
    const sync = new SyncRepository(db);
    const me = uid();
    await sync.createCursor({ id: 'sy-cursor-one-000001', accountId: me, gen: 1, state: { note: 'cursor-plaintext-marker' }, createdAt: 1, expiresAt: 100 });
    await sync.createCursor({ id: 'sy-cursor-two-000002', accountId: me, gen: 1, state: {}, createdAt: 1, expiresAt: 50 });
    const raced = await Promise.all([sync.advanceCursor('sy-cursor-one-000001', 1, { n: 'a' }, 200), sync.advanceCursor('sy-cursor-one-000001', 1, { n: 'b' }, 200)]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    const moved = await sync.getCursor<{ n: string }>('sy-cursor-one-000001');
    expect(moved).toMatchObject({ accountId: me, gen: 2, expiresAt: 200 });
    expect(['a', 'b']).toContain(moved!.state.n);
    expect(await sync.advanceCursor('sy-cursor-one-000001', 1, { n: 'c' }, 300)).toBe(false);
    await sync.touchCursor('sy-cursor-one-000001', 400);
    await sync.touchCursor('sy-cursor-one-000001', 150);
    expect((await sync.getCursor('sy-cursor-one-000001'))!.expiresAt).toBe(400);
    await sync.advanceCursor('sy-cursor-one-000001', 2, { note: 'cursor-plaintext-marker' }, 400);
    const rows = await rawQuery<Record<string, unknown>>(testDb.location, 'select * from sync_cursors');
    expect(JSON.stringify(rows, (_k, v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v))).not.toContain('plaintext-marker');
    expect(await sync.deleteExpired(60)).toBe(1);
    expect(await sync.getCursor('sy-cursor-two-000002')).toBeNull();
    await sync.deleteCursor('sy-cursor-one-000001');
    expect(await sync.getCursor('sy-cursor-one-000001')).toBeNull();
  });
});
