/**
 * The temporary-group sweeper with the test clock: the "expiring" notice 3
 * days before (once), clearing after N idle days or at expiresAt (messages
 * deleted, the group dissolved), the console's setting and list.
 */
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import { useTestDatabase } from '@muster/db/testing';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';
import type { TemporaryGroups } from './TemporaryGroups.ts';

const DAY = 24 * 3600_000;

describe('temporary groups', () => {
  const testDb = useTestDatabase('sqlite');

  const setup = async () => {
    const db = await testDb.open();
    const world = await openImTestWorld(db);
    const [ann, ben] = [await world.person('Ann'), await world.person('Ben')];
    await world.befriend(ann, ben);
    let n = 0;
    const send = (p: Principal, id: string, text: string) => world.im.conversations.send(p, id, { clientMsgId: `tmp-${n++}-xxxxxx`, text });
    const kinds = async (p: Principal, id: string) => (await world.im.conversations.messages(p, id, { afterSeq: 0, limit: 200 })).map((m) => m.notice?.kind ?? m.text);
    return { ...world, db, ann, ben, send, kinds };
  };

  it('warns 3 days before N idle days (once), then clears: dissolved, messages deleted', async () => {
    const { im, t, store, ann, ben, send, kinds, deliveries } = await setup();
    const temp = await im.groups.create(ann, { name: '临时群', members: [ben.accountId], temporary: {} });
    const lasting = await im.groups.create(ann, { name: '常驻群', members: [ben.accountId] });
    await send(ann, temp.id, '第一条');
    await send(ben, lasting.id, 'kept');
    const start = t.clock.now();

    t.clock.advance(27 * DAY - 1);
    expect(await im.temporaryGroups.sweep()).toEqual({ noticed: [], cleared: [] });
    t.clock.advance(1);
    expect(await im.temporaryGroups.sweep()).toEqual({ noticed: [temp.id], cleared: [] });
    expect(await im.temporaryGroups.sweep()).toEqual({ noticed: [], cleared: [] });
    const [warning] = (await im.conversations.messages(ben, temp.id, { afterSeq: 1 })).filter((m) => m.type === 'system');
    expect(warning!.notice).toMatchObject({ kind: 'expiring', actorId: 'system', detail: { clearsAt: start + 30 * DAY } });
    const listed = await im.temporaryGroups.list();
    expect(listed).toEqual([{ id: temp.id, name: '临时群', members: 2, createdAt: temp.createdAt, lastMessageAt: start, expiresAt: null, clearsAt: start + 30 * DAY, noticeSent: true }]);

    // The notice is no message: idleness still counts from the last one people sent.
    t.clock.advance(3 * DAY);
    expect(await im.temporaryGroups.sweep()).toEqual({ noticed: [], cleared: [temp.id] });
    expect(await im.temporaryGroups.sweep()).toEqual({ noticed: [], cleared: [] });
    expect(await kinds(ben, temp.id)).toEqual(['dissolved']);
    expect((await im.conversations.messages(ben, temp.id, {}))[0]!.notice).toMatchObject({ kind: 'dissolved', detail: { reason: 'idle' } });
    expect(await store.countMessages(temp.id)).toBe(1);
    expect(await imErrorCode(send(ann, temp.id, 'too late'))).toBe('GROUP_DISSOLVED');
    expect((await im.groups.get(ben, temp.id)).dissolvedAt).toBe(t.clock.now());
    expect(deliveries.some((d) => d.event === 'im.group' && (d.payload as { change: string }).change === 'cleared' && d.to.includes(ben.accountId))).toBe(true);
    expect(await im.temporaryGroups.list()).toEqual([]);
    // A lasting group is never cleared.
    expect(await kinds(ben, lasting.id)).toEqual(['kept']);
  });

  it('a message moves the clearing time (and a later warning may follow); expiresAt clears sooner; the console sets N', async () => {
    const { im, t, db, ann, ben, send, kinds } = await setup();
    const chatty = await im.groups.create(ann, { name: 'chatty', members: [ben.accountId], temporary: {} });
    const dated = await im.groups.create(ann, { name: 'dated', members: [ben.accountId], temporary: { expiresAt: t.clock.now() + 10 * DAY } });
    expect((await im.temporaryGroups.list()).map((g) => g.name)).toEqual(['dated', 'chatty']);

    t.clock.advance(7 * DAY);
    // dated: 3 days before its expiresAt.
    expect(await im.temporaryGroups.sweep()).toEqual({ noticed: [dated.id], cleared: [] });
    t.clock.advance(20 * DAY);
    expect(await im.temporaryGroups.sweep()).toEqual({ noticed: [chatty.id], cleared: [dated.id] });
    expect((await im.conversations.messages(ben, dated.id, {}))[0]!.notice).toMatchObject({ kind: 'dissolved', detail: { reason: 'expired' } });
    await send(ben, chatty.id, 'still here');
    t.clock.advance(20 * DAY);
    expect(await im.temporaryGroups.sweep()).toEqual({ noticed: [], cleared: [] });
    t.clock.advance(7 * DAY);
    expect(await im.temporaryGroups.sweep()).toEqual({ noticed: [chatty.id], cleared: [] });
    expect(await kinds(ben, chatty.id)).toEqual(['expiring', 'still here', 'expiring']);

    // The console shortens N: due at once.
    const admin = { accountId: 'root', sessionId: 's', role: 'admin' as const };
    expect(await im.temporaryGroups.settings()).toEqual({ temporaryGroupIdleDays: 30 });
    expect(await im.temporaryGroups.updateSettings(admin, { temporaryGroupIdleDays: 5 })).toEqual({ temporaryGroupIdleDays: 5 });
    expect(await im.temporaryGroups.settings()).toEqual({ temporaryGroupIdleDays: 5 });
    expect((await db.audit.read()).some((e) => e.action === 'im.settings.update')).toBe(true);
    expect(await im.temporaryGroups.sweep()).toEqual({ noticed: [], cleared: [chatty.id] });
  });

  it('the console is for an elevated admin only: anyone else is NOT_FOUND, an admin not elevated SECOND_FACTOR_REQUIRED', async () => {
    const { im, t, ann } = await setup();
    const console: TemporaryGroups = im.temporaryGroups;
    const check = async (p: Principal | null) => {
      try {
        console.assertConsole(p);
        return 'ok';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(await check(null)).toBe('NOT_FOUND');
    expect(await check(ann)).toBe('NOT_FOUND');
    expect(await check({ accountId: 'root', sessionId: 's', role: 'admin' })).toBe('SECOND_FACTOR_REQUIRED');
    expect(await check({ accountId: 'root', sessionId: 's', role: 'admin', elevatedUntil: t.clock.now() + 60_000 })).toBe('ok');
  });

  it('runs on its timer until the IM domain closes', async () => {
    const { db, t } = await setup();
    const { Im } = await import('../Im.ts');
    const im = new Im({ db, accounts: t.accounts, now: t.clock.now, temporaryGroupSweepMs: 20, search: { indexer: false } });
    let passes = 0;
    const sweep = im.temporaryGroups.sweep.bind(im.temporaryGroups);
    im.temporaryGroups.sweep = async () => {
      passes++;
      return sweep();
    };
    const { waitUntil } = await import('@muster/kit/testing');
    await waitUntil(() => passes >= 2, 10_000, 'two sweeps');
    // close() stops the timer and waits for a pass under way; stopping again is harmless.
    await im.close();
    await im.temporaryGroups.stop();
  });
});
