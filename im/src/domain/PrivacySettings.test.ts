/** IM privacy settings: both off by default; "messages from non-friends" lets a stranger open a conversation, a block still refuses. */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@muster/db/testing';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';

describe('IM privacy settings', () => {
  const testDb = useTestDatabase('sqlite');
  const setup = async () => openImTestWorld(await testDb.open());

  it('are off by default and changed one at a time', async () => {
    const { im, person } = await setup();
    const ann = await person('Ann');
    expect(await im.privacy.get(ann)).toEqual({ hideLastSeen: false, acceptFromNonFriends: false });
    expect(await im.privacy.update(ann, { hideLastSeen: true })).toEqual({ hideLastSeen: true, acceptFromNonFriends: false });
    expect(await im.privacy.update(ann, { acceptFromNonFriends: true })).toEqual({ hideLastSeen: true, acceptFromNonFriends: true });
    expect(await im.privacy.get(await person('Ben'))).toEqual({ hideLastSeen: false, acceptFromNonFriends: false });
  });

  it('with "messages from non-friends" on, a stranger opens a conversation and talks; a block still refuses', async () => {
    const { im, conversations, contacts, person } = await setup();
    const [ann, stranger, other] = [await person('Ann'), await person('Stranger'), await person('Other')];
    expect(await imErrorCode(conversations.openDirect(stranger, ann.accountId))).toBe('NOT_FOUND');
    await im.privacy.update(ann, { acceptFromNonFriends: true });
    const c = await conversations.openDirect(stranger, ann.accountId);
    expect(c).toMatchObject({ kind: 'direct', peer: { nickname: 'Ann' } });
    expect((await conversations.send(stranger, c.id, { clientMsgId: 'stranger-1', text: '你好' })).seq).toBe(1);
    // Her setting is hers: the stranger still takes nothing from people who are not his contacts.
    expect(await imErrorCode(conversations.openDirect(other, stranger.accountId))).toBe('NOT_FOUND');
    await contacts.block(ann, other.accountId);
    expect(await imErrorCode(conversations.openDirect(other, ann.accountId))).toBe('REFUSED_BY_RECIPIENT');
    await im.privacy.update(ann, { acceptFromNonFriends: false });
    expect(await imErrorCode(conversations.openDirect(other, ann.accountId))).toBe('NOT_FOUND');
  });
});
