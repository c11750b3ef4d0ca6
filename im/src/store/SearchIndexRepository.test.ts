/** The search index store's contract on SQLite and PostgreSQL: hashed terms, AND, scope, compare-and-set batches, backlog. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rawQuery, testEngines, useTestDatabase } from '@muster/db/testing';
import { ConversationRepository } from './ConversationRepository.ts';
import { SearchIndexRepository } from './SearchIndexRepository.ts';

const engines = await testEngines('the PostgreSQL search index store contract (im/src/store/SearchIndexRepository.test.ts)');
const uid = (p = 'u') => `${p}${crypto.randomBytes(6).toString('hex')}`;

describe.each(engines)('search index store (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  async function setUp() {
    const db = await testDb.open();
    const store = new ConversationRepository(db);
    const index = new SearchIndexRepository(db);
    const [a, b, c] = [uid(), uid(), uid()];
    const ab = await store.openDirect(uid('cv'), a, b, 1);
    const bc = await store.openDirect(uid('cv'), b, c, 1);
    let clock = 1_000;
    const send = async (conversationId: string, senderId: string, text: string) =>
      (await store.append({ id: uid('msg'), conversationId, senderId, clientMsgId: uid('c'), type: 'text', body: { text }, sentAt: clock++ })).message;
    return { db, store, index, a, b, c, ab, bc, send };
  }

  it('stores keyed hashes of tokens, never the words, and finds messages having every token', async () => {
    const { db, index, a, b, ab, send } = await setUp();
    const m1 = await send(ab.id, a, 'x');
    const m2 = await send(ab.id, b, 'y');
    const m3 = await send(ab.id, a, 'z');
    const key = index.activeKeyId;
    expect(
      await index.apply(ab.id, null, { indexedRev: 3, keyId: key }, [
        { seq: m1.seq, tokens: ['明天', '会议', 'alpha'] },
        { seq: m2.seq, tokens: ['会议', 'budget'] },
        { seq: m3.seq, tokens: ['alpha', 'alpha'] },
      ], 5),
    ).toBe(true);
    expect(await index.countTerms(ab.id)).toBe(6);
    const terms = (await rawQuery(testDb.location, 'select term from message_terms')).map((r) => String(r.term));
    expect(terms.some((t) => /会议|alpha|budget|明天/.test(t))).toBe(false);
    expect(terms.every((t) => /^[A-Za-z0-9_-]{16}$/.test(t))).toBe(true);
    // The same token is the same term in every conversation (one hash to look up), under the active key.
    expect(terms).toContain(index.term('会议'));

    const find = async (userId: string, tokens: string[], more: object = {}) => (await index.search({ userId, tokens, limit: 10, ...more })).map((h) => h.seq);
    expect(await find(a, ['会议'])).toEqual([2, 1]);
    expect(await find(a, ['会议', 'alpha'])).toEqual([1]);
    expect(await find(a, ['alpha'])).toEqual([3, 1]);
    expect(await find(a, ['会议', 'nothing'])).toEqual([]);
    expect(await find(b, ['会议'], { conversationId: ab.id, beforeSeq: 2 })).toEqual([1]);
    expect(await find(a, ['会议'], { limit: 1 })).toEqual([2]);
    const [newest] = await index.search({ userId: a, tokens: ['会议'], limit: 1 });
    expect(await find(a, ['会议'], { before: newest })).toEqual([1]);
    expect(newest).toMatchObject({ conversationId: ab.id, seq: 2, sentAt: 1_001 });
    expect(await index.progress(ab.id)).toEqual({ indexedRev: 3, keyId: key });
    await db.close();
  });

  it('searches only the conversations the person is in, without what they deleted for themselves', async () => {
    const { store, index, a, b, c, ab, bc, send } = await setUp();
    const mine = await send(ab.id, a, 'x');
    const theirs = await send(bc.id, c, 'x');
    const key = index.activeKeyId;
    await index.apply(ab.id, null, { indexedRev: 1, keyId: key }, [{ seq: mine.seq, tokens: ['secret'] }], 1);
    await index.apply(bc.id, null, { indexedRev: 1, keyId: key }, [{ seq: theirs.seq, tokens: ['secret'] }], 1);
    const find = async (userId: string, more: object = {}) => (await index.search({ userId, tokens: ['secret'], limit: 10, ...more })).map((h) => h.conversationId).sort();
    expect(await find(a)).toEqual([ab.id]);
    expect(await find(c)).toEqual([bc.id]);
    expect(await find(b)).toEqual([ab.id, bc.id].sort());
    expect(await find(a, { conversationId: bc.id })).toEqual([]);
    expect(await find(uid())).toEqual([]);
    await store.hide(b, ab.id, [mine.seq], 9);
    expect(await find(b)).toEqual([bc.id]);
    expect(await find(a)).toEqual([ab.id]);
  });

  it('a batch replaces the terms of its messages: an edit loses its old words, a recall all of them', async () => {
    const { index, a, ab, send } = await setUp();
    const m = await send(ab.id, a, 'x');
    const key = index.activeKeyId;
    await index.apply(ab.id, null, { indexedRev: 1, keyId: key }, [{ seq: m.seq, tokens: ['old', 'kept'] }], 1);
    await index.apply(ab.id, { indexedRev: 1, keyId: key }, { indexedRev: 2, keyId: key }, [{ seq: m.seq, tokens: ['new', 'kept'] }], 2);
    const find = async (token: string) => (await index.search({ userId: a, tokens: [token], limit: 10 })).length;
    expect([await find('old'), await find('new'), await find('kept')]).toEqual([0, 1, 1]);
    await index.apply(ab.id, { indexedRev: 2, keyId: key }, { indexedRev: 3, keyId: key }, [{ seq: m.seq, tokens: [] }], 3);
    expect([await find('new'), await find('kept')]).toEqual([0, 0]);
    expect(await index.countTerms(ab.id)).toBe(0);
  });

  it('batches are compare-and-set: of two indexers racing from the same progress one writes, the other nothing', async () => {
    const { index, a, ab, send } = await setUp();
    const seqs = [];
    for (let i = 0; i < 5; i++) seqs.push((await send(ab.id, a, `m${i}`)).seq);
    const key = index.activeKeyId;
    const batch = seqs.map((seq) => ({ seq, tokens: ['same', `t${seq}`] }));
    const first = await Promise.all([
      index.apply(ab.id, null, { indexedRev: 5, keyId: key }, batch, 1),
      index.apply(ab.id, null, { indexedRev: 5, keyId: key }, batch, 1),
    ]);
    expect(first.sort()).toEqual([false, true]);
    const again = await Promise.all([
      index.apply(ab.id, { indexedRev: 5, keyId: key }, { indexedRev: 6, keyId: key }, batch, 2),
      index.apply(ab.id, { indexedRev: 5, keyId: key }, { indexedRev: 7, keyId: key }, [{ seq: 1, tokens: ['other'] }], 2),
    ]);
    expect(again.filter(Boolean)).toHaveLength(1);
    // A stale writer never overwrites a later one.
    expect(await index.apply(ab.id, { indexedRev: 0, keyId: key }, { indexedRev: 9, keyId: key }, [{ seq: 1, tokens: ['stale'] }], 3)).toBe(false);
    expect((await index.search({ userId: a, tokens: ['stale'], limit: 5 })).length).toBe(0);
    const progress = await index.progress(ab.id);
    expect([6, 7]).toContain(progress!.indexedRev);
    expect(await index.countTerms(ab.id)).toBe(progress!.indexedRev === 6 ? 10 : 9);
  });

  it('lists the conversations behind, with their backlog, and forgets a conversation', async () => {
    const { index, a, b, ab, bc, send } = await setUp();
    await send(ab.id, a, 'x');
    await send(ab.id, a, 'y');
    await send(bc.id, b, 'z');
    const behind = await index.behind(10);
    expect(behind.map((x) => x.conversationId).sort()).toEqual([ab.id, bc.id].sort());
    expect(behind.find((x) => x.conversationId === ab.id)).toMatchObject({ lastRev: 2, progress: null });
    expect(await index.lag()).toEqual({ conversations: 2, revsBehind: 3, oldestUnindexedSentAt: 1_000 });
    const key = index.activeKeyId;
    await index.apply(ab.id, null, { indexedRev: 2, keyId: key }, [{ seq: 1, tokens: ['x'] }, { seq: 2, tokens: ['y'] }], 1);
    expect((await index.behind(10)).map((x) => x.conversationId)).toEqual([bc.id]);
    expect(await index.lag()).toEqual({ conversations: 1, revsBehind: 1, oldestUnindexedSentAt: 1_002 });
    // Terms hashed under a key that is no longer the active one are behind as a whole.
    await index.apply(bc.id, null, { indexedRev: 1, keyId: 'feedbeef' }, [{ seq: 1, tokens: ['z'] }], 1);
    expect((await index.behind(10)).map((x) => x.conversationId)).toEqual([bc.id]);
    expect((await index.lag()).revsBehind).toBe(1);
    await index.forget(ab.id);
    expect([await index.countTerms(ab.id), await index.progress(ab.id)]).toEqual([0, null]);
  });
});
