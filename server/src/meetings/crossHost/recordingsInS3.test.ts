/**
 * Recordings in a shared S3 bucket (S3_* set on every app): two apps on one
 * PostgreSQL and one Redis, each with its own disk, one bucket (a local S3
 * server, moto). A recording made and finished on app A is uploaded, its
 * local files and work directory go, and its description names no host; app
 * B serves its downloads itself, byte for byte, after app A is closed and its
 * data directory deleted. Without moto the test is skipped loudly; under
 * CI=true it fails.
 */
import fs from 'node:fs';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestsEnabled } from '@muster/db/testing';
import { redisTestsEnabled } from '@muster/kit/testing';
import { manifestJson, S3RecordingStorage } from '@muster/recorder';
import { motoCommand, startMoto, type MotoServer } from '@muster/recorder/testing/s3';
import { NodePeer } from '@muster/signaling/testing';
import { waitUntil } from '../../testing/index.ts';
import { appsOnOneRedis } from '../../crossHost/testing.ts';
import { recordAMeeting } from './recordingTesting.ts';

const moto = motoCommand('server/src/meetings/crossHost/recordingsInS3.test.ts');
const enabled = !!moto && (await postgresTestsEnabled('the recordings-in-S3 test')) && (await redisTestsEnabled('the recordings-in-S3 test'));

const S3_VARIABLES = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;

