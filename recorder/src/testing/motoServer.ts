/**
 * A local S3 server for the recordings' S3 tests (`@muster/recorder/testing/s3`):
 * moto's server mode (`moto_server`, or `python3 -m moto.server`), found and
 * started as files/src/domain/S3Storage.test.ts does. Without moto a test is
 * skipped loudly; under CI=true it fails instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, waitUntil } from '@muster/kit/testing';

/** How to start moto here, or null (after a loud notice) to skip; throws under CI=true. `what` names the test file. */
export function motoCommand(what: string): string[] | null {
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0) return ['moto_server'];
  if (spawnSync('python3', ['-c', 'import moto.server, flask, flask_cors'], { stdio: 'ignore' }).status === 0) return ['python3', '-m', 'moto.server'];
  if (process.env.CI === 'true') throw new Error(`no S3 test server (moto) for ${what}: install moto[server] (pip) so moto_server is on PATH (CI=true: this is a failure)`);
  console.warn(['', '!'.repeat(78), `!!  SKIPPING the S3 recordings test (${what}): no moto server`, '!!  Install moto[server] (pip) so moto_server is on PATH. Under CI=true this fails instead.', '!'.repeat(78), ''].join('\n'));
  return null;
}

export interface MotoServer {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A client of this server, path-style, as the storages make theirs. */
  client: S3Client;
  /** A new bucket of a random name; returns its name. */
  createBucket(): Promise<string>;
  /** Kills the server (SIGKILL): requests to it are refused from then on. */
  stop(): void;
}

/** Starts moto on a free loopback port and waits until it answers. */
export async function startMoto(command: string[]): Promise<MotoServer> {
  const port = await freePort();
  const [bin, ...args] = command;
  const child: ChildProcess = spawn(bin!, [...args, '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(() => fetch(endpoint).then((r) => r.ok, () => false), 30_000, 'moto to answer');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const credentials = { accessKeyId: 'test', secretAccessKey: `test-secret-${crypto.randomBytes(6).toString('hex')}` };
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  return {
    endpoint,
    credentials,
    client,
    async createBucket() {
      const bucket = `muster-rec-${crypto.randomBytes(4).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    stop() {
      client.destroy();
      child.kill('SIGKILL');
    },
  };
}
