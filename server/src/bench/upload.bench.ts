/**
 * `npm run bench:upload -w server`: a 1 GiB upload through tus against a
 * whole Muster server, and its download back (issue 17).
 *
 * The server (startTestServer: SQLite, a temporary data directory) runs in a
 * child process (uploadServer.ts), so its CPU time and memory are read from
 * /proc apart from this process's (which generates, sends and hashes the
 * bytes). One person is signed up over REST; everything below is HTTP with
 * their Bearer token, over loopback, with plain node:http (tus 1.0.0 by
 * hand, so the interruption can be placed and timed exactly).
 *
 * Each run, with its own seed:
 *
 * 1. **straight**: POST /api/v1/uploads (Upload-Length, Upload-Metadata
 *    filename), then PATCHes of `--chunk-mib` (16) MiB until the end;
 * 2. **interrupted**: the same, but the PATCH that crosses ~50 % is cut
 *    mid-stream (the socket destroyed); HEAD gives the offset the server
 *    kept, and PATCHes resume from there to the end;
 * 3. both files are downloaded back (GET /api/v1/files/:id, streamed), and
 *    the last MiB of each is read with `Range: bytes=-1048576`.
 *
 * The content is a seeded PRNG stream (the AES-256-CTR keystream of a key
 * derived from the seed, so it can be regenerated from any offset for a
 * resume or a Range check): never held in memory whole and never written to
 * disk by the bench. SHA-256 is computed while sending and while
 * downloading and compared. "Processing" is from the moment the last
 * PATCH's body was handed to the kernel (the request's `finish`) to its
 * reply, which the server sends once the file is processed (it includes
 * draining what was still in the loopback socket's buffers).
 *
 * Server CPU is utime + stime of the server process (all its threads; not
 * the idle media worker, a process of its own), per phase; peak RSS is its
 * VmHWM, reset once the server is up (/proc/<pid>/clear_refs), and the
 * largest VmRSS sampled every 100 ms in each phase. Disk is what `du` would
 * count under `<dataDir>/files` (allocated blocks) and the apparent sizes.
 * The data directory is removed at the end (by the server, and again here).
 *
 * Options: --runs N (3), --mib N (1024), --chunk-mib N (16),
 * --json <path>, --md <path> (default: server/bench-results/upload-<time>.json|.md).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ReadyMessage } from './uploadServer.ts';

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const numberOption = (name: string, fallback: number): number => {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} wants a positive number, got "${raw}"`);
  return value;
};
const RUNS = Math.round(numberOption('--runs', 3));
const SIZE = Math.round(numberOption('--mib', 1024) * MiB);
const CHUNK = Math.round(numberOption('--chunk-mib', 16) * MiB);
/** Where the interrupted upload is cut: just past half, inside a PATCH and not on a 16-byte block. */
const CUT_AT = Math.floor(SIZE / 2) + Math.floor(CHUNK * 0.37) + 7;
const TAIL = Math.min(MiB, SIZE);
const TICKS_PER_SECOND = 100; // Linux USER_HZ
const here = path.dirname(fileURLToPath(import.meta.url));

// ------------------------------------------------------------------ content

/** The bytes of one file: the AES-256-CTR keystream of a key derived from the seed, from any offset. */
class Content {
  readonly #key: Buffer;
  static readonly #zeros = Buffer.alloc(MiB);

  constructor(readonly seed: string) {
    this.#key = crypto.createHash('sha256').update(`muster/files/bench/upload\0${seed}`).digest();
  }

