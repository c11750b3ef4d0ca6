/**
 * The live contact events the "New friends" badge and the contact list
 * follow: a request reaches both people as it is sent and as it is answered;
 * a friendship made or ended reaches both lists; a remark, tags, a block
 * reach only the person's own devices. A refused request publishes nothing.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@muster/db/testing';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';

describe('contact events', () => {
  const testDb = useTestDatabase('sqlite');
  const setup = async () => openImTestWorld(await testDb.open());
  const seen = (deliveries: { event: string; to: readonly string[]; payload: unknown }[]) =>
    deliveries.filter((d) => d.event === 'im.contactRequest' || d.event === 'im.contacts');

  it('a request and its answer reach both people; an accepted one adds each to the other’s list', async () => {
    const { contacts, person, deliveries } = await setup();
    const [zhang, li] = [await person('张三'), await person('李四')];
    const { id } = await contacts.request(zhang, li.accountId, '我是张三');
    const sent = seen(deliveries);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.event).toBe('im.contactRequest');
    expect([...sent[0]!.to].sort()).toEqual([zhang.accountId, li.accountId].sort());
    expect(sent[0]!.payload).toMatchObject({ id, greeting: '我是张三', state: 'pending', from: { id: zhang.accountId, nickname: '张三' }, to: { id: li.accountId } });

    deliveries.length = 0;
    await contacts.answer(li, id, true);
    expect(seen(deliveries).map((d) => [d.event, d.to, (d.payload as { state?: string; change?: string; userId?: string })])).toEqual([
      ['im.contactRequest', [zhang.accountId, li.accountId], expect.objectContaining({ id, state: 'accepted' })],
      ['im.contacts', [zhang.accountId], { change: 'added', userId: li.accountId }],
      ['im.contacts', [li.accountId], { change: 'added', userId: zhang.accountId }],
    ]);

    deliveries.length = 0;
    await contacts.update(zhang, li.accountId, { remark: '小李' });
    await contacts.remove(li, zhang.accountId);
    expect(seen(deliveries).map((d) => [d.event, d.to, d.payload])).toEqual([
      ['im.contacts', [zhang.accountId], { change: 'updated', userId: li.accountId }],
      ['im.contacts', [li.accountId], { change: 'removed', userId: zhang.accountId }],
      ['im.contacts', [zhang.accountId], { change: 'removed', userId: li.accountId }],
    ]);
  });

  it('a declined request reaches both; asking back accepts; a block is private and a blocked request publishes nothing', async () => {
    const { contacts, person, deliveries } = await setup();
    const [a, b, c] = [await person('Ann'), await person('Ben'), await person('Cy')];
    const first = await contacts.request(a, b.accountId);
    deliveries.length = 0;
    await contacts.answer(b, first.id, false);
    expect(seen(deliveries).map((d) => [d.event, (d.payload as { state: string }).state])).toEqual([['im.contactRequest', 'declined']]);

    const asked = await contacts.request(a, c.accountId);
    deliveries.length = 0;
    expect(await contacts.request(c, a.accountId)).toEqual({ id: asked.id, state: 'accepted' });
    expect(seen(deliveries).map((d) => d.event)).toEqual(['im.contactRequest', 'im.contacts', 'im.contacts']);

    deliveries.length = 0;
    await contacts.block(b, a.accountId);
    expect(await imErrorCode(contacts.request(a, b.accountId))).toBe('REFUSED_BY_RECIPIENT');
    await contacts.unblock(b, a.accountId);
    expect(seen(deliveries).map((d) => [d.event, d.to, d.payload])).toEqual([
      ['im.contacts', [b.accountId], { change: 'blocked', userId: a.accountId }],
      ['im.contacts', [b.accountId], { change: 'unblocked', userId: a.accountId }],
    ]);
  });
});
