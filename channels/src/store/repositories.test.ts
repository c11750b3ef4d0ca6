/**
 * The channels stores on SQLite and PostgreSQL: accounts with unique names
 * (folded) and their editors; articles published under the daily cap (one
 * write: the count and the insert), listed and searched newest first with
 * a cursor, edited into versions (a lost race says so), deleted out of the
 * feed; subscriptions with pins, the feed and its dot; comments with their
 * visibility, queue filters, one approval each; notices; files' readers;
 * search terms hashed again after a key rotation; and every title,
 * document, comment, reply and notice sealed at rest.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesAtRest, foundAtRest, testEngines, useTestDatabase } from '@muster/db/testing';
import { tokenize } from '@muster/im';
import { ArticleRepository, type NewArticle } from './ArticleRepository.ts';
import { CommentRepository } from './CommentRepository.ts';
import { NoticeRepository } from './NoticeRepository.ts';
import { ServiceAccountRepository } from './ServiceAccountRepository.ts';
import { SubscriptionRepository } from './SubscriptionRepository.ts';
import type { DocumentJson } from '../document/validate.ts';

const engines = await testEngines('the PostgreSQL channels store contract (channels/src/store/repositories.test.ts)');
const uid = (p: string) => `${p}${crypto.randomBytes(12).toString('base64url')}`;
const DAY = 24 * 3600_000;
const textDoc = (text: string): DocumentJson => ({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

function newArticle(serviceAccountId: string, at: number, title: string, text = 'body', fileIds: string[] = []): NewArticle {
  return {
    id: uid('ar'),
    serviceAccountId,
    authorId: 'author1',
    title,
    content: textDoc(text),
    head: { title, summary: text.slice(0, 20), cover: fileIds[0] ?? null },
    fileIds,
    tokens: tokenize(`${title}\n${text}`),
    commentsEnabled: true,
    at,
  };
}

describe.each(engines)('channels stores (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const account = async (store: ServiceAccountRepository, name = `Acct ${crypto.randomBytes(4).toString('hex')}`, editors: string[] = []) => {
    const id = uid('sa');
    expect(await store.create({ id, name, description: 'd', kind: 'subscription', dailyCap: 10, avatarFileId: null, createdAt: 1 }, editors)).toBe('created');
    return id;
  };

  it('keeps account names unique among live accounts (full-width, case and spaces folded), frees a deleted one’s name, and replaces editors', async () => {
    const db = await testDb.open();
    const store = new ServiceAccountRepository(db);
    const id = await account(store, 'Muster  News', ['ann', 'ben', 'ann']);
    expect(await store.editors(id)).toEqual(['ann', 'ben']);
    for (const name of ['muster news', 'Ｍｕｓｔｅｒ Ｎｅｗｓ', ' MUSTER NEWS ']) {
      expect(await store.create({ id: uid('sa'), name, description: '', kind: 'service', dailyCap: 10, avatarFileId: null, createdAt: 2 }, [])).toBe('taken');
    }
    const other = await account(store, 'Other');
    expect(await store.update(other, { name: 'MUSTER news' }, 3)).toBe('taken');
    expect(await store.update(other, { name: 'Other 2', dailyCap: 50, kind: 'service', avatarFileId: 'flAAAAAAAAAAAAAAAAAAAA' }, 3)).toBe('updated');
    expect(await store.get(other)).toMatchObject({ name: 'Other 2', dailyCap: 50, kind: 'service', avatarFileId: 'flAAAAAAAAAAAAAAAAAAAA', updatedAt: 3 });
    expect(await store.isAvatar('flAAAAAAAAAAAAAAAAAAAA')).toBe(true);

    await store.setEditors(id, ['ben', 'cat'], 5);
    expect((await store.editors(id)).sort()).toEqual(['ben', 'cat']);
    expect(await store.isEditor(id, 'ann')).toBe(false);
    expect(await store.editorOf('cat', [id, other, 'saNope'])).toEqual(new Set([id]));

    expect(await store.delete(id, 9)).toBe(true);
    expect(await store.delete(id, 9)).toBe(false);
    expect(await store.get(id)).toBeNull();
    expect(await store.update(id, { description: 'x' }, 10)).toBe('gone');
    expect((await store.list()).map((a) => a.id)).toEqual([other]);
    // The name is free again.
    await account(store, 'Muster News');
  });

  it('publishes once per id, under the daily cap counted over 24 hours (deleted ones too), moving the account’s latest article', async () => {
    const db = await testDb.open();
    const accounts = new ServiceAccountRepository(db);
    const store = new ArticleRepository(db);
    const sa = await account(accounts);
    const cap = { limit: 3, windowMs: DAY };
    const t0 = 1_000_000_000;
    const first = newArticle(sa, t0, 'first');
    const published = await store.publish(first, cap);
    expect(published).toMatchObject({ published: true });
    // A re-run of the same write does nothing twice.
    expect(await store.publish(first, cap)).toEqual({ published: true, rows: 0 });
    await store.publish(newArticle(sa, t0 + 1000, 'second'), cap);
    const third = newArticle(sa, t0 + 2000, 'third');
    await store.publish(third, cap);
    expect(await store.delete(third.id, t0 + 3000)).toBe(true);
    expect(await store.publish(newArticle(sa, t0 + 4000, 'fourth'), cap)).toEqual({ capped: true, retryAt: t0 + DAY });
    expect((await accounts.get(sa))!.latestArticleAt).toBe(t0 + 1000);
    // Past the window of the first, one more goes.
    const later = newArticle(sa, t0 + DAY + 1, 'later');
    expect(await store.publish(later, cap)).toMatchObject({ published: true });
    expect(await accounts.get(sa)).toMatchObject({ latestArticleId: later.id, latestArticleAt: t0 + DAY + 1 });
    expect(await store.publish(newArticle('saGone', t0, 'nowhere'), cap)).toEqual({ gone: true });
  });

  it('lists and searches an account’s articles newest first with a cursor, edits into versions, and deletes out of the feed', async () => {
    const db = await testDb.open();
    const accounts = new ServiceAccountRepository(db);
    const store = new ArticleRepository(db);
    const sa = await account(accounts);
    const other = await account(accounts);
    const cap = { limit: 100, windowMs: DAY };
    const made: NewArticle[] = [];
    for (let i = 0; i < 7; i++) {
      const a = newArticle(sa, 1000 + i * 10, `Title ${i}`, i % 2 === 0 ? `明天的会议改到三点 report ${i}` : `lunch menu ${i}`);
      made.push(a);
      await store.publish(a, cap);
    }
    await store.publish(newArticle(other, 5000, 'Other account', '明天的会议'), cap);
    const page1 = await store.list(sa, undefined, 3);
    expect(page1.map((a) => a.head.title)).toEqual(['Title 6', 'Title 5', 'Title 4']);
    const page2 = await store.list(sa, { at: page1[2]!.publishedAt, id: page1[2]!.id }, 3);
    expect(page2.map((a) => a.head.title)).toEqual(['Title 3', 'Title 2', 'Title 1']);

    const meetings = await store.search(sa, tokenize('会议'), undefined, 10);
    expect(meetings.map((a) => a.head.title)).toEqual(['Title 6', 'Title 4', 'Title 2', 'Title 0']);
    expect((await store.search(sa, tokenize('会议 report 4'), undefined, 10)).map((a) => a.head.title)).toEqual(['Title 4']);
    expect((await store.search(sa, tokenize('会议'), { at: meetings[1]!.publishedAt, id: meetings[1]!.id }, 10)).map((a) => a.head.title)).toEqual(['Title 2', 'Title 0']);
    expect(await store.search(sa, tokenize('nothing-like-this'), undefined, 10)).toEqual([]);
    expect((await store.search(sa, tokenize('title 5'), undefined, 10)).map((a) => a.head.title)).toEqual(['Title 5']);

    // Edits: a new version over the one read; another edit first makes this one "moved".
    const target = made[6]!;
    const edited = await store.edit({ id: target.id, baseVersion: 1, editorId: 'ed', at: 2000, title: 'Renamed', content: textDoc('now about budgets'), head: { title: 'Renamed', summary: 'now', cover: null }, fileIds: [], tokens: tokenize('Renamed\nnow about budgets') });
    expect(edited).toMatchObject({ edited: true, version: 2 });
    expect(await store.edit({ id: target.id, baseVersion: 1, editorId: 'ed', at: 2001, title: 'x', content: textDoc('x'), head: { title: 'x', summary: 'x', cover: null }, fileIds: [], tokens: [] })).toEqual({ moved: true });
    expect(await store.get(target.id)).toMatchObject({ version: 2, editedAt: 2000, head: { title: 'Renamed' } });
    expect((await store.versions(target.id, 10)).map((v) => [v.version, v.title, v.editorId])).toEqual([[2, 'Renamed', 'ed'], [1, 'Title 6', 'author1']]);
    expect((await store.version(target.id, 1))!.content).toEqual(textDoc(`明天的会议改到三点 report 6`));
    // The search follows the edit: the old words are gone, the new ones found.
    expect((await store.search(sa, tokenize('会议'), undefined, 10)).map((a) => a.head.title)).toEqual(['Title 4', 'Title 2', 'Title 0']);
    expect((await store.search(sa, tokenize('budgets'), undefined, 10)).map((a) => a.id)).toEqual([target.id]);

    // Deleting the newest article moves the account's latest back to the one before.
    expect((await accounts.get(sa))!.latestArticleId).toBe(target.id);
    expect(await store.delete(target.id, 3000)).toBe(true);
    expect(await store.get(target.id)).toBeNull();
    expect(await accounts.get(sa)).toMatchObject({ latestArticleId: made[5]!.id, latestArticleAt: made[5]!.at });
    expect(await store.search(sa, tokenize('budgets'), undefined, 10)).toEqual([]);
    expect(await store.edit({ id: target.id, baseVersion: 2, editorId: 'ed', at: 3001, title: 'x', content: textDoc('x'), head: { title: 'x', summary: 'x', cover: null }, fileIds: [], tokens: [] })).toEqual({ gone: true });
    expect(await store.setCommentsEnabled(target.id, false)).toBe(false);
    expect(await store.setCommentsEnabled(made[5]!.id, false)).toBe(true);
    expect((await store.get(made[5]!.id))!.commentsEnabled).toBe(false);
  });

  it('answers who may read a file: anyone for a live article’s current version or an avatar, editors for older versions and deleted articles', async () => {
    const db = await testDb.open();
    const accounts = new ServiceAccountRepository(db);
    const store = new ArticleRepository(db);
    const sa = await account(accounts, undefined, ['ed']);
    const [kept, replaced, none] = ['flKEPTKEPTKEPTKEPTKEPT', 'flOLDOLDOLDOLDOLDOLDOL', 'flNONENONENONENONENONE'];
    const a = newArticle(sa, 10, 'with files', 'x', [kept, replaced]);
    await store.publish(a, { limit: 10, windowMs: DAY });
    expect(await store.fileUse(replaced)).toEqual({ public: true, editorsOf: [] });
    await store.edit({ id: a.id, baseVersion: 1, editorId: 'ed', at: 20, title: 't', content: textDoc('x'), head: { title: 't', summary: 'x', cover: kept }, fileIds: [kept], tokens: [] });
    expect(await store.fileUse(kept)).toEqual({ public: true, editorsOf: [] });
    expect(await store.fileUse(replaced)).toEqual({ public: false, editorsOf: [sa] });
    expect(await store.fileUse(none)).toEqual({ public: false, editorsOf: [] });
    await store.delete(a.id, 30);
    expect(await store.fileUse(kept)).toEqual({ public: false, editorsOf: [sa] });
    await accounts.delete(sa, 40);
    expect(await store.fileUse(kept)).toEqual({ public: false, editorsOf: [] });
  });

  it('hashes an article’s terms again after a key rotation, and finds it throughout', async () => {
    const db = await testDb.open();
    const accounts = new ServiceAccountRepository(db);
    const store = new ArticleRepository(db);
    const sa = await account(accounts);
    const a = newArticle(sa, 10, 'Rotation notes', 'quarterly figures');
    await store.publish(a, { limit: 10, windowMs: DAY });
    const oldKey = store.activeKeyId;
    await db.rotation.start();
    expect(store.activeKeyId).not.toBe(oldKey);
    // Both keys held: the old terms are found through the candidates.
    expect((await store.search(sa, tokenize('quarterly'), undefined, 10)).map((x) => x.id)).toEqual([a.id]);
    expect(await store.staleTerms(sa, store.activeKeyId, 10)).toEqual([{ id: a.id, version: 1 }]);
    expect(await store.rehash(a.id, 1, tokenize('Rotation notes\nquarterly figures'))).toBe(true);
    expect(await store.rehash(a.id, 7, [])).toBe(false);
    expect(await store.staleTerms(sa, store.activeKeyId, 10)).toEqual([]);
    await db.rotation.run();
    // The old key is gone: the terms under the new one still find it.
    expect((await store.search(sa, tokenize('quarterly figures'), undefined, 10)).map((x) => x.id)).toEqual([a.id]);
  });

  it('subscribes once, pins and places, lists the feed with the newest article and a dot that opening clears', async () => {
    const db = await testDb.open();
    const accounts = new ServiceAccountRepository(db);
    const articles = new ArticleRepository(db);
    const store = new SubscriptionRepository(db);
    const [a, b, c] = [await account(accounts, 'Alpha'), await account(accounts, 'Bravo'), await account(accounts, 'Charlie')];
    expect(await store.subscribe('ann', a, 100)).toBe(true);
    expect(await store.subscribe('ann', a, 101)).toBe(false);
    await store.subscribe('ann', b, 100);
    await store.subscribe('ann', c, 100);
    await store.subscribeMany(['ben', 'cat', 'ann'], a, 100);
    expect(await store.count(a)).toBe(3);
    expect(await store.subscribedAmong('ann', [a, b, 'saX'])).toEqual(new Set([a, b]));
    expect(await store.summary('ann')).toEqual({ dot: false, latest: null });

    const news = newArticle(b, 200, 'Bravo news', 'hello');
    await articles.publish(news, { limit: 10, windowMs: DAY });
    const feed = await store.feed('ann');
    const bravo = feed.find((f) => f.serviceAccountId === b)!;
    expect(bravo).toMatchObject({ name: 'Bravo', latestArticleAt: 200, seenAt: 100, latest: { articleId: news.id, head: { title: 'Bravo news' }, publishedAt: 200 } });
    expect(feed.find((f) => f.serviceAccountId === a)!.latest).toBeNull();
    expect(await store.summary('ann')).toEqual({ dot: true, latest: { serviceAccountId: b, name: 'Bravo', articleId: news.id, head: news.head, publishedAt: 200 } });
    await store.markSeen('ann', b, 200, 300);
    expect((await store.get('ann', b))!.seenAt).toBe(300);
    // Seen already: no change (the read costs no write).
    await store.markSeen('ann', b, 200, 400);
    expect((await store.get('ann', b))!.seenAt).toBe(300);
    expect((await store.summary('ann')).dot).toBe(false);

    expect(await store.arrange('ann', c, { pinned: true })).toBe(true);
    expect(await store.arrange('ann', a, { pinned: true })).toBe(true);
    const pinned = (await store.feed('ann')).filter((f) => f.pinned);
    // Pinned without a position: before the ones pinned already.
    expect(Object.fromEntries(pinned.map((f) => [f.serviceAccountId, f.position]))).toEqual({ [c]: 0, [a]: -1 });
    expect(await store.arrange('ann', c, { position: -5 })).toBe(true);
    expect((await store.get('ann', c))!.position).toBe(-5);
    expect(await store.arrange('ann', 'saNope', { pinned: true })).toBe(false);
    expect(await store.unsubscribe('ann', c)).toBe(true);
    expect(await store.unsubscribe('ann', c)).toBe(false);
    await accounts.delete(b, 500);
    expect((await store.feed('ann')).map((f) => f.serviceAccountId)).toEqual([a]);
    expect(await store.summary('ann')).toEqual({ dot: false, latest: null });
  });

  it('shows comments to whom they are visible, pinned first then newest, filters the queue, approves once, deletes the text', async () => {
    const db = await testDb.open();
    const store = new CommentRepository(db);
    const [sa, art] = [uid('sa'), uid('ar')];
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = uid('cm');
      ids.push(id);
      await store.create({ id, articleId: art, serviceAccountId: sa, authorId: i === 4 ? 'ben' : 'ann', text: `comment ${i}`, reasons: i === 1 ? ['keyword: spam'] : [], flagged: i === 1, createdAt: 100 + i });
    }
    expect(await store.approve(ids[0]!, 200)).toBe(true);
    expect(await store.approve(ids[0]!, 201)).toBe(false);
    await store.approve(ids[2]!, 200);
    await store.approve(ids[3]!, 200);
    expect(await store.pin(ids[1]!, true)).toBe(false);
    expect(await store.pin(ids[0]!, true)).toBe(true);
    const texts = (list: { text: string }[]) => list.map((c) => c.text);
    // Ben sees approved ones and his own pending one; a stranger only approved ones; editors all.
    expect(texts(await store.forArticle(art, { viewerId: 'ben' }, undefined, 10))).toEqual(['comment 0', 'comment 4', 'comment 3', 'comment 2']);
    expect(texts(await store.forArticle(art, { viewerId: 'cat' }, undefined, 10))).toEqual(['comment 0', 'comment 3', 'comment 2']);
    expect(texts(await store.forArticle(art, { viewerId: null }, undefined, 10))).toEqual(['comment 0', 'comment 3', 'comment 2']);
    const all = await store.forArticle(art, { all: true }, undefined, 2);
    expect(texts(all)).toEqual(['comment 0', 'comment 4']);
    const last = all[1]!;
    expect(texts(await store.forArticle(art, { all: true }, { pinned: last.pinned, at: last.createdAt, id: last.id }, 10))).toEqual(['comment 3', 'comment 2', 'comment 1']);

    expect(texts(await store.queue(sa, { state: 'pending', limit: 10 }))).toEqual(['comment 4', 'comment 1']);
    expect(await store.queue(sa, { flagged: true, limit: 10 })).toMatchObject([{ text: 'comment 1', reasons: ['keyword: spam'], flagged: true }]);
    expect(texts(await store.queue(sa, { state: 'approved', articleId: art, limit: 2 }))).toEqual(['comment 3', 'comment 2']);
    expect(texts(await store.queue(sa, { before: { at: 102, id: ids[2]! }, limit: 10 }))).toEqual(['comment 1', 'comment 0']);
    expect(await store.queue(sa, { articleId: uid('ar'), limit: 10 })).toEqual([]);

    expect(await store.reply(ids[2]!, { text: 'thanks', at: 300 })).toBe(true);
    expect((await store.get(ids[2]!))!.reply).toEqual({ text: 'thanks', at: 300 });
    expect(await store.reply(ids[2]!, null)).toBe(true);
    expect((await store.get(ids[2]!))!.reply).toBeNull();
    expect(await store.delete(ids[0]!, 400)).toBe(true);
    expect(await store.delete(ids[0]!, 400)).toBe(false);
    expect(await store.get(ids[0]!)).toBeNull();
    expect(await store.reply(ids[0]!, { text: 'x', at: 1 })).toBe(false);
  });

  it('keeps notices per person: newest first, unread counted, only one’s own marked read', async () => {
    const store = new NoticeRepository(await testDb.open());
    const ids = [uid('cn'), uid('cn'), uid('cn')];
    for (const [i, id] of ids.entries()) await store.add({ id, accountId: i < 2 ? 'ann' : 'ben', kind: i === 1 ? 'comment-deleted' : 'comment-approved', articleId: 'ar1', commentId: `cm${i}`, excerpt: `excerpt ${i}`, at: 10 + i });
    expect((await store.list('ann', undefined, 10)).map((n) => [n.kind, n.excerpt])).toEqual([['comment-deleted', 'excerpt 1'], ['comment-approved', 'excerpt 0']]);
    expect((await store.list('ann', { at: 11, id: ids[1]! }, 10)).map((n) => n.id)).toEqual([ids[0]]);
    expect(await store.unread('ann')).toBe(2);
    expect(await store.markRead('ann', [ids[2]!, ids[0]!], 50)).toBe(1);
    expect(await store.unread('ann')).toBe(1);
    expect(await store.unread('ben')).toBe(1);
    expect(await store.markRead('ann', undefined, 60)).toBe(1);
    expect((await store.list('ann', undefined, 10)).map((n) => n.readAt)).toEqual([60, 50]);
  });

  it('seals titles, documents, comments, replies, reasons and notices at rest; search terms are keyed hashes', async () => {
    const db = await testDb.open();
    const accounts = new ServiceAccountRepository(db);
    const articles = new ArticleRepository(db);
    const comments = new CommentRepository(db);
    const notices = new NoticeRepository(db);
    const marker = (what: string) => `${what}marker${crypto.randomBytes(5).toString('hex')}`;
    const [title, body, edit, comment, reason, reply, excerpt] = ['title', 'body', 'edit', 'comment', 'reason', 'reply', 'excerpt'].map(marker) as [string, string, string, string, string, string, string];
    const sa = await account(accounts);
    const a = newArticle(sa, 10, title, `text ${body}`);
    await articles.publish(a, { limit: 10, windowMs: DAY });
    await articles.edit({ id: a.id, baseVersion: 1, editorId: 'ed', at: 20, title, content: textDoc(edit), head: { title, summary: edit, cover: null }, fileIds: [], tokens: tokenize(edit) });
    const cm = uid('cm');
    await comments.create({ id: cm, articleId: a.id, serviceAccountId: sa, authorId: 'ann', text: comment, reasons: [reason], flagged: true, createdAt: 30 });
    await comments.reply(cm, { text: reply, at: 40 });
    await notices.add({ id: uid('cn'), accountId: 'ann', kind: 'comment-approved', articleId: a.id, commentId: cm, excerpt, at: 50 });
    expect((await articles.search(sa, tokenize(edit), undefined, 10)).map((x) => x.id)).toEqual([a.id]);
    await db.writer.whenIdle();
    const location = testDb.location;
    await db.close();
    for (const [where, bytes] of await bytesAtRest(engine, location, db)) {
      for (const secret of [title, body, edit, comment, reason, reply, excerpt]) expect(foundAtRest(bytes, secret), `${secret} in ${where}`).toBe(false);
    }
  });
});
