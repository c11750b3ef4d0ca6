/**
 * `npm start`: one host's Muster. By default the supervisor (cluster/): the
 * app process behind gateway processes that hold the connections, all on
 * one public port. `GATEWAYS=0` runs everything in this one process
 * instead (no longlink), as before issue 18. The children run this same
 * file with MUSTER_PROCESS set; each imports only what its role needs.
 * `MUSTER_ROLE=media` makes this host a media host instead.
 */
import { fileURLToPath } from 'node:url';
import { log } from '@muster/kit/log';

const role = process.env.MUSTER_PROCESS;
const hostRole = process.env.MUSTER_ROLE;
if (hostRole && hostRole !== 'media' && hostRole !== 'app') throw new Error(`MUSTER_ROLE must be "media" (a media host) or "app" (the default), got "${hostRole}"`);
// A media host runs media workers only, for the apps of other hosts (mediaHosts/): no supervisor, no port of the app's.
if (hostRole === 'media') await import('./mediaHosts/mediaHostProcess.ts');
else if (role === 'gateway') await import('./gateway/gatewayProcess.ts');
else if (role === 'app') await import('./cluster/appProcess.ts');
else if (process.env.GATEWAYS === '0') await import('./singleProcess.ts');
else await startSupervisor();

async function startSupervisor(): Promise<void> {
  const { Supervisor } = await import('./cluster/Supervisor.ts');
  const { stopOnSignals } = await import('./cluster/lifecycle.ts');
  const gateways = process.env.GATEWAYS ?? 'auto';
  const minGateways = gateways === 'auto' ? 1 : Number(gateways);
  if (!Number.isInteger(minGateways) || minGateways < 0) throw new Error(`GATEWAYS must be a whole number or "auto", got "${gateways}"`);
  const maxPerGateway = process.env.GATEWAY_MAX_CONNECTIONS ? Number(process.env.GATEWAY_MAX_CONNECTIONS) : undefined;
  const port = process.env.PORT ? Number(process.env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  const supervisor = new Supervisor({
    port,
    host: process.env.HOST ?? '0.0.0.0',
    minGateways,
    maxPerGateway,
    entry: fileURLToPath(import.meta.url),
    env: process.env,
    logger: log.child({ component: 'supervisor' }),
  });
  await supervisor.start();
  const stats = supervisor.getStats();
  log.info({ port: supervisor.port, gateways: stats.gateways.length, app: stats.appPid }, `Muster is listening on ${process.env.TLS_CERT ? 'https' : 'http'}://localhost:${supervisor.port}`);

  stopOnSignals(log, () => supervisor.stop());
}
