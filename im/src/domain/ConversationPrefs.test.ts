/**
 * A person's settings of their conversations: pinned first, muted, hidden
 * until a new message, marked unread until read, drafts (2048 bytes at
 * most) — in the list views, live to their own devices only, and nobody
 * else's business (NOT_FOUND).
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@muster/db/testing';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';

describe('conversation settings', () => {
  const testDb = useTestDatabase('sqlite');
  const setup = async () => {
    const w = await openImTestWorld(await testDb.open());
    const [ann, ben, cy] = [await w.person('Ann'), await w.person('Ben'), await w.person('Cy')];
    await w.befriend(ann, ben);
    await w.befriend(ann, cy);
    const withBen = await w.conversations.openDirect(ann, ben.accountId);
    const withCy = await w.conversations.openDirect(ann, cy.accountId);
    await w.conversations.send(ben, withBen.id, { clientMsgId: 'ben-00001', text: 'older' });
    w.t.clock.advance(1000);
    await w.conversations.send(cy, withCy.id, { clientMsgId: 'cy-000001', text: 'newer' });
    return { ...w, ann, ben, cy, withBen, withCy };
  };
  const ids = (views: { id: string }[]) => views.map((v) => v.id);

  it('pins first, mutes, and shows the settings in the views (another person’s list is untouched)', async () => {
    const { im, conversations, ann, ben, withBen, withCy } = await setup();
    expect(ids(await conversations.list(ann))).toEqual([withCy.id, withBen.id]);
    expect(await im.prefs.update(ann, withBen.id, { pinned: true, muted: true })).toEqual({ pinned: true, muted: true, hidden: false, markedUnread: false, draft: null, updatedAt: expect.any(Number) });
    const list = await conversations.list(ann);
    expect(list.map((v) => [v.id, v.pinned, v.muted])).toEqual([
      [withBen.id, true, true],
      [withCy.id, false, false],
    ]);
    expect((await conversations.list(ben))[0]).toMatchObject({ pinned: false, muted: false });
    await im.prefs.update(ann, withBen.id, { pinned: false });
    expect(ids(await conversations.list(ann))).toEqual([withCy.id, withBen.id]);
    expect(await im.prefs.get(ann, withBen.id)).toMatchObject({ pinned: false, muted: true });
  });

  it('hides a conversation until a new message arrives; ?hidden lists it anyway', async () => {
    const { im, conversations, ann, cy, withCy, withBen } = await setup();
    await im.prefs.update(ann, withCy.id, { hidden: true });
    expect(ids(await conversations.list(ann))).toEqual([withBen.id]);
    expect((await conversations.list(ann, { hidden: true })).find((v) => v.id === withCy.id)).toMatchObject({ hidden: true });
    await conversations.send(cy, withCy.id, { clientMsgId: 'cy-000002', text: 'are you there?' });
    expect((await conversations.list(ann)).map((v) => [v.id, v.hidden])).toEqual([
      [withCy.id, false],
      [withBen.id, false],
    ]);
  });

  it('marked unread until read (reading clears it, even with nothing new to read)', async () => {
    const { im, conversations, ann, withBen } = await setup();
    await conversations.markRead(ann, withBen.id, 1);
    await im.prefs.update(ann, withBen.id, { markedUnread: true });
    expect((await conversations.list(ann)).find((v) => v.id === withBen.id)).toMatchObject({ unread: 0, markedUnread: true });
    await conversations.markRead(ann, withBen.id, 1);
    expect((await im.prefs.get(ann, withBen.id)).markedUnread).toBe(false);
  });

  it('keeps a draft per conversation, at most 2048 bytes (empty clears it)', async () => {
    const { im, conversations, ann, withBen } = await setup();
    await im.prefs.setDraft(ann, withBen.id, '明天见'.repeat(10));
    expect((await conversations.list(ann)).find((v) => v.id === withBen.id)!.draft).toBe('明天见'.repeat(10));
    expect(await imErrorCode(im.prefs.setDraft(ann, withBen.id, '长'.repeat(683)))).toBe('TEXT_TOO_LONG');
    expect((await im.prefs.get(ann, withBen.id)).draft).toBe('明天见'.repeat(10));
    await im.prefs.setDraft(ann, withBen.id, '');
    expect((await conversations.list(ann)).find((v) => v.id === withBen.id)!.draft).toBeUndefined();
  });

  it('goes live to the person’s own devices only, and is NOT_FOUND for a conversation not theirs', async () => {
    const { im, deliveries, ann, ben, cy, withBen } = await setup();
    const before = deliveries.length;
    await im.prefs.update(ann, withBen.id, { muted: true });
    await im.prefs.setDraft(ann, withBen.id, 'hi');
    const live = deliveries.slice(before).filter((d) => d.event === 'im.conversation');
    expect(live.map((d) => [d.to, d.payload])).toEqual([
      [[ann.accountId], { conversationId: withBen.id, settings: expect.objectContaining({ muted: true, draft: null }) }],
      [[ann.accountId], { conversationId: withBen.id, settings: expect.objectContaining({ muted: true, draft: 'hi' }) }],
    ]);
    expect(await imErrorCode(im.prefs.update(cy, withBen.id, { pinned: true }))).toBe('NOT_FOUND');
    expect(await imErrorCode(im.prefs.setDraft(cy, withBen.id, 'x'))).toBe('NOT_FOUND');
    expect(await imErrorCode(im.prefs.get(cy, withBen.id))).toBe('NOT_FOUND');
    expect(await imErrorCode(im.prefs.get(ben, 'cvnothing-of-the-sort'))).toBe('NOT_FOUND');
  });
});
