import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './freePort.ts';
import { waitUntil } from './waitUntil.ts';

export const TEST_REDIS_URL = process.env.MUSTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether a Redis answers at `url` (a TCP connect and a PING). */
export async function redisReachable(url = TEST_REDIS_URL): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * Whether Redis tests should run: a missing Redis skips them with a loud
 * notice on a developer machine; under CI=true they run and fail.
 */
export async function redisTestsEnabled(what = 'Redis tests', url = TEST_REDIS_URL): Promise<boolean> {
  if (await redisReachable(url)) return true;
  if (process.env.CI === 'true') return true;
  console.warn(['', '!'.repeat(78), `!!  SKIPPING ${what}: no Redis at ${url}`, '!!  Start one, or set MUSTER_TEST_REDIS_URL. Under CI=true these tests fail instead.', '!'.repeat(78), ''].join('\n'));
  return false;
}

/**
 * A Redis of the test's own (redis-server, a child process on a free port,
 * nothing saved), so that killing and restarting it disturbs no other test.
 * `kill` is a crash (SIGKILL); `start` brings it back empty.
 */
export async function privateRedis(): Promise<{ url: string; kill(): Promise<void>; start(): Promise<void>; stop(): Promise<void> }> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitUntil(() => redisReachable(`redis://127.0.0.1:${port}`), 10_000, 'the private Redis');
  };
  const kill = async () => {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, kill, stop: () => (child && child.exitCode === null ? kill() : Promise.resolve()) };
}
