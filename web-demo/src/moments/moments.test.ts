import { describe, expect, it } from 'vitest';
import { parseRoute } from '../app/routes.ts';
import { shellTabOf } from '../account/shell.ts';
import { composerPath, feedPath, feedViewOf, isMomentsRoute, noticesPath, parseMomentsPath, postPath, profilePath } from './paths.ts';
import { badgeCount, badgeText, gridColumns, likesLine, noticeText, profileTitle } from './viewModels.ts';

const person = (nickname: string) => ({ id: `u${nickname}123`, nickname, avatar: null, musterId: null });

describe('the Moments routes', () => {
  it('parses the feed, composer, notices, one post and a profile', () => {
    expect(parseMomentsPath('/moments')).toEqual({ name: 'moments' });
    expect(parseMomentsPath(composerPath)).toEqual({ name: 'momentsNew' });
    expect(parseMomentsPath(noticesPath)).toEqual({ name: 'momentsNotices' });
    expect(parseMomentsPath(postPath('moAbCdEfGhIjKlMnOpQrStUv'))).toEqual({ name: 'momentsPost', momentId: 'moAbCdEfGhIjKlMnOpQrStUv' });
    expect(parseMomentsPath(profilePath('usABC123_-x'))).toEqual({ name: 'momentsProfile', userId: 'usABC123_-x' });
  });

  it('leaves malformed ids and other paths alone', () => {
    expect(parseMomentsPath('/moments/p/not-a-post')).toBeNull();
    expect(parseMomentsPath('/moments/p/mo%2F..%2Fx')).toBeNull();
    expect(parseMomentsPath('/moments/u/ab')).toBeNull();
    expect(parseMomentsPath('/moments/other')).toBeNull();
    expect(parseMomentsPath('/chats')).toBeNull();
  });

  it('reads the view from the query, All by default', () => {
    expect(feedViewOf('')).toBe('all');
    expect(feedViewOf('?view=friends')).toBe('friends');
    expect(feedViewOf('?view=mine')).toBe('mine');
    expect(feedViewOf('?view=everything')).toBe('all');
    expect(feedPath('all')).toBe('/moments');
    expect(feedPath('friends')).toBe('/moments?view=friends');
  });

  it('is the Moments tab in the app and its shell', () => {
    const route = parseRoute({ pathname: '/moments/notices', search: '' });
    expect(isMomentsRoute(route)).toBe(true);
    expect(shellTabOf(route)).toBe('moments');
    expect(shellTabOf(parseRoute({ pathname: '/moments', search: '?view=mine' }))).toBe('moments');
  });
});

describe('the Moments view models', () => {
  it('counts new posts and unread notices on the badge, 99+ past 99', () => {
    expect(badgeCount({ newPosts: 2, unreadNotices: 3 })).toBe(5);
    expect(badgeCount({ newPosts: 0, unreadNotices: 0 })).toBe(0);
    expect(badgeText(99)).toBe('99');
    expect(badgeText(198)).toBe('99+');
  });

  it('lays out pictures as WeChat does', () => {
    expect([1, 2, 3, 4, 5, 9].map(gridColumns)).toEqual([1, 2, 3, 2, 3, 3]);
  });

  it('says who liked, counting those the server did not send', () => {
    const likes = [{ user: person('Ann'), at: 1 }, { user: person('Ben'), at: 2 }];
    expect(likesLine(likes, 2)).toBe('Ann, Ben');
    expect(likesLine(likes, 5)).toBe('Ann, Ben and 3 more');
  });

  it('words a notice', () => {
    const comment = { id: 'c', momentId: 'm', author: person('Ben'), text: '好！', replyTo: null, createdAt: 1 };
    expect(noticeText({ kind: 'like', actor: person('Ben'), comment: null })).toBe('Ben liked your post');
    expect(noticeText({ kind: 'comment', actor: person('Ben'), comment })).toBe('Ben commented: 好！');
    expect(noticeText({ kind: 'reply', actor: person('Ben'), comment })).toBe('Ben replied to you: 好！');
  });

  it('titles a profile', () => {
    expect(profileTitle('Ann', false)).toBe('Ann’s moments');
    expect(profileTitle(null, false)).toBe('Moments');
    expect(profileTitle('Me', true)).toBe('My moments');
  });
});
