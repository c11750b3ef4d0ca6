/**
 * RTP forwarding benchmark: N calls (rooms) through one forked media Worker.
 *
 *   npm run bench -w media -- --calls 10 --duration 15 [--room-size 2] [--warmup 3] [--clients fast|werift] [--svc on|off] [--twcc on|off] [--json f.json] [--md f.md]
 *
 * Then the SVC case (svc.bench.ts): µs of CPU per forwarded packet with
 * VP9 layer filtering on, on the in-process packet path.
 *
 * Each call is one Router with --room-size participants (2: a 1:1 call; more:
 * a meeting, where each packet is forwarded to every other participant); each participant publishes
 * Opus-like audio (50 packets/s, ~100 B) and VP8-like video (~75 packets/s,
 * 1000–1200 B) from a werift client and subscribes to the other's two tracks
 * through a second werift client. Every payload carries the stream, a
 * per-stream index, the phase and a send time, so the receiver measures
 * forwarding latency and loss without trusting any SFU counter.
 *
 * The clients run in this process; the SFU objects run in the forked worker,
 * whose CPU is measured on its own (worker.stats cpuMicros), so
 * "CPU µs per forwarded packet" is the SFU's cost alone. Latency is
 * client → SFU → client on loopback and includes the clients' SRTP work and
 * this process's event-loop delay, which is reported alongside.
 *
 * Clients negotiate with werift either way. With `--clients fast` (default)
 * they send and receive RTP through the SFU's own packet path (SecureLink),
 * which costs a fraction of werift's sendRtp/onReceiveRtp, so this machine can
 * load the SFU harder; `--clients werift` keeps werift's media pipeline on the
 * client side (the load generator of the earlier figures).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RtpHeader, RtpPacket, type RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import { FastRtpClient } from '../testing/fastRtpClient.ts';
import type { MediaConfig } from '../config.ts';
import type { WorkerStats } from '../channel.ts';
import {
  AUDIO_LEVEL_URI,
  createClientPeer,
  publishAudioVideo,
  waitConnected,
  waitFor,
  type Connectable,
} from '../testing/weriftClient.ts';
import { Worker } from '../Worker.ts';
import { runSvcCase, svcCaseMarkdown } from './svc.bench.ts';

// ---------------------------------------------------------------- options

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '10' },
    'room-size': { type: 'string', default: '2' },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    'audio-pps': { type: 'string', default: '50' },
    'video-pps': { type: 'string', default: '75' },
    clients: { type: 'string', default: 'fast' },
    /** The SVC case (svc.bench.ts) after this one: 'on' or 'off'. */
    svc: { type: 'string', default: 'on' },
    /** Subscribers negotiate transport-wide congestion control (as browsers do): the SFU writes its sequence number into every video packet. */
    twcc: { type: 'string', default: 'on' },
    json: { type: 'string' },
    md: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (args.help) {
  console.log('usage: forwarding.bench.ts [--calls 10] [--duration 15] [--warmup 3] [--audio-pps 50] [--video-pps 75] [--clients fast|werift] [--svc on|off] [--twcc on|off] [--json out.json] [--md out.md]');
  process.exit(0);
}
function positive(name: string, raw: string | undefined, max: number): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    console.error(`--${name} must be a number in (0, ${max}], got "${raw}"`);
    process.exit(2);
  }
  return value;
}
const CALLS = Math.floor(positive('calls', args.calls, 500));
const ROOM_SIZE = Math.floor(positive('room-size', args['room-size'], 16));
if (ROOM_SIZE < 2) {
  console.error('--room-size must be at least 2');
  process.exit(2);
}
/** Receivers of every packet. */
const FANOUT = ROOM_SIZE - 1;
const DURATION_S = positive('duration', args.duration, 3600);
const WARMUP_S = positive('warmup', args.warmup, 600);
const AUDIO_PPS = positive('audio-pps', args['audio-pps'], 1000);
const VIDEO_PPS = positive('video-pps', args['video-pps'], 1000);
if (args.clients !== 'fast' && args.clients !== 'werift') {
  console.error(`--clients must be fast or werift, got "${args.clients}"`);
  process.exit(2);
}
const FAST_CLIENTS = args.clients === 'fast';
const DRAIN_MS = 1500;
/** Warm-up continues until recent p95 latency is below this (the start-up backlog has drained)… */
const SETTLED_P95_MS = 100;
/** …or for at most this long beyond --warmup. */
const MAX_EXTRA_WARMUP_MS = 60_000;

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.resolve(here, '../../bench-results');
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const jsonPath = path.resolve(args.json ?? path.join(resultsDir, `forwarding-${stamp}.json`));
const mdPath = path.resolve(args.md ?? path.join(resultsDir, `forwarding-${stamp}.md`));

