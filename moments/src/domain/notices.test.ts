/**
 * Notices and the badge, on SQLite and PostgreSQL: a like or comment on
 * your post, or a reply to your comment, by someone else, is a notice for
 * you and a live `moments.notice` to your devices; never for your own
 * doings. The list shows only what you may still see (an unlike, a deleted
 * comment or post, a block takes it away) and the unread count counts the
 * same. The badge counts your contacts' posts you may see since you last
 * opened Moments, up to 99.
 */
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { describe, expect, it } from 'vitest';
import { BADGE_CAP, POSTS_PER_HOUR, type NoticeView } from '../protocol.ts';
import { momentsErrorCode, openMomentsTestWorld } from '../testing/index.ts';

const engines = await testEngines('the PostgreSQL Moments notices tests (moments/src/domain/notices.test.ts)');

describe.each(engines)('notices and the badge (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const world = async () => {
    const db = await testDb.open();
    const w = await openMomentsTestWorld(db, { dataDir: testDb.location.dataDir, indexer: false });
    testDb.defer(() => w.close());
    const [ann, ben, cat, dan] = [await w.person('Ann'), await w.person('Ben'), await w.person('Cat'), await w.person('Dan')];
    for (const p of [ben, cat, dan]) await w.befriend(ann, p);
    await w.befriend(ben, cat);
    return { ...w, ann, ben, cat, dan };
  };

  it('writes a notice for likes and comments on your post and replies to your comment, and tells your devices', async () => {
    const w = await world();
    const { moments, ann, ben, cat, dan } = w;
    const image = await w.upload(ann, 'camp.png');
    const { id } = await moments.posts.create(ann, { text: '营区的早晨'.repeat(20), fileIds: [image], visibility: 'all' });
    const step = () => w.advance(10);
    await moments.likes.like(ben, id);
    step();
    await moments.likes.like(ben, id);
    await moments.likes.like(ann, id);
    const catComment = (await moments.comments.add(cat, id, { text: 'cat comments' })).id;
    step();
    const annReply = (await moments.comments.add(ann, id, { text: 'ann answers cat', replyTo: catComment })).id;
    step();
    const benReply = (await moments.comments.add(ben, id, { text: 'ben answers cat', replyTo: catComment })).id;
    step();
    const danComment = (await moments.comments.add(dan, id, { text: 'dan comments' })).id;
    step();
    const catToAnn = (await moments.comments.add(cat, id, { text: 'cat answers ann', replyTo: annReply })).id;

    const brief = (n: NoticeView) => [n.kind, n.actor.nickname, n.comment?.id ?? null];
    const annList = await moments.notices.list(ann, {});
    expect(annList.items.map(brief)).toEqual([
      ['reply', 'Cat', catToAnn],
      ['comment', 'Dan', danComment],
      ['comment', 'Ben', benReply],
      ['comment', 'Cat', catComment],
      ['like', 'Ben', null],
    ]);
    expect(annList.items[0]).toMatchObject({ moment: { id, file: { id: image, kind: 'image' } }, comment: { text: 'cat answers ann', replyTo: { commentId: annReply } }, read: false });
    expect(Array.from(annList.items[0]!.moment.text!)).toHaveLength(81);
    expect((await moments.notices.list(cat, {})).items.map(brief)).toEqual([
      ['reply', 'Ben', benReply],
      ['reply', 'Ann', annReply],
    ]);
    expect((await moments.notices.list(ben, {})).items).toEqual([]);
    expect((await moments.notices.list(dan, {})).items).toEqual([]);
    // Each went live to its recipient, as listed.
    const live = w.im.deliveries.filter((d) => d.event === 'moments.notice');
    expect(live.map((d) => [d.to, brief(d.payload as NoticeView)])).toEqual([
      [[ann.accountId], ['like', 'Ben', null]],
      [[ann.accountId], ['comment', 'Cat', catComment]],
      [[cat.accountId], ['reply', 'Ann', annReply]],
      [[ann.accountId], ['comment', 'Ben', benReply]],
      [[cat.accountId], ['reply', 'Ben', benReply]],
      [[ann.accountId], ['comment', 'Dan', danComment]],
      [[ann.accountId], ['reply', 'Cat', catToAnn]],
    ]);
    // Pages, newest first.
    const first = await moments.notices.list(ann, { limit: 2 });
    expect(first.items.map(brief)).toEqual(annList.items.slice(0, 2).map(brief));
    const rest = await moments.notices.list(ann, { limit: 10, before: first.next! });
    expect(rest).toEqual({ items: annList.items.slice(2), next: null });

    expect(await moments.badge(ann)).toMatchObject({ unreadNotices: 5 });
    await moments.notices.markRead(ann);
    expect(await moments.badge(ann)).toMatchObject({ unreadNotices: 0 });
    expect((await moments.notices.list(ann, {})).items.every((n) => n.read)).toBe(true);
    expect(await moments.badge(cat)).toMatchObject({ unreadNotices: 2 });
  });

  it('takes a notice away with its like, comment or post, or when its recipient may no longer see it', async () => {
    const w = await world();
    const { moments, ann, ben, cat, dan } = w;
    const { id } = await moments.posts.create(ann, { text: 'hello', visibility: 'all' });
    await moments.likes.like(ben, id);
    const catComment = (await moments.comments.add(cat, id, { text: 'cat' })).id;
    await moments.comments.add(ben, id, { text: 'ben answers cat', replyTo: catComment });
    await moments.comments.add(dan, id, { text: 'dan' });
    const kinds = async (who: typeof ann) => (await moments.notices.list(who, {})).items.map((n) => `${n.kind}:${n.actor.nickname}`).sort();
    expect(await kinds(ann)).toEqual(['comment:Ben', 'comment:Cat', 'comment:Dan', 'like:Ben']);
    await moments.likes.unlike(ben, id);
    await moments.comments.remove(cat, id, catComment);
    expect(await kinds(ann)).toEqual(['comment:Ben', 'comment:Dan']);
    // Cat's own comment is gone; Ben's reply to it stays, and so does her notice of it.
    expect(await kinds(cat)).toEqual(['reply:Ben']);
    await w.block(ann, dan);
    expect(await kinds(ann)).toEqual(['comment:Ben']);
    expect((await moments.badge(ann)).unreadNotices).toBe(1);
    await moments.posts.remove(ann, id);
    expect(await kinds(ann)).toEqual([]);
    expect(await kinds(cat)).toEqual([]);
    expect((await moments.badge(ann)).unreadNotices).toBe(0);
  });

  it('counts contacts’ new posts you may see since you last opened Moments, up to the cap', async () => {
    const w = await world();
    const { moments, ann, ben, dan } = w;
    const stranger = await w.person('Stranger');
    await moments.posts.create(ann, { text: 'one', visibility: 'all' });
    await moments.posts.create(ann, { text: 'two', visibility: 'friends' });
    await moments.posts.create(ann, { text: 'mine', visibility: 'private' });
    await moments.posts.create(stranger, { text: 'not a contact', visibility: 'all' });
    // Never opened: every contact's post they may see is new.
    expect(await moments.badge(ben)).toEqual({ newPosts: 2, unreadNotices: 0 });
    w.advance(1);
    await moments.feed.markSeen(ben);
    expect((await moments.badge(ben)).newPosts).toBe(0);
    w.advance(1);
    await moments.posts.create(ann, { text: 'three', visibility: 'friends' });
    await moments.posts.create(dan, { text: 'dan is no contact of ben', visibility: 'all' });
    await moments.posts.create(ben, { text: 'his own', visibility: 'all' });
    expect((await moments.badge(ben)).newPosts).toBe(1);
    await w.block(ben, ann);
    expect((await moments.badge(ben)).newPosts).toBe(0);
    // Posts come from two people: one may post POSTS_PER_HOUR an hour.
    const cat = w.cat;
    await w.befriend(dan, cat);
    for (let i = 0; i < POSTS_PER_HOUR; i++) await moments.posts.create(cat, { text: `post ${i}`, visibility: 'all' });
    expect(await momentsErrorCode(moments.posts.create(cat, { text: 'one too many', visibility: 'all' }))).toBe('RATE_LIMITED');
    for (let i = 0; i + POSTS_PER_HOUR < BADGE_CAP + 2; i++) await moments.posts.create(ann, { text: `post ${i}`, visibility: 'all' });
    expect((await moments.badge(dan)).newPosts).toBe(BADGE_CAP);
  });
});
