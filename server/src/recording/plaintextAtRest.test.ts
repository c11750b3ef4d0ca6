/**
 * Nothing under the data directory holds a participant's name, or what a
 * meeting or a board says, in plaintext: the database (and its WAL, which
 * holds the recordings' descriptions), every other file. The same data is
 * readable through the API, which proves it was there to find.
 *
 * And since the descriptions are sealed in the database, a data key rotation
 * (`npm run keys -w db -- rotate`, server stopped) re-encrypts them with
 * everything else before the old key goes: a recording made before it, and
 * the `recording.json` files an earlier install left (plain, or sealed on
 * disk by the previous version), are still listed after it, with their
 * manifests, and their files download.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@muster/db';
import { silentLogger, TEST_KDF_COST, TEST_KEYS } from '@muster/db/testing';
import type { Manifest, ManifestTrack, RecordingInfo } from '@muster/recorder';
import { NodePeer } from '@muster/signaling/testing';
import { makeBoard } from '@muster/whiteboard/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const NAME = '张三丰测试';
const MARKER = 'QZX-at-rest-marker-7741';
const ROOM = 'at-rest';
const BOARD = 'at-rest-board';

/** Every file under `dir`, recursively (hidden ones and temporary ones too). */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** Which of `needles` a file's bytes hold, in UTF-8 or UTF-16LE. */
function plaintextIn(file: string, needles: string[]): string[] {
  const bytes = fs.readFileSync(file);
  return needles.flatMap((n) =>
    (['utf8', 'utf16le'] as const).filter((encoding) => bytes.includes(Buffer.from(n, encoding))).map((encoding) => `${n} (${encoding})`),
  );
}

