/**
 * The send path's cost per stored text message, and where it goes: `total`
 * messages sent as fast as `concurrency` senders at once allow, over 100
 * one-to-one conversations, through the IM domain (what the REST route and
 * the socket call), on SQLite; then the search indexer catches up.
 *
 * Reported: messages per second, the process's CPU per message (the WAL
 * checkpoint thread included), and each SQL statement's time per message,
 * measured by timing better-sqlite3's run/all/get of every statement the
 * process prepares (a wrapper on its prepare: the only way to see the
 * synchronous native time per statement, which a CPU profile lumps together).
 *
 *   npm run bench:send -w im -- [total=20000] [concurrency=200] [thread|inline]
 *
 * `inline` leaves WAL checkpoints to the writer's commits (SQLite's default)
 * instead of the checkpoint thread (db/src/WalCheckpointer.ts): run both to
 * compare. Writes JSON and Markdown under im/bench-results/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { testLocation } from '@muster/db/testing';
import { openImTestWorld } from '../testing/index.ts';

const total = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 200);
const checkpoints = (process.argv[4] ?? 'thread') as 'thread' | 'inline';
const PEOPLE = 200;

// Every statement's synchronous time, by its SQL text.
const statements = new Map<string, { runs: number; ms: number }>();
let timing = false;
type Prepare = (this: BetterSqlite3.Database, source: string) => BetterSqlite3.Statement;
const prototype = BetterSqlite3.prototype as unknown as { prepare: Prepare };
const prepare = prototype.prepare;
prototype.prepare = function (this: BetterSqlite3.Database, source: string) {
  const statement = prepare.call(this, source) as unknown as Record<'run' | 'all' | 'get', (...args: unknown[]) => unknown>;
  for (const method of ['run', 'all', 'get'] as const) {
    const call = statement[method].bind(statement);
    statement[method] = (...args: unknown[]) => {
      if (!timing) return call(...args);
      const t0 = performance.now();
      try {
        return call(...args);
      } finally {
        const entry = statements.get(source) ?? { runs: 0, ms: 0 };
        entry.runs++;
        entry.ms += performance.now() - t0;
        statements.set(source, entry);
      }
    };
  }
  return statement as unknown as BetterSqlite3.Statement;
};

const location = await testLocation('sqlite');
const db = await location.open({ walCheckpointThreadAfterMs: checkpoints === 'thread' ? 0 : false });
try {
  const w = await openImTestWorld(db);
  // People straight into the accounts (sign-ups are rate-limited per address), each signed in once.
  const imported = await w.t.accounts.admin.importPeople(
    Array.from({ length: PEOPLE }, (_, i) => ({ phone: `+86139${String(i).padStart(8, '0')}`, nickname: `Bench ${i}` })),
    'bench',
  );
  const { started } = await w.t.accounts.auth.startSessions(imported.imported.map((p) => p.id), { name: 'bench', platform: 'api' }, { address: '127.0.0.1' }, 'bench');
  const people = await Promise.all(started.map(async (s) => (await w.t.accounts.guard.authenticate(s.accessToken))!));
  const conversations: { id: string; sender: (typeof people)[number] }[] = [];
  for (let i = 0; i + 1 < people.length; i += 2) {
    await w.befriend(people[i]!, people[i + 1]!);
    conversations.push({ id: (await w.conversations.openDirect(people[i]!, people[i + 1]!.accountId)).id, sender: people[i]! });
  }
  await w.im.searchIndexer.idle();

  timing = true;
  let next = 0;
  const started0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const c = conversations[i % conversations.length]!;
        await w.conversations.send(c.sender, c.id, { clientMsgId: `bench-${String(i).padStart(10, '0')}`, text: `message ${i}: 明天的会议改到三点 the budget review moved to Friday` });
      }
    }),
  );
  const sendMs = performance.now() - started0;
  const sendCpu = process.cpuUsage(cpu0);
  await w.im.searchIndexer.idle();
  const allMs = performance.now() - started0;
  const allCpu = process.cpuUsage(cpu0);
  timing = false;

  const cpuMsPerMessage = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000 / total;
  const sqlMs = [...statements.values()].reduce((a, s) => a + s.ms, 0);
  const result = {
    benchmark: 'send-path',
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: os.loadavg()[0] },
    engine: 'sqlite',
    checkpoints,
    messages: total,
    concurrency,
    conversations: conversations.length,
    send: { ms: sendMs, messagesPerSecond: (total / sendMs) * 1000, cpuMsPerMessage: cpuMsPerMessage(sendCpu) },
    withIndexing: { ms: allMs, cpuMsPerMessage: cpuMsPerMessage(allCpu) },
    sql: {
      msPerMessage: sqlMs / total,
      statements: [...statements]
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([source, s]) => ({ sql: source, runsPerMessage: s.runs / total, usPerMessage: (s.ms / total) * 1000 })),
    },
    writer: db.getStats(),
  };
  await w.im.close();
  const dir = path.resolve(new URL('../../bench-results', import.meta.url).pathname);
  fs.mkdirSync(dir, { recursive: true });
  const stamp = result.at.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(dir, `send-path-${checkpoints}-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const md = [
    `# Send path benchmark (SQLite, checkpoints ${checkpoints === 'thread' ? 'on their own thread' : 'inline, in the writer’s commits'}), ${result.at}`,
    '',
    `Machine: ${result.machine.cpus} × ${result.machine.model}, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}, load average ${result.machine.loadAverage.toFixed(2)} at the end.`,
    `${total} text messages, ${concurrency} senders at once, ${conversations.length} one-to-one conversations, through the IM domain.`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| messages stored per second | ${result.send.messagesPerSecond.toFixed(0)} |`,
    `| process CPU per message (sending) | ${result.send.cpuMsPerMessage.toFixed(3)} ms |`,
    `| process CPU per message (sending + search indexing) | ${result.withIndexing.cpuMsPerMessage.toFixed(3)} ms |`,
    `| SQL on the event loop per message | ${result.sql.msPerMessage.toFixed(3)} ms |`,
    `| writer: commits / mean batch | ${result.writer.writer.commits} / ${result.writer.writer.meanBatchSize.toFixed(1)} |`,
    '',
    '## SQL statements, by time per message',
    '',
    '| µs per message | runs per message | statement |',
    '| --- | --- | --- |',
    ...result.sql.statements.slice(0, 15).map((s) => `| ${s.usPerMessage.toFixed(1)} | ${s.runsPerMessage.toFixed(2)} | \`${s.sql.length > 110 ? `${s.sql.slice(0, 110)}…` : s.sql}\` |`),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, `send-path-${checkpoints}-${stamp}.md`), md);
  process.stdout.write(`${md}\n`);
} finally {
  await db.close();
  await location.remove();
}
