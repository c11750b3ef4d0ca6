/**
 * The recorder against a real server, real media workers, real ffmpeg, and
 * Node peers on libwebrtc (VP8 camera + Opus tone): what lands on disk plays.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodePeer } from '@muster/signaling/testing';
import { ProtocolClient } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import type { RecordingInfo } from '@muster/recorder';
import { decodesCleanly, probe } from '@muster/recorder/testing';

type Server = Awaited<ReturnType<typeof startTestServer>>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('recorder', () => {
  let server: Server;
  const peers: NodePeer[] = [];
  const clients: ProtocolClient[] = [];
  let auth: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer();
    auth = { Authorization: `Bearer ${server.apiToken}`, 'Content-Type': 'application/json' };
  });
  afterAll(async () => {
    for (const p of peers) await p.close().catch(() => undefined);
    for (const c of clients) c.socket.close();
    await server?.close();
  });

  async function join(room: string, name: string): Promise<NodePeer> {
    const peer = new NodePeer(server.url);
    peers.push(peer);
    await peer.join(room, name);
    return peer;
  }

  async function host(room: string): Promise<ProtocolClient> {
    const client = await ProtocolClient.join(server.url, room, 'Host');
    clients.push(client);
    return client;
  }

  const api = (method: string, url: string) => fetch(`${server.url}/api/v1${url}`, { method, headers: auth });

  async function finished(id: string): Promise<RecordingInfo> {
    return waitUntil(async () => {
      const info = (await (await api('GET', `/recordings/${id}`)).json()) as RecordingInfo;
      return info.state === 'ready' || info.state === 'failed' ? info : null;
    }, 60_000, 'the recording to be finished');
  }

  it('records each track as WebM and a composite; a mid-recording joiner is there only from their join', async () => {
    const room = 'rec-joiner';
    await host(room);
    const ada = await join(room, 'Ada');
    await waitUntil(() => server.rooms.get(room)?.participants.get(ada.room.participantId!)?.tracks.size === 2, 10_000, 'Ada publishing');

    const started = await api('POST', `/rooms/${room}/recordings`);
    expect(started.status).toBe(201);
    const { id, state } = (await started.json()) as { id: string; state: string };
    expect(state).toBe('recording');
    expect((await api('POST', `/rooms/${room}/recordings`)).status).toBe(409);

    await sleep(3_000);
    const bob = await join(room, 'Bob');
    const bobId = bob.room.participantId!;
    await sleep(3_000);
    const stopped = await api('DELETE', `/rooms/${room}/recordings/current`);
    expect(stopped.status).toBe(200);
    expect((await api('DELETE', `/rooms/${room}/recordings/current`)).status).toBe(404);

    const info = await finished(id);
    expect(info.state).toBe('ready');
    const m = info.manifest;
    const bobEntry = m.participants.find((p) => p.participantId === bobId)!;
    const adaEntry = m.participants.find((p) => p.name === 'Ada')!;
    expect(adaEntry.joinedAtMs).toBeLessThan(1_000);
    expect(bobEntry.joinedAtMs).toBeGreaterThan(2_500);
    const bobTracks = m.tracks.filter((t) => t.participantId === bobId);
    expect(bobTracks.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
    for (const t of bobTracks) expect(t.parts[0]!.startMs!).toBeGreaterThanOrEqual(bobEntry.joinedAtMs);
    for (const t of m.tracks.filter((t) => t.participantId === adaEntry.participantId)) expect(t.parts[0]!.startMs!).toBeLessThan(1_500);

    const dir = path.join(server.recorder.config.dir, id);
    // Every per-track file decodes, and has the kind of stream it says.
    for (const track of m.tracks) {
      expect(track.parts[0]!.files.length, `${track.trackId} has files`).toBeGreaterThan(0);
      for (const file of track.parts[0]!.files) {
        await decodesCleanly(path.join(dir, file));
        const p = await probe(path.join(dir, file));
        expect(p.streams.map((s) => s.codec_type)).toEqual([track.kind]);
        if (track.kind === 'video') expect(p.videoFrames).toBeGreaterThan(10);
      }
    }
    const composite = await probe(path.join(dir, m.composite!.file));
    expect(composite.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(composite.duration).toBeGreaterThan(5);
    expect(composite.duration).toBeLessThan(8);

    const list = (await (await api('GET', `/rooms/${room}/recordings`)).json()) as { id: string; state: string; startedAt: number; endedAt: number }[];
    expect(list).toEqual([expect.objectContaining({ id, state: 'ready', startedAt: info.startedAt, endedAt: info.endedAt })]);
    const file = await fetch(`${server.url}/api/v1/recordings/${id}/file`, { headers: auth });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('video/mp4');
    expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    expect((await fetch(`${server.url}/api/v1/recordings/${id}/file`)).status).toBe(401);
  });

  it('a killed ffmpeg leaves a playable partial file, the host is told, and recording goes on', async () => {
    const room = 'rec-crash';
    const hostClient = await host(room);
    const cy = await join(room, 'Cy');
    await waitUntil(() => server.rooms.get(room)?.participants.get(cy.room.participantId!)?.tracks.size === 2, 10_000, 'Cy publishing');
    const reply = await hostClient.send('recording.set', { on: true });
    expect(reply).toMatchObject({ ok: true, data: { room: { recording: true } } });
    const recording = server.recorder.active(room)!;
    const video = await waitUntil(() => recording.trackProcesses().find((t) => t.kind === 'video' && t.pid), 10_000, 'the video recorder');
    await sleep(3_000);
    process.kill(video.pid!, 'SIGKILL');

    const problem = await hostClient.waitFor('recording.problem', () => true, 5_000);
    expect(problem).toMatchObject({ recordingId: recording.id, code: 'TRACK_FAILED', stopped: false });
    // The meeting goes on, still recording, with a new part for the track.
    expect(server.rooms.get(room)?.recording).toBe(true);
    await waitUntil(() => recording.trackProcesses().find((t) => t.trackId === video.trackId && t.pid && t.pid !== video.pid), 10_000, 'the restarted recorder');
    await sleep(2_000);
    expect(await hostClient.send('recording.set', { on: false })).toMatchObject({ ok: true, data: { room: { recording: false } } });

    const info = await finished(recording.id);
    const track = info.manifest.tracks.find((t) => t.trackId === video.trackId)!;
    expect(track.parts.length).toBe(2);
    expect(track.parts[0]!.endReason).toMatch(/ffmpeg exited/);
    const dir = path.join(server.recorder.config.dir, recording.id);
    // The part cut short by the kill plays: it decodes, and has the frames of
    // the seconds before the kill (fewer when ffmpeg's start-up was slow on a busy machine).
    const partial = path.join(dir, track.parts[0]!.files[0]!);
    await decodesCleanly(partial);
    expect((await probe(partial)).videoFrames).toBeGreaterThan(10);
    expect((await probe(path.join(dir, track.parts[1]!.files[0]!))).videoFrames).toBeGreaterThan(10);
    expect(info.manifest.composite).not.toBeNull();

    // recordings.list: hosts only, with a link that works without the API token.
    const listed = await hostClient.send('recordings.list', {});
    expect(listed.ok).toBe(true);
    const entry = listed.ok ? listed.data.recordings.find((r) => r.id === recording.id) : undefined;
    expect(entry?.downloadUrl).toMatch(/^\/api\/v1\/recordings\/.+\/file\?access=/);
    expect((await fetch(`${server.url}${entry!.downloadUrl}`)).status).toBe(200);
    expect((await fetch(`${server.url}${entry!.downloadUrl!.replace(/access=./, 'access=x')}`)).status).toBe(401);
  });

  it('recordings belong to the meeting session: whoever next opens the room name sees none; its host finds them later, by links scoped to one file', async () => {
    const room = 'standup';
    const ann = await host(room);
    expect(ann.joined!.self.role).toBe('host');
    const bob = await join(room, 'Bob');
    await waitUntil(() => server.rooms.get(room)?.participants.get(bob.room.participantId!)?.tracks.size === 2, 10_000, 'Bob publishing');
    expect(await ann.send('recording.set', { on: true })).toMatchObject({ ok: true });
    const recording = server.recorder.active(room)!;
    await waitUntil(() => recording.trackProcesses().filter((t) => t.pid).length === 2, 10_000, 'both tracks recording');
    // Some seconds of media on disk, enough for a composite.
    const dir = path.join(server.recorder.config.dir, recording.id);
    await waitUntil(() => fs.readdirSync(dir).filter((f) => f.endsWith('.webm')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0) > 100_000, 20_000, 'media on disk');
    expect(await ann.send('recording.set', { on: false })).toMatchObject({ ok: true });
    expect(await finished(recording.id)).toMatchObject({ state: 'ready', manifest: { composite: expect.anything() } });
    const annToken = ann.joined!.meetingToken;

    // Everyone goes; the session ends.
    await ann.send('leave', {});
    await bob.close();
    await waitUntil(() => !server.rooms.get(room), 15_000, 'the session to end');

    // An outsider opens the same name with only {room, name}, and hosts the new session: none of the old recordings.
    const mallory = await ProtocolClient.join(server.url, room, 'Mallory');
    clients.push(mallory);
    expect(mallory.joined!.self.role).toBe('host');
    expect(await mallory.send('recordings.list', {})).toEqual({ ok: true, data: { recordings: [] } });
    await mallory.send('leave', {});
    await waitUntil(() => !server.rooms.get(room), 15_000, 'the outsider\'s session to end');

    // Ann, back with the meeting identity her client kept, hosted that session: she sees it.
    const back = await ProtocolClient.join(server.url, room, 'Ann', { token: annToken });
    clients.push(back);
    const listed = await back.send('recordings.list', {});
    const entry = listed.ok ? listed.data.recordings.find((r) => r.id === recording.id) : undefined;
    expect(entry?.downloadUrl).toMatch(/^\/api\/v1\/recordings\/.+\/file\?access=/);
    const download = await fetch(`${server.url}${entry!.downloadUrl}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    await download.arrayBuffer();
    // The link opens that one file: not the manifest (names), not a track.
    const access = new URL(entry!.downloadUrl!, server.url).searchParams.get('access')!;
    expect((await fetch(`${server.url}/api/v1/recordings/${recording.id}/files/manifest.json?access=${access}`)).status).toBe(401);
    // And for ten minutes at most.
    const stale = server.recorder.downloadToken(recording.id, 'composite', Date.now() - 11 * 60_000);
    expect((await fetch(`${server.url}/api/v1/recordings/${recording.id}/file?access=${stale}`)).status).toBe(401);
    expect(server.recorder.verifyDownloadToken(recording.id, 'composite', server.recorder.downloadToken(recording.id, 'composite'), Date.now() + 10 * 60_000 + 1)).toBe(false);
  });

  it('live composition: windows encoded during the meeting are joined into one composite at the stop', async () => {
    const live = await startTestServer({ recording: { compose: 'live', segmentSeconds: 2 } });
    const peer = new NodePeer(live.url);
    try {
      await peer.join('rec-live', 'Dee');
      await waitUntil(() => live.rooms.get('rec-live')?.participants.get(peer.room.participantId!)?.tracks.size === 2, 10_000, 'Dee publishing');
      const auth = { Authorization: `Bearer ${live.apiToken}` };
      const { id } = (await (await fetch(`${live.url}/api/v1/rooms/rec-live/recordings`, { method: 'POST', headers: auth })).json()) as { id: string };
      const dir = path.join(live.recorder.config.dir, id);
      // The first windows are encoded while the meeting goes on.
      await waitUntil(async () => (await import('node:fs')).existsSync(path.join(dir, 'composite-0001.mp4')), 15_000, 'a live window');
      await fetch(`${live.url}/api/v1/rooms/rec-live/recordings/current`, { method: 'DELETE', headers: auth });
      const info = await waitUntil(async () => {
        const i = await live.recorder.get(id);
        return i && i.state !== 'recording' && i.state !== 'processing' ? i : null;
      }, 30_000, 'the composite');
      expect(info).toMatchObject({ state: 'ready', compose: 'live', error: null });
      // Joined from the windows (which are then removed), not composed again after the stop.
      expect((await import('node:fs')).existsSync(path.join(dir, 'composite-0000.mp4'))).toBe(false);
      const composite = await probe(path.join(dir, info.manifest.composite!.file));
      expect(composite.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
      expect(Math.abs(composite.duration - info.durationMs! / 1000)).toBeLessThan(1);
      expect(composite.videoFrames).toBeGreaterThan(((info.durationMs! / 1000) * 15) * 0.9);
      await decodesCleanly(path.join(dir, info.manifest.composite!.file));
    } finally {
      await peer.close().catch(() => undefined);
      await live.close();
    }
  });

  it('REST: bad ids, bodies and links get coded 4xx replies, never a 500, and no other recording leaks', async () => {
    const weird = ['..', '%2e%2e', 'a'.repeat(300), '%00', '<script>', 'x y', '😀', '-', '_', '..%2f..%2fetc%2fpasswd'];
    const bodies = ['{', '[]', '"x"', '{"on":true}', '{"x":1}', 'null', '1'];
    for (const id of weird) {
      for (const [method, url] of [
        ['GET', `/rooms/${id}/recordings`],
        ['POST', `/rooms/${id}/recordings`],
        ['DELETE', `/rooms/${id}/recordings/current`],
        ['GET', `/recordings/${id}`],
        ['GET', `/recordings/${id}/file`],
        ['GET', `/recordings/${id}/files/${id}`],
      ] as const) {
        const res = await api(method, url);
        expect(res.status, `${method} ${url}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${method} ${url}`).toBeLessThan(500);
      }
    }
    const room = 'rec-fuzz';
    const hostClient = await host(room);
    for (const body of bodies) {
      const res = await fetch(`${server.url}/api/v1/rooms/${room}/recordings`, { method: 'POST', headers: auth, body });
      expect(res.status, body).toBe(400);
    }
    // A participant cannot list recordings or start one; a guessed link opens nothing.
    const other = await ProtocolClient.join(server.url, room, 'Pat');
    clients.push(other);
    expect(await other.send('recordings.list', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await other.send('recording.set', { on: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await hostClient.send('recordings.list', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect((await fetch(`${server.url}/api/v1/recordings/some-recording/file?access=${server.recorder.downloadToken('another-id', 'composite')}`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/v1/recordings/some-recording/files/..%2f..%2fapi-token`, { headers: auth })).status).toBe(404);
  });

  it('without a working ffmpeg, starting is refused with a reason and the meeting is not marked as recorded', async () => {
    const broken = await startTestServer({ recording: { ffmpegPath: '/nonexistent/ffmpeg' } });
    try {
      const hostClient = await ProtocolClient.join(broken.url, 'rec-broken', 'Host');
      clients.push(hostClient);
      const reply = await hostClient.send('recording.set', { on: true });
      expect(reply).toMatchObject({ ok: false, error: { code: 'MEDIA_UNAVAILABLE', message: expect.stringContaining('FFMPEG_PATH') } });
      expect(broken.rooms.get('rec-broken')?.recording).toBe(false);
      const res = await fetch(`${broken.url}/api/v1/rooms/rec-broken/recordings`, { method: 'POST', headers: { Authorization: `Bearer ${broken.apiToken}` } });
      expect(res.status).toBe(503);
    } finally {
      await broken.close();
    }
  });

  it('a disk that fills stops the recording, tells the host, turns the indicator off, and the meeting goes on', async () => {
    const room = 'rec-disk';
    const hostClient = await host(room);
    const eve = await join(room, 'Eve');
    await waitUntil(() => server.rooms.get(room)?.participants.get(eve.room.participantId!)?.tracks.size === 2, 10_000, 'Eve publishing');
    expect(await hostClient.send('recording.set', { on: true })).toMatchObject({ ok: true });
    const recording = server.recorder.active(room)!;
    await sleep(1_500);
    const config = server.recorder.config as { minFreeBytes: number };
    const saved = config.minFreeBytes;
    config.minFreeBytes = Number.MAX_SAFE_INTEGER; // as if the disk were full
    try {
      const problem = await hostClient.waitFor('recording.problem', (p) => p.code === 'DISK_FULL', 10_000);
      expect(problem).toMatchObject({ recordingId: recording.id, stopped: true });
      await hostClient.waitFor('room.updated', (r) => r.recording === false, 5_000);
      const info = await finished(recording.id);
      expect(info.problems.map((p) => p.code)).toContain('DISK_FULL');
      // What was written before is kept.
      expect(info.manifest.tracks.every((t) => t.parts[0]!.files.length > 0)).toBe(true);
      // A new recording is refused while the disk stays full; the meeting itself is untouched.
      expect(await hostClient.send('recording.set', { on: true })).toMatchObject({ ok: false, error: { code: 'MEDIA_UNAVAILABLE' } });
      // The refused start left no files behind, in the recordings folder or in the server's working directory.
      expect(fs.existsSync(path.join(process.cwd(), 'manifest.json'))).toBe(false);
      expect(server.rooms.get(room)?.participants.size).toBe(2);
    } finally {
      config.minFreeBytes = saved;
    }
  });
});
