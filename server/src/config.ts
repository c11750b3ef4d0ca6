import os from 'node:os';
import path from 'node:path';
import type { KdfCost, KeyPasswords } from '@muster/db';
import type { CodeChannel, PasswordCost } from '@muster/accounts';
import { mediaConfigFromEnv, type MediaConfig } from '@muster/media';
import type { RecorderConfig } from '@muster/recorder';
import { securityHeadersOptionsFromEnv, type SecurityHeadersOptions } from './http/securityHeaders.ts';
import { DEFAULT_PARTICIPANTS_PER_ROUTER, DEFAULT_REQUEST_LIMITS, DEFAULT_JOIN_TIMEOUT_MS, type RequestLimits } from '@muster/signaling';
import { trustProxyFrom, type TrustProxy } from '@muster/kit/client-address';
import { tlsFromEnv, type TlsFiles } from './http/tls.ts';
import { mediaHostAddressFromEnv, mediaSecretFromEnv } from './mediaHosts/config.ts';
import { reachableAddresses } from './crossHost/hostAddresses.ts';

/** Who may talk to the server from a browser, whom to believe about client addresses, and the limits per address. */
export interface SecurityConfig {
  /**
   * Origins, besides the server's own, whose pages may open socket
   * connections and call the API from a browser (`ALLOWED_ORIGINS`,
   * comma-separated, e.g. `https://portal.example.org`). The API sends CORS
   * headers only to these.
   */
  allowedOrigins: string[];
  /** The reverse proxies whose `X-Forwarded-For` is believed (`TRUST_PROXY`); none by default. */
  trustProxy: TrustProxy;
  /** When set, `/metrics` needs `Authorization: Bearer <METRICS_TOKEN>`. */
  metricsToken?: string;
  /** A socket that has not joined a meeting or board by then is closed. */
  joinTimeoutMs: number;
  requestLimits: RequestLimits;
  /** Browser hardening headers; HSTS only when set (`MUSTER_HSTS_MAX_AGE`). */
  headers: SecurityHeadersOptions;
}

export interface ServerConfig {
  port: number;
  host: string;
  /** Where Muster keeps its files (API token, later boards and recordings). */
  dataDir: string;
  /** Bearer token for the REST API; generated and kept under dataDir when unset. */
  apiToken?: string;
  roomCloseGraceMs: number;
  participantGraceMs: number;
  /** ROOM_PARTICIPANTS_PER_WORKER: people on one router of a meeting before it spans another worker or media host. */
  participantsPerRouter?: number;
  /** Built browser client to serve; absent in API-only deployments. */
  webDistDir?: string;
  media: MediaConfig;
  /** Overrides of the recorder's settings, which otherwise come from the environment (FFMPEG_PATH, RECORDING_*). */
  recording?: Partial<RecorderConfig>;
  /** Origin checks, proxies and per-address limits; the defaults when not given. */
  security?: Partial<SecurityConfig>;
  /** DATABASE_URL: `postgres://…` for PostgreSQL; unset, SQLite at `<dataDir>/muster.db`. */
  databaseUrl?: string;
  /**
   * Tests only: the scrypt cost of a keyring created at this start (the
   * default costs seconds per start on a small machine). An existing
   * database keeps the cost it was created with.
   */
  kdfCost?: KdfCost;
  /**
   * The two key passwords, given directly (tests, or an embedding program);
   * otherwise they come from the environment, or the embedded default.
   */
  keyPasswords?: KeyPasswords;
  /** Accounts: phone region, public URL, the code channel. */
  accounts?: AccountsConfig;
  /** REDIS_URL: limits (codes, log-ins, joins…) shared by every server process; this process's memory when unset. */
  redisUrl?: string;
  /** REDIS_KEY_PREFIX: keeps this installation's keys apart in a shared Redis (default `muster`). */
  redisKeyPrefix?: string;
  /**
   * MEDIA_SECRET: with REDIS_URL, rooms are also placed on the media hosts
   * (MUSTER_ROLE=media) registered in Redis, whose links need this secret.
   * `MEDIA_LOCAL=0` (media.numWorkers 0) leaves them the only workers.
   */
  mediaSecret?: string;
  /**
   * MUSTER_RELAY_URL: where the other app hosts reach this host's public
   * port (`http://10.0.0.2:8080`), to carry meeting connections and host
   * controls to the meetings held here (with REDIS_URL). Read from the
   * environment: this machine's first non-loopback address and the public
   * port when unset. Without one, meetings are served where they are joined.
   */
  meetingRelayUrl?: string;
  /** Instant messaging settings; the defaults when not given. */
  im?: ImConfig;
  /**
   * MUSTER_INTERNAL_SECRET: set by the supervisor for the app process it
   * runs; gateway processes present it on their uplinks (`/internal/uplink`).
   * Unset: no gateway can attach (one process serves everything itself).
   */
  internalSecret?: string;
  /** TLS_CERT and TLS_KEY (PEM), read at start: HTTPS on the port, when this process serves it itself. */
  tls?: TlsFiles;
}

