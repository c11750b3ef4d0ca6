import { describe, expect, it } from 'vitest';
import type { ImTransport } from '@muster/im/client';
import type { MomentView } from '../protocol.ts';
import { MomentsApi } from './api.ts';
import { EMPTY_FEED, appendPage, mergeRefresh, rollbackLike, toggleLike, withComment, withoutComment, type FeedState } from './feed.ts';
import { MomentsFeed } from './MomentsClient.ts';

const person = (id: string) => ({ id, nickname: id, avatar: null, musterId: null });
const me = person('me');

function post(id: string, createdAt: number, extra: Partial<MomentView> = {}): MomentView {
  return { id, author: person('ann'), text: id, location: null, files: [], createdAt, likes: [], comments: [], likeCount: 0, commentCount: 0, likedByMe: false, ...extra };
}
const ids = (s: FeedState) => s.items.map((m) => m.id);

describe('the feed state', () => {
  it('pages newest first, an older page below, a post in both pages once', () => {
    let s = appendPage(EMPTY_FEED, { items: [post('c', 30), post('b', 20)], next: 'cur1' });
    expect(s).toMatchObject({ loaded: true, next: 'cur1' });
    s = appendPage(s, { items: [post('b', 20, { text: 'changed' }), post('a', 10)], next: null });
    expect(ids(s)).toEqual(['c', 'b', 'a']);
    expect(s.items[1]!.text).toBe('changed');
    expect(s.next).toBeNull();
  });

  it('merges a refreshed first page: new posts on top, changed replaced, missing ones gone, older pages and their cursor kept', () => {
    const loaded = appendPage(appendPage(EMPTY_FEED, { items: [post('d', 40), post('c', 30)], next: 'p2' }), { items: [post('b', 20), post('a', 10)], next: 'p3' });
    // e is new, d was deleted, c has a like now; the page still reaches c, so b and a stay, with the cursor past them.
    const s = mergeRefresh(loaded, { items: [post('e', 50), post('c', 30, { likeCount: 1 })], next: 'p2b' });
    expect(ids(s)).toEqual(['e', 'c', 'b', 'a']);
    expect(s.items[1]!.likeCount).toBe(1);
    expect(s.next).toBe('p3');
  });

  it('a refreshed page with nothing after it is the whole feed; one that does not reach what was loaded replaces it', () => {
    const loaded = appendPage(EMPTY_FEED, { items: [post('b', 20), post('a', 10)], next: 'p2' });
    expect(ids(mergeRefresh(loaded, { items: [post('b', 20)], next: null }))).toEqual(['b']);
    const gap = mergeRefresh(loaded, { items: [post('z', 90), post('y', 80)], next: 'py' });
    expect(ids(gap)).toEqual(['z', 'y']);
    expect(gap.next).toBe('py');
    expect(ids(mergeRefresh(EMPTY_FEED, { items: [post('a', 10)], next: null }))).toEqual(['a']);
  });

  it('toggles a like at once and puts it back as it was', () => {
    const other = { user: person('ben'), at: 1 };
    const s0 = appendPage(EMPTY_FEED, { items: [post('a', 10, { likes: [other], likeCount: 3 })], next: null });
    const on = toggleLike(s0, 'a', me, 99);
    expect(on.liked).toBe(true);
    expect(on.state.items[0]).toMatchObject({ likedByMe: true, likeCount: 4, likes: [other, { user: me, at: 99 }] });
    const off = toggleLike(on.state, 'a', me, 100);
    expect(off.state.items[0]).toMatchObject({ likedByMe: false, likeCount: 3, likes: [other] });
    // The server refused the like: as before it.
    const back = rollbackLike(on.state, on.before!);
    expect(back.items[0]).toEqual(s0.items[0]);
    expect(toggleLike(s0, 'nope', me, 1).before).toBeNull();
  });

  it('adds and takes away a comment once', () => {
    const c = { id: 'k1', momentId: 'a', author: me, text: 'hi', replyTo: null, createdAt: 5 };
    const p = withComment(post('a', 10), c);
    expect(withComment(p, c)).toBe(p);
    expect(p.commentCount).toBe(1);
    expect(withoutComment(p, 'k1')).toMatchObject({ comments: [], commentCount: 0 });
  });
});

/** A transport answering from a table of routes; a route that throws refuses. */
function fakeTransport(routes: Record<string, (body: unknown) => unknown>): ImTransport & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      calls.push(`${method} ${path}`);
      const handler = routes[`${method} ${path.split('?')[0]}`];
      if (!handler) throw Object.assign(new Error('no route'), { code: 'NOT_FOUND' });
      return handler(body) as T;
    },
    upload: () => Promise.reject(new Error('unused')),
    fetchFile: () => Promise.reject(new Error('unused')),
    emit: () => Promise.reject(new Error('unused')),
    on: () => () => undefined,
    onConnected: () => () => undefined,
  } as ImTransport & { calls: string[] };
}

describe('MomentsFeed', () => {
  it('loads pages with their cursor and rolls a refused like back', async () => {
    const t = fakeTransport({
      'GET /moments': () => ({ items: [post('b', 20)], next: 'cur' }),
      'POST /moments/b/likes': () => {
        throw Object.assign(new Error('slow down'), { code: 'RATE_LIMITED' });
      },
    });
    const feed = new MomentsFeed(new MomentsApi(t), { view: 'friends' }, { me: () => me, now: () => 7 });
    const seen: boolean[] = [];
    // Each change of the like as it is drawn (a snapshot also changes when loading ends).
    feed.subscribe((s) => s.items[0] && s.items[0].likedByMe !== seen[seen.length - 1] && seen.push(s.items[0].likedByMe));
    await feed.refresh();
    expect(t.calls).toEqual(['GET /moments?view=friends']);
    await expect(feed.toggleLike('b')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    // Shown liked at once, then as before.
    expect(seen).toEqual([false, true, false]);
    expect(feed.post('b')).toMatchObject({ likedByMe: false, likeCount: 0 });
    await feed.more();
    expect(t.calls[t.calls.length - 1]).toBe('GET /moments?view=friends&before=cur');
  });
});
