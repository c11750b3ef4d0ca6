/**
 * The RecordingStorage contract, run on every implementation: LocalDiskStorage
 * and S3RecordingStorage (against a local S3 server, moto; skipped loudly
 * without one, failed under CI=true). With a descriptions store (the server's
 * database): no description on disk, hosts' `manifest.json` downloads made
 * from the stored description, and the `recording.json` files of earlier
 * versions (plain, or sealed by the previous one) moved into the store once.
 * Without a store: plain descriptions, as before.
 *
 * Then what is each one's own: LocalDiskStorage's import of earlier versions'
 * files, and S3RecordingStorage's objects, multipart uploads, and failed
 * uploads (the files stay on the host, the commit is tried again).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { freePort } from '@muster/kit/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecorderConfig } from './config.ts';
import type { RecordingInfo } from './manifest.ts';
import { motoCommand, startMoto, type MotoServer } from './testing/motoServer.ts';
import { Recorder } from './Recorder.ts';
import { LocalDiskStorage, manifestJson, type LocalDiskStorageOptions, type RecordingDescriptions, type RecordingStorage, type SealedDescriptionOpener } from './RecordingStorage.ts';
import { S3RecordingStorage, type S3RecordingOptions } from './S3RecordingStorage.ts';

const NAME = '张三丰测试';

/** A descriptions store in memory, as the server's database keeps them (copies in and out, oldest first). */
function memoryDescriptions(): RecordingDescriptions & { rows: Map<string, RecordingInfo>; puts: number; failing: boolean } {
  const rows = new Map<string, RecordingInfo>();
  return {
    rows,
    puts: 0,
    failing: false,
    async put(info) {
      if (this.failing) throw new Error('the database is unavailable');
      this.puts++;
      rows.set(info.id, structuredClone(info));
    },
    async get(id) {
      const info = rows.get(id);
      return info && structuredClone(info);
    },
    async all() {
      return [...rows.values()].sort((a, b) => a.startedAt - b.startedAt).map((i) => structuredClone(i));
    },
  };
}

/** `recording.json` as the previous version sealed it: AES-256-GCM bound to the recording's id. */
function previousSealer(key = crypto.randomBytes(32)): { seal(info: RecordingInfo, recordingId?: string): Buffer; open: SealedDescriptionOpener } {
  const aad = (recordingId: string) => Buffer.from(JSON.stringify([recordingId, 'info']), 'utf8');
  return {
    seal(info, recordingId = info.id) {
      const nonce = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce).setAAD(aad(recordingId));
      const body = Buffer.concat([cipher.update(JSON.stringify(info, null, 2), 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([1]), nonce, body, cipher.getAuthTag()]);
    },
    open(sealed, recordingId) {
      if (sealed[0] !== 1 || sealed.length < 29) throw new Error('not a sealed value');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13)).setAAD(aad(recordingId));
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

/** Every file under `dir`, recursively, relative to it, with its bytes. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .map((file) => ({ file: path.relative(dir, file), bytes: fs.readFileSync(file) }));
}

/** The size open() gives, checked against what its stream reads (a stream left unread would open its file after the test removed it). */
async function sizeOf(opened: Promise<{ stream: Readable; size: number } | undefined>): Promise<number | undefined> {
  const file = await opened;
  if (file) expect((await read(file.stream)).length).toBe(file.size);
  return file?.size;
}

const holdsName = (bytes: Buffer) => bytes.includes(Buffer.from(NAME, 'utf8')) || bytes.includes(Buffer.from(NAME, 'utf16le'));
/** An earlier version's recording directory under `root`: its description, its plain manifest.json, a media file. */
function oldRecordingIn(root: string, info: RecordingInfo, description: string | Buffer = JSON.stringify(info, null, 2), folder = info.id): string {
  const dir = path.join(root, folder);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'recording.json'), description);
  fs.writeFileSync(path.join(dir, 'manifest.json'), manifestJson(info.manifest));
  fs.writeFileSync(path.join(dir, 't0-p0-0000.webm'), 'webm');
  return dir;
}

/** An implementation under test: how to make one over a local root, and whether committed files stay on that disk. */
interface Subject {
  make(root: string, options?: LocalDiskStorageOptions): RecordingStorage;
  keepsFilesLocally: boolean;
}

