/**
 * Presence in the client SDK against a fake transport: the ids watched in
 * one tick go in one request, non-contacts are known as not visible, live
 * events update the cache and tell the subscribers, a reconnection fetches
 * the watched ones again, a new contact is asked again; and the privacy
 * settings read and patch /me/im-settings.
 */
import { describe, expect, it } from 'vitest';
import type { PresenceView } from '../protocol.ts';
import { FakeTransport, flush } from './fakeTransport.ts';
import { PresenceStore, PrivacySettingsClient } from './presence.ts';

describe('PresenceStore', () => {
  it('fetches what views watch in one request, caches it, follows live events and reconnections', async () => {
    let online = true;
    const t = new FakeTransport().route('GET', '/presence', ({ query }) =>
      query
        .get('ids')!
        .split(',')
        .filter((id) => id !== 'u-stranger')
        .map((userId): PresenceView => ({ userId, online: userId === 'u-ann' && online, lastSeenAt: userId === 'u-ann' && online ? null : 5_000 })),
    );
    const presence = new PresenceStore(t);
    presence.start();
    const changes: string[][] = [];
    presence.subscribe((ids) => changes.push([...ids].sort()));
    const stopHeader = presence.watch(['u-ann']);
    const stopList = presence.watch(['u-ann', 'u-ben', 'u-stranger']);
    expect(presence.get('u-ann')).toBeUndefined();
    await flush();
    expect(t.calls.map((c) => c.path)).toEqual(['/presence?ids=u-ann,u-ben,u-stranger']);
    expect(presence.get('u-ann')).toEqual({ userId: 'u-ann', online: true, lastSeenAt: null });
    expect(presence.get('u-ben')).toEqual({ userId: 'u-ben', online: false, lastSeenAt: 5_000 });
    expect(presence.get('u-stranger')).toBeNull();
    expect(changes).toEqual([['u-ann', 'u-ben', 'u-stranger']]);

    // Known already: no new request.
    const again = presence.watch(['u-ben']);
    await flush();
    expect(t.calls).toHaveLength(1);

    // Live: Ann goes offline (and a repeat changes nothing).
    t.fire('im.presence', { userId: 'u-ann', online: false, lastSeenAt: 9_000 });
    t.fire('im.presence', { userId: 'u-ann', online: false, lastSeenAt: 9_000 });
    expect(presence.get('u-ann')).toEqual({ userId: 'u-ann', online: false, lastSeenAt: 9_000 });
    expect(changes).toHaveLength(2);

    // A reconnection asks again for those still watched.
    stopList();
    again();
    online = true;
    t.reconnect();
    await flush();
    expect(t.calls.at(-1)!.path).toBe('/presence?ids=u-ann');
    expect(presence.get('u-ann')?.online).toBe(true);
    stopHeader();
    stopHeader(); // twice does nothing
    t.reconnect();
    await flush();
    expect(t.calls).toHaveLength(2);

    // Someone who becomes a contact is asked again while watched.
    const stopStranger = presence.watch(['u-stranger']);
    t.fire('im.contacts', { change: 'added', userId: 'u-stranger' });
    await flush();
    expect(t.calls.at(-1)!.path).toBe('/presence?ids=u-stranger');
    stopStranger();
    presence.stop();
    expect(t.listening('im.presence')).toBe(0);
  });

  it('splits more than 200 ids into several requests', async () => {
    const t = new FakeTransport().route('GET', '/presence', () => []);
    const presence = new PresenceStore(t);
    presence.watch(Array.from({ length: 450 }, (_, i) => `u-${i}`));
    await flush();
    expect(t.calls.map((c) => c.path.split(',').length)).toEqual([200, 200, 50]);
    expect(presence.get('u-449')).toBeNull();
  });
});

describe('PrivacySettingsClient', () => {
  it('reads and patches /me/im-settings', async () => {
    let stored = { hideLastSeen: false, acceptFromNonFriends: false };
    const t = new FakeTransport()
      .route('GET', '/me/im-settings', () => stored)
      .route('PATCH', '/me/im-settings', ({ body }) => (stored = { ...stored, ...(body as object) }));
    const privacy = new PrivacySettingsClient(t);
    expect(await privacy.get()).toEqual({ hideLastSeen: false, acceptFromNonFriends: false });
    expect(await privacy.update({ hideLastSeen: true })).toEqual({ hideLastSeen: true, acceptFromNonFriends: false });
    expect(t.calls.at(-1)).toEqual({ method: 'PATCH', path: '/me/im-settings', body: { hideLastSeen: true } });
  });
});
