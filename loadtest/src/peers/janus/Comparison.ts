import type { LoadTestReport } from '../../LoadTest.ts';
import type { JanusReport } from './JanusLoadTest.ts';

/** One figure of both runs, side by side. */
export interface ComparisonRow {
  figure: string;
  muster: number | string | null;
  janus: number | string | null;
  /** Muster ÷ Janus, where a ratio says something (below 1: Muster's figure is the smaller). */
  ratio: number | null;
}

/** `--target both`: Muster, then Janus, at the same load with the same bots, in one report. */
export interface ComparisonReport {
  target: 'both';
  scenario: 'calls';
  startedAt: string;
  /** The headline ratios, Muster ÷ Janus (below 1: Muster spends less / waits less). */
  musterOverJanus: {
    /** Server CPU (all processes) per packet the subscribers received: counted alike for both. */
    cpuUsPerForwardedPacket: number | null;
    /** Each report's `sfuCpuUsPerPacket` (Muster: media workers ÷ the packets they sent; Janus: as above). */
    sfuCpuUsPerPacket: number | null;
    latencyP99Ms: number | null;
  };
  rows: ComparisonRow[];
  muster: LoadTestReport;
  janus: JanusReport;
}

const ratioOf = (muster: number | null, janus: number | null) =>
  muster === null || janus === null || janus === 0 ? null : Math.round((muster / janus) * 100) / 100;

const calls = (c: { connected: number; requested: number }) => `${c.connected}/${c.requested}`;

/** Lines both reports up, figure by figure. */
export function compareReports(muster: LoadTestReport, janus: JanusReport): ComparisonReport {
  const numeric = (figure: string, of: (r: LoadTestReport) => number | null): ComparisonRow => {
    const m = of(muster);
    const j = of(janus);
    return { figure, muster: m, janus: j, ratio: ratioOf(m, j) };
  };
  const plain = (figure: string, of: (r: LoadTestReport) => number | string | null): ComparisonRow => ({ figure, muster: of(muster), janus: of(janus), ratio: null });
  return {
    target: 'both',
    scenario: 'calls',
    startedAt: muster.startedAt,
    musterOverJanus: {
      cpuUsPerForwardedPacket: ratioOf(muster.serverCpuUsPerReceivedPacket, janus.serverCpuUsPerReceivedPacket),
      sfuCpuUsPerPacket: ratioOf(muster.sfuCpuUsPerPacket, janus.sfuCpuUsPerPacket),
      latencyP99Ms: ratioOf(muster.latencyMs.p99, janus.latencyMs.p99),
    },
    rows: [
      plain('video calls connected', (r) => calls(r.calls.video)),
      plain('voice calls connected', (r) => calls(r.calls.voice)),
      numeric('set-up (join) p50, ms', (r) => r.joinMs.p50),
      numeric('set-up (join) p99, ms', (r) => r.joinMs.p99),
      numeric('server CPU per forwarded packet, µs (all server processes ÷ packets subscribers received)', (r) => r.serverCpuUsPerReceivedPacket),
      numeric('SFU CPU per forwarded packet, µs (each report’s `sfuCpuUsPerPacket`)', (r) => r.sfuCpuUsPerPacket),
      numeric('packets forwarded per second (received by subscribers)', (r) => r.steady.packetsReceivedPerSec),
      numeric('server CPU, % of one core', (r) => r.server.cpuPct),
      numeric('server RSS, MB', (r) => r.server.rssMB),
      numeric('latency p50, ms', (r) => r.latencyMs.p50),
      numeric('latency p95, ms', (r) => r.latencyMs.p95),
      numeric('latency p99, ms', (r) => r.latencyMs.p99),
      numeric('latency max, ms', (r) => r.latencyMs.max),
      plain('loss, %', (r) => r.lossPct),
      numeric('jitter, ms', (r) => r.jitterMs),
      plain('load generator CPU, %', (r) => r.loadGenerator.cpuPct),
      plain('machine busy / other processes, % of one core', (r) => `${r.machine.busyPct ?? '?'} / ${r.machine.otherProcessesPct ?? '?'}`),
    ],
    muster,
    janus,
  };
}

const cell = (v: number | string | null) => (v === null ? '–' : String(v));

/** The side-by-side table and how to read it; the two runs' own reports follow it in the file. */
export function comparisonMarkdown(c: ComparisonReport): string {
  const o = c.muster.options;
  const m = c.muster.machine;
  return `# Muster vs Janus ${c.janus.janus.version}: calls

Run ${c.startedAt} on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}: Muster first (own server${o.workers ? `, ${o.workers} media workers` : ''}), then Janus (VideoRoom, WebSocket transport, ${c.janus.janus.eventLoops ? `${c.janus.janus.eventLoops} shared event loops` : 'a loop thread per handle'}, configuration below), each with ${o.videoCalls} video + ${o.voiceCalls} voice calls, ${o.duration} s steady after a ramp at ${o.ramp} bots/s, ${c.muster.loadGenerator.processes} bot processes${o.mediaRate && o.mediaRate !== 1 ? `, **bots sending ${o.mediaRate} × the real packet rates**` : ''}. The same bots (same packets, same probes) publish and subscribe in both.

**Muster ÷ Janus: CPU per forwarded packet ${cell(c.musterOverJanus.cpuUsPerForwardedPacket)}, p99 latency ${cell(c.musterOverJanus.latencyP99Ms)}** (below 1: Muster spends less, waits less).

| figure | Muster | Janus | Muster ÷ Janus |
| --- | --- | --- | --- |
${c.rows.map((r) => `| ${r.figure} | ${cell(r.muster)} | ${cell(r.janus)} | ${cell(r.ratio)} |`).join('\n')}

How to read it: a forwarded packet is one a subscriber received (the bots count them; Janus has no counters of its own here), and the CPU is every server process's over the steady window, from /proc: Muster's main process and media workers, Janus's one process (all its threads). \`sfuCpuUsPerPacket\` is Muster's usual figure (media workers only, ÷ the packets they report sending), so its ratio leaves Muster's main process out. Both runs share the machine with their bots: read the load generator's CPU and the other processes' share before the ratios.
`;
}
