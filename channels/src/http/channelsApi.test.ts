/**
 * The service-account routes over HTTP, on both engines, against their
 * OpenAPI description: every reply is documented for its route and status
 * and matches the documented schema (ajv), and by the end every documented
 * operation has been seen to succeed and to fail. A person's token and the
 * organisation's API token both work where the route takes them; what a
 * caller may not see answers NOT_FOUND, what they see but may not do
 * FORBIDDEN; random bodies, queries and ids get a coded 4xx, never a 5xx;
 * injected documents are BAD_DOCUMENT.
 */
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import express from 'express';
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import { silentLogger, testEngines, useTestDatabase } from '@muster/db/testing';
import { CHANNELS_ERROR_CODES } from '../protocol.ts';
import { doc, openChannelsTestWorld } from '../testing/index.ts';
import { channelsApi } from './channelsApi.ts';
import { registerChannelsOpenApi } from './channelsOpenApi.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const engines = await testEngines('the PostgreSQL channels HTTP contract (channels/src/http/channelsApi.test.ts)');
const API_TOKEN = `org-${crypto.randomBytes(24).toString('base64url')}`;

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>> };
const DOC_ID = 'https://muster.invalid/channels-openapi.json';

function buildDocument(): Doc {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  registry.registerComponent('securitySchemes', 'userToken', { type: 'http', scheme: 'bearer' });
  registerChannelsOpenApi(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info: { title: 'channels', version: '1' } }) as unknown as Doc;
}

