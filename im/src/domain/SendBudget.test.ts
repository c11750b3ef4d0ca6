/**
 * The per-process cap on sends in flight: past it a send or a forward is
 * BUSY at once (503, Retry-After: 1) and stores nothing; a slot is freed
 * when a send ends, however it ends; the refused send's retry under the same
 * clientMsgId is then stored, once. With real storage on both engines.
 */
import { describe, expect, it } from 'vitest';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { waitUntil } from '@muster/kit/testing';
import { isImError } from '../errors.ts';
import { HeldWrites, imErrorCode, openImTestWorld } from '../testing/index.ts';
import { Conversations } from './Conversations.ts';
import { DEFAULT_MAX_SENDS_IN_FLIGHT, SendBudget } from './SendBudget.ts';

const engines = await testEngines('the PostgreSQL send cap (im/src/domain/SendBudget.test.ts)');

describe('SendBudget', () => {
  it('takes up to its limit at once, frees a slot however a send ends, and counts what it refused', async () => {
    expect(new SendBudget().limit).toBe(DEFAULT_MAX_SENDS_IN_FLIGHT);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new SendBudget(bad)).toThrow(/maxSendsInFlight/);
    const budget = new SendBudget(1);
    let finish!: () => void;
    const running = budget.run(() => new Promise<string>((resolve) => (finish = () => resolve('done'))));
    expect(budget.inFlight).toBe(1);
    const refused = await budget.run(async () => 'never').catch((e: unknown) => e);
    expect(isImError(refused, 'BUSY') && [refused.status, refused.retryAfterSeconds]).toEqual([503, 1]);
    expect(budget.refused).toBe(1);
    finish();
    expect(await running).toBe('done');
    // A send that fails frees its slot too.
    await expect(budget.run(() => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    expect(budget.inFlight).toBe(0);
    expect(await budget.run(async () => 'again')).toBe('again');
  });
});

describe.each(engines)('the cap on sends in flight (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('past the cap a send or forward is BUSY at once and stores nothing; once one ends sends are taken again, and the refused one’s retry is stored once', async () => {
    const db = await testDb.open();
    const w = await openImTestWorld(db, { maxSendsInFlight: 2 });
    testDb.defer(() => w.im.close());
    // The Im option reaches the cap.
    expect(w.im.conversations.sendBudget.limit).toBe(2);
    // The same domain over a store whose writes the test holds open.
    const store = new HeldWrites(db);
    const conversations = new Conversations({ conversations: store, contacts: w.contacts, accounts: w.t.accounts, hub: w.im.hub, now: w.t.clock.now, maxSendsInFlight: 2 });
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    await w.befriend(ann, ben);
    const c = await conversations.openDirect(ann, ben.accountId);
    const zero = await conversations.send(ann, c.id, { clientMsgId: 'busy-000000', text: 'zero' });

    store.hold();
    const first = conversations.send(ann, c.id, { clientMsgId: 'busy-000001', text: 'one' });
    const second = conversations.send(ben, c.id, { clientMsgId: 'busy-000002', text: 'two' });
    expect(conversations.sendBudget.inFlight).toBe(2);
    await waitUntil(() => store.waiting === 2, 10_000, 'both sends to reach the held write');
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'busy-000003', text: 'three' }))).toBe('BUSY');
    expect(await imErrorCode(conversations.forward(ann, { clientMsgId: 'busy-fwd-01', from: c.id, messageIds: [zero.id], to: [c.id], mode: 'single' }))).toBe('BUSY');
    // Refused before anything was read or written: nothing more waits at the store.
    expect(store.waiting).toBe(2);
    expect(conversations.sendBudget.refused).toBe(2);

    store.release();
    await first;
    const retried = await conversations.send(ann, c.id, { clientMsgId: 'busy-000003', text: 'three' });
    expect(retried.duplicate).toBe(false);
    await second;
    const forwarded = await conversations.forward(ann, { clientMsgId: 'busy-fwd-01', from: c.id, messageIds: [zero.id], to: [c.id], mode: 'single' });
    expect(forwarded.results[0]!.sent).toHaveLength(1);
    expect(conversations.sendBudget.inFlight).toBe(0);
    const texts = (await conversations.messages(ann, c.id, {})).map((m) => m.text);
    expect(texts).toHaveLength(5);
    expect([...texts].sort()).toEqual(['one', 'three', 'two', 'zero', 'zero']);
  });
});