  /** Bytes start..end-1, in pieces of at most 1 MiB. */
  *range(start: number, end: number): Generator<Buffer> {
    const block = Math.floor(start / 16);
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64BE(BigInt(block), 8);
    const cipher = crypto.createCipheriv('aes-256-ctr', this.#key, iv);
    if (start % 16 !== 0) cipher.update(Content.#zeros.subarray(0, start % 16));
    for (let at = start; at < end; ) {
      const n = Math.min(MiB, end - at);
      yield cipher.update(Content.#zeros.subarray(0, n));
      at += n;
    }
  }
}

/** SHA-256 of a stream of pieces given with their offsets; a piece sent again (after a resume) is counted once. */
class OrderedHash {
  readonly #hash = crypto.createHash('sha256');
  upTo = 0;

  feed(offset: number, piece: Buffer): void {
    if (offset > this.upTo) throw new Error(`hash: a gap at ${this.upTo}..${offset}`);
    const from = this.upTo - offset;
    if (from >= piece.length) return;
    this.#hash.update(from === 0 ? piece : piece.subarray(from));
    this.upTo = offset + piece.length;
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}

// ------------------------------------------------------------------ /proc

interface ProcSample {
  at: number;
  cpuSeconds: number;
  /** Of which in the kernel (stime): system calls, the page cache, loopback TCP. */
  sysSeconds: number;
  rssBytes: number;
  hwmBytes: number;
}

function sampleProc(pid: number): ProcSample {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { at: performance.now(), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND, sysSeconds: Number(fields[12]) / TICKS_PER_SECOND, rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM') };
}

/** Busy and total ticks of the whole machine (/proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const ticks = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** The server's figures over one phase: CPU, the largest RSS sampled, and the machine's busy share (in % of one core). */
class Phase {
  readonly #pid: number;
  readonly #from: ProcSample;
  readonly #machine = machineTicks();
  readonly #client = process.cpuUsage();
  #maxRss: number;
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number) {
    this.#pid = pid;
    this.#from = sampleProc(pid);
    this.#maxRss = this.#from.rssBytes;
    this.#timer = setInterval(() => {
      try {
        this.#maxRss = Math.max(this.#maxRss, sampleProc(this.#pid).rssBytes);
      } catch {
        // the server is gone; the phase's end says so
      }
    }, 100);
  }

  end() {
    clearInterval(this.#timer);
    const to = sampleProc(this.#pid);
    const machine = machineTicks();
    const client = process.cpuUsage(this.#client);
    const seconds = (to.at - this.#from.at) / 1000;
    const serverCpuSeconds = to.cpuSeconds - this.#from.cpuSeconds;
    const clientCpuSeconds = (client.user + client.system) / 1e6;
    const machineBusyPct = machine.total > this.#machine.total ? ((machine.busy - this.#machine.busy) / (machine.total - this.#machine.total)) * os.cpus().length * 100 : NaN;
    return {
      seconds,
      serverCpuSeconds,
      serverSysSeconds: to.sysSeconds - this.#from.sysSeconds,
      serverCpuPct: (serverCpuSeconds / seconds) * 100,
      clientCpuSeconds,
      machineBusyPct,
      /** What neither the server nor this process used (other work on the machine, the media worker, the kernel's own threads). */
      othersPct: machineBusyPct - ((serverCpuSeconds + clientCpuSeconds) / seconds) * 100,
      serverMaxRssBytes: Math.max(this.#maxRss, to.rssBytes),
      serverPeakRssBytes: to.hwmBytes,
    };
  }
}

// ------------------------------------------------------------------ HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });

interface Server {
  url: string;
  token: string;
}

function call(server: Server, method: string, route: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}${route}`, { method, agent, headers: { authorization: `Bearer ${server.token}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const TUS = { 'tus-resumable': '1.0.0' };

async function createUpload(server: Server, name: string): Promise<string> {
  const res = await call(server, 'POST', '/api/v1/uploads', {
    ...TUS,
    'upload-length': String(SIZE),
    'upload-metadata': `filename ${Buffer.from(name).toString('base64')},filetype ${Buffer.from('application/octet-stream').toString('base64')}`,
    'content-length': '0',
  });
  if (res.status !== 201) throw new Error(`POST /uploads: ${res.status} ${res.text}`);
  return String(res.headers.location).split('/').pop()!;
}

async function headOffset(server: Server, id: string): Promise<{ offset: number; length: number }> {
  const res = await call(server, 'HEAD', `/api/v1/uploads/${id}`, TUS);
  if (res.status !== 200) throw new Error(`HEAD /uploads/${id}: ${res.status}`);
  return { offset: Number(res.headers['upload-offset']), length: Number(res.headers['upload-length']) };
}

interface PatchResult {
  /** Bytes handed to the socket. */
  sent: number;
  startedAt: number;
  /** All of the body handed to the kernel (the request's `finish`). */
  bodySentAt?: number;
  repliedAt?: number;
  status?: number;
  offset?: number;
  cut: boolean;
}

/** One PATCH of content start..end-1; `cutAt` destroys the socket once the bytes before it are written. */
function patch(server: Server, id: string, content: Content, hash: OrderedHash, start: number, end: number, cutAt?: number): Promise<PatchResult> {
  return new Promise((resolve, reject) => {
    const result: PatchResult = { sent: 0, startedAt: performance.now(), cut: false };
    const req = http.request(`${server.url}/api/v1/uploads/${id}`, {
      method: 'PATCH',
      agent,
      headers: {
        authorization: `Bearer ${server.token}`,
        ...TUS,
        'upload-offset': String(start),
        'content-type': 'application/offset+octet-stream',
        'content-length': String(end - start),
      },
    });
    req.on('finish', () => (result.bodySentAt = performance.now()));
    req.on('response', (res) => {
      result.repliedAt = performance.now();
      result.status = res.statusCode;
      result.offset = Number(res.headers['upload-offset']);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (result.status !== 204) reject(new Error(`PATCH at ${start}: ${result.status} ${Buffer.concat(chunks).toString('utf8')}`));
        else resolve(result);
      });
    });
    req.on('error', (error) => (result.cut ? resolve(result) : reject(error)));
    void (async () => {
      let at = start;
      for (const piece of content.range(start, end)) {
        const take = cutAt !== undefined && at + piece.length >= cutAt ? piece.subarray(0, cutAt - at) : piece;
        hash.feed(at, take);
        at += take.length;
        result.sent += take.length;
        const more = req.write(take);
        if (take !== piece) {
          // The connection drops at once, as a phone leaving Wi-Fi mid-upload: what is still queued in this process is lost.
          void more;
          result.cut = true;
          req.destroy(new Error('cut by the benchmark'));
          return;
        }
        if (!more) await once(req, 'drain');
      }
      req.end();
    })().catch((error: unknown) => (result.cut ? resolve(result) : reject(error)));
  });
}

interface UploadFigures {
  id: string;
  seed: string;
  sha256: string;
  wallSeconds: number;
  mbPerSecond: number;
  patches: number;
  bytesSent: number;
  patchMsMedian: number;
  lastPatchMs: number;
  processingMs: number;
  /** Every PATCH in order: where it started, how long until its reply, and the server's CPU over it (the cut one included). */
  patchLog: { offset: number; bytes: number; ms: number; serverCpuMs: number; serverSysMs: number; cut: boolean }[];
  interruption?: { cutAfterBytes: number; serverKeptBytes: number; resentBytes: number; headAfterCutMs: number; resumedAtPct: number };
  headAfterFinish: { offset: number; length: number };
  server: ReturnType<Phase['end']>;
  serverCpuSecondsPerGiB: number;
}

async function upload(server: Server, pid: number, seed: string, cut: boolean): Promise<UploadFigures> {
  const content = new Content(seed);
  const hash = new OrderedHash();
  const phase = new Phase(pid);
  const started = performance.now();
  const id = await createUpload(server, `bench-${seed}.bin`);
  const done: PatchResult[] = [];
  let interruption: UploadFigures['interruption'];
  let bytesSent = 0;
  const patchLog: UploadFigures['patchLog'] = [];
  for (let offset = 0; offset < SIZE; ) {
    const end = Math.min(offset + CHUNK, SIZE);
    const cutAt = cut && !interruption && offset < CUT_AT && CUT_AT < end ? CUT_AT : undefined;
    const before = sampleProc(pid);
    const r = await patch(server, id, content, hash, offset, end, cutAt);
    const after = sampleProc(pid);
    patchLog.push({ offset, bytes: r.sent, ms: r2((r.repliedAt ?? performance.now()) - r.startedAt), serverCpuMs: Math.round((after.cpuSeconds - before.cpuSeconds) * 1000), serverSysMs: Math.round((after.sysSeconds - before.sysSeconds) * 1000), cut: r.cut });
    bytesSent += r.sent;
    if (r.cut) {
      const cutDone = performance.now();
      const head = await headOffset(server, id);
      const kept = head.offset;
      interruption = { cutAfterBytes: offset + r.sent, serverKeptBytes: kept, resentBytes: offset + r.sent - kept, headAfterCutMs: performance.now() - cutDone, resumedAtPct: (kept / SIZE) * 100 };
      offset = kept;
      continue;
    }
    if (r.offset !== end) throw new Error(`PATCH ${offset}..${end}: the server says offset ${r.offset}`);
    done.push(r);
    offset = end;
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const server_ = phase.end();
  const headAfterFinish = await headOffset(server, id);
  if (headAfterFinish.offset !== SIZE) throw new Error(`HEAD after the last PATCH: offset ${headAfterFinish.offset}, not ${SIZE}`);
  const last = done.at(-1)!;
  const durations = done.slice(0, -1).map((p) => p.repliedAt! - p.startedAt);
  return {
    id,
    seed,
    sha256: hash.digest(),
    wallSeconds,
    mbPerSecond: SIZE / 1e6 / wallSeconds,
    patches: done.length + (interruption ? 1 : 0),
    bytesSent,
    patchMsMedian: median(durations),
    lastPatchMs: last.repliedAt! - last.startedAt,
    processingMs: last.repliedAt! - last.bodySentAt!,
    patchLog,
    interruption,
    headAfterFinish,
    server: server_,
    serverCpuSecondsPerGiB: server_.serverCpuSeconds / (SIZE / 2 ** 30),
  };
}

interface DownloadFigures {
  id: string;
  status: number;
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  sha256: string;
  matches: boolean;
  server: ReturnType<Phase['end']>;
  serverCpuSecondsPerGiB: number;
}

/** GET the whole file, streamed through SHA-256. */
async function download(server: Server, pid: number, id: string, expected: string): Promise<DownloadFigures> {
  const phase = new Phase(pid);
  const started = performance.now();
  const { status, bytes, sha256 } = await new Promise<{ status: number; bytes: number; sha256: string }>((resolve, reject) => {
    const req = http.request(`${server.url}/api/v1/files/${id}`, { method: 'GET', agent, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
      const hash = crypto.createHash('sha256');
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, sha256: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  const seconds = (performance.now() - started) / 1000;
  const server_ = phase.end();
  return { id, status, bytes, seconds, mbPerSecond: bytes / 1e6 / seconds, sha256, matches: status === 200 && bytes === SIZE && sha256 === expected, server: server_, serverCpuSecondsPerGiB: server_.serverCpuSeconds / (bytes / 2 ** 30) };
}

/** The last MiB with `Range: bytes=-N`, against the same bytes regenerated. */
async function lastMiB(server: Server, id: string, seed: string) {
  const started = performance.now();
  const res = await new Promise<{ status: number; contentRange: string | undefined; body: Buffer }>((resolve, reject) => {
    const req = http.request(`${server.url}/api/v1/files/${id}`, { method: 'GET', agent, headers: { authorization: `Bearer ${server.token}`, range: `bytes=-${TAIL}` } }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, contentRange: r.headers['content-range'], body: Buffer.concat(chunks) }));
      r.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  const ms = performance.now() - started;
  const expected = Buffer.concat([...new Content(seed).range(SIZE - TAIL, SIZE)]);
  return {
    status: res.status,
    contentRange: res.contentRange,
    bytes: res.body.length,
    ms,
    matches: res.status === 206 && res.contentRange === `bytes ${SIZE - TAIL}-${SIZE - 1}/${SIZE}` && res.body.equals(expected),
  };
}

// ------------------------------------------------------------------ disk

function diskUsage(dir: string): { apparentBytes: number; allocatedBytes: number; files: number } {
  let apparentBytes = 0;
  let allocatedBytes = 0;
  let files = 0;
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      const st = fs.lstatSync(p);
      allocatedBytes += st.blocks * 512;
      if (entry.isDirectory()) walk(p);
      else {
        apparentBytes += st.size;
        files++;
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return { apparentBytes, allocatedBytes, files };
}

/** Whether the stored first MiB is not the plaintext (it is ciphertext): compared in memory, nothing written. */
function storedDiffersFromPlaintext(dataDir: string, id: string, seed: string): { comparedBytes: number; equalBytes: number } {
  const stored = path.join(dataDir, 'files', 'uploads', id);
  const fd = fs.openSync(stored, 'r');
  try {
    const buf = Buffer.alloc(Math.min(MiB, SIZE));
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const plain = new Content(seed).range(0, n).next().value as Buffer;
    let equal = 0;
    for (let i = 0; i < n; i++) if (buf[i] === plain[i]) equal++;
    return { comparedBytes: n, equalBytes: equal };
  } finally {
    fs.closeSync(fd);
  }
}

// ------------------------------------------------------------------ figures

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const r1 = (n: number) => Math.round(n * 10) / 10;
const r2 = (n: number) => Math.round(n * 100) / 100;
const mb = (bytes: number) => `${r1(bytes / 1e6)} MB`;

function machine() {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    model = /^Model name:\s*(.+)$/m.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? model;
  } catch {
    // no lscpu: os.cpus()'s model
  }
  return { cpuModel: model, cores: os.cpus().length, memoryGiB: r1(os.totalmem() / 2 ** 30), kernel: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version };
}

// ------------------------------------------------------------------ main

async function startServer(): Promise<{ child: ChildProcess; ready: ReadyMessage; log: string[] }> {
  const log: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'uploadServer.ts')], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  });
  const keep = (chunk: Buffer) => {
    log.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    log.splice(0, Math.max(0, log.length - 50));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 60 s:\n${log.join('\n')}`)), 60_000);
    child.on('message', (m: ReadyMessage) => {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      resolve(m);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it was ready:\n${log.join('\n')}`));
    });
  });
  return { child, ready, log };
}

async function stopServer(child: ChildProcess, dataDir: string | undefined): Promise<boolean> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    if (child.connected) child.send({ type: 'close' });
    else child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000).unref());
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  return dataDir === undefined || !fs.existsSync(dataDir);
}

