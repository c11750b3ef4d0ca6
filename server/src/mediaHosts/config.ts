import os from 'node:os';
import { mediaConfigFromEnv, type MediaConfig } from '@muster/media';
import { reachableAddresses } from '../crossHost/hostAddresses.ts';

export const DEFAULT_MEDIA_HOST_PORT = 4443;
/** A shared secret shorter than this is refused: it guards every media worker of the installation. */
export const MIN_MEDIA_SECRET_LENGTH = 16;

/** A media host's settings (MUSTER_ROLE=media). */
export interface MediaHostConfig {
  /** MEDIA_HOST_ID: its name in the registry; `<MEDIA_HOST_ADDRESS>:<port>` by default (known once listening). */
  hostId?: string;
  /** MEDIA_HOST_LISTEN (0.0.0.0): where the link and /metrics are served. */
  listen: string;
  /** MEDIA_HOST_PORT (4443; 0: any free port, logged). */
  port: number;
  /** MEDIA_HOST_ADDRESS, else ANNOUNCED_IP, else the first non-loopback IPv4: where apps and other hosts reach it. */
  address: string;
  redisUrl: string;
  redisKeyPrefix: string;
  secret: string;
  /** The workers, as for an app (MEDIA_WORKERS, RTC_*, ANNOUNCED_IP…). */
  media: MediaConfig;
}

/** MEDIA_SECRET, checked: unset is allowed here (the caller decides), weak is not. */
export function mediaSecretFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const secret = env.MEDIA_SECRET;
  if (!secret) return undefined;
  if (secret.length < MIN_MEDIA_SECRET_LENGTH) throw new Error(`MEDIA_SECRET must be at least ${MIN_MEDIA_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`);
  return secret;
}

export function mediaHostConfigFromEnv(env: NodeJS.ProcessEnv = process.env, interfaces = os.networkInterfaces()): MediaHostConfig {
  const missing = ['REDIS_URL', 'MEDIA_SECRET'].filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(`MUSTER_ROLE=media needs ${missing.join(' and ')}: a media host registers in Redis, and apps link to it with the shared secret (see docs/operations.md, Media hosts)`);
  }
  const rawPort = env.MEDIA_HOST_PORT;
  const port = rawPort === undefined || rawPort === '' ? DEFAULT_MEDIA_HOST_PORT : Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`MEDIA_HOST_PORT must be a port number (0: any), got "${rawPort}"`);
  const address = mediaHostAddressFromEnv(env, interfaces);
  if (!address) throw new Error('MUSTER_ROLE=media: no address to register (no non-loopback IPv4 here); set MEDIA_HOST_ADDRESS');
  const media = mediaConfigFromEnv(env);
  return {
    hostId: env.MEDIA_HOST_ID || undefined,
    listen: env.MEDIA_HOST_LISTEN || '0.0.0.0',
    port,
    address,
    redisUrl: env.REDIS_URL!,
    redisKeyPrefix: env.REDIS_KEY_PREFIX || 'muster',
    secret: mediaSecretFromEnv(env)!,
    media,
  };
}

/**
 * Where other hosts reach this one's media workers (their pipe transports,
 * and a media host's link): MEDIA_HOST_ADDRESS, else ANNOUNCED_IP, else the
 * first non-loopback IPv4.
 */
export function mediaHostAddressFromEnv(env: NodeJS.ProcessEnv, interfaces = os.networkInterfaces()): string | undefined {
  return (
    env.MEDIA_HOST_ADDRESS ||
    env.ANNOUNCED_IP ||
    reachableAddresses(interfaces).find((a) => a.family === 'IPv4')?.address
  );
}

/** The link's URL at `address` (an IPv6 address in brackets). */
export function mediaLinkUrl(address: string, port: number, path: string): string {
  return `ws://${address.includes(':') ? `[${address}]` : address}:${port}${path}`;
}
