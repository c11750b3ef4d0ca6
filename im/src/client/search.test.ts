/**
 * Search in messages in the client SDK against a fake transport: a page
 * over REST when the socket is away (the query in the URL), a session that
 * follows typing (a late reply to an older query is dropped), pages on with
 * `next`, clears on a blank query, and reports a refusal with its code.
 */
import { describe, expect, it } from 'vitest';
import type { SearchHit } from '../protocol.ts';
import { FakeTransport, flush } from './fakeTransport.ts';
import { SearchClient } from './search.ts';
import { ImClientError } from './transport.ts';

const hit = (seq: number, over: Partial<SearchHit> = {}): SearchHit => ({
  id: `m-${seq}`,
  conversationId: 'cv-chat-0001',
  seq,
  senderId: 'u-ann-000',
  type: 'text',
  snippet: `明天的会议改到三点 ${seq}`,
  sentAt: 1_000 + seq,
  ...over,
});

describe('SearchClient', () => {
  it('asks GET /search/messages when the socket is away, with the scope and the cursor', async () => {
    const t = new FakeTransport().route('GET', '/search/messages', ({ query }) => ({
      results: [hit(3)],
      next: query.get('before') ? null : 'cursor-1',
      echo: Object.fromEntries(query),
    }));
    const search = new SearchClient(t);
    const first = (await search.page({ q: ' 会议 ', conversationId: 'cv-chat-0001', limit: 5 })) as unknown as { next: string; echo: Record<string, string> };
    expect(first.next).toBe('cursor-1');
    expect(first.echo).toEqual({ q: '会议', conversationId: 'cv-chat-0001', limit: '5' });
    const second = await search.page({ q: '会议', before: 'cursor-1' });
    expect(second.next).toBeNull();
    expect(t.calls.at(-1)!.path).toBe('/search/messages?q=%E4%BC%9A%E8%AE%AE&before=cursor-1');
  });

  it('uses the socket when it answers', async () => {
    const t = new FakeTransport();
    const asked: unknown[] = [];
    t.emit = (async (event: string, payload: unknown) => {
      asked.push([event, payload]);
      return { results: [hit(1)], next: null };
    }) as FakeTransport['emit'];
    const reply = await new SearchClient(t).page({ q: 'meeting', beforeSeq: 9, conversationId: 'cv-chat-0001' });
    expect(reply.results).toHaveLength(1);
    expect(asked).toEqual([['im.search', { q: 'meeting', conversationId: 'cv-chat-0001', beforeSeq: 9 }]]);
    expect(t.calls).toEqual([]);
  });

  it('a session follows typing: the newest query wins, pages on, clears on blank', async () => {
    const t = new FakeTransport().route('GET', '/search/messages', ({ query }) => {
      const q = query.get('q');
      if (q === '会') return { results: [hit(9, { snippet: 'old' })], next: null };
      return query.get('before') === 'p2' ? { results: [hit(2), hit(1)], next: null } : { results: [hit(4), hit(3), hit(2)], next: 'p2' };
    });
    const session = new SearchClient(t).session();
    const seen: string[] = [];
    session.subscribe((s) => seen.push(`${s.q}:${s.loading ? 'loading' : s.results.map((r) => r.seq).join(',')}`));
    const release = t.hold('GET /search/messages');
    const stale = session.set('会');
    const fresh = session.set('会议');
    expect(session.snapshot).toMatchObject({ q: '会议', loading: true, results: [] });
    release();
    await Promise.all([stale, fresh]);
    expect(session.snapshot).toMatchObject({ q: '会议', loading: false, hasMore: true, error: null });
    expect(session.snapshot.results.map((r) => r.seq)).toEqual([4, 3, 2]);
    expect(seen).not.toContain('会:9');
    await session.more();
    expect(session.snapshot.results.map((r) => r.seq)).toEqual([4, 3, 2, 1]); // the repeat of 2 shows once
    expect(session.snapshot.hasMore).toBe(false);
    await session.more(); // nothing more: no request
    expect(t.calls.filter((c) => c.path.includes('before=')).length).toBe(1);
    await session.set('   ');
    expect(session.snapshot).toMatchObject({ q: '', results: [], loading: false, hasMore: false });
  });

  it('a session in one conversation, and a refusal with its code', async () => {
    const t = new FakeTransport().route('GET', '/search/messages', ({ query }) => {
      if (query.get('conversationId') === 'cv-gone-0001') throw new ImClientError('NOT_FOUND', 'not yours', 404);
      return { results: [hit(5)], next: null };
    });
    const session = new SearchClient(t).session({ conversationId: 'cv-chat-0001' });
    await session.set('会议');
    expect(t.calls[0]!.path).toContain('conversationId=cv-chat-0001');
    expect(session.snapshot.conversationId).toBe('cv-chat-0001');
    await session.set('会议', 'cv-gone-0001');
    await flush();
    expect(session.snapshot.error?.code).toBe('NOT_FOUND');
    expect(session.snapshot.loading).toBe(false);
    // The same words again retry after a failure.
    await session.set('会议', 'cv-chat-0001');
    expect(session.snapshot).toMatchObject({ error: null, results: [expect.objectContaining({ seq: 5 })] });
  });
});
