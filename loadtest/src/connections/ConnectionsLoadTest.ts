/**
 * One connections run (issue 18): provision the people, start the server
 * (or take the running one), record its idle footprint, open N long
 * connections evenly over the ramp from the bot processes, hold them (their
 * heartbeats keep them alive) while sampling the server's CPU, announce one
 * message to everyone through the REST API, wait until every connection has
 * it (10 s at most), stop, and report what the connections cost.
 *
 * The server is a process tree (supervisor, app, gateways started as
 * connections grow, media workers): its CPU and RSS are those of every
 * process under the first one, from /proc. Memory per connection is the
 * tree's RSS with the connections held, less its RSS before the ramp, over
 * the connections held; kernel figures come from /proc/net/sockstat and the
 * slab caches, and count both ends of each connection (bots and server
 * share the machine's loopback).
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from '../LatencyHistogram.ts';
import { machineBusyPct, machineInfo, memoryInfo, sampleMachineCpu, sampleProcess, tcpSocketStats, type TcpSocketStats } from '../processStats.ts';
import type { BotCommand, BotMessage, BotSample } from './connectionsProtocol.ts';
import { EjabberdTarget } from './EjabberdTarget.ts';
import { planFleet } from './FleetPlan.ts';
import { MusterTarget } from './MusterTarget.ts';
import type { ConnectionsOptions } from './options.ts';
import type { TargetProvisioning, TargetServer } from './TargetServer.ts';
import { stopChild } from '../stopChild.ts';

/** The bot processes' niceness: below the server's, which they share the cores with. */
const BOT_NICE = 5;
const ENTRY = fileURLToPath(new URL('./connectionsEntry.mjs', import.meta.url));
/** The ramp stops opening connections when the machine has less than this left (the bots and the server share it). */
export const LOW_MEMORY_BYTES = 2 * 2 ** 30;
/** After the ramp's last connection was due, how long the stragglers (slow handshakes, retries) may take to settle. */
const SETTLE_GRACE_S = 120;
/** How long every connection may take to receive the announcement. */
const BROADCAST_WAIT_S = 10;
const TICK_MS = 1000;
/**
 * The idle footprint is taken once the server's RSS has held within
 * SETTLE_RSS_BYTES for SETTLE_STEADY_S, SETTLE_MAX_S at most: a Node process
 * gives back tens of MB in its first tens of seconds (start-up's garbage
 * collected, the heap shrunk when idle), which would otherwise be taken off
 * what the connections cost.
 */
const SETTLE_RSS_BYTES = 2 * 2 ** 20;
const SETTLE_STEADY_S = 10;
const SETTLE_MAX_S = 60;

type Phase = 'ramp' | 'hold' | 'broadcast';

export interface ConnectionsTimelinePoint {
  t: number;
  phase: Phase;
  opened: number;
  connected: number;
  open: number;
  refused: number;
  dropped: number;
  serverCpuPct: number | null;
  serverRssMB: number | null;
  loadgenCpuPct: number;
  memAvailableMB: number | null;
}

type ServerProcess = { pid: number; role: string; cpuPct: number | null; rssMB: number };

