/**
 * Grouped-writer throughput and latency, both engines:
 *
 *     npm run bench -w db
 *
 * Each configuration runs REPS times for RUN_MS; the Markdown summary
 * (db/BENCHMARKS.md) quotes medians, the raw runs go to
 * db/bench-results/<date>/. Bounded to well under a minute in total.
 *
 * A row is a 200-byte board update, sealed (AES-256-GCM) inside the write,
 * so the figures include the sealing a real write does.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import type { Database } from '../Database.ts';
import type { EngineName } from '../Engine.ts';
import { testLocation, type TestLocation } from '../testing/databases.ts';
import { postgresReachable } from '../testing/postgres.ts';

const RUN_MS = 1_500;
const WARMUP_MS = 300;
const REPS = 3;
const CALLERS = 64;
const PAYLOAD = 200;

interface Config {
  name: string;
  rowsPerWrite: number;
  /** maxBatch 1: every write its own transaction, the baseline grouping is measured against. */
  grouped: boolean;
}

const CONFIGS: Config[] = [
  { name: 'grouped, 1 row per write', rowsPerWrite: 1, grouped: true },
  { name: 'grouped, 100 rows per write', rowsPerWrite: 100, grouped: true },
  { name: 'ungrouped (maxBatch 1), 1 row per write', rowsPerWrite: 1, grouped: false },
];

interface RunResult {
  engine: EngineName;
  config: string;
  rep: number;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  commits: number;
  meanWritesPerCommit: number;
  commitP50Ms: number;
  commitP99Ms: number;
  ackP50Ms: number;
  ackP99Ms: number;
}

async function runOnce(location: TestLocation, config: Config, rep: number): Promise<RunResult> {
  const writer = config.grouped ? {} : { maxBatch: 1 };
  const boards = Array.from({ length: CALLERS }, (_, i) => `bench-${rep}-${config.rowsPerWrite}-${config.grouped}-${i}`);
  const seqs = new Map(boards.map((b) => [b, 0]));
  const payload = crypto.randomBytes(PAYLOAD);
  const writeFor = (db: Database) => (board: string) =>
    db.writer.write(async (trx) => {
      const rows = Array.from({ length: config.rowsPerWrite }, () => {
        const seq = seqs.get(board)! + 1;
        seqs.set(board, seq);
        return { board_id: board, seq, data: db.sealer.seal(payload, { table: 'board_updates', column: 'data', rowId: `${board}/${seq}` }), at: 0 };
      });
      await trx.insertInto('board_updates').values(rows).execute();
    });

  // Warm-up (JIT, connections, page cache) on one Database, the measured run
  // on a fresh one, so the writer's figures cover the measured run alone.
  const warm = await location.open({ writer });
  try {
    await Promise.all(boards.map((id) => warm.writer.write((trx) => trx.insertInto('boards').values({ id, meta: null, created_at: 0, updated_at: 0, size_bytes: 0, last_seq: 0 }).execute())));
    await drive(warm, boards, writeFor(warm), WARMUP_MS);
  } finally {
    await warm.close();
  }
  const db = await location.open({ writer });
  try {
    const { writes, seconds } = await drive(db, boards, writeFor(db), RUN_MS);
    const stats = db.writer.stats();
    const rows = writes * config.rowsPerWrite;
    return {
      engine: location.engine,
      config: config.name,
      rep,
      rows,
      seconds: round(seconds),
      rowsPerSecond: Math.round(rows / seconds),
      commits: stats.commits,
      meanWritesPerCommit: round(stats.meanBatchSize),
      commitP50Ms: stats.commitLatencyMs.p50,
      commitP99Ms: stats.commitLatencyMs.p99,
      ackP50Ms: stats.ackLatencyMs.p50,
      ackP99Ms: stats.ackLatencyMs.p99,
    };
  } finally {
    await db.close();
  }
}

