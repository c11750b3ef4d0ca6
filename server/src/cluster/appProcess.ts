/**
 * The app process (MUSTER_PROCESS=app), started by the supervisor: the
 * whole server on loopback, behind the gateways, which attach over their
 * uplinks with the secret it was given.
 */
import { log } from '@muster/kit/log';
import { serverConfigFromEnv } from '../config.ts';
import { startMusterServer } from '../server.ts';
import type { ChildMessage } from './processProtocol.ts';
import { stopAsChild } from './lifecycle.ts';

const server = await startMusterServer(serverConfigFromEnv());
log.info({ port: server.port, mediaWorkers: server.pool.workers.length }, `app process ready on 127.0.0.1:${server.port} (behind the gateways)`);
if (server.apiTokenFile) log.info({ file: server.apiTokenFile, generated: server.apiTokenGenerated }, `REST API token: in ${server.apiTokenFile} (mode 600)`);
else log.info('REST API token: from MUSTER_API_TOKEN');

stopAsChild(() => server.close());
process.send?.({ t: 'ready', port: server.port } satisfies ChildMessage);