describe.each(engines)('channels API (%s)', (engine) => {
  const testDb = useTestDatabase(engine);
  const document = buildDocument();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: DOC_ID });
  /** `METHOD template` → statuses seen. */
  const seen = new Map<string, Set<number>>();

  const templateOf = (method: string, path: string) => {
    const matches = Object.keys(document.paths).filter((template) => document.paths[template]![method] && new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
    // A literal segment wins over a parameter (/service-accounts/summary over /service-accounts/{id}).
    matches.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
    return matches[0];
  };

  const setup = async () => {
    const w = await openChannelsTestWorld(await testDb.open(), { keywords: ['违禁'] });
    testDb.defer(() => w.im.close());
    const people = {
      admin: await w.admin(),
      ed: await w.person('Editor'),
      ann: await w.person('Ann'),
      ben: await w.person('Ben'),
      guest: await w.guest(),
      lapsed: { ...(await w.admin('Lapsed')), elevatedUntil: 0 },
    };
    const byName = new Map<string, Principal>(Object.entries(people));
    const app = express();
    // As the accounts router does: a person's token sets the principal; anything else passes through untouched.
    app.use((req, _res, next) => {
      const name = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1];
      const principal = name ? byName.get(name) : undefined;
      if (principal) (req as unknown as { principal: Principal }).principal = principal;
      next();
    });
    app.use('/api/v1', channelsApi(w.channels, { logger: silentLogger, apiToken: API_TOKEN }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    testDb.defer(() => new Promise((resolve) => server.close(resolve)));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;

    /** Calls a route as someone (a name, 'org' for the API token, null for nobody), checking the reply against the document. */
    const call = async (method: string, path: string, as: string | null, body?: unknown, init: { raw?: string; type?: string; check?: boolean } = {}) => {
      const headers: Record<string, string> = {};
      if (as === 'org') headers.authorization = `Bearer ${API_TOKEN}`;
      else if (as) headers.authorization = `Bearer ${as}`;
      if (body !== undefined || init.raw !== undefined) headers['content-type'] = init.type ?? 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, ...(init.raw !== undefined ? { body: init.raw } : body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      let parsed: any = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        throw new Error(`${method} ${path} → ${res.status}: not JSON: ${text.slice(0, 200)}`);
      }
      if (init.check !== false) {
        const m = method.toLowerCase();
        const template = templateOf(m, path.split('?')[0]!);
        expect(template, `${method} ${path} is documented`).toBeDefined();
        const key = `${method} ${template}`;
        if (!seen.has(key)) seen.set(key, new Set());
        seen.get(key)!.add(res.status);
        const response = document.paths[template!]![m]!.responses[String(res.status)];
        expect(response, `${method} ${path} → ${res.status} is documented (${text.slice(0, 200)})`).toBeDefined();
        if (response!.content) {
          const pointer = ['paths', template!, m, 'responses', String(res.status), 'content', 'application/json', 'schema'].map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
          const validate = ajv.getSchema(`${DOC_ID}#/${pointer}`) ?? ajv.compile({ $ref: `${DOC_ID}#/${pointer}` });
          expect(validate(parsed), `${method} ${path} → ${res.status}: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`).toBe(true);
        }
      }
      return { status: res.status, body: parsed, headers: res.headers };
    };
    return { ...w, people, call };
  };

  it('runs the whole flow over REST, each reply as documented: accounts, articles, subscriptions, comments, notices', async () => {
    const { call, people, upload, deliveries, t } = await setup();
    // ------------------------------------------------------------ accounts
    expect((await call('POST', '/service-accounts', null, { name: 'x' })).status).toBe(401);
    expect((await call('POST', '/service-accounts', 'wrong-token', { name: 'x' })).status).toBe(401);
    expect(await call('POST', '/service-accounts', 'ann', { name: 'News' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await call('POST', '/service-accounts', 'lapsed', { name: 'News' })).toMatchObject({ status: 403, body: { error: { code: 'SECOND_FACTOR_REQUIRED' } } });
    expect(await call('POST', '/service-accounts', 'admin', { name: 'News', dailyCap: 9 })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    const created = await call('POST', '/service-accounts', 'admin', { name: '公司新闻', description: 'Company news', editors: [people.ed.accountId] });
    expect(created).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^sa/) } });
    const sa = created.body.id as string;
    expect(await call('POST', '/service-accounts', 'org', { name: '公司新闻' })).toMatchObject({ status: 409, body: { error: { code: 'NAME_TAKEN' } } });
    const hr = (await call('POST', '/service-accounts', 'org', { name: 'HR', kind: 'service' })).body.id as string;
    expect(await call('POST', '/service-accounts', 'admin', { name: 'x'.repeat(20_000) }, { check: true })).toMatchObject({ status: 413 });
    expect(await call('POST', '/service-accounts', 'admin', undefined, { raw: 'name=x', type: 'text/plain' })).toMatchObject({ status: 415 });

    expect((await call('GET', '/service-accounts?q=gongsi', 'ann')).body.accounts.map((a: { id: string }) => a.id)).toEqual([sa]);
    expect((await call('GET', '/service-accounts?q=' + 'x'.repeat(100), 'ann')).status).toBe(400);
    expect((await call('GET', '/service-accounts', null)).status).toBe(401);
    expect(await call('GET', `/service-accounts/${sa}`, 'ann')).toMatchObject({ status: 200, body: { name: '公司新闻', subscribed: false, subscribers: 0, editor: false } });
    expect((await call('GET', `/service-accounts/${sa}`, 'ed')).body.editors).toEqual([{ id: people.ed.accountId, nickname: 'Editor', avatar: null }]);
    expect((await call('GET', '/service-accounts/saNOPE', 'ann')).status).toBe(404);
    expect((await call('GET', '/service-accounts/saAAAAAAAAAAAAAAAAAAAAAA', 'ann')).status).toBe(404);
    expect(await call('PATCH', `/service-accounts/${sa}`, 'admin', { dailyCap: 20, description: '新闻' })).toMatchObject({ status: 200, body: { dailyCap: 20, description: '新闻' } });
    expect((await call('PATCH', `/service-accounts/${sa}`, 'ed', { description: 'mine' })).status).toBe(403);
    expect((await call('PATCH', `/service-accounts/${sa}`, 'admin', {})).status).toBe(400);
    expect((await call('PATCH', '/service-accounts/saAAAAAAAAAAAAAAAAAAAAAA', 'org', { description: 'x' })).status).toBe(404);
    expect(await call('PUT', `/service-accounts/${hr}/editors`, 'org', { editors: [people.ed.accountId, people.ben.accountId] })).toMatchObject({ status: 200, body: { editors: [{ nickname: 'Editor' }, { nickname: 'Ben' }] } });
    expect((await call('PUT', `/service-accounts/${hr}/editors`, 'org', { editors: [people.guest.accountId] })).status).toBe(400);
    expect((await call('PUT', `/service-accounts/${hr}/editors`, 'ann', { editors: [] })).status).toBe(403);
    expect((await call('PUT', '/service-accounts/saAAAAAAAAAAAAAAAAAAAAAA/editors', 'org', { editors: [] })).status).toBe(404);

    // ------------------------------------------------------------ subscriptions
    expect((await call('POST', `/service-accounts/${sa}/subscription`, 'ann')).status).toBe(204);
    expect((await call('POST', `/service-accounts/${sa}/subscription`, 'ann')).status).toBe(204);
    expect((await call('POST', `/service-accounts/${hr}/subscription`, 'ann')).status).toBe(204);
    expect(await call('POST', `/service-accounts/${sa}/subscription`, 'guest')).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect((await call('POST', `/service-accounts/${sa}/subscription`, 'org')).status).toBe(403);
    expect((await call('POST', '/service-accounts/saAAAAAAAAAAAAAAAAAAAAAA/subscription', 'ann')).status).toBe(404);
    expect(await call('PATCH', `/service-accounts/${hr}/subscription`, 'ann', { pinned: true })).toMatchObject({ status: 200, body: { serviceAccountId: hr, pinned: true } });
    expect((await call('PATCH', `/service-accounts/${hr}/subscription`, 'ben', { pinned: true })).status).toBe(404);
    expect((await call('PATCH', `/service-accounts/${hr}/subscription`, 'ann', {})).status).toBe(400);
    expect(await call('GET', '/service-accounts/summary', 'ann')).toMatchObject({ status: 200, body: { dot: false, latest: null } });
    expect((await call('GET', '/service-accounts/summary', 'org')).status).toBe(403);

    // ------------------------------------------------------------ articles
    t.clock.advance(1000);
    const image = upload(people.ed);
    const content = doc('第一段 first paragraph', { type: 'image', attrs: { fileId: image, alt: 'photo' } });
    const before = deliveries.length;
    const published = await call('POST', `/service-accounts/${sa}/articles`, 'ed', { title: '第一期', content });
    expect(published).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^ar/) } });
    const article = published.body.id as string;
    expect(deliveries.length).toBe(before);
    expect((await call('POST', `/service-accounts/${sa}/articles`, 'ann', { title: 'x', content })).status).toBe(403);
    expect((await call('POST', `/service-accounts/${sa}/articles`, 'ed', { title: '', content })).status).toBe(400);
    expect((await call('POST', '/service-accounts/saAAAAAAAAAAAAAAAAAAAAAA/articles', 'org', { title: 'x', content })).status).toBe(404);
    t.clock.advance(1000);
    const fromApi = await call('POST', `/service-accounts/${hr}/articles`, 'org', { title: 'Rota', content: doc('from the business system'), commentsEnabled: false });
    expect(fromApi.status).toBe(201);

    const summary = await call('GET', '/service-accounts/summary', 'ann');
    expect(summary.body).toEqual({ dot: true, latest: { serviceAccountId: hr, name: 'HR', title: 'Rota', publishedAt: expect.any(Number) } });
    const subscribed = await call('GET', '/service-accounts/subscribed', 'ann');
    expect(subscribed.body.accounts.map((a: { serviceAccountId: string; dot: boolean }) => [a.serviceAccountId, a.dot])).toEqual([[hr, true], [sa, true]]);
    expect((await call('GET', '/service-accounts/subscribed', null)).status).toBe(401);

    const read = await call('GET', `/articles/${article}`, 'ann');
    expect(read).toMatchObject({ status: 200, body: { title: '第一期', edited: false, subscribed: true, editor: false, files: [{ id: image, kind: 'image' }], content } });
    expect((await call('GET', '/service-accounts/subscribed', 'ann')).body.accounts.map((a: { dot: boolean }) => a.dot)).toEqual([true, false]);
    expect((await call('GET', `/articles/${article}`, 'guest')).status).toBe(200);
    expect((await call('GET', '/articles/arAAAAAAAAAAAAAAAAAAAAAA', 'ann')).status).toBe(404);
    const list = await call('GET', `/service-accounts/${sa}/articles?limit=1`, 'ben');
    expect(list.body).toMatchObject({ articles: [{ id: article, title: '第一期', summary: '第一段 first paragraph', cover: image }], next: expect.any(String) });
    expect((await call('GET', `/service-accounts/${sa}/articles?before=${list.body.next}`, 'ben')).body).toEqual({ articles: [], next: null });
    expect((await call('GET', `/service-accounts/${sa}/articles?q=first`, 'ben')).body.articles).toHaveLength(1);
    expect((await call('GET', `/service-accounts/${sa}/articles?limit=500`, 'ben')).status).toBe(400);
    expect((await call('GET', `/service-accounts/${sa}/articles?before=%25%25`, 'ben')).status).toBe(400);
    expect((await call('GET', '/service-accounts/saAAAAAAAAAAAAAAAAAAAAAA/articles', 'ben')).status).toBe(404);

    const edited = await call('PUT', `/articles/${article}`, 'ed', { title: '第一期（更正）', content: doc('corrected') });
    expect(edited).toMatchObject({ status: 200, body: { edited: true, version: 2, title: '第一期（更正）' } });
    expect((await call('PUT', `/articles/${article}`, 'ben', { title: 'x', content: doc('x') })).status).toBe(403);
    expect((await call('PUT', '/articles/arAAAAAAAAAAAAAAAAAAAAAA', 'ed', { title: 'x', content: doc('x') })).status).toBe(404);
    expect((await call('GET', `/articles/${article}`, 'ben')).body).toMatchObject({ edited: true, editedAt: expect.any(Number) });
    expect((await call('GET', `/articles/${article}/versions`, 'ed')).body.versions.map((v: { version: number; current: boolean }) => [v.version, v.current])).toEqual([[2, true], [1, false]]);
    expect((await call('GET', `/articles/${article}/versions`, 'ben')).status).toBe(403);
    expect((await call('GET', '/articles/arAAAAAAAAAAAAAAAAAAAAAA/versions', 'ed')).status).toBe(404);
    expect((await call('GET', `/articles/${article}/versions/1`, 'org')).body).toMatchObject({ version: 1, title: '第一期', content, files: [{ id: image }] });
    for (const v of ['3', '0', 'x', '-1', '1e3', '99999999999']) expect((await call('GET', `/articles/${article}/versions/${v}`, 'ed')).status).toBe(404);
    expect((await call('GET', `/articles/${article}/versions/1`, 'ben')).status).toBe(403);

    // ------------------------------------------------------------ comments and moderation
    const comment = await call('POST', `/articles/${article}/comments`, 'ann', { text: '写得好！\nwell written' });
    expect(comment).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^cm/), state: 'pending' } });
    const commentId = comment.body.id as string;
    expect((await call('POST', `/articles/${article}/comments`, 'guest', { text: 'hi' })).status).toBe(403);
    expect((await call('POST', `/articles/${article}/comments`, 'org', { text: 'hi' })).status).toBe(403);
    expect((await call('POST', `/articles/${article}/comments`, 'ann', { text: '' })).status).toBe(400);
    expect((await call('POST', `/articles/${article}/comments`, 'ann', { text: 'x'.repeat(601) })).status).toBe(400);
    expect((await call('POST', '/articles/arAAAAAAAAAAAAAAAAAAAAAA/comments', 'ann', { text: 'x' })).status).toBe(404);
    expect(await call('POST', `/articles/${fromApi.body.id}/comments`, 'ann', { text: 'closed?' })).toMatchObject({ status: 403, body: { error: { code: 'COMMENTS_CLOSED' } } });
    expect((await call('GET', `/articles/${article}/comments`, 'ann')).body.comments.map((c: { state: string; mine: boolean }) => [c.state, c.mine])).toEqual([['pending', true]]);
    expect((await call('GET', `/articles/${article}/comments`, 'ben')).body).toEqual({ comments: [], commentsEnabled: true, next: null });
    expect((await call('GET', `/articles/${article}/comments?limit=0`, 'ben')).status).toBe(400);
    expect((await call('GET', '/articles/arAAAAAAAAAAAAAAAAAAAAAA/comments', 'ben')).status).toBe(404);
    // Another's pending comment does not exist for Ben; approving it is NOT_FOUND, not FORBIDDEN.
    expect((await call('POST', `/comments/${commentId}/approve`, 'ben')).status).toBe(404);
    expect((await call('POST', `/comments/${commentId}/approve`, 'ann')).status).toBe(403);
    expect((await call('POST', `/comments/${commentId}/pin`, 'ed', { pinned: true })).body.error.code).toBe('COMMENT_PENDING');
    const approved = await call('POST', `/comments/${commentId}/approve`, 'org');
    expect(approved).toMatchObject({ status: 200, body: { state: 'approved', flagged: false } });
    expect((await call('POST', `/comments/${commentId}/approve`, 'ben')).status).toBe(403);
    expect((await call('POST', '/comments/cmAAAAAAAAAAAAAAAAAAAAAA/approve', 'ed')).status).toBe(404);
    expect(await call('POST', `/comments/${commentId}/reply`, 'ed', { text: '谢谢' })).toMatchObject({ status: 200, body: { reply: { text: '谢谢' } } });
    expect((await call('POST', `/comments/${commentId}/reply`, 'ed', { text: 5 })).status).toBe(400);
    expect((await call('POST', `/comments/${commentId}/reply`, 'ben', { text: 'me too' })).status).toBe(403);
    expect((await call('POST', '/comments/cmAAAAAAAAAAAAAAAAAAAAAA/reply', 'ed', { text: 'x' })).status).toBe(404);
    expect(await call('POST', `/comments/${commentId}/pin`, 'ed', { pinned: true })).toMatchObject({ status: 200, body: { pinned: true } });
    expect((await call('POST', `/comments/${commentId}/pin`, 'ed', { pinned: 'yes' })).status).toBe(400);
    expect((await call('POST', `/comments/${commentId}/pin`, 'ben', { pinned: false })).status).toBe(403);
    expect((await call('POST', '/comments/cmAAAAAAAAAAAAAAAAAAAAAA/pin', 'ed', { pinned: true })).status).toBe(404);
    expect((await call('GET', `/articles/${article}/comments`, 'ben')).body.comments.map((c: { text: string; pinned: boolean }) => [c.text, c.pinned])).toEqual([['写得好！\nwell written', true]]);

    const flagged = await call('POST', `/articles/${article}/comments`, 'ben', { text: '这是违禁内容' });
    const queue = await call('GET', `/service-accounts/${sa}/comments?state=pending&flagged=true`, 'ed');
    expect(queue.body.comments.map((c: { id: string; reasons: string[]; articleTitle: string }) => [c.id, c.reasons, c.articleTitle])).toEqual([[flagged.body.id, ['keyword: 违禁'], '第一期（更正）']]);
    expect((await call('GET', `/service-accounts/${sa}/comments?articleId=${article}&state=approved`, 'org')).body.comments).toHaveLength(1);
    expect((await call('GET', `/service-accounts/${sa}/comments`, 'ben')).status).toBe(403);
    expect((await call('GET', `/service-accounts/${sa}/comments?state=rejected`, 'ed')).status).toBe(400);
    expect((await call('GET', '/service-accounts/saAAAAAAAAAAAAAAAAAAAAAA/comments', 'ed')).status).toBe(404);
    expect((await call('DELETE', `/comments/${flagged.body.id}`, 'ann')).status).toBe(404);
    expect((await call('DELETE', `/comments/${flagged.body.id}`, 'ed')).status).toBe(204);
    expect((await call('DELETE', `/comments/${commentId}`, 'ben')).status).toBe(403);

    // The notices: Ann's approval, Ben's deletion; read by their owners.
    const annNotices = await call('GET', '/service-accounts/notices', 'ann');
    expect(annNotices.body).toMatchObject({ unread: 1, notices: [{ kind: 'comment-approved', commentId, articleTitle: '第一期（更正）' }] });
    expect((await call('GET', '/service-accounts/notices', 'ben')).body.notices.map((n: { kind: string }) => n.kind)).toEqual(['comment-deleted']);
    expect((await call('GET', '/service-accounts/notices?before=x', 'ben')).status).toBe(400);
    expect((await call('GET', '/service-accounts/notices', 'org')).status).toBe(403);
    expect(await call('POST', '/service-accounts/notices/read', 'ann', {})).toMatchObject({ status: 200, body: { read: 1 } });
    expect((await call('POST', '/service-accounts/notices/read', 'ann', { ids: ['not-an-id'] })).status).toBe(400);
    expect((await call('POST', '/service-accounts/notices/read', 'ann', {})).body).toEqual({ read: 0 });

    expect(await call('PATCH', `/articles/${article}`, 'ed', { commentsEnabled: false })).toMatchObject({ status: 200, body: { commentsEnabled: false } });
    expect((await call('PATCH', `/articles/${article}`, 'ben', { commentsEnabled: true })).status).toBe(403);
    expect((await call('PATCH', `/articles/${article}`, 'ed', { commentsEnabled: 'no' })).status).toBe(400);
    expect((await call('PATCH', '/articles/arAAAAAAAAAAAAAAAAAAAAAA', 'ed', { commentsEnabled: true })).status).toBe(404);
    expect((await call('DELETE', `/comments/${commentId}`, 'ann')).status).toBe(204);

    // ------------------------------------------------------------ deleting
    expect((await call('DELETE', `/articles/${article}`, 'ben')).status).toBe(403);
    expect((await call('DELETE', `/articles/${article}`, 'ed')).status).toBe(204);
    expect((await call('DELETE', `/articles/${article}`, 'ed')).status).toBe(404);
    expect((await call('GET', `/articles/${article}`, 'ed')).status).toBe(404);
    expect((await call('DELETE', `/service-accounts/${hr}/subscription`, 'ann')).status).toBe(204);
    expect((await call('DELETE', `/service-accounts/${hr}/subscription`, 'org')).status).toBe(403);
    expect((await call('DELETE', '/service-accounts/saAAAAAAAAAAAAAAAAAAAAAA/subscription', 'ann')).status).toBe(404);
    expect((await call('DELETE', `/service-accounts/${hr}`, 'ed')).status).toBe(403);
    expect((await call('DELETE', `/service-accounts/${hr}`, 'org')).status).toBe(204);
    expect((await call('DELETE', `/service-accounts/${hr}`, 'org')).status).toBe(404);
    expect((await call('GET', `/service-accounts/${hr}`, 'ann')).status).toBe(404);

    // ------------------------------------------------------------ the console
    expect(await call('PUT', '/admin/channels/settings', 'admin', { keywords: ['赌博', 'spam'] })).toMatchObject({ status: 200, body: { keywords: ['赌博', 'spam'] } });
    expect((await call('GET', '/admin/channels/settings', 'admin')).body).toEqual({ keywords: ['赌博', 'spam'] });
    expect((await call('GET', '/admin/channels/settings', 'ann')).status).toBe(403);
    expect((await call('PUT', '/admin/channels/settings', 'lapsed', { keywords: [] })).status).toBe(403);
    expect((await call('PUT', '/admin/channels/settings', 'admin', { keywords: [''] })).status).toBe(400);
  });

  it('publishes daily up to the cap, then answers 429 DAILY_CAP_REACHED with Retry-After', async () => {
    const { call, t } = await setup();
    const sa = (await call('POST', '/service-accounts', 'org', { name: 'Busy' })).body.id as string;
    for (let i = 0; i < 10; i++) {
      expect((await call('POST', `/service-accounts/${sa}/articles`, 'org', { title: `n${i}`, content: doc(`n${i}`) })).status).toBe(201);
      t.clock.advance(1000);
    }
    const refused = await call('POST', `/service-accounts/${sa}/articles`, 'org', { title: 'more', content: doc('more') });
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'DAILY_CAP_REACHED' } } });
    expect(Number(refused.headers.get('retry-after'))).toBe(24 * 3600 - 10);
  });

  it('refuses injected and oversized documents: BAD_DOCUMENT (a body too big to read: 413)', async () => {
    const { call, people, upload } = await setup();
    const sa = (await call('POST', '/service-accounts', 'org', { name: 'Docs', editors: [people.ed.accountId] })).body.id as string;
    const image = upload(people.ed);
    const p = (...content: unknown[]) => ({ type: 'paragraph', content });
    const injected: unknown[] = [
      { type: 'doc', content: [p({ type: 'text', text: 'x', marks: [{ type: 'link', attrs: { href: 'javascript:alert(document.cookie)' } }] })] },
      { type: 'doc', content: [p({ type: 'text', text: 'x', marks: [{ type: 'link', attrs: { href: '  JAVASCRIPT:alert(1)' } }] })] },
      { type: 'doc', content: [{ type: 'image', attrs: { fileId: image, onerror: 'alert(1)' } }] },
      { type: 'doc', content: [{ type: 'script', content: [{ type: 'text', text: 'alert(1)' }] }] },
      { type: 'doc', content: [{ type: 'html', text: '<img src=x onerror=alert(1)>' }] },
      { type: 'doc', content: [p({ type: 'text', text: 'x' })], html: '<script>alert(1)</script>' },
      '<p onclick="alert(1)">hi</p>',
      { type: 'doc', content: '<script>alert(1)</script>' },
      null,
      [],
      { type: 'doc', content: [] },
      { type: 'doc', content: [{ type: 'image', attrs: { fileId: 'flNOTMINENOTMINENOTMINE' } }] },
    ];
    for (const content of injected) {
      expect(await call('POST', `/service-accounts/${sa}/articles`, 'ed', { title: 'x', content }), JSON.stringify(content)).toMatchObject({ status: 400, body: { error: { code: 'BAD_DOCUMENT' } } });
    }
    // Deep: refused before it is parsed, as a document.
    const deep = `{"title":"x","content":${'{"type":"blockquote","content":['.repeat(40)}${']}'.repeat(40)}}`;
    expect(await call('POST', `/service-accounts/${sa}/articles`, 'ed', undefined, { raw: deep })).toMatchObject({ status: 400, body: { error: { code: 'BAD_DOCUMENT' } } });
    // Huge: past 512 KiB of document it is a BAD_DOCUMENT; past what the route reads, 413.
    // Within the text and node limits, past the bytes: short words behind long links.
    const big = { type: 'doc', content: [p(...Array.from({ length: 1700 }, (_, i) => ({ type: 'text', text: `w${i}`, marks: [{ type: 'link', attrs: { href: `https://example.org/${'p'.repeat(250)}/${i}` } }] })))] };
    expect(await call('POST', `/service-accounts/${sa}/articles`, 'ed', { title: 'x', content: big })).toMatchObject({ status: 400, body: { error: { code: 'BAD_DOCUMENT' } } });
    expect((await call('POST', `/service-accounts/${sa}/articles`, 'ed', undefined, { raw: JSON.stringify({ title: 'x', content: doc('x'.repeat(900_000)) }) })).status).toBe(413);
    expect(await call('GET', `/service-accounts/${sa}/articles`, 'ed')).toMatchObject({ body: { articles: [] } });
  });

  it('answers random bodies, queries and ids with a coded 4xx, never a 5xx', async () => {
    const { call, people } = await setup();
    const sa = (await call('POST', '/service-accounts', 'org', { name: 'Fuzz', editors: [people.ed.accountId] })).body.id as string;
    await call('POST', `/service-accounts/${sa}/subscription`, 'ann');
    const article = (await call('POST', `/service-accounts/${sa}/articles`, 'ed', { title: 'Fuzzed', content: doc('x') })).body.id as string;
    const comment = (await call('POST', `/articles/${article}/comments`, 'ann', { text: 'x' })).body.id as string;
    const seed = crypto.randomBytes(4).readUInt32LE(0);
    let state = seed || 1;
    const rand = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const atoms = [null, true, false, 0, -1, 9, 10, 1e308, -1e308, 1.5, '', 'x', '公司', 'subscription', 'service', 'pending', 'approved', 'true', 'javascript:alert(1)', '<script>', 'x'.repeat(5000), '\u0000', '𠀀', people.ann.accountId, sa, article, comment];
    const keys = ['name', 'description', 'editors', 'kind', 'dailyCap', 'avatarFileId', 'title', 'content', 'commentsEnabled', 'text', 'pinned', 'position', 'ids', 'keywords', 'type', 'attrs', '__proto__', 'constructor'];
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.4) return pick(atoms);
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [pick(keys), value(depth + 1)]));
    };
    const ids = [sa, article, comment, 'saAAAAAAAAAAAAAAAAAAAAAA', 'x', '%00', '%2F', 'sa' + 'A'.repeat(100), encodeURIComponent('<script>')];
    const routes = [
      ['POST', '/service-accounts'], ['GET', '/service-accounts'], ['GET', '/service-accounts/subscribed'], ['GET', '/service-accounts/summary'],
      ['GET', '/service-accounts/notices'], ['POST', '/service-accounts/notices/read'], ['GET', '/service-accounts/:id'], ['PATCH', '/service-accounts/:id'],
      ['PUT', '/service-accounts/:id/editors'], ['POST', '/service-accounts/:id/subscription'], ['PATCH', '/service-accounts/:id/subscription'],
      ['POST', '/service-accounts/:id/articles'], ['GET', '/service-accounts/:id/articles'], ['GET', '/service-accounts/:id/comments'],
      ['GET', '/articles/:id'], ['PUT', '/articles/:id'], ['PATCH', '/articles/:id'], ['GET', '/articles/:id/versions'], ['GET', '/articles/:id/versions/:id'],
      ['POST', '/articles/:id/comments'], ['GET', '/articles/:id/comments'], ['POST', '/comments/:id/reply'], ['POST', '/comments/:id/pin'], ['PUT', '/admin/channels/settings'],
    ] as const;
    const queryKeys = ['q', 'before', 'limit', 'state', 'flagged', 'articleId', 'x'];
    for (let i = 0; i < 400; i++) {
      const [method, template] = pick(routes);
      const path = template.replace(/:id/g, () => pick(ids));
      const query = rand() < 0.5 ? '' : `?${Array.from({ length: 1 + Math.floor(rand() * 3) }, () => `${pick(queryKeys)}=${encodeURIComponent(String(pick(atoms)))}`).join('&')}`;
      const as = pick(['ann', 'ed', 'admin', 'org', 'guest', 'ben']);
      const raw = i % 13 === 0 ? pick(['{', '{"title":', '[1,2', 'null', '"x"', '{"a":'.repeat(40)]) : undefined;
      const body = method === 'GET' ? undefined : raw === undefined ? value(0) : undefined;
      const res = await call(method, `${path}${query}`, as, body, { ...(raw !== undefined && method !== 'GET' ? { raw } : {}), check: false });
      expect(res.status, `seed ${seed}: ${method} ${path}${query} as ${as}: ${raw ?? JSON.stringify(body)?.slice(0, 200)}`).toBeLessThan(500);
      if (res.status >= 400) expect(CHANNELS_ERROR_CODES, `seed ${seed}: ${method} ${path}`).toContain(res.body.error.code);
    }
    // Nothing the fuzz did broke the account.
    expect((await call('GET', `/articles/${article}`, 'ann')).status).toBe(200);
  });

  it('has seen every documented operation succeed and fail', () => {
    const missing: string[] = [];
    for (const [template, methods] of Object.entries(document.paths)) {
      for (const method of Object.keys(methods)) {
        const statuses = [...(seen.get(`${method.toUpperCase()} ${template}`) ?? [])];
        if (!statuses.some((s) => s < 300)) missing.push(`${method.toUpperCase()} ${template}: no success`);
        if (!statuses.some((s) => s >= 400)) missing.push(`${method.toUpperCase()} ${template}: no failure`);
      }
    }
    expect(missing).toEqual([]);
  });
});
