/**
 * Likes and comments as WeChat users expect, on SQLite and PostgreSQL: a
 * like or comment is seen by its author, the post's author, and whoever may
 * see the post and is a contact of both; a reply also needs the person it
 * answers; never across a block. The counts are of what the viewer sees.
 * Replies answer only a comment of the same post the replier can see;
 * a comment is deleted by its author or the post's; liking is idempotent;
 * comments page oldest first beyond the inline ones.
 */
import type { Principal } from '@muster/accounts';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { describe, expect, it } from 'vitest';
import { INLINE_COMMENTS } from '../protocol.ts';
import { momentsErrorCode, openMomentsTestWorld } from '../testing/index.ts';

const engines = await testEngines('the PostgreSQL Moments likes and comments tests (moments/src/domain/reactions.test.ts)');

describe.each(engines)('likes and comments (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  /**
   * Ann posts; Ben, Cat and Dan are her friends; Ben and Cat are friends,
   * Dan knows neither; Eve is Ben's friend only.
   */
  const world = async () => {
    const db = await testDb.open();
    const w = await openMomentsTestWorld(db, { dataDir: testDb.location.dataDir, indexer: false });
    testDb.defer(() => w.close());
    const [ann, ben, cat, dan, eve] = [await w.person('Ann'), await w.person('Ben'), await w.person('Cat'), await w.person('Dan'), await w.person('Eve')];
    for (const p of [ben, cat, dan]) await w.befriend(ann, p);
    await w.befriend(ben, cat);
    await w.befriend(ben, eve);
    const { id } = await w.moments.posts.create(ann, { text: '周末拉练', visibility: 'all' });
    return { ...w, ann, ben, cat, dan, eve, id };
  };

  it('shows each like and comment only to its author, the post’s author, and contacts of both; counts only those', async () => {
    const w = await world();
    const { moments, ann, ben, cat, dan, eve, id } = w;
    await moments.likes.like(ben, id);
    await moments.likes.like(ben, id);
    const b1 = (await moments.comments.add(ben, id, { text: 'b1' })).id;
    w.advance(1);
    // Cat answers Ben: seen by those who see both Cat's and Ben's.
    const c2b = (await moments.comments.add(cat, id, { text: 'cat to ben', replyTo: b1 })).id;
    w.advance(1);
    const d1 = (await moments.comments.add(dan, id, { text: 'd1' })).id;
    w.advance(1);
    const a2d = (await moments.comments.add(ann, id, { text: 'ann to dan', replyTo: d1 })).id;
    await moments.likes.like(dan, id);

    const shown = async (viewer: Principal) => {
      const view = await moments.feed.one(viewer, id);
      const listed = await moments.comments.page(viewer, id, {});
      expect(listed.items.map((c) => c.id)).toEqual(view.comments.map((c) => c.id));
      expect(view.likeCount).toBe(view.likes.length);
      expect(view.commentCount).toBe(view.comments.length);
      return { likes: view.likes.map((l) => l.user.nickname).sort(), comments: view.comments.map((c) => c.text), likedByMe: view.likedByMe };
    };
    expect(await shown(ann)).toEqual({ likes: ['Ben', 'Dan'], comments: ['b1', 'cat to ben', 'd1', 'ann to dan'], likedByMe: false });
    expect(await shown(ben)).toEqual({ likes: ['Ben'], comments: ['b1', 'cat to ben'], likedByMe: true });
    expect(await shown(cat)).toEqual({ likes: ['Ben'], comments: ['b1', 'cat to ben'], likedByMe: false });
    expect(await shown(dan)).toEqual({ likes: ['Dan'], comments: ['d1', 'ann to dan'], likedByMe: true });
    // Eve sees the post (all) but is no friend of Ann's: nothing of anyone's.
    expect(await shown(eve)).toEqual({ likes: [], comments: [], likedByMe: false });
    const reply = await moments.comments.one(ben, id, c2b);
    expect(reply).toMatchObject({ id: c2b, momentId: id, text: 'cat to ben', author: { id: cat.accountId, nickname: 'Cat' }, replyTo: { commentId: b1, user: { id: ben.accountId, nickname: 'Ben' } } });
    for (const [viewer, comment] of [[ben, d1], [cat, a2d], [eve, b1], [dan, c2b]] as const) {
      expect(await momentsErrorCode(moments.comments.one(viewer, id, comment))).toBe('NOT_FOUND');
    }

    // A block hides the other's likes and comments from either side, the post's author included; one's own stay.
    await w.block(cat, ben);
    expect(await shown(cat)).toEqual({ likes: [], comments: ['cat to ben'], likedByMe: false });
    expect((await shown(ben)).comments).toEqual(['b1']);
    await w.block(ann, dan);
    expect(await shown(ann)).toEqual({ likes: ['Ben'], comments: ['b1', 'cat to ben', 'ann to dan'], likedByMe: false });
  });

  it('takes replies only to a comment of the same post the replier can see', async () => {
    const w = await world();
    const { moments, ann, ben, cat, dan, id } = w;
    const d1 = (await moments.comments.add(dan, id, { text: 'd1' })).id;
    const b1 = (await moments.comments.add(ben, id, { text: 'b1' })).id;
    const other = (await moments.posts.create(ann, { text: 'another', visibility: 'all' })).id;
    const onOther = (await moments.comments.add(ann, other, { text: 'elsewhere' })).id;
    // Ben cannot see Dan's comment: answering it is refused as answering nothing.
    expect(await momentsErrorCode(moments.comments.add(ben, id, { text: 'x', replyTo: d1 }))).toBe('BAD_REQUEST');
    expect(await momentsErrorCode(moments.comments.add(ben, id, { text: 'x', replyTo: onOther }))).toBe('BAD_REQUEST');
    expect(await momentsErrorCode(moments.comments.add(ben, id, { text: 'x', replyTo: 'mc' + 'A'.repeat(22) }))).toBe('BAD_REQUEST');
    expect((await moments.comments.add(cat, id, { text: 'ok', replyTo: b1 })).id).toMatch(/^mc/);
    // One's own comment may be answered too.
    expect((await moments.comments.add(ben, id, { text: 'and more', replyTo: b1 })).id).toMatch(/^mc/);
  });

  it('lets a comment’s author or the post’s author delete it; anyone else who sees it is FORBIDDEN, others find nothing', async () => {
    const w = await world();
    const { moments, ann, ben, cat, dan, id } = w;
    const b1 = (await moments.comments.add(ben, id, { text: 'b1' })).id;
    const b2 = (await moments.comments.add(ben, id, { text: 'b2' })).id;
    const c1 = (await moments.comments.add(cat, id, { text: 'c1', replyTo: b1 })).id;
    expect(await momentsErrorCode(moments.comments.remove(cat, id, b1))).toBe('FORBIDDEN');
    expect(await momentsErrorCode(moments.comments.remove(dan, id, b1))).toBe('NOT_FOUND');
    const other = (await moments.posts.create(ann, { text: 'another', visibility: 'all' })).id;
    expect(await momentsErrorCode(moments.comments.remove(ben, other, b1))).toBe('NOT_FOUND');
    await moments.comments.remove(ben, id, b1);
    await moments.comments.remove(ann, id, b2);
    expect(await momentsErrorCode(moments.comments.remove(ben, id, b2))).toBe('NOT_FOUND');
    // The reply stays, still naming whom it answered.
    expect((await moments.feed.one(ann, id)).comments).toMatchObject([{ id: c1, replyTo: { commentId: b1, user: { nickname: 'Ben' } } }]);
  });

  it('likes once per person, unlikes; carries the first comments inline and pages the rest oldest first', async () => {
    const w = await world();
    const { moments, ann, ben, cat, id } = w;
    await moments.likes.like(ben, id);
    await moments.likes.like(ben, id);
    await moments.likes.like(cat, id);
    expect((await moments.feed.one(ann, id)).likeCount).toBe(2);
    await moments.likes.unlike(ben, id);
    await moments.likes.unlike(ben, id);
    expect((await moments.feed.one(ann, id)).likes.map((l) => l.user.nickname)).toEqual(['Cat']);

    const ids: string[] = [];
    for (let i = 0; i < INLINE_COMMENTS + 5; i++) {
      ids.push((await moments.comments.add(i % 2 ? ben : cat, id, { text: `comment ${i}` })).id);
      if (i % 4 === 0) w.advance(1);
    }
    const view = await moments.feed.one(ann, id);
    expect(view.commentCount).toBe(INLINE_COMMENTS + 5);
    expect(view.comments).toHaveLength(INLINE_COMMENTS);
    const paged: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await moments.comments.page(ann, id, { limit: 7, ...(after ? { after } : {}) });
      paged.push(...page.items.map((c) => c.id));
      if (!page.next) break;
      after = page.next;
    }
    expect(paged).toHaveLength(INLINE_COMMENTS + 5);
    expect(new Set(paged)).toEqual(new Set(ids));
    expect(paged.slice(0, INLINE_COMMENTS)).toEqual(view.comments.map((c) => c.id));
  });
});
