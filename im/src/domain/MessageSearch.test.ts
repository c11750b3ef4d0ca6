/**
 * Search in messages over the whole IM domain, on both engines: Chinese
 * 2-character words, English, AND of words, the person's own conversations
 * only, edits, recalls and delete-for-me; the indexer off the send path
 * (live events, backfill after a restart, two indexers racing, a key
 * rotation re-hashing the index).
 */
import type { Principal } from '@muster/accounts';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { waitUntil } from '@muster/kit/testing';
import { describe, expect, it } from 'vitest';
import { Im } from '../Im.ts';
import { ConversationRepository } from '../store/ConversationRepository.ts';
import { SearchIndexRepository } from '../store/SearchIndexRepository.ts';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';
import { SearchIndexer } from './SearchIndexer.ts';
import { snippet } from './MessageSearch.ts';
import { tokenize } from './tokens.ts';

const engines = await testEngines('the PostgreSQL message search tests (im/src/domain/MessageSearch.test.ts)');
let ids = 0;
const clientId = () => `search-${String(++ids).padStart(6, '0')}`;

describe.each(engines)('message search (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  async function world(options: { indexer?: boolean } = {}) {
    const db = await testDb.open();
    const w = await openImTestWorld(db);
    if (options.indexer === false) await w.im.searchIndexer.stop();
    testDb.defer(() => w.im.close());
    const [ann, ben, eve] = [await w.person('Ann'), await w.person('Ben'), await w.person('Eve')];
    await w.befriend(ann, ben);
    await w.befriend(ben, eve);
    const annBen = await w.conversations.openDirect(ann, ben.accountId);
    const benEve = await w.conversations.openDirect(ben, eve.accountId);
    const send = (who: Principal, conversationId: string, text: string) => w.conversations.send(who, conversationId, { clientMsgId: clientId(), text });
    const search = (who: Principal, q: string, more: { conversationId?: string; limit?: number; before?: string; beforeSeq?: number } = {}) => w.im.search.search(who, { q, ...more });
    const seqsFound = async (who: Principal, q: string, more: { conversationId?: string } = {}) => (await search(who, q, more)).results.map((r) => r.seq);
    return { db, ...w, ann, ben, eve, annBen, benEve, send, search, seqsFound };
  }

  it('finds 会议 in 明天的会议改到三点, English case-insensitively, every word (AND), newest first', async () => {
    const { ann, ben, annBen, send, search, seqsFound } = await world();
    await send(ann, annBen.id, '明天的会议改到三点');
    await send(ben, annBen.id, 'The Budget meeting moved to Friday');
    await send(ann, annBen.id, '项目Alpha的会议纪要');
    await waitUntil(async () => (await seqsFound(ben, '项目')).length === 1, 10_000, 'the index to catch up');
    expect(await seqsFound(ann, '会议')).toEqual([3, 1]);
    expect(await seqsFound(ben, '三点')).toEqual([1]);
    expect(await seqsFound(ben, '会议 三点')).toEqual([1]);
    expect(await seqsFound(ben, '会议 alpha')).toEqual([3]);
    expect(await seqsFound(ben, 'ALPHA')).toEqual([3]);
    expect(await seqsFound(ann, 'budget')).toEqual([2]);
    expect(await seqsFound(ann, 'BUDGET friday')).toEqual([2]);
    expect(await seqsFound(ann, 'budget 会议')).toEqual([]);
    expect(await seqsFound(ann, '会')).toEqual([]);
    expect(await seqsFound(ann, '后天')).toEqual([]);
    const [hit] = (await search(ann, '三点')).results;
    expect(hit).toEqual({ id: expect.any(String), conversationId: annBen.id, seq: 1, senderId: ann.accountId, type: 'text', snippet: '明天的会议改到三点', sentAt: expect.any(Number) });
  });

  it('searches only your own conversations: another person’s never matches, and naming it is NOT_FOUND', async () => {
    const { ann, ben, eve, annBen, benEve, send, search, seqsFound } = await world();
    await send(ben, benEve.id, '秘密会议 secret');
    await send(ann, annBen.id, '公开会议 open');
    await waitUntil(async () => (await seqsFound(ben, '会议')).length === 2, 10_000, 'the index to catch up');
    expect((await search(ann, '会议')).results.map((r) => r.conversationId)).toEqual([annBen.id]);
    expect(await seqsFound(ann, 'secret')).toEqual([]);
    expect((await search(eve, '会议')).results.map((r) => r.conversationId)).toEqual([benEve.id]);
    expect(await imErrorCode(search(ann, 'secret', { conversationId: benEve.id }))).toBe('NOT_FOUND');
    expect(await imErrorCode(search(ann, 'secret', { conversationId: 'cvDoesNotExist0' }))).toBe('NOT_FOUND');
    expect((await search(ben, '会议', { conversationId: benEve.id })).results.map((r) => r.conversationId)).toEqual([benEve.id]);
    expect(await imErrorCode(search(ann, '   '))).toBe('BAD_REQUEST');
    expect(await imErrorCode(search(ann, '!!! ... 👍'))).toBe('BAD_REQUEST');
    expect(await imErrorCode(search(ann, 'a b c d e f g h i j k l m n o p q'))).toBe('BAD_REQUEST');
    expect(await imErrorCode(search(ann, '会议', { beforeSeq: 3 }))).toBe('BAD_REQUEST');
    expect(await imErrorCode(search(ann, '会议', { before: 'bm90LWEtY3Vyc29y' }))).toBe('BAD_REQUEST');
  });

  it('an edit loses its old words, a recall all of them; delete-for-me hides it from you only', async () => {
    const { conversations, ann, ben, annBen, send, seqsFound, im } = await world();
    const first = await send(ann, annBen.id, '周五开会 draft');
    const second = await send(ann, annBen.id, '周五聚餐 dinner');
    await waitUntil(async () => (await seqsFound(ben, '周五')).length === 2, 10_000, 'the index to catch up');
    await conversations.edit(ann, annBen.id, first.id, '周六开会 final');
    // Until the index catches up the old word finds nothing stale: candidates are checked against the message.
    expect(await seqsFound(ben, 'draft')).toEqual([]);
    await waitUntil(async () => (await seqsFound(ben, 'final')).length === 1, 10_000, 'the edit indexed');
    expect(await seqsFound(ben, '周六')).toEqual([1]);
    expect(await seqsFound(ben, '周五')).toEqual([2]);
    await conversations.recall(ann, annBen.id, second.id);
    expect(await seqsFound(ben, 'dinner')).toEqual([]);
    await im.searchIndexer.idle();
    await waitUntil(async () => (await im.searchIndexer.lag()).backlog.revsBehind === 0, 10_000, 'the recall indexed');
    expect(await seqsFound(ben, '聚餐')).toEqual([]);
    expect(await seqsFound(ann, 'dinner')).toEqual([]);
    await conversations.hide(ben, annBen.id, [first.id]);
    expect(await seqsFound(ben, '开会')).toEqual([]);
    expect(await seqsFound(ann, '开会')).toEqual([1]);
  });

  it('pages with `next`, and within a conversation with beforeSeq', async () => {
    const { ann, ben, annBen, send, search, im } = await world();
    for (let i = 0; i < 7; i++) await send(i % 2 ? ben : ann, annBen.id, `第${i}次会议 round ${i}`);
    await waitUntil(async () => (await im.searchIndexer.lag()).backlog.revsBehind === 0, 10_000, 'the index to catch up');
    const seen: number[] = [];
    let before: string | undefined;
    for (let page = 0; page < 5; page++) {
      const { results, next } = await search(ann, '会议', { limit: 3, ...(before ? { before } : {}) });
      seen.push(...results.map((r) => r.seq));
      if (next === null) break;
      before = next;
    }
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect((await search(ben, 'round', { conversationId: annBen.id, beforeSeq: 3 })).results.map((r) => r.seq)).toEqual([2, 1]);
  });

  it('indexes off the send path: a restart backfills what was sent while no indexer ran', async () => {
    const { db, t, ann, ben, annBen, send, seqsFound } = await world({ indexer: false });
    await send(ann, annBen.id, '季度预算 review');
    await send(ben, annBen.id, '预算 approved');
    const index = new SearchIndexRepository(db);
    expect(await index.lag()).toMatchObject({ conversations: 1, revsBehind: 2 });
    expect(await seqsFound(ann, '预算')).toEqual([]);
    // Another process starts (same database): its indexer's first sweep is the backfill.
    const again = new Im({ db, accounts: t.accounts, now: t.clock.now });
    testDb.defer(() => again.close());
    await waitUntil(async () => (await again.search.search(ann, { q: '预算' })).results.length === 2, 10_000, 'the backfill');
    expect(await index.lag()).toEqual({ conversations: 0, revsBehind: 0, oldestUnindexedSentAt: null });
    expect(again.searchIndexer.stats()).toMatchObject({ messages: 2, errors: 0 });
  });

  it('closing in the middle of a backfill stops it; the next start finishes it', async () => {
    const { db, t, ann, annBen, send } = await world({ indexer: false });
    for (let i = 0; i < 25; i++) await send(ann, annBen.id, `停止测试 stop${i}`);
    const first = new Im({ db, accounts: t.accounts, now: t.clock.now, search: { batchSize: 5 } });
    await first.close();
    const index = new SearchIndexRepository(db);
    const second = new Im({ db, accounts: t.accounts, now: t.clock.now, search: { batchSize: 5 } });
    testDb.defer(() => second.close());
    await waitUntil(async () => (await index.lag()).revsBehind === 0, 10_000, 'the second start to finish the backfill');
    expect((await second.search.search(ann, { q: '停止测试', limit: 50 })).results).toHaveLength(25);
  });

  it('two indexers racing over the same conversations write each term once', async () => {
    const { db, ann, ben, annBen, benEve, send, search } = await world({ indexer: false });
    for (let i = 0; i < 30; i++) await send(i % 2 ? ben : ann, annBen.id, `消息${i} shared word${i}`);
    for (let i = 0; i < 10; i++) await send(ben, benEve.id, `另一个 shared other${i}`);
    const make = () =>
      new SearchIndexer({ index: new SearchIndexRepository(db), conversations: new ConversationRepository(db), hub: { subscribe: () => () => undefined } as never, logger: db.logger, batchSize: 7, sweepMs: 0 });
    const [one, two] = [make(), make()];
    await Promise.all([one.catchUp(annBen.id), two.catchUp(annBen.id), one.catchUp(benEve.id), two.catchUp(benEve.id), one.catchUp(annBen.id)]);
    const index = new SearchIndexRepository(db);
    // One row per distinct word of each message, whoever wrote it, never twice.
    const words = (texts: string[]) => texts.reduce((n, text) => n + tokenize(text).length, 0);
    expect(await index.countTerms(annBen.id)).toBe(words(Array.from({ length: 30 }, (_, i) => `消息${i} shared word${i}`)));
    expect(await index.countTerms(benEve.id)).toBe(words(Array.from({ length: 10 }, (_, i) => `另一个 shared other${i}`)));
    expect((await index.lag()).revsBehind).toBe(0);
    expect(one.stats().messages + two.stats().messages).toBeGreaterThanOrEqual(40);
    expect((await search(ann, 'shared', { limit: 50 })).results.length).toBe(30);
    expect((await search(ben, 'shared', { limit: 50 })).results.length).toBe(40);
    expect((await search(ben, 'shared', { conversationId: benEve.id, limit: 50 })).results.length).toBe(10);
  });

  it('a key rotation re-hashes the index under the new key; search works throughout', async () => {
    const { db, ann, ben, annBen, send, seqsFound } = await world();
    await send(ann, annBen.id, '旋转密钥 rotation test');
    await send(ben, annBen.id, '密钥 second');
    await waitUntil(async () => (await seqsFound(ann, '密钥')).length === 2, 10_000, 'the index to catch up');
    const index = new SearchIndexRepository(db);
    const oldTerm = index.term('密钥');
    const oldKey = db.sealer.activeKeyId;
    const newKey = await db.rotation.start();
    expect(newKey).not.toBe(oldKey);
    // Old terms still match (every held key's hash is looked up) until the indexer re-hashes them.
    expect((await seqsFound(ann, '密钥')).length).toBe(2);
    // The indexer notices the new active key by itself (within a second) and re-hashes every conversation.
    await waitUntil(async () => (await index.progress(annBen.id))?.keyId === newKey, 10_000, 're-hashed');
    await db.rotation.run();
    expect(db.sealer.keyIds).toEqual([newKey]);
    expect(index.term('密钥')).not.toBe(oldTerm);
    expect((await seqsFound(ann, '密钥')).length).toBe(2);
    expect((await seqsFound(ben, 'rotation')).length).toBe(1);
    expect(await index.countTerms(annBen.id)).toBe(tokenize('旋转密钥 rotation test').length + tokenize('密钥 second').length);
  });

  it('a snippet is the text around the first word found', () => {
    expect(snippet('short', ['short'])).toBe('short');
    const long = `${'前'.repeat(100)}会议${'后'.repeat(100)}`;
    const cut = snippet(long, ['会议']);
    expect(cut.startsWith('…')).toBe(true);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).toContain('会议');
    expect(Array.from(cut).length).toBeLessThanOrEqual(82);
  });
});