// ---------------------------------------------------------------- payload format

const MAGIC = 0x4d42_4e43; // "MBNC"
const HEADER_BYTES = 4 + 4 + 4 + 1 + 8; // magic, stream, index, phase, send time

enum Phase {
  Warmup = 0,
  Measure = 1,
  Cooldown = 2,
}

let phase: Phase = Phase.Warmup;

// ---------------------------------------------------------------- streams

interface Stream {
  id: number;
  kind: 'audio' | 'video';
  transceiver: RTCRtpTransceiver;
  /** The publisher's fast RTP path (--clients fast). */
  client?: FastRtpClient;
  pps: number;
  seq: number;
  timestampBase: number;
  clockRate: number;
  audioLevelExtId?: number;
  sent: number; // packets scheduled since start
  sentMeasured: number;
  /** Receptions, summed over the stream's receivers. */
  receivedMeasured: number;
  duplicates: number;
  /** Per receiver (participant index in the room), per measured index: received? */
  seen: Uint8Array[];
  firstMeasuredIndex: number;
}

const streams: Stream[] = [];
/** [arrival, latency] of warm-up packets: tells when the start-up backlog has drained. */
let warmupLatency: [number, number][] = [];
const latenciesMs: number[] = [];
let foreignPackets = 0;

/** A stream of a call being set up; it joins `streams` (and gets its id) once the call is connected. */
function makeStream(kind: 'audio' | 'video', transceiver: RTCRtpTransceiver, client?: FastRtpClient): Stream {
  return {
    id: -1,
    kind,
    transceiver,
    client,
    pps: kind === 'audio' ? AUDIO_PPS : VIDEO_PPS,
    seq: Math.floor(Math.random() * 65536),
    timestampBase: Math.floor(Math.random() * 2 ** 31),
    clockRate: kind === 'audio' ? 48000 : 90000,
    audioLevelExtId: transceiver.headerExtensions.find((e) => e.uri === AUDIO_LEVEL_URI)?.id,
    sent: 0,
    sentMeasured: 0,
    receivedMeasured: 0,
    duplicates: 0,
    seen: Array.from({ length: ROOM_SIZE }, () => new Uint8Array(Math.ceil((kind === 'audio' ? AUDIO_PPS : VIDEO_PPS) * (DURATION_S + 10)) + 1024)),
    firstMeasuredIndex: -1,
  };
}

let startedAt = 0;

function sendOne(stream: Stream): void {
  const index = stream.sent++;
  const size = stream.kind === 'audio' ? 90 + Math.floor(Math.random() * 21) : 1000 + Math.floor(Math.random() * 201);
  const payload = Buffer.allocUnsafe(size);
  payload.fill(0xa5, HEADER_BYTES);
  payload.writeUInt32BE(MAGIC, 0);
  payload.writeUInt32BE(stream.id, 4);
  payload.writeUInt32BE(index, 8);
  payload.writeUInt8(phase, 12);
  if (phase === Phase.Measure) {
    if (stream.firstMeasuredIndex < 0) stream.firstMeasuredIndex = index;
    stream.sentMeasured++;
  }
  const timestamp = (stream.timestampBase + Math.floor(((performance.now() - startedAt) * stream.clockRate) / 1000)) >>> 0;
  const marker = stream.kind === 'audio' || index % 3 === 2; // ~3 packets per video frame
  const audioLevel = stream.audioLevelExtId !== undefined ? 20 + (stream.id % 30) : undefined;
  const sequenceNumber = stream.seq;
  stream.seq = (stream.seq + 1) & 0xffff;
  if (stream.client) {
    payload.writeDoubleBE(performance.now(), 13); // last, as close to the send as possible
    stream.client.send(stream.transceiver, { sequenceNumber, timestamp, marker, payload, audioLevel });
    return;
  }
  const header = new RtpHeader({ sequenceNumber, timestamp, payloadType: 96, marker });
  if (audioLevel !== undefined) {
    header.extension = true;
    header.extensions = [{ id: stream.audioLevelExtId!, payload: Buffer.from([0x80 | audioLevel]) }];
  }
  payload.writeDoubleBE(performance.now(), 13); // last, as close to the send as possible
  stream.transceiver.sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
}

