import path from 'node:path';
import { mediaConfigFromEnv, type MediaConfig } from '@muster/media';
import type { RecorderConfig } from '@muster/recorder';

export interface ServerConfig {
  port: number;
  host: string;
  /** Where Muster keeps its files (API token, later boards and recordings). */
  dataDir: string;
  /** Bearer token for the REST API; generated and kept under dataDir when unset. */
  apiToken?: string;
  roomCloseGraceMs: number;
  participantGraceMs: number;
  /** Built browser client to serve; absent in API-only deployments. */
  webDistDir?: string;
  media: MediaConfig;
  /** Overrides of the recorder's settings, which otherwise come from the environment (FFMPEG_PATH, RECORDING_*). */
  recording?: Partial<RecorderConfig>;
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
    webDistDir: path.resolve(env.MUSTER_WEB_DIST ?? new URL('../../web-demo/dist', import.meta.url).pathname),
    media: mediaConfigFromEnv(env),
  };
}
