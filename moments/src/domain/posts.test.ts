/**
 * Posting, on SQLite and PostgreSQL: text, files or both; 1–9 images or one
 * video of one's own finished uploads (BAD_ATTACHMENTS otherwise); guests
 * cannot post; the files are referenced (retention keeps them); the
 * author's online contacts who may see it are told (`moments.post`), never
 * for Only me; search finds every word (Chinese too), newest first, pages
 * with a cursor, checks hits against the opened text, and survives a key
 * rotation (the indexer re-hashes the terms).
 */
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { waitUntil } from '@muster/kit/testing';
import { describe, expect, it } from 'vitest';
import { MomentRepository } from '../store/MomentRepository.ts';
import { momentsErrorCode, openMomentsTestWorld } from '../testing/index.ts';

const engines = await testEngines('the PostgreSQL Moments posting tests (moments/src/domain/posts.test.ts)');

describe.each(engines)('posting (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const world = async (options: { indexer?: boolean } = {}) => {
    const db = await testDb.open();
    const w = await openMomentsTestWorld(db, { dataDir: testDb.location.dataDir, indexer: options.indexer ?? false });
    testDb.defer(() => w.close());
    return w;
  };

  it('takes text, files or both: 1–9 images or one video, each the author’s own finished upload', async () => {
    const w = await world();
    const { moments } = w;
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    const images = [];
    for (let i = 0; i < 9; i++) images.push(await w.upload(ann, `p${i}.png`));
    const video = await w.upload(ann, 'clip.mp4');
    const video2 = await w.upload(ann, 'clip2.mp4');
    const audio = await w.upload(ann, 'voice.mp3');
    const plain = await w.upload(ann, 'notes.txt');
    const bens = await w.upload(ben, 'ben.png');

    const nine = await moments.posts.create(ann, { fileIds: images, visibility: 'all' });
    expect((await moments.feed.one(ann, nine.id)).files.map((f) => f.id)).toEqual(images);
    const clip = await moments.posts.create(ann, { text: '训练视频', fileIds: [video], visibility: 'friends' });
    expect((await moments.feed.one(ann, clip.id)).files).toMatchObject([{ id: video, kind: 'video', durationMs: 5_000 }]);
    const words = await moments.posts.create(ann, { text: '只有文字\n第二行', visibility: 'private' });
    expect(await moments.feed.one(ann, words.id)).toMatchObject({ text: '只有文字\n第二行', location: null, files: [], visibility: 'private', likes: [], comments: [], likeCount: 0, commentCount: 0, likedByMe: false });

    for (const [why, fileIds] of [
      ['image and video', [images[0]!, video]],
      ['two videos', [video, video2]],
      ['audio', [audio]],
      ['a plain file', [plain]],
      ['someone else’s upload', [bens]],
      ['no such file', ['fl' + 'x'.repeat(24)]],
    ] as const) {
      expect(await momentsErrorCode(moments.posts.create(ann, { fileIds: [...fileIds], visibility: 'all' })), why).toBe('BAD_ATTACHMENTS');
    }
    expect(await momentsErrorCode(moments.posts.create(ann, { visibility: 'all' }))).toBe('BAD_REQUEST');
    expect(await momentsErrorCode(moments.posts.create(ann, { text: '', fileIds: [], visibility: 'all' }))).toBe('BAD_REQUEST');
    const guest = await w.guest();
    expect(await momentsErrorCode(moments.posts.create(guest, { text: 'hello', visibility: 'all' }))).toBe('FORBIDDEN');
    // A guest sees no feed at all, not even everyone's posts.
    expect((await moments.feed.page(guest, {})).items).toEqual([]);
    // The files are referenced from the post: retention does not forget them as never used.
    const swept = await w.files.retention.sweep(w.now() + 8 * 24 * 3_600_000);
    expect(await w.files.canRead(images[0]!, ann.accountId)).toBe(true);
    expect(await w.files.view(video)).toMatchObject({ id: video });
    expect(await w.files.view(audio)).toBeUndefined();
    expect(swept.deleted).toBeGreaterThanOrEqual(3);
  });

  it('tells the author’s online contacts who may see a new post (moments.post), never for Only me, never a push', async () => {
    const w = await world();
    const { moments } = w;
    const [ann, ben, cat, dan, eve] = [await w.person('Ann'), await w.person('Ben'), await w.person('Cat'), await w.person('Dan'), await w.person('Eve')];
    await w.befriend(ann, ben);
    await w.befriend(ann, cat);
    await w.befriend(ann, dan);
    await w.block(dan, ann);
    for (const p of [ben, dan, eve]) w.im.im.presence.connected(p.accountId);
    const told = () => w.im.deliveries.filter((d) => d.event === 'moments.post');
    await moments.posts.create(ann, { text: 'for all', visibility: 'all' });
    // Ben is online and a contact; Cat is offline; Dan blocked Ann; Eve is no contact.
    expect(told()).toEqual([{ event: 'moments.post', to: [ben.accountId], payload: { authorId: ann.accountId } }]);
    await moments.posts.create(ann, { text: 'for friends', visibility: 'friends' });
    expect(told()).toHaveLength(2);
    await moments.posts.create(ann, { text: 'for me', visibility: 'private' });
    expect(told()).toHaveLength(2);
    expect(w.im.deliveries.filter((d) => d.event === 'im.message')).toEqual([]);
  });

  it('searches the text by every word, Chinese or not, newest first, a page at a time; only what the viewer may see', async () => {
    const w = await world();
    const { moments } = w;
    const [ann, ben, cat] = [await w.person('Ann'), await w.person('Ben'), await w.person('Cat')];
    await w.befriend(ann, ben);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await moments.posts.create(ann, { text: `第${i}次 明天的会议改到三点 drill${i}${i % 2 === 0 ? ' even' : ''}`, visibility: i === 6 ? 'friends' : 'all' })).id);
      w.advance(1);
    }
    await moments.posts.create(cat, { text: '没有关系的内容 nothing', visibility: 'all' });
    const all = async (viewer: typeof ann, q: string, limit: number) => {
      const seen: string[] = [];
      let before: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await moments.feed.page(viewer, { q, limit, ...(before ? { before } : {}) });
        seen.push(...page.items.map((p) => p.id));
        if (!page.next) return seen;
        before = page.next;
      }
      throw new Error('too many pages');
    };
    const newestFirst = [...ids].reverse();
    expect(await all(ben, '会议', 2)).toEqual(newestFirst);
    expect(await all(ben, '会议 even', 3)).toEqual(newestFirst.filter((id) => ids.indexOf(id) % 2 === 0));
    // Cat is no friend of Ann's: the friends-only one is left out.
    expect(await all(cat, '会议', 4)).toEqual(newestFirst.filter((id) => id !== ids[6]));
    expect(await all(cat, 'nothing', 5)).toHaveLength(1);
    // Within a profile or a view.
    expect(await moments.feed.page(ben, { q: 'nothing', view: 'friends' })).toEqual({ items: [], next: null });
    expect((await moments.feed.page(ben, { q: 'drill0', userId: ann.accountId })).items.map((p) => p.id)).toEqual([ids[0]]);
    expect(await momentsErrorCode(moments.feed.page(ben, { q: '，。！' }))).toBe('BAD_REQUEST');
    expect(await momentsErrorCode(moments.feed.page(ben, { q: Array.from({ length: 17 }, (_, i) => `w${i}`).join(' ') }))).toBe('BAD_REQUEST');
    expect(await momentsErrorCode(moments.feed.page(ben, { before: 'bm90LWEtY3Vyc29y' }))).toBe('BAD_REQUEST');
    // A term that matches but a text that does not (a collision, stale terms) is never a hit: hits are checked against the text.
    const store = new MomentRepository(w.db);
    await w.db.writer.write((trx) => trx.insertInto('moment_terms').values({ term: store.term('zebra'), moment_id: ids[0]! }).execute());
    expect(await all(ben, 'zebra', 5)).toEqual([]);
  });

  it('pages the feed newest first with a stable cursor, ties at one instant included', async () => {
    const w = await world();
    const { moments } = w;
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    await w.befriend(ann, ben);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push((await moments.posts.create(i % 2 ? ann : ben, { text: `post ${i}`, visibility: i % 3 === 0 ? 'friends' : 'all' })).id);
      if (i % 4 === 3) w.advance(5);
    }
    const seen: string[] = [];
    let before: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await moments.feed.page(ben, { view: 'all', limit: 5, ...(before ? { before } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.items.map((p) => p.id));
      if (!page.next) break;
      before = page.next;
    }
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).toHaveLength(ids.length);
    const times = await Promise.all(seen.map(async (id) => (await moments.feed.one(ben, id)).createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect((await moments.feed.page(ben, { view: 'mine' })).items.map((p) => p.id).sort()).toEqual(ids.filter((_, i) => i % 2 === 0).sort());
    expect((await moments.feed.page(ben, { view: 'friends' })).items.map((p) => p.id).sort()).toEqual(ids.filter((_, i) => i % 2 === 1).sort());
  });

  it('re-hashes the search terms after a key rotation: search works before, during and after', async () => {
    const w = await world({ indexer: true });
    const { moments, db } = w;
    const ann = await w.person('Ann');
    const { id } = await moments.posts.create(ann, { text: '旋转密钥 rotation 测试', visibility: 'all' });
    const found = async (q: string) => (await moments.feed.page(ann, { q })).items.map((p) => p.id);
    expect(await found('密钥')).toEqual([id]);
    const store = new MomentRepository(db);
    const newKey = await db.rotation.start();
    expect(await found('密钥')).toEqual([id]);
    // The indexer notices the new active key by itself and re-hashes.
    await waitUntil(async () => (await store.get(id))?.termsKey === newKey, 10_000, 're-hashed');
    await db.rotation.run();
    expect(db.sealer.keyIds).toEqual([newKey]);
    expect(await found('密钥')).toEqual([id]);
    expect(await found('rotation 测试')).toEqual([id]);
    expect(await moments.indexer.sweep()).toBe(0);
  });
});
