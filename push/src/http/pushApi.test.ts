/**
 * The push routes over HTTP: each answers as documented, a random body is a
 * 400 with a code (never a 5xx), another person's subscription is NOT_FOUND,
 * and an unsigned request is UNAUTHORIZED.
 */
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import { silentLogger, useTestDatabase } from '@muster/db/testing';
import { PUSH_ERROR_CODES } from '../protocol.ts';
import { browserKeys, openPushTestWorld } from '../testing/index.ts';
import { pushApi } from './pushApi.ts';

describe('push API', () => {
  const testDb = useTestDatabase('sqlite');

  const setup = async () => {
    const w = await openPushTestWorld(await testDb.open(), { logger: silentLogger, maxSubscriptionsPerAccount: 3 });
    testDb.defer(() => w.im.close());
    testDb.defer(() => w.push.close());
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    const people = new Map<string, Principal>([['ann', ann], ['ben', ben]]);
    const app = express();
    app.use((req, _res, next) => {
      const principal = people.get(req.headers.authorization ?? '');
      if (principal) (req as unknown as { principal: Principal }).principal = principal;
      next();
    });
    app.use('/api/v1', pushApi(w.push, { logger: silentLogger }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    testDb.defer(() => new Promise((resolve) => server.close(resolve)));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const call = async (method: string, path: string, as: string | null, body?: unknown, raw?: string) => {
      const headers: Record<string, string> = {};
      if (as) headers.authorization = as;
      if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    return { ...w, ann, ben, call };
  };
  const webpush = (n: number) => {
    const keys = browserKeys();
    return { kind: 'webpush', endpoint: `https://push.example.internal/sub/${n}`, keys: { p256dh: keys.p256dh, auth: keys.auth } };
  };

  it('registers idempotently per endpoint, lists the caller’s own (host only), removes; another person’s id is 404', async () => {
    const { call } = await setup();
    expect((await call('GET', '/push/vapid-key', 'ann')).body.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect((await call('GET', '/push/vapid-key', null)).status).toBe(401);
    const sub = webpush(1);
    const first = await call('POST', '/push/subscriptions', 'ann', sub);
    expect(first.status).toBe(201);
    expect((await call('POST', '/push/subscriptions', 'ann', sub)).body).toEqual(first.body);
    await call('POST', '/push/subscriptions', 'ann', { kind: 'unifiedpush', endpoint: 'http://10.1.2.3:8080/upAbCdEf?up=1' });
    const listed = await call('GET', '/push/subscriptions', 'ann');
    // Both may be made in one millisecond: their order in the listing is not the point.
    expect([...listed.body].sort((a: { kind: string }, b: { kind: string }) => a.kind.localeCompare(b.kind))).toEqual([
      { id: expect.stringMatching(/^ps/), kind: 'unifiedpush', created: expect.any(Number), lastSuccessAt: null, endpointHost: '10.1.2.3:8080' },
      { id: first.body.id, kind: 'webpush', created: expect.any(Number), lastSuccessAt: null, endpointHost: 'push.example.internal' },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain('/sub/1');
    expect((await call('GET', '/push/subscriptions', 'ben')).body).toEqual([]);
    expect(await call('DELETE', `/push/subscriptions/${first.body.id}`, 'ben')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect((await call('DELETE', '/push/subscriptions/nonsense', 'ann')).status).toBe(404);
    expect((await call('DELETE', `/push/subscriptions/${first.body.id}`, 'ann')).status).toBe(204);
    expect((await call('DELETE', `/push/subscriptions/${first.body.id}`, 'ann')).status).toBe(404);
    await call('POST', '/push/subscriptions', 'ann', webpush(2));
    await call('POST', '/push/subscriptions', 'ann', webpush(3));
    expect(await call('POST', '/push/subscriptions', 'ann', webpush(4))).toMatchObject({ status: 409, body: { error: { code: 'SUBSCRIPTION_LIMIT' } } });
  });

  it('refuses endpoints that are not http(s), carry credentials, or keys that are no P-256 point', async () => {
    const { call } = await setup();
    const sub = webpush(1);
    for (const endpoint of ['ftp://push.example/x', 'file:///etc/passwd', 'javascript:alert(1)', 'https://user:pw@push.example/x', 'not a url at all']) {
      expect(await call('POST', '/push/subscriptions', 'ann', { ...sub, endpoint }), endpoint).toMatchObject({ status: 400, body: { error: { code: expect.stringMatching(/^(ENDPOINT_INVALID|BAD_REQUEST)$/) } } });
    }
    const offCurve = Buffer.alloc(65, 7);
    offCurve[0] = 4;
    expect(await call('POST', '/push/subscriptions', 'ann', { ...sub, keys: { ...sub.keys, p256dh: offCurve.toString('base64url') } })).toMatchObject({ status: 400, body: { error: { code: 'ENDPOINT_INVALID' } } });
    expect(await call('POST', '/push/subscriptions', 'ann', { ...sub, keys: { ...sub.keys, auth: 'short' } })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    // Loopback and private hosts are fine: on a closed network the push service is one.
    expect((await call('POST', '/push/subscriptions', 'ann', { kind: 'unifiedpush', endpoint: 'http://127.0.0.1:2586/topic' })).status).toBe(201);
  });

  it('keeps notification settings: previews off by default, do-not-disturb hours in an IANA zone', async () => {
    const { call } = await setup();
    expect((await call('GET', '/me/notifications', 'ann')).body).toEqual({ previews: false, dnd: null });
    const settings = { previews: true, dnd: { start: '22:30', end: '07:00', timeZone: 'Asia/Shanghai' } };
    expect((await call('PUT', '/me/notifications', 'ann', settings)).body).toEqual(settings);
    expect((await call('GET', '/me/notifications', 'ann')).body).toEqual(settings);
    expect((await call('GET', '/me/notifications', 'ben')).body).toEqual({ previews: false, dnd: null });
    for (const bad of [{ previews: 'yes', dnd: null }, { previews: true }, { previews: true, dnd: { start: '24:00', end: '07:00', timeZone: 'UTC' } }, { previews: true, dnd: { start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' } }]) {
      expect(await call('PUT', '/me/notifications', 'ann', bad)).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    }
    expect((await call('PUT', '/me/notifications', null, settings)).status).toBe(401);
  });

  it('answers random bodies with a coded 4xx, never a 5xx', async () => {
    const { call } = await setup();
    const seed = crypto.randomBytes(4).readUInt32LE(0);
    let state = seed || 1;
    const rand = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const atoms = [null, true, false, 0, -1, 1e308, '', 'webpush', 'unifiedpush', 'sms', 'https://p.example/x', 'http://[::1]:1/x', '22:00', 'UTC', 'x'.repeat(3000), '\u0000', '𠀀', 'AAAA'];
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.4) return pick(atoms);
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      const keys = ['kind', 'endpoint', 'keys', 'p256dh', 'auth', 'previews', 'dnd', 'start', 'end', 'timeZone', '__proto__', 'constructor'];
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [pick(keys), value(depth + 1)]));
    };
    for (let i = 0; i < 300; i++) {
      const body = i % 7 === 0 ? undefined : value(0);
      const raw = i % 11 === 0 ? pick(['{', '{"kind":', '[1,2', 'null', '"x"', '{"a":'.repeat(40)]) : undefined;
      const [method, path] = pick([['POST', '/push/subscriptions'], ['PUT', '/me/notifications']] as const);
      const res = await call(method, path, 'ann', raw === undefined ? body : undefined, raw);
      expect(res.status, `seed ${seed}, ${method} ${path} ${raw ?? JSON.stringify(body)?.slice(0, 200)}`).toBeLessThan(500);
      if (res.status >= 400) expect(PUSH_ERROR_CODES, `seed ${seed}`).toContain(res.body.error.code);
    }
  });
});
