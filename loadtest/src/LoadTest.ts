import { randomBytes } from 'node:crypto';
import type { BotSpec } from './Bot.ts';
import { BotFleet } from './BotFleet.ts';
import type { ChatCallSpec } from './callsViaChat/ChatCall.ts';
import type { FleetSample, PeerName } from './fleetProtocol.ts';
import { LatencyHistogram } from './LatencyHistogram.ts';
import { machineBusyPct, machineInfo, sampleMachineCpu, sampleProcess } from './processStats.ts';
import { planScenario, type ScenarioName } from './scenarios.ts';
import { fetchWorkerMetrics, ServerUnderTest, type WorkerMetrics } from './ServerUnderTest.ts';

export interface LoadTestOptions {
  scenario: ScenarioName;
  videoCalls: number;
  voiceCalls: number;
  rooms: number;
  roomSize: number;
  /** Seconds of steady load after the ramp. */
  duration: number;
  /** Bots started per second. */
  ramp: number;
  url?: string;
  workers?: number;
  botProcesses?: number;
  /** How long a call may take to connect before it counts as failed. */
  connectTimeout: number;
  /** Fraction of the real packet rates the bots send (1 = real rates). */
  mediaRate?: number;
  /** A peer SFU to drive instead of Muster (calls scenario; see PeerUnderTest). */
  peer?: PeerUnderTest;
  /** The calls are made through the chat's ring and answer (src/callsViaChat/): see CallMaker. */
  via?: 'chat';
  onProgress?: (line: string) => void;
}

/**
 * Whoever makes the calls scenario's calls when the bots do not simply join
 * a room (calls via chat, src/callsViaChat/): it prepared the server (one it
 * started, or those of `--url`), turns the plan's bots into calls for the bot
 * processes, and reads each second's samples.
 */
export interface CallMaker {
  /** A server it started (it stops it too), sampled from /proc like the one started here. */
  server: ServerUnderTest | null;
  /** Every server's URL, for its /metrics. */
  urls: string[];
  /** The plan's bots (a call's two in a row, caller first) as calls. */
  calls(bots: BotSpec[]): ChatCallSpec[];
  /** Each second: every bot process's latest sample, and whether the steady window opens or closes with it. */
  onSecond(samples: FleetSample[], edge: 'steady-start' | 'steady-end' | null): void;
}

/**
 * A peer SFU the calls scenario measures Muster against (issue 18;
 * src/peers/): already running on this machine, started by its adapter.
 * It has no Muster /metrics: its CPU comes from /proc, and the packets it
 * forwarded are the ones its subscribers received.
 */
export interface PeerUnderTest {
  /** Which protocol the bots speak to it. */
  name: PeerName;
  url: string;
  processes: { pid: number; role: string }[];
}

export interface TimelinePoint {
  t: number;
  phase: 'ramp' | 'steady';
  botsJoined: number;
  callsConnected: number;
  packetsSentPerSec: number;
  packetsReceivedPerSec: number;
  sfuPacketsOutPerSec: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  lossPct: number;
  serverCpuPct: number | null;
  serverRssMB: number | null;
  botCpuPct: number;
}

export interface LoadTestReport {
  scenario: ScenarioName;
  startedAt: string;
  /** The machine, and how busy all of it was in the steady window (% of one core), so others' load shows. */
  machine: ReturnType<typeof machineInfo> & { busyPct: number | null; otherProcessesPct: number | null };
  options: Omit<LoadTestOptions, 'onProgress'>;
  calls: {
    video: { requested: number; connected: number; failed: number };
    voice: { requested: number; connected: number; failed: number };
    total: { requested: number; connected: number; failed: number };
  };
  bots: { requested: number; joined: number; failed: number; mediaRestarts: number; failures: string[] };
  joinMs: { p50: number | null; p99: number | null };
  packets: { sent: number; received: number };
  bytes: { sent: number; received: number };
  lossPct: number;
  jitterMs: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  sfuCpuUsPerPacket: number | null;
  sfuPacketsOutPerSec: number | null;
  /**
   * The steady window alone (`packets` counts from the start); the rate is
   * timed by the bot processes' samples, the counts by the coordinator's seconds.
   */
  steady: { seconds: number; packetsSent: number; packetsReceived: number; packetsReceivedPerSec: number | null };
  /**
   * Server CPU (`server.cpuPct`: all its processes) per packet the
   * subscribers received in the steady window: the CPU-per-packet figure
   * Muster and a peer SFU both have, counted alike (peers/janus compares on it).
   */
  serverCpuUsPerReceivedPacket: number | null;
  server: {
    cpuPct: number | null;
    rssMB: number | null;
    processes: { pid: number; role: string; cpuPct: number | null; rssMB: number | null }[];
  };
  loadGenerator: { processes: number; cpuPct: number; maxEventLoopLagMs: number };
  timeline: TimelinePoint[];
}

