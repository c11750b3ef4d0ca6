/** The conversations store's contract on SQLite and PostgreSQL: seq, idempotence, ranges, read pointers. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import type { Database } from '@muster/db';
import { rawQuery, testEngines, useTestDatabase } from '@muster/db/testing';
import { ConversationRepository, directKey } from './ConversationRepository.ts';

const engines = await testEngines('the PostgreSQL conversations store contract (im/src/store/ConversationRepository.test.ts)');
const uid = (p = 'u') => `${p}${crypto.randomBytes(6).toString('hex')}`;

/** The same database, its reads counted (the writer is not: appends are not what is counted here). */
function countingReads(db: Database): { db: Database; reads: () => number } {
  let reads = 0;
  const counter: KyselyPlugin = {
    transformQuery: (args) => {
      reads++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  const reader = db.kysely.withPlugin(counter);
  const counted = new Proxy(db, {
    get: (target, prop) => {
      if (prop === 'kysely') return reader;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: counted, reads: () => reads };
}

describe.each(engines)('conversations store (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const text = (conversationId: string, senderId: string, text: string, clientMsgId = uid('c')) => ({
    id: uid('msg'),
    conversationId,
    senderId,
    clientMsgId,
    type: 'text',
    body: { text },
    sentAt: Date.now(),
  });

  it('opens one direct conversation per pair, whoever opens it, both as members', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const first = await store.openDirect(uid('cv'), a, b, 1);
    const again = await store.openDirect(uid('cv'), b, a, 2);
    expect(again.id).toBe(first.id);
    expect((await store.members(first.id)).map((m) => m.userId).sort()).toEqual([a, b].sort());
    expect(directKey(a, b)).toBe(directKey(b, a));
    expect(await store.membership(first.id, uid())).toBeNull();
  });

  it('numbers messages 1, 2, 3… without gaps, also for concurrent senders, one row each', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    const sends = Array.from({ length: 40 }, (_, i) => store.append(text(c.id, i % 2 ? a : b, `m${i}`)));
    const seqs = (await Promise.all(sends)).map((r) => r.message.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await store.get(c.id))!.lastSeq).toBe(40);
    expect(await store.countMessages(c.id)).toBe(40);
  });

  it('a retried send returns the first message, never a second one', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    const first = await store.append(text(c.id, a, 'hello', 'client-1'));
    const [again, racing] = await Promise.all([store.append(text(c.id, a, 'hello', 'client-1')), store.append(text(c.id, a, 'hello', 'client-1'))]);
    expect(first.duplicate).toBe(false);
    expect([again, racing].map((r) => [r.duplicate, r.message.id, r.message.seq])).toEqual([
      [true, first.message.id, 1],
      [true, first.message.id, 1],
    ]);
    // The same client id from the other person is their own message.
    expect((await store.append(text(c.id, b, 'hi', 'client-1'))).message.seq).toBe(2);
    expect(await store.countMessages(c.id)).toBe(2);
  });

  it('reads ranges: catching up oldest first after a seq, paging back newest first before one', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    for (let i = 1; i <= 10; i++) await store.append(text(c.id, a, `m${i}`));
    expect((await store.messages(c.id, { afterSeq: 3, limit: 4 })).map((m) => m.seq)).toEqual([4, 5, 6, 7]);
    expect((await store.messages(c.id, { beforeSeq: 9, limit: 3 })).map((m) => m.seq)).toEqual([6, 7, 8]);
    expect((await store.messages(c.id, { limit: 2 })).map((m) => m.body.text)).toEqual(['m9', 'm10']);
    expect((await store.messages(c.id, { afterSeq: 2, beforeSeq: 5, limit: 100 })).map((m) => m.seq)).toEqual([3, 4]);
  });

  it('keeps read pointers per member, forward only and never past the last seq; the sender has read their own', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    for (let i = 1; i <= 5; i++) await store.append(text(c.id, a, `m${i}`));
    expect((await store.membership(c.id, a))!.readSeq).toBe(5);
    expect((await store.membership(c.id, b))!.readSeq).toBe(0);
    expect(await store.markRead(c.id, b, 3)).toBe(3);
    expect(await store.markRead(c.id, b, 2)).toBe(3);
    expect(await store.markRead(c.id, b, 99)).toBe(5);
    const listed = await store.listFor(b, 10);
    expect(listed.map((l) => [l.conversation.id, l.conversation.lastSeq, l.membership.readSeq])).toEqual([[c.id, 5, 5]]);
  });

  it('a 1000-member group’s message is one row, and every member’s unread counts it', async () => {
    const store = new ConversationRepository(await testDb.open());
    const owner = uid();
    const members = Array.from({ length: 999 }, () => uid());
    const group = await store.createGroup(uid('cv'), owner, members, { name: '全体 1000', notice: '', temporary: true }, 1);
    expect(group).toMatchObject({ kind: 'group', meta: { name: '全体 1000', temporary: true }, lastSeq: 0 });
    expect(await store.countMembers(group.id)).toBe(1000);
    expect((await store.membership(group.id, owner))!.role).toBe('owner');
    await store.append(text(group.id, owner, 'hello, all'));
    expect(await store.countMessages(group.id)).toBe(1);
    const [someone] = await store.listFor(members[500]!, 10);
    expect(someone!.conversation.lastSeq - someone!.membership.readSeq).toBe(1);
  });

  it('stores message bodies sealed', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    await store.append(text(c.id, a, '机密会议-plaintext-marker'));
    const rows = await rawQuery<Record<string, unknown>>(testDb.location, 'select * from messages');
    expect(JSON.stringify(rows, (_k, v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v))).not.toContain('plaintext-marker');
    expect((await store.messages(c.id, { limit: 1 }))[0]!.body.text).toBe('机密会议-plaintext-marker');
  });

  it('changes a body (edit, recall) under the next rev, keeping seq and place; sealed again; no change takes no rev', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    const first = (await store.append(text(c.id, a, 'draft-plaintext-marker'))).message;
    await store.append(text(c.id, b, 'reply'));
    const before = (await store.get(c.id))!;
    const changed = await store.changeBody(c.id, first.seq, (current) => ({ ...current.body, text: 'final', editedAt: 5 }));
    expect(changed).toMatchObject({ changed: true, message: { id: first.id, seq: 1, rev: before.lastRev + 1, body: { text: 'final', editedAt: 5 } } });
    const after = (await store.get(c.id))!;
    expect([after.lastSeq, after.lastRev, after.updatedAt]).toEqual([before.lastSeq, before.lastRev + 1, before.updatedAt]);
    expect((await store.changedSince(c.id, before.lastRev, 10)).map((m) => m.seq)).toEqual([1]);
    // Nothing to change, no such message, or a refusal: no rev is taken.
    expect(await store.changeBody(c.id, first.seq, () => null)).toMatchObject({ changed: false, message: { body: { text: 'final' } } });
    expect(await store.changeBody(c.id, 99, () => ({ text: 'x' }))).toBeNull();
    await expect(store.changeBody(c.id, first.seq, () => { throw new Error('refused'); })).rejects.toThrow('refused');
    expect((await store.get(c.id))!.lastRev).toBe(before.lastRev + 1);
    const rows = await rawQuery<Record<string, unknown>>(testDb.location, 'select * from messages');
    expect(JSON.stringify(rows, (_k, v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v))).not.toContain('final');
    expect((await store.byId(c.id, first.id))!.body.text).toBe('final');
    expect(await store.byId(uid('cv'), first.id)).toBeNull();
  });

  it('a recall and an edit at once: whichever is second sees the first (the recall is never undone)', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    for (let round = 0; round < 10; round++) {
      const m = (await store.append(text(c.id, a, `m${round}`))).message;
      const edit = () => store.changeBody(c.id, m.seq, (current) => (current.body.recalled ? null : { ...current.body, text: 'edited', editedAt: 1 }));
      const recall = () => store.changeBody(c.id, m.seq, () => ({ recalled: { by: a, at: 2 } }));
      await Promise.all(round % 2 ? [edit(), recall()] : [recall(), edit()]);
      expect((await store.byId(c.id, m.id))!.body).toEqual({ recalled: { by: a, at: 2 } });
    }
  });

  it('hides messages from one person: history without them, hides listed by time, again is a no-op', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    for (let i = 1; i <= 6; i++) await store.append(text(c.id, a, `m${i}`));
    await store.hide(a, c.id, [2, 3], 100);
    await store.hide(a, c.id, [3, 6], 200);
    expect((await store.messages(c.id, { limit: 10, viewerId: a })).map((m) => m.seq)).toEqual([1, 4, 5]);
    expect((await store.messages(c.id, { afterSeq: 1, limit: 2, viewerId: a })).map((m) => m.seq)).toEqual([4, 5]);
    expect((await store.messages(c.id, { limit: 10, viewerId: b })).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await store.hiddenSince(a, 0, 10)).toEqual([
      { conversationId: c.id, seq: 2, at: 100 },
      { conversationId: c.id, seq: 3, at: 100 },
      { conversationId: c.id, seq: 6, at: 200 },
    ]);
    expect(await store.hiddenSince(a, 100, 10)).toEqual([{ conversationId: c.id, seq: 6, at: 200 }]);
    expect(await store.hiddenSince(b, 0, 10)).toEqual([]);
    expect([...(await store.hiddenSeqs(a, c.id, [1, 2, 6]))].sort()).toEqual([2, 6]);
    const last = await store.lastMessages([c.id], a);
    expect([last.get(c.id)!.message.seq, last.get(c.id)!.hidden]).toEqual([6, true]);
    expect((await store.lastMessages([c.id], b)).get(c.id)!.hidden).toBe(false);
  });

  it('lists 2,000 conversations with peers and last messages in a constant number of queries', async () => {
    const db = await testDb.open();
    const store = new ConversationRepository(db);
    const me = uid();
    const peers = Array.from({ length: 2_000 }, () => uid());
    const ids: string[] = [];
    for (let i = 0; i < peers.length; i += 100) {
      ids.push(...(await Promise.all(peers.slice(i, i + 100).map((p, k) => store.openDirect(uid('cv'), me, p, i + k)))).map((c) => c.id));
    }
    const group = await store.createGroup(uid('cv'), me, peers.slice(0, 5), { name: 'G', notice: '', temporary: false }, 10_000);
    // Some have messages: the group's last one is the newest of all.
    for (const id of ids.slice(0, 50)) await store.append(text(id, me, `to ${id}`));
    await store.append(text(group.id, peers[0]!, 'in the group'));
    await store.markRead(ids[0]!, peers[0]!, 1);
    const counted = countingReads(db);
    const reader = new ConversationRepository(counted.db);
    const rows = await reader.overview(me, { limit: 5_000 });
    const last = await reader.lastMessages(rows.map((r) => r.conversation.id), me);
    expect(counted.reads()).toBe(1 + Math.ceil(rows.length / 500));
    expect(rows).toHaveLength(2_001);
    expect(rows[0]!.conversation.id).toBe(group.id);
    expect(rows[0]!.peer).toBeNull();
    const first = rows.find((r) => r.conversation.id === ids[0])!;
    expect(first.peer).toMatchObject({ userId: peers[0], readSeq: 1 });
    expect(first.membership).toMatchObject({ userId: me, readSeq: 1 });
    expect(last.size).toBe(51);
    expect(last.get(group.id)!.message.body.text).toBe('in the group');
    // By ids: the same rows, for those conversations only (someone else's are left out).
    const some = await store.overview(me, { ids: [ids[3]!, group.id, uid('cv')] });
    expect(some.map((r) => r.conversation.id)).toEqual([group.id, ids[3]]);
    expect(await store.overview(me, { ids: [] })).toEqual([]);
  });
});
