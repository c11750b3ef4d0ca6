/**
 * The send route under overload, over HTTP: past the cap on sends in flight
 * a send is 503 BUSY with Retry-After: 1 at once, and nothing is stored; the
 * same request is taken once a slot is free.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Principal } from '@muster/accounts';
import { silentLogger, useTestDatabase } from '@muster/db/testing';
import { waitUntil } from '@muster/kit/testing';
import { describe, expect, it } from 'vitest';
import { Conversations } from '../domain/Conversations.ts';
import { HeldWrites, openImTestWorld } from '../testing/index.ts';
import { conversationsApi } from './conversationsApi.ts';

describe('conversations API', () => {
  const testDb = useTestDatabase('sqlite');

  it('answers a send past the cap with 503 BUSY and Retry-After: 1, storing nothing; the same send goes through once a slot is free', async () => {
    const db = await testDb.open();
    const w = await openImTestWorld(db);
    testDb.defer(() => w.im.close());
    const store = new HeldWrites(db);
    const conversations = new Conversations({ conversations: store, contacts: w.contacts, accounts: w.t.accounts, hub: w.im.hub, now: w.t.clock.now, maxSendsInFlight: 1 });
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    await w.befriend(ann, ben);
    const c = await conversations.openDirect(ann, ben.accountId);
    const people = new Map<string, Principal>([['ann', ann], ['ben', ben]]);
    const app = express();
    app.use((req, _res, next) => {
      const principal = people.get(req.headers.authorization ?? '');
      if (principal) (req as unknown as { principal: Principal }).principal = principal;
      next();
    });
    app.use('/api/v1', conversationsApi(conversations, { logger: silentLogger }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    testDb.defer(() => new Promise((resolve) => server.close(resolve)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/conversations/${c.id}/messages`;
    const send = (as: string, clientMsgId: string, text: string) =>
      fetch(url, { method: 'POST', headers: { authorization: as, 'content-type': 'application/json' }, body: JSON.stringify({ clientMsgId, type: 'text', text }) });

    store.hold();
    const first = send('ann', 'http-busy-01', 'first');
    await waitUntil(() => store.waiting === 1, 10_000, 'the first send to reach the held write');
    const busy = await send('ben', 'http-busy-02', 'second');
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toEqual({ error: { code: 'BUSY', message: expect.any(String) } });
    expect(store.waiting).toBe(1);
    store.release();
    expect((await first).status).toBe(201);
    const retried = await send('ben', 'http-busy-02', 'second');
    expect(retried.status).toBe(201);
    expect((await conversations.messages(ann, c.id, {})).map((m) => m.text)).toEqual(['first', 'second']);
  });
});