const at = new Date().toISOString();
const loadBefore = os.loadavg();
const { child, ready, log } = await startServer();
const pid = child.pid!;
const server: Server = { url: ready.url, token: ready.accessToken };
const dataDir = ready.dataDir;
const stopOnSignal = () => void stopServer(child, dataDir).finally(() => process.exit(130));
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);

interface Run {
  run: number;
  straight: UploadFigures;
  interrupted: UploadFigures;
  downloads: DownloadFigures[];
  ranged: Awaited<ReturnType<typeof lastMiB>>[];
  atRest: ReturnType<typeof storedDiffersFromPlaintext>[];
  diskAfterRun: ReturnType<typeof diskUsage>;
  storedPerFile: { id: string; apparentBytes: number; allocatedBytes: number }[];
}

const runs: Run[] = [];
let startupRss = NaN;
let peakReset = false;
let cleanedUp = false;
try {
  startupRss = sampleProc(pid).hwmBytes;
  try {
    // Peak RSS from here on: what the uploads and downloads cost, not the start-up's.
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    peakReset = true;
  } catch {
    // not allowed here: VmHWM then includes the start-up
  }
  const filesDir = path.join(dataDir, 'files');
  for (let run = 1; run <= RUNS; run++) {
    const seedA = `${at}-run${run}-straight`;
    const seedB = `${at}-run${run}-interrupted`;
    process.stderr.write(`run ${run}/${RUNS}: straight upload… `);
    const straight = await upload(server, pid, seedA, false);
    process.stderr.write(`${r1(straight.mbPerSecond)} MB/s; interrupted upload… `);
    const interrupted = await upload(server, pid, seedB, true);
    process.stderr.write(`${r1(interrupted.mbPerSecond)} MB/s; downloads… `);
    const downloads = [await download(server, pid, straight.id, straight.sha256), await download(server, pid, interrupted.id, interrupted.sha256)];
    const ranged = [await lastMiB(server, straight.id, seedA), await lastMiB(server, interrupted.id, seedB)];
    process.stderr.write(`${downloads.map((d) => `${r1(d.mbPerSecond)} MB/s ${d.matches ? 'match' : 'MISMATCH'}`).join(', ')}\n`);
    const storedPerFile = [straight.id, interrupted.id].map((id) => {
      const st = fs.statSync(path.join(filesDir, 'uploads', id));
      return { id, apparentBytes: st.size, allocatedBytes: st.blocks * 512 };
    });
    runs.push({
      run,
      straight,
      interrupted,
      downloads,
      ranged,
      atRest: [storedDiffersFromPlaintext(dataDir, straight.id, seedA), storedDiffersFromPlaintext(dataDir, interrupted.id, seedB)],
      diskAfterRun: diskUsage(filesDir),
      storedPerFile,
    });
  }
} finally {
  cleanedUp = await stopServer(child, dataDir);
  agent.destroy();
}
const loadAfter = os.loadavg();

