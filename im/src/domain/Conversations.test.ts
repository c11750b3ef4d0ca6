/**
 * One-to-one conversations with real accounts and contacts: only contacts
 * open one, only members reach it, text is limited in bytes, a retry is not
 * a second message, blocks refuse and store nothing, unread follows the read
 * pointer, and a device that was away catches up by seq.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@muster/db/testing';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';

describe('conversations', () => {
  const testDb = useTestDatabase('sqlite');
  const setup = async () => openImTestWorld(await testDb.open());

  it('only contacts open a conversation; only its members reach it', async () => {
    const { conversations, person, befriend } = await setup();
    const [ann, ben, eve] = [await person('Ann'), await person('Ben'), await person('Eve')];
    expect(await imErrorCode(conversations.openDirect(ann, ben.accountId))).toBe('NOT_FOUND');
    await befriend(ann, ben);
    const c = await conversations.openDirect(ann, ben.accountId);
    expect(c).toMatchObject({ kind: 'direct', peer: { nickname: 'Ben' }, lastSeq: 0, unread: 0, lastMessage: null });
    expect((await conversations.openDirect(ben, ann.accountId)).id).toBe(c.id);
    expect(await imErrorCode(conversations.send(eve, c.id, { clientMsgId: 'eve-00001', text: 'hi' }))).toBe('NOT_FOUND');
    expect(await imErrorCode(conversations.messages(eve, c.id, {}))).toBe('NOT_FOUND');
    expect(await imErrorCode(conversations.markRead(eve, c.id, 1))).toBe('NOT_FOUND');
  });

  it('sends text up to 2048 bytes of UTF-8; a retry returns the first message; unread follows the read pointer', async () => {
    const { conversations, store, person, befriend } = await setup();
    const [ann, ben] = [await person('Ann'), await person('Ben')];
    await befriend(ann, ben);
    const c = await conversations.openDirect(ann, ben.accountId);
    // 682 Chinese characters are 2046 bytes: fine; one more is 2049: refused, and nothing stored.
    await conversations.send(ann, c.id, { clientMsgId: 'ann-000001', text: '会'.repeat(682) });
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'ann-000002', text: '会'.repeat(683) }))).toBe('TEXT_TOO_LONG');
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'ann-000003', text: '   ' }))).toBe('BAD_REQUEST');
    const sent = await conversations.send(ann, c.id, { clientMsgId: 'ann-000004', text: '明天开会', mentions: [ben.accountId, ben.accountId] });
    const retried = await conversations.send(ann, c.id, { clientMsgId: 'ann-000004', text: '明天开会' });
    expect(retried).toEqual({ ...sent, duplicate: true });
    expect(await store.countMessages(c.id)).toBe(2);
    const [forBen] = await conversations.list(ben);
    expect(forBen).toMatchObject({ unread: 2, lastMessage: { text: '明天开会', mentions: [ben.accountId], seq: 2 } });
    expect(await conversations.markRead(ben, c.id, 1)).toEqual({ readSeq: 1, unread: 1 });
    expect((await conversations.list(ann))[0]!.unread).toBe(0);
  });

  it('a device that was away catches up by seq, in order', async () => {
    const { conversations, person, befriend } = await setup();
    const [ann, ben] = [await person('Ann'), await person('Ben')];
    await befriend(ann, ben);
    const c = await conversations.openDirect(ann, ben.accountId);
    for (let i = 1; i <= 120; i++) await conversations.send(i % 3 ? ann : ben, c.id, { clientMsgId: `m-${String(i).padStart(6, '0')}`, text: `#${i}` });
    const caught: number[] = [];
    let after = 0;
    for (;;) {
      const page = await conversations.messages(ben, c.id, { afterSeq: after, limit: 50 });
      if (page.length === 0) break;
      caught.push(...page.map((m) => m.seq));
      after = page.at(-1)!.seq;
    }
    expect(caught).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect((await conversations.messages(ben, c.id, { beforeSeq: 11, limit: 3 })).map((m) => m.text)).toEqual(['#8', '#9', '#10']);
  });

  it('a group is made from contacts; everyone in it reads its messages; a block does not silence a group', async () => {
    const { contacts, conversations, person, befriend, im } = await setup();
    const [ann, ben, cy, eve] = [await person('Ann'), await person('Ben'), await person('Cy'), await person('Eve')];
    await befriend(ann, ben);
    await befriend(ann, cy);
    expect(await imErrorCode(im.groups.create(ann, { name: 'Team', members: [ben.accountId, eve.accountId] }))).toBe('BAD_REQUEST');
    expect(await imErrorCode(im.groups.create(ann, { name: 'Alone', members: [ann.accountId] }))).toBe('BAD_REQUEST');
    const group = await im.groups.create(ann, { name: '项目组', members: [ben.accountId, cy.accountId] });
    expect(group).toMatchObject({ name: '项目组', members: 3, temporary: false });
    await contacts.block(cy, ben.accountId);
    const deliveries: string[][] = [];
    im.hub.subscribe((d) => d.event === 'im.message' && deliveries.push([...d.to].sort()));
    expect((await conversations.send(ben, group.conversationId, { clientMsgId: 'ben-group-01', text: '大家好' })).seq).toBe(1);
    expect(deliveries).toEqual([[ann.accountId, ben.accountId, cy.accountId].sort()]);
    expect((await conversations.messages(cy, group.conversationId, {})).map((m) => m.text)).toEqual(['大家好']);
    expect((await conversations.list(cy))[0]).toMatchObject({ kind: 'group', name: '项目组', unread: 1, peer: null });
    expect(await imErrorCode(conversations.messages(eve, group.conversationId, {}))).toBe('NOT_FOUND');
  });

  it('someone who blocked you refuses your messages, and nothing is stored', async () => {
    const { contacts, conversations, store, person, befriend } = await setup();
    const [ann, ben] = [await person('Ann'), await person('Ben')];
    await befriend(ann, ben);
    const c = await conversations.openDirect(ann, ben.accountId);
    await contacts.block(ben, ann.accountId);
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'ann-blocked', text: 'hello?' }))).toBe('REFUSED_BY_RECIPIENT');
    expect(await store.countMessages(c.id)).toBe(0);
    expect(await imErrorCode(conversations.openDirect(ann, ben.accountId))).toBe('REFUSED_BY_RECIPIENT');
    // Ben may still write to Ann.
    expect((await conversations.send(ben, c.id, { clientMsgId: 'ben-000001', text: 'I blocked you' })).seq).toBe(1);
  });
});
