/**
 * Reports and the admin console, on SQLite and PostgreSQL: anyone who may
 * see someone else's post reports it (one open report per person and
 * post); the console (an elevated admin; SECOND_FACTOR_REQUIRED without
 * the second factor, NOT_FOUND for anyone else) lists reports with the
 * post's content and resolves them: dismissed, or the post removed
 * (audited, every open report of it resolved, gone for its author too).
 */
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { describe, expect, it } from 'vitest';
import { momentsErrorCode, openMomentsTestWorld } from '../testing/index.ts';

const engines = await testEngines('the PostgreSQL Moments reports tests (moments/src/domain/reports.test.ts)');

describe.each(engines)('reports (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const world = async () => {
    const db = await testDb.open();
    const w = await openMomentsTestWorld(db, { dataDir: testDb.location.dataDir, indexer: false });
    testDb.defer(() => w.close());
    const [ann, ben, cat, dan] = [await w.person('Ann'), await w.person('Ben'), await w.person('Cat'), await w.person('Dan')];
    await w.befriend(ann, ben);
    await w.befriend(ann, cat);
    const moderator = await w.admin({ elevated: true });
    return { ...w, ann, ben, cat, dan, moderator };
  };

  it('takes reports from those who see the post, once per person while open; the console sees them with the content', async () => {
    const w = await world();
    const { moments, ann, ben, cat, dan, moderator: admin } = w;
    const image = await w.upload(ann, 'poster.png');
    const { id } = await moments.posts.create(ann, { text: '卖二手装备', fileIds: [image], location: '三号楼', visibility: 'friends' });
    const first = await moments.reports.report(ben, id, '广告');
    expect(await moments.reports.report(ben, id, '还是广告')).toEqual(first);
    w.advance(1);
    const second = await moments.reports.report(cat, id, 'spam');
    expect(await momentsErrorCode(moments.reports.report(dan, id, 'cannot see it'))).toBe('NOT_FOUND');
    expect(await momentsErrorCode(moments.reports.report(ann, id, 'my own'))).toBe('BAD_REQUEST');

    const open = await moments.reports.list(admin, {});
    expect(open.items.map((r) => r.id)).toEqual([second.id, first.id]);
    expect(open.items[1]).toEqual({
      id: first.id,
      reason: '广告',
      reporter: expect.objectContaining({ id: ben.accountId, nickname: 'Ben' }),
      state: 'open',
      createdAt: expect.any(Number),
      resolution: null,
      resolvedAt: null,
      resolvedBy: null,
      moment: {
        id,
        author: expect.objectContaining({ id: ann.accountId }),
        text: '卖二手装备',
        location: '三号楼',
        files: [expect.objectContaining({ id: image, kind: 'image' })],
        visibility: 'friends',
        createdAt: expect.any(Number),
        removed: false,
      },
    });
    expect(await moments.reports.list(admin, { limit: 1 })).toMatchObject({ items: [{ id: second.id }], next: expect.any(String) });
    const next = (await moments.reports.list(admin, { limit: 1 })).next!;
    expect((await moments.reports.list(admin, { limit: 1, before: next })).items.map((r) => r.id)).toEqual([first.id]);
    expect(await moments.reports.list(admin, { state: 'resolved' })).toEqual({ items: [], next: null });
  });

  it('is the console’s: an admin without the second factor is SECOND_FACTOR_REQUIRED, anyone else NOT_FOUND', async () => {
    const w = await world();
    const { moments, ann, ben } = w;
    const { id } = await moments.posts.create(ann, { text: 'x', visibility: 'all' });
    const report = await moments.reports.report(ben, id, 'why');
    const plain = await w.admin();
    expect(await momentsErrorCode(moments.reports.list(plain, {}))).toBe('SECOND_FACTOR_REQUIRED');
    expect(await momentsErrorCode(moments.reports.resolve(plain, report.id, 'remove'))).toBe('SECOND_FACTOR_REQUIRED');
    // An elevation that lapsed is no elevation.
    const lapsed = await w.admin({ elevated: true });
    w.advance(31 * 60_000);
    expect(await momentsErrorCode(moments.reports.list(lapsed, {}))).toBe('SECOND_FACTOR_REQUIRED');
    for (const who of [ann, ben, await w.guest(), undefined]) {
      expect(await momentsErrorCode(moments.reports.list(who, {}))).toBe('NOT_FOUND');
      expect(await momentsErrorCode(moments.reports.resolve(who, report.id, 'dismiss'))).toBe('NOT_FOUND');
    }
    expect((await moments.feed.one(ben, id)).id).toBe(id);
  });

  it('dismisses one report, or removes the post: audited, every open report resolved, gone for everyone', async () => {
    const w = await world();
    const { moments, ann, ben, cat, moderator: admin } = w;
    const { id } = await moments.posts.create(ann, { text: 'reported', visibility: 'all' });
    const a = await moments.reports.report(ben, id, 'one');
    const b = await moments.reports.report(cat, id, 'two');
    const dismissed = await moments.reports.resolve(admin, a.id, 'dismiss');
    expect(dismissed).toMatchObject({ id: a.id, state: 'resolved', resolution: 'dismiss', resolvedBy: admin.accountId, moment: { removed: false } });
    expect(await momentsErrorCode(moments.reports.resolve(admin, a.id, 'remove'))).toBe('ALREADY_RESOLVED');
    expect(await momentsErrorCode(moments.reports.resolve(admin, 'mr' + 'A'.repeat(22), 'remove'))).toBe('NOT_FOUND');
    const again = await moments.reports.report(ben, id, 'again');
    const removed = await moments.reports.resolve(admin, b.id, 'remove');
    expect(removed).toMatchObject({ id: b.id, state: 'resolved', resolution: 'remove', moment: { id, text: 'reported', removed: true } });
    // Every open report of the post was resolved with it.
    expect((await moments.reports.list(admin, {})).items).toEqual([]);
    expect((await moments.reports.list(admin, { state: 'resolved' })).items.map((r) => [r.id, r.resolution]).sort()).toEqual(
      [
        [a.id, 'dismiss'],
        [b.id, 'remove'],
        [again.id, 'remove'],
      ].sort(),
    );
    // Gone for its author as for everyone.
    expect(await momentsErrorCode(moments.feed.one(ann, id))).toBe('NOT_FOUND');
    expect((await moments.feed.page(ann, { view: 'mine' })).items).toEqual([]);
    const audit = (await w.db.audit.read({ limit: 1000 })).filter((e) => e.action.startsWith('moment.'));
    expect(audit.map((e) => [e.action, e.target, e.actor])).toEqual([
      ['moment.report.dismiss', a.id, admin.accountId],
      ['moment.remove', id, admin.accountId],
    ]);
    expect(audit[1]!.details).toEqual({ authorId: ann.accountId, reportId: b.id });
  });

  it('an admin’s DELETE resolves the post’s open reports; the author’s own deletion leaves them for the console', async () => {
    const w = await world();
    const { moments, ann, ben, moderator: admin } = w;
    const first = await moments.posts.create(ann, { text: 'first', visibility: 'all' });
    const second = await moments.posts.create(ann, { text: 'second', visibility: 'all' });
    const r1 = await moments.reports.report(ben, first.id, 'r1');
    const r2 = await moments.reports.report(ben, second.id, 'r2');
    await moments.posts.remove(admin, first.id);
    await moments.posts.remove(ann, second.id);
    expect((await moments.reports.list(admin, {})).items.map((r) => [r.id, r.moment.removed])).toEqual([[r2.id, true]]);
    expect((await moments.reports.list(admin, { state: 'resolved' })).items.map((r) => [r.id, r.resolution])).toEqual([[r1.id, 'remove']]);
    expect(await moments.reports.resolve(admin, r2.id, 'remove')).toMatchObject({ resolution: 'remove', moment: { removed: true } });
  });
});
