import { describe, expect, it } from 'vitest';
import { chatPath, isFullScreen, loginPath, meetingPath, parseRoute, safeNext } from './routes.ts';

const at = (pathname: string, search = '') => parseRoute({ pathname, search });

describe('parseRoute', () => {
  it('reads the start page, meetings and boards, with or without a trailing slash', () => {
    expect(at('/')).toEqual({ name: 'home' });
    expect(at('')).toEqual({ name: 'home' });
    const room = at('/m/bamo-kite-ruso/', '?name=Ada&autojoin=1');
    expect(room).toMatchObject({ name: 'room', roomId: 'bamo-kite-ruso' });
    expect(room.name === 'room' && room.params.get('name')).toBe('Ada');
    expect(at('/b/plan%20a')).toMatchObject({ name: 'board', boardId: 'plan a' });
  });

  it('reads the account pages and the admin console', () => {
    expect(at('/login')).toEqual({ name: 'login', next: null });
    expect(at('/login', '?next=%2Fm%2Fbamo-kite-ruso')).toEqual({ name: 'login', next: '/m/bamo-kite-ruso' });
    expect(at('/signup/')).toEqual({ name: 'signup', next: null });
    expect(at('/reset')).toEqual({ name: 'reset' });
    expect(at('/guest')).toEqual({ name: 'guest' });
    expect(at('/settings')).toEqual({ name: 'settings' });
    expect(at('/chats')).toEqual({ name: 'chats', conversationId: null });
    expect(at('/chats/')).toEqual({ name: 'chats', conversationId: null });
    expect(at('/chats/cvAbcdefgh12')).toEqual({ name: 'chats', conversationId: 'cvAbcdefgh12' });
    expect(at('/chats/cv%20x').name).toBe('notFound');
    expect(at('/chats/cvAbcdefgh12/x').name).toBe('notFound');
    expect(chatPath('cvAbcdefgh12')).toBe('/chats/cvAbcdefgh12');
    expect(chatPath(null)).toBe('/chats');
    expect(at('/admin')).toEqual({ name: 'admin' });
    expect(at('/admin/setup')).toEqual({ name: 'adminSetup' });
  });

  it('sends anything else, and a code that does not decode, to "not found"', () => {
    expect(at('/m/')).toEqual({ name: 'notFound', path: '/m' });
    expect(at('/m/a/b')).toEqual({ name: 'notFound', path: '/m/a/b' });
    expect(at('/m/%E0%A4%A')).toEqual({ name: 'notFound', path: '/m/%E0%A4%A' });
    expect(at('/b/%zz')).toEqual({ name: 'notFound', path: '/b/%zz' });
    expect(at('/admin/users')).toEqual({ name: 'notFound', path: '/admin/users' });
  });

  it('builds meeting paths that parse back to the same code', () => {
    const path = meetingPath('a b/c');
    expect(path).toBe('/m/a%20b%2Fc');
    expect(at(path)).toMatchObject({ name: 'room', roomId: 'a b/c' });
  });

  it('draws meetings and boards edge to edge, other pages in the shell', () => {
    expect(isFullScreen(at('/m/x'))).toBe(true);
    expect(isFullScreen(at('/b/x'))).toBe(true);
    expect(isFullScreen(at('/'))).toBe(false);
    expect(isFullScreen(at('/settings'))).toBe(false);
    expect(isFullScreen(at('/nope'))).toBe(false);
  });
});

describe('safeNext', () => {
  it('follows paths of this app only, never another site', () => {
    expect(safeNext('/m/bamo-kite-ruso?x=1')).toBe('/m/bamo-kite-ruso?x=1');
    expect(safeNext('//evil.example/x')).toBeNull();
    expect(safeNext('/\\evil.example')).toBeNull();
    expect(safeNext('https://evil.example')).toBeNull();
    expect(safeNext('javascript:alert(1)')).toBeNull();
    expect(safeNext('/x\n')).toBeNull();
    expect(safeNext(null)).toBeNull();
    expect(at('/login', '?next=https%3A%2F%2Fevil.example')).toEqual({ name: 'login', next: null });
  });

  it('builds log-in links that come back', () => {
    expect(loginPath('/settings')).toBe('/login?next=%2Fsettings');
    expect(loginPath('/')).toBe('/login');
    expect(loginPath('//evil')).toBe('/login');
    expect(loginPath()).toBe('/login');
  });
});