export interface ConnectionsReport {
  scenario: 'connections';
  startedAt: string;
  target: 'muster' | 'ejabberd';
  transport: 'longlink' | 'socketio' | 'xmpp';
  /** Distinct people the connections belong to. */
  users: number;
  options: { connections: number; ramp: number; hold: number; users: number; gateways: number | null; botProcesses: number; url: string | null };
  provisioning: TargetProvisioning;
  connections: {
    requested: number;
    /** Came up (signed in), each connection once. */
    connected: number;
    /** Still up at the end of the hold. */
    heldToEnd: number;
    /** Never came up, by reason (a bye code, `HTTP <status>`, an error code). */
    refused: { total: number; byReason: Record<string, number> };
    /** Came up, then ended during the ramp or the hold, by reason. */
    dropped: { total: number; byReason: Record<string, number> };
    /** Not opened: the ramp stopped for want of memory. */
    notOpened: number;
    /** Still connecting or waiting to try again when the ramp's grace ran out. */
    pending: number;
    /** Further tries, by the refusal that called for them (the connection then counts by its last outcome). */
    retries: { total: number; byReason: Record<string, number> };
    refreshes: { ok: number; failed: number; failedByReason: Record<string, number> };
  };
  ramp: {
    /** Asked for. */
    requestedSeconds: number;
    /** Measured: from the ramp's start until the last connection settled (up, or refused for good). */
    seconds: number | null;
    /** Connections up per second over the measured ramp. */
    connectedPerSec: number | null;
    haltedLowMemory: boolean;
  };
  hold: { seconds: number; heartbeatMs: number | null };
  broadcast: {
    id: string | null;
    sentAt: number | null;
    /** Connections open when it was sent. */
    expected: number;
    reached: number;
    /** Send (the server's `sentAt`) → a bot received it (same machine, same clock), ms. */
    p50Ms: number | null;
    p95Ms: number | null;
    p99Ms: number | null;
    maxMs: number | null;
    waitedSeconds: number;
  };
  server: {
    /** The whole process tree's RSS with the connections held (end of the hold). */
    rssMB: number | null;
    baselineRssMB: number | null;
    /** (RSS held − RSS before the ramp) / connections held. */
    memoryPerConnectionKB: number | null;
    /** The V8 heap in use in all its processes (app and gateways, from /metrics) held and before the ramp; null where none is read. */
    heapMB: number | null;
    baselineHeapMB: number | null;
    /** (heap held − heap before the ramp) / connections held. */
    heapPerConnectionKB: number | null;
    /** The tree's CPU during the hold, % of one core. */
    cpuPct: number | null;
    /** Its CPU at rest before the ramp (timers, stats polling): not the connections'. */
    baselineCpuPct: number | null;
    /** (cpuPct − baselineCpuPct) per 1000 connections held: what idle connections cost (their heartbeats). */
    cpuPer1000IdlePct: number | null;
    processes: { count: number; byRole: Record<string, number>; list: ServerProcess[] };
    /** RSS by role at rest before the ramp and with the connections held: where the memory went. */
    rssByRole: Record<string, { baselineMB: number; heldMB: number }>;
  };
  kernel: {
    baseline: TcpSocketStats & { slabBytes: number | null };
    held: TcpSocketStats & { slabBytes: number | null };
    /** Per connection held; both its ends are on this machine (loopback). */
    perConnection: { sockets: number | null; bufferBytes: number | null; slabBytes: number | null };
  } | null;
  /** The bot processes, apart from the server: if they were short of CPU, the ramp and the latencies say more about them. */
  loadgen: { processes: number; sourceAddresses: number; cpuPct: number | null; rssMB: number | null; maxEventLoopLagMs: number; crashed: number };
  machine: ReturnType<typeof machineInfo> & { busyPct: number | null; memAvailableMB: number | null };
  timeline: ConnectionsTimelinePoint[];
}

const round = (v: number | null | undefined, digits = 1) => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits);
const MB = (bytes: number) => bytes / 2 ** 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's processes with their CPU time and RSS at one moment. */
interface ServerSample {
  at: number;
  processes: { pid: number; role: string; cpuMicros: number; rssBytes: number }[];
  rssBytes: number;
}

function sampleServer(target: TargetServer): ServerSample {
  const processes = target.processes().flatMap(({ pid, role }) => {
    const s = sampleProcess(pid);
    return s ? [{ pid, role, cpuMicros: s.cpuMicros, rssBytes: s.rssBytes }] : [];
  });
  return { at: Date.now(), processes, rssBytes: processes.reduce((a, p) => a + p.rssBytes, 0) };
}

