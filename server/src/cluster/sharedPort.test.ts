/**
 * `npm start` as it runs (server/src/main.ts, the real app): the gateways
 * accept on the one listening socket and the supervisor holds none of the
 * client connections (issue 18: a supervisor holding the connections it had
 * accepted until a gateway took them ran out of open files at 300,000).
 * Read from /proc: which process holds each established connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../testing/index.ts';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));
const CONNECTIONS = 150;

/** The socket inodes a process has open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // Closed meanwhile.
    }
  }
  return inodes;
}

/** The inodes of the established TCP connections whose local port is `port` (the server's ends). */
function establishedOn(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '01') continue;
      if (parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

const children = (pid: number): number[] =>
  fs
    .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);

const countIn = (inodes: Set<string>, of: Set<string>) => [...inodes].filter((i) => of.has(i)).length;

describe.skipIf(process.platform !== 'linux')('npm start: one port shared by the gateways', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-shared-port-'));
  let server: ChildProcess;
  let port = 0;
  let log = '';
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });

  beforeAll(async () => {
    server = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', MUSTER_DATA_DIR: dataDir, MEDIA_WORKERS: '1', GATEWAYS: '2', GATEWAY_MAX_CONNECTIONS: '60', GATEWAY_CEILING: '70', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    // The line server/src/multihost/NetnsHosts.ts waits for.
    await waitUntil(() => /Muster is listening on http:\/\/localhost:(\d+)/.test(log) || server.exitCode !== null, 120_000, 'Muster is listening on');
    port = Number(/Muster is listening on http:\/\/localhost:(\d+)/.exec(log)?.[1]);
  }, 130_000);
  afterAll(async () => {
    agent.destroy();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('the gateways hold every connection and the supervisor none, its open files as few as before', async () => {
    expect(port).toBeGreaterThan(0);
    const supervisor = server.pid!;
    const filesBefore = fs.readdirSync(`/proc/${supervisor}/fd`).length;
    // 150 connections at once, each kept open (keep-alive) after its answer, which the app gives through a gateway.
    const statuses = await Promise.all(
      Array.from(
        { length: CONNECTIONS },
        () =>
          new Promise<number>((resolve, reject) => {
            http
              .get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
                res.resume();
                res.on('end', () => resolve(res.statusCode!));
              })
              .on('error', reject);
          }),
      ),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    const open = Object.values(agent.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);
    expect(open).toBe(CONNECTIONS);

    // Every one of them is held by a gateway (more than two: 70 at most each, so one more was started), none by the supervisor.
    let established = establishedOn(port);
    await waitUntil(
      () => {
        established = establishedOn(port);
        return children(supervisor).reduce((n, pid) => n + countIn(socketInodes(pid), established), 0) === CONNECTIONS;
      },
      30_000,
      'the gateways holding the connections',
    );
    expect(countIn(socketInodes(supervisor), established)).toBe(0);
    const filesAfter = fs.readdirSync(`/proc/${supervisor}/fd`).length;
    // A gateway started meanwhile adds its IPC channel; 150 connections add nothing.
    expect(filesAfter - filesBefore).toBeLessThan(10);
    const holders = children(supervisor).filter((pid) => countIn(socketInodes(pid), established) > 0);
    expect(holders.length).toBeGreaterThanOrEqual(3);
  });

  it('stops on SIGTERM, exiting 0', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
