/**
 * A load-generator process: hosts many bots, sends their packets from one
 * scheduler, and reports a sample every second. Several run side by side, so
 * no process nears the per-process open-file limit.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Bot } from './Bot.ts';
import { ProcessCalls } from './callsViaChat/processCalls.ts';
import { JanusBot } from './peers/janus/JanusBot.ts';
import type { FleetCommand, FleetMessage, FleetSample } from './fleetProtocol.ts';
import { LatencyHistogram } from './LatencyHistogram.ts';
import { nowMs } from './payload.ts';

const send = (message: FleetMessage) => {
  if (process.connected) process.send!(message);
};

const bots: (Bot | JanusBot)[] = [];
const latency = new LatencyHistogram();
let packetsReceived = 0;
let bytesReceived = 0;
let joined = 0;
let failed = 0;
let joinTimes: number[] = [];
let failures: string[] = [];
let stopping = false;
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

const sink = {
  onPacket(_kind: 'audio' | 'video', bytes: number, latencyMs: number) {
    packetsReceived++;
    bytesReceived += bytes;
    latency.record(latencyMs);
  },
};

/** Bots join, and are counted, as they are made: by `spawn` here, or by a call via chat once it rings. */
function joinBot(bot: Bot | JanusBot, url: string): Promise<void> {
  bots.push(bot);
  const joining = bot.join(url);
  joining.then(
    () => {
      joined++;
      joinTimes.push(bot.joinMs!);
    },
    (error: Error) => {
      failed++;
      if (failures.length < 5) failures.push(`${bot.spec.name}: ${error.message}`);
    },
  );
  return joining;
}

const calls = new ProcessCalls(sink, {
  joinBot,
  failed: (step, error, botsNeverMade) => {
    failed += botsNeverMade;
    if (failures.length < 5) failures.push(`call ${step}: ${error.message}`);
  },
});

// One timer for all bots: a timer per stream would cost more than the packets.
const scheduler = setInterval(() => {
  const now = nowMs();
  for (const bot of bots) bot.tick(now);
}, 5);

const reporter = setInterval(() => {
  const connectedByCall: Record<string, number> = {};
  let packetsSent = 0;
  let bytesSent = 0;
  let expected = 0;
  let received = 0;
  let jitter = 0;
  let jitterStreams = 0;
  for (const bot of bots) {
    packetsSent += bot.packetsSent;
    bytesSent += bot.bytesSent;
    if (bot.connectedAt !== null) connectedByCall[bot.spec.callId] = (connectedByCall[bot.spec.callId] ?? 0) + 1;
    const totals = bot.streamTotals();
    expected += totals.expected;
    received += totals.received;
    if (totals.streams) {
      jitter += totals.jitterMs;
      jitterStreams++;
    }
  }
  const cpu = process.cpuUsage();
  const sample: FleetSample = {
    type: 'sample',
    takenAt: Date.now(),
    joined,
    failed,
    mediaRestarts: bots.reduce((a, b) => a + b.mediaRestarts, 0),
    joinTimesMs: joinTimes,
    failures,
    connectedByCall,
    packetsSent,
    bytesSent,
    packetsReceived,
    bytesReceived,
    expected,
    received,
    jitterMs: jitterStreams ? jitter / jitterStreams : 0,
    latency: latency.toJSON(),
    cpuMicros: cpu.user + cpu.system,
    eventLoopLagMs: lag.percentile(99) / 1e6,
    ...(calls.size > 0 ? { viaChat: calls.sample() } : {}),
  };
  joinTimes = [];
  failures = [];
  latency.reset();
  lag.reset();
  send(sample);
}, 1000);

async function spawn(url: string, specs: FleetCommand & { type: 'spawn' }): Promise<void> {
  const interval = 1000 / Math.max(0.1, specs.ratePerSecond);
  for (const spec of specs.bots) {
    if (stopping) return;
    joinBot(specs.peer === 'janus' ? new JanusBot(spec, sink) : new Bot(spec, sink), url).catch(() => undefined);
    await new Promise((r) => setTimeout(r, interval));
  }
  // A call brings two bots: the ramp's bots per second stay bots per second.
  for (const call of specs.calls ?? []) {
    if (stopping) return;
    calls.start(call);
    await new Promise((r) => setTimeout(r, 2 * interval));
  }
}

process.on('message', (command: FleetCommand) => {
  if (command.type === 'spawn') void spawn(command.url, command);
  if (command.type === 'stop') {
    stopping = true;
    clearInterval(scheduler);
    void Promise.allSettled([calls.close(), ...bots.map((b) => b.close())]).then(() => {
      clearInterval(reporter);
      send({ type: 'stopped' });
      setTimeout(() => process.exit(0), 50);
    });
  }
});
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => console.error('[bot process]', error));
process.on('unhandledRejection', () => undefined);
send({ type: 'ready' });
