import { serverConfigFromEnv } from './config.ts';
import { startMusterServer } from './server.ts';

const config = serverConfigFromEnv();
const server = await startMusterServer(config);
console.log(`Muster is listening on http://localhost:${server.port} (${server.pool.workers.length} media workers)`);
if (server.apiTokenGenerated) console.log(`REST API token (generated, kept in ${server.apiTokenFile}): ${server.apiToken}`);
else if (server.apiTokenFile) console.log(`REST API token (from ${server.apiTokenFile}): ${server.apiToken}`);
else console.log('REST API token: from MUSTER_API_TOKEN');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('Muster is shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
