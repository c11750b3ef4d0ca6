/**
 * LocalDiskStorage with a sealer: `recording.json` holds no name readable on
 * disk, is bound to its recording, and hosts' `manifest.json` downloads are
 * made from it; plain descriptions from before still read (and get sealed).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordingInfo } from './manifest.ts';
import { LocalDiskStorage, manifestJson, type RecordingSealContext, type RecordingSealer } from './RecordingStorage.ts';

const NAME = '张三丰测试';

/** AES-256-GCM bound to the context, as the server's (database) sealer does it. */
function testSealer(key = crypto.randomBytes(32)): RecordingSealer & { sealed: number } {
  const aad = (c: RecordingSealContext) => Buffer.from(JSON.stringify([c.recordingId, c.item]), 'utf8');
  return {
    sealed: 0,
    seal(plaintext, context) {
      this.sealed++;
      const nonce = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce).setAAD(aad(context));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([Buffer.from([1]), nonce, body, cipher.getAuthTag()]);
    },
    open(sealed, context) {
      if (sealed[0] !== 1 || sealed.length < 29) throw new Error('not a sealed value');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13)).setAAD(aad(context));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([decipher.update(sealed.subarray(13, sealed.length - 16)), decipher.final()]);
    },
  };
}

function recording(id: string, overrides: Partial<RecordingInfo> = {}): RecordingInfo {
  return {
    id,
    roomId: 'room',
    state: 'ready',
    startedAt: 1_000,
    endedAt: 5_000,
    durationMs: 4_000,
    startedBy: NAME,
    sessionId: 's1',
    hosts: ['h1'],
    compose: 'after',
    problems: [],
    error: null,
    manifest: {
      version: 1,
      participants: [{ participantId: 'u1', name: NAME, joinedAtMs: 0, leftAtMs: 4_000 }],
      tracks: [{ trackId: 't0', producerId: 'p0', participantId: 'u1', kind: 'audio', source: 'microphone', codec: 'audio/opus', status: 'ended', parts: [{ startMs: 10, endMs: 4_000, files: ['t0-p0-0000.webm'], endReason: 'stopped' }] }],
      composite: null,
    },
    ...overrides,
  };
}

async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Every file under `dir`, recursively, with its bytes. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .map((file) => ({ file, bytes: fs.readFileSync(file) }));
}

const holdsName = (bytes: Buffer) => bytes.includes(Buffer.from(NAME, 'utf8')) || bytes.includes(Buffer.from(NAME, 'utf16le'));