function onReceived(p: Buffer, receiver: number): void {
  if (p.length < HEADER_BYTES || p.readUInt32BE(0) !== MAGIC) {
    foreignPackets++;
    return;
  }
  const stream = streams[p.readUInt32BE(4)];
  if (!stream) return;
  const packetPhase = p.readUInt8(12);
  if (packetPhase === Phase.Warmup) {
    const now = performance.now();
    warmupLatency.push([now, now - p.readDoubleBE(13)]);
    return;
  }
  if (packetPhase !== Phase.Measure) return;
  const offset = p.readUInt32BE(8) - stream.firstMeasuredIndex;
  const seen = stream.seen[receiver]!;
  if (offset < 0 || offset >= seen.length) return;
  if (seen[offset]) {
    stream.duplicates++; // a NACK retransmission of a packet that had arrived
    return;
  }
  seen[offset] = 1;
  stream.receivedMeasured++;
  latenciesMs.push(performance.now() - p.readDoubleBE(13));
}

/** Paced sender: each stream keeps to its rate from the start, whatever the timer drift. */
function startPacing(): () => void {
  startedAt = performance.now();
  const timer = setInterval(() => {
    const elapsedS = (performance.now() - startedAt) / 1000;
    for (const stream of streams) {
      const due = Math.floor(elapsedS * stream.pps) - stream.sent;
      // After a stall, catch up a little at a time rather than in one burst.
      for (let i = 0; i < Math.min(due, 4); i++) sendOne(stream);
      if (due > 4) stream.sent += due - 4; // skipped: never sent, never counted
    }
  }, 5);
  return () => clearInterval(timer);
}

// ---------------------------------------------------------------- set-up

const config: MediaConfig = { numWorkers: 1, iceServers: [], additionalHostAddresses: ['127.0.0.1'] };
const peers: RTCPeerConnection[] = [];
const fastClients: FastRtpClient[] = [];
let worker: Worker | undefined;
let stopPacing: (() => void) | undefined;

async function cleanup(): Promise<void> {
  stopPacing?.();
  await Promise.allSettled(peers.map((pc) => pc.close()));
  worker?.close();
}

