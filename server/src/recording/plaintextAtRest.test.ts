/**
 * Nothing under the data directory holds a participant's name, or what a
 * meeting or a board says, in plaintext: the database (and its WAL), the
 * recordings' descriptions, every other file. The same data is readable
 * through the API, which proves it was there to find.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingInfo } from '@muster/recorder';
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
    const auth = { Authorization: `Bearer ${server.apiToken}`, 'Content-Type': 'application/json' };
    const api = (method: string, url: string, body?: unknown) =>
      fetch(`${server!.url}/api/v1${url}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });

    // A meeting whose topic carries the marker; a participant with the name publishes audio and video.
    expect((await api('POST', '/rooms', { id: ROOM, topic: `Plan ${MARKER}` })).status).toBe(201);
    peer = new NodePeer(server.url);
    await peer.join(ROOM, NAME);
    await waitUntil(() => server!.rooms.get(ROOM)?.participants.get(peer!.room.participantId!)?.tracks.size === 2, 15_000, `${NAME} publishing`);

    // A board with a note that carries the marker and the name.
    const board = makeBoard(BOARD, 9, 1);
    const note = board.pages.flatMap((p) => p.objects).find((o) => o.type === 'note');
    expect(note).toBeDefined();
    Object.assign(note!, { text: `${MARKER}\n${NAME}` });
    expect((await api('PUT', `/boards/${BOARD}`, board)).status).toBe(201);

    // A recording of a few seconds of media, stopped and finished.
    const started = await api('POST', `/rooms/${ROOM}/recordings`);
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: string };
    const dir = path.join(server.recorder.config.dir, id);
    await waitUntil(
      () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.webm')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0) > 100_000 : false),
      30_000,
      'some seconds of media on disk',
    );
    expect((await api('DELETE', `/rooms/${ROOM}/recordings/current`)).status).toBe(200);
    const info = await waitUntil(async () => {
      const i = (await (await api('GET', `/recordings/${id}`)).json()) as RecordingInfo;
      return i.state === 'ready' || i.state === 'failed' ? i : null;
    }, 60_000, 'the recording to be finished');
    expect(info.state).toBe('ready');

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
      expect(files.map((f) => path.relative(dataDir, f))).toEqual(expect.arrayContaining(['muster.db', path.join('recordings', id, 'recording.json')]));
      expect(files.some((f) => f.endsWith('.webm'))).toBe(true);
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
