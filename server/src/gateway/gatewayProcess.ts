/**
 * A gateway process (MUSTER_PROCESS=gateway), started by the supervisor:
 * takes the connections it is handed, reports its load, and stops when told
 * (or when the supervisor is gone). Imports nothing of the app: a gateway
 * is small, and a host runs one per 18,000 connections.
 */
import type { Socket } from 'node:net';
import { log } from '@muster/kit/log';
import { DEFAULT_HEARTBEAT_MS } from '@muster/kit/longlink';
import type { ChildMessage, SupervisorMessage } from '../cluster/processProtocol.ts';
import { stopAsChild } from '../cluster/lifecycle.ts';
import { tlsFromEnv } from '../http/tls.ts';
import { DEFAULT_MAX_CONNECTIONS, Gateway } from './Gateway.ts';

const env = process.env;
const id = env.GATEWAY_ID ?? `g-${process.pid}`;
const positive = (name: string, fallback: number): number => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${env[name]}"`);
  return value;
};
if (!env.MUSTER_APP_URL || !env.MUSTER_INTERNAL_SECRET || !process.send) throw new Error('a gateway process is started by the supervisor (MUSTER_APP_URL, MUSTER_INTERNAL_SECRET, IPC)');

const gateway = new Gateway({
  id,
  appUrl: env.MUSTER_APP_URL,
  secret: env.MUSTER_INTERNAL_SECRET,
  logger: log.child({ component: 'gateway', gateway: id }),
  heartbeatMs: positive('LONGLINK_HEARTBEAT_S', DEFAULT_HEARTBEAT_MS / 1000) * 1000,
  maxConnections: positive('GATEWAY_MAX_CONNECTIONS', DEFAULT_MAX_CONNECTIONS),
  tls: tlsFromEnv(env),
});
const tell = (message: ChildMessage) => process.send?.(message);

stopAsChild(() => gateway.close());
process.on('message', (message: SupervisorMessage, handle: unknown) => {
  if (message.t === 'conn') gateway.take(handle as Socket);
  else if (message.t === 'app') gateway.useApp(message.url);
});

const report = setInterval(() => tell({ t: 'load', connections: gateway.connections }), 500);
report.unref();
await gateway.ready();
tell({ t: 'ready' });
