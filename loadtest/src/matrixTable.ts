/**
 * Prints the Markdown table of loadtest/RESULTS.md from a folder of JSON
 * reports (loadtest/run-matrix.sh writes one per run):
 *
 *   node --import tsx loadtest/src/matrixTable.ts loadtest/reports/matrix-<time>
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LoadTestReport } from './LoadTest.ts';

export function matrixRow(name: string, r: LoadTestReport): string {
  const workers = r.server.processes.filter((p) => p.role.startsWith('media-worker'));
  const perWorker = workers.length > 1 ? ` (${workers.map((w) => w.cpuPct ?? '?').join(' + ')})` : '';
  const cells = [
    name,
    String(r.options.workers ?? '?'),
    `${r.calls.video.connected}/${r.calls.video.requested} + ${r.calls.voice.connected}/${r.calls.voice.requested}`,
    String(r.sfuPacketsOutPerSec ?? '?'),
    `${r.server.cpuPct ?? '?'} %${perWorker}`,
    `**${r.sfuCpuUsPerPacket ?? '?'}**`,
    `${r.latencyMs.p50} / ${r.latencyMs.p95} / ${r.latencyMs.p99}`,
    `${r.lossPct} %`,
    `${r.joinMs.p50} / ${r.joinMs.p99}`,
    `${r.loadGenerator.cpuPct} %`,
    `${r.machine.busyPct ?? '?'} % (${r.machine.otherProcessesPct ?? '?'} %)`,
  ];
  return `| ${cells.join(' | ')} |`;
}

export const MATRIX_HEADER = [
  '| run | workers | video + voice calls connected | SFU packets out/s | SFU CPU | µs per forwarded packet | latency p50 / p95 / p99 ms | loss | join p50 / p99 ms | bots CPU | machine busy (others) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
].join('\n');

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: matrixTable.ts <folder of JSON reports>');
    process.exit(2);
  }
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  console.log(MATRIX_HEADER);
  for (const f of files) {
    const report = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as LoadTestReport;
    console.log(matrixRow(f.replace(/\.json$/, ''), report));
  }
}
