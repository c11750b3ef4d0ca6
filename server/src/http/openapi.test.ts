/**
 * The OpenAPI document is a contract: every REST route is called against a
 * real server, and each reply must be documented for that route (its status)
 * and match the documented schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1
 * uses). At the end every documented operation must have been seen to
 * succeed and to fail, so neither the code nor the document can drift.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodePeer } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { openApiDocument } from './openapi.ts';
import sharp from 'sharp';
import type { LogCodeChannel } from '@muster/accounts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
const DOC_ID = 'https://muster.invalid/openapi.json';

describe('OpenAPI document', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let doc: Doc;
  let ajv: Ajv2020;
  const host = new Map<string, NodePeer>();
  /** `METHOD /path` → the statuses seen. */
  const seen = new Map<string, Set<number>>();

  /** The documented path template that `path` (below /api/v1, no query) falls under. */
  function templateOf(method: string, path: string): string {
    const matches = Object.keys(doc.paths).filter((template) => {
      if (!doc.paths[template]![method]) return false;
      const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      return pattern.test(path);
    });
    // A literal segment wins over a parameter (`/rooms/{id}/recordings/current` over a `{name}`).
    matches.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
    if (!matches[0]) throw new Error(`${method.toUpperCase()} ${path} is not in the OpenAPI document`);
    return matches[0];
  }

  /** Calls the API and checks the reply against the document; returns the status and the parsed body. */
  async function call(
    method: string,
    path: string,
    init: { body?: unknown; raw?: string | Buffer; type?: string; auth?: boolean; token?: string; headers?: Record<string, string>; expect: number },
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = {};
    // `token`: a person's access token instead of the organisation's API token.
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    else if (init.auth !== false) headers.authorization = `Bearer ${server.apiToken}`;
    if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = init.type ?? 'application/json';
    // Protocol headers (tus, Range) as given.
    Object.assign(headers, init.headers);
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers, body: (typeof init.raw === 'string' ? init.raw : init.raw ? new Uint8Array(init.raw) : undefined) ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined) });
    const m = method.toLowerCase();
    const template = templateOf(m, path.split('?')[0]!);
    const key = `${method} ${template}`;
    const text = await res.text();
    if (!seen.has(key)) seen.set(key, new Set());
    seen.get(key)!.add(res.status);
    expect(res.status, `${method} ${path}: ${text.slice(0, 300)}`).toBe(init.expect);
    const documented = doc.paths[template]![m]!.responses[String(res.status)];
    expect(documented, `${key} answered ${res.status}, which the document does not list`).toBeDefined();
    // No body where the document says none (204, tus's 201 and HEAD replies): nothing to match.
    if (res.status === 204 || (text === '' && !documented!.content)) return { status: res.status, headers: res.headers, body: text };
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const content = documented!.content ?? {};
    expect(Object.keys(content), `${key} ${res.status}: content type ${type} is not documented`).toContain(type);
    if (type === 'image/webp') return { status: res.status, headers: res.headers, body: text };
    if (type !== 'application/json' || !(content[type]!.schema as { $ref?: string; type?: string; contentMediaType?: string })) return { status: res.status, headers: res.headers, body: text };
    const body = JSON.parse(text);
    if ((content[type]!.schema as { contentMediaType?: string }).contentMediaType) return { status: res.status, headers: res.headers, body };
    const pointer = ['paths', template, m, 'responses', String(res.status), 'content', type, 'schema'].map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
    const validate = ajv.getSchema(`${DOC_ID}#/${pointer}`) ?? ajv.compile({ $ref: `${DOC_ID}#/${pointer}` });
    if (!validate(body)) {
      throw new Error(`${method} ${path} → ${res.status}: the body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`);
    }
    return { status: res.status, headers: res.headers, body };
  }

  beforeAll(async () => {
    server = await startTestServer();
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: DOC_ID });
    for (const name of ['Dana', 'Eli']) {
      const peer = new NodePeer(server.url);
      await peer.join('contract', name);
      host.set(name, peer);
    }
  });
  afterAll(async () => {
    for (const peer of host.values()) await peer.close().catch(() => undefined);
    await server?.close();
  });

  it('is OpenAPI 3.1, served publicly, the same as the module builds, with the whiteboard routes', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(JSON.parse(JSON.stringify(openApiDocument))).toEqual(doc);
    await call('GET', '/openapi.json', { auth: false, expect: 200 });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/rooms', '/rooms/{id}', '/rooms/{id}/audit', '/rooms/{id}/data', '/rooms/{id}/mute-all', '/rooms/{id}/participants', '/rooms/{id}/participants/{pid}', '/rooms/{id}/participants/{pid}/mute']),
    );
    expect(Object.keys(doc.paths['/rooms/{id}']!).sort()).toEqual(['delete', 'get', 'patch']);
    expect(Object.keys(doc.paths['/boards/{id}']!).sort()).toEqual(['get', 'put']);
    expect(JSON.stringify(doc.components.schemas.Board)).toContain('"symbol"');
  });

  it('rooms: every route, with its replies and errors, as documented', async () => {
    await call('GET', '/rooms', { expect: 200 });
    await call('GET', '/rooms', { auth: false, expect: 401 });

    const created = await call('POST', '/rooms', { body: { id: 'planned', topic: 'Plan', startsAt: '2030-01-01T09:00:00Z', settings: { chat: 'participants' } }, expect: 201 });
    expect(created.body).toMatchObject({ id: 'planned', live: false, startsAt: Date.parse('2030-01-01T09:00:00Z') });
    await call('POST', '/rooms', { body: { id: 'planned' }, expect: 409 });
    await call('POST', '/rooms', { body: { id: '../x' }, expect: 400 });
    await call('POST', '/rooms', { body: { startsAt: 'next tuesday' }, expect: 400 });
    await call('POST', '/rooms', { raw: 'id=x', type: 'text/plain', expect: 415 });
    await call('POST', '/rooms', { raw: JSON.stringify({ topic: 'x'.repeat(300 * 1024) }), expect: 413 });

    await call('GET', '/rooms/planned', { expect: 200 });
    const dump = await waitUntil(async () => {
      const d = await call('GET', '/rooms/contract', { expect: 200 });
      return d.body.participants.every((p: { consumers: unknown[] }) => p.consumers.length === 2) ? d.body : null;
    }, 15_000, 'consumers in the dump');
    expect(dump.participants).toHaveLength(2);
    await call('GET', '/rooms/nope', { expect: 404 });
    await call('GET', `/rooms/${encodeURIComponent('bad id')}`, { expect: 400 });

    await call('PATCH', '/rooms/planned', { body: { topic: 'Plan B' }, expect: 200 });
    await call('PATCH', '/rooms/contract', { body: { lobby: false, settings: { share: 'moderators' } }, expect: 200 });
    await call('PATCH', '/rooms/nope', { body: { topic: 'x' }, expect: 404 });
    await call('PATCH', '/rooms/planned', { body: { colour: 'red' }, expect: 400 });

    const people = await call('GET', '/rooms/contract/participants', { expect: 200 });
    const eli = people.body.find((p: { name: string }) => p.name === 'Eli').id as string;
    await call('GET', '/rooms/planned/participants', { expect: 404 });

    await call('POST', `/rooms/contract/participants/${eli}/mute`, { body: { kind: 'audio' }, expect: 200 });
    await call('POST', `/rooms/contract/participants/${eli}/mute`, { body: { kind: 'smell' }, expect: 400 });
    await call('POST', `/rooms/contract/participants/${eli}/video-quality`, { body: { quality: 'low' }, expect: 200 });
    await call('POST', `/rooms/contract/participants/${eli}/video-quality`, { body: { quality: 'ultra' }, expect: 400 });
    await call('POST', '/rooms/contract/mute-all', { body: { kind: 'video', allowUnmute: true }, expect: 200 });
    await call('POST', '/rooms/contract/mute-all', { body: { kind: 'video' }, expect: 400 });
    await call('POST', '/rooms/contract/data', { body: { data: { hello: 1 }, topic: 'greeting' }, expect: 200 });
    await call('POST', '/rooms/contract/data', { body: { data: 'x'.repeat(20_000) }, expect: 413 });
    await call('POST', '/rooms/contract/data', { body: { topic: 'no data' }, expect: 400 });
    await call('GET', '/rooms/contract/audit', { expect: 200 });
    await call('GET', '/rooms/nope/audit', { expect: 404 });

    await call('DELETE', `/rooms/contract/participants/${eli}?ban=true`, { expect: 200 });
    await call('DELETE', '/rooms/contract/participants/nobody', { expect: 404 });
    await call('DELETE', '/rooms/planned', { expect: 200 });
    await call('DELETE', '/rooms/planned', { expect: 404 });
  });

  it('recordings: start, stop, list, get and download, as documented', async () => {
    await call('POST', '/rooms/nope/recordings', { expect: 404 });
    await call('POST', '/rooms/contract/recordings', { body: { compose: 'live' }, expect: 400 });
    const started = await call('POST', '/rooms/contract/recordings', { body: {}, expect: 201 });
    const id = started.body.id as string;
    await call('POST', '/rooms/contract/recordings', { expect: 409 });
    // Until both people's media is on disk (a busy machine starts the track recorders late), not for a fixed time.
    const dir = path.join(server.recorder.config.dir, id);
    await waitUntil(
      () => fs.existsSync(dir) && fs.readdirSync(dir).filter((f) => f.endsWith('.webm')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0) > 40_000,
      30_000,
      'media on disk',
    );
    await call('DELETE', '/rooms/contract/recordings/current', { expect: 200 });
    await call('DELETE', '/rooms/contract/recordings/current', { expect: 404 });
    await call('GET', '/rooms/contract/recordings', { expect: 200 });
    await call('GET', `/rooms/${encodeURIComponent('bad id')}/recordings`, { expect: 400 });
    await call('GET', '/recordings/nope', { expect: 404 });
    const done = await waitUntil(async () => {
      const r = await call('GET', `/recordings/${id}`, { expect: 200 });
      return r.body.state === 'ready' || r.body.state === 'failed' ? r.body : null;
    }, 60_000, 'the recording to be processed');
    expect(done.state).toBe('ready');

    await call('GET', `/recordings/${id}/file`, { auth: false, expect: 401 });
    await call('GET', `/recordings/${id}/file`, { expect: 200 });
    await call('GET', `/recordings/${id}/files/manifest.json`, { expect: 200 });
    await call('GET', `/recordings/${id}/files/nothing.webm`, { expect: 404 });
    // Downloads say 409 while a recording is still going.
    const running = await call('POST', '/rooms/contract/recordings', { expect: 201 });
    await call('GET', `/recordings/${running.body.id}/file`, { expect: 409 });
    await call('DELETE', '/rooms/contract/recordings/current', { expect: 200 });
  });

  it('boards and pinned symbols: every route, as documented', async () => {
    const board = {
      id: 'contract-board',
      pages: [{ id: 'p1', name: 'Page 1', objects: [{ id: 'o1', page: 'p1', type: 'rect', x: 10, y: 20, w: 30, h: 40, z: 1 }] }],
    };
    await call('PUT', '/boards/contract-board', { body: board, expect: 201 });
    await call('PUT', '/boards/contract-board', { body: board, expect: 200 });
    await call('PUT', '/boards/contract-board', { body: { ...board, id: 'other' }, expect: 400 });
    await call('PUT', '/boards/contract-board', { body: board, auth: false, expect: 401 });
    await call('GET', '/boards', { expect: 200 });
    await call('GET', '/boards', { auth: false, expect: 401 });
    const got = await call('GET', '/boards/contract-board', { expect: 200 });
    expect(got.body.pages[0].objects[0]).toMatchObject({ id: 'o1', type: 'rect' });
    await call('GET', '/boards/nope', { expect: 404 });
    await call('GET', `/boards/${encodeURIComponent('bad id')}`, { expect: 400 });
    await call('PUT', '/symbols/pinned', { body: [{ sidc: 'SFGPUCI--------', name: 'Infantry' }], expect: 200 });
    await call('PUT', '/symbols/pinned', { body: [{ sidc: 'nope', name: 'x' }], expect: 400 });
    await call('PUT', '/symbols/pinned', { raw: JSON.stringify([{ sidc: 'SFGPUCI--------', name: 'x'.repeat(70 * 1024) }]), expect: 413 });
    await call('GET', '/symbols/pinned', { expect: 200 });
    await call('GET', '/symbols/pinned', { auth: false, expect: 401 });
  });

  it('accounts: auth, me, devices, profiles, avatars and the admin console, as documented', async () => {
    const channel = server.accounts.channel as LogCodeChannel;
    const codeFor = (phone: string, purpose: string) => {
      const found = channel.pending().find((p) => p.phone === phone && p.purpose === purpose);
      if (!found) throw new Error(`no ${purpose} code for ${phone}`);
      return found.code;
    };
    const phone = '+8613800000001';
    expect((await call('GET', '/auth/policy', { auth: false, expect: 200 })).body).toEqual({ signupPolicy: 'code' });
    await call('POST', '/auth/codes', { body: { phone, purpose: 'signup' }, auth: false, expect: 204 });
    await call('POST', '/auth/codes', { body: { phone: 'not a number', purpose: 'signup' }, auth: false, expect: 400 });
    await call('POST', '/auth/signup', { body: { phone, nickname: 'Lin' }, auth: false, expect: 400 });
    const signed = await call('POST', '/auth/signup', { body: { phone, code: codeFor(phone, 'signup'), password: 'orchid-lantern-42', nickname: 'Lin' }, auth: false, expect: 201 });
    await call('POST', '/auth/signup', { body: { phone, code: '000000', nickname: 'Lin' }, auth: false, expect: 409 });
    const token = signed.body.accessToken as string;

    const login = await call('POST', '/auth/login', { body: { phone, password: 'orchid-lantern-42', device: { name: 'Laptop', platform: 'web' } }, auth: false, expect: 200 });
    await call('POST', '/auth/login', { body: { phone, password: 'wrong-password-1' }, auth: false, expect: 401 });
    const refreshed = await call('POST', '/auth/refresh', { body: { refreshToken: login.body.refreshToken }, auth: false, expect: 200 });
    await call('POST', '/auth/refresh', { body: { refreshToken: 'r1.nothing.1.x' }, auth: false, expect: 401 });

    await call('GET', '/me', { token, expect: 200 });
    await call('GET', '/me', { auth: false, expect: 401 });
    await call('PATCH', '/me', { token, body: { signature: 'hello', musterId: 'lin_2026' }, expect: 200 });
    await call('PATCH', '/me', { token, body: { musterId: '1bad' }, expect: 400 });
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#3a7' } }).png().toBuffer();
    const withAvatar = await call('PUT', '/me/avatar', { token, raw: png, type: 'image/png', expect: 200 });
    await call('PUT', '/me/avatar', { token, raw: 'not an image', type: 'image/png', expect: 400 });
    await call('PUT', '/me/avatar', { token, raw: '{}', type: 'application/json', expect: 415 });
    await call('GET', withAvatar.body.avatar.small.replace('/api/v1', ''), { auth: false, expect: 200 });
    await call('GET', withAvatar.body.avatar.small.replace('/api/v1', '').replace(/sig=.*/, 'sig=forged'), { auth: false, expect: 404 });
    await call('PUT', '/me/password', { token, body: { currentPassword: 'orchid-lantern-42', password: 'willow-canyon-77' }, expect: 204 });
    await call('PUT', '/me/password', { token, body: { currentPassword: 'willow-canyon-77', password: 'password' }, expect: 400 });

    const second = await call('POST', '/auth/login', { body: { phone, password: 'willow-canyon-77' }, auth: false, expect: 200 });
    const devices = await call('GET', '/me/devices', { token, expect: 200 });
    expect(devices.body.length).toBeGreaterThanOrEqual(2);
    await call('GET', '/me/devices', { auth: false, expect: 401 });
    await call('DELETE', `/me/devices/${second.body.deviceId}`, { token, expect: 204 });
    await call('DELETE', `/me/devices/${second.body.deviceId}`, { token, expect: 404 });
    const third = await call('POST', '/auth/login', { body: { phone, password: 'willow-canyon-77' }, auth: false, expect: 200 });
    await call('POST', '/me/devices/sign-out-others', { token, expect: 200 });
    await call('POST', '/me/devices/sign-out-others', { token: third.body.accessToken, expect: 401 });

    await call('GET', `/users/${signed.body.user.id}`, { token, expect: 200 });
    await call('GET', '/users/u-nobody-here', { token, expect: 404 });
    const found1 = await call('GET', `/users/lookup?phone=${encodeURIComponent('138 0000 0001')}`, { token, expect: 200 });
    expect(found1.body.id).toBe(signed.body.user.id);
    expect((await call('GET', '/users/lookup?musterId=LIN_2026', { token, expect: 200 })).body.id).toBe(signed.body.user.id);
    await call('GET', '/users/lookup?musterId=lin_20', { token, expect: 404 });
    await call('GET', '/users/lookup?phone=1&musterId=x', { token, expect: 400 });
    await call('GET', '/users/lookup?musterId=lin_2026', { auth: false, expect: 401 });

    await call('POST', '/auth/codes', { body: { phone, purpose: 'reset' }, auth: false, expect: 204 });
    await call('POST', '/auth/password-reset', { body: { phone, code: '000000', password: 'maple-harbour-19' }, auth: false, expect: 401 });
    await call('POST', '/auth/password-reset', { body: { phone, code: codeFor(phone, 'reset'), password: 'maple-harbour-19' }, auth: false, expect: 204 });
    const afterReset = await call('POST', '/auth/login', { body: { phone, password: 'maple-harbour-19' }, auth: false, expect: 200 });
    await call('POST', '/auth/logout', { token: afterReset.body.accessToken, expect: 204 });
    await call('POST', '/auth/logout', { auth: false, body: { refreshToken: refreshed.body.refreshToken }, expect: 401 });

    // The console: the first admin, the set-up link, the second factor.
    const made = await server.accounts.admin.createAdmin('+8613800000002');
    const setupToken = made.link.split('#')[1]!;
    await call('POST', '/admin/setup', { auth: false, body: { token: 'x'.repeat(43), password: 'granite-meadow-55', consolePassword: 'second-factor-909' }, expect: 401 });
    const admin = await call('POST', '/admin/setup', { auth: false, body: { token: setupToken, password: 'granite-meadow-55', consolePassword: 'second-factor-909' }, expect: 201 });
    const adminToken = admin.body.accessToken as string;
    await call('GET', '/admin/users', { token: adminToken, expect: 403 });
    await call('POST', '/admin/elevate', { token: adminToken, body: { consolePassword: 'wrong-second-1' }, expect: 401 });
    await call('POST', '/admin/elevate', { token, body: { consolePassword: 'second-factor-909' }, expect: 404 });
    const elevated = await call('POST', '/admin/elevate', { token: adminToken, body: { consolePassword: 'second-factor-909' }, expect: 200 });
    const root = elevated.body.accessToken as string;
    // The elevated token lasts as long as the elevation.
    expect(elevated.body.accessTokenExpiresAt).toBe(elevated.body.elevatedUntil);
    await call('POST', `/admin/users/${admin.body.user.id}/disable`, { token: root, expect: 400 });
    const found = await call('GET', '/admin/users?q=Lin', { token: root, expect: 200 });
    const lin = found.body.find((u: { nickname: string }) => u.nickname === 'Lin').id as string;
    await call('GET', '/admin/users', { token, expect: 404 });
    await call('GET', `/admin/users/${lin}`, { token: root, expect: 200 });
    await call('GET', '/admin/users/u-nobody-here', { token: root, expect: 404 });
    for (const action of ['unlock', 'sign-out', 'reset-password', 'disable', 'enable']) {
      await call('POST', `/admin/users/${lin}/${action}`, { token: root, expect: 200 });
      await call('POST', `/admin/users/u-nobody-here/${action}`, { token: root, expect: 404 });
    }
    await call('PATCH', '/admin/settings', { token: root, body: { signupPolicy: 'approval' }, expect: 200 });
    await call('PATCH', '/admin/settings', { token: root, body: { signupPolicy: 'never' }, expect: 400 });
    await call('GET', '/admin/settings', { token: root, expect: 200 });
    await call('GET', '/admin/settings', { token, expect: 404 });
    const pendingPhone = '+8613800000003';
    const pending = await call('POST', '/auth/signup', { auth: false, body: { phone: pendingPhone, password: 'quartz-ribbon-31', nickname: 'Mo' }, expect: 202 });
    await call('POST', '/auth/login', { auth: false, body: { phone: pendingPhone, password: 'quartz-ribbon-31' }, expect: 403 });
    await call('POST', `/admin/users/${pending.body.user.id}/approve`, { token: root, expect: 200 });
    await call('POST', `/admin/users/${pending.body.user.id}/approve`, { token: root, expect: 400 });
    await call('PATCH', '/admin/settings', { token: root, body: { signupPolicy: 'code' }, expect: 200 });
    await call('GET', '/admin/codes', { token: root, expect: 200 });
    await call('GET', '/admin/codes', { token, expect: 404 });
    await call('GET', '/admin/security-events', { token: root, expect: 200 });
    await call('GET', '/admin/security-events', { auth: false, expect: 404 });

    const guests = await call('POST', '/admin/guests', { token: root, body: { csv: 'name\n访客 一\n"Guest, Two"\n', expiresAt: Date.now() + 3_600_000 }, expect: 201 });
    expect(guests.body.map((g: { user: { nickname: string } }) => g.user.nickname)).toEqual(['访客 一', 'Guest, Two']);
    await call('POST', '/admin/guests', { token: root, body: { expiresAt: Date.now() + 3_600_000 }, expect: 400 });
    const guestToken = guests.body[0].link.split('#')[1];
    await call('POST', '/auth/guest', { auth: false, body: { token: guestToken }, expect: 200 });
    await call('POST', '/auth/guest', { auth: false, body: { token: guestToken }, expect: 401 });
    await call('DELETE', `/admin/users/${guests.body[1].user.id}`, { token: root, expect: 204 });
    await call('DELETE', `/admin/users/${guests.body[1].user.id}`, { token: root, expect: 404 });

    // Contacts: Mo asks Lin (re-logged in after the admin's reset), Lin accepts.
    const lin2 = (await call('POST', '/admin/users/' + lin + '/reset-password', { token: root, expect: 200 })).body.temporaryPassword as string;
    const linToken = (await call('POST', '/auth/login', { body: { phone, password: lin2 }, auth: false, expect: 200 })).body.accessToken as string;
    const mo = (await call('POST', '/auth/login', { body: { phone: pendingPhone, password: 'quartz-ribbon-31' }, auth: false, expect: 200 })).body;
    const asked = await call('POST', '/contacts/requests', { token: mo.accessToken, body: { to: lin, greeting: '你好' }, expect: 201 });
    await call('POST', '/contacts/requests', { token: mo.accessToken, body: { to: 'u-nobody-here' }, expect: 404 });
    await call('GET', '/contacts/requests', { token: linToken, expect: 200 });
    await call('GET', '/contacts/requests', { auth: false, expect: 401 });
    await call('POST', `/contacts/requests/${asked.body.id}/accept`, { token: mo.accessToken, expect: 404 });
    await call('POST', `/contacts/requests/${asked.body.id}/accept`, { token: linToken, expect: 204 });
    await call('POST', `/contacts/requests/${asked.body.id}/decline`, { token: linToken, expect: 409 });
    const other = await call('POST', '/contacts/requests', { token: root, body: { to: lin }, expect: 201 });
    await call('POST', `/contacts/requests/${other.body.id}/decline`, { token: linToken, expect: 204 });
    await call('POST', '/contacts/requests', { token: mo.accessToken, body: { to: lin }, expect: 409 });
    expect((await call('GET', '/contacts?q=lin', { token: mo.accessToken, expect: 200 })).body.map((c: { userId: string }) => c.userId)).toEqual([lin]);
    await call('GET', `/contacts?q=${'x'.repeat(100)}`, { token: mo.accessToken, expect: 400 });
    await call('PATCH', `/contacts/${lin}`, { token: mo.accessToken, body: { remark: '小林' }, expect: 200 });
    await call('PATCH', `/contacts/${lin}`, { token: mo.accessToken, body: { remark: 7 }, expect: 400 });
    // A conversation between the two contacts.
    const convo = await call('POST', '/conversations', { token: mo.accessToken, body: { userId: lin }, expect: 200 });
    await call('POST', '/conversations', { token: mo.accessToken, body: { userId: admin.body.user.id }, expect: 404 });
    const first = await call('POST', `/conversations/${convo.body.id}/messages`, { token: mo.accessToken, body: { clientMsgId: 'mo-msg-0001', type: 'text', text: '你好 Lin' }, expect: 201 });
    await call('POST', `/conversations/${convo.body.id}/messages`, { token: mo.accessToken, body: { clientMsgId: 'mo-msg-0001', type: 'text', text: '你好 Lin' }, expect: 200 });
    await call('POST', `/conversations/${convo.body.id}/messages`, { token: mo.accessToken, body: { clientMsgId: 'mo-msg-0002', type: 'text', text: '长'.repeat(700) }, expect: 400 });
    await call('POST', `/conversations/${convo.body.id}/messages`, { token: root, body: { clientMsgId: 'root-msg-01', type: 'text', text: 'hi' }, expect: 404 });
    expect((await call('GET', `/conversations/${convo.body.id}/messages?afterSeq=0`, { token: linToken, expect: 200 })).body.map((m: { seq: number }) => m.seq)).toEqual([first.body.seq]);
    await call('GET', `/conversations/${convo.body.id}/messages?limit=1000`, { token: linToken, expect: 400 });
    expect((await call('GET', '/conversations', { token: linToken, expect: 200 })).body[0]).toMatchObject({ id: convo.body.id, unread: 1 });
    await call('GET', '/conversations', { auth: false, expect: 401 });
    expect((await call('POST', `/conversations/${convo.body.id}/read`, { token: linToken, body: { seq: first.body.seq }, expect: 200 })).body).toEqual({ readSeq: 1, unread: 0 });
    await call('POST', `/conversations/cvnot-a-real-one/read`, { token: linToken, body: { seq: 1 }, expect: 404 });

    const group = await call('POST', '/groups', { token: mo.accessToken, body: { name: 'Pair', members: [lin] }, expect: 201 });
    expect(group.body).toMatchObject({ name: 'Pair', members: 2 });
    await call('POST', '/groups', { token: mo.accessToken, body: { name: 'Strangers', members: [admin.body.user.id] }, expect: 400 });

    // Search in messages: the index is built off the send path (it may lag a moment), Chinese words and English alike.
    const searched = await waitUntil(async () => {
      const res = await call('GET', `/search/messages?q=${encodeURIComponent('你好')}`, { token: linToken, expect: 200 });
      return res.body.results.length === 1 ? res.body : null;
    }, 10_000, 'the message indexed for search');
    expect(searched.results[0]).toMatchObject({ conversationId: convo.body.id, seq: first.body.seq, snippet: '你好 Lin' });
    expect((await call('GET', `/search/messages?q=LIN&conversationId=${convo.body.id}&limit=5`, { token: mo.accessToken, expect: 200 })).body.next).toBeNull();
    await call('GET', '/search/messages?q=', { token: linToken, expect: 400 });
    await call('GET', `/search/messages?q=${'长'.repeat(101)}`, { token: linToken, expect: 400 });
    await call('GET', `/search/messages?q=lin&conversationId=${convo.body.id}`, { token: root, expect: 404 });
    await call('GET', '/search/messages?q=lin', { auth: false, expect: 401 });

    // Calls from the chat: ring, accept, hang up; cancel; a blocked caller; a group call; ringing people into a meeting.
    const ringing = await call('POST', '/calls', { token: mo.accessToken, body: { conversationId: convo.body.id, media: 'video' }, expect: 201 });
    await call('POST', '/calls', { token: mo.accessToken, body: { conversationId: convo.body.id, media: 'hologram' }, expect: 400 });
    await call('POST', '/calls', { token: mo.accessToken, body: { conversationId: convo.body.id, media: 'voice' }, expect: 409 });
    await call('POST', '/calls', { token: root, body: { conversationId: convo.body.id, media: 'voice' }, expect: 404 });
    expect((await call('GET', '/calls', { token: linToken, expect: 200 })).body.map((c: { id: string }) => c.id)).toEqual([ringing.body.id]);
    await call('GET', '/calls', { auth: false, expect: 401 });
    await call('GET', `/calls/${ringing.body.id}`, { token: linToken, expect: 200 });
    await call('GET', `/calls/${ringing.body.id}`, { token: root, expect: 404 });
    await call('POST', `/calls/${ringing.body.id}/hangup`, { token: linToken, expect: 409 });
    await call('POST', `/calls/${ringing.body.id}/accept`, { token: linToken, expect: 200 });
    await call('POST', `/calls/${ringing.body.id}/accept`, { token: linToken, expect: 409 });
    await call('POST', `/calls/${ringing.body.id}/hangup`, { token: mo.accessToken, expect: 200 });
    await call('POST', `/calls/${ringing.body.id}/cancel`, { token: mo.accessToken, expect: 409 });
    const cancelled = await call('POST', '/calls', { token: linToken, body: { conversationId: convo.body.id, media: 'voice' }, expect: 201 });
    await call('POST', `/calls/${cancelled.body.id}/decline`, { token: linToken, expect: 409 });
    await call('POST', `/calls/${cancelled.body.id}/cancel`, { token: linToken, expect: 200 });
    await call('POST', `/calls/${cancelled.body.id}/accept`, { token: mo.accessToken, expect: 409 });
    const declined = await call('POST', '/calls', { token: linToken, body: { conversationId: convo.body.id, media: 'voice' }, expect: 201 });
    await call('POST', `/calls/${declined.body.id}/decline`, { token: root, expect: 404 });
    await call('POST', `/calls/${declined.body.id}/decline`, { token: mo.accessToken, expect: 200 });
    await call('POST', '/calls/canot-a-call/accept', { token: mo.accessToken, expect: 404 });
    await call('PUT', `/contacts/blocked/${mo.user.id}`, { token: linToken, expect: 204 });
    await call('POST', '/calls', { token: mo.accessToken, body: { conversationId: convo.body.id, media: 'voice' }, expect: 403 });
    await call('DELETE', `/contacts/blocked/${mo.user.id}`, { token: linToken, expect: 204 });
    const groupCall = await call('POST', '/calls', { token: mo.accessToken, body: { conversationId: group.body.id, media: 'video', invitees: [lin] }, expect: 201 });
    expect(groupCall.body).toMatchObject({ kind: 'group', state: 'ringing', invitees: [lin] });
    await call('POST', '/calls', { token: mo.accessToken, body: { conversationId: group.body.id, media: 'video' }, expect: 400 });
    const invited = await call('POST', `/me/meetings/${groupCall.body.roomId}/invite`, { token: mo.accessToken, body: { userIds: [lin] }, expect: 201 });
    expect(invited.body).toMatchObject({ kind: 'group', invitees: [lin], link: groupCall.body.link });
    await call('POST', `/me/meetings/${groupCall.body.roomId}/invite`, { token: linToken, body: { userIds: [mo.user.id] }, expect: 404 });
    await call('POST', `/me/meetings/${groupCall.body.roomId}/invite`, { token: mo.accessToken, body: {}, expect: 400 });

    await call('PUT', `/contacts/blocked/${mo.user.id}`, { token: linToken, expect: 204 });
    await call('PUT', `/contacts/blocked/${lin}`, { token: linToken, expect: 400 });
    await call('GET', '/contacts/blocked', { token: linToken, expect: 200 });
    await call('GET', '/contacts/blocked', { auth: false, expect: 401 });
    await call('DELETE', `/contacts/blocked/${mo.user.id}`, { token: linToken, expect: 204 });
    await call('DELETE', `/contacts/blocked/${mo.user.id}`, { token: linToken, expect: 404 });
    await call('DELETE', `/contacts/${lin}`, { token: mo.accessToken, expect: 204 });
    await call('DELETE', `/contacts/${lin}`, { token: mo.accessToken, expect: 404 });

    // My meetings, with the signed-in person's token.
    const me = (await call('POST', '/auth/login', { body: { phone: pendingPhone, password: 'quartz-ribbon-31' }, auth: false, expect: 200 })).body.accessToken as string;
    const scheduled = await call('POST', '/me/meetings', { token: me, body: { topic: 'Review', startsAt: '2031-05-01T09:00:00+08:00' }, expect: 201 });
    await call('POST', '/me/meetings', { token: me, body: { topic: 'Review', startsAt: 'tomorrow' }, expect: 400 });
    await call('GET', '/me/meetings', { token: me, expect: 200 });
    await call('GET', '/me/meetings', { auth: false, expect: 401 });
    await call('PATCH', `/me/meetings/${scheduled.body.id}`, { token: me, body: { topic: 'Review 2' }, expect: 200 });
    await call('PATCH', `/me/meetings/${scheduled.body.id}`, { token: root, body: { topic: 'Not mine' }, expect: 404 });
    await call('DELETE', `/me/meetings/${scheduled.body.id}`, { token: me, expect: 204 });
    await call('DELETE', `/me/meetings/${scheduled.body.id}`, { token: me, expect: 404 });
  });

  it('groups and the console’s IM routes: every route, with its replies and errors, as documented', async () => {
    // People signed up and befriended through the domains (their routes are covered above).
    const root = { accountId: 'root', sessionId: 'openapi-groups', role: 'admin' as const };
    const policy = (await server.accounts.settings()).signupPolicy;
    await server.accounts.admin.updateSettings(root, { signupPolicy: 'password' });
    const people = [];
    for (const [i, nickname] of ['Gao', 'Hu', 'Ivy', 'Jun'].entries()) {
      const { session } = await server.accounts.auth.signup({ phone: `+86139000007${i}0`, password: 'lilac-summit-64', nickname }, { address: `10.9.0.${i + 1}` });
      people.push({ id: session!.user.id, token: session!.accessToken, principal: (await server.accounts.guard.authenticate(session!.accessToken))! });
    }
    await server.accounts.admin.updateSettings(root, { signupPolicy: policy });
    const [gao, hu, ivy, jun] = people as [(typeof people)[number], (typeof people)[number], (typeof people)[number], (typeof people)[number]];
    for (const other of [hu, ivy, jun]) await server.im.contacts.answer(other.principal, (await server.im.contacts.request(gao.principal, other.id)).id, true);
    await server.im.contacts.answer(jun.principal, (await server.im.contacts.request(hu.principal, jun.id)).id, true);

    const made = await call('POST', '/groups', { token: gao.token, body: { name: '设计组', members: [hu.id, ivy.id], temporary: { expiresAt: Date.now() + 86_400_000 } }, expect: 201 });
    const g = made.body.id as string;
    expect(made.body).toMatchObject({ conversationId: g, members: 3, temporary: true, ownerId: gao.id, role: 'owner' });
    await call('POST', '/groups', { token: gao.token, body: { name: '设计组', members: [hu.id], temporary: true }, expect: 400 });
    expect((await call('GET', '/groups?q=sjz', { token: hu.token, expect: 200 })).body.map((x: { id: string }) => x.id)).toEqual([g]);
    await call('GET', `/groups?q=${'z'.repeat(61)}`, { token: hu.token, expect: 400 });
    expect((await call('GET', `/groups/${g}?q=hu`, { token: ivy.token, expect: 200 })).body.memberList.map((m: { userId: string }) => m.userId)).toEqual([hu.id]);
    await call('GET', `/groups/${g}`, { token: jun.token, expect: 404 });
    await call('PATCH', `/groups/${g}`, { token: gao.token, body: { name: '设计组 2', notice: '周三评审', joinApproval: true }, expect: 200 });
    await call('PATCH', `/groups/${g}`, { token: hu.token, body: { name: 'mine' }, expect: 403 });

    // Join approval: Hu (a member) invites Jun, Gao answers.
    expect((await call('POST', `/groups/${g}/members`, { token: hu.token, body: { userIds: [jun.id] }, expect: 200 })).body).toEqual({ added: [], requested: [jun.id] });
    await call('POST', `/groups/${g}/members`, { token: ivy.token, body: { userIds: [jun.id] }, expect: 400 });
    const requests = await call('GET', `/groups/${g}/join-requests`, { token: gao.token, expect: 200 });
    await call('GET', `/groups/${g}/join-requests`, { token: hu.token, expect: 403 });
    await call('POST', `/groups/${g}/join-requests/${requests.body[0].id}/decline`, { token: gao.token, expect: 204 });
    await call('POST', `/groups/${g}/join-requests/${requests.body[0].id}/approve`, { token: gao.token, expect: 404 });
    await call('POST', `/groups/${g}/members`, { token: hu.token, body: { userIds: [jun.id] }, expect: 200 });
    const again = await call('GET', `/groups/${g}/join-requests`, { token: gao.token, expect: 200 });
    await call('POST', `/groups/${g}/join-requests/${again.body[0].id}/approve`, { token: gao.token, expect: 204 });
    await call('POST', `/groups/${g}/join-requests/${again.body[0].id}/decline`, { token: gao.token, expect: 404 });

    await call('PUT', `/groups/${g}/admins/${hu.id}`, { token: gao.token, expect: 204 });
    await call('PUT', `/groups/${g}/admins/${ivy.id}`, { token: hu.token, expect: 403 });
    await call('PUT', `/groups/${g}/mutes/${ivy.id}`, { token: hu.token, body: { until: Date.now() + 600_000 }, expect: 204 });
    await call('PUT', `/groups/${g}/mutes/${ivy.id}`, { token: hu.token, body: { until: 5 }, expect: 400 });
    await call('POST', `/conversations/${g}/messages`, { token: ivy.token, body: { clientMsgId: 'ivy-muted-001', type: 'text', text: '?' }, expect: 403 });
    await call('DELETE', `/groups/${g}/mutes/${ivy.id}`, { token: hu.token, expect: 204 });
    await call('DELETE', `/groups/${g}/mutes/${ivy.id}`, { token: hu.token, expect: 404 });
    await call('DELETE', `/groups/${g}/admins/${hu.id}`, { token: gao.token, expect: 204 });
    await call('DELETE', `/groups/${g}/admins/${hu.id}`, { token: hu.token, expect: 403 });
    await call('DELETE', `/groups/${g}/members/${jun.id}`, { token: gao.token, expect: 204 });
    await call('DELETE', `/groups/${g}/members/${jun.id}`, { token: gao.token, expect: 404 });
    await call('POST', `/groups/${g}/leave`, { token: ivy.token, expect: 204 });
    await call('POST', `/groups/${g}/leave`, { token: ivy.token, expect: 404 });
    expect((await call('POST', `/groups/${g}/transfer`, { token: gao.token, body: { userId: hu.id }, expect: 200 })).body).toMatchObject({ ownerId: hu.id, role: 'member' });
    await call('POST', `/groups/${g}/transfer`, { token: gao.token, body: { userId: hu.id }, expect: 403 });
    await call('DELETE', `/groups/${g}`, { token: gao.token, expect: 403 });
    await call('DELETE', `/groups/${g}`, { token: hu.token, expect: 204 });
    await call('DELETE', `/groups/${g}`, { token: hu.token, expect: 410 });

    // The console: an elevated admin only.
    const made2 = await server.accounts.admin.createAdmin('+8613800000019');
    const admin = await call('POST', '/admin/setup', { auth: false, body: { token: made2.link.split('#')[1]!, password: 'granite-meadow-56', consolePassword: 'second-factor-910' }, expect: 201 });
    const elevated = (await call('POST', '/admin/elevate', { token: admin.body.accessToken, body: { consolePassword: 'second-factor-910' }, expect: 200 })).body.accessToken as string;
    await call('GET', '/admin/im/settings', { token: gao.token, expect: 404 });
    expect((await call('GET', '/admin/im/settings', { token: elevated, expect: 200 })).body).toEqual({ temporaryGroupIdleDays: 30 });
    expect((await call('PUT', '/admin/im/settings', { token: elevated, body: { temporaryGroupIdleDays: 7 }, expect: 200 })).body).toEqual({ temporaryGroupIdleDays: 7 });
    await call('PUT', '/admin/im/settings', { token: elevated, body: { temporaryGroupIdleDays: 0 }, expect: 400 });
    await call('PUT', '/admin/im/settings', { token: admin.body.accessToken, body: { temporaryGroupIdleDays: 9 }, expect: 403 });
    const temp = await call('POST', '/groups', { token: gao.token, body: { name: '临时', members: [jun.id], temporary: {} }, expect: 201 });
    const listed = await call('GET', '/admin/im/temporary-groups', { token: elevated, expect: 200 });
    expect(listed.body.map((x: { id: string }) => x.id)).toEqual([temp.body.id]);
    await call('GET', '/admin/im/temporary-groups', { token: jun.token, expect: 404 });
  });

  it('group avatars: set (the image itself as the body) and remove, served at the signed avatar paths, as documented', async () => {
    const root = { accountId: 'root', sessionId: 'openapi-group-avatars', role: 'admin' as const };
    const policy = (await server.accounts.settings()).signupPolicy;
    await server.accounts.admin.updateSettings(root, { signupPolicy: 'password' });
    const people = [];
    for (const [i, nickname] of ['Kit', 'Lu', 'Max'].entries()) {
      const { session } = await server.accounts.auth.signup({ phone: `+86139000006${i}5`, password: 'lilac-summit-64', nickname }, { address: `10.9.5.${i + 1}` });
      people.push({ id: session!.user.id, token: session!.accessToken, principal: (await server.accounts.guard.authenticate(session!.accessToken))! });
    }
    await server.accounts.admin.updateSettings(root, { signupPolicy: policy });
    const [kit, lu, max] = people as [(typeof people)[number], (typeof people)[number], (typeof people)[number]];
    for (const other of [lu, max]) await server.im.contacts.answer(other.principal, (await server.im.contacts.request(kit.principal, other.id)).id, true);
    const g = (await call('POST', '/groups', { token: kit.token, body: { name: 'Photo club', members: [lu.id] }, expect: 201 })).body.id as string;

    const png = await sharp({ create: { width: 50, height: 80, channels: 3, background: '#37a' } }).png().toBuffer();
    const set = await call('PUT', `/groups/${g}/avatar`, { token: kit.token, raw: png, type: 'image/png', expect: 200 });
    expect(set.body.avatar.large).toMatch(new RegExp(`^/api/v1/avatars/${g}/1/large\\.webp\\?sig=`));
    expect((await call('GET', `/groups/${g}`, { token: lu.token, expect: 200 })).body.avatar).toEqual(set.body.avatar);
    // Served without a token, as a person's avatar; a forged signature finds nothing.
    const image = await fetch(`${server.url}${set.body.avatar.large}`);
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/webp']);
    expect((await sharp(Buffer.from(await image.arrayBuffer())).metadata()).width).toBe(256);
    await call('GET', set.body.avatar.small.replace('/api/v1', ''), { auth: false, expect: 200 });
    await call('GET', set.body.avatar.small.replace('/api/v1', '').replace(/sig=.*/, 'sig=forged'), { auth: false, expect: 404 });

    await call('PUT', `/groups/${g}/avatar`, { token: kit.token, raw: 'not an image', type: 'image/png', expect: 400 });
    await call('PUT', `/groups/${g}/avatar`, { token: kit.token, raw: '{}', type: 'application/json', expect: 415 });
    await call('PUT', `/groups/${g}/avatar`, { token: kit.token, raw: Buffer.alloc(10 * 1024 * 1024 + 1), type: 'image/png', expect: 413 });
    await call('PUT', `/groups/${g}/avatar`, { token: lu.token, raw: png, type: 'image/png', expect: 403 });
    await call('PUT', `/groups/${g}/avatar`, { token: max.token, raw: png, type: 'image/png', expect: 404 });
    await call('PUT', `/groups/${g}/avatar`, { auth: false, raw: png, type: 'image/png', expect: 401 });
    await call('DELETE', `/groups/${g}/avatar`, { token: lu.token, expect: 403 });
    await call('DELETE', `/groups/${g}/avatar`, { token: max.token, expect: 404 });
    await call('DELETE', `/groups/${g}/avatar`, { auth: false, expect: 401 });
    expect((await call('DELETE', `/groups/${g}/avatar`, { token: kit.token, expect: 200 })).body.avatar).toBeNull();
    await call('GET', set.body.avatar.small.replace('/api/v1', ''), { auth: false, expect: 404 });
    await call('DELETE', `/groups/${g}`, { token: kit.token, expect: 204 });
    await call('PUT', `/groups/${g}/avatar`, { token: kit.token, raw: png, type: 'image/png', expect: 410 });
    await call('DELETE', `/groups/${g}/avatar`, { token: kit.token, expect: 410 });
  });

  it('message operations: recall, edit, delete for me, readers, typing and forward, as documented', async () => {
    // People signed up and befriended through the domains (their routes are covered above).
    const root = { accountId: 'root', sessionId: 'openapi-messages', role: 'admin' as const };
    const policy = (await server.accounts.settings()).signupPolicy;
    await server.accounts.admin.updateSettings(root, { signupPolicy: 'password' });
    const people = [];
    for (const [i, nickname] of ['Kai', 'Lu', 'Min'].entries()) {
      const { session } = await server.accounts.auth.signup({ phone: `+86139000008${i}0`, password: 'lilac-summit-64', nickname }, { address: `10.9.1.${i + 1}` });
      people.push({ id: session!.user.id, token: session!.accessToken, principal: (await server.accounts.guard.authenticate(session!.accessToken))! });
    }
    await server.accounts.admin.updateSettings(root, { signupPolicy: policy });
    const [kai, lu, min] = people as [(typeof people)[number], (typeof people)[number], (typeof people)[number]];
    await server.im.contacts.answer(lu.principal, (await server.im.contacts.request(kai.principal, lu.id)).id, true);
    await server.im.contacts.answer(min.principal, (await server.im.contacts.request(kai.principal, min.id)).id, true);
    const withLu = (await server.im.conversations.openDirect(kai.principal, lu.id)).id;
    const withMin = (await server.im.conversations.openDirect(kai.principal, min.id)).id;
    const send = async (token: string, conversationId: string, text: string, clientMsgId: string) =>
      (await call('POST', `/conversations/${conversationId}/messages`, { token, body: { clientMsgId, type: 'text', text }, expect: 201 })).body as { id: string; seq: number };
    const m1 = await send(kai.token, withLu, '明天开会', 'kai-ops-0001');
    const m2 = await send(lu.token, withLu, '好的', 'lu-ops-00001');
    const base = `/conversations/${withLu}/messages`;

    const edited = await call('PATCH', `${base}/${m1.id}`, { token: kai.token, body: { text: '明天下午开会' }, expect: 200 });
    expect(edited.body).toMatchObject({ text: '明天下午开会', editedAt: expect.any(Number) });
    await call('PATCH', `${base}/${m1.id}`, { token: lu.token, body: { text: 'not mine' }, expect: 403 });
    await call('PATCH', `${base}/${m1.id}`, { token: kai.token, body: { text: 7 }, expect: 400 });
    await call('PATCH', `${base}/msgnot-a-real-message`, { token: kai.token, body: { text: 'x' }, expect: 404 });
    await call('PATCH', `${base}/${m1.id}`, { token: min.token, body: { text: 'x' }, expect: 404 });
    await call('PATCH', `${base}/${m1.id}`, { token: kai.token, raw: 'text=x', type: 'text/plain', expect: 415 });
    await call('PATCH', `${base}/${m1.id}`, { token: kai.token, raw: JSON.stringify({ text: 'x'.repeat(40 * 1024) }), expect: 413 });

    const readers = await call('GET', `${base}/${m1.id}/readers`, { token: kai.token, expect: 200 });
    // Lu has answered since: sending reads everything before.
    expect(readers.body).toEqual({ readBy: [lu.id], unreadBy: [] });
    await call('GET', `${base}/${m1.id}/readers`, { token: lu.token, expect: 403 });
    await call('GET', `${base}/${m1.id}/readers`, { auth: false, expect: 401 });
    await call('GET', `${base}/bad/readers`, { token: kai.token, expect: 404 });

    await call('POST', `/conversations/${withLu}/typing`, { token: kai.token, expect: 204 });
    await call('POST', `/conversations/${withLu}/typing`, { token: min.token, expect: 404 });
    const group = await server.im.groups.create(kai.principal, { name: '三人', members: [lu.id, min.id] });
    await call('POST', `/conversations/${group.conversationId}/typing`, { token: kai.token, expect: 400 });
    await call('POST', `/conversations/${withLu}/typing`, { auth: false, expect: 401 });

    const forwarded = await call('POST', '/messages/forward', { token: kai.token, body: { clientMsgId: 'kai-fwd-0001', from: withLu, messageIds: [m1.id, m2.id], to: [withMin, group.conversationId], mode: 'merged' }, expect: 200 });
    expect(forwarded.body.results.map((r: { sent?: unknown[] }) => r.sent?.length)).toEqual([1, 1]);
    await call('POST', '/messages/forward', { token: kai.token, body: { clientMsgId: 'kai-fwd-0002', from: withLu, messageIds: [m1.id], to: Array(10).fill(withMin), mode: 'single' }, expect: 400 });
    await call('POST', '/messages/forward', { token: min.token, body: { clientMsgId: 'min-fwd-0001', from: withLu, messageIds: [m1.id], to: [withMin], mode: 'single' }, expect: 404 });
    await call('POST', '/messages/forward', { token: kai.token, raw: 'x', type: 'text/plain', expect: 415 });
    await call('POST', '/messages/forward', { token: kai.token, raw: JSON.stringify({ pad: 'x'.repeat(40 * 1024) }), expect: 413 });
    await call('POST', '/messages/forward', { auth: false, body: {}, expect: 401 });

    // Chat export answers with the document itself (its content is checked in server/src/im/export.test.ts).
    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
    expect((await call('POST', `/conversations/${withLu}/export`, { token: kai.token, body: { ...range, format: 'md' }, expect: 200 })).body).toContain('明天下午开会');
    await call('POST', `/conversations/${withLu}/export`, { token: lu.token, body: { ...range, format: 'docx' }, expect: 200 });
    await call('POST', `/conversations/${withLu}/export`, { token: min.token, body: { ...range, format: 'md' }, expect: 404 });
    await call('POST', `/conversations/${withLu}/export`, { token: kai.token, body: { ...range, format: 'html' }, expect: 400 });
    await call('POST', `/conversations/${withLu}/export`, { auth: false, body: { ...range, format: 'md' }, expect: 401 });
    await call('POST', `/conversations/${withLu}/export`, { token: kai.token, raw: 'x', type: 'text/plain', expect: 415 });
    await server.im.groups.update(kai.principal, group.id, { exportAdminsOnly: true });
    await call('POST', `/conversations/${group.conversationId}/export`, { token: lu.token, body: { ...range, format: 'md' }, expect: 403 });

    await call('DELETE', `${base}/${m2.id}`, { token: kai.token, expect: 204 });
    expect((await call('GET', `${base}?afterSeq=0`, { token: kai.token, expect: 200 })).body.map((m: { id: string }) => m.id)).toEqual([m1.id]);
    await call('DELETE', `${base}/${m2.id}`, { token: min.token, expect: 404 });
    await call('DELETE', `${base}/msgnot-a-real-message`, { token: kai.token, expect: 404 });
    await call('DELETE', `${base}/${m2.id}`, { auth: false, expect: 401 });

    const recalled = await call('POST', `${base}/${m1.id}/recall`, { token: kai.token, expect: 200 });
    expect(recalled.body).toMatchObject({ id: m1.id, recalled: { by: kai.id } });
    expect(recalled.body.text).toBeUndefined();
    await call('PATCH', `${base}/${m1.id}`, { token: kai.token, body: { text: 'back' }, expect: 400 });
    await call('POST', `${base}/${m2.id}/recall`, { token: kai.token, expect: 403 });
    await call('POST', `${base}/${m2.id}/recall`, { token: min.token, expect: 404 });
    await call('POST', `${base}/${m2.id}/recall`, { auth: false, expect: 401 });
    // RECALL_WINDOW_PASSED needs a clock that moves: im/src/domain/messageOps.test.ts and server/src/im/messageOps.test.ts show it.
  });

  it('sync, conversation settings, drafts, IM settings and presence: every route, as documented', async () => {
    // People signed up and befriended through the domains (their routes are covered above).
    const root = { accountId: 'root', sessionId: 'openapi-sync', role: 'admin' as const };
    const policy = (await server.accounts.settings()).signupPolicy;
    await server.accounts.admin.updateSettings(root, { signupPolicy: 'password' });
    const people = [];
    for (const [i, nickname] of ['Nan', 'Ou', 'Pei'].entries()) {
      const { session } = await server.accounts.auth.signup({ phone: `+86139000009${i}0`, password: 'lilac-summit-64', nickname }, { address: `10.9.2.${i + 1}` });
      people.push({ id: session!.user.id, token: session!.accessToken, principal: (await server.accounts.guard.authenticate(session!.accessToken))! });
    }
    await server.accounts.admin.updateSettings(root, { signupPolicy: policy });
    const [nan, ou, pei] = people as [(typeof people)[number], (typeof people)[number], (typeof people)[number]];
    await server.im.contacts.answer(ou.principal, (await server.im.contacts.request(nan.principal, ou.id)).id, true);
    const c = (await server.im.conversations.openDirect(nan.principal, ou.id)).id;

    const state = await call('GET', '/sync', { token: nan.token, expect: 200 });
    await call('POST', `/conversations/${c}/messages`, { token: ou.token, body: { clientMsgId: 'ou-sync-0001', type: 'text', text: '同步' }, expect: 201 });
    const changed = await call('GET', `/sync?since=${state.body.next}&timeout=5`, { token: nan.token, expect: 200 });
    expect(changed.body.messages.map((m: { text: string }) => m.text)).toEqual(['同步']);
    await call('GET', '/sync?timeout=31', { token: nan.token, expect: 400 });
    await call('GET', `/sync?since=${state.body.next}`, { auth: false, expect: 401 });
    await call('GET', `/sync?since=${changed.body.next}&timeout=0`, { token: pei.token, expect: 410 });

    await call('PATCH', `/conversations/${c}/settings`, { token: nan.token, body: { pinned: true, muted: true }, expect: 200 });
    await call('PATCH', `/conversations/${c}/settings`, { token: nan.token, body: { pinned: 'yes' }, expect: 400 });
    await call('PATCH', `/conversations/${c}/settings`, { token: pei.token, body: { pinned: true }, expect: 404 });
    await call('GET', `/conversations/${c}/settings`, { token: nan.token, expect: 200 });
    await call('GET', `/conversations/${c}/settings`, { token: pei.token, expect: 404 });
    await call('PUT', `/conversations/${c}/draft`, { token: nan.token, body: { text: '还没写完' }, expect: 200 });
    await call('PUT', `/conversations/${c}/draft`, { token: nan.token, body: { text: '长'.repeat(700) }, expect: 400 });
    await call('PUT', `/conversations/${c}/draft`, { token: nan.token, raw: 'text', type: 'text/plain', expect: 415 });
    expect((await call('GET', '/conversations?hidden=1', { token: nan.token, expect: 200 })).body[0]).toMatchObject({ id: c, pinned: true, muted: true, draft: '还没写完' });
    await call('GET', '/conversations?hidden=yes', { token: nan.token, expect: 400 });

    await call('GET', '/me/im-settings', { token: pei.token, expect: 200 });
    await call('GET', '/me/im-settings', { auth: false, expect: 401 });
    await call('PATCH', '/me/im-settings', { token: pei.token, body: { acceptFromNonFriends: true, hideLastSeen: true }, expect: 200 });
    await call('PATCH', '/me/im-settings', { token: pei.token, body: { acceptFromNonFriends: 1 }, expect: 400 });
    await call('POST', '/conversations', { token: nan.token, body: { userId: pei.id }, expect: 200 });

    expect((await call('GET', `/presence?ids=${ou.id},${pei.id}`, { token: nan.token, expect: 200 })).body).toEqual([{ userId: ou.id, online: false, lastSeenAt: null }]);
    await call('GET', '/presence?ids=', { token: nan.token, expect: 400 });
  });

  it('push subscriptions, the VAPID key and notification settings: every route, as documented', async () => {
    const root = { accountId: 'root', sessionId: 'openapi-push', role: 'admin' as const };
    const policy = (await server.accounts.settings()).signupPolicy;
    await server.accounts.admin.updateSettings(root, { signupPolicy: 'password' });
    const tokens: string[] = [];
    for (const [i, nickname] of ['Qiu', 'Ren'].entries()) {
      const { session } = await server.accounts.auth.signup({ phone: `+8613900077${i}55`, password: 'lilac-summit-64', nickname }, { address: `10.9.3.${i + 1}` });
      tokens.push(session!.accessToken);
    }
    await server.accounts.admin.updateSettings(root, { signupPolicy: policy });
    const [qiu, ren] = tokens as [string, string];
    await call('GET', '/push/vapid-key', { token: qiu, expect: 200 });
    await call('GET', '/push/vapid-key', { auth: false, expect: 401 });
    const p256dh = crypto.createECDH('prime256v1').generateKeys().toString('base64url');
    const sub = { kind: 'webpush', endpoint: 'https://push.example.internal/sub/openapi', keys: { p256dh, auth: crypto.randomBytes(16).toString('base64url') } };
    const made = await call('POST', '/push/subscriptions', { token: qiu, body: sub, expect: 201 });
    await call('POST', '/push/subscriptions', { token: qiu, body: { ...sub, endpoint: 'ftp://x' }, expect: 400 });
    await call('POST', '/push/subscriptions', { token: qiu, raw: 'kind=webpush', type: 'text/plain', expect: 415 });
    await call('POST', '/push/subscriptions', { token: qiu, raw: JSON.stringify({ ...sub, endpoint: 'x'.repeat(20_000) }), expect: 413 });
    await call('POST', '/push/subscriptions', { auth: false, body: sub, expect: 401 });
    for (let i = 1; i < 20; i++) await call('POST', '/push/subscriptions', { token: qiu, body: { kind: 'unifiedpush', endpoint: `http://10.0.0.9/up${i}` }, expect: 201 });
    await call('POST', '/push/subscriptions', { token: qiu, body: { kind: 'unifiedpush', endpoint: 'http://10.0.0.9/up-too-many' }, expect: 409 });
    expect((await call('GET', '/push/subscriptions', { token: qiu, expect: 200 })).body[0]).toMatchObject({ id: made.body.id, endpointHost: 'push.example.internal' });
    await call('GET', '/push/subscriptions', { auth: false, expect: 401 });
    await call('DELETE', `/push/subscriptions/${made.body.id}`, { token: ren, expect: 404 });
    await call('DELETE', `/push/subscriptions/${made.body.id}`, { token: qiu, expect: 204 });
    await call('DELETE', `/push/subscriptions/${made.body.id}`, { auth: false, expect: 401 });
    await call('GET', '/me/notifications', { token: qiu, expect: 200 });
    await call('GET', '/me/notifications', { auth: false, expect: 401 });
    await call('PUT', '/me/notifications', { token: qiu, body: { previews: true, dnd: { start: '22:00', end: '07:00', timeZone: 'Asia/Shanghai' } }, expect: 200 });
    await call('PUT', '/me/notifications', { token: qiu, body: { previews: 'yes', dnd: null }, expect: 400 });
    await call('PUT', '/me/notifications', { token: qiu, raw: 'previews', type: 'text/plain', expect: 415 });
    await call('PUT', '/me/notifications', { token: qiu, raw: JSON.stringify({ previews: true, dnd: null, pad: 'x'.repeat(20_000) }), expect: 413 });
  });

  it('files: tus uploads, downloads, signed links and the settings, as documented', async () => {
    const root = { accountId: 'root', sessionId: 'openapi-files', role: 'admin' as const };
    const policy = (await server.accounts.settings()).signupPolicy;
    await server.accounts.admin.updateSettings(root, { signupPolicy: 'password' });
    const people = [];
    for (const [i, nickname] of ['Sol', 'Tao', 'Uma'].entries()) {
      const { session } = await server.accounts.auth.signup({ phone: `+8613900055${i}66`, password: 'lilac-summit-64', nickname }, { address: `10.9.6.${i + 1}` });
      people.push({ id: session!.user.id, token: session!.accessToken, principal: (await server.accounts.guard.authenticate(session!.accessToken))! });
    }
    await server.accounts.admin.updateSettings(root, { signupPolicy: policy });
    const [sol, tao, uma] = people as [(typeof people)[number], (typeof people)[number], (typeof people)[number]];
    await server.im.contacts.answer(tao.principal, (await server.im.contacts.request(sol.principal, tao.id)).id, true);
    const c = (await server.im.conversations.openDirect(sol.principal, tao.id)).id;
    const metadata = (values: Record<string, string>) => Object.entries(values).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
    const tus = (extra: Record<string, string> = {}) => ({ 'tus-resumable': '1.0.0', ...extra });
    const idOf = (reply: { headers: Headers }) => reply.headers.get('location')!.split('/').pop()!;

    // Creation, HEAD, PATCH (a conflict, then the rest), a finished upload.
    const bytes = crypto.randomBytes(3000);
    const made = await call('POST', '/uploads', { token: sol.token, headers: tus({ 'upload-length': '3000', 'upload-metadata': metadata({ filename: 'notes.bin', conversationId: c }) }), expect: 201 });
    const id = idOf(made);
    expect(made.headers.get('location')).toBe(`/api/v1/uploads/${id}`);
    await call('POST', '/uploads', { auth: false, headers: tus({ 'upload-length': '3', 'upload-metadata': metadata({ filename: 'x.bin' }) }), expect: 401 });
    await call('POST', '/uploads', { token: sol.token, headers: tus({ 'upload-length': '3', 'upload-metadata': metadata({ conversationId: c }) }), expect: 400 });
    await call('POST', '/uploads', { token: uma.token, headers: tus({ 'upload-length': '3', 'upload-metadata': metadata({ filename: 'x.bin', conversationId: c }) }), expect: 404 });
    await call('POST', '/uploads', { token: sol.token, headers: tus({ 'upload-length': String(2 ** 40), 'upload-metadata': metadata({ filename: 'huge.bin' }) }), expect: 413 });
    await call('POST', '/uploads', { token: sol.token, headers: { 'upload-length': '3', 'upload-metadata': metadata({ filename: 'x.bin' }) }, expect: 412 });
    expect((await call('HEAD', `/uploads/${id}`, { token: sol.token, headers: tus(), expect: 200 })).headers.get('upload-offset')).toBe('0');
    await call('HEAD', `/uploads/${id}`, { token: tao.token, headers: tus(), expect: 404 });
    const octets = 'application/offset+octet-stream';
    await call('PATCH', `/uploads/${id}`, { token: sol.token, headers: tus({ 'upload-offset': '7' }), raw: bytes.subarray(7), type: octets, expect: 409 });
    await call('PATCH', `/uploads/${id}`, { token: tao.token, headers: tus({ 'upload-offset': '0' }), raw: bytes, type: octets, expect: 404 });
    expect((await call('PATCH', `/uploads/${id}`, { token: sol.token, headers: tus({ 'upload-offset': '0' }), raw: bytes, type: octets, expect: 204 })).headers.get('upload-offset')).toBe('3000');
    await call('PATCH', `/uploads/${id}`, { token: sol.token, headers: tus({ 'upload-offset': '3000' }), raw: Buffer.from('more'), type: octets, expect: 400 });
    // Termination: an unfinished upload, not a finished one.
    const open = idOf(await call('POST', '/uploads', { token: sol.token, headers: tus({ 'upload-length': '10', 'upload-metadata': metadata({ filename: 'later.bin' }) }), expect: 201 }));
    await call('DELETE', `/uploads/${open}`, { token: tao.token, headers: tus(), expect: 404 });
    await call('DELETE', `/uploads/${open}`, { token: sol.token, headers: tus(), expect: 204 });
    await call('DELETE', `/uploads/${id}`, { token: sol.token, headers: tus(), expect: 400 });
    // An image in one request (creation-with-upload), processed by the real analyzer: it has a thumbnail.
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#a37' } }).png().toBuffer();
    const image = idOf(await call('POST', '/uploads', { token: sol.token, headers: tus({ 'upload-length': String(png.length), 'upload-metadata': metadata({ filename: 'dot.png', conversationId: c }) }), raw: png, type: octets, expect: 201 }));

    // Downloads: the owner now, Tao once a message in his conversation carries the file; Uma never.
    expect((await call('GET', `/files/${id}`, { token: sol.token, expect: 200 })).headers.get('content-disposition')).toMatch(/^attachment; /);
    await call('GET', `/files/${id}`, { token: tao.token, expect: 404 });
    await call('POST', `/conversations/${c}/messages`, { token: sol.token, body: { clientMsgId: 'sol-file-0001', type: 'file', fileId: id }, expect: 201 });
    await call('POST', `/conversations/${c}/messages`, { token: sol.token, body: { clientMsgId: 'sol-image-001', type: 'image', fileId: image }, expect: 201 });
    expect((await call('GET', `/files/${id}`, { token: tao.token, headers: { range: 'bytes=10-19' }, expect: 206 })).headers.get('content-range')).toBe('bytes 10-19/3000');
    expect((await call('GET', `/files/${id}`, { token: tao.token, headers: { range: 'bytes=5000-' }, expect: 416 })).headers.get('content-range')).toBe('bytes */3000');
    await call('GET', `/files/${id}`, { token: uma.token, expect: 404 });
    await call('GET', `/files/${id}`, { auth: false, expect: 401 });
    await call('GET', `/files/${image}/thumbnail`, { token: tao.token, expect: 200 });
    await call('GET', `/files/${id}/thumbnail`, { token: tao.token, expect: 404 });
    await call('GET', `/files/${image}/thumbnail`, { token: uma.token, expect: 404 });
    const links = await call('POST', '/files/links', { token: tao.token, body: { fileIds: [id, image] }, expect: 200 });
    expect(links.body.links.map((l: { fileId: string }) => l.fileId)).toEqual([id, image]);
    await call('GET', links.body.links[1].thumbnailUrl.replace('/api/v1', ''), { auth: false, expect: 200 });
    await call('GET', links.body.links[0].url.replace('/api/v1', ''), { auth: false, expect: 200 });
    await call('GET', `/files/${id}?sig=forged`, { auth: false, expect: 401 });
    expect((await call('POST', '/files/links', { token: uma.token, body: { fileIds: [id, image] }, expect: 200 })).body).toEqual({ links: [] });
    await call('POST', '/files/links', { token: tao.token, body: { fileIds: [] }, expect: 400 });
    await call('POST', '/files/links', { auth: false, body: { fileIds: [id] }, expect: 401 });
    await call('POST', '/files/links', { token: tao.token, raw: 'fileIds', type: 'text/plain', expect: 415 });

    // A person's cache period.
    expect((await call('GET', '/me/files/settings', { token: tao.token, expect: 200 })).body).toEqual({ cacheDays: 7 });
    await call('GET', '/me/files/settings', { auth: false, expect: 401 });
    expect((await call('PUT', '/me/files/settings', { token: tao.token, body: { cacheDays: 30 }, expect: 200 })).body).toEqual({ cacheDays: 30 });
    await call('PUT', '/me/files/settings', { token: tao.token, body: { cacheDays: 3 }, expect: 400 });

    // The console's file settings: an elevated admin only.
    const made2 = await server.accounts.admin.createAdmin('+8613800000029');
    const admin = await call('POST', '/admin/setup', { auth: false, body: { token: made2.link.split('#')[1]!, password: 'granite-meadow-57', consolePassword: 'second-factor-911' }, expect: 201 });
    const elevated = (await call('POST', '/admin/elevate', { token: admin.body.accessToken, body: { consolePassword: 'second-factor-911' }, expect: 200 })).body.accessToken as string;
    const settings = (await call('GET', '/admin/files/settings', { token: elevated, expect: 200 })).body;
    expect(settings).toMatchObject({ retentionDays: null, blockedTypes: [] });
    await call('GET', '/admin/files/settings', { token: tao.token, expect: 404 });
    await call('GET', '/admin/files/settings', { token: admin.body.accessToken, expect: 403 });
    expect((await call('PUT', '/admin/files/settings', { token: elevated, body: { blockedTypes: ['exe'] }, expect: 200 })).body.blockedTypes).toEqual(['exe']);
    await call('POST', '/uploads', { token: sol.token, headers: tus({ 'upload-length': '3', 'upload-metadata': metadata({ filename: 'setup.exe' }) }), expect: 415 });
    await call('PUT', '/admin/files/settings', { token: elevated, body: { maxUploadBytes: settings.maxUploadBytes + 1 }, expect: 400 });
    await call('PUT', '/admin/files/settings', { token: admin.body.accessToken, body: { blockedTypes: [] }, expect: 403 });
    await call('PUT', '/admin/files/settings', { token: elevated, body: { blockedTypes: [] }, expect: 200 });
  });

  it('announcements: sent to everyone connected, as documented', async () => {
    const sent = await call('POST', '/announcements', { body: { text: 'Maintenance at 22:00' }, expect: 202 });
    expect(sent.body).toMatchObject({ text: 'Maintenance at 22:00' });
    await call('POST', '/announcements', { body: { text: '' }, expect: 400 });
    await call('POST', '/announcements', { body: { text: 'x' }, auth: false, expect: 401 });
    await call('POST', '/announcements', { raw: 'text=x', type: 'text/plain', expect: 415 });
  });

  it('moments: posts, views, likes, comments, notices, reports, as documented', async () => {
    const root = { accountId: 'root', sessionId: 'openapi-moments', role: 'admin' as const };
    const policy = (await server.accounts.settings()).signupPolicy;
    await server.accounts.admin.updateSettings(root, { signupPolicy: 'password' });
    const people = [];
    for (const [i, nickname] of ['Vic', 'Wen', 'Xia'].entries()) {
      const { session } = await server.accounts.auth.signup({ phone: `+8613900066${i}77`, password: 'lilac-summit-64', nickname }, { address: `10.9.7.${i + 1}` });
      people.push({ id: session!.user.id, token: session!.accessToken, principal: (await server.accounts.guard.authenticate(session!.accessToken))! });
    }
    await server.accounts.admin.updateSettings(root, { signupPolicy: policy });
    const [vic, wen, xia] = people as [(typeof people)[number], (typeof people)[number], (typeof people)[number]];
    // Vic and Wen are friends; Xia knows neither.
    await server.im.contacts.answer(wen.principal, (await server.im.contacts.request(vic.principal, wen.id)).id, true);
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#2a6' } }).png().toBuffer();
    const image = (await server.files.store(vic.id, 'sky.png', png, { mime: 'image/png' })).id;

    const post = await call('POST', '/moments', { token: vic.token, body: { text: 'Spring drill done', fileIds: [image], location: 'North field', visibility: 'friends' }, expect: 201 });
    const id = post.body.id as string;
    await call('POST', '/moments', { token: vic.token, body: { visibility: 'friends' }, expect: 400 });
    await call('POST', '/moments', { token: wen.token, body: { fileIds: [image], visibility: 'all' }, expect: 400 });
    await call('POST', '/moments', { token: vic.token, raw: 'text=x', type: 'text/plain', expect: 415 });
    await call('POST', '/moments', { token: vic.token, raw: JSON.stringify({ text: 'x', visibility: 'all', pad: 'x'.repeat(40_000) }), expect: 413 });
    await call('POST', '/moments', { auth: false, body: { text: 'x', visibility: 'all' }, expect: 401 });

    expect((await call('GET', '/moments?view=friends', { token: wen.token, expect: 200 })).body.items.map((m: { id: string }) => m.id)).toContain(id);
    expect((await call('GET', `/moments?userId=${vic.id}`, { token: xia.token, expect: 200 })).body.items).toEqual([]);
    expect((await call('GET', '/moments?q=drill', { token: wen.token, expect: 200 })).body.items.map((m: { id: string }) => m.id)).toEqual([id]);
    await call('GET', '/moments?view=everyone', { token: wen.token, expect: 400 });
    await call('GET', '/moments', { auth: false, expect: 401 });
    expect((await call('GET', `/moments/${id}`, { token: vic.token, expect: 200 })).body).toMatchObject({ id, visibility: 'friends' });
    await call('GET', `/moments/${id}`, { token: xia.token, expect: 404 });
    await call('GET', '/moments/not-a-post', { token: xia.token, expect: 404 });

    await call('POST', `/moments/${id}/likes`, { token: wen.token, expect: 204 });
    await call('POST', `/moments/${id}/likes`, { token: xia.token, expect: 404 });
    await call('DELETE', `/moments/${id}/likes`, { token: wen.token, expect: 204 });
    await call('DELETE', `/moments/${id}/likes`, { token: xia.token, expect: 404 });
    await call('POST', `/moments/${id}/likes`, { token: wen.token, expect: 204 });
    const comment = await call('POST', `/moments/${id}/comments`, { token: wen.token, body: { text: 'Well done' }, expect: 201 });
    const commentId = comment.body.id as string;
    await call('POST', `/moments/${id}/comments`, { token: wen.token, body: { text: '' }, expect: 400 });
    await call('POST', `/moments/${id}/comments`, { token: vic.token, body: { text: 'Thanks', replyTo: commentId }, expect: 201 });
    expect((await call('GET', `/moments/${id}/comments`, { token: vic.token, expect: 200 })).body.items).toHaveLength(2);
    await call('GET', `/moments/${id}/comments`, { token: xia.token, expect: 404 });
    await call('GET', `/moments/${id}/comments/${commentId}`, { token: wen.token, expect: 200 });
    await call('GET', `/moments/${id}/comments/${commentId}`, { token: xia.token, expect: 404 });

    const badge = await call('GET', '/moments/badge', { token: vic.token, expect: 200 });
    expect(badge.body.unreadNotices).toBeGreaterThanOrEqual(2);
    await call('GET', '/moments/badge', { auth: false, expect: 401 });
    await call('POST', '/moments/seen', { token: wen.token, expect: 204 });
    await call('POST', '/moments/seen', { auth: false, expect: 401 });
    expect((await call('GET', '/moments/notices', { token: vic.token, expect: 200 })).body.items.length).toBeGreaterThanOrEqual(2);
    await call('GET', '/moments/notices?limit=0', { token: vic.token, expect: 400 });
    await call('POST', '/moments/notices/read', { token: vic.token, expect: 204 });
    await call('POST', '/moments/notices/read', { auth: false, expect: 401 });

    // Everyone may see it now, and report it; the console sees the report.
    expect((await call('PATCH', `/moments/${id}`, { token: vic.token, body: { visibility: 'all' }, expect: 200 })).body.visibility).toBe('all');
    await call('PATCH', `/moments/${id}`, { token: wen.token, body: { visibility: 'private' }, expect: 403 });
    await call('PATCH', `/moments/mo${'x'.repeat(22)}`, { token: vic.token, body: { visibility: 'private' }, expect: 404 });
    await call('PATCH', `/moments/${id}`, { token: vic.token, body: { visibility: 'public' }, expect: 400 });
    await call('POST', `/moments/${id}/reports`, { token: xia.token, body: { reason: 'Shows the training ground' }, expect: 201 });
    await call('POST', `/moments/${id}/reports`, { token: xia.token, body: { reason: '' }, expect: 400 });
    const made = await server.accounts.admin.createAdmin('+8613800000039');
    const admin = await call('POST', '/admin/setup', { auth: false, body: { token: made.link.split('#')[1]!, password: 'granite-meadow-58', consolePassword: 'second-factor-912' }, expect: 201 });
    const elevated = (await call('POST', '/admin/elevate', { token: admin.body.accessToken, body: { consolePassword: 'second-factor-912' }, expect: 200 })).body.accessToken as string;
    const reports = await call('GET', '/moments/reports', { token: elevated, expect: 200 });
    const report = reports.body.items.find((r: { id: string; moment: { id: string } | null }) => r.moment?.id === id) ?? reports.body.items[0];
    await call('GET', '/moments/reports', { token: admin.body.accessToken, expect: 403 });
    await call('GET', '/moments/reports', { token: xia.token, expect: 404 });
    await call('POST', `/moments/reports/${report.id}/resolve`, { token: elevated, body: { action: 'archive' }, expect: 400 });
    await call('POST', `/moments/reports/${report.id}/resolve`, { token: elevated, body: { action: 'dismiss' }, expect: 200 });

    await call('DELETE', `/moments/${id}/comments/${commentId}`, { token: xia.token, expect: 404 });
    await call('DELETE', `/moments/${id}/comments/${commentId}`, { token: vic.token, expect: 204 });
    await call('DELETE', `/moments/${id}`, { token: wen.token, expect: 403 });
    await call('DELETE', `/moments/mo${'x'.repeat(22)}`, { token: vic.token, expect: 404 });
    await call('DELETE', `/moments/${id}`, { token: vic.token, expect: 204 });
    await call('GET', `/moments/${id}`, { token: vic.token, expect: 404 });
  });

  it('service accounts: accounts, articles, subscriptions, comments, notices, as documented', async () => {
    const root = { accountId: 'root', sessionId: 'openapi-channels', role: 'admin' as const };
    const policy = (await server.accounts.settings()).signupPolicy;
    await server.accounts.admin.updateSettings(root, { signupPolicy: 'password' });
    const people = [];
    for (const [i, nickname] of ['Yan', 'Zed', 'Ada'].entries()) {
      const { session } = await server.accounts.auth.signup({ phone: `+8613900088${i}44`, password: 'lilac-summit-64', nickname }, { address: `10.9.8.${i + 1}` });
      people.push({ id: session!.user.id, token: session!.accessToken });
    }
    await server.accounts.admin.updateSettings(root, { signupPolicy: policy });
    // Yan edits; Zed and Ada read (and comment).
    const [yan, zed, ada] = people as [(typeof people)[number], (typeof people)[number], (typeof people)[number]];
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c84' } }).png().toBuffer();
    const image = (await server.files.store(yan.id, 'menu.png', png, { mime: 'image/png' })).id;
    const doc = (text: string, ...blocks: unknown[]) => ({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text }] }, ...blocks] });
    // Orders compared below follow millisecond timestamps: the next write waits until the clock has moved on.
    const tick = async () => {
      const at = Date.now();
      await waitUntil(() => Date.now() > at, 1_000, 'the clock to move on', 1);
    };
    const ids = (items: { id: string }[]) => items.map((i) => i.id);
    const nobody = { account: 'saAAAAAAAAAAAAAAAAAAAAAA', article: 'arAAAAAAAAAAAAAAAAAAAAAA', comment: 'cmAAAAAAAAAAAAAAAAAAAAAA' };

    // The console: an elevated admin keeps the keyword list and makes accounts; the API token makes them too.
    const made = await server.accounts.admin.createAdmin('+8613800000049');
    const admin = await call('POST', '/admin/setup', { auth: false, body: { token: made.link.split('#')[1]!, password: 'granite-meadow-59', consolePassword: 'second-factor-913' }, expect: 201 });
    const lapsed = admin.body.accessToken as string;
    const elevated = (await call('POST', '/admin/elevate', { token: lapsed, body: { consolePassword: 'second-factor-913' }, expect: 200 })).body.accessToken as string;
    expect((await call('GET', '/admin/channels/settings', { token: elevated, expect: 200 })).body).toEqual({ keywords: [] });
    await call('GET', '/admin/channels/settings', { token: lapsed, expect: 403 });
    await call('GET', '/admin/channels/settings', { token: zed.token, expect: 404 });
    expect((await call('PUT', '/admin/channels/settings', { token: elevated, body: { keywords: ['contraband'] }, expect: 200 })).body).toEqual({ keywords: ['contraband'] });
    await call('PUT', '/admin/channels/settings', { token: elevated, body: { keywords: [''] }, expect: 400 });
    await call('PUT', '/admin/channels/settings', { token: lapsed, body: { keywords: [] }, expect: 403 });

    const created = await call('POST', '/service-accounts', { token: elevated, body: { name: 'Canteen', description: 'Menus of the week', editors: [yan.id] }, expect: 201 });
    const sa = created.body.id as string;
    expect(sa).toMatch(/^sa/);
    const sb = (await call('POST', '/service-accounts', { body: { name: 'Bulletin', kind: 'service' }, expect: 201 })).body.id as string;
    await call('POST', '/service-accounts', { body: { name: 'canteen' }, expect: 409 });
    expect((await call('POST', '/service-accounts', { token: lapsed, body: { name: 'Gym' }, expect: 403 })).body.error.code).toBe('SECOND_FACTOR_REQUIRED');
    expect((await call('POST', '/service-accounts', { token: yan.token, body: { name: 'Gym' }, expect: 403 })).body.error.code).toBe('FORBIDDEN');
    await call('POST', '/service-accounts', { token: elevated, body: { name: 'Gym', dailyCap: 9 }, expect: 400 });
    await call('POST', '/service-accounts', { auth: false, body: { name: 'Gym' }, expect: 401 });
    await call('POST', '/service-accounts', { raw: 'name=Gym', type: 'text/plain', expect: 415 });
    await call('POST', '/service-accounts', { raw: JSON.stringify({ name: 'x'.repeat(20_000) }), expect: 413 });

    expect(ids((await call('GET', '/service-accounts?q=canteen', { token: zed.token, expect: 200 })).body.accounts)).toEqual([sa]);
    expect(ids((await call('GET', '/service-accounts', { token: zed.token, expect: 200 })).body.accounts)).toEqual([sb, sa]);
    await call('GET', `/service-accounts?q=${'x'.repeat(100)}`, { token: zed.token, expect: 400 });
    await call('GET', '/service-accounts', { auth: false, expect: 401 });
    expect((await call('GET', `/service-accounts/${sa}`, { token: zed.token, expect: 200 })).body).toMatchObject({ id: sa, name: 'Canteen', subscribed: false, subscribers: 0, editor: false });
    expect((await call('GET', `/service-accounts/${sa}`, { token: yan.token, expect: 200 })).body).toMatchObject({ editor: true, editors: [{ id: yan.id, nickname: 'Yan' }] });
    await call('GET', `/service-accounts/${nobody.account}`, { token: zed.token, expect: 404 });
    await call('GET', '/service-accounts/not-an-account', { token: zed.token, expect: 404 });
    expect((await call('PATCH', `/service-accounts/${sa}`, { token: elevated, body: { dailyCap: 20, description: 'Menus, every week' }, expect: 200 })).body).toMatchObject({ id: sa, dailyCap: 20, description: 'Menus, every week' });
    // The API token may give the account an editor's image as its avatar.
    expect((await call('PATCH', `/service-accounts/${sa}`, { body: { avatarFileId: image }, expect: 200 })).body.avatarFileId).toBe(image);
    await call('PATCH', `/service-accounts/${sa}`, { token: yan.token, body: { description: 'mine' }, expect: 403 });
    await call('PATCH', `/service-accounts/${sa}`, { token: elevated, body: {}, expect: 400 });
    await call('PATCH', `/service-accounts/${sb}`, { body: { name: 'Canteen' }, expect: 409 });
    await call('PATCH', `/service-accounts/${nobody.account}`, { body: { description: 'x' }, expect: 404 });
    const editors = await call('PUT', `/service-accounts/${sb}/editors`, { body: { editors: [yan.id, ada.id] }, expect: 200 });
    expect(editors.body.editors.map((e: { id: string; nickname: string }) => [e.id, e.nickname])).toEqual([[yan.id, 'Yan'], [ada.id, 'Ada']]);
    await call('PUT', `/service-accounts/${sb}/editors`, { body: { editors: ['u-nobody-here'] }, expect: 400 });
    await call('PUT', `/service-accounts/${sb}/editors`, { token: zed.token, body: { editors: [] }, expect: 403 });
    await call('PUT', `/service-accounts/${nobody.account}/editors`, { body: { editors: [] }, expect: 404 });

    // Subscriptions: Zed follows both accounts; nothing new yet.
    await call('POST', `/service-accounts/${sa}/subscription`, { token: zed.token, expect: 204 });
    await call('POST', `/service-accounts/${sa}/subscription`, { token: zed.token, expect: 204 });
    await call('POST', `/service-accounts/${sb}/subscription`, { token: zed.token, expect: 204 });
    expect((await call('POST', `/service-accounts/${sa}/subscription`, { expect: 403 })).body.error.code).toBe('FORBIDDEN');
    await call('POST', `/service-accounts/${nobody.account}/subscription`, { token: zed.token, expect: 404 });
    await call('POST', `/service-accounts/${sa}/subscription`, { auth: false, expect: 401 });
    expect((await call('GET', `/service-accounts/${sa}`, { token: ada.token, expect: 200 })).body).toMatchObject({ subscribed: false, subscribers: 1 });
    expect((await call('GET', '/service-accounts/summary', { token: zed.token, expect: 200 })).body).toEqual({ dot: false, latest: null });
    await call('GET', '/service-accounts/summary', { expect: 403 });
    await call('GET', '/service-accounts/summary', { auth: false, expect: 401 });

    // Articles: Yan publishes to the canteen (with the image), the API token to the bulletin, comments off.
    const content = doc('Noodles on Monday', { type: 'image', attrs: { fileId: image, alt: 'the menu' } });
    const a1 = (await call('POST', `/service-accounts/${sa}/articles`, { token: yan.token, body: { title: 'Week 12', content }, expect: 201 })).body.id as string;
    expect(a1).toMatch(/^ar/);
    await call('POST', `/service-accounts/${sa}/articles`, { token: zed.token, body: { title: 'Mine', content }, expect: 403 });
    await call('POST', `/service-accounts/${sa}/articles`, { token: yan.token, body: { title: '', content }, expect: 400 });
    expect((await call('POST', `/service-accounts/${sa}/articles`, { token: yan.token, body: { title: 'Bad', content: { type: 'doc', content: [{ type: 'script' }] } }, expect: 400 })).body.error.code).toBe('BAD_DOCUMENT');
    await call('POST', `/service-accounts/${nobody.account}/articles`, { body: { title: 'x', content: doc('x') }, expect: 404 });
    await call('POST', `/service-accounts/${sa}/articles`, { auth: false, body: { title: 'x', content: doc('x') }, expect: 401 });
    await call('POST', `/service-accounts/${sa}/articles`, { token: yan.token, raw: 'title=x', type: 'text/plain', expect: 415 });
    await call('POST', `/service-accounts/${sa}/articles`, { token: yan.token, raw: JSON.stringify({ title: 'x', content: doc('x'.repeat(900_000)) }), expect: 413 });
    await tick();
    const a2 = (await call('POST', `/service-accounts/${sa}/articles`, { body: { title: 'Friday special', content: doc('Dumplings on Friday') }, expect: 201 })).body.id as string;
    await tick();
    const b1 = (await call('POST', `/service-accounts/${sb}/articles`, { body: { title: 'Fire drill', content: doc('Thursday at ten'), commentsEnabled: false }, expect: 201 })).body.id as string;

    const summary = await call('GET', '/service-accounts/summary', { token: zed.token, expect: 200 });
    expect(summary.body).toEqual({ dot: true, latest: { serviceAccountId: sb, name: 'Bulletin', title: 'Fire drill', publishedAt: expect.any(Number) } });
    const feed = await call('GET', '/service-accounts/subscribed', { token: zed.token, expect: 200 });
    expect(feed.body.accounts.map((a: { serviceAccountId: string; dot: boolean }) => [a.serviceAccountId, a.dot])).toEqual([[sb, true], [sa, true]]);
    await call('GET', '/service-accounts/subscribed', { expect: 403 });
    await call('GET', '/service-accounts/subscribed', { auth: false, expect: 401 });

    const read = await call('GET', `/articles/${a1}`, { token: zed.token, expect: 200 });
    expect(read.body).toMatchObject({ id: a1, title: 'Week 12', edited: false, subscribed: true, editor: false, content, files: [{ id: image, kind: 'image' }], serviceAccount: { id: sa, name: 'Canteen' } });
    // Opening an article marks its account seen: the canteen's dot is gone, the bulletin's stays.
    expect((await call('GET', '/service-accounts/subscribed', { token: zed.token, expect: 200 })).body.accounts.map((a: { dot: boolean }) => a.dot)).toEqual([true, false]);
    await call('GET', `/articles/${nobody.article}`, { token: zed.token, expect: 404 });
    await call('GET', `/articles/${a1}`, { auth: false, expect: 401 });
    const page1 = await call('GET', `/service-accounts/${sa}/articles?limit=1`, { token: ada.token, expect: 200 });
    expect(page1.body.articles.map((a: { id: string; title: string }) => [a.id, a.title])).toEqual([[a2, 'Friday special']]);
    expect(ids((await call('GET', `/service-accounts/${sa}/articles?before=${page1.body.next}`, { token: ada.token, expect: 200 })).body.articles)).toEqual([a1]);
    expect((await call('GET', `/service-accounts/${sa}/articles`, { token: ada.token, expect: 200 })).body.articles.map((a: { id: string; cover: string | null }) => [a.id, a.cover])).toEqual([[a2, null], [a1, image]]);
    expect(ids((await call('GET', `/service-accounts/${sa}/articles?q=noodles`, { token: ada.token, expect: 200 })).body.articles)).toEqual([a1]);
    await call('GET', `/service-accounts/${sa}/articles?limit=500`, { token: ada.token, expect: 400 });
    await call('GET', `/service-accounts/${nobody.account}/articles`, { token: ada.token, expect: 404 });

    // Editing: a second version; the first stays for the editors.
    const edited = await call('PUT', `/articles/${a1}`, { token: yan.token, body: { title: 'Week 12 (corrected)', content: doc('Rice on Monday') }, expect: 200 });
    expect(edited.body).toMatchObject({ id: a1, edited: true, version: 2, title: 'Week 12 (corrected)', editedAt: expect.any(Number) });
    await call('PUT', `/articles/${a1}`, { token: zed.token, body: { title: 'x', content: doc('x') }, expect: 403 });
    await call('PUT', `/articles/${a1}`, { token: yan.token, body: { title: 'x'.repeat(65), content: doc('x') }, expect: 400 });
    await call('PUT', `/articles/${nobody.article}`, { body: { title: 'x', content: doc('x') }, expect: 404 });
    expect((await call('GET', `/articles/${a1}/versions`, { token: yan.token, expect: 200 })).body.versions.map((v: { version: number; current: boolean; editorId: string | null }) => [v.version, v.current, v.editorId])).toEqual([[2, true, yan.id], [1, false, yan.id]]);
    await call('GET', `/articles/${a1}/versions`, { token: zed.token, expect: 403 });
    await call('GET', `/articles/${nobody.article}/versions`, { expect: 404 });
    expect((await call('GET', `/articles/${a1}/versions/1`, { expect: 200 })).body).toMatchObject({ version: 1, title: 'Week 12', current: false, content, files: [{ id: image }] });
    await call('GET', `/articles/${a1}/versions/3`, { token: yan.token, expect: 404 });
    await call('GET', `/articles/${a1}/versions/1`, { token: zed.token, expect: 403 });

    // Comments, moderated: pending until approved; Ada's carries a keyword and is flagged.
    const c1 = (await call('POST', `/articles/${a1}/comments`, { token: zed.token, body: { text: 'Rice again!' }, expect: 201 })).body;
    expect(c1).toMatchObject({ id: expect.stringMatching(/^cm/), state: 'pending' });
    await tick();
    const c2 = (await call('POST', `/articles/${a1}/comments`, { token: ada.token, body: { text: 'Selling CONTRABAND snacks' }, expect: 201 })).body.id as string;
    await call('POST', `/articles/${a1}/comments`, { token: zed.token, body: { text: '' }, expect: 400 });
    await call('POST', `/articles/${a1}/comments`, { body: { text: 'from the token' }, expect: 403 });
    expect((await call('POST', `/articles/${b1}/comments`, { token: zed.token, body: { text: 'closed?' }, expect: 403 })).body.error.code).toBe('COMMENTS_CLOSED');
    await call('POST', `/articles/${nobody.article}/comments`, { token: zed.token, body: { text: 'x' }, expect: 404 });
    expect((await call('GET', `/articles/${a1}/comments`, { token: ada.token, expect: 200 })).body.comments.map((c: { id: string; state: string; mine: boolean }) => [c.id, c.state, c.mine])).toEqual([[c2, 'pending', true]]);
    expect((await call('GET', `/articles/${a1}/comments`, { token: yan.token, expect: 200 })).body.comments.map((c: { id: string; flagged: boolean }) => [c.id, c.flagged])).toEqual([[c2, true], [c1.id, false]]);
    await call('GET', `/articles/${a1}/comments?limit=0`, { token: ada.token, expect: 400 });
    await call('GET', `/articles/${nobody.article}/comments`, { token: ada.token, expect: 404 });
    const queue = await call('GET', `/service-accounts/${sa}/comments?state=pending&flagged=true`, { token: yan.token, expect: 200 });
    expect(queue.body.comments.map((c: { id: string; reasons: string[]; articleTitle: string }) => [c.id, c.reasons, c.articleTitle])).toEqual([[c2, ['keyword: contraband'], 'Week 12 (corrected)']]);
    await call('GET', `/service-accounts/${sa}/comments`, { token: zed.token, expect: 403 });
    await call('GET', `/service-accounts/${sa}/comments?state=rejected`, { token: yan.token, expect: 400 });
    await call('GET', `/service-accounts/${nobody.account}/comments`, { expect: 404 });

    // Another's pending comment does not exist for Zed; the approved one is visible but not his to moderate.
    await call('POST', `/comments/${c2}/approve`, { token: zed.token, expect: 404 });
    expect((await call('POST', `/comments/${c2}/pin`, { token: yan.token, body: { pinned: true }, expect: 409 })).body.error.code).toBe('COMMENT_PENDING');
    expect((await call('POST', `/comments/${c1.id}/approve`, { expect: 200 })).body).toMatchObject({ id: c1.id, state: 'approved', approvedAt: expect.any(Number), flagged: false });
    await call('POST', `/comments/${c1.id}/approve`, { token: ada.token, expect: 403 });
    await call('POST', `/comments/${nobody.comment}/approve`, { token: yan.token, expect: 404 });
    expect((await call('POST', `/comments/${c1.id}/reply`, { token: yan.token, body: { text: 'Noodles next week' }, expect: 200 })).body.reply).toMatchObject({ text: 'Noodles next week' });
    await call('POST', `/comments/${c1.id}/reply`, { token: yan.token, body: { text: 5 }, expect: 400 });
    await call('POST', `/comments/${c1.id}/reply`, { token: ada.token, body: { text: 'me too' }, expect: 403 });
    await call('POST', `/comments/${nobody.comment}/reply`, { body: { text: 'x' }, expect: 404 });
    expect((await call('POST', `/comments/${c1.id}/pin`, { token: yan.token, body: { pinned: true }, expect: 200 })).body).toMatchObject({ id: c1.id, pinned: true });
    await call('POST', `/comments/${c1.id}/pin`, { token: yan.token, body: { pinned: 'yes' }, expect: 400 });
    await call('POST', `/comments/${c1.id}/pin`, { token: zed.token, body: { pinned: false }, expect: 403 });
    await call('POST', `/comments/${nobody.comment}/pin`, { body: { pinned: true }, expect: 404 });
    // A newer approved comment goes below the pinned one.
    await tick();
    const c3 = (await call('POST', `/articles/${a1}/comments`, { token: ada.token, body: { text: 'Rice is fine' }, expect: 201 })).body.id as string;
    await call('POST', `/comments/${c3}/approve`, { token: yan.token, expect: 200 });
    expect(ids((await call('GET', `/articles/${a1}/comments`, { token: zed.token, expect: 200 })).body.comments)).toEqual([c1.id, c3]);
    expect(ids((await call('GET', `/service-accounts/${sa}/comments?articleId=${a1}&state=approved`, { expect: 200 })).body.comments)).toEqual([c3, c1.id]);

    // Deleting: the editors delete Ada's flagged comment (she is told); Ada may not delete Zed's.
    await call('DELETE', `/comments/${c2}`, { token: zed.token, expect: 404 });
    await call('DELETE', `/comments/${c1.id}`, { token: ada.token, expect: 403 });
    await tick();
    await call('DELETE', `/comments/${c2}`, { token: yan.token, expect: 204 });
    await call('DELETE', `/comments/${c2}`, { token: yan.token, expect: 404 });
    await call('DELETE', `/comments/${c3}`, { auth: false, expect: 401 });

    // Notices: Zed's approval, Ada's approval and deletion; read by their owners.
    const zedNotices = await call('GET', '/service-accounts/notices', { token: zed.token, expect: 200 });
    expect(zedNotices.body).toMatchObject({ unread: 1, notices: [{ kind: 'comment-approved', commentId: c1.id, articleId: a1, articleTitle: 'Week 12 (corrected)' }] });
    expect((await call('GET', '/service-accounts/notices', { token: ada.token, expect: 200 })).body.notices.map((n: { kind: string; commentId: string }) => [n.kind, n.commentId])).toEqual([['comment-deleted', c2], ['comment-approved', c3]]);
    await call('GET', '/service-accounts/notices?before=x', { token: ada.token, expect: 400 });
    await call('GET', '/service-accounts/notices', { expect: 403 });
    expect((await call('POST', '/service-accounts/notices/read', { token: zed.token, body: { ids: [zedNotices.body.notices[0].id] }, expect: 200 })).body).toEqual({ read: 1 });
    expect((await call('POST', '/service-accounts/notices/read', { token: ada.token, body: {}, expect: 200 })).body).toEqual({ read: 2 });
    await call('POST', '/service-accounts/notices/read', { token: ada.token, body: { ids: ['not-a-notice'] }, expect: 400 });
    await call('POST', '/service-accounts/notices/read', { body: {}, expect: 403 });
    expect((await call('GET', '/service-accounts/notices', { token: zed.token, expect: 200 })).body.unread).toBe(0);

    // Comments off: readers see none, editors still do.
    expect((await call('PATCH', `/articles/${a1}`, { token: yan.token, body: { commentsEnabled: false }, expect: 200 })).body).toMatchObject({ id: a1, commentsEnabled: false });
    expect((await call('GET', `/articles/${a1}/comments`, { token: zed.token, expect: 200 })).body).toEqual({ comments: [], commentsEnabled: false, next: null });
    expect(ids((await call('GET', `/articles/${a1}/comments`, { token: yan.token, expect: 200 })).body.comments)).toEqual([c1.id, c3]);
    await call('PATCH', `/articles/${a1}`, { token: zed.token, body: { commentsEnabled: true }, expect: 403 });
    await call('PATCH', `/articles/${a1}`, { token: yan.token, body: { commentsEnabled: 'no' }, expect: 400 });
    await call('PATCH', `/articles/${nobody.article}`, { body: { commentsEnabled: true }, expect: 404 });

    // Pinning subscriptions: the canteen first, whatever is newer.
    expect((await call('PATCH', `/service-accounts/${sa}/subscription`, { token: zed.token, body: { pinned: true }, expect: 200 })).body).toMatchObject({ serviceAccountId: sa, pinned: true });
    expect((await call('GET', '/service-accounts/subscribed', { token: zed.token, expect: 200 })).body.accounts.map((a: { serviceAccountId: string; pinned: boolean }) => [a.serviceAccountId, a.pinned])).toEqual([[sa, true], [sb, false]]);
    await call('PATCH', `/service-accounts/${sa}/subscription`, { token: ada.token, body: { pinned: true }, expect: 404 });
    await call('PATCH', `/service-accounts/${sa}/subscription`, { token: zed.token, body: {}, expect: 400 });

    // Deleting articles, subscriptions and accounts.
    await call('DELETE', `/articles/${a2}`, { token: zed.token, expect: 403 });
    await call('DELETE', `/articles/${a2}`, { token: yan.token, expect: 204 });
    await call('DELETE', `/articles/${a2}`, { token: yan.token, expect: 404 });
    await call('GET', `/articles/${a2}`, { token: zed.token, expect: 404 });
    expect(ids((await call('GET', `/service-accounts/${sa}/articles`, { token: zed.token, expect: 200 })).body.articles)).toEqual([a1]);
    await call('DELETE', `/service-accounts/${sb}/subscription`, { token: zed.token, expect: 204 });
    await call('DELETE', `/service-accounts/${sb}/subscription`, { expect: 403 });
    await call('DELETE', `/service-accounts/${nobody.account}/subscription`, { token: zed.token, expect: 404 });
    expect((await call('GET', '/service-accounts/subscribed', { token: zed.token, expect: 200 })).body.accounts.map((a: { serviceAccountId: string }) => a.serviceAccountId)).toEqual([sa]);
    await call('DELETE', `/service-accounts/${sb}`, { token: yan.token, expect: 403 });
    await call('DELETE', `/service-accounts/${sb}`, { token: elevated, expect: 204 });
    await call('DELETE', `/service-accounts/${sb}`, { expect: 404 });
    await call('GET', `/service-accounts/${sb}`, { token: zed.token, expect: 404 });
    await call('DELETE', `/service-accounts/${sa}`, { auth: false, expect: 401 });
    await call('PUT', '/admin/channels/settings', { token: elevated, body: { keywords: [] }, expect: 200 });
  });

  it('every documented operation was seen to succeed and to fail', () => {
    const missing: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        const statuses = [...(seen.get(`${method.toUpperCase()} ${path}`) ?? [])];
        if (!statuses.some((s) => s < 300)) missing.push(`${method.toUpperCase()} ${path}: no success`);
        // Public descriptions that cannot fail: the document itself, the sign-up policy.
        if (path !== '/openapi.json' && path !== '/auth/policy' && !statuses.some((s) => s >= 400)) missing.push(`${method.toUpperCase()} ${path}: no error`);
      }
    }
    expect(missing).toEqual([]);
  });
});
