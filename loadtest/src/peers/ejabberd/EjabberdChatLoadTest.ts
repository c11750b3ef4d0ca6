/**
 * Muster's chat scenario against ejabberd (issue 18): starts an ejabberd node
 * of its own (EjabberdNode), registers the people, spreads their XMPP
 * connections over bot processes, sends the one-to-one load at the requested
 * rate for the steady window, drains, counts what the archives hold, and
 * reports with the chat scenario's phases, histograms and field names, so
 * the two reports read side by side.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DRAIN_MAX_S, percentiles, round, WARM_UP_S, type ChatReport, type ChatTimelinePoint, type Percentiles } from '../../chat/ChatLoadTest.ts';
import type { ChatSample } from '../../chat/chatProtocol.ts';
import { planChat, type ChatOptions } from '../../chat/options.ts';
import { LatencyHistogram } from '../../LatencyHistogram.ts';
import { machineBusyPct, machineInfo, sampleMachineCpu } from '../../processStats.ts';
import { EjabberdNode } from './EjabberdNode.ts';
import type { XmppChatBotSpec, XmppChatCommand, XmppChatMessage } from './xmppChatProtocol.ts';
import { stopChild } from '../../stopChild.ts';

const ENTRY = fileURLToPath(new URL('./xmppChatEntry.mjs', import.meta.url));
/** Accounts whose archives are counted after the drain, spread over the bot processes. */
const ARCHIVE_ACCOUNTS = 50;
/** Past this, the report goes out with the counts that came in. */
const ARCHIVE_COUNT_MAX_S = 60;

export interface EjabberdChatReport {
  scenario: 'chat';
  target: 'ejabberd';
  startedAt: string;
  machine: ChatReport['machine'];
  options: Pick<ChatOptions, 'users' | 'rate' | 'duration' | 'botProcesses'>;
  ejabberd: {
    version: string;
    node: string;
    /** The generated configuration, written beside the reports (the CLI fills in its file name). */
    configFile: string | null;
    /** Where messages are persisted: mod_mam's default backend. */
    archive: 'mod_mam on mnesia';
  };
  provisioning: { users: number; directConversations: number; seconds: { registration: number } };
  bots: ChatReport['bots'];
  /** What ejabberd logged at level error during the run (its error.log). */
  serverErrors: ChatReport['serverErrors'];
  windowSeconds: number;
  messages: {
    targetPerSec: number;
    sentPerSec: number;
    /** Acknowledged by the server (XEP-0198 `<a/>`): archived and routed. */
    persistedPerSec: number;
    failed: number;
    errors: Record<string, number>;
  };
  /** Send (the bot's send call) to receive (the partner's connection), steady window. */
  latencyMs: { direct: Percentiles };
  /** Send to the server's acknowledgement. */
  ackMs: Percentiles;
  deliveries: { perSec: number; received: number; expected: number; ratio: number | null };
  /**
   * After the drain, the archives (XEP-0313) of up to 50 accounts spread over
   * the bots counted: each message is in its sender's and its recipient's
   * archive, so they must hold what those accounts had acknowledged and received.
   */
  archive: { accounts: number; messages: number; expected: number; queriesFailed: number };
  server: {
    cpuPct: number | null;
    cpuMsPerMessage: number | null;
    rssMB: number | null;
    processes: { pid: number; role: string; cpuPct: number | null; rssMB: number | null }[];
  };
  loadGenerator: ChatReport['loadGenerator'];
  timeline: ChatTimelinePoint[];
}

interface Totals {
  at: number;
  sent: number;
  acked: number;
  received: number;
  serverCpu: number;
  botCpu: number;
}

export interface EjabberdChatRun {
  report: EjabberdChatReport;
  /** The ejabberd.yml the node ran with. */
  config: string;
}