describe.skipIf(!enabled)('recordings in a shared S3 bucket, across two apps', () => {
  const hosts = appsOnOneRedis({
    security: { requestLimits: { requestsPerSecond: 1e6, joinsPerMinute: 1e6, chatsPerMinute: 1e6, joinsPerMeetingPerMinute: 1e6 } },
  });
  const apps = hosts.apps;
  const peers: NodePeer[] = [];
  let closedA = false;
  let s3: MotoServer | undefined;
  let bucket = '';
  const savedEnv: Partial<Record<(typeof S3_VARIABLES)[number], string>> = {};

  beforeAll(async () => {
    s3 = await startMoto(moto!);
    bucket = await s3.createBucket();
    // The apps read S3_* at their start, as a deployment's do (and put the uploads there too).
    for (const name of S3_VARIABLES) savedEnv[name] = process.env[name];
    Object.assign(process.env, { S3_ENDPOINT: s3.endpoint, S3_BUCKET: bucket, S3_ACCESS_KEY_ID: s3.credentials.accessKeyId, S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey });
    await hosts.setUp();
  }, 160_000);
  afterAll(async () => {
    for (const p of peers) await p.close().catch(() => undefined);
    for (const [i, app] of apps.entries()) if (i > 0 || !closedA) await app.close();
    await hosts.tearDown();
    s3?.stop();
    for (const name of S3_VARIABLES) {
      if (savedEnv[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnv[name];
    }
  }, 60_000);

  const download = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });
  const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

  it('a recording made and finished on app A downloads through app B after A is closed and its disk deleted', async () => {
    const [a, b] = apps as [(typeof apps)[number], (typeof apps)[number]];
    expect(a.recorder.storage).toBeInstanceOf(S3RecordingStorage);
    // ffmpeg writes on A's disk while the recording runs.
    const { id, workDir, info, peer: ada } = await recordAMeeting({ hosts, owner: a, via: a, room: 's3-rec', name: 'Ada', peers, finishMs: 90_000 });
    expect(info.state).toBe('ready');
    expect(info.manifest.composite?.file).toBe('composite.mp4');

    // Committed to the bucket: the description names no host, A's work directory is gone, the objects are there.
    const stored = (await b.recorder.get(id))!;
    expect(stored.filesAt).toBeUndefined();
    expect(b.recorder.holdsFiles(stored)).toBe(true);
    expect(fs.existsSync(workDir)).toBe(false);
    const files = info.manifest.tracks.flatMap((t) => t.parts.flatMap((p) => p.files));
    const listed = await s3!.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `recordings/${id}/` }));
    expect((listed.Contents ?? []).map((o) => o.Key!).sort()).toEqual([...files, 'composite.mp4'].map((f) => `recordings/${id}/${f}`).sort());

    const token = { authorization: `Bearer ${a.apiToken}` };
    const fromA = await download(`${a.url}/api/v1/recordings/${id}/file`, token);
    expect(fromA.status).toBe(200);
    const composite = await bytes(fromA);
    expect(composite.length).toBeGreaterThan(1_000);
    const track = files[0]!;
    const trackFromA = await bytes(await download(`${a.url}/api/v1/recordings/${id}/files/${track}`, token));

    // A gone, and its data directory with it (the test server's close deletes it).
    await ada.close();
    await a.close();
    closedA = true;
    expect(fs.existsSync(a.dataDir)).toBe(false);

    // B serves the composite itself, byte for byte, with the download's headers.
    const viaB = await download(`${b.url}/api/v1/recordings/${id}/file`, token);
    expect(viaB.status).toBe(200);
    expect(Number(viaB.headers.get('content-length'))).toBe(composite.length);
    expect(viaB.headers.get('content-disposition')).toMatch(/^attachment; filename="s3-rec-/);
    expect(viaB.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await bytes(viaB)).equals(composite)).toBe(true);
    // A track through a host's link signed on B; manifest.json made from the shared description.
    const linked = await download(`${b.url}/api/v1/recordings/${id}/files/${track}?access=${encodeURIComponent(b.recorder.downloadToken(id, track))}`);
    expect(linked.status).toBe(200);
    expect((await bytes(linked)).equals(trackFromA)).toBe(true);
    const manifest = await download(`${b.url}/api/v1/recordings/${id}/files/manifest.json`, token);
    expect(manifest.status).toBe(200);
    expect((await bytes(manifest)).toString('utf8')).toBe(manifestJson(stored.manifest));
    // Not listed, or no such recording: 404, as anywhere.
    expect((await download(`${b.url}/api/v1/recordings/${id}/files/t9-p0-0000.webm`, token)).status).toBe(404);
    expect((await download(`${b.url}/api/v1/recordings/no-such-recording/file`, token)).status).toBe(404);
    expect((await download(`${b.url}/api/v1/recordings/${id}/file`)).status).toBe(401);
  }, 180_000);

  it('a commit that fails (the bucket away) leaves the files on the host for its next start to commit, and no process down', async () => {
    const b = apps[1]!;
    const storage = b.recorder.storage;
    const commit = storage.commit.bind(storage);
    let failed = 0;
    storage.commit = () => {
      failed++;
      return Promise.reject(new Error('the bucket did not answer (injected)'));
    };
    try {
      const bo = new NodePeer(b.url);
      peers.push(bo);
      await bo.join('s3-rec-2', 'Bo');
      await waitUntil(() => b.rooms.get('s3-rec-2')?.participants.get(bo.room.participantId!)?.tracks.size === 2, 15_000, 'Bo publishing');
      const started = await hosts.rest(b, 'POST', '/rooms/s3-rec-2/recordings');
      expect(started.status).toBe(201);
      const id = started.body.id as string;
      const workDir = await storage.workDir(id);
      await waitUntil(async () => (await fs.promises.readdir(workDir)).some((name) => /^t\d+-p\d+-\d+\.webm$/.test(name)), 30_000, 'a track written on B');
      expect((await hosts.rest(b, 'DELETE', '/rooms/s3-rec-2/recordings/current')).status).toBe(200);
      await waitUntil(() => failed === 1, 90_000, 'the commit tried');
      // Still here, and still on B's disk; the description unfinished (not committed), so the next start commits it.
      await bo.close();
      expect((await fetch(`${b.url}/healthz`)).status).toBe(200);
      expect(fs.existsSync(workDir)).toBe(true);
      const stored = (await b.recorder.get(id))!;
      expect(stored.filesAt).toBeDefined();
    } finally {
      storage.commit = commit;
    }
  }, 180_000);
});
