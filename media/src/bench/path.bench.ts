/**
 * Packet-path micro-benchmark: the SFU's per-packet work without sockets.
 * SRTP packets from a publisher enter a 'send' transport's packet path as if
 * read from its ICE socket (decrypt, parse, demux, Producer), fan out to
 * `--fanout` Consumers on 'recv' transports (rewrite, encrypt, "send" to a
 * socket that only counts). Everything but the UDP syscalls and Node's dgram
 * layer is the real code; GC is included.
 *
 *   node --import tsx media/src/bench/path.bench.ts [--packets 40000] [--fanout 1] [--twcc on|off]
 *
 * `--twcc on`: the subscribers negotiated transport-wide congestion control
 * (a transport-wide sequence number in every video packet, and its send
 * history); no feedback arrives.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Consumer } from '../Consumer.ts';
import { TRANSPORT_WIDE_CC_URI } from '../rtp/headerExtensions.ts';
import { TransportMediaPath } from '../rtp/TransportMediaPath.ts';
import { senderView } from '../rtp/weriftInternals.ts';
import {
  fakeDtls,
  fakePeerConnection,
  fakePublisherPath,
  fakeSendTransceiver,
  fakeSocket,
  peerSession,
  randomSrtpKeys,
} from '../testing/fakeWebrtc.ts';

const { values } = parseArgs({
  options: {
    packets: { type: 'string', default: '40000' },
    fanout: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '5' },
    twcc: { type: 'string', default: 'off' },
  },
});
const PACKETS = Number(values.packets);
const FANOUT = Number(values.fanout);
const ROUNDS = Number(values.rounds);

// Publisher side: one 'send' transport with an audio and a video producer.
const pubKeys = randomSrtpKeys();
const { link: pub, producers: published } = fakePublisherPath(pubKeys, { socket: fakeSocket(false), ssrcBase: 0xa000 });
const producers = published.map((p) => p.producer);

// Subscriber side: FANOUT 'recv' transports, each consuming both producers.
const subSockets: ReturnType<typeof fakeSocket>[] = [];
for (let s = 0; s < FANOUT; s++) {
  const sub = fakeDtls(randomSrtpKeys(), fakeSocket(false));
  subSockets.push(sub.socket);
  const path = new TransportMediaPath(fakePeerConnection([sub.dtls]));
  path.attach();
  producers.forEach((producer, i) => {
    const transceiver = fakeSendTransceiver(producer.kind, { ssrc: 0xb000 + s * 2 + i, mid: String(i), dtls: sub.dtls });
    if (values.twcc === 'on' && producer.kind === 'video') {
      const sender = senderView(transceiver.sender);
      sender.headerExtensions = [...sender.headerExtensions, { id: 5, uri: TRANSPORT_WIDE_CC_URI }];
    }
    const output = path.createSender(transceiver, producer.kind, producer.kind === 'audio' ? 48000 : 90000);
    new Consumer({ id: `${s}-${i}`, producer, transceiver, clockRate: output.clockRate, output });
  });
}

// The publisher's packets: 2 video for each audio (about the bench's 75/50 ratio).
const client = peerSession(pubKeys);
function makePackets(first: number, count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let n = first; n < first + count; n++) {
    const audio = n % 3 === 0;
    const index = n;
    const payloadLength = audio ? 100 : 1100;
    const headerLength = audio ? 20 : 12;
    const buf = Buffer.alloc(headerLength + payloadLength + 10);
    buf[0] = audio ? 0x90 : 0x80;
    buf[1] = audio ? 111 : 96 | (n % 3 === 2 ? 0x80 : 0);
    buf.writeUInt16BE(index & 0xffff, 2);
    buf.writeUInt32BE((index * 960) >>> 0, 4);
    buf.writeUInt32BE(audio ? 0xa000 : 0xa001, 8);
    if (audio) {
      buf.writeUInt32BE(0xbede0001, 12);
      buf[16] = 3 << 4;
      buf[17] = 0x80 | 30;
    }
    buf.fill(0x5a, headerLength, headerLength + payloadLength);
    out.push(buf.subarray(0, client.local.protectRtp(buf, headerLength, headerLength + payloadLength)));
  }
  return out;
}

const addr: [string, number] = ['127.0.0.1', 5000];
let next = 0;
/** Prepared in chunks outside the measurement, so the input does not inflate the live heap. */
const CHUNK = 1000;

function round(): number {
  const sent0 = subSockets.reduce((n, s) => n + s.count, 0);
  let micros = 0;
  for (let done = 0; done < PACKETS; done += CHUNK) {
    const packets = makePackets(next, Math.min(CHUNK, PACKETS - done));
    next += packets.length;
    const c0 = process.cpuUsage();
    for (const p of packets) pub.udp.onData(p, addr);
    const c = process.cpuUsage(c0);
    micros += c.user + c.system;
  }
  const forwarded = subSockets.reduce((n, s) => n + s.count, 0) - sent0;
  if (forwarded !== PACKETS * FANOUT) throw new Error(`forwarded ${forwarded} of ${PACKETS * FANOUT}`);
  return micros / forwarded;
}

round(); // warm-up (JIT)
const results: number[] = [];
for (let r = 0; r < ROUNDS; r++) results.push(round());
results.sort((a, b) => a - b);
const t = performance.now();
console.log(
  `packet path (no sockets), fan-out ${FANOUT}, twcc ${values.twcc}: ${results[Math.floor(results.length / 2)]!.toFixed(2)} µs CPU per forwarded packet ` +
    `(median of ${ROUNDS} × ${PACKETS} packets; min ${results[0]!.toFixed(2)}, max ${results.at(-1)!.toFixed(2)}); node ${process.version}`,
);
void t;
process.exit(0);
