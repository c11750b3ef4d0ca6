/**
 * GET /api/v1/search/messages over HTTP: validated query, coded errors
 * (never INTERNAL), another person's conversation 404, and a fuzz of
 * malformed queries.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Principal } from '@muster/accounts';
import { silentLogger, useTestDatabase } from '@muster/db/testing';
import { waitUntil } from '@muster/kit/testing';
import { describe, expect, it } from 'vitest';
import { openImTestWorld } from '../testing/index.ts';
import { searchApi } from './searchApi.ts';

describe('search API', () => {
  const testDb = useTestDatabase('sqlite');

  async function serve() {
    const w = await openImTestWorld(await testDb.open());
    testDb.defer(() => w.im.close());
    const people = new Map<string, Principal>();
    const app = express();
    app.use((req, _res, next) => {
      const principal = people.get(req.headers.authorization ?? '');
      if (principal) (req as unknown as { principal: Principal }).principal = principal;
      next();
    });
    app.use('/api/v1', searchApi(w.im.search, { logger: silentLogger }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    testDb.defer(() => new Promise((resolve) => server.close(resolve)));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/search/messages`;
    const get = async (as: string | null, query: string) => {
      const res = await fetch(`${base}${query}`, { headers: as ? { authorization: as } : {} });
      return { status: res.status, body: (await res.json()) as any };
    };
    const [ann, ben, eve] = [await w.person('Ann'), await w.person('Ben'), await w.person('Eve')];
    people.set('ann', ann).set('ben', ben).set('eve', eve);
    await w.befriend(ann, ben);
    await w.befriend(ben, eve);
    const annBen = await w.conversations.openDirect(ann, ben.accountId);
    const benEve = await w.conversations.openDirect(ben, eve.accountId);
    await w.conversations.send(ann, annBen.id, { clientMsgId: 'search-api-1', text: '下午三点开会，讨论Q3预算' });
    w.t.clock.advance(1_000);
    await w.conversations.send(ben, benEve.id, { clientMsgId: 'search-api-2', text: '预算的事明天再说' });
    await waitUntil(async () => (await w.im.searchIndexer.lag()).backlog.revsBehind === 0, 10_000, 'the index to catch up');
    return { get, annBen, benEve };
  }

  it('answers with the hits of your conversations, newest first; refuses bad queries with codes', async () => {
    const { get, annBen, benEve } = await serve();
    const q = (s: string) => encodeURIComponent(s);
    const ben = await get('ben', `?q=${q('预算')}`);
    expect(ben.status).toBe(200);
    expect(ben.body.results.map((r: { conversationId: string }) => r.conversationId)).toEqual([benEve.id, annBen.id]);
    expect(ben.body.next).toBeNull();
    const ann = await get('ann', `?q=${q('开会 预算')}&limit=5`);
    expect(ann.body.results).toEqual([expect.objectContaining({ conversationId: annBen.id, seq: 1, snippet: '下午三点开会，讨论Q3预算', type: 'text' })]);
    expect((await get('ann', `?q=${q('预算')}&conversationId=${benEve.id}`))).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect((await get('eve', `?q=${q('开会')}`)).body.results).toEqual([]);
    expect((await get(null, `?q=x`))).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    for (const bad of ['', '?q=', `?q=${'x'.repeat(101)}`, '?q=%20%20', `?q=${q('，。！')}`, '?q=a&limit=0', '?q=a&limit=51', '?q=a&limit=x', '?q=a&beforeSeq=2', '?q=a&before=%%%', '?q=a&conversationId=nope', '?q=a&q=b', '?q=a&extra=1']) {
      const res = await get('ann', bad);
      expect({ bad, status: res.status, code: res.body.error?.code }).toEqual({ bad, status: 400, code: 'BAD_REQUEST' });
    }
  });

  it('fuzz: malformed queries get coded refusals only, never INTERNAL, and search keeps working', async () => {
    const { get, annBen } = await serve();
    const pieces = ['q', 'conversationId', 'beforeSeq', 'before', 'limit', 'x', 'q[]', 'limit[a]', '__proto__', 'constructor'];
    const values = ['', '会议', '%00', '%FF', '-1', '0', '1e9', 'NaN', 'null', '[]', '{}', annBen.id, 'cv' + 'A'.repeat(60), 'eyJhIjoxfQ', 'WzEsImN2eCIsMl0', '"', '%E4%BC', 'x'.repeat(300), '1.5', '9007199254740993'];
    let seed = 7;
    const pick = <T>(list: readonly T[]) => list[(seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % list.length]!;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const parts = Array.from({ length: 1 + (i % 4) }, () => `${pick(pieces)}=${pick(values)}`);
      const res = await get('ann', `?${parts.join('&')}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect([200, 400, 404], `?${parts.join('&')} → ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status);
      if (res.status !== 200) expect(['BAD_REQUEST', 'NOT_FOUND']).toContain(res.body.error.code);
    }
    expect(statuses.get(400)).toBeGreaterThan(100);
    expect((await get('ann', `?q=${encodeURIComponent('预算')}`)).body.results).toHaveLength(1);
  });
});
