/**
 * One chat load test: starts a Muster server of its own, provisions people,
 * friendships, one-to-one conversations and groups through the REST API,
 * spreads the people's sockets over bot processes, sends at the requested
 * rate for the steady window, drains, and reports.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from '../LatencyHistogram.ts';
import { machineBusyPct, machineInfo, sampleMachineCpu, sampleProcess } from '../processStats.ts';
import { ServerUnderTest } from '../ServerUnderTest.ts';
import type { ChatCommand, ChatMessage, ChatSample, Kind } from './chatProtocol.ts';
import { makePayloads } from './mediaPayloads.ts';
import { buildMediaReport, MediaHistograms, sumMedia, type MediaReport, type MediaTotals } from './mediaReport.ts';
import { sampleServerIo, serverIoBetween, type ServerIoSample } from './mediaStats.ts';
import { planChat, type ChatOptions } from './options.ts';
import { CodeBook, provisionChat, provisionIntoDatabase, type Provisioned, type ProvisionedConversation } from './provision.ts';
import { stopChild } from '../stopChild.ts';

const ENTRY = fileURLToPath(new URL('./chatEntry.mjs', import.meta.url));
/** Seconds of sending before the steady window opens (connections warm, JIT done). */
export const WARM_UP_S = 3;
/** After sending stops, how long deliveries may still arrive before the count is final (uploads in flight need longer). */
export const DRAIN_MAX_S = 15;
const DRAIN_MAX_MEDIA_S = 60;

export interface ChatTimelinePoint {
  t: number;
  phase: 'warm-up' | 'steady' | 'drain';
  sentPerSec: number;
  persistedPerSec: number;
  deliveriesPerSec: number;
  directP50Ms: number | null;
  directP99Ms: number | null;
  groupP50Ms: number | null;
  groupP99Ms: number | null;
  serverCpuPct: number | null;
  serverRssMB: number | null;
  botCpuPct: number;
  /** With --media-mix: rich-media messages stored, finished upload MB, media sends in flight. */
  richPersistedPerSec?: number;
  uploadMBPerSec?: number;
  mediaInFlight?: number;
}

export type Percentiles = { p50: number | null; p95: number | null; p99: number | null; max: number | null; count: number };

export interface ChatReport {
  scenario: 'chat';
  startedAt: string;
  machine: ReturnType<typeof machineInfo> & { busyPct: number | null; otherProcessesPct: number | null };
  /** `database`: the server started here's, or `remote` (app hosts given with --url, whose `servers` they are). */
  options: Omit<ChatOptions, 'json' | 'md' | 'media' | 'remote'> & { database: 'sqlite' | 'postgres' | 'remote'; servers?: string[]; mediaMix: boolean };
  provisioning: { users: number; friendships: number; directConversations: number; groups: number; seconds: { signups: number; friendships: number; conversations: number } };
  bots: { requested: number; connected: number; failed: number; processes: number; failures: string[] };
  /** Errors the server logged during the run: how many, and the first few. */
  serverErrors: { count: number; first: string[] };
  /** The steady window's length in seconds. */
  windowSeconds: number;
  messages: {
    targetPerSec: number;
    sentPerSec: number;
    /** Acknowledged sends: the server stored them (seq taken in the storing transaction) before answering. */
    persistedPerSec: number;
    persistedDirectPerSec: number;
    persistedGroupPerSec: number;
    failed: number;
    errors: Record<string, number>;
  };
  /** Send (the bot's emit) to receive (another member's socket), by conversation kind, steady window. */
  latencyMs: { direct: Percentiles; group: Percentiles };
  /** Send to the server's acknowledgement (stored). */
  ackMs: Percentiles;
  deliveries: {
    /** Live messages received by other members' sockets per second, steady window. */
    perSec: number;
    /** Whole run, after the drain: received / what the acknowledged sends call for (members − 1 each). */
    received: number;
    expected: number;
    ratio: number | null;
    /** The sender's own socket's copies (whole run). */
    echoes: number;
  };
  server: {
    cpuPct: number | null;
    /** Server CPU time per persisted message (ms), fan-out included: a figure that holds when the server gets only part of a core. */
    cpuMsPerMessage: number | null;
    rssMB: number | null;
    processes: { pid: number; role: string; cpuPct: number | null; rssMB: number | null }[] };
  loadGenerator: { processes: number; cpuPct: number; maxEventLoopLagMs: number };
  /** The rich-media mix (--media-mix): rich media apart from text, uploads, latency per type, where the server's time went. */
  media?: MediaReport;
  timeline: ChatTimelinePoint[];
}