/** The server's REST API, with its API token. */
function apiOf(server: Server): (method: string, url: string, body?: unknown) => Promise<Response> {
  const headers = { Authorization: `Bearer ${server.apiToken}`, 'Content-Type': 'application/json' };
  return (method, url, body) => fetch(`${server.url}/api/v1${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** `peer` joins `room` as `name` and publishes audio and video. */
async function publish(server: Server, peer: NodePeer, room: string, name: string): Promise<void> {
  await peer.join(room, name);
  await waitUntil(() => server.rooms.get(room)?.participants.get(peer.room.participantId!)?.tracks.size === 2, 15_000, `${name} publishing`);
}

/** Records `room` until `bytes` of media are on disk, stops, and returns the finished recording. */
async function recordMedia(server: Server, room: string, bytes: number): Promise<RecordingInfo> {
  const api = apiOf(server);
  const started = await api('POST', `/rooms/${room}/recordings`);
  expect(started.status).toBe(201);
  const { id } = (await started.json()) as { id: string };
  const dir = path.join(server.recorder.config.dir, id);
  await waitUntil(
    () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.webm')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0) > bytes : false),
    30_000,
    'some seconds of media on disk',
  );
  expect((await api('DELETE', `/rooms/${room}/recordings/current`)).status).toBe(200);
  const info = await waitUntil(async () => {
    const i = (await (await api('GET', `/recordings/${id}`)).json()) as RecordingInfo;
    return i.state === 'ready' || i.state === 'failed' ? i : null;
  }, 60_000, 'the recording to be finished');
  expect(info.state).toBe('ready');
  return info;
}

describe('plaintext at rest', () => {
  let dataDir: string;
  let server: Server | undefined;
  let peer: NodePeer | undefined;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-at-rest-'));
  });
  afterAll(async () => {
    await peer?.close().catch(() => undefined);
    await server?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a recorded meeting and a board leave no name or content readable under the data directory', async () => {
    // Our own data directory: the test server's close() would delete its own before we could look.
    server = await startTestServer({ dataDir });
    const api = apiOf(server);

    // A meeting whose topic carries the marker; a participant with the name publishes audio and video.
    expect((await api('POST', '/rooms', { id: ROOM, topic: `Plan ${MARKER}` })).status).toBe(201);
    peer = new NodePeer(server.url);
    await publish(server, peer, ROOM, NAME);

    // A board with a note that carries the marker and the name.
    const board = makeBoard(BOARD, 9, 1);
    const note = board.pages.flatMap((p) => p.objects).find((o) => o.type === 'note');
    expect(note).toBeDefined();
    Object.assign(note!, { text: `${MARKER}\n${NAME}` });
    expect((await api('PUT', `/boards/${BOARD}`, board)).status).toBe(201);

    // A recording of a few seconds of media, stopped and finished.
    const info = await recordMedia(server, ROOM, 100_000);
    const id = info.id;

    // The control: the API shows the name and the marker, so the data exists and was stored.
    expect(info.manifest.participants.map((p) => p.name)).toContain(NAME);
    const listed = (await (await api('GET', `/rooms/${ROOM}/recordings`)).json()) as { id: string; participants: number }[];
    expect(listed).toEqual([expect.objectContaining({ id, participants: 1 })]);
    const manifest = await api('GET', `/recordings/${id}/files/manifest.json`);
    expect(manifest.status).toBe(200);
    const manifestText = await manifest.text();
    expect(manifestText).toContain(NAME);
    expect(JSON.parse(manifestText)).toEqual(info.manifest);
    expect(Number(manifest.headers.get('content-length'))).toBe(Buffer.byteLength(manifestText));
    expect(await (await api('GET', `/rooms/${ROOM}`)).text()).toContain(MARKER);
    expect(await (await api('GET', `/boards/${BOARD}`)).text()).toContain(MARKER);

    /** The files, as a thief of the disk (or of a copy of it) would find them. */
    const look = () => {
      const files = filesUnder(dataDir);
      expect(files.map((f) => path.relative(dataDir, f))).toContain('muster.db');
      expect(files.some((f) => f.endsWith('.webm'))).toBe(true);
      // The description is in the database (sealed), not beside the media.
      expect(files.filter((f) => /(recording|manifest)\.json$/.test(f))).toEqual([]);
      return files.map((file) => ({ file: path.relative(dataDir, file), holds: plaintextIn(file, [NAME, MARKER]) })).filter((f) => f.holds.length > 0);
    };
    // While the server runs (the SQLite WAL is there then), and after it closed.
    expect(look()).toEqual([]);
    if (server.db.engine === 'sqlite') expect(fs.existsSync(path.join(dataDir, 'muster.db-wal'))).toBe(true);
    await peer.close();
    peer = undefined;
    await server.close();
    server = undefined;
    expect(look()).toEqual([]);
  });
});

describe('recordings across a data key rotation', () => {
  const room = 'rotation';
  let dataDir: string;
  let recordingsDir: string;
  let server: Server | undefined;
  let peer: NodePeer | undefined;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-rec-rotation-'));
    recordingsDir = path.join(dataDir, 'recordings');
  });
  afterAll(async () => {
    await peer?.close().catch(() => undefined);
    await server?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // Our own data directory, kept across the servers: the test server's close() deletes only its own.
  const start = () => startTestServer({ dataDir, recording: { dir: recordingsDir } });
  const json = async <T>(url: string): Promise<T> => {
    const res = await apiOf(server!)('GET', url);
    expect(res.status, url).toBe(200);
    return (await res.json()) as T;
  };
  const listed = async () => (await json<{ id: string; participants: number }[]>(`/rooms/${room}/recordings`)).map((r) => [r.id, r.participants]);

  /** A finished recording as an earlier install described it in its recording.json, with one audio file. */
  function earlier(id: string, startedAt: number): RecordingInfo {
    const part = { startMs: 0, endMs: 4_000, files: ['t0-p0-0000.webm'], endReason: 'stopped' };
    const track: ManifestTrack = { trackId: 't0', producerId: 'p0', participantId: 'u1', kind: 'audio', source: 'microphone', codec: 'audio/opus', status: 'ended', parts: [part] };
    const participant = { participantId: 'u1', name: NAME, joinedAtMs: 0, leftAtMs: 4_000 };
    const manifest: Manifest = { version: 1, participants: [participant], tracks: [track], composite: null };
    return { id, roomId: room, state: 'ready', startedAt, endedAt: startedAt + 4_000, durationMs: 4_000, startedBy: NAME, compose: 'after', problems: [], error: null, manifest };
  }

  it('a recording, and those an earlier install left, are listed with their manifests and their files download after a rotation', async () => {
    // An earlier install's recordings: a plain recording.json, and one the previous version sealed on disk under the data key.
    const plain = earlier('earlier-plain', Date.now() - 120_000);
    const sealed = earlier('earlier-sealed', Date.now() - 60_000);
    const before = await openDatabase({ dataDir, keys: TEST_KEYS, kdfCost: TEST_KDF_COST, logger: silentLogger });
    const oldKey = before.sealer.activeKeyId;
    for (const [info, description] of [
      [plain, JSON.stringify(plain, null, 2)],
      [sealed, before.sealer.seal(JSON.stringify(sealed, null, 2), { table: 'recordings', column: 'info', rowId: sealed.id })],
    ] as const) {
      fs.mkdirSync(path.join(recordingsDir, info.id), { recursive: true });
      fs.writeFileSync(path.join(recordingsDir, info.id, 'recording.json'), description);
      fs.writeFileSync(path.join(recordingsDir, info.id, 'manifest.json'), JSON.stringify(info.manifest, null, 2));
      fs.writeFileSync(path.join(recordingsDir, info.id, 't0-p0-0000.webm'), `the media of ${info.id}`);
    }
    await before.close();

    // The first server moves them into the database at its start, and records a meeting.
    server = await start();
    expect((await apiOf(server)('POST', '/rooms', { id: room })).status).toBe(201);
    peer = new NodePeer(server.url);
    await publish(server, peer, room, NAME);
    const recorded = await recordMedia(server, room, 30_000);
    expect(recorded.manifest.composite).not.toBeNull();
    expect(recorded.manifest.participants.map((p) => p.name)).toEqual([NAME]);

    const ids = [plain.id, sealed.id, recorded.id];
    expect(await listed()).toEqual(ids.map((i) => [i, 1]));
    const manifests = new Map<string, unknown>();
    for (const i of ids) manifests.set(i, (await json<RecordingInfo>(`/recordings/${i}`)).manifest);
    expect(manifests.get(plain.id)).toEqual(plain.manifest);
    expect(manifests.get(sealed.id)).toEqual(sealed.manifest);
    // No description is left on disk: only the media (and ffmpeg's SDP files).
    const descriptionFiles = () => fs.readdirSync(recordingsDir, { recursive: true, encoding: 'utf8' }).filter((f) => /(recording|manifest)\.json$/.test(f));
    expect(descriptionFiles()).toEqual([]);

    await peer.close();
    peer = undefined;
    await server.close();
    server = undefined;

    // The rotation, with the server stopped: every sealed value re-encrypted, then the old key deleted.
    const rotating = await openDatabase({ dataDir, keys: TEST_KEYS, logger: silentLogger });
    const newKey = await rotating.rotation.start();
    expect(newKey).not.toBe(oldKey);
    await rotating.rotation.run();
    expect(rotating.sealer.keyIds).toEqual([newKey]);
    await rotating.close();

    // A new server on the same data directory: everything is there.
    server = await start();
    const download = async (url: string, file: string) => {
      const res = await apiOf(server!)('GET', url);
      expect(res.status, url).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.equals(fs.readFileSync(file)), url).toBe(true);
      return bytes;
    };
    expect(await listed()).toEqual(ids.map((i) => [i, 1]));
    for (const i of ids) {
      const info = await json<RecordingInfo>(`/recordings/${i}`);
      expect(info.manifest, i).toEqual(manifests.get(i));
      expect(info.manifest.participants.map((p) => p.name)).toEqual([NAME]);
      expect(await json(`/recordings/${i}/files/manifest.json`)).toEqual(info.manifest);
      const files = info.manifest.tracks.flatMap((t) => t.parts.flatMap((p) => p.files));
      expect(files.length, i).toBeGreaterThan(0);
      for (const file of files) await download(`/recordings/${i}/files/${file}`, path.join(recordingsDir, i, file));
    }
    const composite = await download(`/recordings/${recorded.id}/file`, path.join(recordingsDir, recorded.id, recorded.manifest.composite!.file));
    expect(composite.length).toBeGreaterThan(1_000);
    expect(descriptionFiles()).toEqual([]);
  });
});
