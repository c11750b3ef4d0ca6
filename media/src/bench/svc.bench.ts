/**
 * SVC case of the forwarding benchmark: the SFU's per-packet cost with layer
 * filtering on. One VP9 L3T3_KEY producer (generated packets, SRTP-protected
 * as a publisher sends them) fans out to `--fanout` consumers on their own
 * transports, a third each at the top layers (2, 2), at (1, 2) and at (0, 1),
 * through the real packet path (decrypt, descriptor parse, per-consumer
 * filter and sequence rewrite, encrypt, "send" to a counting socket). The
 * same run with every consumer at the top layers gives the cost without
 * dropping anything, for comparison.
 *
 * Part of `npm run bench -w media` (after the forwarding case; `--svc off`
 * skips it); alone: node --import tsx media/src/bench/svc.bench.ts [--fanout 6]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Consumer } from '../Consumer.ts';
import { Producer } from '../Producer.ts';
import { TransportMediaPath } from '../rtp/TransportMediaPath.ts';
import { fakeDtls, fakePeerConnection, fakeRecvTransceiver, fakeSendTransceiver, fakeSocket, peerSession, randomSrtpKeys } from '../testing/fakeWebrtc.ts';
import { generateStream } from '../testing/svcStreams.ts';

export interface SvcCaseResult {
  fanout: number;
  packetsIn: number;
  packetsForwarded: number;
  /** Share of (packet × consumer) pairs filtered out. */
  filteredPercent: number;
  cpuMicrosPerForwardedPacket: number;
  cpuMicrosPerReceivedPacket: number;
  /** Same stream, every consumer at the top layers (nothing filtered). */
  unfilteredCpuMicrosPerForwardedPacket: number;
}

const TARGETS: [number, number][] = [
  [2, 2],
  [1, 2],
  [0, 1],
];

function runOnce(fanout: number, pictures: number, filtered: boolean, rounds: number) {
  const keys = randomSrtpKeys();
  const pub = fakeDtls(keys, fakeSocket(false));
  const pubPath = new TransportMediaPath(fakePeerConnection([pub.dtls]));
  pubPath.attach();
  const transceiver = fakeRecvTransceiver('video', { ssrc: 0x1234, mid: '0', dtls: pub.dtls, payloadType: 98 });
  const producer = new Producer({ id: 'svc', kind: 'video', mid: '0', source: 'camera', receiver: transceiver.receiver, codec: 'video/VP9', ssrc: 0x1234 });
  pubPath.addProducer(producer, transceiver);
  const sockets: ReturnType<typeof fakeSocket>[] = [];
  const consumers: Consumer[] = [];
  for (let s = 0; s < fanout; s++) {
    const sub = fakeDtls(randomSrtpKeys(), fakeSocket(false));
    sockets.push(sub.socket);
    const path = new TransportMediaPath(fakePeerConnection([sub.dtls]));
    path.attach();
    const send = fakeSendTransceiver('video', { ssrc: 0xb000 + s, mid: '0', dtls: sub.dtls });
    const output = path.createSender(send, 'video', 90000);
    const consumer = new Consumer({ id: `c${s}`, producer, transceiver: send, clockRate: 90000, output });
    const [ts, tt] = filtered ? TARGETS[s % TARGETS.length]! : TARGETS[0]!;
    consumer.setTargetLayers(ts, tt);
    consumers.push(consumer);
  }
  const client = peerSession(keys);
  const addr: [string, number] = ['127.0.0.1', 5000];
  let first = 1;
  const results: { micros: number; in: number; out: number }[] = [];
  for (let r = 0; r <= rounds; r++) {
    // Prepared outside the measurement: generation and the publisher's encryption are not the SFU's work.
    const stream = generateStream({ codec: 'vp9', pictures, keyFrameInterval: 60, payloadBytes: 1000, firstSequenceNumber: first, ssrc: 0x1234 });
    first = (first + stream.length) & 0xffff;
    const datagrams = stream.map(({ packet }) => {
      const buf = Buffer.alloc(packet.length + 16);
      packet.buffer.copy(buf, 0, 0, packet.length);
      buf[1] = (buf[1]! & 0x80) | 98;
      return buf.subarray(0, client.local.protectRtp(buf, packet.headerLength, packet.length));
    });
    const out0 = sockets.reduce((n, s) => n + s.count, 0);
    const c0 = process.cpuUsage();
    for (const d of datagrams) pub.udp.onData(d, addr);
    const c = process.cpuUsage(c0);
    const out = sockets.reduce((n, s) => n + s.count, 0) - out0;
    if (r > 0) results.push({ micros: c.user + c.system, in: datagrams.length, out }); // round 0 warms the JIT up
  }
  for (const c of consumers) c.close();
  producer.close();
  results.sort((a, b) => a.micros / a.out - b.micros / b.out);
  return results[Math.floor(results.length / 2)]!;
}

export function runSvcCase(options: { fanout?: number; pictures?: number; rounds?: number } = {}): SvcCaseResult {
  const fanout = options.fanout ?? 6;
  const pictures = options.pictures ?? 1200;
  const rounds = options.rounds ?? 5;
  const filtered = runOnce(fanout, pictures, true, rounds);
  const unfiltered = runOnce(fanout, pictures, false, rounds);
  const round2 = (v: number) => Math.round(v * 100) / 100;
  return {
    fanout,
    packetsIn: filtered.in,
    packetsForwarded: filtered.out,
    filteredPercent: round2(100 - (100 * filtered.out) / (filtered.in * fanout)),
    cpuMicrosPerForwardedPacket: round2(filtered.micros / filtered.out),
    cpuMicrosPerReceivedPacket: round2(filtered.micros / filtered.in),
    unfilteredCpuMicrosPerForwardedPacket: round2(unfiltered.micros / unfiltered.out),
  };
}

export function svcCaseMarkdown(r: SvcCaseResult): string {
  return [
    '## SVC case: VP9 L3T3_KEY with layer filtering',
    '',
    `One generated VP9 L3T3_KEY stream (${r.packetsIn} packets per round) to ${r.fanout} consumers, a third each at layers (2,2), (1,2), (0,1); ` +
      'packet path without sockets (decrypt, descriptor parse, per-consumer filter and rewrite, encrypt), median of 5 rounds.',
    '',
    '| Metric | Value |',
    '| --- | --- |',
    `| Packets forwarded | ${r.packetsForwarded} of ${r.packetsIn * r.fanout} packet × consumer pairs (${r.filteredPercent} % filtered out) |`,
    `| **CPU per forwarded packet, filtering on** | **${r.cpuMicrosPerForwardedPacket} µs** |`,
    `| CPU per received packet (all its consumers) | ${r.cpuMicrosPerReceivedPacket} µs |`,
    `| CPU per forwarded packet, every consumer at the top layers | ${r.unfilteredCpuMicrosPerForwardedPacket} µs |`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { fanout: { type: 'string', default: '6' }, pictures: { type: 'string', default: '1200' } } });
  const result = runSvcCase({ fanout: Number(values.fanout), pictures: Number(values.pictures) });
  console.log(svcCaseMarkdown(result));
  console.log(JSON.stringify(result));
  process.exit(0);
}