const uploads = runs.flatMap((r) => [r.straight, r.interrupted]);
const downloads = runs.flatMap((r) => r.downloads);
const summary = {
  uploadMbPerSecond: { straight: r1(median(runs.map((r) => r.straight.mbPerSecond))), interrupted: r1(median(runs.map((r) => r.interrupted.mbPerSecond))) },
  serverCpuSecondsPerGiBUpload: { straight: r2(median(runs.map((r) => r.straight.serverCpuSecondsPerGiB))), interrupted: r2(median(runs.map((r) => r.interrupted.serverCpuSecondsPerGiB))) },
  serverKernelSecondsPerGiBUpload: r2(median(uploads.map((u) => u.server.serverSysSeconds / (SIZE / 2 ** 30)))),
  serverKernelSecondsPerGiBDownload: r2(median(downloads.map((d) => d.server.serverSysSeconds / (d.bytes / 2 ** 30)))),
  serverCpuPctDuringUpload: r1(median(uploads.map((u) => u.server.serverCpuPct))),
  clientCpuSecondsPerGiBUpload: r2(median(uploads.map((u) => u.server.clientCpuSeconds / (SIZE / 2 ** 30)))),
  patchMsMedian: r1(median(uploads.map((u) => u.patchMsMedian))),
  processingMs: r1(median(uploads.map((u) => u.processingMs))),
  lastPatchMs: r1(median(uploads.map((u) => u.lastPatchMs))),
  resumedAtPct: r1(median(runs.map((r) => r.interrupted.interruption?.resumedAtPct ?? NaN))),
  resentBytes: median(runs.map((r) => r.interrupted.interruption?.resentBytes ?? NaN)),
  headAfterCutMs: r1(median(runs.map((r) => r.interrupted.interruption?.headAfterCutMs ?? NaN))),
  downloadMbPerSecond: r1(median(downloads.map((d) => d.mbPerSecond))),
  serverCpuSecondsPerGiBDownload: r2(median(downloads.map((d) => d.serverCpuSecondsPerGiB))),
  rangedLastMiBMs: r1(median(runs.flatMap((r) => r.ranged.map((g) => g.ms)))),
  serverPeakRssBytes: Math.max(...runs.flatMap((r) => [r.straight, r.interrupted, ...r.downloads].map((p) => p.server.serverPeakRssBytes))),
  serverMaxSampledRssBytes: Math.max(...runs.flatMap((r) => [r.straight, r.interrupted, ...r.downloads].map((p) => p.server.serverMaxRssBytes))),
  serverRssAtStartBytes: startupRss,
  allHashesMatch: downloads.length === RUNS * 2 && downloads.every((d) => d.matches),
  allRangedReadsMatch: runs.every((r) => r.ranged.every((g) => g.matches)),
  storedBytesPerFile: median(runs.flatMap((r) => r.storedPerFile.map((f) => f.apparentBytes))),
  allocatedBytesPerFile: median(runs.flatMap((r) => r.storedPerFile.map((f) => f.allocatedBytes))),
  diskUnderFilesAtEnd: runs.at(-1)?.diskAfterRun,
  storedFirstMiBEqualToPlaintextBytes: Math.max(...runs.flatMap((r) => r.atRest.map((a) => a.equalBytes))),
  othersPctMedian: r1(median([...uploads, ...downloads].map((p) => p.server.othersPct))),
  machineBusyPctMedian: r1(median([...uploads, ...downloads].map((p) => p.server.machineBusyPct))),
};
const result = {
  benchmark: 'upload',
  at,
  machine: machine(),
  loadAverage: { before: loadBefore.map(r2), after: loadAfter.map(r2) },
  config: { dataDir, runs: RUNS, sizeBytes: SIZE, chunkBytes: CHUNK, cutAtBytes: CUT_AT, storage: 'local disk (startTestServer data directory)', database: 'sqlite', transport: 'HTTP/1.1 over loopback, node:http, keep-alive' },
  serverPeakRssReset: peakReset,
  dataDirRemoved: cleanedUp,
  summary,
  runs,
};

