/**
 * A group's photo: the person-avatar pipeline (one copy, in accounts), stored
 * sealed in group_avatars, served at the same signed avatar paths; owner and
 * admins only; a notice and an `avatar` event; removal; clearing drops it.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import { AVATAR_MAX_BYTES } from '@muster/accounts';
import { useTestDatabase } from '@muster/db/testing';
import { GroupRepository } from '../store/GroupRepository.ts';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';

describe('group avatars', () => {
  const testDb = useTestDatabase('sqlite');

  const setup = async () => {
    const db = await testDb.open();
    const world = await openImTestWorld(db);
    const { im, person, befriend } = world;
    const [ann, ben, cy, dan] = [await person('Ann'), await person('Ben'), await person('Cy'), await person('Dan')];
    for (const other of [ben, cy, dan]) await befriend(ann, other);
    const group = await im.groups.create(ann, { name: 'Crew', members: [ben.accountId, cy.accountId] });
    const notices = async (p: Principal) => (await im.conversations.messages(p, group.id, { afterSeq: 0, limit: 200 })).filter((m) => m.type === 'system').map((m) => m.notice!);
    const groupEvents = (to: Principal) => world.deliveries.filter((d) => d.event === 'im.group' && d.to.includes(to.accountId)).map((d) => d.payload as { change: string; group: { avatar: unknown } });
    return { ...world, db, ann, ben, cy, dan, group, notices, groupEvents };
  };
  /** The image behind a served path, as the avatar route finds it. */
  const served = (world: Awaited<ReturnType<typeof setup>>, path: string) => {
    const m = /^\/api\/v1\/avatars\/([^/]+)\/(\d+)\/(small|large)\.webp\?sig=(.+)$/.exec(path)!;
    return world.t.accounts.profiles.avatar(m[1]!, Number(m[2]), m[3] as 'small' | 'large', m[4]!);
  };
  const photo = () => sharp({ create: { width: 300, height: 200, channels: 3, background: '#c33' } }).jpeg().withMetadata({ exif: { IFD0: { Copyright: 'gps-here' } } }).toBuffer();

  it('owner and admins set it: members see signed paths to a 256 px WebP; a notice and an avatar event; a new one gets a new path', async () => {
    const world = await setup();
    const { im, ann, ben, cy, dan, group, notices, groupEvents } = world;
    expect(group.avatar).toBeNull();
    const set = await im.groups.setAvatar(ann, group.id, await photo());
    expect(set.avatar).toEqual({ small: expect.stringMatching(new RegExp(`^/api/v1/avatars/${group.id}/1/small\\.webp\\?sig=`)), large: expect.stringMatching(/\/1\/large\.webp\?sig=/) });
    expect((await im.groups.get(cy, group.id)).avatar).toEqual(set.avatar);
    expect((await im.groups.list(ben))[0]!.avatar).toEqual(set.avatar);
    const large = await served(world, set.avatar!.large);
    const meta = await sharp(large).metadata();
    expect([meta.format, meta.width, meta.height, meta.exif]).toEqual(['webp', 256, 256, undefined]);
    expect((await sharp(await served(world, set.avatar!.small)).metadata()).width).toBe(64);
    // Sealed at rest: the stored bytes are not the WebP.
    const row = await world.db.kysely.selectFrom('group_avatars').select('large').executeTakeFirst();
    expect(Buffer.from(row!.large!).includes(large.subarray(0, 16))).toBe(false);
    // A forged signature finds nothing.
    await expect(served(world, set.avatar!.large.replace(/sig=.*/, 'sig=' + 'x'.repeat(32)))).rejects.toMatchObject({ code: 'NOT_FOUND' });

    expect((await notices(cy)).at(-1)).toMatchObject({ kind: 'avatar', actorId: ann.accountId });
    expect(groupEvents(cy).at(-1)).toMatchObject({ change: 'avatar', group: { avatar: set.avatar } });

    // Members may not; non-members do not see the group.
    expect(await imErrorCode(im.groups.setAvatar(ben, group.id, await photo()))).toBe('FORBIDDEN');
    expect(await imErrorCode(im.groups.removeAvatar(ben, group.id))).toBe('FORBIDDEN');
    expect(await imErrorCode(im.groups.setAvatar(dan, group.id, await photo()))).toBe('NOT_FOUND');
    await im.groups.setAdmin(ann, group.id, ben.accountId, true);
    const again = await im.groups.setAvatar(ben, group.id, await photo());
    expect(again.avatar!.large).toMatch(/\/2\/large\.webp/);
    // The old path serves nothing now.
    await expect(served(world, set.avatar!.large)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses what is not an image (IMAGE_INVALID), too big (PAYLOAD_TOO_LARGE), and a dissolved group', async () => {
    const { im, ann, group } = await setup();
    expect(await imErrorCode(im.groups.setAvatar(ann, group.id, Buffer.from('not an image')))).toBe('IMAGE_INVALID');
    expect(await imErrorCode(im.groups.setAvatar(ann, group.id, Buffer.alloc(0)))).toBe('IMAGE_INVALID');
    expect(await imErrorCode(im.groups.setAvatar(ann, group.id, Buffer.alloc(AVATAR_MAX_BYTES + 1)))).toBe('PAYLOAD_TOO_LARGE');
    expect((await im.groups.info(group.id))!.avatar).toBeNull();
    await im.groups.dissolve(ann, group.id);
    expect(await imErrorCode(im.groups.setAvatar(ann, group.id, await photo()))).toBe('GROUP_DISSOLVED');
    expect(await imErrorCode(im.groups.removeAvatar(ann, group.id))).toBe('GROUP_DISSOLVED');
  });

  it('removes it: back to none, a notice saying so; a later photo gets a version past the removed one; clearing drops the images', async () => {
    const world = await setup();
    const { im, ann, cy, group, notices, db } = world;
    const set = await im.groups.setAvatar(ann, group.id, await photo());
    const removed = await im.groups.removeAvatar(ann, group.id);
    expect(removed.avatar).toBeNull();
    expect((await im.groups.get(cy, group.id)).avatar).toBeNull();
    await expect(served(world, set.avatar!.small)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await notices(cy)).at(-1)).toMatchObject({ kind: 'avatar', detail: { removed: true } });
    // Removing none again says nothing.
    const count = (await notices(cy)).length;
    await im.groups.removeAvatar(ann, group.id);
    expect((await notices(cy)).length).toBe(count);
    const next = await im.groups.setAvatar(ann, group.id, await photo());
    expect(next.avatar!.small).toMatch(/\/2\/small\.webp/);
    await new GroupRepository(db).clear(group.id, Date.now());
    expect(await new GroupRepository(db).getAvatar(group.id)).toBeNull();
  });
});
