/**
 * The Moments routes over HTTP: each answers as documented (201 with an id,
 * 204, the views), a post or comment the caller may not see is 404 exactly
 * as one that does not exist, malformed ids are 404, an unsigned request
 * is 401, the console's routes want an elevated admin; and random bodies,
 * queries and ids on every route get a coded 4xx, never a 5xx. The OpenAPI
 * description is generated from the same schemas.
 */
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import express from 'express';
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import { silentLogger, useTestDatabase } from '@muster/db/testing';
import { MAX_POST_CHARS, MOMENTS_ERROR_CODES } from '../protocol.ts';
import { openMomentsTestWorld } from '../testing/index.ts';
import { momentsApi } from './momentsApi.ts';
import { registerMomentsOpenApi } from './momentsOpenApi.ts';

describe('Moments API', () => {
  const testDb = useTestDatabase('sqlite');

  const setup = async () => {
    const db = await testDb.open();
    const w = await openMomentsTestWorld(db, { dataDir: testDb.location.dataDir, indexer: false });
    testDb.defer(() => w.close());
    const [ann, ben, cat] = [await w.person('Ann'), await w.person('Ben'), await w.person('Cat')];
    await w.befriend(ann, ben);
    const people = new Map<string, Principal>([
      ['ann', ann],
      ['ben', ben],
      ['cat', cat],
      ['admin', await w.admin({ elevated: true })],
      ['plainadmin', await w.admin()],
      ['guest', await w.guest()],
    ]);
    const app = express();
    // A stand-in for the accounts router: the token names the person.
    app.use((req, _res, next) => {
      const principal = people.get(/^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
      if (principal) (req as unknown as { principal: Principal }).principal = principal;
      next();
    });
    app.use('/api/v1', momentsApi(w.moments, { logger: silentLogger }));
    app.use('/api', (_req, res) => void res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such API route' } }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    testDb.defer(() => new Promise((resolve) => server.close(resolve)));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const call = async (method: string, path: string, as: string | null, body?: unknown, options: { raw?: string; type?: string } = {}) => {
      const headers: Record<string, string> = {};
      if (as) headers.authorization = `Bearer ${as}`;
      if (body !== undefined || options.raw !== undefined) headers['content-type'] = options.type ?? 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, ...(options.raw !== undefined ? { body: options.raw } : body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
    };
    return { ...w, ann, ben, cat, call };
  };

  it('posts, reads, changes, likes, comments, reports and deletes as documented', async () => {
    const { call, upload, ann, advance } = await setup();
    const image = await upload(ann, 'a.png');
    const created = await call('POST', '/moments', 'ann', { text: '今天 training', fileIds: [image], location: '靶场', visibility: 'friends' });
    expect(created).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^mo/) } });
    const id = created.body.id as string;
    const feed = await call('GET', '/moments?view=all&limit=5', 'ben');
    expect(feed.status).toBe(200);
    expect(feed.headers.get('cache-control')).toBe('no-store');
    expect(feed.body).toMatchObject({ items: [{ id, text: '今天 training', location: '靶场', files: [{ id: image }], likeCount: 0, likedByMe: false }], next: null });
    expect('visibility' in feed.body.items[0]).toBe(false);
    expect((await call('GET', `/moments/${id}`, 'ann')).body).toMatchObject({ id, visibility: 'friends' });
    expect((await call('GET', `/moments?userId=${ann.accountId}`, 'ben')).body.items.map((p: { id: string }) => p.id)).toEqual([id]);
    expect((await call('GET', '/moments?q=training', 'ben')).body.items.map((p: { id: string }) => p.id)).toEqual([id]);
    expect((await call('GET', '/moments?view=mine', 'ann')).body.items.map((p: { id: string }) => p.id)).toEqual([id]);
    expect((await call('GET', '/moments?view=friends', 'ann')).body.items).toEqual([]);

    expect(await call('POST', `/moments/${id}/likes`, 'ben')).toMatchObject({ status: 204 });
    expect(await call('POST', `/moments/${id}/likes`, 'ben', {})).toMatchObject({ status: 204 });
    advance(1);
    expect((await call('GET', `/moments/${id}`, 'ben')).body).toMatchObject({ likeCount: 1, likedByMe: true });
    const comment = await call('POST', `/moments/${id}/comments`, 'ben', { text: '厉害' });
    expect(comment).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^mc/) } });
    advance(1);
    const reply = await call('POST', `/moments/${id}/comments`, 'ann', { text: '谢谢', replyTo: comment.body.id });
    expect(reply.status).toBe(201);
    expect((await call('GET', `/moments/${id}/comments`, 'ben')).body).toMatchObject({ items: [{ id: comment.body.id, text: '厉害' }, { id: reply.body.id, replyTo: { commentId: comment.body.id } }], next: null });
    expect((await call('GET', `/moments/${id}/comments/${reply.body.id}`, 'ben')).body).toMatchObject({ text: '谢谢' });
    expect((await call('GET', '/moments/badge', 'ann')).body).toEqual({ newPosts: 0, unreadNotices: 2 });
    expect((await call('GET', '/moments/badge', 'ben')).body).toEqual({ newPosts: 1, unreadNotices: 1 });
    expect(await call('POST', '/moments/seen', 'ben')).toMatchObject({ status: 204 });
    expect((await call('GET', '/moments/badge', 'ben')).body.newPosts).toBe(0);
    const notices = await call('GET', '/moments/notices?limit=10', 'ann');
    expect(notices.body.items.map((n: { kind: string }) => n.kind)).toEqual(['comment', 'like']);
    expect(await call('POST', '/moments/notices/read', 'ann', {})).toMatchObject({ status: 204 });
    expect((await call('GET', '/moments/badge', 'ann')).body.unreadNotices).toBe(0);

    expect(await call('PATCH', `/moments/${id}`, 'ann', { visibility: 'all' })).toMatchObject({ status: 200, body: { id, visibility: 'all' } });
    expect(await call('PATCH', `/moments/${id}`, 'ben', { visibility: 'private' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await call('PATCH', `/moments/${id}`, 'ann', { visibility: 'everyone' })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    const report = await call('POST', `/moments/${id}/reports`, 'cat', { reason: '不实' });
    expect(report).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^mr/) } });
    expect(await call('DELETE', `/moments/${id}/comments/${reply.body.id}`, 'ben')).toMatchObject({ status: 403 });
    expect(await call('DELETE', `/moments/${id}/comments/${reply.body.id}`, 'ann')).toMatchObject({ status: 204 });
    expect(await call('DELETE', `/moments/${id}/likes`, 'ben')).toMatchObject({ status: 204 });
    expect(await call('DELETE', `/moments/${id}`, 'ben')).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await call('DELETE', `/moments/${id}`, 'ann')).toMatchObject({ status: 204 });
    expect(await call('GET', `/moments/${id}`, 'ann')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await call('DELETE', `/moments/${id}`, 'ann')).toMatchObject({ status: 404 });
  });

  it('answers for a post one may not see exactly as for one that does not exist, on every route', async () => {
    const { call } = await setup();
    const hidden = (await call('POST', '/moments', 'ann', { text: 'friends only', visibility: 'friends' })).body.id as string;
    const comment = (await call('POST', `/moments/${hidden}/comments`, 'ben', { text: 'hi' })).body.id as string;
    const missing = `mo${crypto.randomBytes(16).toString('base64url')}`;
    const missingComment = `mc${crypto.randomBytes(16).toString('base64url')}`;
    const routes = (id: string, c: string): [string, string, unknown?][] => [
      ['GET', `/moments/${id}`],
      ['PATCH', `/moments/${id}`, { visibility: 'all' }],
      ['DELETE', `/moments/${id}`],
      ['POST', `/moments/${id}/likes`],
      ['DELETE', `/moments/${id}/likes`],
      ['GET', `/moments/${id}/comments`],
      ['POST', `/moments/${id}/comments`, { text: 'x' }],
      ['GET', `/moments/${id}/comments/${c}`],
      ['DELETE', `/moments/${id}/comments/${c}`],
      ['POST', `/moments/${id}/reports`, { reason: 'x' }],
    ];
    const answers = async (id: string, c: string) => Promise.all(routes(id, c).map(async ([method, path, body]) => [method, path.replace(id, 'ID').replace(c, 'C'), (await call(method, path, 'cat', body)).body]));
    const forHidden = await answers(hidden, comment);
    expect(forHidden.every(([, , body]) => (body as { error: { code: string } }).error.code === 'NOT_FOUND')).toBe(true);
    expect(forHidden).toEqual(await answers(missing, missingComment));
    for (const bad of ['nope', 'mo', `mo${'!'.repeat(20)}`, 'x'.repeat(300), 'badge%00']) {
      expect((await call('GET', `/moments/${encodeURIComponent(bad)}`, 'ann')).status, bad).toBe(404);
      expect((await call('GET', `/moments/${hidden}/comments/${encodeURIComponent(bad)}`, 'ann')).status, bad).toBe(404);
    }
    // A guest sees nothing and posts nothing.
    expect((await call('GET', '/moments', 'guest')).body).toEqual({ items: [], next: null });
    expect(await call('GET', `/moments/${hidden}`, 'guest')).toMatchObject({ status: 404 });
    expect(await call('POST', '/moments', 'guest', { text: 'hi', visibility: 'all' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    // An admin removes it though they cannot see it.
    expect(await call('GET', `/moments/${hidden}`, 'plainadmin')).toMatchObject({ status: 404 });
    expect(await call('DELETE', `/moments/${hidden}`, 'plainadmin')).toMatchObject({ status: 204 });
    expect(await call('GET', `/moments/${hidden}`, 'ann')).toMatchObject({ status: 404 });
  });

  it('wants a signed-in person, and an elevated admin for the console', async () => {
    const { call } = await setup();
    const id = (await call('POST', '/moments', 'ann', { text: 'x', visibility: 'all' })).body.id as string;
    const report = (await call('POST', `/moments/${id}/reports`, 'ben', { reason: 'spam' })).body.id as string;
    for (const [method, path] of [
      ['POST', '/moments'],
      ['GET', '/moments'],
      ['GET', '/moments/badge'],
      ['POST', '/moments/seen'],
      ['GET', '/moments/notices'],
      ['POST', '/moments/notices/read'],
      ['GET', `/moments/${id}`],
      ['PATCH', `/moments/${id}`],
      ['DELETE', `/moments/${id}`],
      ['POST', `/moments/${id}/likes`],
      ['GET', `/moments/${id}/comments`],
      ['POST', `/moments/${id}/reports`],
    ]) {
      expect(await call(method!, path!, null), `${method} ${path}`).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    }
    for (const who of [null, 'ann', 'guest']) {
      expect((await call('GET', '/moments/reports', who)).status).toBe(404);
      expect((await call('POST', `/moments/reports/${report}/resolve`, who, { action: 'dismiss' })).status).toBe(404);
    }
    expect(await call('GET', '/moments/reports', 'plainadmin')).toMatchObject({ status: 403, body: { error: { code: 'SECOND_FACTOR_REQUIRED' } } });
    expect(await call('POST', `/moments/reports/${report}/resolve`, 'plainadmin', { action: 'dismiss' })).toMatchObject({ status: 403, body: { error: { code: 'SECOND_FACTOR_REQUIRED' } } });
    const listed = await call('GET', '/moments/reports?state=open', 'admin');
    expect(listed).toMatchObject({ status: 200, body: { items: [{ id: report, reason: 'spam', moment: { id, text: 'x' } }], next: null } });
    expect(await call('POST', `/moments/reports/${report}/resolve`, 'admin', { action: 'delete' })).toMatchObject({ status: 400 });
    expect(await call('POST', `/moments/reports/${report}/resolve`, 'admin', { action: 'remove' })).toMatchObject({ status: 200, body: { id: report, state: 'resolved', resolution: 'remove' } });
    expect(await call('POST', `/moments/reports/${report}/resolve`, 'admin', { action: 'dismiss' })).toMatchObject({ status: 409, body: { error: { code: 'ALREADY_RESOLVED' } } });
    expect(await call('POST', '/moments/reports/nope/resolve', 'admin', { action: 'dismiss' })).toMatchObject({ status: 404 });
  });

  it('refuses bodies that are not JSON, too large, or wrong, with a coded 4xx', async () => {
    const { call, upload, ann, ben } = await setup();
    expect(await call('POST', '/moments', 'ann', undefined, { raw: 'text=hi', type: 'application/x-www-form-urlencoded' })).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
    expect(await call('POST', '/moments', 'ann', { text: 'x'.repeat(40_000), visibility: 'all' })).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    expect(await call('POST', '/moments', 'ann', undefined, { raw: '{"text":' })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    const image = await upload(ann, 'a.png');
    const bensImage = await upload(ben, 'b.png');
    const video = await upload(ann, 'v.mp4');
    for (const [body, code] of [
      [{ text: 'x'.repeat(MAX_POST_CHARS + 1), visibility: 'all' }, 'BAD_REQUEST'],
      [{ text: '字'.repeat(MAX_POST_CHARS), visibility: 'all' }, null],
      [{ text: 'x', visibility: 'public' }, 'BAD_REQUEST'],
      [{ text: 'x' }, 'BAD_REQUEST'],
      [{ text: 'x', visibility: 'all', extra: 1 }, 'BAD_REQUEST'],
      [{ text: 'bell\u0007', visibility: 'all' }, 'BAD_REQUEST'],
      [{ text: 'x', location: 'two\nlines', visibility: 'all' }, 'BAD_REQUEST'],
      [{ text: 'x', location: 'l'.repeat(101), visibility: 'all' }, 'BAD_REQUEST'],
      [{ fileIds: [image, image], visibility: 'all' }, 'BAD_REQUEST'],
      [{ fileIds: Array.from({ length: 10 }, () => image), visibility: 'all' }, 'BAD_REQUEST'],
      [{ fileIds: [bensImage], visibility: 'all' }, 'BAD_ATTACHMENTS'],
      [{ fileIds: [image, video], visibility: 'all' }, 'BAD_ATTACHMENTS'],
      [{ fileIds: ['../../etc/passwd'], visibility: 'all' }, 'BAD_REQUEST'],
      [{ visibility: 'all' }, 'BAD_REQUEST'],
      [{ text: '   ', visibility: 'all' }, 'BAD_REQUEST'],
      [null, 'BAD_REQUEST'],
      [[], 'BAD_REQUEST'],
    ] as const) {
      const res = await call('POST', '/moments', 'ann', body);
      if (code === null) expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(201);
      else expect(res, JSON.stringify(body).slice(0, 80)).toMatchObject({ status: 400, body: { error: { code } } });
    }
    for (const query of ['view=everyone', 'view=all&userId=x', 'limit=0', 'limit=51', 'limit=abc', 'before=%%%', 'before=bm9wZQ', 'q=', 'q=' + 'x'.repeat(101), 'view=all&view=mine', 'userId=a', 'surprise=1']) {
      expect(await call('GET', `/moments?${query}`, 'ann'), query).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    }
  });

  it('answers random bodies, queries and ids on every route with a coded 4xx, never a 5xx', async () => {
    const { call } = await setup();
    const id = (await call('POST', '/moments', 'ann', { text: 'fuzz target', visibility: 'all' })).body.id as string;
    const commentId = (await call('POST', `/moments/${id}/comments`, 'ben', { text: 'c' })).body.id as string;
    const reportId = (await call('POST', `/moments/${id}/reports`, 'ben', { reason: 'r' })).body.id as string;
    const seed = crypto.randomBytes(4).readUInt32LE(0);
    let state = seed || 1;
    const rand = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const atoms = [null, true, false, 0, -1, 1.5, 1e308, '', 'all', 'friends', 'private', 'dismiss', 'remove', id, commentId, 'x'.repeat(3000), '\u0000', '𠀀', '<script>', 'fl' + 'A'.repeat(24), ['fl' + 'B'.repeat(24)]];
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.4) return pick(atoms);
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      const keys = ['text', 'fileIds', 'visibility', 'location', 'replyTo', 'reason', 'action', '__proto__', 'constructor', 'x'];
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [pick(keys), value(depth + 1)]));
    };
    const idAtoms = [id, commentId, reportId, 'nope', '..', '%2e%2e', 'mo' + 'A'.repeat(22), 'x'.repeat(500), '%00', 'badge', 'reports'];
    const queryKeys = ['view', 'userId', 'q', 'before', 'after', 'limit', 'state', 'x'];
    const queryValues = ['all', 'friends', 'mine', 'open', 'resolved', '0', '5', '51', '-1', 'NaN', '%E4%BC%9A', 'x'.repeat(300), id, ''];
    const query = () => (rand() < 0.3 ? '' : `?${Array.from({ length: 1 + Math.floor(rand() * 3) }, () => `${pick(queryKeys)}=${pick(queryValues)}`).join('&')}`);
    const routes: [string, (m: string, c: string) => string][] = [
      ['POST', () => '/moments'],
      ['GET', () => '/moments'],
      ['GET', () => '/moments/badge'],
      ['POST', () => '/moments/seen'],
      ['GET', () => '/moments/notices'],
      ['POST', () => '/moments/notices/read'],
      ['GET', () => '/moments/reports'],
      ['POST', (m) => `/moments/reports/${m}/resolve`],
      ['GET', (m) => `/moments/${m}`],
      ['PATCH', (m) => `/moments/${m}`],
      ['POST', (m) => `/moments/${m}/likes`],
      ['DELETE', (m) => `/moments/${m}/likes`],
      ['GET', (m) => `/moments/${m}/comments`],
      ['POST', (m) => `/moments/${m}/comments`],
      ['GET', (m, c) => `/moments/${m}/comments/${c}`],
      ['DELETE', (m, c) => `/moments/${m}/comments/${c}`],
      ['POST', (m) => `/moments/${m}/reports`],
      ['DELETE', (m) => `/moments/${m}`],
    ];
    for (let i = 0; i < 400; i++) {
      const [method, path] = routes[i % routes.length]!;
      const url = `${path(pick(idAtoms), pick(idAtoms))}${query()}`;
      const body = method === 'GET' || method === 'DELETE' || i % 7 === 0 ? undefined : value(0);
      const raw = i % 11 === 0 && method !== 'GET' ? pick(['{', '{"text":', '[1,2', 'null', '"x"', '{"a":'.repeat(40), '1e999999']) : undefined;
      const who = pick(['ann', 'ben', 'cat', 'admin', 'plainadmin', 'guest', null]);
      const res = await call(method, url, who, raw === undefined ? body : undefined, raw === undefined ? {} : { raw });
      const where = `seed ${seed}, ${who} ${method} ${url} ${raw ?? JSON.stringify(body)?.slice(0, 200)}`;
      expect(res.status, where).toBeLessThan(500);
      if (res.status >= 400) expect(MOMENTS_ERROR_CODES as readonly string[], where).toContain(res.body.error.code);
    }
  });

  it('is described in OpenAPI from the schemas it parses with', () => {
    const registry = new OpenAPIRegistry();
    registerMomentsOpenApi(registry);
    const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info: { title: 'Muster', version: '1' } });
    expect(Object.keys(document.paths ?? {}).sort()).toEqual(
      [
        '/moments',
        '/moments/badge',
        '/moments/seen',
        '/moments/notices',
        '/moments/notices/read',
        '/moments/reports',
        '/moments/reports/{id}/resolve',
        '/moments/{id}',
        '/moments/{id}/likes',
        '/moments/{id}/comments',
        '/moments/{id}/comments/{commentId}',
        '/moments/{id}/reports',
      ].sort(),
    );
    const post = document.paths!['/moments']!.post!;
    expect(Object.keys(post.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '401', '403']));
    expect(JSON.stringify(document.components?.schemas?.CreateMoment)).toContain('#/components/schemas/MomentVisibility');
    expect(document.components?.schemas?.MomentVisibility).toMatchObject({ enum: ['all', 'friends', 'private'] });
  });
});