/** CALLERS loops, each with one write in flight, until the time is up. */
async function drive(db: Database, boards: string[], write: (board: string) => Promise<void>, ms: number): Promise<{ writes: number; seconds: number }> {
  const started = performance.now();
  const end = started + ms;
  let writes = 0;
  await Promise.all(
    boards.map(async (board) => {
      while (performance.now() < end) {
        await write(board);
        writes++;
      }
    }),
  );
  await db.writer.whenIdle();
  return { writes, seconds: (performance.now() - started) / 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function machine(): Record<string, string> {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const sqliteVersion = (new BetterSqlite3(':memory:').prepare('select sqlite_version() as v').get() as { v: string }).v;
  return {
    nproc: String(os.availableParallelism()),
    cpu: model,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    sqlite: sqliteVersion,
    loadAverageAtStart: os.loadavg().map((n) => n.toFixed(2)).join(' '),
  };
}

async function main(): Promise<void> {
  const started = new Date();
  const info = machine();
  const engines: EngineName[] = ['sqlite'];
  if (await postgresReachable()) engines.push('postgres');
  else console.warn('!! PostgreSQL not reachable: benchmarking SQLite only');
  const results: RunResult[] = [];
  for (const engine of engines) {
    const location = await testLocation(engine);
    try {
      if (engine === 'postgres') {
        const db = await location.open();
        info.postgres = (await sql<{ v: string }>`select version() as v`.execute(db.kysely)).rows[0].v.split(' on ')[0];
        const settings = await sql<{ name: string; setting: string }>`select name, setting from pg_settings where name in ('synchronous_commit', 'fsync')`.execute(db.kysely);
        info.postgresSettings = settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ');
        await db.close();
      }
      for (const config of CONFIGS) {
        for (let rep = 1; rep <= REPS; rep++) {
          const result = await runOnce(location, config, rep);
          results.push(result);
          console.log(`${engine.padEnd(8)} ${config.name.padEnd(42)} rep ${rep}: ${String(result.rowsPerSecond).padStart(7)} rows/s, ${result.meanWritesPerCommit} writes/commit, commit p50 ${result.commitP50Ms} ms p99 ${result.commitP99Ms} ms, ack p50 ${result.ackP50Ms} ms p99 ${result.ackP99Ms} ms`);
        }
      }
    } finally {
      await location.remove();
    }
  }
  info.loadAverageAtEnd = os.loadavg().map((n) => n.toFixed(2)).join(' ');
  const seconds = round((Date.now() - started.getTime()) / 1000);

  const root = path.resolve(new URL('../..', import.meta.url).pathname);
  const day = started.toISOString().slice(0, 10);
  const dir = path.join(root, 'bench-results', day);
  fs.mkdirSync(dir, { recursive: true });
  const rawFile = path.join(dir, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(rawFile, `${JSON.stringify({ date: started.toISOString(), seconds, machine: info, runMs: RUN_MS, reps: REPS, callers: CALLERS, payloadBytes: PAYLOAD, results }, null, 2)}\n`);

  const rows = engines.flatMap((engine) =>
    CONFIGS.map((config) => {
      const runs = results.filter((r) => r.engine === engine && r.config === config.name);
      const m = (key: keyof RunResult) => round(median(runs.map((r) => r[key] as number)));
      return `| ${engine} | ${config.name} | ${Math.round(m('rowsPerSecond')).toLocaleString('en-US')} | ${m('meanWritesPerCommit')} | ${m('commitP50Ms')} / ${m('commitP99Ms')} | ${m('ackP50Ms')} / ${m('ackP99Ms')} |`;
    }),
  );
  const markdown = `# @muster/db benchmarks

\`npm run bench -w db\` (\`db/src/bench/bench.ts\`): the grouped writer under
${CALLERS} concurrent callers, each with one write in flight. A row is a
${PAYLOAD}-byte board update sealed with AES-256-GCM inside the write. Each
configuration runs ${REPS} × ${RUN_MS / 1000} s after a ${WARMUP_MS} ms warm-up;
the table gives the **medians** of the ${REPS} runs. Raw runs:
\`${path.relative(root, rawFile)}\`.

- *rows/s*: rows committed per second of wall time.
- *writes/commit*: mean number of \`writer.write()\` calls per transaction.
- *commit*: BEGIN → COMMIT of one batch; *ack*: \`write()\` called → promise
  resolved (queueing included), p50 / p99 in ms.
- *ungrouped*: the same writer with \`maxBatch: 1\` (one transaction per
  write): the baseline grouping is measured against.

## Latest run: ${started.toISOString().replace('T', ' ').slice(0, 16)} UTC (${seconds} s)

| engine | configuration | rows/s | writes/commit | commit p50 / p99 ms | ack p50 / p99 ms |
| --- | --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Machine:

${Object.entries(info)
  .map(([k, v]) => `- ${k}: ${v}`)
  .join('\n')}

The load average is recorded because the machine is shared: other work
running at the same time lowers every figure here. SQLite runs with
\`journal_mode=WAL\`, \`synchronous=NORMAL\` (no fsync per commit); PostgreSQL
with the settings listed (with \`synchronous_commit=on\` each commit waits for
its WAL flush, which grouping amortises).

Reading the figures: on SQLite a commit costs microseconds (no fsync), so
grouping saves little and the per-write work (query building, sealing,
one savepoint statement) bounds the rate; batches are cut at 10 ms of work to
keep the event loop responsive, which is what caps writes/commit at 100 rows
per write. On PostgreSQL each statement is a round trip: grouping removes the
BEGIN/COMMIT pair per write (one savepoint statement instead), and with a disk
whose fsync takes milliseconds (this VM's virtual disk acknowledges in a
fraction of one) the ungrouped rate falls to 1/fsync while the grouped one
does not. The ack latency at 100 rows per write is queueing: 64 callers keep
6,400 rows waiting at any moment.
`;
  fs.writeFileSync(path.join(root, 'BENCHMARKS.md'), markdown);
  console.log(`\nwrote ${path.relative(process.cwd(), rawFile)} and BENCHMARKS.md in ${seconds} s`);
}

await main();