export interface ImConfig {
  /** IM_RECALL_WINDOW_S: how long after sending people may recall their own messages (default 120 s). */
  recallWindowMs?: number;
  /** IM_MAX_SENDS_IN_FLIGHT: sends one process takes on at once; past it they are refused with BUSY, 503 (default 2000). */
  maxSendsInFlight?: number;
  /** Tests only: IM's clock (retention and recall tests move it by hand). */
  now?: () => number;
  /** Tests only: how long a call rings before it is missed (default 45 s). */
  callRingMs?: number;
}

export interface AccountsConfig {
  /** DEFAULT_PHONE_REGION: how numbers without +country are read (default CN). */
  phoneRegion?: string;
  /** PUBLIC_URL: the address people use (https://muster.example.org), for links shown outside the browser. */
  publicUrl?: string;
  /** CODE_CHANNEL (log | http) and SMS_GATEWAY_*, read at start when not given. */
  channel?: CodeChannel;
  /** Tests only: a cheaper Argon2id. */
  passwordCost?: PasswordCost;
}

export const DEFAULT_SECURITY: SecurityConfig = {
  allowedOrigins: [],
  trustProxy: trustProxyFrom(undefined),
  joinTimeoutMs: DEFAULT_JOIN_TIMEOUT_MS,
  requestLimits: DEFAULT_REQUEST_LIMITS,
  headers: {},
};

function countEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number above 0, got "${raw}"`);
  return value;
}

/** An origin as browsers send it: scheme, host and port, nothing else. */
function originOf(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name}: "${value}" is not an origin such as https://portal.example.org`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name}: "${value}" must be http or https`);
  return url.origin;
}

export function securityConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SecurityConfig {
  return {
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((o) => originOf(o, 'ALLOWED_ORIGINS')),
    trustProxy: trustProxyFrom(env.TRUST_PROXY),
    metricsToken: env.METRICS_TOKEN || undefined,
    joinTimeoutMs: msEnv(env, 'SOCKET_JOIN_TIMEOUT_MS', DEFAULT_JOIN_TIMEOUT_MS),
    requestLimits: {
      requestsPerSecond: countEnv(env, 'RATE_REQUESTS_PER_ADDRESS', DEFAULT_REQUEST_LIMITS.requestsPerSecond),
      joinsPerMinute: countEnv(env, 'RATE_JOINS_PER_ADDRESS', DEFAULT_REQUEST_LIMITS.joinsPerMinute),
      chatsPerMinute: countEnv(env, 'RATE_CHATS_PER_ADDRESS', DEFAULT_REQUEST_LIMITS.chatsPerMinute),
      joinsPerMeetingPerMinute: countEnv(env, 'RATE_JOINS_PER_MEETING', DEFAULT_REQUEST_LIMITS.joinsPerMeetingPerMinute),
    },
    headers: securityHeadersOptionsFromEnv(env),
  };
}

function msEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of milliseconds, got "${raw}"`);
  return value;
}

