/**
 * The rich-media mix (issue 17's benchmark): its flags, the seeded draws,
 * the real payloads (JPEGs by sharp, WebM/Opus by ffmpeg), the tus upload
 * against a bare tus server, and one short real run against a Muster
 * server it starts, whose report has the media fields and shows media
 * persisted and delivered. No timing is asserted.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_MIX, drawIn, mediaClientMsgId, nearest, parseMediaClientMsgId, parseRange, pickType, seededRandom, spread, type MsgType } from './media.ts';
import { makePayloads } from './mediaPayloads.ts';
import { threadGroup } from './mediaStats.ts';
import { parseChatArgs } from './options.ts';
import { fileIdOfLocation, tusUpload, UploadFailed } from './tusUpload.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

describe('the rich-media mix', () => {
  it('parses --media-mix with the customer defaults, the test-only sizes, and refusals', () => {
    const parsed = parseChatArgs(['--scenario', 'chat', '--media-mix', '--rate', '50']);
    expect(parsed).toMatchObject({
      ok: true,
      options: {
        rate: 50,
        media: {
          mix: { text: 0.6, image: 0.2, voice: 0.15, file: 0.05 },
          sizes: { imageBytes: { min: 200_000, max: 2_000_000 }, voiceSeconds: { min: 5, max: 59.5 }, fileBytes: { min: 1_000_000, max: 20_000_000 } },
          seed: 1,
          uploadsInFlight: 24,
          chunkBytes: 4 * 2 ** 20,
        },
      },
    });
    const plain = parseChatArgs(['--scenario', 'chat']);
    expect(plain.ok && plain.options.media).toBeUndefined();
    const small = parseChatArgs(['--scenario', 'chat', '--media-mix', '--image-bytes', '1000-2000', '--voice-seconds', '1-2', '--file-bytes', '500', '--seed', '7', '--chunk-mb', '0.5']);
    expect(small).toMatchObject({ ok: true, options: { media: { sizes: { imageBytes: { min: 1000, max: 2000 }, voiceSeconds: { min: 1, max: 2 }, fileBytes: { min: 500, max: 500 } }, seed: 7, chunkBytes: 2 ** 19 } } });
    for (const argv of [
      ['--scenario', 'chat', '--image-bytes', '1000-2000'],
      ['--scenario', 'chat', '--media-mix', '--image-bytes', '2000-1000'],
      ['--scenario', 'chat', '--media-mix', '--voice-seconds', '5-61'],
      ['--scenario', 'chat', '--media-mix', '--file-bytes', 'big'],
      ['--scenario', 'chat', '--media-mix', '--uploads-in-flight', '0'],
    ])
      expect(parseChatArgs(argv).ok, argv.join(' ')).toBe(false);
    expect(parseChatArgs(['--scenario', 'chat', '--media-mix', '--mix', 'file=1'])).toMatchObject({ ok: true, options: { media: { mix: { text: 0, image: 0, voice: 0, file: 1 } } } });
    expect(parseChatArgs(['--scenario', 'chat', '--media-mix', '--mix', 'image=1,voice=3'])).toMatchObject({ ok: true, options: { media: { mix: { text: 0, image: 0.25, voice: 0.75, file: 0 } } } });
    expect(parseChatArgs(['--scenario', 'chat', '--media-mix', '--mix', 'video=1']).ok).toBe(false);
    expect(parseChatArgs(['--scenario', 'chat', '--mix', 'file=1']).ok).toBe(false);
    expect(parseRange('5')).toEqual({ min: 5, max: 5 });
    expect(parseRange('0-3')).toBeNull();
  });

  it('draws the mix and the sizes from a seed: the same sequence twice, the shares and ranges as stated', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(seededRandom(43)()).not.toBe(first[0]);
    const random = seededRandom(1);
    const counts: Record<MsgType, number> = { text: 0, image: 0, voice: 0, file: 0 };
    const N = 40_000;
    for (let i = 0; i < N; i++) counts[pickType(CUSTOMER_MIX, random())]++;
    for (const t of Object.keys(counts) as MsgType[]) expect(Math.abs(counts[t] / N - CUSTOMER_MIX[t])).toBeLessThan(0.01);
    const range = { min: 200_000, max: 2_000_000 };
    const sizes = Array.from({ length: 10_000 }, () => drawIn(range, random()));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(range.min);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(range.max);
    // Uniform: each tenth of the range gets about a tenth.
    for (let k = 0; k < 10; k++) {
      const inBin = sizes.filter((s) => s >= range.min + k * 180_000 && s < range.min + (k + 1) * 180_000).length;
      expect(Math.abs(inBin / sizes.length - 0.1)).toBeLessThan(0.02);
    }
    expect(spread({ min: 5, max: 60 }, 12)).toHaveLength(12);
    expect(spread({ min: 5, max: 60 }, 12)[11]).toBe(60);
    expect(nearest([10, 20, 30], 24)).toBe(1);
  });

  it('writes the send and upload-start times into a client message id any receiver can read', () => {
    const sent = 1_780_000_000_123.456;
    // Counters and times whose base-36 digits include every letter.
    const id = mediaClientMsgId(4_194_304, 36 ** 5 - 1, sent, sent - 2500.5);
    expect(parseMediaClientMsgId(mediaClientMsgId(1, 28 * 36 + 30, sent, sent))).toEqual({ sentAtMs: sent, uploadStartMs: sent });
    expect(id.length).toBeLessThanOrEqual(64);
    expect(id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    const times = parseMediaClientMsgId(id)!;
    expect(times.sentAtMs).toBeCloseTo(sent, 3);
    expect(times.uploadStartMs).toBeCloseTo(sent - 2500.5, 3);
    expect(parseMediaClientMsgId('lt123x45')).toBeNull();
    expect(parseMediaClientMsgId(undefined)).toBeNull();
    expect(fileIdOfLocation('http://127.0.0.1:1/api/v1/uploads/flAbCdEfGhIjKlMnOpQr')).toBe('flAbCdEfGhIjKlMnOpQr');
    expect(fileIdOfLocation('/api/v1/uploads/nope')).toBeNull();
    expect(threadGroup('vips-3')).toBe('vips');
    expect(threadGroup('V8 DefaultWorke')).toBe('V8 DefaultWorke');
  });

  it('makes real JPEGs and WebM/Opus clips at the drawn sizes, once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-media-payloads-'));
    try {
      const sizes = { imageBytes: { min: 30_000, max: 120_000 }, voiceSeconds: { min: 1, max: 3 }, fileBytes: { min: 1000, max: 2000 } };
      const manifest = await makePayloads(sizes, { dir });
      expect(manifest.images).toHaveLength(8);
      expect(manifest.voices).toHaveLength(12);
      for (const [i, image] of manifest.images.entries()) {
        const data = fs.readFileSync(image.path);
        expect(data.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
        const meta = await sharp(data).metadata();
        expect(meta).toMatchObject({ format: 'jpeg', width: image.width, height: image.height });
        const target = spread(sizes.imageBytes, 8)[i]!;
        expect(Math.abs(image.bytes - target) / target).toBeLessThan(0.15);
      }
      for (const voice of [manifest.voices[0]!, manifest.voices[11]!]) {
        const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name,duration:stream=codec_name', '-of', 'json', voice.path]);
        const probe = JSON.parse(stdout) as { format: { format_name: string; duration: string }; streams: { codec_name: string }[] };
        expect(probe.streams[0]!.codec_name).toBe('opus');
        expect(probe.format.format_name).toContain('webm');
        expect(Math.abs(Number(probe.format.duration) - voice.seconds)).toBeLessThan(0.1);
      }
      // The second call finds them in the cache.
      const again = await makePayloads(sizes, { dir });
      expect(again).toEqual(manifest);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  describe('tus uploads (against a bare tus server)', () => {
    let server: http.Server;
    let url = '';
    let dir = '';
    const seen: { method: string; authorization?: string; metadata?: string; length?: string; forwarded?: string }[] = [];
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-tus-'));
      let n = 0;
      const tus = new TusServer({
        path: '/api/v1/uploads',
        datastore: new FileStore({ directory: dir }),
        namingFunction: () => `flTestUpload${String(n++).padStart(8, '0')}`,
      });
      server = http.createServer((req, res) => {
        seen.push({
          method: req.method!,
          authorization: req.headers.authorization,
          metadata: req.headers['upload-metadata'] as string | undefined,
          length: req.headers['upload-length'] as string | undefined,
          forwarded: req.headers['x-forwarded-for'] as string | undefined,
        });
        if (req.headers.authorization !== 'Bearer good') {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'sign in' } }));
          return;
        }
        void tus.handle(req, res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('creates with Upload-Length and metadata, PATCHes in chunks with the Bearer token, and names the file id', async () => {
      const data = Buffer.alloc(2_500_000, 7);
      const done = await tusUpload({ url, accessToken: 'good', data, filename: 'photo.jpg', filetype: 'image/jpeg', conversationId: 'cvAbCdEfGh12', chunkSize: 1 << 20, address: '10.0.0.9' });
      expect(done.fileId).toBe('flTestUpload00000000');
      expect(done.bytes).toBe(data.length);
      expect(done.startedAt).toBeLessThanOrEqual(done.firstByteAt);
      expect(done.firstByteAt).toBeLessThanOrEqual(done.doneAt);
      expect(fs.readFileSync(path.join(dir, done.fileId)).equals(data)).toBe(true);
      const post = seen.find((r) => r.method === 'POST')!;
      expect(post.length).toBe(String(data.length));
      const metadata = Object.fromEntries(post.metadata!.split(',').map((kv) => kv.split(' ')).map(([k, v]) => [k, Buffer.from(v!, 'base64').toString()]));
      expect(metadata).toMatchObject({ filename: 'photo.jpg', conversationId: 'cvAbCdEfGh12' });
      expect(seen.filter((r) => r.method === 'PATCH')).toHaveLength(3);
      expect(seen.every((r) => r.authorization === 'Bearer good' && r.forwarded === '10.0.0.9')).toBe(true);
    });

    it('reports a refusal by the server error code', async () => {
      const failed = await tusUpload({ url, accessToken: 'bad', data: Buffer.alloc(10), filename: 'f.bin', filetype: 'application/octet-stream', conversationId: 'cvAbCdEfGh12', chunkSize: 1 << 20 }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(UploadFailed);
      expect((failed as UploadFailed).code).toBe('UNAUTHORIZED');
      const refused = await tusUpload({ url: 'http://127.0.0.1:1', accessToken: 'good', data: Buffer.alloc(10), filename: 'f.bin', filetype: 'application/octet-stream', conversationId: 'cvAbCdEfGh12', chunkSize: 1 << 20 }).catch((e: unknown) => e);
      expect((refused as UploadFailed).code).toBe('ECONNREFUSED');
    });
  });

  it('runs a short media mix against a server it starts: media persisted and delivered, every field reported', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-media-lt-'));
    const json = path.join(dir, 'media.json');
    const md = path.join(dir, 'media.md');
    try {
      await run(
        'npm',
        [
          'run', 'loadtest', '--', '--scenario', 'chat', '--media-mix', '--users', '8', '--groups', '1', '--group-size', '4', '--rate', '20', '--duration', '3',
          '--bot-processes', '1', '--uploads-in-flight', '1000', '--image-bytes', '20000-60000', '--voice-seconds', '1-3', '--file-bytes', '5000-50000', '--json', json, '--md', md,
        ],
        { cwd: REPO, timeout: 200_000, maxBuffer: 64 * 2 ** 20 },
      );
      const report = JSON.parse(fs.readFileSync(json, 'utf8'));
      expect(report.options.mediaMix).toBe(true);
      expect(report.bots).toMatchObject({ requested: 8, connected: 8, failed: 0 });
      const m = report.media;
      // Every type was stored and reached the other members' sockets, nothing refused.
      for (const t of ['text', 'image', 'voice', 'file']) {
        expect(m.totals.persisted[t], t).toBeGreaterThan(0);
        expect(m.totals.failed[t], t).toBe(0);
        expect(m.totals.received[t], t).toBe(m.totals.expected[t]);
        expect(m.totals.expected[t], t).toBeGreaterThan(0);
      }
      expect(m.errors).toEqual({});
      expect(m.totals.richDeliveredRatio).toBe(1);
      expect(m.perSec.persisted.rich).toBeGreaterThan(0);
      expect(m.perSec.delivered.rich).toBeGreaterThan(0);
      expect(m.upload.finished).toBeGreaterThan(0);
      expect(m.upload.failed).toBe(0);
      expect(m.upload.mbPerSec).toBeGreaterThan(0);
      for (const p of ['p50', 'p95']) expect(m.upload.latencyMs[p]).toBeGreaterThan(0);
      for (const t of ['image', 'voice']) {
        for (const p of ['p50', 'p95', 'p99']) expect(m.latencyMs[t][p], `${t} ${p}`).toBeGreaterThan(0);
        expect(m.endToEndMs[t].p50).toBeGreaterThanOrEqual(m.latencyMs[t].p50);
      }
      expect(m.latencyMs.text.count).toBeGreaterThan(0);
      expect(m.server.threads.length).toBeGreaterThan(0);
      expect(m.server).toHaveProperty('childrenCpuPct');
      expect(m.server).toHaveProperty('writeMBPerSec');
      expect(m.payloads.images).toHaveLength(8);
      const markdown = fs.readFileSync(md, 'utf8');
      expect(markdown).toContain('## Rich media (issue 17)');
      expect(markdown).toContain('upload throughput');
      expect(markdown).toContain('send → deliver');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
