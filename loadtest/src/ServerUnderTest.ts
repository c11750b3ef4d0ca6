import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLine, environmentVariable, processTree } from './processStats.ts';
import { stopChild } from './stopChild.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerMetrics {
  worker: string;
  pid: number;
  cpuSeconds: number;
  rssBytes: number;
  packetsIn: number;
  packetsOut: number;
}

/** Reads the per-worker figures out of Muster's /metrics. */
export function parseWorkerMetrics(text: string): WorkerMetrics[] {
  const byWorker = new Map<string, WorkerMetrics>();
  const field: Record<string, keyof WorkerMetrics> = {
    muster_worker_cpu_seconds_total: 'cpuSeconds',
    muster_worker_rss_bytes: 'rssBytes',
    muster_worker_packets_in_total: 'packetsIn',
    muster_worker_packets_out_total: 'packetsOut',
  };
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{worker="([^"]+)",pid="(\d+)"\} (\S+)$/.exec(line);
    if (!m || !field[m[1]!]) continue;
    const key = `${m[2]}:${m[3]}`;
    let w = byWorker.get(key);
    if (!w) byWorker.set(key, (w = { worker: m[2]!, pid: Number(m[3]), cpuSeconds: 0, rssBytes: 0, packetsIn: 0, packetsOut: 0 }));
    (w[field[m[1]!]!] as number) = Number(m[4]);
  }
  return [...byWorker.values()];
}

export async function fetchWorkerMetrics(url: string): Promise<WorkerMetrics[]> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return parseWorkerMetrics(await res.text());
}

/** A Muster server the harness starts for itself, in its own process tree. */
export class ServerUnderTest {
  readonly #child: ChildProcess;
  readonly #dataDir: string;
  readonly #lineListeners = new Set<(line: string) => void>();
  url = '';
  /** MUSTER_API_TOKEN of this server: the REST API's bearer token (announcements). */
  readonly apiToken: string;

  private constructor(child: ChildProcess, dataDir: string, apiToken: string) {
    this.#child = child;
    this.#dataDir = dataDir;
    this.apiToken = apiToken;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** A fresh data directory: `start` makes one, or takes one prepared beforehand (people provisioned into it). */
  static newDataDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'muster-loadtest-'));
  }

  /** Every process of the server now, each with its role (see serverProcesses). */
  processes(): { pid: number; role: string }[] {
    return serverProcesses(this.pid);
  }

  /**
   * The process that runs the domains (REST, IM, files): the app under the
   * supervisor of `npm start`'s tree, or the one process itself. Per-thread
   * figures of the supervisor (which only starts children) say nothing.
   */
  appPid(): number {
    return this.processes().find((p) => p.role === 'app')?.pid ?? this.pid;
  }

  /** Every line the server writes to stdout from now on (its log: the chat scenario reads sign-up codes there). */
  onLine(listener: (line: string) => void): () => void {
    this.#lineListeners.add(listener);
    return () => this.#lineListeners.delete(listener);
  }

  /**
   * `env`: more environment for the server (the chat scenario's TRUST_PROXY, DATABASE_URL).
   * `dataDir`: one from `newDataDir()`, prepared beforehand; removed at `stop` like one made here.
   */
  static async start(options: { workers?: number; env?: Record<string, string>; dataDir?: string } = {}): Promise<ServerUnderTest> {
    const dataDir = options.dataDir ?? ServerUnderTest.newDataDir();
    const apiToken = randomBytes(16).toString('hex');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'server/src/main.ts')], {
      cwd: REPO,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        MUSTER_DATA_DIR: dataDir,
        MUSTER_API_TOKEN: apiToken,
        ...(options.workers ? { MEDIA_WORKERS: String(options.workers) } : {}),
        ROOM_CLOSE_GRACE_MS: '1000',
        // Every bot comes from 127.0.0.1: the per-address limits that stop one attacker would stop the whole fleet.
        RATE_REQUESTS_PER_ADDRESS: '1000000',
        RATE_JOINS_PER_ADDRESS: '1000000',
        RATE_CHATS_PER_ADDRESS: '1000000',
        RATE_JOINS_PER_MEETING: '1000000',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const server = new ServerUnderTest(child, dataDir, apiToken);
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      if (server.#lineListeners.size > 0) for (const line of lines) for (const listener of server.#lineListeners) listener(line);
    });
    server.url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
      child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (http:\/\/\S+?):(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${m[2]}`);
        }
      });
    });
    return server;
  }

  async stop(): Promise<void> {
    await stopChild(this.#child, { graceMs: 10_000 });
    fs.rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

/**
 * Every process of a Muster server, the one started first (`root`) first,
 * each with its role: the supervisor, the app, the gateways it starts as
 * connections grow, the app's media workers ('main' and its media workers
 * when it runs as one process, GATEWAYS=0). Not the esbuild processes tsx
 * runs beside each of them (about 12 MB each) when Muster runs from its
 * TypeScript sources, as here.
 */
export function serverProcesses(root: number): { pid: number; role: string }[] {
  const [first, ...children] = processTree(root);
  if (first === undefined) return [];
  // tsx compiles the sources through an esbuild service process beside each Node process: the harness's way of running Muster, not Muster.
  const roles = children.filter((pid) => !/\/esbuild$/.test(commandLine(pid)?.[0] ?? '')).map((pid) => ({ pid, role: serverRole(pid) }));
  const clustered = roles.some((r) => r.role === 'app' || r.role === 'gateway');
  return [{ pid: first, role: clustered ? 'supervisor' : 'main' }, ...roles];
}

/** A server child process's role: a media worker by the script it runs, the others by the MUSTER_PROCESS the supervisor starts them with. */
function serverRole(pid: number): string {
  const argv = commandLine(pid) ?? [];
  if (argv.some((arg) => /media\/src\/worker\//.test(arg))) return 'media-worker';
  return environmentVariable(pid, 'MUSTER_PROCESS') ?? path.basename(argv.find((arg) => /\.(m?js|ts)$/.test(arg)) ?? argv[0] ?? 'unknown');
}
