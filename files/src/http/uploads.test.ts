/**
 * Uploads and downloads end to end over HTTP (tus client ↔ the files routes
 * ↔ Files on a real database and the local disk): pause and resume, nothing
 * in clear at rest at any point, Range, signed links, access, the limits.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { foundAtRest, pgDumpSchema, tempDir, testEngines, useTestDatabase } from '@muster/db/testing';
import { as, asAdmin, TusClient, useFilesApp } from '../testing/index.ts';

const engines = await testEngines('the PostgreSQL files upload tests (files/src/http/uploads.test.ts)');
const sha = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');
const uid = () => `u${crypto.randomBytes(6).toString('hex')}`;

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe.each(engines)('uploads and downloads (%s)', (engine) => {
  const testDb = useTestDatabase(engine);
  const setUp = useFilesApp(testDb);

  it('pauses at 50 %, resumes from HEAD, holds no plaintext at rest before or after, and downloads the same bytes', async () => {
    const tmp = tempDir('muster-files-tmp-');
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const { dataDir, url, files } = await setUp();
      const marker = `MARKER-${crypto.randomBytes(6).toString('hex')}`;
      const nameMarker = `secret-name-${crypto.randomBytes(4).toString('hex')}`;
      const content = Buffer.concat(Array.from({ length: 2000 }, (_, i) => Buffer.from(`${marker} line ${i}\n`)));
      const ann = new TusClient(url, as('ann'));
      const id = await ann.start(content.length, { filename: `${nameMarker}.txt`, filetype: 'text/plain' });
      expect(id).toMatch(/^fl[A-Za-z0-9_-]{16,40}$/);
      const half = Math.floor(content.length / 2) + 7; // not on a cipher block boundary
      expect((await ann.patch(id, 0, content.subarray(0, half))).status).toBe(204);

      const atRest = async () => {
        const stacks: [string, Buffer][] = [...filesUnder(dataDir), ...filesUnder(tmp)].map((f) => [f, fs.readFileSync(f)]);
        if (engine === 'postgres') stacks.push(['pg_dump', await pgDumpSchema(testDb.location.schema!.schema)]);
        return stacks.filter(([, bytes]) => foundAtRest(bytes, marker) || foundAtRest(bytes, nameMarker)).map(([name]) => name);
      };
      expect(await atRest()).toEqual([]);

      const head = await ann.head(id);
      expect(head.status).toBe(200);
      expect(Number(head.headers.get('upload-offset'))).toBe(half);
      expect(head.headers.get('upload-length')).toBe(String(content.length));
      // HEAD gives the metadata back (from the sealed row), though the store never had it.
      expect(head.headers.get('upload-metadata')).toContain(Buffer.from(`${nameMarker}.txt`).toString('base64'));
      // A PATCH at the wrong offset is refused without changing anything.
      expect((await ann.patch(id, half - 1, content.subarray(half - 1))).status).toBe(409);
      expect((await ann.patch(id, half, content.subarray(half))).status).toBe(204);
      expect(await atRest()).toEqual([]);

      const res = await fetch(`${url}/api/v1/files/${id}`, { headers: as('ann') });
      expect(res.status).toBe(200);
      expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(content));
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('private');
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${nameMarker}.txt"; filename*=UTF-8''${nameMarker}.txt`);
      const view = (await files.views([id])).get(id);
      expect(view).toEqual({ id, name: `${nameMarker}.txt`, size: content.length, mime: 'application/octet-stream', kind: 'other', thumbnail: false });
      // A finished upload: HEAD says done, PATCH takes nothing more.
      expect((await ann.head(id)).headers.get('upload-offset')).toBe(String(content.length));
      expect((await ann.patch(id, content.length, Buffer.from('more'))).status).toBe(400);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('serves ranges (206, suffix, open-ended), 416 for bad ones, and honours If-Range and If-None-Match', async () => {
    const { url } = await setUp();
    const content = crypto.randomBytes(100_003);
    const id = await new TusClient(url, as('ann')).upload(content, { filename: 'data.bin' }, 40_000);
    const get = (headers: Record<string, string>) => fetch(`${url}/api/v1/files/${id}`, { headers: { ...as('ann'), ...headers } });
    const part = await get({ range: 'bytes=17-50000' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 17-50000/${content.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(content.subarray(17, 50_001))).toBe(true);
    const tail = await get({ range: 'bytes=-33' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(content.subarray(content.length - 33))).toBe(true);
    const open = await get({ range: 'bytes=99999-' });
    expect(Buffer.from(await open.arrayBuffer()).equals(content.subarray(99_999))).toBe(true);
    for (const bad of ['bytes=200000-', 'bytes=50-10', 'bytes=abc', 'bytes=-0']) {
      const res = await get({ range: bad });
      expect(res.status, bad).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${content.length}`);
      // The error is JSON and says so (not the file's type, set before the range was found wanting).
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await res.json()).error.code).toBe('RANGE_NOT_SATISFIABLE');
    }
    // Another unit is ignored: the whole file.
    expect((await get({ range: 'items=1-2' })).status).toBe(200);
    const etag = part.headers.get('etag')!;
    expect((await get({ range: 'bytes=0-9', 'if-range': etag })).status).toBe(206);
    expect((await get({ range: 'bytes=0-9', 'if-range': '"other"' })).status).toBe(200);
    expect((await get({ 'if-none-match': etag })).status).toBe(304);
  });

  it('keeps every upload to its owner: another person, or nobody, gets 404 / 401 on HEAD, PATCH, DELETE and the download', async () => {
    const { url, files } = await setUp();
    const ann = new TusClient(url, as('ann'));
    const bob = new TusClient(url, as('bob'));
    const id = await ann.start(10, { filename: 'a.txt' });
    expect((await bob.head(id)).status).toBe(404);
    expect((await bob.patch(id, 0, Buffer.from('0123456789'))).status).toBe(404);
    expect((await bob.delete(id)).status).toBe(404);
    expect((await new TusClient(url, {}).head(id)).status).toBe(401);
    expect((await new TusClient(url, {}).create({ length: 3, metadata: { filename: 'x' } })).status).toBe(401);
    expect((await ann.patch(id, 0, Buffer.from('0123456789'))).status).toBe(204);
    expect((await fetch(`${url}/api/v1/files/${id}`, { headers: as('bob') })).status).toBe(404);
    const missing = await fetch(`${url}/api/v1/files/fl${'x'.repeat(24)}`, { headers: as('bob') });
    const notYours = await fetch(`${url}/api/v1/files/${id}`, { headers: as('bob') });
    // Not readable and not there answer alike.
    expect(await notYours.json()).toEqual(await missing.json());
    expect((await fetch(`${url}/api/v1/files/${id}`)).status).toBe(401);
    // Once a resolver says bob may (he is in the conversation it was sent to), he reads it.
    files.useReaders(async (fileId, accountId) => fileId === id && accountId === 'bob');
    expect((await fetch(`${url}/api/v1/files/${id}`, { headers: as('bob') })).status).toBe(200);
    expect(await files.canRead(id, 'bob')).toBe(true);
    expect(await files.canRead(id, 'cat')).toBe(false);
  });

  it('lets the owner cancel an unfinished upload (tus termination), not a finished one', async () => {
    const { url, dataDir } = await setUp();
    const ann = new TusClient(url, as('ann'));
    const id = await ann.start(10, { filename: 'a.txt' });
    await ann.patch(id, 0, Buffer.from('01234'));
    expect((await ann.delete(id)).status).toBe(204);
    expect((await ann.head(id)).status).toBe(404);
    expect(filesUnder(path.join(dataDir, 'files')).filter((f) => f.includes(id))).toEqual([]);
    const done = await ann.upload(Buffer.from('all of it'), { filename: 'b.txt' });
    expect((await ann.delete(done)).status).toBe(400);
    expect((await fetch(`${url}/api/v1/files/${done}`, { headers: as('ann') })).status).toBe(200);
  });

  it('refuses an Upload-Length over the limit at creation (413, nothing stored), and a deferred length past it', async () => {
    const { url, dataDir } = await setUp({ maxUploadBytes: 1000 });
    const ann = new TusClient(url, as('ann'));
    const over = await ann.create({ length: 1001, metadata: { filename: 'big.bin' } });
    expect(over.status).toBe(413);
    expect(JSON.parse(over.text).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(filesUnder(path.join(dataDir, 'files'))).toEqual([]);
    expect((await ann.create({ length: 1000, metadata: { filename: 'ok.bin' } })).status).toBe(201);
    // The console lowers it; the ceiling cannot be raised from there.
    const admin = { ...asAdmin('boss'), 'content-type': 'application/json' };
    const put = await fetch(`${url}/api/v1/admin/files/settings`, { method: 'PUT', headers: admin, body: JSON.stringify({ maxUploadBytes: 500 }) });
    expect(await put.json()).toEqual({ maxUploadBytes: 500, retentionDays: null, blockedTypes: [], ceilingBytes: 1000 });
    expect((await ann.create({ length: 501, metadata: { filename: 'big.bin' } })).status).toBe(413);
    expect((await fetch(`${url}/api/v1/admin/files/settings`, { method: 'PUT', headers: admin, body: JSON.stringify({ maxUploadBytes: 2000 }) })).status).toBe(400);
    // Deferred length: declared later over the limit, or just sent past it.
    const deferred = await ann.start(undefined, { filename: 'stream.bin' });
    expect((await ann.patch(deferred, 0, Buffer.alloc(100), { 'upload-length': '600' })).status).toBe(413);
    const sneaky = await ann.start(undefined, { filename: 'stream.bin' });
    const past = await ann.patch(sneaky, 0, Buffer.alloc(700));
    expect(past.status).toBe(413);
    expect(Number((await ann.head(sneaky)).headers.get('upload-offset'))).toBeLessThanOrEqual(500);
  });

  it('checks Upload-Metadata: a filename is required; a conversation must pass the upload check', async () => {
    const { url, files } = await setUp();
    const ann = new TusClient(url, as('ann'));
    expect((await ann.create({ length: 3 })).status).toBe(400);
    expect((await ann.create({ length: 3, metadata: { filename: '  ' } })).status).toBe(400);
    expect((await ann.create({ length: 3, rawMetadata: 'filename ***' })).status).toBe(400);
    files.useUploadCheck(async (accountId, conversationId) => accountId === 'ann' && conversationId === 'cvmine12345');
    expect((await ann.create({ length: 3, metadata: { filename: 'a', conversationId: 'cvmine12345' } })).status).toBe(201);
    expect((await ann.create({ length: 3, metadata: { filename: 'a', conversationId: 'cvtheirs1234' } })).status).toBe(404);
    expect((await ann.create({ length: 3, metadata: { filename: 'a', conversationId: '../etc' } })).status).toBe(404);
  });

  it('processes a finished upload: images inline with a thumbnail; blocked types refused and deleted; failures stored as plain files', async () => {
    const { url, dataDir, files } = await setUp();
    const ann = new TusClient(url, as('ann'));
    const image = await ann.upload(Buffer.from('not really a png'), { filename: 'photo.png', filetype: 'image/png' });
    expect(await files.attachable(image, 'ann', 'upload')).toEqual({ id: image, name: 'photo.png', size: 16, mime: 'image/png', kind: 'image', width: 4, height: 3, thumbnail: true });
    expect(await files.attachable(image, 'bob', 'upload')).toBeUndefined();
    const shown = await fetch(`${url}/api/v1/files/${image}`, { headers: as('ann') });
    expect(shown.headers.get('content-type')).toBe('image/png');
    expect(shown.headers.get('content-disposition')).toMatch(/^inline; /);
    expect((await fetch(`${url}/api/v1/files/${image}?download=1`, { headers: as('ann') })).headers.get('content-disposition')).toMatch(/^attachment; /);
    const thumb = await fetch(`${url}/api/v1/files/${image}/thumbnail`, { headers: as('ann') });
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect(Buffer.from(await thumb.arrayBuffer()).toString()).toBe('thumbnail-bytes');
    // The thumbnail is at rest encrypted too.
    for (const file of filesUnder(path.join(dataDir, 'files'))) expect(fs.readFileSync(file).includes('thumbnail-bytes'), file).toBe(false);

    const id = await ann.start(5, { filename: 'evil.blocked' });
    const refused = await ann.patch(id, 0, Buffer.from('MZ...'));
    expect(refused.status).toBe(415);
    expect(JSON.parse(refused.text).error.code).toBe('FILE_TYPE_BLOCKED');
    expect(filesUnder(path.join(dataDir, 'files')).filter((f) => f.includes(id))).toEqual([]);
    expect(await files.views([id])).toEqual(new Map());

    const broken = await ann.upload(Buffer.from('whatever'), { filename: 'x.broken' });
    expect((await files.views([broken])).get(broken)).toMatchObject({ kind: 'other', mime: 'application/octet-stream' });

    // A GPS-stripped replacement is served instead of the original.
    const gps = await ann.upload(Buffer.from('original with GPS position'), { filename: 'trip.gps.jpg' });
    const served = await fetch(`${url}/api/v1/files/${gps}`, { headers: as('ann') });
    expect(Buffer.from(await served.arrayBuffer()).toString()).toBe('stripped image');
    expect((await files.views([gps])).get(gps)!.size).toBe('stripped image'.length);
  });

  it('blocks by the name or the declared type before any byte, as the console says', async () => {
    const { url } = await setUp();
    const admin = { ...asAdmin('boss'), 'content-type': 'application/json' };
    const put = await fetch(`${url}/api/v1/admin/files/settings`, { method: 'PUT', headers: admin, body: JSON.stringify({ blockedTypes: ['EXE', '.bat', 'application/x-msdownload'], retentionDays: 30 }) });
    expect(await put.json()).toEqual({ maxUploadBytes: 1_073_741_824, retentionDays: 30, blockedTypes: ['exe', 'bat', 'application/x-msdownload'], ceilingBytes: 1_073_741_824 });
    const ann = new TusClient(url, as('ann'));
    for (const metadata of [{ filename: 'setup.exe' }, { filename: 'run.BAT' }, { filename: 'fine.txt', filetype: 'application/x-msdownload' }] as Record<string, string>[]) {
      const reply = await ann.create({ length: 3, metadata });
      expect(reply.status, JSON.stringify(metadata)).toBe(415);
      expect(JSON.parse(reply.text).error.code).toBe('FILE_TYPE_BLOCKED');
    }
    expect((await ann.create({ length: 3, metadata: { filename: 'fine.txt' } })).status).toBe(201);
    // The console's routes: an elevated admin only.
    expect((await fetch(`${url}/api/v1/admin/files/settings`, { headers: as('ann') })).status).toBe(404);
    expect((await fetch(`${url}/api/v1/admin/files/settings`, { headers: { authorization: 'Bearer admin-plain:boss' } })).status).toBe(403);
    expect((await fetch(`${url}/api/v1/admin/files/settings`, { method: 'PUT', headers: admin, body: JSON.stringify({ blockedTypes: ['not a type!'] }) })).status).toBe(400);
  });

  it('issues signed links for readable files only; a link is for one file, one variant, one person, five minutes', async () => {
    let now = Date.now();
    const { url, files } = await setUp({ now: () => now });
    const ann = new TusClient(url, as('ann'));
    const image = await ann.upload(Buffer.from('pixels'), { filename: 'p.png' });
    const doc = await ann.upload(Buffer.from('document body'), { filename: 'd.txt' });
    const bobs = await new TusClient(url, as('bob')).upload(Buffer.from('bob only'), { filename: 'b.txt' });
    const post = (body: unknown, who: Record<string, string> = as('ann')) => fetch(`${url}/api/v1/files/links`, { method: 'POST', headers: { ...who, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const reply = await post({ fileIds: [image, doc, bobs, 'nonsense'] });
    expect(reply.status).toBe(200);
    const { links } = (await reply.json()) as { links: { fileId: string; url: string; thumbnailUrl?: string; expiresAt: number }[] };
    expect(links.map((l) => l.fileId)).toEqual([image, doc]);
    expect(links[0]!.thumbnailUrl).toBeDefined();
    expect(links[1]!.thumbnailUrl).toBeUndefined();
    expect(links[0]!.expiresAt).toBeLessThanOrEqual(now + 5 * 60_000);
    const viaLink = await fetch(`${url}${links[1]!.url}`);
    expect(viaLink.status).toBe(200);
    expect(await viaLink.text()).toBe('document body');
    expect((await fetch(`${url}${links[0]!.thumbnailUrl}`)).status).toBe(200);
    // The file link does not open the thumbnail, nor another file.
    const sig = new URL(links[0]!.url, url).searchParams.get('sig')!;
    expect((await fetch(`${url}/api/v1/files/${image}/thumbnail?sig=${encodeURIComponent(sig)}`)).status).toBe(401);
    expect((await fetch(`${url}/api/v1/files/${doc}?sig=${encodeURIComponent(sig)}`)).status).toBe(401);
    expect((await fetch(`${url}/api/v1/files/${image}?sig=${encodeURIComponent(sig.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))}`)).status).toBe(401);
    // Access is checked on every request: a link of someone who can no longer read it is 404.
    const forged = files.signLink(image, 'cat', 'file');
    expect((await fetch(`${url}${forged.url}`)).status).toBe(404);
    now += 5 * 60_000 + 1;
    expect((await fetch(`${url}${links[1]!.url}`)).status).toBe(401);
    expect((await post({ fileIds: [] })).status).toBe(400);
    expect((await post({ fileIds: [image] }, {})).status).toBe(401);
  });

  it('answers 410 FILE_EXPIRED once retention deleted a file; its view says expired', async () => {
    let now = Date.now();
    const { url, files } = await setUp({ now: () => now });
    const ann = new TusClient(url, as('ann'));
    const id = await ann.upload(Buffer.from('old news'), { filename: 'old.txt' });
    await files.referenced([id], now);
    await files.retention.updateSettings('boss', { retentionDays: 1 });
    now += 2 * 24 * 60 * 60_000;
    expect(await files.retention.sweep()).toEqual({ deleted: 0, expired: 1 });
    const res = await fetch(`${url}/api/v1/files/${id}`, { headers: as('ann') });
    expect(res.status).toBe(410);
    expect((await res.json()).error.code).toBe('FILE_EXPIRED');
    // Not readable (bob) stays 404, expired or not.
    expect((await fetch(`${url}/api/v1/files/${id}`, { headers: as('bob') })).status).toBe(404);
    expect(await files.attachable(id, 'ann', 'upload')).toMatchObject({ id, name: 'old.txt', expired: true, thumbnail: false });
    expect((await files.views([id])).get(id)!.expired).toBe(true);
  });

  it('keeps a person\'s cache period (7 days by default)', async () => {
    const { url } = await setUp();
    const me = (init: RequestInit = {}) => fetch(`${url}/api/v1/me/files/settings`, { ...init, headers: { ...as('ann'), 'content-type': 'application/json' } });
    expect(await (await me()).json()).toEqual({ cacheDays: 7 });
    expect(await (await me({ method: 'PUT', body: JSON.stringify({ cacheDays: null }) })).json()).toEqual({ cacheDays: null });
    expect(await (await me()).json()).toEqual({ cacheDays: null });
    expect((await me({ method: 'PUT', body: JSON.stringify({ cacheDays: 3 }) })).status).toBe(400);
    expect((await fetch(`${url}/api/v1/me/files/settings`)).status).toBe(401);
  });

  it('stores server-made files like uploads, and reads them back', async () => {
    const { files } = await setUp();
    const owner = uid();
    const view = await files.store(owner, '会议纪要.txt', Buffer.from('minutes'), { mime: 'text/plain' });
    expect(view).toMatchObject({ name: '会议纪要.txt', size: 7, kind: 'other' });
    const chunks: Buffer[] = [];
    for await (const chunk of await files.read(view.id)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('minutes');
    const ranged: Buffer[] = [];
    for await (const chunk of await files.read(view.id, { start: 2, end: 4 })) ranged.push(chunk as Buffer);
    expect(Buffer.concat(ranged).toString()).toBe('nut');
    await expect(files.store(owner, 'x.blocked', Buffer.from('MZ'))).rejects.toMatchObject({ code: 'FILE_TYPE_BLOCKED' });
  });
});
