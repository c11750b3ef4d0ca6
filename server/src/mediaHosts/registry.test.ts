/**
 * The registry and the directory in one process, on a Redis of the test's
 * own that is killed and restarted empty: an app keeps its media hosts
 * (and the rooms on them) through the outage, the host registers again,
 * and a host that leaves is dropped. Short intervals keep it quick; every
 * wait is on a condition.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@muster/kit/log';
import { privateRedis, redisTestsEnabled, waitUntil } from '@muster/kit/testing';
import { MediaHostServer, WorkerPool, mediaConfigFromEnv, type MediaWorker } from '@muster/media';
import { MediaHostDirectory } from './MediaHostDirectory.ts';
import { MediaHostRegistry, mediaHostsKey } from './MediaHostRegistry.ts';
import { renderMediaHostMetrics } from './metrics.ts';

const enabled = await redisTestsEnabled('the media host registry test');
const SECRET = 'registry-test-secret-0123456789abcdef';
const logger = createLogger({ level: 'silent' });

describe.skipIf(!enabled)('the media host registry and directory across a Redis restart', { timeout: 120_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps the hosts it knows while Redis is away, sees the host register again, ignores junk, and drops a host that leaves', async () => {
    const redis = await privateRedis();
    cleanups.push(() => redis.stop());
    const prefix = `muster-test-${randomBytes(4).toString('hex')}`;
    const hostPool = new WorkerPool({ ...mediaConfigFromEnv({}), numWorkers: 1 });
    cleanups.push(() => hostPool.close());
    await hostPool.start();
    const server = new MediaHostServer({ pool: hostPool, hostId: 'media-r', secret: SECRET, logger });
    cleanups.push(() => server.close());
    const port = await server.listen(0, '127.0.0.1');
    const registry = new MediaHostRegistry({
      redisUrl: redis.url,
      prefix,
      host: { id: 'media-r', url: `ws://127.0.0.1:${port}/media/link`, address: '127.0.0.1' },
      pool: hostPool,
      logger,
      intervalMs: 200,
    });
    cleanups.push(() => registry.stop());
    registry.start();

    const appPool = new WorkerPool({ ...mediaConfigFromEnv({}), numWorkers: 0 });
    cleanups.push(() => appPool.close());
    const directory = new MediaHostDirectory({ redisUrl: redis.url, prefix, secret: SECRET, pool: appPool, logger, intervalMs: 200, staleMs: 5_000 });
    cleanups.push(() => directory.close());
    directory.start();
    const worker = await waitUntil(() => appPool.workers.find((w) => w.host === 'media-r' && w.isReady), 30_000, 'the host’s worker in the app’s pool');
    const deaths: MediaWorker[] = [];
    appPool.on('workerdied', ({ worker: w }) => deaths.push(w));

    // Junk in the hash is passed over.
    const reader = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    reader.on('error', () => undefined);
    cleanups.push(() => reader.disconnect());
    await reader.hset(mediaHostsKey(prefix), 'bogus', 'not json', 'other', JSON.stringify({ id: 'other', url: 'file:///etc/passwd' }));
    await directory.refresh();
    expect(directory.hosts().map((h) => h.id)).toEqual(['media-r']);

    // Redis crashes: reads fail, the host and its worker stay.
    await redis.kill();
    await directory.refresh();
    await directory.refresh();
    expect(directory.hosts()).toEqual([expect.objectContaining({ id: 'media-r', connected: true })]);
    expect(worker.closed).toBe(false);

    // Back, empty: the host writes itself in again, and the app never let it go.
    await redis.start();
    await waitUntil(async () => (await reader.hget(mediaHostsKey(prefix), 'media-r').catch(() => null)) !== null, 30_000, 'the host registered again');
    await waitUntil(async () => {
      await directory.refresh();
      return directory.hosts().length === 1;
    }, 10_000, 'the directory reading again');
    expect(worker.closed).toBe(false);
    expect(deaths).toEqual([]);
    expect(appPool.workers).toContain(worker);

    // Its figures are what /metrics shows, too.
    const entry = JSON.parse((await reader.hget(mediaHostsKey(prefix), 'media-r'))!) as { capacity: number; load: { routers: number } };
    expect(entry).toMatchObject({ capacity: 1, load: { routers: 0 } });
    expect(renderMediaHostMetrics([{ id: 0, stats: await hostPool.workers[0]!.getStats() }], 1)).toMatch(/^muster_media_routers 0$/m);

    // The host leaves: out of the registry, its link closed; the app drops it and its worker dies (rooms would move).
    await registry.stop();
    expect(await reader.hexists(mediaHostsKey(prefix), 'media-r')).toBe(0);
    await server.close();
    await waitUntil(async () => {
      await directory.refresh();
      return directory.hosts().length === 0;
    }, 10_000, 'the host dropped');
    expect(deaths).toEqual([worker]);
    expect(appPool.workers).toEqual([]);
  });
});
