/**
 * Presence: online while any socket of the account is connected, last seen
 * when the last one goes; announced in order to contacts only, coalesced;
 * a hidden last-seen time is never told.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@muster/db/testing';
import { waitUntil } from '@muster/kit/testing';
import { openImTestWorld } from '../testing/index.ts';

describe('presence', () => {
  const testDb = useTestDatabase('sqlite');
  const setup = async () => {
    const w = await openImTestWorld(await testDb.open());
    const [ann, ben, eve] = [await w.person('Ann'), await w.person('Ben'), await w.person('Eve')];
    await w.befriend(ann, ben);
    const announced = () => w.deliveries.flatMap((d) => (d.event === 'im.presence' ? [{ to: d.to, ...d.payload }] : []));
    return { ...w, ann, ben, eve, announced };
  };

  it('online with the first device, offline with the last, told to contacts only; GET answers for contacts only', async () => {
    const { im, t, ann, ben, eve, announced } = await setup();
    const laptop = im.presence.connected(ann.accountId);
    const phone = im.presence.connected(ann.accountId);
    await waitUntil(() => announced().length === 1, 5_000, 'online announced');
    expect(announced()).toEqual([{ to: [ben.accountId], userId: ann.accountId, online: true, lastSeenAt: null }]);
    expect(await im.presence.of(ben, [ann.accountId, eve.accountId, ann.accountId])).toEqual([{ userId: ann.accountId, online: true, lastSeenAt: null }]);
    expect(await im.presence.of(eve, [ann.accountId])).toEqual([]);

    laptop();
    laptop();
    expect(im.presence.isOnline(ann.accountId)).toBe(true);
    t.clock.advance(5_000);
    const leftAt = t.clock.now();
    phone();
    await waitUntil(() => announced().length === 2, 5_000, 'offline announced');
    expect(announced()[1]).toEqual({ to: [ben.accountId], userId: ann.accountId, online: false, lastSeenAt: leftAt });
    t.clock.advance(60_000);
    expect(await im.presence.of(ben, [ann.accountId])).toEqual([{ userId: ann.accountId, online: false, lastSeenAt: leftAt }]);
  });

  it('a device that reconnects at once announces nothing new; the last announcement matches the state', async () => {
    const { im, ann, announced } = await setup();
    for (let i = 0; i < 5; i++) im.presence.connected(ann.accountId)();
    const stays = im.presence.connected(ann.accountId);
    await waitUntil(() => announced().at(-1)?.online === true, 5_000, 'online last');
    // Each announcement differs from the one before: no "online, online".
    const states = announced().map((a) => a.online);
    expect(states.every((s, i) => i === 0 || s !== states[i - 1])).toBe(true);
    stays();
  });

  it('a hidden last-seen time is never told: offline without a time', async () => {
    const { im, ann, ben, announced } = await setup();
    await im.privacy.update(ann, { hideLastSeen: true });
    const device = im.presence.connected(ann.accountId);
    await waitUntil(() => announced().some((a) => a.online), 5_000, 'online announced');
    device();
    await waitUntil(() => announced().some((a) => !a.online), 5_000, 'offline announced');
    expect(announced().filter((a) => !a.online)).toEqual([{ to: [ben.accountId], userId: ann.accountId, online: false, lastSeenAt: null }]);
    expect(await im.presence.of(ben, [ann.accountId])).toEqual([{ userId: ann.accountId, online: false, lastSeenAt: null }]);
  });

  it('closing records "last seen" for whoever is still online', async () => {
    const { im, ann, ben } = await setup();
    im.presence.connected(ann.accountId);
    await im.close();
    expect((await im.presence.of(ben, [ann.accountId]))[0]!.lastSeenAt).toEqual(expect.any(Number));
  });
});
