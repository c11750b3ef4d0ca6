/** `GATEWAYS=0`: the whole server in this one process, serving the port itself (sockets on socket.io only; no longlink). */
import { log } from '@muster/kit/log';
import { serverConfigFromEnv } from './config.ts';
import { startMusterServer } from './server.ts';
import { stopOnSignals } from './cluster/lifecycle.ts';

const config = serverConfigFromEnv();
const server = await startMusterServer(config);
log.info({ port: server.port, mediaWorkers: server.pool.workers.length }, `Muster is listening on ${server.url}`);
// The token itself never goes into a log: only where to read it.
if (server.apiTokenFile) log.info({ file: server.apiTokenFile, generated: server.apiTokenGenerated }, `REST API token: in ${server.apiTokenFile} (mode 600)`);
else log.info('REST API token: from MUSTER_API_TOKEN');

stopOnSignals(log, () => server.close());
