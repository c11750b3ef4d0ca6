/**
 * The OpenAPI document is a contract: every REST route is called against a
 * real server, and each reply must be documented for that route (its status)
 * and match the documented schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1
 * uses). At the end every documented operation must have been seen to
 * succeed and to fail, so neither the code nor the document can drift.
 */
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
    init: { body?: unknown; raw?: string | Buffer; type?: string; auth?: boolean; token?: string; expect: number },
  ): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    // `token`: a person's access token instead of the organisation's API token.
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    else if (init.auth !== false) headers.authorization = `Bearer ${server.apiToken}`;
    if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = init.type ?? 'application/json';
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
    if (res.status === 204) return { status: res.status, body: text };
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const content = documented!.content ?? {};
    expect(Object.keys(content), `${key} ${res.status}: content type ${type} is not documented`).toContain(type);
    if (type === 'image/webp') return { status: res.status, body: text };
    if (type !== 'application/json' || !(content[type]!.schema as { $ref?: string; type?: string; contentMediaType?: string })) return { status: res.status, body: text };
    const body = JSON.parse(text);
    if ((content[type]!.schema as { contentMediaType?: string }).contentMediaType) return { status: res.status, body };
    const pointer = ['paths', template, m, 'responses', String(res.status), 'content', type, 'schema'].map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
    const validate = ajv.getSchema(`${DOC_ID}#/${pointer}`) ?? ajv.compile({ $ref: `${DOC_ID}#/${pointer}` });
    if (!validate(body)) {
      throw new Error(`${method} ${path} → ${res.status}: the body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`);
    }
    return { status: res.status, body };
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