/** CPU % of one core between two samples, per process; a process started in between counts from zero. */
function cpuBetween(from: ServerSample, to: ServerSample): { total: number; byPid: Map<number, number> } | null {
  const seconds = (to.at - from.at) / 1000;
  if (seconds <= 0 || to.processes.length === 0) return null;
  const before = new Map(from.processes.map((p) => [p.pid, p.cpuMicros]));
  const byPid = new Map(to.processes.map((p) => [p.pid, ((p.cpuMicros - (before.get(p.pid) ?? 0)) / 1e6 / seconds) * 100]));
  return { total: [...byPid.values()].reduce((a, b) => a + b, 0), byPid };
}

/** The server at rest before the ramp: its footprint once its RSS holds still, and its CPU meanwhile (timers, stats polling). */
async function idleBaseline(target: TargetServer): Promise<{ sample: ServerSample; cpuPct: number | null }> {
  let window = [sampleServer(target)];
  const deadline = Date.now() + SETTLE_MAX_S * 1000;
  for (;;) {
    await sleep(1000);
    window = [...window, sampleServer(target)].slice(-(SETTLE_STEADY_S + 1));
    const rss = window.map((s) => s.rssBytes);
    if ((window.length > SETTLE_STEADY_S && Math.max(...rss) - Math.min(...rss) < SETTLE_RSS_BYTES) || Date.now() > deadline) break;
  }
  return { sample: window.at(-1)!, cpuPct: cpuBetween(window[0]!, window.at(-1)!)?.total ?? null };
}

/** The bot processes' samples added up. */
function fleetTotals(samples: readonly (BotSample | undefined)[]) {
  const t = { opened: 0, up: 0, open: 0, pending: 0, refreshOk: 0, refreshFailed: 0, refreshFailures: {} as Record<string, number>, reached: 0, cpuMicros: 0, rssBytes: 0, lastSettledAt: 0, refused: {} as Record<string, number>, dropped: {} as Record<string, number>, retries: {} as Record<string, number>, heartbeatMs: null as number | null };
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [reason, n] of Object.entries(from)) into[reason] = (into[reason] ?? 0) + n;
  };
  for (const s of samples) {
    if (!s) continue;
    t.opened += s.opened;
    t.up += s.up;
    t.open += s.open;
    t.pending += s.pending;
    t.refreshOk += s.refreshes.ok;
    t.refreshFailed += s.refreshes.failed;
    t.reached += s.reached;
    t.cpuMicros += s.cpuMicros;
    t.rssBytes += s.rssBytes;
    t.lastSettledAt = Math.max(t.lastSettledAt, s.lastSettledAt);
    add(t.refused, s.refused);
    add(t.dropped, s.dropped);
    add(t.retries, s.retries);
    add(t.refreshFailures, s.refreshes.failedByReason);
    if (s.heartbeatMs !== null) t.heartbeatMs = Math.min(t.heartbeatMs ?? s.heartbeatMs, s.heartbeatMs);
  }
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  return { ...t, refusedTotal: sum(t.refused), droppedTotal: sum(t.dropped), retriesTotal: sum(t.retries) };
}

