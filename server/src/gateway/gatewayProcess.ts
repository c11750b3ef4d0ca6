/**
 * A gateway process (MUSTER_PROCESS=gateway), started by the supervisor:
 * accepts connections on the host's shared listening socket while the
 * supervisor lets it, reports its load, and stops when told (or when the
 * supervisor is gone). Imports nothing of the app: a gateway is small, and a
 * host runs one per 18,000 connections.
 */
import fs from 'node:fs';
import { log } from '@muster/kit/log';
import { DEFAULT_HEARTBEAT_MS } from '@muster/kit/longlink';
import type { ChildMessage, SupervisorMessage } from '../cluster/processProtocol.ts';
import { stopAsChild } from '../cluster/lifecycle.ts';
import { tlsFromEnv } from '../http/tls.ts';
import { DEFAULT_MAX_CONNECTIONS, FILE_HEADROOM, Gateway } from './Gateway.ts';

const env = process.env;
const id = env.GATEWAY_ID ?? `g-${process.pid}`;
const positive = (name: string, fallback: number): number => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${env[name]}"`);
  return value;
};
if (!env.MUSTER_APP_URL || !env.MUSTER_INTERNAL_SECRET || !process.send) throw new Error('a gateway process is started by the supervisor (MUSTER_APP_URL, MUSTER_INTERNAL_SECRET, IPC)');

/** This process's limit of open files (Linux: /proc/self/limits); the customer's 20,000 where it cannot be read. */
function openFileLimit(): number {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    const soft = Number(line?.[1]);
    if (Number.isInteger(soft) && soft > 0) return soft;
  } catch {
    // Not Linux.
  }
  return 20_000;
}

const maxConnections = positive('GATEWAY_MAX_CONNECTIONS', DEFAULT_MAX_CONNECTIONS);
// GATEWAY_CEILING: tests set one just above a tiny cap; otherwise the open-file limit decides.
const ceiling = env.GATEWAY_CEILING ? positive('GATEWAY_CEILING', 1) : openFileLimit() - FILE_HEADROOM;
/** The supervisor's last command this gateway has carried out (its reports say so). */
let ack = 0;
const tell = (message: ChildMessage) => process.send?.(message);
const report = () => tell({ t: 'load', connections: gateway.held, accepting: gateway.accepting, ack });

const gateway = new Gateway({
  id,
  appUrl: env.MUSTER_APP_URL,
  secret: env.MUSTER_INTERNAL_SECRET,
  logger: log.child({ component: 'gateway', gateway: id }),
  heartbeatMs: positive('LONGLINK_HEARTBEAT_S', DEFAULT_HEARTBEAT_MS / 1000) * 1000,
  maxConnections,
  ceiling,
  onLoad: report,
  tls: tlsFromEnv(env),
});
if (!env.GATEWAY_CEILING && gateway.ceiling < maxConnections + 100) log.warn({ gateway: id, ceiling: gateway.ceiling, maxConnections }, 'the open-file limit leaves little room above GATEWAY_MAX_CONNECTIONS');

stopAsChild(() => gateway.close());
process.on('message', (message: SupervisorMessage, handle: unknown) => {
  if (message.t === 'listen') {
    ack = message.n;
    if (handle) gateway.acceptOn(handle);
    report();
  } else if (message.t === 'pause') {
    ack = message.n;
    gateway.pauseAccepting();
    report();
  } else if (message.t === 'app') gateway.useApp(message.url);
});

const reports = setInterval(report, 500);
reports.unref();
await gateway.ready();
tell({ t: 'ready', ceiling: gateway.ceiling });
