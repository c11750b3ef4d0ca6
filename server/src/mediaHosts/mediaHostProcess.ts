/**
 * A media host (MUSTER_ROLE=media): media workers and nothing else. Apps
 * find it in Redis (MediaHostRegistry) and drive its workers over the media
 * link (MediaHostServer on MEDIA_HOST_PORT, with MEDIA_SECRET); clients
 * send their media to its workers' UDP ports directly. The same port
 * serves `GET /metrics` (Bearer MEDIA_SECRET: it is reached across hosts)
 * and `GET /healthz`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MEDIA_LINK_PATH, MediaHostServer, WorkerPool } from '@muster/media';
import { constantTimeEqual } from '@muster/kit/constant-time';
import { log as rootLog } from '@muster/kit/log';
import { stopOnSignals } from '../cluster/lifecycle.ts';
import { mediaHostConfigFromEnv, mediaLinkUrl, type MediaHostConfig } from './config.ts';
import { MediaHostRegistry } from './MediaHostRegistry.ts';
import { renderMediaHostMetrics } from './metrics.ts';

const log = rootLog.child({ component: 'media-host' });

let config: MediaHostConfig;
try {
  config = mediaHostConfigFromEnv();
} catch (error) {
  log.fatal((error as Error).message);
  process.exit(1);
}

const pool = new WorkerPool(config.media);
await pool.start();
pool.on('workerdied', ({ worker }) => log.warn({ worker: worker.id }, 'media worker died; replacing it (apps move its rooms)'));

let hostServer: MediaHostServer | undefined;
const httpServer = http.createServer((req, res) => {
  const path = (req.url ?? '').split('?', 1)[0];
  if (req.method === 'GET' && path === '/healthz') {
    const workers = pool.workers.filter((w) => !w.closed).length;
    res.writeHead(workers > 0 ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: workers > 0 ? 'ok' : 'degraded', workers }));
    return;
  }
  if (req.method === 'GET' && path === '/metrics') {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!bearer || !constantTimeEqual(bearer[1]!, config.secret)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      return;
    }
    void metrics().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
      (error: unknown) => {
        log.error({ err: error }, 'media host: /metrics failed');
        res.writeHead(500).end();
      },
    );
    return;
  }
  res.writeHead(404).end();
});

async function metrics(): Promise<string> {
  // Fresh figures from every worker that answers (a stalled one is left out until the watchdog replaces it).
  const workers = pool.workers.filter((w) => !w.closed);
  const stats = await Promise.all(workers.map((w) => w.getStats().then((s) => ({ id: w.id, stats: s }), () => null)));
  return renderMediaHostMetrics(
    stats.filter((s) => s !== null),
    hostServer?.links ?? 0,
  );
}

await new Promise<void>((resolve, reject) => {
  httpServer.once('error', reject);
  httpServer.listen(config.port, config.listen, () => resolve());
});
const port = (httpServer.address() as AddressInfo).port;
// The address apps reach it at, not the hostname: cloned machines (and namespaces) share hostnames, and two hosts under one name would overwrite each other in the registry.
const hostId = config.hostId ?? `${config.address}:${port}`;
hostServer = new MediaHostServer({ pool, hostId, secret: config.secret, logger: log });
hostServer.attach(httpServer);
const url = mediaLinkUrl(config.address, port, MEDIA_LINK_PATH);
const registry = new MediaHostRegistry({ redisUrl: config.redisUrl, prefix: config.redisKeyPrefix, host: { id: hostId, url, address: config.address }, pool, logger: log });
registry.start();
log.info({ mediaHost: hostId, port, listen: config.listen, url, workers: pool.workers.length }, `media host ${hostId} serving its ${pool.workers.length} workers on port ${port}`);

stopOnSignals(log, async () => {
  // Out of the registry first, so that no app links anew while the links are closing.
  await registry.stop();
  await hostServer?.close();
  await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  pool.close();
});
