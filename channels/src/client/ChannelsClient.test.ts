import { describe, expect, it } from 'vitest';
import type { NoticeView } from '../protocol.ts';
import { ChannelsClient } from './ChannelsClient.ts';
import type { ChannelsTransport } from './transport.ts';

/** A transport that records the calls and answers from a table. */
function fake(answers: Record<string, unknown> = {}) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const listeners: ((n: NoticeView) => void)[] = [];
  const transport: ChannelsTransport = {
    request: async <T>(method: string, path: string, body?: unknown) => {
      calls.push({ method, path, body });
      return answers[`${method} ${path}`] as T;
    },
    on: (_event, listener) => {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    },
  };
  return { transport, calls, listeners };
}

describe('ChannelsClient', () => {
  it('calls the REST routes with their queries and bodies', async () => {
    const { transport, calls } = fake({ 'GET /service-accounts?q=hr': { accounts: [{ id: 'sa1' }] }, 'POST /service-accounts/sa1/articles': { id: 'ar1' } });
    const c = new ChannelsClient(transport);
    expect(await c.directory(' hr ')).toEqual([{ id: 'sa1' }]);
    expect(await c.publish('sa1', { title: 'T', content: { type: 'doc' } })).toBe('ar1');
    await c.articles('sa1', { q: 'menu', before: 'cur' });
    await c.changeSubscription({ serviceAccountId: 'sa1', pinned: true, position: -1 });
    await c.queue('sa1', { state: 'pending', flagged: true, articleId: 'ar1' });
    await c.readNotices();
    await c.readNotices(['cn1']);
    expect(calls.slice(2)).toEqual([
      { method: 'GET', path: '/service-accounts/sa1/articles?q=menu&before=cur', body: undefined },
      { method: 'PATCH', path: '/service-accounts/sa1/subscription', body: { pinned: true, position: -1 } },
      { method: 'GET', path: '/service-accounts/sa1/comments?state=pending&flagged=true&articleId=ar1', body: undefined },
      { method: 'POST', path: '/service-accounts/notices/read', body: {} },
      { method: 'POST', path: '/service-accounts/notices/read', body: { ids: ['cn1'] } },
    ]);
  });

  it('hands live notices to the listener until unsubscribed', () => {
    const { transport, listeners } = fake();
    const c = new ChannelsClient(transport);
    const got: string[] = [];
    const stop = c.onNotice((n) => got.push(n.id));
    listeners[0]!({ id: 'cn1' } as NoticeView);
    stop();
    expect(got).toEqual(['cn1']);
    expect(listeners.length).toBe(0);
  });
});