const round = (v: number | null, digits = 2) => (v === null || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits);

function percentileOf(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function sumWorkers(metrics: WorkerMetrics[]) {
  return metrics.reduce(
    (acc, w) => ({ cpuSeconds: acc.cpuSeconds + w.cpuSeconds, packetsOut: acc.packetsOut + w.packetsOut, rssBytes: acc.rssBytes + w.rssBytes }),
    { cpuSeconds: 0, packetsOut: 0, rssBytes: 0 },
  );
}

/**
 * A process's new sample, with what the one it replaces carried for its
 * second and the loop has not read yet (it empties those fields as it reads
 * them): a process's timer and the loop's drift apart, and two samples can
 * arrive within one of the loop's seconds.
 */
function withUnread(previous: FleetSample | undefined, sample: FleetSample): FleetSample {
  if (!previous) return sample;
  const latency = LatencyHistogram.from(sample.latency);
  latency.merge(LatencyHistogram.from(previous.latency));
  return { ...sample, joinTimesMs: [...previous.joinTimesMs, ...sample.joinTimesMs], failures: [...previous.failures, ...sample.failures], latency: latency.toJSON() };
}

/**
 * Runs one load test: starts (or targets) a server, ramps bots up through the
 * real protocol, holds the load, measures every second, then cleans up.
 */
export async function runLoadTest(options: LoadTestOptions, maker?: CallMaker): Promise<LoadTestReport> {
  const progress = options.onProgress ?? (() => undefined);
  const startedAt = new Date().toISOString();
  const runId = `lt${randomBytes(3).toString('hex')}`;
  const plan = planScenario({ ...options, runId });
  const server = maker ? maker.server : options.url || options.peer ? null : await ServerUnderTest.start({ workers: options.workers });
  const url = options.url ?? options.peer?.url ?? server!.url;
  const metricsUrls = maker?.urls ?? [url];
  const processes = options.botProcesses ?? Math.max(1, Math.min(8, Math.ceil(plan.bots.length / 800)));

  const samples = new Map<number, FleetSample>();
  const fleet = new BotFleet((index, sample) => samples.set(index, withUnread(samples.get(index), sample)));
  const timeline: TimelinePoint[] = [];
  const steadyLatency = new LatencyHistogram();
  const allJoinTimes: number[] = [];
  const failures: string[] = [];
  const callConnectedAt = new Map<string, number>();
  let joined = 0;
  let failed = 0;
  let maxLag = 0;

  const local = !options.url;
  const serverPids = () => {
    const pids: { pid: number; role: string }[] = [];
    // The whole tree (supervisor, app, gateways); media workers come from /metrics below, with their figures.
    if (server) pids.push(...server.processes().filter((p) => p.role !== 'media-worker'));
    if (options.peer) pids.push(...options.peer.processes);
    return pids;
  };

  try {
    const rampSeconds = plan.bots.length / options.ramp;
    const t0 = Date.now();
    const bots = options.mediaRate && options.mediaRate !== 1 ? plan.bots.map((b) => ({ ...b, mediaRate: options.mediaRate })) : plan.bots;
    await fleet.start(url, maker ? [] : bots, { processes, ratePerSecond: options.ramp, peer: options.peer?.name, calls: maker?.calls(bots) });

    let previous: { at: number; sent: number; received: number; procCpu: Map<number, number>; workers: ReturnType<typeof sumWorkers> | null; botCpu: number } | null = null;
    type Mark = { workers: ReturnType<typeof sumWorkers> | null; procCpu: Map<number, number>; at: number; sent: number; received: number; expected: number; rcvd: number; bySample: Map<number, { takenAt: number; received: number }> };
    const bySample = () => new Map([...samples].map(([index, s]) => [index, { takenAt: s.takenAt, received: s.packetsReceived }]));
    let steadyStart: Mark | null = null;
    let machineAtSteadyStart: ReturnType<typeof sampleMachineCpu> = null;
    let machineAtSteadyEnd: ReturnType<typeof sampleMachineCpu> = null;
    let lastWorkers: WorkerMetrics[] = [];
    let steadyWorkersFirst: ReturnType<typeof sumWorkers> | null = null;
    let steadyWorkersLast: ReturnType<typeof sumWorkers> | null = null;
    let steadyEnd: Mark | null = null;
    const rampDeadline = t0 + (rampSeconds + options.connectTimeout) * 1000;
    const allUp = () => plan.calls.size > 0 && callConnectedAt.size === plan.calls.size && joined + failed >= plan.bots.length;

    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = Date.now();
      const t = (now - t0) / 1000;
      // Aggregate the latest sample of every bot process for this second.
      let sent = 0;
      let received = 0;
      let expected = 0;
      let rcvd = 0;
      let botCpu = 0;
      const secondLatency = new LatencyHistogram();
      const connectedByCall: Record<string, number> = {};
      for (const sample of samples.values()) {
        sent += sample.packetsSent;
        received += sample.packetsReceived;
        expected += sample.expected;
        rcvd += sample.received;
        botCpu += sample.cpuMicros;
        maxLag = Math.max(maxLag, sample.eventLoopLagMs);
        secondLatency.merge(LatencyHistogram.from(sample.latency));
        Object.assign(connectedByCall, sample.connectedByCall);
      }
      // Joined/failed are cumulative per process.
      joined = [...samples.values()].reduce((a, s) => a + s.joined, 0);
      failed = [...samples.values()].reduce((a, s) => a + s.failed, 0);
      // Join times, failures and latency are per-second deltas: take each once.
      for (const s of samples.values()) {
        allJoinTimes.push(...s.joinTimesMs);
        for (const f of s.failures) if (failures.length < 20) failures.push(f);
        s.joinTimesMs = [];
        s.failures = [];
        s.latency = { counts: [], max: 0 };
      }
      for (const [callId, count] of Object.entries(connectedByCall)) {
        if (!callConnectedAt.has(callId) && count >= plan.calls.get(callId)!.size) callConnectedAt.set(callId, now);
      }

      const procCpu = new Map<number, number>();
      let rss = 0;
      if (local) {
        for (const { pid } of serverPids()) {
          const s = sampleProcess(pid);
          if (s) {
            procCpu.set(pid, s.cpuMicros);
            rss += s.rssBytes;
          }
        }
      }
      let workers: ReturnType<typeof sumWorkers> | null = null;
      // A peer SFU has no /metrics: /proc and the bots' counts are its figures.
      if (!options.peer) {
        try {
          lastWorkers = (await Promise.all(metricsUrls.map(fetchWorkerMetrics))).flat();
          workers = sumWorkers(lastWorkers);
          if (local) {
            for (const w of lastWorkers) {
              const s = sampleProcess(w.pid);
              if (s) {
                procCpu.set(w.pid, s.cpuMicros);
                rss += s.rssBytes;
              }
            }
          } else rss += workers.rssBytes;
        } catch {
          // metrics unavailable this second
        }
      }

      const phase: TimelinePoint['phase'] = steadyStart ? 'steady' : 'ramp';
      let serverCpuPct: number | null = null;
      let sfuOut: number | null = null;
      let botCpuPct = 0;
      if (previous) {
        const dt = (now - previous.at) / 1000;
        if (local) {
          let cpu = 0;
          for (const [pid, micros] of procCpu) cpu += micros - (previous.procCpu.get(pid) ?? micros);
          serverCpuPct = (cpu / 1e6 / dt) * 100;
        } else if (workers && previous.workers) {
          serverCpuPct = ((workers.cpuSeconds - previous.workers.cpuSeconds) / dt) * 100;
        }
        if (workers && previous.workers) sfuOut = (workers.packetsOut - previous.workers.packetsOut) / dt;
        else if (options.peer) sfuOut = (received - previous.received) / dt;
        botCpuPct = ((botCpu - previous.botCpu) / 1e6 / dt) * 100;
      }
      const point: TimelinePoint = {
        t: round(t, 1)!,
        phase,
        botsJoined: joined,
        callsConnected: callConnectedAt.size,
        packetsSentPerSec: previous ? Math.round((sent - previous.sent) / ((now - previous.at) / 1000)) : 0,
        packetsReceivedPerSec: previous ? Math.round((received - previous.received) / ((now - previous.at) / 1000)) : 0,
        sfuPacketsOutPerSec: round(sfuOut, 0),
        latencyP50Ms: round(secondLatency.percentile(0.5)),
        latencyP99Ms: round(secondLatency.percentile(0.99)),
        lossPct: expected ? round((1 - rcvd / expected) * 100, 3)! : 0,
        serverCpuPct: round(serverCpuPct, 1),
        serverRssMB: local || workers ? round(rss / 2 ** 20, 1) : null,
        botCpuPct: round(botCpuPct, 1)!,
      };
      timeline.push(point);
      if (steadyStart) steadyLatency.merge(secondLatency);
      // CPU per packet is taken between the first and last metrics that arrived in
      // the steady window: a /metrics call can time out on a saturated server.
      if (steadyStart && workers) {
        steadyWorkersFirst ??= workers;
        steadyWorkersLast = workers;
      }
      previous = { at: now, sent, received, procCpu, workers, botCpu };
      progress(
        `[${point.t.toFixed(0).padStart(4)}s ${phase}] bots ${joined}/${plan.bots.length} (failed ${failed}) calls ${callConnectedAt.size}/${plan.calls.size} ` +
          `pkts/s out ${point.packetsSentPerSec} in ${point.packetsReceivedPerSec} latency p50 ${point.latencyP50Ms ?? '-'} p99 ${point.latencyP99Ms ?? '-'} ms ` +
          `loss ${point.lossPct}% server CPU ${point.serverCpuPct ?? '-'}% RSS ${point.serverRssMB ?? '-'} MB`,
      );

      // Steady state begins when every call is up, or when the ramp has had its time.
      let edge: Parameters<CallMaker['onSecond']>[1] = null;
      if (!steadyStart && (allUp() || now > rampDeadline)) {
        steadyStart = { workers, procCpu, at: now, sent, received, expected, rcvd, bySample: bySample() };
        machineAtSteadyStart = sampleMachineCpu();
        edge = 'steady-start';
      } else if (steadyStart && now - steadyStart.at >= options.duration * 1000) {
        steadyEnd = { workers, procCpu, at: now, sent, received, expected, rcvd, bySample: bySample() };
        machineAtSteadyEnd = sampleMachineCpu();
        edge = 'steady-end';
      }
      maker?.onSecond([...samples.values()], edge);
      if (steadyEnd) break;
    }

    // ------------------------------------------------------------ summary
    const start = steadyStart! as Mark;
    const end = steadyEnd! as Mark;
    const dt = (end.at - start.at) / 1000;
    let serverCpuPct: number | null = null;
    const processesReport: LoadTestReport['server']['processes'] = [];
    const roles = new Map<number, string>(serverPids().map((p) => [p.pid, p.role]));
    for (const w of lastWorkers) roles.set(w.pid, `media-worker-${w.worker}`);
    if (local) {
      let total = 0;
      for (const [pid, micros] of end.procCpu) {
        const before = start.procCpu.get(pid);
        const pct = before === undefined ? null : ((micros - before) / 1e6 / dt) * 100;
        if (pct !== null) total += pct;
        const s = sampleProcess(pid);
        processesReport.push({ pid, role: roles.get(pid) ?? 'unknown', cpuPct: round(pct, 1), rssMB: s ? round(s.rssBytes / 2 ** 20, 1) : null });
      }
      serverCpuPct = total;
    } else if (start.workers && end.workers) {
      serverCpuPct = ((end.workers.cpuSeconds - start.workers.cpuSeconds) / dt) * 100;
    }
    let sfuCpuUsPerPacket: number | null = null;
    let sfuPacketsOutPerSec: number | null = null;
    const first = start.workers ?? steadyWorkersFirst;
    const last = end.workers ?? steadyWorkersLast;
    if (first && last && first !== last) {
      const packets = last.packetsOut - first.packetsOut;
      const cpuUs = (last.cpuSeconds - first.cpuSeconds) * 1e6;
      if (packets > 0) sfuCpuUsPerPacket = cpuUs / packets;
      sfuPacketsOutPerSec = packets / dt;
    }
    const steadyReceived = end.received - start.received;
    // The rate timed by each bot process's own samples: the marks' samples can be a second old,
    // which over the window would be a second's packets too many or too few against the CPU time.
    let receivedPerSec = 0;
    for (const [index, last] of end.bySample) {
      const first = start.bySample.get(index);
      if (first && last.takenAt > first.takenAt) receivedPerSec += (last.received - first.received) / ((last.takenAt - first.takenAt) / 1000);
    }
    const serverCpuUsPerReceivedPacket = serverCpuPct !== null && receivedPerSec > 0 ? ((serverCpuPct / 100) * 1e6) / receivedPerSec : null;
    if (options.peer) {
      sfuCpuUsPerPacket = serverCpuUsPerReceivedPacket;
      sfuPacketsOutPerSec = receivedPerSec;
    }
    const lastSamples = [...samples.values()];
    const callsOf = (kind: 'video' | 'voice' | 'all') => {
      let requested = 0;
      let connected = 0;
      for (const [callId, call] of plan.calls) {
        if (kind !== 'all' && call.kind !== kind) continue;
        requested++;
        if (callConnectedAt.has(callId)) connected++;
      }
      return { requested, connected, failed: requested - connected };
    };
    const busyPct = machineBusyPct(machineAtSteadyStart, machineAtSteadyEnd);
    const generatorPct = timeline.filter((p) => p.phase === 'steady').reduce((a, p) => a + p.botCpuPct, 0) / Math.max(1, timeline.filter((p) => p.phase === 'steady').length);
    // Only meaningful when the server runs on this machine (no --url elsewhere).
    const otherPct = busyPct !== null && serverCpuPct !== null && local ? Math.max(0, busyPct - serverCpuPct - generatorPct) : null;
    const expected = end.expected - start.expected;
    const rcvd = end.rcvd - start.rcvd;
    const report: LoadTestReport = {
      scenario: options.scenario,
      startedAt,
      machine: { ...machineInfo(), busyPct: round(busyPct, 1), otherProcessesPct: round(otherPct, 1) },
      options: { ...options, onProgress: undefined } as LoadTestReport['options'],
      calls: {
        video: options.scenario === 'calls' ? callsOf('video') : { requested: 0, connected: 0, failed: 0 },
        voice: options.scenario === 'calls' ? callsOf('voice') : { requested: 0, connected: 0, failed: 0 },
        total: callsOf('all'),
      },
      bots: { requested: plan.bots.length, joined, failed, mediaRestarts: lastSamples.reduce((a, s) => a + s.mediaRestarts, 0), failures },
      joinMs: { p50: round(percentileOf(allJoinTimes, 0.5), 1), p99: round(percentileOf(allJoinTimes, 0.99), 1) },
      packets: { sent: end.sent, received: end.received },
      bytes: {
        sent: lastSamples.reduce((a, s) => a + s.bytesSent, 0),
        received: lastSamples.reduce((a, s) => a + s.bytesReceived, 0),
      },
      lossPct: expected > 0 ? round(Math.max(0, (1 - rcvd / expected) * 100), 4)! : 0,
      jitterMs: round(lastSamples.length ? lastSamples.reduce((a, s) => a + s.jitterMs, 0) / lastSamples.length : 0, 3)!,
      latencyMs: {
        p50: round(steadyLatency.percentile(0.5)),
        p95: round(steadyLatency.percentile(0.95)),
        p99: round(steadyLatency.percentile(0.99)),
        max: round(steadyLatency.count ? steadyLatency.max : null),
      },
      sfuCpuUsPerPacket: round(sfuCpuUsPerPacket, 2),
      sfuPacketsOutPerSec: round(sfuPacketsOutPerSec, 0),
      steady: { seconds: round(dt, 1)!, packetsSent: end.sent - start.sent, packetsReceived: steadyReceived, packetsReceivedPerSec: round(receivedPerSec, 0) },
      serverCpuUsPerReceivedPacket: round(serverCpuUsPerReceivedPacket, 2),
      server: {
        cpuPct: round(serverCpuPct, 1),
        rssMB: timeline.at(-1)?.serverRssMB ?? null,
        processes: processesReport,
      },
      loadGenerator: {
        processes,
        cpuPct: round(generatorPct, 1)!,
        maxEventLoopLagMs: round(maxLag, 1)!,
      },
      timeline,
    };
    return report;
  } finally {
    await fleet.stop();
    if (!maker) await server?.stop();
  }
}