const pct = (n: number) => `${r1(n)} %`;
const md = [
  `# Upload benchmark (${SIZE % 2 ** 30 === 0 ? `${SIZE / 2 ** 30} GiB` : `${SIZE / MiB} MiB`} through tus), ${at}`,
  '',
  `Machine: ${result.machine.cores} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, ${result.machine.kernel}, Node ${result.machine.node}.`,
  `Load average before ${result.loadAverage.before.join(' / ')}, after ${result.loadAverage.after.join(' / ')}; during the phases the machine was ${pct(summary.machineBusyPctMedian)} busy (median, % of one core), ${pct(summary.othersPctMedian)} of it neither the server nor the bench client.`,
  `${RUNS} runs × (one straight upload + one cut at ~50 % and resumed) of ${mb(SIZE)} (${SIZE / MiB} MiB) in PATCHes of ${CHUNK / MiB} MiB; server in its own process (SQLite, local disk), client over loopback.`,
  '',
  '| run | upload | MB/s (wall) | server CPU s/GiB | server CPU % | PATCH p50 | last PATCH | processing | resumed at (resent) | download MB/s | server CPU s/GiB (download) | SHA-256 match | last MiB (Range) |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...runs.flatMap((r) =>
    (['straight', 'interrupted'] as const).map((kind, i) => {
      const u = r[kind];
      const d = r.downloads[i]!;
      const g = r.ranged[i]!;
      const resumed = u.interruption ? `${r1(u.interruption.resumedAtPct)} % (${mb(u.interruption.resentBytes)})` : '–';
      return `| ${r.run} | ${kind} | ${r1(u.mbPerSecond)} | ${r2(u.serverCpuSecondsPerGiB)} | ${r1(u.server.serverCpuPct)} | ${r1(u.patchMsMedian)} ms | ${r1(u.lastPatchMs)} ms | ${r1(u.processingMs)} ms | ${resumed} | ${r1(d.mbPerSecond)} | ${r2(d.serverCpuSecondsPerGiB)} | ${d.matches ? 'yes' : '**no**'} | ${g.matches ? 'yes' : '**no**'}, ${r1(g.ms)} ms |`;
    }),
  ),
  `| **median** | | **${summary.uploadMbPerSecond.straight}** straight, **${summary.uploadMbPerSecond.interrupted}** interrupted | ${summary.serverCpuSecondsPerGiBUpload.straight} straight, ${summary.serverCpuSecondsPerGiBUpload.interrupted} interrupted | ${summary.serverCpuPctDuringUpload} | ${summary.patchMsMedian} ms | ${summary.lastPatchMs} ms | **${summary.processingMs} ms** | ${summary.resumedAtPct} % | **${summary.downloadMbPerSecond}** | ${summary.serverCpuSecondsPerGiBDownload} | ${summary.allHashesMatch ? '**all**' : '**NOT ALL**'} | ${summary.allRangedReadsMatch ? 'all' : '**not all**'}, ${summary.rangedLastMiBMs} ms |`,
  '',
  `- Of the server's CPU, in the kernel (stime: loopback TCP, the page cache): ${summary.serverKernelSecondsPerGiBUpload} s per GiB uploaded, ${summary.serverKernelSecondsPerGiBDownload} s per GiB downloaded.`,
  `- Server RSS: ${mb(summary.serverRssAtStartBytes)} peak at start-up; **peak ${mb(summary.serverPeakRssBytes)}** during the uploads and downloads (VmHWM${peakReset ? ', reset after start-up' : ', not reset: includes start-up'}; largest sampled VmRSS ${mb(summary.serverMaxSampledRssBytes)}).`,
  `- Disk: **${summary.storedBytesPerFile} bytes stored per ${SIZE}-byte file** (${summary.allocatedBytesPerFile} allocated); under files/ at the end: ${summary.diskUnderFilesAtEnd?.files} files, ${summary.diskUnderFilesAtEnd?.apparentBytes} bytes (${summary.diskUnderFilesAtEnd?.allocatedBytes} allocated) for ${RUNS * 2} uploads.`,
  `- At rest: the stored first MiB equals the plaintext in at most ${summary.storedFirstMiBEqualToPlaintextBytes} of ${Math.min(MiB, SIZE)} byte positions (chance: ~${Math.round(Math.min(MiB, SIZE) / 256)}).`,
  `- The bench client (PRNG, sending, SHA-256) used ${summary.clientCpuSecondsPerGiBUpload} s of CPU per GiB uploaded, on the same cores.`,
  `- Data directory removed afterwards: ${cleanedUp ? 'yes' : '**no**'}.`,
  '',
].join('\n');

const stamp = at.replace(/[:.]/g, '-');
const resultsDir = path.join(here, '..', '..', 'bench-results');
const jsonPath = option('--json') ?? path.join(resultsDir, `upload-${stamp}.json`);
const mdPath = option('--md') ?? path.join(resultsDir, `upload-${stamp}.md`);
for (const p of [jsonPath, mdPath]) fs.mkdirSync(path.dirname(path.resolve(p)), { recursive: true });
fs.writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
fs.writeFileSync(mdPath, md);
process.stdout.write(`${md}\nJSON: ${jsonPath}\nMarkdown: ${mdPath}\n`);
if (!summary.allHashesMatch || !summary.allRangedReadsMatch || !cleanedUp) {
  process.stderr.write(`server log (last lines):\n${log.join('\n')}\n`);
  process.exitCode = 1;
}
