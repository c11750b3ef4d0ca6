/**
 * The Moments stores on SQLite and PostgreSQL: posts with their files and
 * search terms (pages newest first with a stable cursor, narrowed by IM's
 * contacts and blocks, a post's files found by file id, soft deletion with
 * its audit entry and reports, terms re-hashed compare-and-set), likes,
 * comments (metadata apart from sealed texts), notices, reports and the
 * feed's seen time; and nothing written in plaintext at rest.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesAtRest, foundAtRest, rawQuery, testEngines, useTestDatabase } from '@muster/db/testing';
import { ContactRepository, tokenize } from '@muster/im';
import type { Database } from '@muster/db';
import { CommentRepository } from './CommentRepository.ts';
import { FeedSeenRepository } from './FeedSeenRepository.ts';
import { LikeRepository } from './LikeRepository.ts';
import { MomentRepository, type MomentPageQuery } from './MomentRepository.ts';
import { NoticeRepository } from './NoticeRepository.ts';
import { ReportRepository } from './ReportRepository.ts';
import type { Visibility } from '../protocol.ts';

const engines = await testEngines('the PostgreSQL Moments store contract (moments/src/store/repositories.test.ts)');
const uid = (p = 'u') => `${p}${crypto.randomBytes(8).toString('hex')}`;
const momentId = () => `mo${crypto.randomBytes(16).toString('base64url')}`;
const fileId = () => `fl${crypto.randomBytes(18).toString('base64url')}`;

async function befriend(db: Database, a: string, b: string): Promise<void> {
  const contacts = new ContactRepository(db);
  const id = uid('fr');
  await contacts.putRequest({ id, fromId: a, toId: b, state: 'pending', greeting: null, createdAt: 1, updatedAt: 1, expiresAt: 10 ** 12 });
  await contacts.settle(id, 'accepted', 2);
}

describe.each(engines)('Moments stores (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const post = async (store: MomentRepository, authorId: string, visibility: Visibility, at: number, text: string | null = `post at ${at}`, fileIds: string[] = []) => {
    const id = momentId();
    await store.create({ id, authorId, visibility, text, location: text === null ? null : '北京', fileIds, createdAt: at }, text === null ? [] : tokenize(text));
    return id;
  };

  it('stores a post with its files in order and opens it back; pages newest first with a stable cursor, ties by id', async () => {
    const db = await testDb.open();
    const store = new MomentRepository(db);
    const ann = uid();
    const files = [fileId(), fileId(), fileId()];
    const first = await post(store, ann, 'all', 100, '第一条 first', files);
    expect(await store.get(first)).toEqual({
      id: first,
      authorId: ann,
      visibility: 'all',
      text: '第一条 first',
      location: '北京',
      fileIds: files,
      createdAt: 100,
      updatedAt: 100,
      deletedAt: null,
      deletedBy: null,
      termsKey: db.sealer.activeKeyId,
    });
    expect(await store.get(momentId())).toBeNull();
    // Five at one instant, two later: a page boundary inside the tie keeps every post exactly once.
    const ids = [first];
    for (let i = 0; i < 5; i++) ids.push(await post(store, ann, 'all', 200));
    ids.push(await post(store, ann, 'all', 300), await post(store, ann, 'all', 400));
    const seen: string[] = [];
    let before: MomentPageQuery['before'];
    for (;;) {
      const page = await store.page({ viewerId: ann, scope: { kind: 'author', authorId: ann }, ...(before ? { before } : {}), limit: 3 });
      seen.push(...page.map((p) => p.id));
      if (page.length < 3) break;
      before = { createdAt: page.at(-1)!.createdAt, id: page.at(-1)!.id };
    }
    expect(seen).toHaveLength(ids.length);
    expect(new Set(seen)).toEqual(new Set(ids));
    const times = (await store.getMany(seen)).map((p) => [p.id, p.createdAt] as const);
    const at = new Map(times);
    expect(seen.map((id) => at.get(id))).toEqual([400, 300, 200, 200, 200, 200, 200, 100]);
    expect((await store.page({ viewerId: ann, scope: { kind: 'all' }, since: 250, limit: 10 })).map((p) => p.createdAt)).toEqual([400, 300]);
  });

  it('narrows pages to what the viewer may see: own, all, friends of contacts, never across a block either way; the friends scope is contacts’ posts', async () => {
    const db = await testDb.open();
    const store = new MomentRepository(db);
    const contacts = new ContactRepository(db);
    const [ann, ben, cat, dan] = [uid(), uid(), uid(), uid()];
    await befriend(db, ann, ben);
    await befriend(db, ann, dan);
    const p = {
      annAll: await post(store, ann, 'all', 1),
      annFriends: await post(store, ann, 'friends', 2),
      annPrivate: await post(store, ann, 'private', 3),
      catAll: await post(store, cat, 'all', 4),
      catFriends: await post(store, cat, 'friends', 5),
      benPrivate: await post(store, ben, 'private', 6),
      danFriends: await post(store, dan, 'friends', 7),
    };
    const ids = async (viewerId: string, scope: MomentPageQuery['scope']) => new Set((await store.page({ viewerId, scope, limit: 50 })).map((m) => m.id));
    expect(await ids(ann, { kind: 'all' })).toEqual(new Set([p.annAll, p.annFriends, p.annPrivate, p.catAll, p.danFriends]));
    expect(await ids(ben, { kind: 'all' })).toEqual(new Set([p.annAll, p.annFriends, p.catAll, p.benPrivate]));
    expect(await ids(cat, { kind: 'all' })).toEqual(new Set([p.annAll, p.catAll, p.catFriends]));
    expect(await ids(ben, { kind: 'friends' })).toEqual(new Set([p.annAll, p.annFriends]));
    expect(await ids(ann, { kind: 'friends' })).toEqual(new Set([p.danFriends]));
    expect(await ids(ben, { kind: 'author', authorId: ann })).toEqual(new Set([p.annAll, p.annFriends]));
    expect(await ids(ann, { kind: 'author', authorId: ann })).toEqual(new Set([p.annAll, p.annFriends, p.annPrivate]));
    // Ann blocks Ben: nothing of hers for him, nothing of his for her. Cat blocks Ann: likewise.
    await contacts.block(ann, ben, 10);
    await contacts.block(cat, ann, 10);
    expect(await ids(ben, { kind: 'all' })).toEqual(new Set([p.catAll, p.benPrivate]));
    expect(await ids(ann, { kind: 'all' })).toEqual(new Set([p.annAll, p.annFriends, p.annPrivate, p.danFriends]));
    expect(await ids(cat, { kind: 'author', authorId: ann })).toEqual(new Set());
  });

  it('finds posts by every word through hashed terms (any held key), finds a post’s files by file id, and deletes softly with its audit entry and reports', async () => {
    const db = await testDb.open();
    const store = new MomentRepository(db);
    const reports = new ReportRepository(db);
    const [ann, admin] = [uid(), uid()];
    const [image, other] = [fileId(), fileId()];
    const meeting = await post(store, ann, 'all', 1, '明天的会议改到三点', [image]);
    await post(store, ann, 'all', 2, '会议 cancelled');
    const search = async (...words: string[]) => (await store.page({ viewerId: ann, scope: { kind: 'all' }, terms: words.map((w) => store.termCandidates(w)), limit: 10 })).map((m) => m.id);
    expect(await search('会议')).toHaveLength(2);
    expect(await search('会议', '三点')).toEqual([meeting]);
    expect(await search('nothing')).toEqual([]);
    expect((await store.termsOf(meeting)).sort()).toEqual([...new Set(tokenize('明天的会议改到三点').map((t) => store.term(t)))].sort());
    expect((await store.carrying(image)).map((m) => m.id)).toEqual([meeting]);
    expect(await store.carrying(other)).toEqual([]);

    expect(await store.setVisibility(meeting, uid(), 'private', 5)).toBe(false);
    expect(await store.setVisibility(meeting, ann, 'friends', 5)).toBe(true);
    expect((await store.get(meeting))!.visibility).toBe('friends');

    const reported = await reports.add({ id: uid('mr'), momentId: meeting, reporterId: uid(), reason: '广告 spam', createdAt: 6 });
    expect(reported.created).toBe(true);
    const auditBefore = (await db.audit.read({ limit: 1000 })).length;
    expect(await store.remove(meeting, { by: admin, at: 7, resolveReports: true, audit: { actor: admin, action: 'moment.remove', target: meeting, details: { authorId: ann } } })).toEqual({ removed: true, reportsResolved: 1 });
    expect(await store.remove(meeting, { by: admin, at: 8 })).toEqual({ removed: false, reportsResolved: 0 });
    const audit = await db.audit.read({ limit: 1000 });
    expect(audit).toHaveLength(auditBefore + 1);
    expect(audit.at(-1)).toMatchObject({ actor: admin, action: 'moment.remove', target: meeting });
    expect(await store.get(meeting)).toMatchObject({ deletedAt: 7, deletedBy: admin, termsKey: null });
    expect(await store.carrying(image)).toEqual([]);
    expect(await search('会议', '三点')).toEqual([]);
    expect(await store.termsOf(meeting)).toEqual([]);
    expect(await store.page({ viewerId: ann, scope: { kind: 'author', authorId: ann }, limit: 10 })).toHaveLength(1);
    expect(await reports.get(reported.id)).toMatchObject({ state: 'resolved', resolution: 'remove', resolvedBy: admin, resolvedAt: 7 });
    expect(await store.setVisibility(meeting, ann, 'all', 9)).toBe(false);
  });

  it('re-hashes a post’s terms under the active key after a rotation, compare-and-set', async () => {
    const db = await testDb.open();
    const store = new MomentRepository(db);
    const ann = uid();
    const id = await post(store, ann, 'all', 1, '旋转密钥 rotation');
    const comments = new CommentRepository(db);
    const reports = new ReportRepository(db);
    const comment = { id: uid('mc'), momentId: id, authorId: ann, replyTo: null, replyToAuthor: null, text: '评论 before the rotation', createdAt: 2 };
    await comments.add(comment);
    const report = await reports.add({ id: uid('mr'), momentId: id, reporterId: uid(), reason: '理由 before the rotation', createdAt: 3 });
    const oldKey = db.sealer.activeKeyId;
    const newKey = await db.rotation.start();
    expect((await store.staleTerms(newKey, 10)).map((m) => m.id)).toEqual([id]);
    // Both keys are held: the old terms still match.
    expect(await store.page({ viewerId: ann, scope: { kind: 'all' }, terms: [store.termCandidates('密钥')], limit: 5 })).toHaveLength(1);
    expect(await store.rehash(id, newKey, tokenize('旋转密钥 rotation'))).toBe(false);
    expect(await store.rehash(id, oldKey, tokenize('旋转密钥 rotation'))).toBe(true);
    expect(await store.rehash(id, oldKey, tokenize('旋转密钥 rotation'))).toBe(false);
    expect(await store.staleTerms(newKey, 10)).toEqual([]);
    await db.rotation.run();
    expect(db.sealer.keyIds).toEqual([newKey]);
    // Every sealed value was re-sealed under the new key, bound to the same row ids: they all open.
    expect((await store.get(id))!).toMatchObject({ termsKey: newKey, text: '旋转密钥 rotation', location: '北京' });
    expect(await comments.get(comment.id)).toEqual(comment);
    expect((await reports.get(report.id))!.reason).toBe('理由 before the rotation');
    expect(await store.page({ viewerId: ann, scope: { kind: 'all' }, terms: [store.termCandidates('密钥'), store.termCandidates('rotation')], limit: 5 })).toHaveLength(1);
  });

  it('keeps one like per person, comments with sealed texts apart from their metadata, and deletes the notices that go with them', async () => {
    const db = await testDb.open();
    const likes = new LikeRepository(db);
    const comments = new CommentRepository(db);
    const notices = new NoticeRepository(db);
    const [m1, m2] = [momentId(), momentId()];
    const [ann, ben] = [uid(), uid()];
    expect(await likes.like(m1, ben, 5)).toBe(true);
    expect(await likes.like(m1, ben, 6)).toBe(false);
    expect(await likes.like(m1, ann, 4)).toBe(true);
    expect(await likes.like(m2, ann, 7)).toBe(true);
    expect(await likes.forMoments([m1, m2, momentId()])).toEqual(
      new Map([
        [m1, [{ momentId: m1, accountId: ann, at: 4 }, { momentId: m1, accountId: ben, at: 5 }]],
        [m2, [{ momentId: m2, accountId: ann, at: 7 }]],
      ]),
    );
    await notices.add({ id: uid('mn'), recipientId: ann, kind: 'like', momentId: m1, actorId: ben, commentId: null, createdAt: 5, readAt: null });
    expect(await likes.has(m1, ben)).toBe(true);
    expect(await likes.unlike(m1, ben)).toBe(true);
    expect(await likes.unlike(m1, ben)).toBe(false);
    expect(await likes.has(m1, ben)).toBe(false);
    expect(await notices.page(ann, { limit: 10 })).toEqual([]);

    const c1 = { id: uid('mc'), momentId: m1, authorId: ben, replyTo: null, replyToAuthor: null, text: '好看！\n第二行', createdAt: 10 };
    const c2 = { id: uid('mc'), momentId: m1, authorId: ann, replyTo: c1.id, replyToAuthor: ben, text: '谢谢', createdAt: 10 };
    await comments.add(c1);
    await comments.add(c2);
    expect(await comments.get(c1.id)).toEqual(c1);
    const meta = (await comments.forMoments([m1])).get(m1)!;
    expect(meta.map((c) => c.id)).toEqual([c1.id, c2.id].sort());
    expect(meta.find((c) => c.id === c2.id)).toEqual({ id: c2.id, momentId: m1, authorId: ann, replyTo: c1.id, replyToAuthor: ben, createdAt: 10 });
    expect(await comments.texts([c1.id, c2.id, uid('mc')])).toEqual(new Map([[c1.id, c1.text], [c2.id, c2.text]]));
    await notices.add({ id: uid('mn'), recipientId: ben, kind: 'reply', momentId: m1, actorId: ann, commentId: c2.id, createdAt: 10, readAt: null });
    expect(await comments.remove(m2, c1.id)).toBe(false);
    expect(await comments.remove(m1, c2.id)).toBe(true);
    expect(await comments.get(c2.id)).toBeNull();
    expect(await notices.page(ben, { limit: 10 })).toEqual([]);
    // The reply that named c1's author stays when c1 goes.
    expect(await comments.remove(m1, c1.id)).toBe(true);
    expect(await comments.forMoments([m1])).toEqual(new Map());
  });

  it('pages notices newest first, unread ones apart, and marks them read; keeps when the tab was seen, never moving back', async () => {
    const db = await testDb.open();
    const notices = new NoticeRepository(db);
    const seen = new FeedSeenRepository(db);
    const ann = uid();
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const id = uid('mn');
      ids.push(id);
      await notices.add({ id, recipientId: ann, kind: 'comment', momentId: momentId(), actorId: uid(), commentId: uid('mc'), createdAt: 100 + i, readAt: null });
    }
    await notices.add({ id: uid('mn'), recipientId: uid(), kind: 'like', momentId: momentId(), actorId: ann, commentId: null, createdAt: 200, readAt: null });
    const first = await notices.page(ann, { limit: 2 });
    expect(first.map((n) => n.id)).toEqual([ids[4], ids[3]]);
    const rest = await notices.page(ann, { limit: 10, before: { createdAt: first[1]!.createdAt, id: first[1]!.id } });
    expect(rest.map((n) => n.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(await notices.page(ann, { limit: 10, unread: true })).toHaveLength(5);
    expect(await notices.markRead(ann, 300)).toBe(5);
    expect(await notices.markRead(ann, 301)).toBe(0);
    expect(await notices.page(ann, { limit: 10, unread: true })).toEqual([]);
    expect((await notices.page(ann, { limit: 1 }))[0]!.readAt).toBe(300);

    expect(await seen.seenAt(ann)).toBeNull();
    await seen.markSeen(ann, 50);
    await seen.markSeen(ann, 40);
    expect(await seen.seenAt(ann)).toBe(50);
    await seen.markSeen(ann, 60);
    expect(await seen.seenAt(ann)).toBe(60);
  });

  it('keeps one open report per person and post; pages by state; dismisses once, with its audit entry', async () => {
    const db = await testDb.open();
    const reports = new ReportRepository(db);
    const [m1, m2] = [momentId(), momentId()];
    const [ben, cat, admin] = [uid(), uid(), uid()];
    const a = await reports.add({ id: uid('mr'), momentId: m1, reporterId: ben, reason: '不实信息', createdAt: 1 });
    expect(await reports.add({ id: uid('mr'), momentId: m1, reporterId: ben, reason: 'again', createdAt: 2 })).toEqual({ id: a.id, created: false });
    const b = await reports.add({ id: uid('mr'), momentId: m1, reporterId: cat, reason: 'spam', createdAt: 3 });
    const c = await reports.add({ id: uid('mr'), momentId: m2, reporterId: cat, reason: 'rude', createdAt: 4 });
    expect((await reports.page('open', { limit: 10 })).map((r) => r.id)).toEqual([c.id, b.id, a.id]);
    expect((await reports.page('open', { limit: 10, before: { createdAt: 3, id: b.id } })).map((r) => r.id)).toEqual([a.id]);
    expect(await reports.get(a.id)).toEqual({ id: a.id, momentId: m1, reporterId: ben, reason: '不实信息', state: 'open', createdAt: 1, resolvedAt: null, resolvedBy: null, resolution: null });
    expect(await reports.hasOpen(m1)).toBe(true);
    expect(await reports.dismiss(a.id, admin, 9, { actor: admin, action: 'moment.report.dismiss', target: a.id })).toBe(true);
    expect(await reports.dismiss(a.id, admin, 10, { actor: admin, action: 'moment.report.dismiss', target: a.id })).toBe(false);
    expect((await db.audit.read({ limit: 1000 })).filter((e) => e.action === 'moment.report.dismiss')).toHaveLength(1);
    expect((await reports.page('resolved', { limit: 10 })).map((r) => [r.id, r.resolution])).toEqual([[a.id, 'dismiss']]);
    // Once dismissed, the same person may report the post again.
    expect((await reports.add({ id: uid('mr'), momentId: m1, reporterId: ben, reason: 'still spam', createdAt: 11 })).created).toBe(true);
    expect(await reports.hasOpen(momentId())).toBe(false);
  });

  it('writes no text in plaintext: posts, locations, comments and reasons are sealed, words are keyed hashes', async () => {
    const db = await testDb.open();
    const store = new MomentRepository(db);
    const comments = new CommentRepository(db);
    const reports = new ReportRepository(db);
    const words = ['鲲鹏展翅', 'zanzibarquux'];
    const id = momentId();
    const text = `今天${words[0]}，代号 ${words[1]}`;
    await store.create({ id, authorId: uid(), visibility: 'friends', text, location: '紫禁城角楼', fileIds: [], createdAt: 1 }, tokenize(text));
    await comments.add({ id: uid('mc'), momentId: id, authorId: uid(), replyTo: null, replyToAuthor: null, text: '饕餮盛宴的评论', createdAt: 2 });
    await reports.add({ id: uid('mr'), momentId: id, reporterId: uid(), reason: '魑魅魍魉的理由', createdAt: 3 });
    const terms = await store.termsOf(id);
    expect(terms.length).toBeGreaterThan(2);
    const rows = await rawQuery<{ visibility: string }>(testDb.location, 'select visibility from moments where id = ?', [id]);
    expect(rows).toEqual([{ visibility: 'friends' }]);

    const haystacks = await bytesAtRest(engine, testDb.location, db);
    for (const [name, bytes] of haystacks) {
      for (const marker of [...words, '紫禁城角楼', '饕餮盛宴', '魑魅魍魉']) expect({ name, marker, found: foundAtRest(bytes, marker) }).toEqual({ name, marker, found: false });
    }
    // The control: the hashed terms are where the rows are.
    const withRows = engine === 'sqlite' ? ['backup', 'muster.db (closed)'] : ['pg_dump', 'backup'];
    for (const term of terms) expect(haystacks.filter(([, bytes]) => bytes.includes(Buffer.from(term, 'utf8'))).map(([name]) => name)).toEqual(expect.arrayContaining(withRows));
  });
});
