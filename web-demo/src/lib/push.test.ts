import { describe, expect, it } from 'vitest';
import { AccountApiError } from '@muster/accounts/client';
import { base64UrlToBytes, PushApi, unifiedPushProblem, webPushInput } from './push.ts';

function fakeFetch(replies: Record<string, Response | (() => Response)>) {
  const calls: { path: string; method: string; body: unknown }[] = [];
  const fetch = async (path: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    calls.push({ path, method, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const reply = replies[`${method} ${path}`];
    if (!reply) return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no such API route' } }), { status: 404 });
    return typeof reply === 'function' ? reply() : reply;
  };
  return { fetch, calls };
}
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('PushApi (the REST contract)', () => {
  it('gets the VAPID key, registers a subscription (201 { id }) and deletes it', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /push/vapid-key': json({ publicKey: 'BAbc' }),
      'POST /push/subscriptions': json({ id: 'ps_1' }, 201),
      'DELETE /push/subscriptions/ps_1': () => new Response(null, { status: 204 }),
    });
    const api = new PushApi(fetch);
    expect(await api.vapidKey()).toBe('BAbc');
    expect(await api.subscribe({ kind: 'unifiedpush', endpoint: 'https://ntfy.example/up1' })).toBe('ps_1');
    await api.unsubscribe('ps_1');
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /push/vapid-key', 'POST /push/subscriptions', 'DELETE /push/subscriptions/ps_1']);
    expect(calls[1]!.body).toEqual({ kind: 'unifiedpush', endpoint: 'https://ntfy.example/up1' });
  });

  it('reads and writes notification and file settings', async () => {
    const settings = { previews: false, dnd: { start: '22:00', end: '07:00', timeZone: 'UTC' } };
    const { fetch, calls } = fakeFetch({
      'GET /me/notifications': json({ previews: true, dnd: null }),
      'PUT /me/notifications': json(settings),
      'GET /me/files/settings': json({ cacheDays: 30 }),
      'PUT /me/files/settings': json({ cacheDays: null }),
    });
    const api = new PushApi(fetch);
    expect(await api.notificationSettings()).toEqual({ previews: true, dnd: null });
    expect(await api.updateNotificationSettings(settings)).toEqual(settings);
    expect(calls[1]!.body).toEqual(settings);
    expect((await api.fileSettings()).cacheDays).toBe(30);
    expect((await api.updateFileSettings({ cacheDays: null })).cacheDays).toBeNull();
  });

  it('throws the account SDK’s coded errors', async () => {
    const api = new PushApi(fakeFetch({}).fetch);
    await expect(api.vapidKey()).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    const offline = new PushApi(async () => Promise.reject(new TypeError('Failed to fetch')));
    const error = await offline.notificationSettings().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccountApiError);
    expect(error).toMatchObject({ code: 'NETWORK' });
  });
});

describe('pure helpers', () => {
  it('decodes a base64url VAPID key', () => {
    expect([...base64UrlToBytes('AQID_-8')]).toEqual([1, 2, 3, 255, 239]);
  });
  it('turns a browser subscription into the server’s body, keys in base64url', () => {
    const keys = { p256dh: new Uint8Array([251, 255, 0]).buffer, auth: new Uint8Array([1, 2]).buffer };
    expect(webPushInput({ endpoint: 'https://push.example/e1', getKey: (name) => keys[name] })).toEqual({
      kind: 'webpush',
      endpoint: 'https://push.example/e1',
      keys: { p256dh: '-_8A', auth: 'AQI' },
    });
    expect(() => webPushInput({ endpoint: 'x', getKey: () => null })).toThrow(/without keys/);
  });
  it('checks a UnifiedPush endpoint', () => {
    expect(unifiedPushProblem('')).toMatch(/Paste/);
    expect(unifiedPushProblem('ntfy')).toMatch(/not a URL/);
    expect(unifiedPushProblem('ftp://x/y')).toMatch(/http/);
    expect(unifiedPushProblem(' https://ntfy.example.org/upAbc?up=1 ')).toBeNull();
  });
});