const watchdog = setTimeout(
  () => {
    console.error('benchmark exceeded its time budget; aborting');
    void cleanup().finally(() => process.exit(1));
  },
  // Set-up (a few seconds a call, retries included), warm-up, measurement, drain, margin.
  120_000 + CALLS * 30_000 + (WARMUP_S + DURATION_S) * 1000 + MAX_EXTRA_WARMUP_MS + DRAIN_MS,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

/** Connection state of every SFU transport, from the worker's notifications. */
const transportStates = new Map<string, string>();
const routerIds: string[] = [];
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * One call: ROOM_SIZE publishers and as many subscribers, negotiated through the worker
 * the way the signaling server does it, and connected before the next call is
 * set up (so handshakes never compete with media). werift gives a DTLS
 * handshake ~4.5 s, which a busy machine can miss: a call whose connection
 * fails is torn down and set up again.
 */
async function setUpCall(w: Worker, call: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const routerId = `bench-${call}-${attempt}`;
    const callPeers: RTCPeerConnection[] = [];
    const callStreams: Stream[] = [];
    const transportIds: string[] = [];
    try {
      await w.request('router.create', { routerId });
      const producerIds = new Map<number, string[]>();
      for (let who = 0; who < ROOM_SIZE; who++) {
        const transportId = `${routerId}-${who}-send`;
        transportIds.push(transportId);
        await w.request('transport.create', { routerId, transportId, direction: 'send' });
        const publisher = await publishAudioVideo(async (sdp, tracks) => {
          const result = await w.request('transport.publish', { routerId, transportId, sdp, tracks });
          producerIds.set(who, result.producers.map((p) => p.id));
          return result;
        });
        callPeers.push(publisher.pc);
        let client: FastRtpClient | undefined;
        if (FAST_CLIENTS) {
          client = new FastRtpClient(publisher.pc);
          client.attach();
          fastClients.push(client);
        }
        callStreams.push(makeStream('audio', publisher.audio, client), makeStream('video', publisher.video, client));
      }
      for (let who = 0; who < ROOM_SIZE; who++) {
        const transportId = `${routerId}-${who}-recv`;
        transportIds.push(transportId);
        await w.request('transport.create', { routerId, transportId, direction: 'recv' });
        for (let other = 0; other < ROOM_SIZE; other++) {
          if (other === who) continue;
          for (const producerId of producerIds.get(other)!) {
            await w.request('transport.consume', { routerId, transportId, producerId, consumerId: `${transportId}-${producerId}` });
          }
        }
        const { sdp } = await w.request('transport.createOffer', { routerId, transportId });
        const pc = createClientPeer({ transportWideCc: args.twcc !== 'off' });
        callPeers.push(pc);
        let client: FastRtpClient | undefined;
        if (FAST_CLIENTS) {
          client = new FastRtpClient(pc);
          client.onRtp = (packet) => onReceived(packet.payload, who);
          fastClients.push(client);
        } else {
          pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => onReceived(rtp.payload, who)));
        }
        await pc.setRemoteDescription({ type: 'offer', sdp });
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        client?.attach();
        await w.request('transport.applyAnswer', { routerId, transportId, sdp: pc.localDescription!.sdp });
      }
      const endpoints: Record<string, Connectable> = {};
      callPeers.forEach((pc, i) => (endpoints[`client${i}`] = pc));
      for (const id of transportIds) endpoints[id] = { get connectionState() { return transportStates.get(id) ?? 'new'; } };
      await waitConnected(endpoints, CONNECT_TIMEOUT_MS);
      if (FAST_CLIENTS) await waitFor(() => fastClients.every((c) => c.connected), CONNECT_TIMEOUT_MS, 'client SRTP');
      for (const stream of callStreams) {
        stream.id = streams.length;
        streams.push(stream);
      }
      peers.push(...callPeers);
      routerIds.push(routerId);
      return;
    } catch (error) {
      await Promise.allSettled(callPeers.map((pc) => pc.close()));
      await w.request('router.close', { routerId }).catch(() => undefined);
      if (attempt >= 3) throw error;
      console.warn(`  call ${call}: ${(error as Error).message}; setting it up again`);
    }
  }
}

