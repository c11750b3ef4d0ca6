import { describe, expect, it } from 'vitest';
import { isFullScreen, meetingPath, parseRoute } from './routes.ts';

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

  it('sends anything else, and a code that does not decode, to "not found"', () => {
    expect(at('/m/')).toEqual({ name: 'notFound', path: '/m' });
    expect(at('/m/a/b')).toEqual({ name: 'notFound', path: '/m/a/b' });
    expect(at('/m/%E0%A4%A')).toEqual({ name: 'notFound', path: '/m/%E0%A4%A' });
    expect(at('/b/%zz')).toEqual({ name: 'notFound', path: '/b/%zz' });
    expect(at('/settings')).toEqual({ name: 'notFound', path: '/settings' });
  });

  it('builds meeting paths that parse back to the same code', () => {
    const path = meetingPath('a b/c');
    expect(path).toBe('/m/a%20b%2Fc');
    expect(at(path)).toMatchObject({ name: 'room', roomId: 'a b/c' });
  });

  it('draws meetings and boards edge to edge, other pages in the (future) shell', () => {
    expect(isFullScreen(at('/m/x'))).toBe(true);
    expect(isFullScreen(at('/b/x'))).toBe(true);
    expect(isFullScreen(at('/'))).toBe(false);
    expect(isFullScreen(at('/nope'))).toBe(false);
  });
});
