/** The contacts store's contract, on SQLite and PostgreSQL. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rawQuery, testEngines, useTestDatabase } from '@muster/db/testing';
import { ContactRepository, type ContactRequest } from './ContactRepository.ts';

const engines = await testEngines('the PostgreSQL contacts store contract (im/src/store/ContactRepository.test.ts)');
const uid = () => `u${crypto.randomBytes(6).toString('hex')}`;
const request = (fromId: string, toId: string, overrides: Partial<ContactRequest> = {}): ContactRequest => ({
  id: `fr${crypto.randomBytes(9).toString('base64url')}`,
  fromId,
  toId,
  state: 'pending',
  greeting: '你好，我是张三',
  createdAt: 1_000,
  updatedAt: 1_000,
  expiresAt: 10_000,
  ...overrides,
});

describe.each(engines)('contacts store (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('keeps one pending request per pair; accepting makes both sides contacts in one write, once', async () => {
    const store = new ContactRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    await store.putRequest(request(a, b, { greeting: 'first' }));
    const second = await store.putRequest(request(a, b, { greeting: '第二次' }));
    const listed = await store.listRequests(b, 10);
    expect(listed.map((r) => [r.id, r.greeting])).toEqual([[second.id, '第二次']]);
    expect(await store.listRequests(a, 10)).toHaveLength(1);
    expect(await store.settle(second.id, 'accepted', 2_000)).toBe(true);
    expect(await store.settle(second.id, 'declined', 2_001)).toBe(false);
    expect((await store.getRequest(second.id))!.state).toBe('accepted');
    expect(await store.isContact(a, b)).toBe(true);
    expect(await store.isContact(b, a)).toBe(true);
    expect((await store.list(a)).map((c) => c.contactId)).toEqual([b]);
  });

  it('a declined request makes nobody a contact', async () => {
    const store = new ContactRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const r = await store.putRequest(request(a, b));
    expect(await store.settle(r.id, 'declined', 2_000)).toBe(true);
    expect(await store.isContact(b, a)).toBe(false);
  });

  it('remarks and tags are each side’s own, sealed; removing ends both sides', async () => {
    const db = await testDb.open();
    const store = new ContactRepository(db);
    const [a, b] = [uid(), uid()];
    const r = await store.putRequest(request(a, b));
    await store.settle(r.id, 'accepted', 2_000);
    expect(await store.setDetails(a, b, { remark: '老王-remark-marker', tags: ['同事'] }, 3_000)).toBe(true);
    expect(await store.get(a, b)).toMatchObject({ remark: '老王-remark-marker', tags: ['同事'] });
    expect(await store.get(b, a)).toMatchObject({ remark: null, tags: [] });
    expect(await store.setDetails(a, uid(), { remark: 'x', tags: [] }, 3_000)).toBe(false);
    const rows = await rawQuery<Record<string, unknown>>(testDb.location, 'select * from contacts');
    expect(JSON.stringify(rows, (_k, v) => (Buffer.isBuffer(v) ? v.toString('latin1') : v))).not.toContain('remark-marker');
    const requests = await rawQuery<Record<string, unknown>>(testDb.location, 'select * from contact_requests');
    expect(JSON.stringify(requests, (_k, v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v))).not.toContain('张三');
    expect(await store.remove(b, a)).toBe(true);
    expect(await store.isContact(a, b)).toBe(false);
    expect(await store.remove(b, a)).toBe(false);
  });

  it('blocks, one way', async () => {
    const store = new ContactRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    await store.block(a, b, 5);
    await store.block(a, b, 6);
    expect(await store.blocked(a, b)).toBe(true);
    expect(await store.blocked(b, a)).toBe(false);
    expect(await store.listBlocked(a)).toEqual([{ userId: b, at: 5 }]);
    expect(await store.unblock(a, b)).toBe(true);
    expect(await store.unblock(a, b)).toBe(false);
  });

  it('purges lapsed and long-settled requests', async () => {
    const store = new ContactRepository(await testDb.open());
    const [a, b, c] = [uid(), uid(), uid()];
    const lapsed = await store.putRequest(request(a, b, { expiresAt: 100 }));
    const live = await store.putRequest(request(a, c, { expiresAt: 10_000 }));
    expect(await store.purgeRequests(500, 0)).toBe(1);
    expect(await store.getRequest(lapsed.id)).toBeNull();
    expect(await store.getRequest(live.id)).not.toBeNull();
  });
});