/** Machine-wide CPU time from /proc/stat (Linux), to see how busy the rest of the machine was. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function weriftVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    let dir = path.dirname(require.resolve('werift'));
    for (let i = 0; i < 8; i++, dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'werift') return pkg.version ?? 'unknown';
      }
    }
  } catch {
    // fall through
  }
  return 'unknown';
}

const round = (n: number, digits = 1) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);

async function main(): Promise<void> {
  const t0 = performance.now();
  console.log(`forwarding benchmark: ${CALLS} ${ROOM_SIZE === 2 ? '1:1 calls' : `rooms of ${ROOM_SIZE}`}, ${WARMUP_S} s warm-up, ${DURATION_S} s measured`);
  const idle0 = machineCpu();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idle1 = machineCpu();
  if (idle0 && idle1 && idle1.total > idle0.total) {
    const busyCores = ((idle1.busy - idle0.busy) / (idle1.total - idle0.total)) * os.cpus().length;
    if (busyCores > 0.25) {
      console.warn(`  note: other processes keep ${busyCores.toFixed(2)} cores busy; latency and loss will show it`);
    }
  }
  worker = new Worker(0, config);
  await worker.ready();
  const w = worker;
  w.on('notification', (event, data) => {
    if (event === 'transport.connectionstatechange') {
      const { transportId, state } = data as { transportId: string; state: string };
      transportStates.set(transportId, state);
    }
  });

  for (let call = 0; call < CALLS; call++) await setUpCall(w, call);
  const setupMs = performance.now() - t0;
  console.log(`  set up ${CALLS * ROOM_SIZE * 2} transports and ${CALLS * ROOM_SIZE * 2} client peers in ${(setupMs / 1000).toFixed(1)} s`);

  stopPacing = startPacing();
  // Start-up work (JIT, the first RTCP, NACKs of the first packets) can leave
  // a queue in the socket buffers; measuring while it drains would report the
  // set-up, not forwarding. Warm up for --warmup seconds and until the p95
  // latency of the last second is below SETTLED_P95_MS.
  const warmupStart = performance.now();
  let settled = false;
  while (performance.now() - warmupStart < WARMUP_S * 1000 + MAX_EXTRA_WARMUP_MS) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = performance.now();
    warmupLatency = warmupLatency.filter(([at]) => now - at < 1000);
    if (now - warmupStart < WARMUP_S * 1000) continue;
    const recent = warmupLatency.map(([, l]) => l).sort((a, b) => a - b);
    if (recent.length > 0 && percentile(recent, 0.95) < SETTLED_P95_MS) {
      settled = true;
      break;
    }
  }
  const warmupMs = performance.now() - warmupStart;
  warmupLatency = [];
  console.log(`  warmed up for ${(warmupMs / 1000).toFixed(1)} s${settled ? '' : ' (latency never settled; measuring anyway)'}`);

  // Measurement window.
  // The histogram records whole timer intervals; the excess over the resolution is the delay.
  const LOOP_RESOLUTION_MS = 10;
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const loopExcess = (ns: number) => round(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS), 2);
  const clientCpu0 = process.cpuUsage();
  const machine0 = machineCpu();
  const load0 = os.loadavg()[0]!;
  const before: WorkerStats = await w.getStats();
  const wall0 = performance.now();
  phase = Phase.Measure;
  loopDelay.enable();
  await new Promise((resolve) => setTimeout(resolve, DURATION_S * 1000));
  phase = Phase.Cooldown;
  const after: WorkerStats = await w.getStats();
  const wallMs = performance.now() - wall0;
  loopDelay.disable();
  const clientCpu = process.cpuUsage(clientCpu0);
  const machine1 = machineCpu();
  stopPacing();
  stopPacing = undefined;
  // Let measured packets still in flight (and their retransmissions) land.
  await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));

  // ---------------------------------------------------------------- results
  const workerCpuMicros = after.cpuMicros - before.cpuMicros;
  const packetsIn = after.packetsIn - before.packetsIn;
  const packetsOut = after.packetsOut - before.packetsOut;
  const bytesOut = after.bytesOut - before.bytesOut;
  // Every packet sent is due at FANOUT receivers.
  const sent = streams.reduce((n, s) => n + s.sentMeasured, 0) * FANOUT;
  const received = streams.reduce((n, s) => n + s.receivedMeasured, 0);
  const duplicates = streams.reduce((n, s) => n + s.duplicates, 0);
  const lossOf = (kind: 'audio' | 'video') => {
    const ss = streams.filter((s) => s.kind === kind);
    const sentK = ss.reduce((n, s) => n + s.sentMeasured, 0) * FANOUT;
    const recvK = ss.reduce((n, s) => n + s.receivedMeasured, 0);
    return sentK ? (100 * (sentK - recvK)) / sentK : NaN;
  };
  const sorted = Float64Array.from(latenciesMs).sort();
  const lat = Array.from(sorted);
  const cpus = os.cpus();
  // CPU the rest of the machine used meanwhile (other tests, browsers…), in cores:
  // latency and loss suffer from it, CPU per packet much less.
  let otherCores: number | null = null;
  let machineBusyCores: number | null = null;
  if (machine0 && machine1 && machine1.total > machine0.total) {
    machineBusyCores = ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * cpus.length;
    const ours = (workerCpuMicros + clientCpu.user + clientCpu.system) / (wallMs * 1000);
    otherCores = Math.max(0, machineBusyCores - ours);
  }

  const result = {
    benchmark: 'media/forwarding',
    date: new Date().toISOString(),
    parameters: {
      calls: CALLS,
      participantsPerCall: ROOM_SIZE,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      audio: { packetsPerSecond: AUDIO_PPS, bytes: '90-110' },
      video: { packetsPerSecond: VIDEO_PPS, bytes: '1000-1200' },
      producers: CALLS * ROOM_SIZE * 2,
      consumers: CALLS * ROOM_SIZE * FANOUT * 2,
      clients: FAST_CLIENTS ? 'fast (SecureLink)' : 'werift',
      transportWideCc: args.twcc !== 'off',
    },
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      availableParallelism: os.availableParallelism(),
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
      werift: weriftVersion(),
      loadAverage1mAtStart: round(load0, 2),
      loadAverage1mAtEnd: round(os.loadavg()[0]!, 2),
      machineBusyCoresDuringRun: machineBusyCores === null ? null : round(machineBusyCores, 2),
      otherProcessesCoresDuringRun: otherCores === null ? null : round(otherCores, 2),
    },
    sfuWorker: {
      pid: after.pid,
      packetsIn,
      packetsOut,
      packetsInPerSecond: round((packetsIn * 1000) / wallMs, 0),
      packetsOutPerSecond: round((packetsOut * 1000) / wallMs, 0),
      mbitOut: round((bytesOut * 8) / (wallMs * 1000), 2),
      cpuMicros: workerCpuMicros,
      cpuPercentOfOneCore: round((100 * workerCpuMicros) / (wallMs * 1000), 1),
      cpuMicrosPerForwardedPacket: round(workerCpuMicros / packetsOut, 2),
      cpuMicrosPerReceivedPacket: round(workerCpuMicros / packetsIn, 2),
      rssMiB: round(after.rssBytes / 2 ** 20, 1),
    },
    clients: {
      packetsSent: sent,
      packetsReceived: received,
      duplicatesReceived: duplicates,
      lossPercent: round(sent ? (100 * (sent - received)) / sent : NaN, 3),
      audioLossPercent: round(lossOf('audio'), 3),
      videoLossPercent: round(lossOf('video'), 3),
      foreignPackets,
      latencyMs: {
        samples: lat.length,
        p50: round(percentile(lat, 0.5), 2),
        p95: round(percentile(lat, 0.95), 2),
        p99: round(percentile(lat, 0.99), 2),
        max: round(lat.at(-1) ?? NaN, 2),
      },
      processCpuPercentOfOneCore: round((100 * (clientCpu.user + clientCpu.system)) / (wallMs * 1000), 1),
      eventLoopDelayMs: {
        p50: loopExcess(loopDelay.percentile(50)),
        p99: loopExcess(loopDelay.percentile(99)),
        max: loopExcess(loopDelay.max),
      },
    },
    setupSeconds: round(setupMs / 1000, 1),
    warmupSeconds: round(warmupMs / 1000, 1),
    warmupSettled: settled,
    measuredSeconds: round(wallMs / 1000, 2),
  };

  const md = [
    `# Media forwarding benchmark (${result.date})`,
    '',
    `${CALLS} ${ROOM_SIZE === 2 ? '1:1 calls' : `rooms of ${ROOM_SIZE}`} (${CALLS * ROOM_SIZE * 2} producers, ${CALLS * ROOM_SIZE * FANOUT * 2} consumers) through one SFU worker process; ` +
      `${DURATION_S} s measured after ${(warmupMs / 1000).toFixed(1)} s warm-up${settled ? '' : ' (latency had not settled)'}. Per publisher: audio ${AUDIO_PPS} pkt/s × 90–110 B, ` +
      `video ${VIDEO_PPS} pkt/s × 1000–1200 B. ${FAST_CLIENTS ? 'Clients on the fast packet path' : 'werift clients'} in the parent process, loopback UDP; ` +
      `transport-wide congestion control ${args.twcc !== 'off' ? 'negotiated (a sequence number in every video packet)' : 'off'}.`,
    '',
    '| Metric | Value |',
    '| --- | --- |',
    `| Packets in (SFU) | ${packetsIn} (${result.sfuWorker.packetsInPerSecond}/s) |`,
    `| Packets out (SFU) | ${packetsOut} (${result.sfuWorker.packetsOutPerSecond}/s, ${result.sfuWorker.mbitOut} Mbit/s) |`,
    `| SFU worker CPU | ${result.sfuWorker.cpuPercentOfOneCore} % of one core |`,
    `| **SFU CPU per forwarded packet** | **${result.sfuWorker.cpuMicrosPerForwardedPacket} µs** |`,
    `| SFU CPU per received packet | ${result.sfuWorker.cpuMicrosPerReceivedPacket} µs |`,
    `| SFU worker RSS | ${result.sfuWorker.rssMiB} MiB |`,
    `| Latency p50 / p95 / p99 / max | ${result.clients.latencyMs.p50} / ${result.clients.latencyMs.p95} / ${result.clients.latencyMs.p99} / ${result.clients.latencyMs.max} ms |`,
    `| Loss (audio / video) | ${result.clients.lossPercent} % (${result.clients.audioLossPercent} % / ${result.clients.videoLossPercent} %) of ${sent} packets due |`,
    `| Duplicates (retransmissions) | ${duplicates} |`,
    `| Client process CPU | ${result.clients.processCpuPercentOfOneCore} % of one core |`,
    `| Client event-loop delay p50 / p99 / max | ${result.clients.eventLoopDelayMs.p50} / ${result.clients.eventLoopDelayMs.p99} / ${result.clients.eventLoopDelayMs.max} ms |`,
    '',
    '## Machine',
    '',
    `- CPU: ${result.machine.cpuModel}, ${result.machine.cores} cores`,
    `- Memory: ${result.machine.memoryGiB} GiB`,
    `- OS: ${result.machine.platform}`,
    `- Node ${result.machine.node}, werift ${result.machine.werift}`,
    `- Load during the run: 1-min load average ${result.machine.loadAverage1mAtStart} → ${result.machine.loadAverage1mAtEnd}; ` +
      `other processes used ${result.machine.otherProcessesCoresDuringRun ?? '?'} of ${cpus.length} cores`,
    '',
    'Latency is publisher client → SFU → subscriber client and includes the clients\' own SRTP work and',
    'event-loop delay, on the same cores as the SFU; the CPU figures are the worker process alone. CPU per',
    'forwarded packet is the worker\'s whole CPU (receive, SRTP decrypt, forward, SRTP encrypt, RTCP, timers)',
    `divided by the packets it forwarded; every received packet is forwarded ${FANOUT === 1 ? 'once (1:1 calls)' : `${FANOUT} times (rooms of ${ROOM_SIZE})`}.`,
    '',
  ].join('\n');

  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  fs.mkdirSync(path.dirname(mdPath), { recursive: true });
  fs.writeFileSync(jsonPath, JSON.stringify(result, null, 2) + '\n');
  fs.writeFileSync(mdPath, md);

  console.log(md);
  console.log(`wrote ${path.relative(process.cwd(), jsonPath)} and ${path.relative(process.cwd(), mdPath)}`);
}

let exitCode = 0;
try {
  await main();
  if (args.svc !== 'off') {
    // Layer filtering's cost, in-process on the packet path (a few seconds).
    const svc = runSvcCase();
    console.log(`\n${svcCaseMarkdown(svc)}`);
    fs.writeFileSync(jsonPath.replace(/\.json$/, '-svc.json'), JSON.stringify(svc, null, 2) + '\n');
  }
} catch (error) {
  console.error('benchmark failed:', error);
  exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
// werift keeps timers and sockets that would hold the process open.
process.exit(exitCode);
