import { describe, expect, it } from 'vitest';
import { clickTarget, isStaleShellCache, NOTIFICATION_BADGE, NOTIFICATION_ICON, notificationFor, parsePushPayload, pickWindow, routeRequest, safeAppPath } from './logic.ts';

const ORIGIN = 'https://muster.example';
const payload = { v: 1, kind: 'message', conversationId: 'c_42', title: 'Ann', body: 'See you at 3', count: 2, url: '/chats/c_42', tag: 'c_42' };

describe('push payload → notification', () => {
  it('shows the title and body, tagged by conversation, renotifying, with the url to open', () => {
    const shown = notificationFor(parsePushPayload(JSON.stringify(payload)));
    expect(shown).toEqual({
      title: 'Ann',
      options: { body: 'See you at 3', tag: 'c_42', renotify: true, data: { url: '/chats/c_42', conversationId: 'c_42' }, icon: NOTIFICATION_ICON, badge: NOTIFICATION_BADGE },
    });
  });

  it('takes parsed JSON as well as text', () => {
    expect(parsePushPayload(payload)?.conversationId).toBe('c_42');
  });

  it('says how many when previews are off and the body is empty', () => {
    expect(notificationFor(parsePushPayload({ ...payload, body: '' })).options.body).toBe('2 new messages');
    expect(notificationFor(parsePushPayload({ ...payload, body: '', count: 1 })).options.body).toBe('New message');
  });

  it('never opens another site: a foreign url falls back to the conversation', () => {
    expect(parsePushPayload({ ...payload, url: 'https://evil.example/x' })?.url).toBe('/chats/c_42');
    expect(parsePushPayload({ ...payload, url: '//evil.example' })?.url).toBe('/chats/c_42');
  });

  it('defaults the tag to the conversation and a bad count to 1', () => {
    const p = parsePushPayload({ ...payload, tag: undefined, count: -3 });
    expect(p?.tag).toBe('c_42');
    expect(p?.count).toBe(1);
  });

  it('still shows something for a push that is not ours (userVisibleOnly)', () => {
    for (const raw of ['not json', null, { v: 2, kind: 'message' }, { v: 1, kind: 'call' }, { v: 1, kind: 'message', title: 'x' }]) {
      const shown = notificationFor(parsePushPayload(raw));
      expect(shown.title).toBe('Muster');
      expect(shown.options.data.url).toBe('/chats');
    }
  });
});

describe('notification clicks', () => {
  it('open data.url when it is a path of ours, else the chat list', () => {
    expect(clickTarget({ url: '/chats/c_1' })).toBe('/chats/c_1');
    expect(clickTarget({ url: 'javascript:alert(1)' })).toBe('/chats');
    expect(clickTarget(null)).toBe('/chats');
    expect(safeAppPath('/\\evil')).toBeNull();
  });

  it('use a focused window of ours, else the first of ours, never another origin', () => {
    const a = { url: `${ORIGIN}/m/abc`, focused: false };
    const b = { url: `${ORIGIN}/chats`, focused: true };
    const other = { url: 'https://other.example/', focused: true };
    expect(pickWindow([a, b, other], ORIGIN)).toBe(b);
    expect(pickWindow([other, a], ORIGIN)).toBe(a);
    expect(pickWindow([other], ORIGIN)).toBeNull();
  });
});

describe('which requests the worker answers', () => {
  const precached = new Set(['/index.html', '/manifest.webmanifest', '/icons/icon-192.png']);
  const route = (url: string, extra: { method?: string; mode?: string } = {}) => routeRequest({ method: extra.method ?? 'GET', url, mode: extra.mode }, ORIGIN, precached);

  it('page loads go network-first with the shell as fallback', () => {
    expect(route(`${ORIGIN}/chats/c_1`, { mode: 'navigate' })).toBe('navigate');
    expect(route(`${ORIGIN}/m/room?autojoin=1`, { mode: 'navigate' })).toBe('navigate');
  });

  it('the shell files come from the cache', () => {
    expect(route(`${ORIGIN}/assets/index-abc.js`)).toBe('asset');
    expect(route(`${ORIGIN}/manifest.webmanifest`)).toBe('asset');
    expect(route(`${ORIGIN}/icons/icon-192.png`)).toBe('asset');
  });

  it('never the API, sockets, media, the worker itself, other origins or writes', () => {
    expect(route(`${ORIGIN}/api/v1/conversations`)).toBe('pass');
    expect(route(`${ORIGIN}/api/v1/files/f1/content?sig=x`)).toBe('pass');
    expect(route(`${ORIGIN}/api/v1/recordings/r1/download`, { mode: 'navigate' })).toBe('pass');
    expect(route(`${ORIGIN}/socket.io/?EIO=4&transport=polling`)).toBe('pass');
    expect(route(`${ORIGIN}/sw.js`)).toBe('pass');
    expect(route('https://cdn.example/lib.js')).toBe('pass');
    expect(route(`${ORIGIN}/assets/index-abc.js`, { method: 'POST' })).toBe('pass');
    expect(route(`${ORIGIN}/icons/icon-192.png?v=2`)).toBe('pass');
  });

  it('drops only other versions of the shell cache', () => {
    expect(isStaleShellCache('muster-shell-old', 'muster-shell-new')).toBe(true);
    expect(isStaleShellCache('muster-shell-new', 'muster-shell-new')).toBe(false);
    expect(isStaleShellCache('muster-media-v1', 'muster-shell-new')).toBe(false);
  });
});
