import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mediaConfigFromEnv, type MediaConfig } from '@muster/media';
import { TEST_KDF_COST, TEST_KEYS } from '@muster/db/testing';
import { TEST_PASSWORD_COST } from '@muster/accounts';
import { startMusterServer, type MusterServer } from '../server.ts';
import type { ServerConfig } from '../config.ts';

/** A real Muster server on a free port with its own data directory. */
export async function startTestServer(
  overrides: Partial<Omit<ServerConfig, 'media'>> & { media?: Partial<MediaConfig> } = {},
): Promise<MusterServer & { dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-test-'));
  const media = { ...mediaConfigFromEnv({}), numWorkers: 1, ...overrides.media };
  const server = await startMusterServer({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    apiToken: 'test-token-0123456789',
    roomCloseGraceMs: 1_000,
    participantGraceMs: 3_000,
    webDistDir: path.resolve(new URL('../../../web-demo/dist', import.meta.url).pathname),
    // scrypt at its minimum for the fresh keyring: the default costs seconds per start here.
    kdfCost: TEST_KDF_COST,
    // Given, not generated into the data directory with the embedded default's loud warning.
    keyPasswords: TEST_KEYS,
    ...overrides,
    // Argon2id at its cheapest: tests check the rules, the benchmark measures the cost.
    accounts: { passwordCost: TEST_PASSWORD_COST, ...overrides.accounts },
    media,
    // Cheap composites: tests check the recording, not its picture quality.
    recording: { width: 320, height: 180, fps: 15, preset: 'ultrafast', minFreeBytes: 0, ...overrides.recording },
  });
  const close = server.close.bind(server);
  return Object.assign(server, {
    dataDir,
    async close() {
      await close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