describe('LocalDiskStorage with a sealer', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-rec-sealed-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes recording.json sealed, and reads it back through get(), all() and list()', async () => {
    const storage = new LocalDiskStorage(root, { sealer: testSealer() });
    const info = recording('r1');
    await storage.save(info);
    const bytes = fs.readFileSync(path.join(root, 'r1', 'recording.json'));
    expect(holdsName(bytes)).toBe(false);
    expect(bytes.includes(Buffer.from('"participants"'))).toBe(false);
    // Write-then-rename: no temporary file is left behind.
    expect(fs.readdirSync(path.join(root, 'r1'))).toEqual(['recording.json']);

    expect(await storage.get('r1')).toEqual(info);
    expect(await storage.all()).toEqual([info]);
    expect(await storage.list('room')).toEqual([info]);
    expect(await storage.list('other')).toEqual([]);
  });

  it('keeps no manifest.json file: open() makes the download from the description, the bytes a plain store writes', async () => {
    const sealer = testSealer();
    const storage = new LocalDiskStorage(root, { sealer });
    const info = recording('r1');
    const dir = await storage.workDir('r1');
    fs.writeFileSync(path.join(dir, 't0-p0-0000.webm'), 'webm');
    await storage.commit(info, ['t0-p0-0000.webm', 'manifest.json']);
    expect(fs.readdirSync(dir).sort()).toEqual(['recording.json', 't0-p0-0000.webm']);
    for (const { file, bytes } of filesUnder(root)) expect(holdsName(bytes), file).toBe(false);

    const opened = (await storage.open('r1', 'manifest.json'))!;
    const body = await read(opened.stream);
    expect(opened.size).toBe(body.length);
    expect(JSON.parse(body.toString('utf8'))).toEqual(info.manifest);
    expect(body.toString('utf8')).toBe(manifestJson(info.manifest));

    // Exactly what the same recording, unsealed, keeps as its file.
    const plainRoot = path.join(root, 'plain');
    const plain = new LocalDiskStorage(plainRoot);
    await plain.commit(info, ['t0-p0-0000.webm', 'manifest.json']);
    expect(fs.readFileSync(path.join(plainRoot, 'r1', 'manifest.json'))).toEqual(body);
    expect(await read((await plain.open('r1', 'manifest.json'))!.stream)).toEqual(body);

    // Other files are served from disk as before; an unfinished recording has no manifest to download yet.
    expect((await storage.open('r1', 't0-p0-0000.webm'))?.size).toBe(4);
    await storage.save(recording('r2', { state: 'recording' }));
    expect(await storage.open('r2', 'manifest.json')).toBeUndefined();
    expect(await storage.open('nope', 'manifest.json')).toBeUndefined();
  });

  it('a description copied into another recording’s folder does not open there, and does not break the listing', async () => {
    const storage = new LocalDiskStorage(root, { sealer: testSealer() });
    await storage.save(recording('r1', { roomId: 'a' }));
    await storage.save(recording('r2', { roomId: 'b', startedAt: 2_000 }));
    // r2's folder now holds r1's sealed description (say, to show r1's hosts r2's files).
    fs.copyFileSync(path.join(root, 'r1', 'recording.json'), path.join(root, 'r2', 'recording.json'));
    expect(await storage.get('r2')).toBeUndefined();
    expect((await storage.all()).map((i) => i.id)).toEqual(['r1']);
    expect(await storage.list('a')).toHaveLength(1);
    expect(await storage.list('b')).toEqual([]);
    expect(await storage.open('r2', 'manifest.json')).toBeUndefined();

    // Altered bytes, garbage, an empty file, a folder without a description: left out, never thrown.
    const sealed = fs.readFileSync(path.join(root, 'r1', 'recording.json'));
    sealed[sealed.length - 20]! ^= 1;
    fs.mkdirSync(path.join(root, 'r3'));
    fs.writeFileSync(path.join(root, 'r3', 'recording.json'), sealed);
    fs.mkdirSync(path.join(root, 'r4'));
    fs.writeFileSync(path.join(root, 'r4', 'recording.json'), crypto.randomBytes(64));
    fs.mkdirSync(path.join(root, 'r5'));
    fs.writeFileSync(path.join(root, 'r5', 'recording.json'), '');
    fs.mkdirSync(path.join(root, 'r6'));
    fs.writeFileSync(path.join(root, 'stray-file'), 'x');
    expect((await storage.all()).map((i) => i.id)).toEqual(['r1']);

    // Under another key (another server's, or a key since deleted), nothing opens.
    expect(await new LocalDiskStorage(root, { sealer: testSealer() }).all()).toEqual([]);
  });

  it('reads a plain recording.json from before sealing, then seals it in place and drops its plain manifest.json', async () => {
    const info = recording('old1');
    const dir = path.join(root, 'old1');
    fs.mkdirSync(dir);
    // What the recorder wrote before sealing existed.
    fs.writeFileSync(path.join(dir, 'recording.json'), JSON.stringify(info, null, 2));
    fs.writeFileSync(path.join(dir, 'manifest.json'), manifestJson(info.manifest));
    fs.writeFileSync(path.join(dir, 't0-p0-0000.webm'), 'webm');

    const sealer = testSealer();
    const storage = new LocalDiskStorage(root, { sealer });
    // Concurrent listings share one rewrite.
    const [all, listed, got] = await Promise.all([storage.all(), storage.list('room'), storage.get('old1')]);
    expect(all).toEqual([info]);
    expect(listed).toEqual([info]);
    expect(got).toEqual(info);
    expect(sealer.sealed).toBe(1);

    expect(fs.readdirSync(dir).sort()).toEqual(['recording.json', 't0-p0-0000.webm']);
    for (const { file, bytes } of filesUnder(root)) expect(holdsName(bytes), file).toBe(false);
    expect(await storage.get('old1')).toEqual(info);
    expect(JSON.parse((await read((await storage.open('old1', 'manifest.json'))!.stream)).toString('utf8'))).toEqual(info.manifest);

    // A plain description in a folder not its own is not taken (nor moved).
    const stray = path.join(root, 'old2');
    fs.mkdirSync(stray);
    fs.writeFileSync(path.join(stray, 'recording.json'), JSON.stringify(recording('old3')));
    expect(await storage.get('old2')).toBeUndefined();
    expect(fs.existsSync(path.join(root, 'old3'))).toBe(false);
  });

  it('without a sealer, works as before: plain recording.json and manifest.json files', async () => {
    const storage = new LocalDiskStorage(root);
    const info = recording('r1');
    await storage.commit(info, ['manifest.json']);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'r1', 'recording.json'), 'utf8'))).toEqual(info);
    expect(fs.readFileSync(path.join(root, 'r1', 'manifest.json'), 'utf8')).toBe(manifestJson(info.manifest));
    expect(await storage.all()).toEqual([info]);
    // A sealed description cannot be read without the sealer; it is left out, not thrown.
    await new LocalDiskStorage(root, { sealer: testSealer() }).save(recording('r2'));
    expect((await storage.all()).map((i) => i.id)).toEqual(['r1']);
  });
});