export async function runEjabberdChatLoadTest(options: ChatOptions, onProgress: (line: string) => void = () => undefined): Promise<EjabberdChatRun> {
  const startedAt = new Date().toISOString();
  const plan = planChat(options);
  const node = await EjabberdNode.start({ users: plan.users });
  const children: ChildProcess[] = [];
  const samples = new Map<number, ChatSample>();
  try {
    onProgress(`ejabberd ${node.install.version} up (node ${node.nodeName}, ${node.wsUrl}); registering ${plan.users} people, ${plan.pairs.length} one-to-one conversations`);
    const password = randomBytes(12).toString('hex');
    const user = (index: number) => `u${index}`;
    const registrationStart = performance.now();
    await node.registerUsers(Array.from({ length: plan.users }, (_, index) => ({ user: user(index), password })));
    const registrationSeconds = (performance.now() - registrationStart) / 1000;
    const partner = new Map<number, number>();
    for (const [a, b] of plan.pairs) partner.set(a, b).set(b, a);

    // Bots dealt round-robin over the processes, as Muster's chat bots are.
    const P = Math.min(options.botProcesses, plan.users);
    const connectedReplies: { connected: number; failed: number }[] = [];
    const archiveReplies: Extract<XmppChatMessage, { type: 'archive' }>[] = [];
    let archiveDone: () => void = () => undefined;
    await Promise.all(
      Array.from({ length: P }, async (_, p) => {
        const child = fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
        children.push(child);
        const bots: XmppChatBotSpec[] = [];
        for (let index = p; index < plan.users; index += P) bots.push({ index, user: user(index), partner: partner.has(index) ? user(partner.get(index)!) : null });
        await new Promise<void>((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`XMPP chat bot process exited (${code}) during start-up`)));
          child.on('message', (message: XmppChatMessage) => {
            if (message.type === 'ready') child.send({ type: 'connect', url: node.wsUrl, domain: node.host, password, bots } satisfies XmppChatCommand);
            if (message.type === 'sample') samples.set(p, message);
            if (message.type === 'connected') {
              connectedReplies.push(message);
              resolve();
            }
            if (message.type === 'archive') {
              archiveReplies.push(message);
              if (archiveReplies.length === children.length) archiveDone();
            }
          });
        });
      }),
    );
    const connected = connectedReplies.reduce((a, r) => a + r.connected, 0);
    const connectFailed = connectedReplies.reduce((a, r) => a + r.failed, 0);
    onProgress(`bots connected ${connected}/${plan.users} (failed ${connectFailed}) in ${P} processes; sending ${options.rate} msg/s`);

    const totals = (): Totals => {
      let sent = 0;
      let acked = 0;
      let received = 0;
      let botCpu = 0;
      for (const s of samples.values()) {
        sent += s.sent.direct;
        acked += s.acked.direct;
        received += s.received.direct;
        botCpu += s.cpuMicros;
      }
      return { at: Date.now(), sent, acked, received, serverCpu: node.usage()?.cpuMicros ?? 0, botCpu };
    };
    const timeline: ChatTimelinePoint[] = [];
    const steady = { direct: new LatencyHistogram(), ack: new LatencyHistogram() };
    const failures: string[] = [];
    let maxLag = 0;

    for (const child of children) child.send({ type: 'send', rate: options.rate / children.length } satisfies XmppChatCommand);
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
      const second = { direct: new LatencyHistogram(), ack: new LatencyHistogram() };
      for (const s of samples.values()) {
        second.direct.merge(LatencyHistogram.from(s.latency.direct));
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
        steady.ack.merge(second.ack);
      }
      const rss = node.usage()?.rssBytes;
      const point: ChatTimelinePoint = {
        t: round((now.at - t0) / 1000, 1)!,
        phase,
        sentPerSec: Math.round((now.sent - previous.sent) / dt),
        persistedPerSec: Math.round((now.acked - previous.acked) / dt),
        deliveriesPerSec: Math.round((now.received - previous.received) / dt),
        directP50Ms: round(second.direct.percentile(0.5)),
        directP99Ms: round(second.direct.percentile(0.99)),
        groupP50Ms: null,
        groupP99Ms: null,
        serverCpuPct: round(((now.serverCpu - previous.serverCpu) / 1e6 / dt) * 100, 1),
        serverRssMB: rss === undefined ? null : round(rss / 2 ** 20, 1),
        botCpuPct: round(((now.botCpu - previous.botCpu) / 1e6 / dt) * 100, 1)!,
      };
      timeline.push(point);
      onProgress(
        `[${point.t.toFixed(0).padStart(4)}s ${phase}] sent/s ${point.sentPerSec} acked/s ${point.persistedPerSec} deliveries/s ${point.deliveriesPerSec} ` +
          `p50/p99 ${point.directP50Ms ?? '-'}/${point.directP99Ms ?? '-'} ms ejabberd CPU ${point.serverCpuPct ?? '-'}% RSS ${point.serverRssMB ?? '-'} MB bots CPU ${point.botCpuPct}%`,
      );
      previous = now;
      const elapsed = (now.at - t0) / 1000;
      if (phase === 'warm-up' && elapsed >= WARM_UP_S) {
        phase = 'steady';
        steadyStart = now;
        machineStart = sampleMachineCpu();
      } else if (phase === 'steady' && (now.at - steadyStart!.at) / 1000 >= options.duration) {
        steadyEnd = now;
        machineEnd = sampleMachineCpu();
        phase = 'drain';
        drainSince = now.at;
        for (const child of children) child.send({ type: 'halt' } satisfies XmppChatCommand);
      } else if (phase === 'drain') {
        // Done when every send is acknowledged (or failed) and every acknowledged one delivered, or the drain's time is up.
        const failed = [...samples.values()].reduce((a, s) => a + s.failed, 0);
        if ((now.sent - now.acked - failed <= 0 && now.received >= now.acked) || (now.at - drainSince) / 1000 >= DRAIN_MAX_S) break;
      }
    }

    let archiveTimer: NodeJS.Timeout | undefined;
    const archived = new Promise<void>((resolve) => {
      archiveDone = resolve;
      archiveTimer = setTimeout(resolve, ARCHIVE_COUNT_MAX_S * 1000);
    });
    for (const child of children) child.send({ type: 'count-archive', accounts: Math.ceil(ARCHIVE_ACCOUNTS / children.length) } satisfies XmppChatCommand);
    await archived;
    clearTimeout(archiveTimer);
    const final = totals();

    const start = steadyStart!;
    const end = steadyEnd!;
    const window = (end.at - start.at) / 1000;
    const last = [...samples.values()];
    const serverCpuPct = ((end.serverCpu - start.serverCpu) / 1e6 / window) * 100;
    const persistedPerSec = (end.acked - start.acked) / window;
    const steadyPoints = timeline.filter((p) => p.phase === 'steady');
    const generatorPct = steadyPoints.reduce((a, p) => a + p.botCpuPct, 0) / Math.max(1, steadyPoints.length);
    const busyPct = machineBusyPct(machineStart, machineEnd);
    const errors: Record<string, number> = {};
    for (const s of last) for (const [code, n] of Object.entries(s.errors)) errors[code] = (errors[code] ?? 0) + n;
    const rssMB = round((node.usage()?.rssBytes ?? 0) / 2 ** 20, 1);
    return {
      config: node.configText,
      report: {
        scenario: 'chat',
        target: 'ejabberd',
        startedAt,
        machine: { ...machineInfo(), busyPct: round(busyPct, 1), otherProcessesPct: round(busyPct === null ? null : Math.max(0, busyPct - serverCpuPct - generatorPct), 1) },
        options: { users: options.users, rate: options.rate, duration: options.duration, botProcesses: P },
        ejabberd: { version: node.install.version, node: node.nodeName, configFile: null, archive: 'mod_mam on mnesia' },
        provisioning: { users: plan.users, directConversations: plan.pairs.length, seconds: { registration: round(registrationSeconds, 2)! } },
        bots: { requested: plan.users, connected, failed: connectFailed, processes: P, failures },
        serverErrors: node.errors(),
        windowSeconds: round(window, 1)!,
        messages: {
          targetPerSec: options.rate,
          sentPerSec: round((end.sent - start.sent) / window, 1)!,
          persistedPerSec: round(persistedPerSec, 1)!,
          failed: last.reduce((a, s) => a + s.failed, 0),
          errors,
        },
        latencyMs: { direct: percentiles(steady.direct) },
        ackMs: percentiles(steady.ack),
        deliveries: {
          perSec: round((end.received - start.received) / window, 1)!,
          received: final.received,
          expected: final.acked,
          ratio: final.acked > 0 ? round(final.received / final.acked, 5) : null,
        },
        archive: {
          accounts: archiveReplies.reduce((a, r) => a + r.accounts, 0),
          messages: archiveReplies.reduce((a, r) => a + r.messages, 0),
          expected: archiveReplies.reduce((a, r) => a + r.expected, 0),
          queriesFailed: archiveReplies.reduce((a, r) => a + r.failed, 0),
        },
        server: {
          cpuPct: round(serverCpuPct, 1),
          cpuMsPerMessage: persistedPerSec > 0 ? round((serverCpuPct * 10) / persistedPerSec, 3) : null,
          rssMB,
          processes: [{ pid: node.pid, role: 'beam.smp', cpuPct: round(serverCpuPct, 1), rssMB }],
        },
        loadGenerator: { processes: P, cpuPct: round(generatorPct, 1)!, maxEventLoopLagMs: round(maxLag, 1)! },
        timeline,
      },
    };
  } finally {
    await Promise.all(
      children.map(
        (child) => stopChild(child, { message: { type: 'stop' } satisfies XmppChatCommand, graceMs: 10_000 }),
      ),
    );
    await node.stop();
  }
}
