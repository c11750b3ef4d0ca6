/** The conversation-settings and IM-settings stores on SQLite and PostgreSQL: partial upserts, versions, sealed drafts. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rawQuery, testEngines, useTestDatabase } from '@muster/db/testing';
import { ImSettingsRepository } from './ImSettingsRepository.ts';
import { PrefsRepository } from './PrefsRepository.ts';

const engines = await testEngines('the PostgreSQL conversation settings store contract (im/src/store/PrefsRepository.test.ts)');
const uid = (p = 'u') => `${p}${crypto.randomBytes(6).toString('hex')}`;

describe.each(engines)('conversation settings store (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('sets only the settings a change names, and bumps the version each time', async () => {
    const store = new PrefsRepository(await testDb.open());
    const [me, c] = [uid(), uid('cv')];
    expect(await store.get(me, c)).toBeNull();
    const first = await store.update(me, c, { pinnedAt: 10, muted: true }, 100);
    expect(first).toMatchObject({ pinnedAt: 10, muted: true, hiddenSeq: null, markedUnread: false, draft: null, version: 1, updatedAt: 100 });
    const second = await store.update(me, c, { hiddenSeq: 7, draft: '草稿 draft' }, 200);
    expect(second).toMatchObject({ pinnedAt: 10, muted: true, hiddenSeq: 7, draft: '草稿 draft', version: 2, updatedAt: 200 });
    const third = await store.update(me, c, { pinnedAt: null, draft: null }, 300);
    expect(third).toMatchObject({ pinnedAt: null, muted: true, hiddenSeq: 7, draft: null, version: 3 });
    // Another person's settings of the same conversation are theirs.
    expect(await store.get(uid(), c)).toBeNull();
  });

  it('concurrent changes of different settings both stay', async () => {
    const store = new PrefsRepository(await testDb.open());
    const [me, c] = [uid(), uid('cv')];
    await Promise.all([store.update(me, c, { muted: true }, 1), store.update(me, c, { markedUnread: true }, 1), store.update(me, c, { pinnedAt: 5 }, 1)]);
    expect(await store.get(me, c)).toMatchObject({ muted: true, markedUnread: true, pinnedAt: 5, version: 3 });
  });

  it('clears "marked unread" only when it is set', async () => {
    const store = new PrefsRepository(await testDb.open());
    const [me, c] = [uid(), uid('cv')];
    expect(await store.clearMarkedUnread(me, c, 1)).toBeNull();
    await store.update(me, c, { markedUnread: true }, 1);
    expect(await store.clearMarkedUnread(me, c, 2)).toMatchObject({ markedUnread: false, version: 2 });
    expect(await store.clearMarkedUnread(me, c, 3)).toBeNull();
  });

  it('lists a person’s settings and versions, by conversation', async () => {
    const store = new PrefsRepository(await testDb.open());
    const me = uid();
    const [a, b] = [uid('cv'), uid('cv')];
    await store.update(me, a, { muted: true }, 1);
    await store.update(me, b, { draft: 'x' }, 1);
    await store.update(me, b, { draft: 'y' }, 2);
    await store.update(uid(), a, { muted: true }, 1);
    expect([...(await store.versions(me))].sort()).toEqual([[a, 1], [b, 2]].sort());
    expect([...(await store.forUser(me, [b])).keys()]).toEqual([b]);
    expect((await store.forUser(me)).get(b)!.draft).toBe('y');
    expect((await store.forUser(me, [])).size).toBe(0);
  });

  it('stores drafts sealed', async () => {
    const store = new PrefsRepository(await testDb.open());
    await store.update(uid(), uid('cv'), { draft: '机密草稿-plaintext-marker' }, 1);
    const rows = await rawQuery<Record<string, unknown>>(testDb.location, 'select * from conversation_prefs');
    expect(JSON.stringify(rows, (_k, v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v))).not.toContain('plaintext-marker');
  });

  it('keeps IM settings and last-seen times, defaults for anyone without a row', async () => {
    const store = new ImSettingsRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    expect(await store.get(a)).toEqual({ accountId: a, hideLastSeen: false, acceptFromNonFriends: false, lastSeenAt: null });
    expect(await store.update(a, { acceptFromNonFriends: true }, 1)).toMatchObject({ hideLastSeen: false, acceptFromNonFriends: true });
    await store.setLastSeen(a, 500);
    expect(await store.update(a, { hideLastSeen: true }, 2)).toEqual({ accountId: a, hideLastSeen: true, acceptFromNonFriends: true, lastSeenAt: 500 });
    await store.setLastSeen(b, 700);
    const many = await store.many([a, b, a]);
    expect([many.get(a)!.lastSeenAt, many.get(b)]).toEqual([500, { accountId: b, hideLastSeen: false, acceptFromNonFriends: false, lastSeenAt: 700 }]);
  });
});
