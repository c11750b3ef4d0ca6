/**
 * What one broadcast frame costs per connection, both ends, measured apart
 * from everything else: a `ws` server holding N connections from one child
 * process on loopback writes one frame to each, as a gateway's `broadcast`
 * does (ws.send per connection), and the child reads them all. Each round
 * reports the writer's and the reader's CPU (user and kernel) per
 * connection, so a broadcast to 600,000 can be costed in cores without the
 * noise of a full run (RESULTS.md, *Broadcast within 5 s*).
 *
 *   node --import tsx loadtest/src/connections/fanoutBench.ts --connections 18000 --rounds 5 --json r.json --md r.md
 *
 * N stays under one process's 20,000 open files (each end holds N).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { machineInfo } from '../processStats.ts';

const FRAME = Buffer.from(JSON.stringify({ t: 'ev', e: 'announcement', d: { id: 'an0123456789abcdef', text: 'Exercise starts at 06:00; report to your unit.', sentAt: 1_796_000_000_000 } }));

interface Cpu {
  user: number;
  system: number;
}
interface Round {
  writerUs: number;
  writerKernelUs: number;
  readerUs: number;
  readerKernelUs: number;
  allReadMs: number;
}

const arg = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

/** The child: N connections from source addresses of their own (one address has ~28,000 ports), its CPU after each round. */
function reader(url: string, n: number): void {
  let open = 0;
  let read = 0;
  const addresses = Math.ceil(n / 5_000);
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false, localAddress: `127.31.0.${2 + (i % addresses)}` });
    ws.on('open', () => ++open === n && process.send!({ open: true }));
    ws.on('message', () => ++read % n === 0 && process.send!({ cpu: process.cpuUsage() }));
    ws.on('error', (error) => console.error('[fanout reader]', error.message));
  }
}

async function writer(n: number, rounds: number): Promise<Round[]> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  const child = fork(fileURLToPath(import.meta.url), ['--reader', `ws://127.0.0.1:${port}`, '--connections', String(n)], { execArgv: process.execArgv });
  const next = () => new Promise<{ open?: true; cpu?: Cpu }>((resolve) => child.once('message', resolve as never));
  try {
    await next();
    const sockets = [...server.clients];
    if (sockets.length !== n) throw new Error(`${sockets.length} of ${n} connected`);
    let readerBefore: Cpu = { user: 0, system: 0 };
    const result: Round[] = [];
    // Round 0 warms up (the reader's first read includes its connection set-up): not reported.
    for (let round = 0; round <= rounds; round++) {
      const start = performance.now();
      const before = process.cpuUsage();
      for (const ws of sockets) ws.send(FRAME, { binary: false });
      const spent = process.cpuUsage(before);
      const { cpu } = await next();
      const allReadMs = performance.now() - start;
      const reader = { user: cpu!.user - readerBefore.user, system: cpu!.system - readerBefore.system };
      readerBefore = cpu!;
      if (round === 0) continue;
      result.push({ writerUs: (spent.user + spent.system) / n, writerKernelUs: spent.system / n, readerUs: (reader.user + reader.system) / n, readerKernelUs: reader.system / n, allReadMs });
    }
    return result;
  } finally {
    child.kill();
    server.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const r2 = (x: number) => Math.round(x * 100) / 100;

if (process.argv.includes('--reader')) reader(arg('reader')!, Number(arg('connections')));
else {
  const n = Number(arg('connections', '18000'));
  const rounds = Number(arg('rounds', '5'));
  if (!Number.isInteger(n) || n < 1 || n > 19_000) throw new Error('--connections: 1 to 19,000 (one process holds at most 20,000 open files)');
  const result = await writer(n, rounds);
  const m = (key: keyof Round) => r2(median(result.map((r) => r[key])));
  const perConnectionUs = m('writerUs') + m('readerUs');
  const report = {
    scenario: 'fanout',
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
    connections: n,
    frameBytes: FRAME.length,
    rounds: result.map((r) => ({ ...r, writerUs: r2(r.writerUs), writerKernelUs: r2(r.writerKernelUs), readerUs: r2(r.readerUs), readerKernelUs: r2(r.readerKernelUs), allReadMs: Math.round(r.allReadMs) })),
    median: { writerUs: m('writerUs'), writerKernelUs: m('writerKernelUs'), readerUs: m('readerUs'), readerKernelUs: m('readerKernelUs'), allReadMs: Math.round(median(result.map((r) => r.allReadMs))) },
    /** CPU-seconds one broadcast to 600,000 costs at these medians: the writers' alone, and both ends. */
    at600k: { writerCpuSeconds: r2((m('writerUs') * 600_000) / 1e6), bothEndsCpuSeconds: r2((perConnectionUs * 600_000) / 1e6) },
  };
  const md = [
    '# Broadcast fan-out: CPU per connection',
    '',
    `Run ${report.startedAt} on ${report.machine.cpuModel}, ${report.machine.cores} cores, Node ${report.machine.node}. ${n} connections on loopback, a ${FRAME.length}-byte frame each, ${rounds} rounds (after one warm-up).`,
    '',
    '| round | writer µs / connection (kernel) | reader µs / connection (kernel) | all read after |',
    '| --- | --- | --- | --- |',
    ...report.rounds.map((r, i) => `| ${i + 1} | ${r.writerUs} (${r.writerKernelUs}) | ${r.readerUs} (${r.readerKernelUs}) | ${r.allReadMs} ms |`),
    `| **median** | **${report.median.writerUs}** (${report.median.writerKernelUs}) | **${report.median.readerUs}** (${report.median.readerKernelUs}) | ${report.median.allReadMs} ms |`,
    '',
    `At these medians one broadcast to 600,000 costs **${report.at600k.writerCpuSeconds} CPU-seconds** in the writers (gateways) and **${report.at600k.bothEndsCpuSeconds}** with the readers.`,
    '',
  ].join('\n');
  const json = arg('json');
  const mdPath = arg('md');
  if (json) fs.writeFileSync(json, JSON.stringify(report, null, 2));
  if (mdPath) fs.writeFileSync(mdPath, md);
  console.log(md);
  process.exit(0);
}
