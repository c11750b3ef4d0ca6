/**
 * Media hosts (MUSTER_ROLE=media) as separate processes, found through a
 * real Redis: an app with no workers of its own (MEDIA_LOCAL=0) places a
 * meeting on a media host's worker, two libwebrtc peers exchange media
 * through it, and when that host is SIGKILLed while another is up, the
 * room moves there, the clients get `media.reset`, and media flows again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisTestsEnabled, TEST_REDIS_URL } from '@muster/kit/testing';
import type { NodePeer } from '@muster/signaling/testing';
import { meetingOfTwo, mediaBackOnNewSubscribers, startTestServer, waitUntil } from '../testing/index.ts';
import { mediaHostEntry, mediaHostsKey, type MediaHostEntry } from './MediaHostRegistry.ts';

const enabled = await redisTestsEnabled('the media hosts test');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.join(ROOT, 'server/src/main.ts');
const SECRET = 'media-hosts-test-secret-0123456789abcdef';

/** A media host process as an operator starts one (`MUSTER_ROLE=media npm start`), through the repository's tsx entry. */
class MediaHostProcess {
  readonly child: ChildProcess;
  output = '';
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--import', 'tsx', MAIN], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exit = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

describe.skipIf(!enabled)('media hosts registered through Redis', { timeout: 240_000 }, () => {
  const prefix = `muster-test-media-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let app: Awaited<ReturnType<typeof startTestServer>>;
  const hosts = new Map<string, MediaHostProcess>();
  const peers: NodePeer[] = [];

  const startHost = (id: string) => {
    const host = new MediaHostProcess({
      MUSTER_ROLE: 'media',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      MEDIA_SECRET: SECRET,
      MEDIA_HOST_ID: id,
      MEDIA_HOST_PORT: '0',
      MEDIA_HOST_LISTEN: '127.0.0.1',
      MEDIA_HOST_ADDRESS: '127.0.0.1',
      MEDIA_WORKERS: '1',
      // The app of this test is in another process: the host must not think itself one.
      MUSTER_PROCESS: '',
    });
    hosts.set(id, host);
    return host;
  };
  const entries = async (): Promise<Map<string, MediaHostEntry>> => {
    const raw = await redis.hgetall(mediaHostsKey(prefix));
    return new Map(Object.entries(raw).map(([id, value]) => [id, mediaHostEntry.parse(JSON.parse(value))]));
  };
  /** A host's entry once it has registered with a live worker. */
  const registered = (id: string) =>
    waitUntil(
      async () => {
        const host = hosts.get(id)!;
        if (!host.running) throw new Error(`media host ${id} exited: ${host.output}`);
        const entry = (await entries()).get(id);
        return entry && entry.capacity > 0 ? entry : undefined;
      },
      90_000,
      `media host ${id} registered`,
    );
  const appWorkerOn = (id: string) => waitUntil(() => app.pool.workers.find((w) => w.host === id && w.isReady), 30_000, `the app linked to ${id}’s worker`);

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    startHost('media-a');
    await registered('media-a');
    app = await startTestServer({ redisUrl: TEST_REDIS_URL, redisKeyPrefix: prefix, mediaSecret: SECRET, media: { numWorkers: 0 } });
  }, 180_000);
  afterAll(async () => {
    for (const peer of peers) await peer.close().catch(() => undefined);
    await app?.close();
    for (const host of hosts.values()) if (host.running) host.child.kill('SIGKILL');
    await Promise.all([...hosts.values()].map((h) => h.exit));
    await redis?.del(mediaHostsKey(prefix));
    redis?.disconnect();
  });

  it('refuses to start a media host without REDIS_URL and MEDIA_SECRET, saying so', async () => {
    const bare = new MediaHostProcess({ MUSTER_ROLE: 'media', REDIS_URL: '', MEDIA_SECRET: '' });
    expect(await bare.exit).toEqual({ code: 1, signal: null });
    expect(bare.output).toContain('MUSTER_ROLE=media needs REDIS_URL and MEDIA_SECRET');
  });

  it('registers a media host in Redis, and the app, which runs no workers, links to it', async () => {
    const entry = (await entries()).get('media-a')!;
    expect(entry).toMatchObject({ id: 'media-a', address: '127.0.0.1', capacity: 1, load: { routers: 0, consumers: 0 } });
    expect(entry.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/media\/link$/);
    const worker = await appWorkerOn('media-a');
    expect(worker.pipeAddress).toBe('127.0.0.1');
    expect(app.pool.workers.every((w) => w.host !== 'local')).toBe(true);
    expect(app.mediaHosts?.hosts()).toEqual([expect.objectContaining({ id: 'media-a', connected: true, workers: 1 })]);
  });

  it('carries a meeting on the media host, and moves it to another host when that one is killed', async () => {
    await appWorkerOn('media-a');
    peers.push(...(await meetingOfTwo(app.url, 'on-a-media-host')));
    const room = app.rooms.get('on-a-media-host')!;
    expect(room.worker.host).toBe('media-a');
    // The host counts the room in its registration.
    await waitUntil(async () => ((await entries()).get('media-a')?.load.routers ?? 0) >= 1, 10_000, 'the room in media-a’s load');

    startHost('media-b');
    await registered('media-b');
    await appWorkerOn('media-b');

    const resets: string[][] = peers.map(() => []);
    peers.forEach((peer, i) => peer.room.socket!.on('media.reset', ({ reason }: { reason: string }) => resets[i]!.push(reason)));
    const oldSubscribers = peers.map((p) => p.room.peerConnections.subscriber);
    hosts.get('media-a')!.child.kill('SIGKILL');

    await waitUntil(() => room.worker.host === 'media-b', 30_000, 'the room moved to media-b');
    await waitUntil(() => resets.every((r) => r.includes('worker-lost')), 30_000, 'media.reset on both clients');
    await mediaBackOnNewSubscribers(peers, oldSubscribers, Date.now() + 60_000);
    expect(app.rooms.get('on-a-media-host')).toBe(room);
    expect(room.participants.size).toBe(2);
    expect(app.pool.workers.some((w) => w.host === 'media-a')).toBe(false);
    // The dead host's entry goes stale (it never deleted it) and the app stops trying it.
    await waitUntil(() => !app.mediaHosts!.hosts().some((h) => h.id === 'media-a'), 30_000, 'media-a dropped by the app');
  });

  it('serves /metrics to the secret only, with the pipe counters', async () => {
    const url = (await entries()).get('media-b')!.url.replace(/^ws:/, 'http:').replace(/\/media\/link$/, '/metrics');
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${SECRET}x` } })).status).toBe(401);
    const response = await fetch(url, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^muster_media_workers 1$/m);
    expect(text).toMatch(/^muster_media_links 1$/m);
    expect(Number(/^muster_media_routers (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^muster_media_consumers (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    for (const name of [
      'muster_media_pipe_rtp_packets_sent_total',
      'muster_media_pipe_rtp_packets_received_total',
      'muster_media_pipe_rtcp_packets_sent_total',
      'muster_media_pipe_rtcp_packets_received_total',
      'muster_media_pipe_bytes_sent_total',
      'muster_media_pipe_bytes_received_total',
      'muster_media_pipe_transports',
    ]) {
      expect(text).toMatch(new RegExp(`^${name} \\d+$`, 'm'));
      expect(text).toMatch(new RegExp(`^muster_media_worker_${name.slice('muster_media_'.length)}\\{worker="\\d+",pid="\\d+"\\} \\d+$`, 'm'));
    }
  });

  it('stops a media host cleanly on SIGTERM, out of the registry', async () => {
    for (const peer of peers.splice(0)) await peer.close().catch(() => undefined);
    // Its room closed first: a room would otherwise wait for a worker to move to, and find none.
    await waitUntil(() => app.rooms.get('on-a-media-host') === undefined, 30_000, 'the empty room closed');
    const host = hosts.get('media-b')!;
    host.child.kill('SIGTERM');
    expect(await host.exit).toEqual({ code: 0, signal: null });
    expect((await entries()).has('media-b')).toBe(false);
    await waitUntil(() => !app.pool.workers.some((w) => w.host === 'media-b'), 10_000, 'media-b’s worker gone from the app');
  });
});