/**
 * What every RecordingStorage does, seen through the interface only (and the
 * local disk, where ffmpeg writes and no description may be).
 */
function recordingStorageContract(name: string, subject: () => Subject): void {
  describe(`RecordingStorage contract: ${name}`, () => {
    let root: string;
    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-rec-store-'));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it('keeps the descriptions in the store, none on disk; get(), all() and list() read them from there', async () => {
      const descriptions = memoryDescriptions();
      const storage = subject().make(root, { descriptions });
      const later = recording('r2', { roomId: 'other', startedAt: 2_000 });
      const info = recording('r1');
      const dir = await storage.workDir('r1');
      fs.writeFileSync(path.join(dir, 't0-p0-0000.webm'), 'webm');
      await storage.save(later);
      await storage.save({ ...info, state: 'recording' });
      await storage.commit(info, ['t0-p0-0000.webm', 'manifest.json']);

      expect(descriptions.rows.get('r1')).toEqual(info);
      expect(filesUnder(root).map((f) => f.file)).toEqual(subject().keepsFilesLocally ? [path.join('r1', 't0-p0-0000.webm')] : []);
      expect(filesUnder(root).filter((f) => holdsName(f.bytes))).toEqual([]);
      expect(await storage.get('r1')).toEqual(info);
      expect(await storage.get('none')).toBeUndefined();
      expect(await storage.get('../r1')).toBeUndefined();
      await expect(storage.save(recording('../escape'))).rejects.toThrow('bad recording id');
      await expect(storage.workDir('../escape')).rejects.toThrow('bad recording id');
      expect((await storage.all()).map((i) => i.id)).toEqual(['r1', 'r2']);
      expect(await storage.list('room')).toEqual([info]);
      expect(await storage.list('other')).toEqual([later]);
      expect(await storage.list('none')).toEqual([]);
      expect(await storage.freeBytes()).toBeGreaterThan(0);
    });

    it('serves the committed files with their size, and makes manifest.json on demand from the description: the bytes a plain store keeps', async () => {
      const storage = subject().make(root, { descriptions: memoryDescriptions() });
      const info = recording('r1');
      const dir = await storage.workDir('r1');
      fs.writeFileSync(path.join(dir, 't0-p0-0000.webm'), 'webm');
      await storage.commit(info, ['t0-p0-0000.webm', 'manifest.json']);

      const media = (await storage.open('r1', 't0-p0-0000.webm'))!;
      expect(media.size).toBe(4);
      expect((await read(media.stream)).toString()).toBe('webm');
      const opened = (await storage.open('r1', 'manifest.json'))!;
      const body = await read(opened.stream);
      expect(opened.size).toBe(body.length);
      expect(JSON.parse(body.toString('utf8'))).toEqual(info.manifest);
      expect(body.toString('utf8')).toBe(manifestJson(info.manifest));

      // Exactly what the same recording, without a store, keeps.
      const plain = subject().make(path.join(root, 'plain'));
      await plain.commit(info, ['manifest.json']);
      const plainOpened = (await plain.open('r1', 'manifest.json'))!;
      expect(plainOpened.size).toBe(body.length);
      expect(await read(plainOpened.stream)).toEqual(body);

      // An unfinished recording has no manifest to download yet.
      await storage.save(recording('r2', { state: 'recording' }));
      expect(await storage.open('r2', 'manifest.json')).toBeUndefined();
      expect(await storage.open('nope', 'manifest.json')).toBeUndefined();
    });

    it('open() of an unknown file or recording, or of a name outside the recording, is undefined', async () => {
      const storage = subject().make(root, { descriptions: memoryDescriptions() });
      const dir = await storage.workDir('r1');
      fs.writeFileSync(path.join(dir, 't0-p0-0000.webm'), 'webm');
      fs.writeFileSync(path.join(root, 'outside.webm'), 'outside');
      await storage.commit(recording('r1'), ['t0-p0-0000.webm', 'manifest.json']);
      for (const [id, name] of [
        ['r1', 'missing.webm'],
        ['nope', 't0-p0-0000.webm'],
        ['r1', '../outside.webm'],
        ['r1', '..'],
        ['r1', '.'],
        ['..', 'outside.webm'],
        ['r1', ''],
        ['', 't0-p0-0000.webm'],
        ['r1', `${'a'.repeat(200)}.webm`],
      ] as const) {
        expect(await storage.open(id, name), `${id}/${name}`).toBeUndefined();
      }
      expect(await sizeOf(storage.open('r1', 't0-p0-0000.webm'))).toBe(4);
    });

    it('without a descriptions store: plain descriptions read back, manifest.json kept from the commit', async () => {
      const storage = subject().make(root);
      const info = recording('r1');
      await storage.save({ ...info, state: 'recording' });
      await storage.commit(info, ['manifest.json']);
      expect(await storage.get('r1')).toEqual(info);
      expect(await storage.all()).toEqual([info]);
      expect(await storage.list('room')).toEqual([info]);
      expect(await read((await storage.open('r1', 'manifest.json'))!.stream)).toEqual(Buffer.from(manifestJson(info.manifest)));
      // A description the previous version sealed cannot be read here; it is left out, not thrown.
      fs.mkdirSync(path.join(root, 'r2'));
      fs.writeFileSync(path.join(root, 'r2', 'recording.json'), previousSealer().seal(recording('r2')));
      expect((await storage.all()).map((i) => i.id)).toEqual(['r1']);
    });

    it('recover() at start-up moves a recording a crash cut short into the store and finishes it from its files', async () => {
      const cut = recording('cut', { state: 'recording', endedAt: null, durationMs: null, startedAt: Date.now() - 60_000 });
      cut.manifest.tracks[0]!.status = 'recording';
      cut.manifest.tracks[0]!.parts = [{ startMs: 10, endMs: null, files: [], endReason: null }];
      cut.manifest.participants[0]!.leftAtMs = null;
      const dir = oldRecordingIn(root, cut);
      fs.rmSync(path.join(dir, 'manifest.json'));
      const descriptions = memoryDescriptions();
      const storage = subject().make(root, { descriptions });
      // No ffmpeg needed: the composite fails at once, and the per-track file still makes the recording.
      const config: RecorderConfig = { dir: root, ffmpegPath: '/bin/false', ffprobePath: '/bin/false', compose: 'after', segmentSeconds: 300, width: 320, height: 180, fps: 15, preset: 'ultrafast', minFreeBytes: 0 };

      const recovered = await new Recorder(config, storage).recover();
      expect(recovered.map((r) => r.id)).toEqual(['cut']);
      const stored = descriptions.rows.get('cut')!;
      expect(stored).toMatchObject({ state: 'ready', problems: [{ code: 'TRACK_FAILED' }, { code: 'COMPOSITE_FAILED' }] });
      expect(stored.manifest.tracks[0]!.parts[0]).toMatchObject({ files: ['t0-p0-0000.webm'], endReason: 'server-stopped' });
      if (subject().keepsFilesLocally) expect(fs.readdirSync(dir)).toEqual(['t0-p0-0000.webm']);
      else expect(fs.existsSync(dir)).toBe(false);
      expect((await read((await storage.open('cut', 't0-p0-0000.webm'))!.stream)).toString()).toBe('webm');
      expect(JSON.parse((await read((await storage.open('cut', 'manifest.json'))!.stream)).toString('utf8'))).toEqual(stored.manifest);
      // Already finished: the next start leaves it alone.
      expect(await new Recorder(config, subject().make(root, { descriptions })).recover()).toEqual([]);
    });
  });
}