export async function runConnectionsLoadTest(options: ConnectionsOptions, onProgress: (line: string) => void = () => undefined): Promise<ConnectionsReport> {
  const startedAt = new Date().toISOString();
  const target: TargetServer = options.target === 'ejabberd' ? await EjabberdTarget.start(options, onProgress) : await MusterTarget.start(options, onProgress);
  const children: ChildProcess[] = [];
  const samples: (BotSample | undefined)[] = [];
  let crashed = 0;
  let stopping = false;
  try {
    // Source addresses 127.<block>.x.y: a block of its own each run (see FleetPlan).
    const plans = planFleet({ connections: options.connections, users: options.users, processes: options.botProcesses, addressBlock: randomInt(1, 255) });
    onProgress(`server up at ${target.url}; ${plans.length} bot processes, ${plans.reduce((a, p) => a + p.addresses.length, 0)} source addresses`);
    await Promise.all(
      plans.map(async (plan) => {
        const child = fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
        children.push(child);
        // The bots would be on machines of their own; here they share the server's cores, and at a lower
        // priority (nice 5) the server's processes come first when both want the CPU (at nice 10 they starved: 163,454
        // connections timed out before their hello in one 600k run).
        try {
          os.setPriority(child.pid!, BOT_NICE);
        } catch {
          // Not allowed here: the bots run at the server's priority.
        }
        child.on('message', (message: BotMessage) => {
          if (message.type === 'sample') samples[plan.index] = message;
        });
        await new Promise<void>((resolve, reject) => {
          child.once('exit', (code) => {
            if (stopping) return;
            crashed++;
            onProgress(`bot process ${plan.index} exited (${code})`);
            reject(new Error(`bot process ${plan.index} exited (${code}) during start-up`));
          });
          child.on('message', (message: BotMessage) => message.type === 'ready' && resolve());
        });
        const setup: BotCommand = { type: 'setup', transport: target.transport, url: target.url, ...(target.domain ? { domain: target.domain } : {}), users: plan.users.map((u) => target.users[u]!), slots: plan.slots, addresses: plan.addresses };
        child.send(setup);
      }),
    );
    const broadcastAll = (command: BotCommand) => {
      for (const child of children) if (child.connected) child.send(command);
    };

    // Idle footprint, before any connection.
    const idle = await idleBaseline(target);
    const baseline = idle.sample;
    const baselineTcp = tcpSocketStats();
    const baselineSlab = memoryInfo()?.slabBytes ?? null;
    const baselineHeap = await target.heapBytes();

    const timeline: ConnectionsTimelinePoint[] = [];
    const t0 = Date.now() + 500;
    let previous = baseline;
    let previousBots = 0;
    let minAvailable = Number.POSITIVE_INFINITY;
    let haltedLowMemory = false;
    const tick = (phase: Phase) => {
      const now = sampleServer(target);
      // A server that crashed would only leave the bots counting refusals until the ramp's grace ran out.
      if (baseline.processes.length > 0 && now.processes.length === 0) throw new Error(`the server is gone (no process left) ${((now.at - t0) / 1000).toFixed(0)} s into the ${phase}`);
      const bots = fleetTotals(samples);
      const cpu = cpuBetween(previous, now);
      const available = memoryInfo()?.availableBytes ?? null;
      if (available !== null) minAvailable = Math.min(minAvailable, available);
      const point: ConnectionsTimelinePoint = {
        t: round((now.at - t0) / 1000)!,
        phase,
        opened: bots.opened,
        connected: bots.up,
        open: bots.open,
        refused: bots.refusedTotal,
        dropped: bots.droppedTotal,
        serverCpuPct: round(cpu?.total),
        serverRssMB: round(MB(now.rssBytes)),
        loadgenCpuPct: round(((bots.cpuMicros - previousBots) / 1e6 / ((now.at - previous.at) / 1000)) * 100)!,
        memAvailableMB: available === null ? null : Math.round(MB(available)),
      };
      previous = now;
      previousBots = bots.cpuMicros;
      timeline.push(point);
      onProgress(
        `[${point.t.toFixed(0).padStart(5)}s ${phase.padEnd(9)}] opened ${point.opened} up ${point.connected} open ${point.open} refused ${point.refused} dropped ${point.dropped} | ` +
          `server CPU ${point.serverCpuPct ?? '-'}% RSS ${point.serverRssMB ?? '-'} MB (${now.processes.length} processes) | bots CPU ${point.loadgenCpuPct}% | available ${point.memAvailableMB ?? '-'} MB`,
      );
      if (!haltedLowMemory && available !== null && available < LOW_MEMORY_BYTES && phase === 'ramp') {
        haltedLowMemory = true;
        broadcastAll({ type: 'halt' });
        onProgress(`less than ${MB(LOW_MEMORY_BYTES)} MB of memory left: the ramp stops opening connections`);
      }
      return bots;
    };

    // ---------------------------------------------------------------- ramp
    broadcastAll({ type: 'ramp', startAt: t0, seconds: options.ramp });
    await sleep(t0 - Date.now());
    let bots = fleetTotals(samples);
    previousBots = bots.cpuMicros;
    for (;;) {
      await sleep(TICK_MS);
      bots = tick('ramp');
      const elapsed = (Date.now() - t0) / 1000;
      const allOpened = bots.opened >= options.connections || haltedLowMemory;
      if ((allOpened && elapsed >= options.ramp && bots.pending === 0) || elapsed > options.ramp + SETTLE_GRACE_S) break;
    }
    const settled = bots.pending === 0 && bots.lastSettledAt > 0;
    const rampSeconds = settled ? (bots.lastSettledAt - t0) / 1000 : null;

    // ---------------------------------------------------------------- hold
    const holdStart = sampleServer(target);
    const machineStart = sampleMachineCpu();
    const botsStart = bots;
    let maxLag = 0;
    const holdUntil = Date.now() + options.hold * 1000;
    while (Date.now() < holdUntil) {
      await sleep(Math.min(TICK_MS, holdUntil - Date.now()));
      bots = tick('hold');
      for (const s of samples) maxLag = Math.max(maxLag, s?.eventLoopLagMs ?? 0);
    }
    const held = sampleServer(target);
    const machineEnd = sampleMachineCpu();
    const heldTcp = tcpSocketStats();
    const heldSlab = memoryInfo()?.slabBytes ?? null;
    const heldHeap = await target.heapBytes();
    bots = fleetTotals(samples);
    const holdSeconds = (held.at - holdStart.at) / 1000;
    const holdCpu = cpuBetween(holdStart, held);
    const heldToEnd = bots.open;
    const droppedAtHoldEnd = { total: bots.droppedTotal, byReason: bots.dropped };
    const loadgenCpuPct = holdSeconds > 0 ? ((bots.cpuMicros - botsStart.cpuMicros) / 1e6 / holdSeconds) * 100 : null;
    const loadgenRss = bots.rssBytes;

    // ---------------------------------------------------------------- broadcast
    const expected = bots.open;
    let announcement: { id: string; sentAt: number } | null = null;
    let waited = 0;
    try {
      announcement = await target.announce(`load test announcement ${startedAt}`);
      const deadline = Date.now() + BROADCAST_WAIT_S * 1000;
      while (fleetTotals(samples).reached < expected && Date.now() < deadline) await sleep(100);
      waited = (Date.now() - announcement.sentAt) / 1000;
      tick('broadcast');
    } catch (error) {
      onProgress(`the announcement failed: ${(error as Error).message}`);
    }
    const latency = new LatencyHistogram();
    for (const s of samples) if (s) latency.merge(LatencyHistogram.from(s.latency));
    const reached = fleetTotals(samples).reached;

    // ---------------------------------------------------------------- report
    const memoryPerConnectionKB = heldToEnd > 0 && baseline.rssBytes > 0 ? (held.rssBytes - baseline.rssBytes) / 1024 / heldToEnd : null;
    const serverCpuPct = holdCpu?.total ?? null;
    const byRole: Record<string, number> = {};
    for (const p of held.processes) byRole[p.role] = (byRole[p.role] ?? 0) + 1;
    const rssByRole: Record<string, { baselineMB: number; heldMB: number }> = {};
    for (const [which, sample] of [['baselineMB', baseline], ['heldMB', held]] as const) {
      for (const p of sample.processes) {
        rssByRole[p.role] ??= { baselineMB: 0, heldMB: 0 };
        rssByRole[p.role]![which] += MB(p.rssBytes);
      }
    }
    for (const r of Object.values(rssByRole)) {
      r.baselineMB = round(r.baselineMB)!;
      r.heldMB = round(r.heldMB)!;
    }
    const perConnection = (from: number | null | undefined, to: number | null | undefined) => (heldToEnd > 0 && from != null && to != null ? round((to - from) / heldToEnd, 2) : null);
    const busyPct = machineBusyPct(machineStart, machineEnd);
    return {
      scenario: 'connections',
      startedAt,
      target: target.name,
      transport: target.transport,
      users: options.users,
      options: { connections: options.connections, ramp: options.ramp, hold: options.hold, users: options.users, gateways: options.gateways ?? null, botProcesses: plans.length, url: options.url ?? null },
      provisioning: target.provisioning,
      connections: {
        requested: options.connections,
        connected: bots.up,
        heldToEnd,
        refused: { total: bots.refusedTotal, byReason: bots.refused },
        dropped: droppedAtHoldEnd,
        notOpened: options.connections - bots.opened,
        pending: bots.pending,
        retries: { total: bots.retriesTotal, byReason: bots.retries },
        refreshes: { ok: bots.refreshOk, failed: bots.refreshFailed, failedByReason: bots.refreshFailures },
      },
      ramp: {
        requestedSeconds: options.ramp,
        seconds: round(rampSeconds, 2),
        connectedPerSec: rampSeconds ? round(bots.up / rampSeconds) : null,
        haltedLowMemory,
      },
      hold: { seconds: round(holdSeconds, 2)!, heartbeatMs: bots.heartbeatMs },
      broadcast: {
        id: announcement?.id ?? null,
        sentAt: announcement?.sentAt ?? null,
        expected,
        reached,
        p50Ms: round(latency.percentile(0.5), 2),
        p95Ms: round(latency.percentile(0.95), 2),
        p99Ms: round(latency.percentile(0.99), 2),
        maxMs: round(latency.count ? latency.max : null, 2),
        waitedSeconds: round(waited, 2)!,
      },
      server: {
        rssMB: held.processes.length ? round(MB(held.rssBytes)) : null,
        baselineRssMB: baseline.processes.length ? round(MB(baseline.rssBytes)) : null,
        memoryPerConnectionKB: round(memoryPerConnectionKB, 2),
        heapMB: heldHeap === null ? null : round(MB(heldHeap)),
        baselineHeapMB: baselineHeap === null ? null : round(MB(baselineHeap)),
        heapPerConnectionKB: heldHeap !== null && baselineHeap !== null && heldToEnd > 0 ? round((heldHeap - baselineHeap) / 1024 / heldToEnd, 2) : null,
        cpuPct: round(serverCpuPct, 2),
        baselineCpuPct: round(idle.cpuPct, 2),
        cpuPer1000IdlePct: serverCpuPct !== null && idle.cpuPct !== null && heldToEnd > 0 ? round((serverCpuPct - idle.cpuPct) / (heldToEnd / 1000), 3) : null,
        processes: {
          count: held.processes.length,
          byRole,
          list: held.processes.map((p) => ({ pid: p.pid, role: p.role, cpuPct: round(holdCpu?.byPid.get(p.pid)), rssMB: round(MB(p.rssBytes))! })),
        },
        rssByRole,
      },
      kernel:
        baselineTcp && heldTcp
          ? {
              baseline: { ...baselineTcp, slabBytes: baselineSlab },
              held: { ...heldTcp, slabBytes: heldSlab },
              perConnection: { sockets: perConnection(baselineTcp.inUse, heldTcp.inUse), bufferBytes: perConnection(baselineTcp.memBytes, heldTcp.memBytes), slabBytes: perConnection(baselineSlab, heldSlab) },
            }
          : null,
      loadgen: {
        processes: plans.length,
        sourceAddresses: plans.reduce((a, p) => a + p.addresses.length, 0),
        cpuPct: round(loadgenCpuPct),
        rssMB: round(MB(loadgenRss)),
        maxEventLoopLagMs: round(maxLag)!,
        crashed,
      },
      machine: { ...machineInfo(), busyPct: round(busyPct), memAvailableMB: Number.isFinite(minAvailable) ? Math.round(MB(minAvailable)) : null },
      timeline,
    };
  } finally {
    stopping = true;
    await Promise.all(
      children.map(
        (child) => stopChild(child, { message: { type: 'stop' } satisfies BotCommand, graceMs: 15_000 }),
      ),
    );
    await target.stop();
  }
}
