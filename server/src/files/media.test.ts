/**
 * Media messages through a whole server, with the real processing (sharp,
 * ffmpeg) and real access tokens: Ann uploads over tus for her chat with
 * Ben, sends each file as a message; Ben reads them with his token and
 * through signed links; Eve, outside the chat, finds nothing. The download
 * headers as the full stack (helmet in front) sends them, a forward that
 * re-uses the stored file, a recall that takes it away, and retention
 * (set through the console) that expires old files while a recent
 * forward keeps its file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionReply } from '@muster/accounts';
import { DAY_MS } from '@muster/files';
import { ffmpegFile, ffmpegPiped, scratchDir, sine, testsrc, TusClient } from '@muster/files/testing';
import type { ImConfig } from '../config.ts';
import { imPeople } from '../im/testing/people.ts';
import { startTestServer } from '../testing/index.ts';

const OPUS = ['-c:a', 'libopus', '-b:a', '32k'];
const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
const sha = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('media messages through a whole server (real processing, real tokens)', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  // IM's clock (message times, so file references) runs `skew` ms ahead of the real one; the files sweep is given its time.
  let skew = 0;
  const im: ImConfig & { now: () => number } = { now: () => Date.now() + skew };
  const { api, signup, befriend, closeAll } = imPeople(() => server);
  let ann: SessionReply, ben: SessionReply, eve: SessionReply;
  let annBen: string, annEve: string;
  const media = {} as Record<'jpeg' | 'voice' | 'longVoice' | 'video' | 'bin' | 'fakePdf', Buffer>;
  /** file ids by fixture, and the messages that carry them in Ann's chat with Ben. */
  const ids = {} as Record<keyof typeof media, string>;
  const sent = {} as Record<string, { id: string; seq: number }>;

  const bearer = (who: SessionReply) => ({ authorization: `Bearer ${who.accessToken}` });
  const get = (url: string, headers: Record<string, string> = {}) => fetch(`${server.url}${url}`, { headers });
  const download = (id: string, who: SessionReply | undefined, headers: Record<string, string> = {}, query = '') =>
    get(`/api/v1/files/${id}${query}`, { ...(who ? bearer(who) : {}), ...headers });
  const links = async (who: SessionReply, fileIds: string[]) => {
    const reply = await api('POST', '/files/links', who.accessToken, { fileIds });
    expect(reply.status).toBe(200);
    return reply.body.links as { fileId: string; url: string; thumbnailUrl?: string; expiresAt: number }[];
  };
  const messageIn = async (who: SessionReply, conversationId: string, messageId: string) => {
    const page = await api('GET', `/conversations/${conversationId}/messages?afterSeq=0&limit=200`, who.accessToken);
    expect(page.status).toBe(200);
    return (page.body as { id: string; file?: Record<string, unknown> }[]).find((m) => m.id === messageId);
  };
  const send = (who: SessionReply, conversationId: string, clientMsgId: string, type: string, fileId: string) =>
    api('POST', `/conversations/${conversationId}/messages`, who.accessToken, { clientMsgId, type, fileId });
  const storedFiles = () => filesUnder(path.join(server.dataDir, 'files')).length;

  beforeAll(async () => {
    server = await startTestServer({ im });
    ann = await signup('+8613900006101', 'Ann');
    ben = await signup('+8613900006102', 'Ben');
    eve = await signup('+8613900006103', 'Eve');
    await befriend(ann, ben);
    await befriend(ann, eve);
    annBen = (await api('POST', '/conversations', ann.accessToken, { userId: ben.user.id })).body.id;
    annEve = (await api('POST', '/conversations', ann.accessToken, { userId: eve.user.id })).body.id;
    expect([annBen, annEve]).toEqual([expect.stringMatching(/^cv/), expect.stringMatching(/^cv/)]);

    const scratch = await scratchDir();
    try {
      media.jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#4a8' } }).jpeg({ quality: 80 }).toBuffer();
      // As a browser's MediaRecorder writes it: WebM/Opus to a pipe, no duration in the header.
      media.voice = await ffmpegPiped('webm', [...sine(3), ...OPUS]);
      media.longVoice = await ffmpegPiped('webm', [...sine(61), ...OPUS]);
      media.video = await ffmpegFile(scratch.dir, 'clip.mp4', [...testsrc(2, '320x240'), ...H264]);
      media.bin = crypto.randomBytes(20_000);
      media.fakePdf = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#37a' } }).png().toBuffer();
    } finally {
      await scratch.remove();
    }
    const tus = new TusClient(server.url, bearer(ann));
    const upload = (bytes: Buffer, filename: string, filetype?: string) => tus.upload(bytes, { filename, conversationId: annBen, ...(filetype ? { filetype } : {}) }, 64 * 1024);
    ids.jpeg = await upload(media.jpeg, 'photo.jpg', 'image/jpeg');
    ids.voice = await upload(media.voice, 'voice.webm', 'audio/webm');
    ids.longVoice = await upload(media.longVoice, 'long.webm', 'audio/webm');
    ids.video = await upload(media.video, 'clip.mp4', 'video/mp4');
    ids.bin = await upload(media.bin, 'data.bin');
    ids.fakePdf = await upload(media.fakePdf, 'scan.pdf', 'application/pdf');
  }, 180_000);
  afterAll(closeAll);

  it('sends each file as its message type, with what the server measured from its bytes', async () => {
    const image = await send(ann, annBen, 'ann-media-image', 'image', ids.jpeg);
    expect(image.status).toBe(201);
    sent.image = image.body;
    const voice = await send(ann, annBen, 'ann-media-voice', 'voice', ids.voice);
    expect(voice.status).toBe(201);
    sent.voice = voice.body;
    const tooLong = await send(ann, annBen, 'ann-media-voice-long', 'voice', ids.longVoice);
    expect([tooLong.status, tooLong.body.error.code]).toEqual([400, 'VOICE_TOO_LONG']);
    const video = await send(ann, annBen, 'ann-media-video', 'video', ids.video);
    expect(video.status).toBe(201);
    sent.video = video.body;
    const file = await send(ann, annBen, 'ann-media-file', 'file', ids.bin);
    expect(file.status).toBe(201);
    sent.file = file.body;
    // Named .pdf and declared application/pdf, but a PNG: it goes as the image it is.
    const fake = await send(ann, annBen, 'ann-media-fakepdf', 'image', ids.fakePdf);
    expect(fake.status).toBe(201);
    sent.fakePdf = fake.body;

    // Ben's view of each message.
    const viewed = async (key: string) => (await messageIn(ben, annBen, sent[key]!.id))!.file!;
    expect(await viewed('image')).toMatchObject({ id: ids.jpeg, name: 'photo.jpg', kind: 'image', mime: 'image/jpeg', width: 320, height: 240, thumbnail: true });
    const v = await viewed('voice');
    expect(v).toMatchObject({ id: ids.voice, kind: 'audio', mime: 'audio/webm' });
    expect(v.durationMs).toBeGreaterThanOrEqual(2900);
    expect(v.durationMs).toBeLessThanOrEqual(3100);
    expect(v.waveform).toHaveLength(48);
    expect((v.waveform as number[]).some((bar) => bar > 0)).toBe(true);
    const vid = await viewed('video');
    expect(vid).toMatchObject({ id: ids.video, kind: 'video', mime: 'video/mp4', width: 320, height: 240, thumbnail: true });
    expect(vid.durationMs).toBeGreaterThanOrEqual(1900);
    expect(vid.durationMs).toBeLessThanOrEqual(2100);
    expect(await viewed('file')).toMatchObject({ id: ids.bin, name: 'data.bin', kind: 'other', mime: 'application/octet-stream', thumbnail: false, size: media.bin.length });
    expect(await viewed('fakePdf')).toMatchObject({ id: ids.fakePdf, name: 'scan.pdf', kind: 'image', mime: 'image/png', width: 40, height: 30 });
  });

  it('lets Ben read each file with his token and through signed links (thumbnails too); Eve finds nothing', async () => {
    const exact = { voice: ids.voice, video: ids.video, bin: ids.bin, fakePdf: ids.fakePdf } as const;
    for (const [key, id] of Object.entries(exact)) {
      const res = await download(id, ben);
      expect(res.status, key).toBe(200);
      expect(sha(Buffer.from(await res.arrayBuffer())), key).toBe(sha(media[key as keyof typeof exact]));
    }
    const photo = await download(ids.jpeg, ben);
    expect(photo.status).toBe(200);
    expect((await sharp(Buffer.from(await photo.arrayBuffer())).metadata()).format).toBe('jpeg');
    expect((await download(ids.fakePdf, ben)).headers.get('content-type')).toBe('image/png');

    const issued = await links(ben, [ids.jpeg, ids.voice, ids.video, ids.bin, ids.fakePdf]);
    expect(issued.map((l) => l.fileId)).toEqual([ids.jpeg, ids.voice, ids.video, ids.bin, ids.fakePdf]);
    for (const link of issued) {
      const res = await get(link.url);
      expect(res.status, link.fileId).toBe(200);
      expect(Number(res.headers.get('content-length')), link.fileId).toBeGreaterThan(0);
    }
    // Thumbnails for the image and the video poster (and the PNG); none for the voice or the .bin.
    expect(issued.filter((l) => l.thumbnailUrl).map((l) => l.fileId)).toEqual([ids.jpeg, ids.video, ids.fakePdf]);
    for (const link of issued.filter((l) => l.thumbnailUrl)) {
      const thumb = await get(link.thumbnailUrl!);
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get('content-type')).toMatch(/^image\/(webp|jpeg)$/);
      expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width).toBeGreaterThan(0);
    }
    expect((await get(`/api/v1/files/${ids.jpeg}/thumbnail`, bearer(ben))).status).toBe(200);
    // A link is for its own file and variant only.
    expect((await get(issued[0]!.url.replace(ids.jpeg, ids.bin))).status).toBe(401);

    for (const id of Object.values(ids)) {
      expect((await download(id, eve)).status).toBe(404);
      expect((await get(`/api/v1/files/${id}/thumbnail`, bearer(eve))).status).toBe(404);
    }
    expect(await links(eve, Object.values(ids))).toEqual([]);
    // An upload naming a conversation Eve is not in is refused at creation, as if it did not exist.
    const refused = await new TusClient(server.url, bearer(eve)).create({ length: 10, metadata: { filename: 'x.bin', conversationId: annBen } });
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.text).error.code).toBe('NOT_FOUND');
  });

  it('sends downloads with safe headers through the full stack, without breaking Range', async () => {
    const image = await download(ids.jpeg, ben);
    const file = await download(ids.bin, ben);
    const forced = await download(ids.jpeg, ben, {}, '?download=1');
    expect(image.headers.get('content-disposition')).toBe(`inline; filename="photo.jpg"; filename*=UTF-8''photo.jpg`);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="data\.bin"/);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(forced.headers.get('content-disposition')).toMatch(/^attachment; filename="photo\.jpg"/);
    for (const res of [image, file, forced]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('private');
      // The download's own CSP (nothing in it runs) replaces the app's; helmet's other headers stay.
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain('sandbox');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('permissions-policy')).toContain('geolocation=()');
      await res.arrayBuffer();
    }
    const part = await download(ids.video, ben, { range: 'bytes=100-1099' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${media.video.length}`);
    expect(part.headers.get('content-type')).toBe('video/mp4');
    expect(part.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await part.arrayBuffer()).equals(media.video.subarray(100, 1100))).toBe(true);
    const signed = (await links(ben, [ids.voice]))[0]!;
    const tail = await get(signed.url, { range: 'bytes=-500' });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(media.voice.subarray(media.voice.length - 500))).toBe(true);
  });

  it('forwards the image to Eve without a copy, and a recall takes it away from Ben', async () => {
    const before = storedFiles();
    const forwarded = await api('POST', '/messages/forward', ann.accessToken, { clientMsgId: 'ann-fwd-image', from: annBen, messageIds: [sent.image!.id], to: [annEve], mode: 'single' });
    expect(forwarded.status).toBe(200);
    const copy = forwarded.body.results[0].sent[0] as { id: string };
    expect((await messageIn(eve, annEve, copy.id))!.file).toMatchObject({ id: ids.jpeg, kind: 'image', thumbnail: true });
    expect(storedFiles()).toBe(before);
    const res = await download(ids.jpeg, eve);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
    expect((await links(eve, [ids.jpeg])).map((l) => l.fileId)).toEqual([ids.jpeg]);

    expect((await api('POST', `/conversations/${annBen}/messages/${sent.image!.id}/recall`, ann.accessToken)).status).toBe(200);
    expect((await download(ids.jpeg, ben)).status).toBe(404);
    expect((await get(`/api/v1/files/${ids.jpeg}/thumbnail`, bearer(ben))).status).toBe(404);
    expect(await links(ben, [ids.jpeg])).toEqual([]);
    // Eve's message still carries it.
    expect((await download(ids.jpeg, eve)).status).toBe(200);
  });

  it('expires files past the retention period set in the console (410, shown expired); a file forwarded since survives', async () => {
    const made = await server.accounts.admin.createAdmin('+8613900006109');
    const admin = await api('POST', '/admin/setup', undefined, { token: made.link.split('#')[1]!, password: 'granite-meadow-61', consolePassword: 'second-factor-961' });
    expect(admin.status).toBe(201);
    const elevated = await api('POST', '/admin/elevate', admin.body.accessToken, { consolePassword: 'second-factor-961' });
    expect(elevated.status).toBe(200);
    const set = await api('PUT', '/admin/files/settings', elevated.body.accessToken, { retentionDays: 10 });
    expect(set.status).toBe(200);
    expect(set.body.retentionDays).toBe(10);
    // A plain person cannot.
    expect((await api('PUT', '/admin/files/settings', ann.accessToken, { retentionDays: 1 })).status).toBe(404);

    // Twenty days on (IM's clock), Ann forwards the video to Eve: its newest reference is recent.
    skew = 20 * DAY_MS;
    const forwarded = await api('POST', '/messages/forward', ann.accessToken, { clientMsgId: 'ann-fwd-video', from: annBen, messageIds: [sent.video!.id], to: [annEve], mode: 'single' });
    expect(forwarded.status).toBe(200);
    // Twenty-five days on, the sweeper runs: ten days' retention.
    const report = await server.files.retention.sweep(Date.now() + 25 * DAY_MS);
    // Expired: the .bin, the voice, the PNG and the image (kept as rows); deleted: the 61 s voice no message took.
    expect(report).toEqual({ deleted: 1, expired: 4 });
    expect((await new TusClient(server.url, bearer(ann)).head(ids.longVoice)).status).toBe(404);

    for (const [key, id] of [['file', ids.bin], ['voice', ids.voice], ['fakePdf', ids.fakePdf]] as const) {
      // (The message keeps the snapshot it was sent with, thumbnail included; `expired` is what tells.)
      expect((await messageIn(ben, annBen, sent[key]!.id))!.file, key).toMatchObject({ id, expired: true });
      const gone = await download(id, ben);
      expect(gone.status, key).toBe(410);
      expect((await gone.json()).error.code).toBe('FILE_EXPIRED');
    }
    expect((await get(`/api/v1/files/${ids.fakePdf}/thumbnail`, bearer(ben))).status).toBe(410);
    expect(await links(ben, [ids.bin, ids.video])).toEqual([expect.objectContaining({ fileId: ids.video })]);
    // The image: its forward to Eve was as old as the original.
    expect((await download(ids.jpeg, eve)).status).toBe(410);
    // The video survives, for Ben and Eve alike.
    const video = (await messageIn(ben, annBen, sent.video!.id))!.file!;
    expect(video.expired).toBeUndefined();
    expect(video.thumbnail).toBe(true);
    for (const who of [ben, eve]) {
      const res = await download(ids.video, who);
      expect(res.status).toBe(200);
      expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(media.video));
    }
    // An expired file cannot be sent again.
    const again = await api('POST', '/messages/forward', ann.accessToken, { clientMsgId: 'ann-fwd-expired', from: annBen, messageIds: [sent.file!.id], to: [annEve], mode: 'single' });
    expect(again.status).toBe(410);
  });
});
