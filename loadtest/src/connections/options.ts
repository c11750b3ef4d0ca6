/**
 * The connections scenario's flags (issue 18), validated. Pure (no I/O), so
 * the parsing and its defaults are unit-tested.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { MAX_PER_PROCESS, processLoads } from './FleetPlan.ts';

export const CONNECTIONS_USAGE = `Usage: npm run loadtest -- --scenario connections --connections N [options]

  --connections N     long connections to open and hold (≤ 1,000,000)     required
  --ramp S            seconds over which they are opened, evenly          default 30
  --hold S            seconds they are held after the ramp                default 30
  --users U           distinct people they belong to (connection i is person i mod U)
                      default max(60,000, N/10), at most N
  --transport T       longlink (the gateways' /longlink) or socketio (the socket.io
                      /account namespace, for comparison)                 default longlink
  --target T          muster, or ejabberd (the same bots over XMPP)       default muster
  --gateways G        GATEWAYS of the server it starts (the minimum; more start as
                      connections grow); 0 with socketio: the server as one process,
                      socket.io served directly (no gateway in between)  default: the server's
  --bot-processes P   load-generator processes (each ≤ ${MAX_PER_PROCESS.toLocaleString('en')} connections)
                      default ceil(N / 15,000)
  --url URL           test a running Muster server instead of starting one; needs
  --api-token T       its MUSTER_API_TOKEN (the announcement), and
  --data-dir DIR      its MUSTER_DATA_DIR (people are provisioned into its database,
                      opened with this environment, as the server opens it)
  --json FILE         write the JSON report
  --md FILE           write the Markdown report
`;

export const ConnectionsOptionsSchema = z
  .object({
    scenario: z.literal('connections'),
    connections: z.coerce.number().int().min(1).max(1_000_000),
    ramp: z.coerce.number().gt(0).max(86_400).default(30),
    hold: z.coerce.number().min(0).max(86_400).default(30),
    users: z.coerce.number().int().min(1).max(1_000_000).optional(),
    transport: z.enum(['longlink', 'socketio']).default('longlink'),
    target: z.enum(['muster', 'ejabberd']).default('muster'),
    gateways: z.coerce.number().int().min(0).max(256).optional(),
    'bot-processes': z.coerce.number().int().min(1).max(256).optional(),
    url: z.url().optional(),
    'api-token': z.string().min(1).optional(),
    'data-dir': z.string().min(1).optional(),
    json: z.string().optional(),
    md: z.string().optional(),
  })
  .refine((o) => o.users === undefined || o.users <= o.connections, { message: '--users cannot exceed --connections (each person holds at least one)', path: ['users'] })
  .refine((o) => !o.url || (o['api-token'] && o['data-dir']), { message: '--url needs --api-token (its MUSTER_API_TOKEN) and --data-dir (its MUSTER_DATA_DIR, to provision people)', path: ['url'] })
  .refine((o) => o.url || (o['api-token'] ?? o['data-dir']) === undefined, { message: '--api-token and --data-dir go with --url', path: ['url'] })
  .refine((o) => !(o.url && o.gateways !== undefined), { message: '--gateways sets up the server started here: not with --url', path: ['gateways'] })
  .refine((o) => o.gateways !== 0 || o.transport === 'socketio', { message: '--gateways 0 (no gateway: no longlink) goes with --transport socketio', path: ['gateways'] })
  .refine((o) => o.target === 'muster' || (o.transport === 'longlink' && !o.url && o.gateways === undefined), { message: '--target ejabberd takes neither --transport socketio, --url nor --gateways', path: ['target'] });

export interface ConnectionsOptions {
  connections: number;
  /** Seconds over which the connections are opened. */
  ramp: number;
  /** Seconds they are held after the ramp. */
  hold: number;
  users: number;
  transport: 'longlink' | 'socketio';
  target: 'muster' | 'ejabberd';
  gateways?: number;
  botProcesses: number;
  /** A running server: its URL, API token and data directory. */
  url?: string;
  apiToken?: string;
  dataDir?: string;
  json?: string;
  md?: string;
}

const FLAGS = ['scenario', 'connections', 'ramp', 'hold', 'users', 'transport', 'target', 'gateways', 'bot-processes', 'url', 'api-token', 'data-dir', 'json', 'md'];

/** At least 60,000 distinct people (the issue's 600k run), a tenth of the connections beyond that, never more than the connections. */
export const defaultUsers = (connections: number) => Math.min(connections, Math.max(60_000, Math.ceil(connections / 10)));
/** Bot processes so each holds about 15,000 connections, under the 18,000 one may hold. */
export const defaultBotProcesses = (connections: number) => Math.max(1, Math.ceil(connections / 15_000));

/** Parses the command line; a list of problems when it is wrong. */
export function parseConnectionsArgs(argv: readonly string[]): { ok: true; options: ConnectionsOptions } | { ok: false; problems: string[] } {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options: Object.fromEntries(FLAGS.map((k) => [k, { type: 'string' as const }])), strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { ok: false, problems: [(error as Error).message] };
  }
  const parsed = ConnectionsOptionsSchema.safeParse(values);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`) };
  const o = parsed.data;
  const users = o.users ?? defaultUsers(o.connections);
  // More processes than people would leave some empty.
  const botProcesses = Math.min(users, o['bot-processes'] ?? defaultBotProcesses(o.connections));
  const largest = Math.max(...processLoads(o.connections, users, botProcesses));
  if (largest > MAX_PER_PROCESS) {
    return { ok: false, problems: [`bot-processes: one of ${botProcesses} processes would hold ${largest} connections, more than ${MAX_PER_PROCESS} (one process may have 20,000 open files): use more`] };
  }
  return {
    ok: true,
    options: {
      connections: o.connections,
      ramp: o.ramp,
      hold: o.hold,
      users,
      transport: o.transport,
      target: o.target,
      ...(o.gateways !== undefined ? { gateways: o.gateways } : {}),
      botProcesses,
      ...(o.url ? { url: o.url.replace(/\/+$/, ''), apiToken: o['api-token']!, dataDir: o['data-dir']! } : {}),
      ...(o.json ? { json: o.json } : {}),
      ...(o.md ? { md: o.md } : {}),
    },
  };
}