export function serverConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = env.PORT ? Number(env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir: path.resolve(env.MUSTER_DATA_DIR ?? './data'),
    apiToken: env.MUSTER_API_TOKEN || undefined,
    roomCloseGraceMs: msEnv(env, 'ROOM_CLOSE_GRACE_MS', 30_000),
    participantGraceMs: msEnv(env, 'PARTICIPANT_GRACE_MS', 15_000),
    participantsPerRouter: countEnv(env, 'ROOM_PARTICIPANTS_PER_WORKER', DEFAULT_PARTICIPANTS_PER_ROUTER),
    webDistDir: path.resolve(env.MUSTER_WEB_DIST ?? new URL('../../web-demo/dist', import.meta.url).pathname),
    media: { ...mediaConfigFromEnv(env), ...mediaLocalFromEnv(env) },
    security: securityConfigFromEnv(env),
    databaseUrl: env.DATABASE_URL || undefined,
    accounts: { phoneRegion: env.DEFAULT_PHONE_REGION || 'CN', publicUrl: env.PUBLIC_URL || undefined },
    redisUrl: env.REDIS_URL || undefined,
    redisKeyPrefix: env.REDIS_KEY_PREFIX || undefined,
    mediaSecret: mediaSecretFromEnv(env),
    im: imConfigFromEnv(env),
    internalSecret: env.MUSTER_INTERNAL_SECRET || undefined,
    meetingRelayUrl: env.REDIS_URL ? relayUrlFromEnv(env) : undefined,
    // The app behind gateways (MUSTER_PROCESS=app) speaks HTTP on loopback: its gateways terminate TLS.
    tls: env.MUSTER_PROCESS === 'app' ? undefined : tlsFromEnv(env),
  };
}

/**
 * MUSTER_RELAY_URL, or this host's public port (MUSTER_PUBLIC_PORT, which the
 * supervisor gives its app, else PORT) at its first non-loopback address:
 * IPv4 before IPv6, https when the port serves TLS. Undefined when neither
 * can be told (port 0: chosen at start).
 */
export function relayUrlFromEnv(env: NodeJS.ProcessEnv, interfaces = os.networkInterfaces()): string | undefined {
  if (env.MUSTER_RELAY_URL) return originOf(env.MUSTER_RELAY_URL, 'MUSTER_RELAY_URL');
  const port = Number(env.MUSTER_PUBLIC_PORT || env.PORT || 8080);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  const [address] = reachableAddresses(interfaces);
  if (!address) return undefined;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${env.TLS_CERT ? 'https' : 'http'}://${host}:${port}`;
}

/**
 * MEDIA_LOCAL=0: this app runs no media workers of its own; rooms go to
 * media hosts only (MUSTER_ROLE=media). MEDIA_WORKERS=0 still means one per
 * core, as it always has.
 */
function mediaLocalFromEnv(env: NodeJS.ProcessEnv): Partial<MediaConfig> {
  const raw = env.MEDIA_LOCAL;
  // This host's own workers beside media hosts: a room spanning both pipes between them, so they must bind where the media hosts reach them.
  if (raw === undefined || raw === '' || raw === '1') return env.REDIS_URL && env.MEDIA_SECRET ? { pipeAddress: mediaHostAddressFromEnv(env) } : {};
  if (raw !== '0') throw new Error(`MEDIA_LOCAL must be 0 (media hosts only) or 1 (the default), got "${raw}"`);
  if (!env.REDIS_URL || !env.MEDIA_SECRET) throw new Error('MEDIA_LOCAL=0 needs REDIS_URL and MEDIA_SECRET: without media hosts no meeting could carry media');
  return { numWorkers: 0 };
}

export function imConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ImConfig {
  const config: ImConfig = {};
  const recall = env.IM_RECALL_WINDOW_S;
  if (recall) {
    const seconds = Number(recall);
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`IM_RECALL_WINDOW_S must be a number of seconds, got "${recall}"`);
    config.recallWindowMs = seconds * 1000;
  }
  const sends = env.IM_MAX_SENDS_IN_FLIGHT;
  if (sends) {
    const n = Number(sends);
    if (!Number.isInteger(n) || n < 1) throw new Error(`IM_MAX_SENDS_IN_FLIGHT must be a whole number of at least 1, got "${sends}"`);
    config.maxSendsInFlight = n;
  }
  return config;
}
