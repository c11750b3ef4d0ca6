import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

  private constructor(child: ChildProcess, dataDir: string) {
    this.#child = child;
    this.#dataDir = dataDir;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** Every line the server writes to stdout from now on (its log: the chat scenario reads sign-up codes there). */
  onLine(listener: (line: string) => void): () => void {
    this.#lineListeners.add(listener);
    return () => this.#lineListeners.delete(listener);
  }

  /** `env`: more environment for the server (the chat scenario's TRUST_PROXY, DATABASE_URL). */
  static async start(options: { workers?: number; env?: Record<string, string> } = {}): Promise<ServerUnderTest> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-loadtest-'));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'server/src/main.ts')], {
      cwd: REPO,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        MUSTER_DATA_DIR: dataDir,
        MUSTER_API_TOKEN: randomBytes(16).toString('hex'),
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
    const server = new ServerUnderTest(child, dataDir);
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
    if (this.#child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#child.kill('SIGKILL');
          resolve();
        }, 10_000);
        this.#child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        this.#child.kill('SIGTERM');
      });
    }
    fs.rmSync(this.#dataDir, { recursive: true, force: true });
  }
}