export const round = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits);
export const percentiles = (h: LatencyHistogram): Percentiles => ({
  p50: round(h.percentile(0.5)),
  p95: round(h.percentile(0.95)),
  p99: round(h.percentile(0.99)),
  max: round(h.count ? h.max : null),
  count: h.count,
});

interface Totals {
  at: number;
  sent: number;
  acked: Record<Kind, number>;
  received: number;
  cpu: Map<number, number>;
  botCpu: number;
  media: MediaTotals | null;
}

const emptyByKey = <K extends string>(h: Record<K, unknown>) => Object.fromEntries(Object.keys(h).map((k) => [k, { counts: [] as number[], max: 0 }])) as unknown as Record<K, { counts: number[]; max: number }>;
const richOf = (acked: MediaTotals['acked']) => acked.image + acked.voice + acked.file;

export async function runChatLoadTest(options: ChatOptions, onProgress: (line: string) => void = () => undefined): Promise<ChatReport> {
  const startedAt = new Date().toISOString();
  const plan = planChat(options);
  // The real media, made (or found in the cache) before the server starts.
  const manifest = options.media ? await makePayloads(options.media.sizes, { onProgress }) : null;
  // Running app hosts (--url), or a server of its own.
  const server = options.remote
    ? null
    : await ServerUnderTest.start({
    workers: 1,
    env: {
      // Each bot has its own address in X-Forwarded-For, as people on their own phones do.
      TRUST_PROXY: '127.0.0.1',
      CODE_CHANNEL: 'log',
      LOG_LEVEL: 'info',
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    },
  });
  const urls = options.remote?.urls ?? [server!.url];
  const codes = new CodeBook();
  const stopLines = server?.onLine((line) => codes.line(line)) ?? (() => undefined);
  // The server's own errors (its log at level error), the first few and how many.
  const serverErrors: string[] = [];
  let serverErrorCount = 0;
  server?.onLine((line) => {
    if (!line.includes('"level":50')) return;
    serverErrorCount++;
    if (serverErrors.length < 5) {
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: { message?: string; code?: string } };
        serverErrors.push(`${entry.msg ?? ''}: ${entry.err?.message ?? ''}${entry.err?.code ? ` (${entry.err.code})` : ''}`);
      } catch {
        serverErrors.push(line.slice(0, 300));
      }
    }
  });
  const children: ChildProcess[] = [];
  const samples = new Map<number, ChatSample>();
  try {
    onProgress(`${server ? `server up at ${server.url}` : `app hosts ${urls.join(', ')}`}; provisioning ${plan.users} people, ${plan.friendships.length} friendships, ${plan.pairs.length} one-to-one conversations, ${plan.groups.length} groups`);
    const provisioned: Provisioned = options.remote
      ? await provisionIntoDatabase(urls[0]!, plan, { dataDir: options.remote.dataDir, onProgress })
      : await provisionChat(server!.url, plan, codes, { onProgress });
    stopLines();
    onProgress(`provisioned in ${provisioned.seconds.signups.toFixed(1)} + ${provisioned.seconds.friendships.toFixed(1)} + ${provisioned.seconds.conversations.toFixed(1)} s (sign-ups, friendships, conversations)`);

    // Bots dealt round-robin over the processes; each process gets the conversations its bots are in.
    const P = Math.min(options.botProcesses, plan.users);
    const connectedReplies: { connected: number; failed: number }[] = [];
    await Promise.all(
      Array.from({ length: P }, async (_, p) => {
        const child = fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
        children.push(child);
        const mine = provisioned.users.filter((u) => u.index % P === p);
        const local = new Set(mine.map((u) => u.index));
        const conversations: ProvisionedConversation[] = provisioned.conversations.filter((c) => c.members.some((m) => local.has(m)));
        await new Promise<void>((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`chat bot process exited (${code}) during start-up`)));
          child.on('message', (message: ChatMessage) => {
            if (message.type === 'ready') {
              const media = options.media && manifest ? { ...options.media, seed: options.media.seed * 1009 + p, uploadsInFlight: Math.max(1, Math.ceil(options.media.uploadsInFlight / P)), manifest } : undefined;
              const command: ChatCommand = { type: 'connect', urls, transport: options.transport ?? 'longlink', bots: mine.map((u) => ({ index: u.index, id: u.id, accessToken: u.accessToken })), conversations, ...(media ? { media } : {}) };
              child.send(command);
            }
            if (message.type === 'sample') samples.set(p, message);
            if (message.type === 'connected') {
              connectedReplies.push(message);
              resolve();
            }
          });
        });
      }),
    );
    const connected = connectedReplies.reduce((a, r) => a + r.connected, 0);
    const connectFailed = connectedReplies.reduce((a, r) => a + r.failed, 0);
    onProgress(`bots connected ${connected}/${plan.users} (failed ${connectFailed}) in ${P} processes; sending ${options.rate} msg/s`);

    // Server processes: the whole tree (supervisor, app, gateways, and media workers: idle here, but part of the footprint).
    // Running elsewhere (--url): not measured here (the machine's busy CPU less the bots' is what the hosts on it took).
    const pids = server?.processes() ?? [];
    const serverCpu = () => new Map(pids.map(({ pid }) => [pid, sampleProcess(pid)?.cpuMicros ?? 0]));
    const serverRss = () => pids.reduce((a, { pid }) => a + (sampleProcess(pid)?.rssBytes ?? 0), 0);

    const totals = (): Totals => {
      let sent = 0;
      const acked = { direct: 0, group: 0 };
      let received = 0;
      let botCpu = 0;
      for (const s of samples.values()) {
        sent += s.sent.direct + s.sent.group;
        acked.direct += s.acked.direct;
        acked.group += s.acked.group;
        received += s.received.direct + s.received.group;
        botCpu += s.cpuMicros;
      }
      const media = options.media ? sumMedia([...samples.values()].flatMap((s) => (s.media ? [s.media] : []))) : null;
      return { at: Date.now(), sent, acked, received, cpu: serverCpu(), botCpu, media };
    };
    const timeline: ChatTimelinePoint[] = [];
    const steady = { direct: new LatencyHistogram(), group: new LatencyHistogram(), ack: new LatencyHistogram() };
    const steadyMedia = new MediaHistograms();
    let ioStart: ServerIoSample | null = null;
    // The app process (not the supervisor): its threads are where rich media costs CPU.
    let appPid: number | undefined;
    let ioEnd: ServerIoSample | null = null;
    const failures: string[] = [];
    let maxLag = 0;

    const share = options.groupShare;
    for (const child of children) child.send({ type: 'send', rate: options.rate / children.length, groupShare: share } satisfies ChatCommand);
    const t0 = Date.now();
    let previous = totals();
    let steadyStart: Totals | null = null;
    let steadyEnd: Totals | null = null;
    let machineStart: ReturnType<typeof sampleMachineCpu> = null;
    let machineEnd: ReturnType<typeof sampleMachineCpu> = null;
    let phase: ChatTimelinePoint['phase'] = 'warm-up';
    let drainSince = 0;

    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = totals();
      const dt = (now.at - previous.at) / 1000;
      const second = { direct: new LatencyHistogram(), group: new LatencyHistogram(), ack: new LatencyHistogram() };
      const secondMedia = new MediaHistograms();
      for (const s of samples.values()) {
        if (s.media) {
          secondMedia.add(s.media);
          // Taken once, as the histograms below.
          s.media = { ...s.media, latency: emptyByKey(s.media.latency), endToEnd: emptyByKey(s.media.endToEnd), ack: emptyByKey(s.media.ack), upload: { ...s.media.upload, latency: { counts: [], max: 0 }, total: { counts: [], max: 0 }, lastPatch: { counts: [], max: 0 }, latencyByType: emptyByKey(s.media.upload.latencyByType), lastPatchByType: emptyByKey(s.media.upload.lastPatchByType) } };
        }
        second.direct.merge(LatencyHistogram.from(s.latency.direct));
        second.group.merge(LatencyHistogram.from(s.latency.group));
        second.ack.merge(LatencyHistogram.from(s.ack));
        for (const f of s.failures) if (failures.length < 20) failures.push(f);
        maxLag = Math.max(maxLag, phase === 'steady' ? s.eventLoopLagMs : 0);
        // Histograms and failures are per second: take each once.
        s.latency = { direct: { counts: [], max: 0 }, group: { counts: [], max: 0 } };
        s.ack = { counts: [], max: 0 };
        s.failures = [];
      }
      if (phase === 'steady') {
        steady.direct.merge(second.direct);
        steady.group.merge(second.group);
        steady.ack.merge(second.ack);
        steadyMedia.merge(secondMedia);
      }
      let cpu = 0;
      for (const [pid, micros] of now.cpu) cpu += micros - (previous.cpu.get(pid) ?? micros);
      const point: ChatTimelinePoint = {
        t: round((now.at - t0) / 1000, 1)!,
        phase,
        sentPerSec: Math.round((now.sent - previous.sent) / dt),
        persistedPerSec: Math.round((now.acked.direct + now.acked.group - previous.acked.direct - previous.acked.group) / dt),
        deliveriesPerSec: Math.round((now.received - previous.received) / dt),
        directP50Ms: round(second.direct.percentile(0.5)),
        directP99Ms: round(second.direct.percentile(0.99)),
        groupP50Ms: round(second.group.percentile(0.5)),
        groupP99Ms: round(second.group.percentile(0.99)),
        serverCpuPct: round((cpu / 1e6 / dt) * 100, 1),
        serverRssMB: round(serverRss() / 2 ** 20, 1),
        botCpuPct: round(((now.botCpu - previous.botCpu) / 1e6 / dt) * 100, 1)!,
        ...(now.media && previous.media
          ? {
              richPersistedPerSec: Math.round((richOf(now.media.acked) - richOf(previous.media.acked)) / dt),
              uploadMBPerSec: round((now.media.upload.bytes - previous.media.upload.bytes) / 1e6 / dt, 1)!,
              mediaInFlight: now.media.upload.inFlight,
            }
          : {}),
      };
      timeline.push(point);
      onProgress(
        `[${point.t.toFixed(0).padStart(4)}s ${phase}] sent/s ${point.sentPerSec} stored/s ${point.persistedPerSec} deliveries/s ${point.deliveriesPerSec} ` +
          `1:1 p50/p99 ${point.directP50Ms ?? '-'}/${point.directP99Ms ?? '-'} ms group ${point.groupP50Ms ?? '-'}/${point.groupP99Ms ?? '-'} ms ` +
          `server CPU ${point.serverCpuPct ?? '-'}% RSS ${point.serverRssMB ?? '-'} MB bots CPU ${point.botCpuPct}%` +
          (point.richPersistedPerSec !== undefined ? ` | rich stored/s ${point.richPersistedPerSec} upload ${point.uploadMBPerSec} MB/s in flight ${point.mediaInFlight}` : ''),
      );
      previous = now;
      const elapsed = (now.at - t0) / 1000;
      if (phase === 'warm-up' && elapsed >= WARM_UP_S) {
        phase = 'steady';
        steadyStart = now;
        machineStart = sampleMachineCpu();
        if (options.media && server) ioStart = sampleServerIo((appPid ??= server.appPid()));
      } else if (phase === 'steady' && (now.at - steadyStart!.at) / 1000 >= options.duration) {
        steadyEnd = now;
        machineEnd = sampleMachineCpu();
        if (options.media && server) ioEnd = sampleServerIo(appPid ?? server.appPid());
        phase = 'drain';
        drainSince = now.at;
        for (const child of children) child.send({ type: 'halt' } satisfies ChatCommand);
      } else if (phase === 'drain') {
        // Done when every send is answered and every acknowledged send's deliveries are in, or the drain's time is up.
        const all = [...samples.values()];
        const expected = all.reduce((a, s) => a + s.expected.direct + s.expected.group, 0);
        const unanswered = all.reduce((a, s) => a + s.sent.direct + s.sent.group - s.acked.direct - s.acked.group - s.failed + (s.media?.upload.inFlight ?? 0), 0);
        if ((unanswered <= 0 && now.received >= expected) || (now.at - drainSince) / 1000 >= (options.media ? DRAIN_MAX_MEDIA_S : DRAIN_MAX_S)) break;
      }
    }

    const start = steadyStart!;
    const end = steadyEnd!;
    const window = (end.at - start.at) / 1000;
    const last = [...samples.values()];
    const sum = (f: (s: ChatSample) => number) => last.reduce((a, s) => a + f(s), 0);
    const processes: ChatReport['server']['processes'] = [];
    let serverCpuPct = 0;
    for (const { pid, role } of pids) {
      const pct = ((end.cpu.get(pid)! - start.cpu.get(pid)!) / 1e6 / window) * 100;
      serverCpuPct += pct;
      processes.push({ pid, role, cpuPct: round(pct, 1), rssMB: round((sampleProcess(pid)?.rssBytes ?? 0) / 2 ** 20, 1) });
    }
    const steadyPoints = timeline.filter((p) => p.phase === 'steady');
    const generatorPct = steadyPoints.reduce((a, p) => a + p.botCpuPct, 0) / Math.max(1, steadyPoints.length);
    const busyPct = machineBusyPct(machineStart, machineEnd);
    // ffmpeg and ffprobe run by the server are the server's work, not other processes'.
    const serverIo = options.media && ioStart && ioEnd ? serverIoBetween(ioStart, ioEnd, machineInfo().cores) : null;
    const childrenPct = serverIo?.childrenCpuPct ?? 0;
    const errors: Record<string, number> = {};
    for (const s of last) for (const [code, n] of Object.entries(s.errors)) errors[code] = (errors[code] ?? 0) + n;
    const expected = sum((s) => s.expected.direct + s.expected.group);
    const receivedAll = sum((s) => s.received.direct + s.received.group);
    return {
      scenario: 'chat',
      startedAt,
      machine: { ...machineInfo(), busyPct: round(busyPct, 1), otherProcessesPct: round(busyPct === null ? null : Math.max(0, busyPct - serverCpuPct - childrenPct - generatorPct), 1) },
      options: {
        users: options.users,
        groups: options.groups,
        groupSize: options.groupSize,
        rate: options.rate,
        groupShare: options.groupShare,
        duration: options.duration,
        botProcesses: P,
        database: options.remote ? 'remote' : options.databaseUrl ? 'postgres' : 'sqlite',
        ...(options.remote ? { servers: urls } : {}),
        mediaMix: Boolean(options.media),
      },
      provisioning: { users: plan.users, friendships: plan.friendships.length, directConversations: plan.pairs.length, groups: plan.groups.length, seconds: provisioned.seconds },
      bots: { requested: plan.users, connected, failed: connectFailed, processes: P, failures },
      serverErrors: { count: serverErrorCount, first: serverErrors },
      windowSeconds: round(window, 1)!,
      messages: {
        targetPerSec: options.rate,
        sentPerSec: round((end.sent - start.sent) / window, 1)!,
        persistedPerSec: round((end.acked.direct + end.acked.group - start.acked.direct - start.acked.group) / window, 1)!,
        persistedDirectPerSec: round((end.acked.direct - start.acked.direct) / window, 1)!,
        persistedGroupPerSec: round((end.acked.group - start.acked.group) / window, 1)!,
        failed: sum((s) => s.failed),
        errors,
      },
      latencyMs: { direct: percentiles(steady.direct), group: percentiles(steady.group) },
      ackMs: percentiles(steady.ack),
      deliveries: {
        perSec: round((end.received - start.received) / window, 1)!,
        received: receivedAll,
        expected,
        ratio: expected > 0 ? round(receivedAll / expected, 5) : null,
        echoes: sum((s) => s.echoes),
      },
      server: {
        cpuPct: server ? round(serverCpuPct, 1) : null,
        cpuMsPerMessage: (() => {
          const persisted = (end.acked.direct + end.acked.group - start.acked.direct - start.acked.group) / window;
          return server && persisted > 0 ? round((serverCpuPct * 10) / persisted, 3) : null;
        })(),
        rssMB: server ? round(serverRss() / 2 ** 20, 1) : null, processes },
      loadGenerator: { processes: P, cpuPct: round(generatorPct, 1)!, maxEventLoopLagMs: round(maxLag, 1)! },
      ...(options.media && manifest && start.media && end.media && serverIo
        ? {
            media: buildMediaReport({
              options: options.media,
              manifest,
              start: start.media,
              end: end.media,
              final: sumMedia(last.flatMap((s) => (s.media ? [s.media] : []))),
              window,
              steady: steadyMedia,
              errors,
              serverCpuPct,
              io: serverIo,
            }),
          }
        : {}),
      timeline,
    };
  } finally {
    await Promise.all(
      children.map(
        (child) => stopChild(child, { message: { type: 'stop' } satisfies ChatCommand, graceMs: 10_000 }),
      ),
    );
    await server?.stop();
  }
}