recordingStorageContract('LocalDiskStorage', () => ({ make: (root, options) => new LocalDiskStorage(root, options), keepsFilesLocally: true }));

describe('LocalDiskStorage: earlier versions’ recording.json files', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-rec-store-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
  const oldRecording = (info: RecordingInfo, description?: string | Buffer, folder?: string) => oldRecordingIn(root, info, description, folder);

  it('moves the plain recording.json files of an earlier install into the store once, deleting them and their plain manifest.json', async () => {
    const old1 = recording('old1');
    const old2 = recording('old2', { roomId: 'other', startedAt: 500 });
    oldRecording(old1);
    oldRecording(old2);
    fs.writeFileSync(path.join(root, 'old1', 'recording.json.tmp'), JSON.stringify(old1));
    // A plain description in a folder not its own is not taken (nor moved), nor is garbage.
    const stray = oldRecording(recording('old3'), undefined, 'old4');
    fs.mkdirSync(path.join(root, 'junk'));
    fs.writeFileSync(path.join(root, 'junk', 'recording.json'), '{ not json');
    fs.writeFileSync(path.join(root, 'stray-file'), 'x');

    const descriptions = memoryDescriptions();
    const storage = new LocalDiskStorage(root, { descriptions });
    // The first uses, at once, share one import.
    const [all, listed, got] = await Promise.all([storage.all(), storage.list('room'), storage.get('old1')]);
    expect(all).toEqual([old2, old1]);
    expect(listed).toEqual([old1]);
    expect(got).toEqual(old1);
    expect(descriptions.puts).toBe(2);

    expect(fs.readdirSync(path.join(root, 'old1'))).toEqual(['t0-p0-0000.webm']);
    expect(fs.readdirSync(path.join(root, 'old2'))).toEqual(['t0-p0-0000.webm']);
    expect(fs.readdirSync(stray).sort()).toEqual(['manifest.json', 'recording.json', 't0-p0-0000.webm']);
    expect(fs.existsSync(path.join(root, 'junk', 'recording.json'))).toBe(true);
    expect(await storage.get('old4')).toBeUndefined();
    expect(await storage.get('old3')).toBeUndefined();
    expect(JSON.parse((await read((await storage.open('old1', 'manifest.json'))!.stream)).toString('utf8'))).toEqual(old1.manifest);

    // The next start finds nothing more to move.
    const next = new LocalDiskStorage(root, { descriptions });
    expect((await next.all()).map((i) => i.id)).toEqual(['old2', 'old1']);
    expect(descriptions.puts).toBe(2);
  });

  it('moves the recording.json files the previous version sealed, opened with openSealedFile; what does not open stays on disk, unlisted', async () => {
    const previous = previousSealer();
    const r1 = recording('r1');
    oldRecording(r1, previous.seal(r1));
    // r1's sealed description copied into r2's folder (to show r1's hosts r2's files): bound to r1, it does not open there.
    oldRecording(recording('r2'), previous.seal(r1));
    const altered = previous.seal(recording('r3'));
    altered[altered.length - 20]! ^= 1;
    oldRecording(recording('r3'), altered);
    oldRecording(recording('r4'), previousSealer().seal(recording('r4'))); // under another key (one since deleted)
    oldRecording(recording('r5'), crypto.randomBytes(64));
    oldRecording(recording('r6'), '');

    // Without the opener nothing sealed is taken.
    const unopened = memoryDescriptions();
    expect(await new LocalDiskStorage(root, { descriptions: unopened }).all()).toEqual([]);
    expect(fs.existsSync(path.join(root, 'r1', 'recording.json'))).toBe(true);

    const descriptions = memoryDescriptions();
    const storage = new LocalDiskStorage(root, { descriptions, openSealedFile: previous.open });
    expect(await storage.all()).toEqual([r1]);
    expect(fs.readdirSync(path.join(root, 'r1'))).toEqual(['t0-p0-0000.webm']);
    for (const id of ['r2', 'r3', 'r4', 'r5', 'r6']) expect(fs.existsSync(path.join(root, id, 'recording.json')), id).toBe(true);
    expect(await storage.get('r2')).toBeUndefined();
    expect(await storage.open('r2', 'manifest.json')).toEqual(undefined);
    expect(JSON.parse((await read((await storage.open('r1', 'manifest.json'))!.stream)).toString('utf8'))).toEqual(r1.manifest);
  });

  it('keeps the stored description over a leftover file, and tries a failed move again at the next start', async () => {
    // An earlier import stored the description, then stopped before deleting the file; the recording has moved on since.
    const descriptions = memoryDescriptions();
    const finished = recording('r1');
    descriptions.rows.set('r1', finished);
    oldRecording(recording('r1', { state: 'recording', endedAt: null }));
    expect(await new LocalDiskStorage(root, { descriptions }).get('r1')).toEqual(finished);
    expect(fs.readdirSync(path.join(root, 'r1'))).toEqual(['t0-p0-0000.webm']);

    // The store refuses the write: the file stays, and the next start moves it.
    const r2 = recording('r2');
    oldRecording(r2);
    descriptions.failing = true;
    expect((await new LocalDiskStorage(root, { descriptions }).all()).map((i) => i.id)).toEqual(['r1']);
    expect(fs.existsSync(path.join(root, 'r2', 'recording.json'))).toBe(true);
    descriptions.failing = false;
    expect(await new LocalDiskStorage(root, { descriptions }).get('r2')).toEqual(r2);
    expect(fs.readdirSync(path.join(root, 'r2'))).toEqual(['t0-p0-0000.webm']);
  });

});

describe('LocalDiskStorage without a descriptions store', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-rec-plain-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('keeps plain recording.json and manifest.json files beside the media', async () => {
    const storage = new LocalDiskStorage(root);
    const info = recording('r1');
    await storage.save({ ...info, state: 'recording' });
    await storage.commit(info, ['manifest.json']);
    expect(fs.readdirSync(path.join(root, 'r1')).sort()).toEqual(['manifest.json', 'recording.json']);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'r1', 'recording.json'), 'utf8'))).toEqual(info);
    expect(fs.readFileSync(path.join(root, 'r1', 'manifest.json'), 'utf8')).toBe(manifestJson(info.manifest));
  });
});

const moto = motoCommand('recorder/src/RecordingStorage.test.ts');

describe.skipIf(!moto)('S3RecordingStorage (moto)', () => {
  let server: MotoServer;
  let bucket: string;
  beforeAll(async () => {
    server = await startMoto(moto!);
    bucket = await server.createBucket();
  }, 40_000);
  afterAll(() => server?.stop());

  const s3 = (overrides: Partial<S3RecordingOptions> = {}): S3RecordingOptions => ({ endpoint: server.endpoint, bucket, ...server.credentials, ...overrides });
  /** Each local root its own prefix in the one bucket, so that tests (which reuse ids) never see each other's objects. */
  const prefixOf = (root: string) => `t-${crypto.createHash('sha256').update(root).digest('hex').slice(0, 12)}/`;
  const objects = async (prefix: string) => ((await server.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
  const object = async (key: string) => Buffer.from(await (await server.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());

  recordingStorageContract('S3RecordingStorage', () => ({ make: (root, options) => new S3RecordingStorage(root, s3(), { ...options, prefix: prefixOf(root) }), keepsFilesLocally: false }));

  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-rec-s3-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('uploads each file to <prefix><id>/<name>, manifest.json never (the names stay in the store), then removes the work directory and drops filesAt', async () => {
    const descriptions = memoryDescriptions();
    const storage = new S3RecordingStorage(root, s3(), { descriptions, prefix: prefixOf(root) });
    expect(storage.description).not.toContain(server.credentials.secretAccessKey);
    const info = recording('r1', { filesAt: 'http://app-a.internal:8080' });
    const dir = await storage.workDir('r1');
    fs.writeFileSync(path.join(dir, 't0-p0-0000.webm'), 'webm bytes');
    fs.writeFileSync(path.join(dir, 'composite.mp4'), 'mp4 bytes');
    fs.writeFileSync(path.join(dir, 't0-p0.sdp'), 'v=0'); // ffmpeg's input description: not a recording file
    await storage.save({ ...info, state: 'processing' });
    await storage.commit(info, ['t0-p0-0000.webm', 'composite.mp4', 'manifest.json']);

    const prefix = `${prefixOf(root)}r1/`;
    expect(await objects(prefixOf(root))).toEqual([`${prefix}composite.mp4`, `${prefix}t0-p0-0000.webm`]);
    expect((await object(`${prefix}composite.mp4`)).toString()).toBe('mp4 bytes');
    expect(fs.existsSync(dir)).toBe(false);
    expect(descriptions.rows.get('r1')!.filesAt).toBeUndefined();
    expect(descriptions.rows.get('r1')!.state).toBe('ready');
    expect((await read((await storage.open('r1', 'composite.mp4'))!.stream)).toString()).toBe('mp4 bytes');
    // Another host's storage on the same bucket (an empty disk) serves them: the files outlived this host's disk.
    const elsewhere = new S3RecordingStorage(path.join(root, 'other-host'), s3(), { descriptions, prefix: prefixOf(root) });
    const opened = (await elsewhere.open('r1', 't0-p0-0000.webm'))!;
    expect(opened.size).toBe(10);
    expect((await read(opened.stream)).toString()).toBe('webm bytes');
    expect(JSON.parse((await read((await elsewhere.open('r1', 'manifest.json'))!.stream)).toString())).toEqual(info.manifest);
  });

  it('uploads a file larger than a part in parts, and serves it back byte for byte', async () => {
    const partSize = 5 * 1024 * 1024;
    const storage = new S3RecordingStorage(root, s3({ partSize }), { descriptions: memoryDescriptions(), prefix: prefixOf(root) });
    const dir = await storage.workDir('big');
    const content = crypto.randomBytes(2 * partSize + 12_345);
    fs.writeFileSync(path.join(dir, 'composite.mp4'), content);
    await storage.commit(recording('big'), ['composite.mp4', 'manifest.json']);
    expect(fs.existsSync(dir)).toBe(false);
    const opened = (await storage.open('big', 'composite.mp4'))!;
    expect(opened.size).toBe(content.length);
    expect((await read(opened.stream)).equals(content)).toBe(true);
  }, 60_000);

  for (const [what, options] of [
    ['a bucket that does not exist', async () => s3({ bucket: 'muster-no-such-bucket' })],
    ['an S3 server that does not answer', async () => s3({ endpoint: `http://127.0.0.1:${await freePort()}` })],
  ] as const) {
    it(`a failed upload (${what}) throws without secrets, keeps the local files and the unfinished description; the next commit completes it`, async () => {
      const descriptions = memoryDescriptions();
      const content = crypto.randomBytes(6 * 1024 * 1024); // a multipart upload, aborted
      const failing = new S3RecordingStorage(root, { ...(await options()), partSize: 5 * 1024 * 1024 }, { descriptions, prefix: prefixOf(root) });
      const info = recording('r1', { filesAt: 'http://app-a.internal:8080' });
      const dir = await failing.workDir('r1');
      fs.writeFileSync(path.join(dir, 't0-p0-0000.webm'), 'webm');
      fs.writeFileSync(path.join(dir, 'composite.mp4'), content);
      const unfinished = { ...info, state: 'processing' as const };
      await failing.save(unfinished);

      const error = (await failing.commit(structuredClone(info), ['t0-p0-0000.webm', 'composite.mp4', 'manifest.json']).then(
        () => null,
        (e: unknown) => e as Error,
      ))!;
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toMatch(/could not upload/);
      expect(error.message).not.toContain(server.credentials.secretAccessKey);
      expect(JSON.stringify(error)).not.toContain(server.credentials.secretAccessKey);
      // Nothing removed, nothing marked finished: recovery commits it again.
      expect(fs.readdirSync(dir).sort()).toEqual(['composite.mp4', 't0-p0-0000.webm']);
      expect(descriptions.rows.get('r1')).toEqual(unfinished);
      // Meanwhile this host serves its local copies.
      const local = (await failing.open('r1', 'composite.mp4'))!;
      expect(local.size).toBe(content.length);
      expect((await read(local.stream)).equals(content)).toBe(true);

      // The bucket reachable again: the same commit goes through, and the local copies go.
      const storage = new S3RecordingStorage(root, s3(), { descriptions, prefix: prefixOf(root) });
      await storage.commit(info, ['t0-p0-0000.webm', 'composite.mp4', 'manifest.json']);
      expect(fs.existsSync(dir)).toBe(false);
      expect(descriptions.rows.get('r1')).toMatchObject({ state: 'ready' });
      expect((await read((await storage.open('r1', 'composite.mp4'))!.stream)).equals(content)).toBe(true);
      expect(await objects(prefixOf(root))).toEqual([`${prefixOf(root)}r1/composite.mp4`, `${prefixOf(root)}r1/t0-p0-0000.webm`]);
    }, 60_000);
  }

  it('open() reading from a bucket that fails is an error, not "no such file" (unless the file is still on this host)', async () => {
    const storage = new S3RecordingStorage(root, s3({ bucket: 'muster-no-such-bucket' }), { descriptions: memoryDescriptions(), prefix: prefixOf(root) });
    await expect(storage.open('r1', 'composite.mp4')).rejects.toThrow(/could not read composite\.mp4/);
    fs.writeFileSync(path.join(await storage.workDir('r1'), 'composite.mp4'), 'mp4');
    expect(await sizeOf(storage.open('r1', 'composite.mp4'))).toBe(3);
  });
});
