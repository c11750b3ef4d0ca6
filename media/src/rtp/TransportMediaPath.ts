/**
 * The RTP path of one WebRtcTransport. werift negotiates SDP, ICE and DTLS;
 * once DTLS is up this takes over RTP at the transport's UDP sockets:
 *
 *   receive: datagram → SRTP unprotect in place (our context) → header view →
 *            demux by SSRC → Producer.receiveRtp → sinks (Consumers)
 *   send:    Consumer → RtpStreamSender: header (SSRC, PT, seq, timestamp,
 *            this subscriber's extensions) + payload into one new buffer →
 *            SRTP protect in place → socket.send to the selected ICE pair
 *
 * No werift RtpPacket, event, promise or timer per packet. RTCP stays on
 * werift both ways (low rate): subscriber PLI/FIR/NACK/REMB arrive through its
 * RTCP router to the RTCRtpSender, and what the SFU originates (sender
 * reports for consumers, receiver reports and NACKs for producers, PLIs) goes
 * out through dtlsTransport.sendRtcp, so one SRTCP context owns the index.
 * The exception is transport-wide congestion control feedback: read from the
 * decrypted RTCP before werift parses it (transportEstimatorFor), for the
 * link's TransportWideEstimator; the send side stamps every packet with the
 * link's transport-wide sequence number when the subscriber negotiated it.
 * STUN and DTLS datagrams pass through to werift untouched.
 */
import { performance } from 'node:perf_hooks';
import type { RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver } from 'werift';
import { ReceiveStats, NACK_MIN_INTERVAL_MS } from './ReceiveStats.ts';
import { RtpRewriter } from './RtpRewriter.ts';
import { compactNtp, ntpTime, RawRtcp, sdesSize, writeNack, writeReceiverReport, writeSdes, writeSenderReport, nackSize, type ReportBlock } from './rtcp.ts';
import { absSendTime, extensionLength, isRtcpPacket, parseRtp, type MediaPacket } from './rtpPacket.ts';
import { rtxPayloadTypes, unwrapRtx, wrapRtx } from './rtx.ts';
import { MAX_PACKET, SrtpSession, copyBytes, srtpProfilesFor, wordView, type SrtpProfile, type SrtpStream } from './srtp.ts';
import { enableSyncLookup, interceptMessages, readSocketNatively, sendBatch, socketFd } from './udp.ts';
import { SharedUdpTransport } from '../WebRtcServer.ts';
import { ipv4ToNumber, nativePacket } from './nativePacket.ts';
import { TransportFeedback, isTransportFeedback, parseTransportFeedback } from './transportFeedback.ts';
import { TransportWideEstimator, type RateControlState } from '../bwe/TransportWideEstimator.ts';
import type { BandwidthUsage } from '../bwe/DelayTrend.ts';
import type { SendHistory } from '../bwe/SendHistory.ts';
import {
  dtlsTransportOf,
  dtlsTransportsOf,
  interceptRtcp,
  negotiatedHeaderExtensions,
  receiverForSsrc,
  receiverView,
  senderView,
  type WeriftConnection,
  type WeriftDtlsTransport,
  type WeriftSenderView,
  type WeriftUdpTransport,
} from './weriftInternals.ts';

export const SDES_MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';
export const ABS_SEND_TIME_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
export const DEPENDENCY_DESCRIPTOR_URI = 'https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension';
export const TRANSPORT_WIDE_CC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/** Where a producer's packets go; Producer implements it. */
export interface RtpPacketSink {
  readonly kind: 'audio' | 'video';
  readonly closed: boolean;
  receiveRtp(packet: MediaPacket): void;
  /** Simulcast: the media SSRC an RTX packet repairs (from its repaired-rid), if the sink can tell. */
  mediaSsrcForRtx?(packet: MediaPacket): number | undefined;
}

/** A link's transport-wide estimator, for diagnostics (bit/s). */
export interface TransportEstimateDump {
  bitrate: number;
  ackedBitrate: number | null;
  usage: BandwidthUsage;
  state: RateControlState;
  lossFraction: number;
  feedbacks: number;
}

/** Counters of the packet path, for tests and diagnostics. */
export interface MediaPathCounters {
  rtpReceived: number;
  rtpDropped: number;
  authFailures: number;
  rtpSent: number;
  rtcpSent: number;
  nacksSent: number;
  /** RTX retransmissions received from publishers (and delivered as the packets they repair). */
  rtxReceived: number;
  /** Retransmissions sent to subscribers as RTX. */
  rtxSent: number;
}

/**
 * RTCP report intervals, as libwebrtc's: about 1 s when the transport carries
 * video (its receivers' estimates and keyframe repair want fresh reports),
 * 5 s for audio only. Each is randomised ±50 % (RFC 3550 §6.3.1) so that
 * thousands of transports do not report in step. Reports are a fixed cost per
 * transport: at 5 s, voice calls spend a fifth of what they did at 1 s.
 */
const VIDEO_REPORT_INTERVAL_MS = 1000;
const AUDIO_REPORT_INTERVAL_MS = 5000;
/** Keep compound RTCP under a conservative MTU. */
const RTCP_MAX_BYTES = 1100;

const timeOrigin = performance.timeOrigin;

/** What a SecureLink reports to: the SFU's TransportMediaPath, or a test client. */
export interface LinkOwner {
  readonly counters: MediaPathCounters;
  /** One authenticated, parsed RTP packet. */
  onRtp(packet: MediaPacket): void;
  /** The link's SRTP session has started. */
  linkConnected(): void;
}

interface ProducerEntry {
  sink: RtpPacketSink;
  transceiver: RTCRtpTransceiver;
  receiver: RTCRtpReceiver;
  mid: string;
  clockRate: number;
  nack: boolean;
  payloadTypes: Set<number>;
  /** RTX payload type → the one it repairs, when the publisher negotiated RTX. */
  rtx: Map<number, number> | undefined;
  /** Receive statistics per SSRC seen. */
  stats: Map<number, ReceiveStats>;
}

export class TransportMediaPath implements LinkOwner {
  readonly #pc: RTCPeerConnection;
  readonly #links = new Map<WeriftDtlsTransport, SecureLink>();
  readonly #bySsrc = new Map<number, ProducerEntry>();
  /** Per incoming SSRC: its producer and statistics (one lookup per packet, and a last-used shortcut). */
  readonly #routes = new Map<number, { ssrc: number; entry: ProducerEntry; stats: ReceiveStats }>();
  #lastRoute?: { ssrc: number; entry: ProducerEntry; stats: ReceiveStats };
  readonly #entries = new Map<RtpPacketSink, ProducerEntry>();
  readonly #senders = new Set<RtpStreamSender>();
  /** Per link: the transport-wide sequence, send history and estimate (subscribers that negotiated it). */
  readonly #estimators = new Map<SecureLink, TransportWideEstimator>();
  /** Parsed feedback, reused. */
  readonly #feedback = new TransportFeedback();
  #midExtensionId = 0;
  #reportTimer?: NodeJS.Timeout;
  #nackTimer?: NodeJS.Timeout;
  #closed = false;
  readonly counters: MediaPathCounters = {
    rtpReceived: 0,
    rtpDropped: 0,
    authFailures: 0,
    rtpSent: 0,
    rtcpSent: 0,
    nacksSent: 0,
    rtxReceived: 0,
    rtxSent: 0,
  };

  constructor(pc: RTCPeerConnection) {
    this.#pc = pc;
    pc.connectionStateChange.subscribe(() => this.attach());
  }

  /**
   * Finds the peer connection's DTLS transports and takes over their RTP once
   * they connect. Idempotent; called after every negotiation step.
   */
  attach(): void {
    if (this.#closed) return;
    for (const dtls of dtlsTransportsOf(this.#pc)) {
      const link = this.#links.get(dtls);
      if (link) link.prepare();
      else this.#links.set(dtls, new SecureLink(this, dtls));
    }
  }

  /** The SRTP profile in use, once connected (for stats and tests). */
  get srtpProfile(): SrtpProfile | undefined {
    for (const link of this.#links.values()) if (link.session) return link.session.profile;
    return undefined;
  }

  linkFor(sender: RTCRtpSender): SecureLink | undefined {
    const dtls = dtlsTransportOf(sender);
    if (!dtls) return undefined;
    let link = this.#links.get(dtls);
    if (!link && !this.#closed) {
      link = new SecureLink(this, dtls);
      this.#links.set(dtls, link);
    }
    return link;
  }

  // ---------------------------------------------------------------- receive side

  /** Routes the transceiver's incoming RTP to `sink` (a Producer). */
  addProducer(sink: RtpPacketSink, transceiver: RTCRtpTransceiver): void {
    const receiver = transceiver.receiver;
    const view = receiverView(receiver);
    const codec = transceiver.codecs[0];
    const entry: ProducerEntry = {
      sink,
      transceiver,
      receiver,
      mid: transceiver.mid ?? '',
      clockRate: codec?.clockRate ?? (sink.kind === 'audio' ? 48000 : 90000),
      nack: !!codec?.rtcpFeedback?.some((f) => f.type === 'nack' && !f.parameter),
      payloadTypes: new Set(Object.keys(view.codecs).map(Number)),
      rtx: rtxPayloadTypes(view.codecs),
      stats: new Map(),
    };
    if (codec) entry.payloadTypes.add(codec.payloadType);
    this.#entries.set(sink, entry);
    this.refreshProducers();
  }

  removeProducer(sink: RtpPacketSink): void {
    const entry = this.#entries.get(sink);
    if (!entry) return;
    this.#entries.delete(sink);
    for (const [ssrc, e] of this.#bySsrc) if (e === entry) this.#bySsrc.delete(ssrc);
    for (const [ssrc, r] of this.#routes) if (r.entry === entry) this.#routes.delete(ssrc);
    this.#lastRoute = undefined;
  }

  /** Re-reads SSRCs, payload types and extension ids after a (re)negotiation. */
  refreshProducers(): void {
    // SSRCs may have moved between producers: routes are rebuilt on the next packet.
    this.#routes.clear();
    this.#lastRoute = undefined;
    for (const entry of this.#entries.values()) {
      const view = receiverView(entry.receiver);
      for (const key of Object.keys(view.trackBySSRC)) this.#bySsrc.set(Number(key), entry);
      for (const key of Object.keys(view.codecs)) entry.payloadTypes.add(Number(key));
      entry.rtx = rtxPayloadTypes(view.codecs);
      const mid = negotiatedHeaderExtensions(entry.transceiver).find((e) => e.uri === SDES_MID_URI);
      if (mid) this.#midExtensionId = mid.id;
    }
  }

  /** The (first) SSRC the remote SDP announced for the transceiver's incoming stream. */
  announcedSsrc(transceiver: RTCRtpTransceiver): number | undefined {
    const first = Object.keys(receiverView(transceiver.receiver).trackBySSRC)[0];
    return first === undefined ? undefined : Number(first);
  }

  audioLevelExtensionId(transceiver: RTCRtpTransceiver): number {
    return negotiatedHeaderExtensions(transceiver).find((e) => e.uri === AUDIO_LEVEL_URI)?.id ?? 0;
  }

  /** One authenticated, parsed RTP packet from a link. */
  onRtp(packet: MediaPacket): void {
    const ssrc = packet.ssrc;
    let route = this.#lastRoute;
    if (route === undefined || route.ssrc !== ssrc) {
      route = this.#routes.get(ssrc);
      if (route === undefined) {
        const entry = this.#bySsrc.get(ssrc) ?? this.#resolve(packet);
        if (entry === undefined) {
          this.counters.rtpDropped++;
          return;
        }
        let stats = entry.stats.get(ssrc);
        if (stats === undefined) {
          stats = new ReceiveStats(ssrc, entry.clockRate, { nack: entry.nack });
          entry.stats.set(ssrc, stats);
        }
        route = { ssrc, entry, stats };
        this.#routes.set(ssrc, route);
      }
      this.#lastRoute = route;
    }
    const entry = route.entry;
    if (entry.rtx !== undefined) {
      const apt = entry.rtx.get(packet.payloadType);
      if (apt !== undefined) {
        this.#onRtx(packet, entry, apt);
        return;
      }
    }
    if (entry.sink.closed || !entry.payloadTypes.has(packet.payloadType)) {
      this.counters.rtpDropped++;
      return;
    }
    this.counters.rtpReceived++;
    const stats = route.stats;
    stats.onPacket(packet.sequenceNumber, packet.timestamp, packet.receivedAt);
    if (entry.nack && stats.missingCount > 0) this.#scheduleNacks(0);
    entry.sink.receiveRtp(packet);
  }

  /** A publisher's retransmission (RTX): delivered as the packet it repairs, on the media SSRC. */
  #onRtx(packet: MediaPacket, entry: ProducerEntry, apt: number): void {
    let mediaSsrc = receiverView(entry.receiver).ssrcByRtx?.[packet.ssrc] ?? entry.sink.mediaSsrcForRtx?.(packet);
    if (mediaSsrc === undefined) {
      for (const [ssrc, stats] of entry.stats) if (ssrc !== packet.ssrc && stats.packetsReceived > 0) mediaSsrc = ssrc;
    }
    const original = mediaSsrc === undefined ? null : unwrapRtx(packet, mediaSsrc, apt);
    if (original === null) {
      this.counters.rtpDropped++;
      return;
    }
    this.counters.rtxReceived++;
    this.onRtp(original);
  }

  /** An SSRC the SDP did not announce: find its producer by MID extension or werift's router. */
  #resolve(packet: MediaPacket): ProducerEntry | undefined {
    if (this.#midExtensionId) {
      const mid = packet.getExtension(this.#midExtensionId)?.toString();
      if (mid !== undefined) {
        for (const entry of this.#entries.values()) {
          if (entry.mid === mid) {
            this.#bySsrc.set(packet.ssrc, entry);
            return entry;
          }
        }
      }
    }
    const receiver = receiverForSsrc(this.#pc, packet.ssrc);
    if (receiver) {
      for (const entry of this.#entries.values()) {
        if (entry.receiver === receiver) {
          this.#bySsrc.set(packet.ssrc, entry);
          return entry;
        }
      }
    }
    return undefined;
  }

  /** inbound-rtp counters of an incoming SSRC (W3C stats names), or undefined if never seen. */
  inboundStats(ssrc: number): { packetsReceived: number; packetsLost: number; jitter: number; bytesReceived?: number } | undefined {
    const route = this.#routes.get(ssrc);
    if (!route) return undefined;
    const s = route.stats;
    return { packetsReceived: s.packetsReceived, packetsLost: Math.max(0, s.packetsLost), jitter: s.jitter / s.clockRate };
  }

  /** Receive statistics of a producer (its latest SSRC), for stats reports. */
  receiveStatsOf(sink: RtpPacketSink): ReceiveStats | undefined {
    const entry = this.#entries.get(sink);
    if (!entry) return undefined;
    let last: ReceiveStats | undefined;
    for (const s of entry.stats.values()) last = s;
    return last;
  }

  #scheduleNacks(delayMs: number): void {
    if (this.#nackTimer || this.#closed) return;
    this.#nackTimer = setTimeout(() => {
      this.#nackTimer = undefined;
      this.#sendNacks();
    }, delayMs);
    this.#nackTimer.unref();
  }

  #sendNacks(): void {
    const now = performance.now();
    let pending = false;
    for (const entry of this.#entries.values()) {
      if (!entry.nack) continue;
      for (const stats of entry.stats.values()) {
        if (stats.missingCount === 0) continue;
        const lost = stats.takeNacks(now);
        if (stats.missingCount > 0) pending = true;
        if (lost.length === 0) continue;
        const link = this.linkFor(entry.transceiver.sender);
        if (!link?.session) continue;
        lost.sort((a, b) => ((a - lost[0]!) & 0xffff) - ((b - lost[0]!) & 0xffff));
        const buf = Buffer.alloc(nackSize(lost));
        const n = writeNack(buf, 0, receiverView(entry.receiver).rtcpSsrc, stats.ssrc, lost);
        link.sendRtcp(buf.subarray(0, n));
        this.counters.nacksSent++;
      }
    }
    if (pending) this.#scheduleNacks(NACK_MIN_INTERVAL_MS);
  }

  // ---------------------------------------------------------------- send side

  createSender(transceiver: RTCRtpTransceiver, kind: 'audio' | 'video', clockRate: number): RtpStreamSender {
    const sender = new RtpStreamSender(this, transceiver, kind, clockRate);
    this.#senders.add(sender);
    return sender;
  }

  removeSender(sender: RtpStreamSender): void {
    this.#senders.delete(sender);
  }

  // ---------------------------------------------------------------- transport-wide congestion control

  /**
   * The subscriber's send-side estimate changed (bps): from its transport-wide
   * feedback, once per feedback packet; `congested` when it brought a decrease.
   */
  onTransportEstimate?: (bitrate: number, congested: boolean) => void;

  /**
   * The link's estimator (and send history), created when the first packet
   * with a transport-wide sequence number goes out on it; from then on its
   * feedback is read from the link's RTCP.
   */
  transportEstimatorFor(link: SecureLink): TransportWideEstimator {
    let estimator = this.#estimators.get(link);
    if (estimator === undefined) {
      const created = new TransportWideEstimator();
      estimator = created;
      this.#estimators.set(link, created);
      interceptRtcp(link.dtls, (decrypted) => this.#onRtcp(created, decrypted));
    }
    return estimator;
  }

  /** The transport-wide estimate of the (first) link that has one, for dumps; null before feedback. */
  get transportEstimate(): TransportEstimateDump | null {
    for (const e of this.#estimators.values()) {
      const bitrate = e.estimate;
      if (bitrate !== null) return { bitrate, ackedBitrate: e.ackedBitrate, usage: e.usage, state: e.state, lossFraction: e.lossFraction, feedbacks: e.feedbacks };
    }
    return null;
  }

  /**
   * A decrypted RTCP compound from the link: transport-wide feedback goes to
   * the estimator here. A compound of feedback only (what libwebrtc sends) is
   * hidden from werift, which would parse it into an object per packet and
   * feed its own unused estimator; anything else goes on to werift whole.
   */
  #onRtcp(estimator: TransportWideEstimator, rtcp: Buffer): Buffer {
    let o = 0;
    let others = false;
    let found = false;
    while (o + 4 <= rtcp.length) {
      const end = o + (((rtcp[o + 2]! << 8) | rtcp[o + 3]!) + 1) * 4;
      if (end > rtcp.length) return rtcp;
      if (isTransportFeedback(rtcp, o)) {
        found = true;
        if (!this.#closed && parseTransportFeedback(rtcp, o, end, this.#feedback) && estimator.onFeedback(this.#feedback, performance.now())) {
          this.onTransportEstimate?.(estimator.estimate!, estimator.congested);
        }
      } else {
        others = true;
      }
      o = end;
    }
    return found && !others ? NO_RTCP : rtcp;
  }

  // ---------------------------------------------------------------- RTCP reports

  /** Called by a link when its SRTP session starts. */
  linkConnected(): void {
    if (this.#reportTimer || this.#closed) return;
    const arm = () => {
      this.#reportTimer = setTimeout(
        () => {
          this.sendReports();
          arm();
        },
        this.reportIntervalMs() * (0.5 + Math.random()),
      );
      this.#reportTimer.unref();
    };
    arm();
  }

  /** The mean RTCP report interval now: video's while any stream in either direction is video. */
  reportIntervalMs(): number {
    for (const sender of this.#senders) if (sender.kind === 'video') return VIDEO_REPORT_INTERVAL_MS;
    for (const entry of this.#entries.values()) if (entry.sink.kind === 'video') return VIDEO_REPORT_INTERVAL_MS;
    return AUDIO_REPORT_INTERVAL_MS;
  }

  /**
   * Sender reports (+ SDES CNAME) for every consumer stream that has sent,
   * receiver reports for every producer stream received. Public for tests.
   */
  sendReports(): void {
    if (this.#closed) return;
    const nowMs = Date.now();
    const nowPerf = performance.now();
    const ntp = ntpTime(nowMs);
    const byLink = new Map<SecureLink, { srs: RtpStreamSender[]; rrs: ReportBlock[]; rrSsrc: number }>();
    const group = (link: SecureLink) => {
      let g = byLink.get(link);
      if (!g) {
        g = { srs: [], rrs: [], rrSsrc: 0 };
        byLink.set(link, g);
      }
      return g;
    };
    for (const sender of this.#senders) {
      if (sender.packetsSent === 0 || !sender.ready) continue;
      const link = sender.link;
      if (link) group(link).srs.push(sender);
    }
    for (const entry of this.#entries.values()) {
      if (entry.stats.size === 0) continue;
      const link = this.linkFor(entry.transceiver.sender);
      if (!link?.session) continue;
      const view = receiverView(entry.receiver);
      const g = group(link);
      g.rrSsrc ||= view.rtcpSsrc;
      for (const stats of entry.stats.values()) {
        const lsr = view.lastSRtimestamp[stats.ssrc] ?? 0;
        const lastSrAt = view.receiveLastSRTimestamp[stats.ssrc];
        const dlsr = lsr && lastSrAt ? Math.max(0, Math.floor((nowMs / 1000 - lastSrAt) * 65536)) : 0;
        g.rrs.push(stats.reportBlock(lsr, dlsr));
      }
    }
    for (const [link, g] of byLink) {
      // Sender reports with their CNAMEs, a few streams per compound packet.
      let i = 0;
      while (i < g.srs.length) {
        const batch: RtpStreamSender[] = [];
        let size = 0;
        while (i < g.srs.length) {
          const s = g.srs[i]!;
          const add = 28 + sdesSize([{ cname: s.cname }]);
          if (batch.length > 0 && size + add > RTCP_MAX_BYTES) break;
          batch.push(s);
          size += add;
          i++;
        }
        const buf = Buffer.alloc(size + 4);
        let o = 0;
        for (const s of batch) o = writeSenderReport(buf, o, s.senderReport(ntp, nowPerf));
        o = writeSdes(
          buf,
          o,
          batch.map((s) => ({ ssrc: s.ssrc, cname: s.cname })),
        );
        link.sendRtcp(buf.subarray(0, o));
      }
      // Receiver reports, 31 blocks per RR.
      for (let j = 0; j < g.rrs.length; j += 31) {
        const blocks = g.rrs.slice(j, j + 31);
        const buf = Buffer.alloc(8 + 24 * blocks.length);
        link.sendRtcp(buf.subarray(0, writeReceiverReport(buf, 0, g.rrSsrc, blocks)));
      }
    }
    // werift computes the subscriber RTT from RR LSR/DLSR against these.
    for (const g of byLink.values()) {
      for (const s of g.srs) s.noteSenderReport(compactNtp(ntp), nowMs / 1000);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reportTimer);
    clearTimeout(this.#nackTimer);
    // werift moves a transceiver onto the BUNDLE's DTLS transport without
    // closing the one it had, and the peer connection's close() no longer sees
    // it: its ICE connection (sockets, or routes on the shared port) would
    // outlive the transport.
    const live = new Set(dtlsTransportsOf(this.#pc));
    for (const [dtls, link] of this.#links) {
      link.close();
      if (!live.has(dtls)) dtls.iceTransport.connection.close().catch(() => undefined);
    }
    this.#links.clear();
    this.#bySsrc.clear();
    this.#routes.clear();
    this.#lastRoute = undefined;
    this.#entries.clear();
    this.#senders.clear();
    this.#estimators.clear();
  }
}

/** What werift gets for an RTCP compound the path consumed whole. */
const NO_RTCP = Buffer.alloc(0);

/** Room before an outgoing packet in the output scratch buffer (HMAC ipad). */
export const SCRATCH_HEADROOM = 64;
const SCRATCH_SIZE = SCRATCH_HEADROOM + MAX_PACKET + 32;

/**
 * Where every outgoing packet is built, at SCRATCH_HEADROOM: one buffer for
 * the whole worker (the packet path is synchronous on one thread), reused
 * while Node sends synchronously; a send Node had to queue keeps it, and the
 * next packet gets a new one.
 */
const output = {
  buffer: Buffer.allocUnsafeSlow(SCRATCH_SIZE),
  words: null as Int32Array | null,
  replace(): void {
    this.buffer = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
    this.words = wordView(this.buffer);
  },
};
output.words = wordView(output.buffer);

/** Writes an RFC 8285 element header (one- or two-byte form); returns where its data goes. */
function writeElementHeader(out: Buffer, o: number, id: number, length: number, twoByte: boolean): number {
  if (twoByte) {
    out[o] = id;
    out[o + 1] = length;
    return o + 2;
  }
  out[o] = (id << 4) | (length - 1);
  return o + 1;
}

/** What werift's UdpTransport.send resolves to when the native path sent the datagram. */
const SENT: Promise<void> = Promise.resolve();

/** Is this datagram RTP (not RTCP, STUN, DTLS)? RFC 7983 demultiplexing. */
function isRtp(data: Buffer, length = data.length): boolean {
  const b0 = data[0]!;
  return b0 > 127 && b0 < 192 && length >= 12 && !isRtcpPacket(data);
}

/**
 * One werift DTLS transport (with BUNDLE, the only one of a peer connection):
 * its SRTP session, the interception of RTP at its ICE sockets, and sending.
 */
export class SecureLink {
  readonly dtls: WeriftDtlsTransport;
  readonly #path: LinkOwner;
  readonly #connection: WeriftConnection;
  readonly #wrapped = new WeakSet<WeriftUdpTransport>();
  readonly #syncLookup = new WeakSet<object>();
  readonly #unsubscribe: (() => void)[] = [];
  session?: SrtpSession;
  #closed = false;
  // The native send's cache: the socket's fd and the destination as a number.
  #fdSocket?: unknown;
  #fd = -1;
  #remoteHost = '';
  #remoteIp = -1;
  /** A socket Node had to queue a datagram on. */
  #queuedIn?: unknown;
  /** Stops the native readers of this link's sockets. */
  readonly #stopReading: (() => void)[] = [];

  constructor(path: LinkOwner, dtls: WeriftDtlsTransport) {
    this.#path = path;
    this.dtls = dtls;
    this.#connection = dtls.iceTransport.connection;
    this.prepare();
    this.#unsubscribe.push(
      dtls.onStateChange.subscribe((state) => {
        if (state === 'connected') this.#start();
      }).unSubscribe,
      this.#connection.stateChanged.subscribe(() => {
        if (this.session) this.#wrapProtocols();
      }).unSubscribe,
    );
    if (dtls.state === 'connected') this.#start();
  }

  /**
   * Before DTLS starts: the SRTP profiles to negotiate, cheapest first (see
   * srtpProfilesFor). The role may only be known after the answer, so this
   * runs again on every attach until the handshake begins.
   */
  prepare(): void {
    const dtls = this.dtls;
    if (dtls.state !== 'new' || !Array.isArray(dtls.srtpProfiles)) return;
    const role = dtls.role === 'client' || dtls.role === 'server' ? dtls.role : this.#connection.iceControlling ? 'server' : 'client';
    dtls.srtpProfiles = srtpProfilesFor(role);
  }

  #start(): void {
    if (this.session || this.#closed) return;
    const config = this.dtls.srtp?.config;
    if (!config) return;
    this.session = new SrtpSession({ profile: config.profile as SrtpProfile, ...config.keys });
    this.#wrapProtocols();
    // Anything not arriving over a wrapped host socket (TURN, TCP) reaches the
    // connection's onData; take RTP there too, before werift's SRTP does.
    const onData = this.#connection.onData;
    const original = onData.execute;
    onData.execute = (data: Buffer) => {
      if (this.session && isRtp(data)) this.#receive(data);
      else original(data);
    };
    this.#path.linkConnected();
  }

  #wrapProtocols(): void {
    for (const protocol of this.#connection.protocols) {
      const udp = protocol.transport;
      if (protocol.type !== 'stun' || !udp || udp.type !== 'udp' || this.#wrapped.has(udp)) continue;
      this.#wrapped.add(udp);
      // On a worker's shared port the server routes this transport's datagrams
      // here; its own send (STUN, SRTCP) is already the native one.
      if (udp instanceof SharedUdpTransport) {
        this.#stopReading.push(
          udp.interceptRtp((data, length, words) => {
            if (this.session === undefined || udp.closed || !isRtp(data, length)) return false;
            this.#receive(data, length, words);
            return true;
          }),
        );
        continue;
      }
      // werift's own datagrams on this socket (STUN consent checks and their
      // answers, SRTCP) take the native send too: once media flows they are
      // most of what a quiet transport costs, mostly in dgram's send.
      const send = udp.send;
      if (nativePacket !== null && typeof send === 'function') {
        udp.send = (data: Buffer, addr?: [string, number]) =>
          addr !== undefined && !udp.closed && this.#sendNative(udp.socket, data, 0, data.length, addr) ? SENT : send(data, addr);
      }
      // Read the socket natively (recvmmsg, no Buffer per datagram) when the
      // addon is there; else take RTP where the socket's handle delivers it;
      // if Node's internals differ, one step later, from werift's UdpTransport.
      const stopReading =
        typeof udp.socket?.send === 'function'
          ? readSocketNatively(udp.socket, (data, length, words) => {
              if (this.session === undefined || udp.closed || !isRtp(data, length)) return false;
              this.#receive(data, length, words);
              return true;
            })
          : null;
      if (stopReading !== null) {
        this.#stopReading.push(stopReading);
        continue;
      }
      const taken =
        typeof udp.socket?.send === 'function' &&
        interceptMessages(udp.socket, (data) => {
          if (this.session === undefined || udp.closed || !isRtp(data)) return false;
          this.#receive(data);
          return true;
        });
      if (taken) continue;
      const original = udp.onData;
      udp.onData = (data: Buffer, addr: [string, number]) => {
        if (this.session !== undefined && isRtp(data)) this.#receive(data);
        else original(data, addr);
      };
    }
  }

  /** SRTP datagram data[0, datagramLength); `words` is wordView(data). */
  #receive(data: Buffer, datagramLength = data.length, words = wordView(data)): void {
    const dtls = this.dtls;
    dtls.bytesReceived += datagramLength;
    dtls.packetsReceived++;
    const pair = this.#connection.nominated;
    if (pair !== undefined) {
      pair.packetsReceived++;
      pair.bytesReceived += datagramLength;
    }
    // One word view per datagram serves decryption, the MAC and the producer's ring copy.
    const length = this.session!.remote.unprotectRtp(data, datagramLength, words);
    if (length < 0) {
      this.#path.counters.authFailures++;
      return;
    }
    const packet = parseRtp(data, length);
    if (packet === null) {
      this.#path.counters.rtpDropped++;
      return;
    }
    packet.words = words;
    packet.receivedAt = performance.now();
    this.#path.onRtp(packet);
  }

  /**
   * The buffer to build the next outgoing packet in, at offset
   * SCRATCH_HEADROOM (the bytes before it are the MAC's scratch space). Valid
   * until the next send() on this link.
   */
  get outputBuffer(): Buffer {
    return output.buffer;
  }

  /** outputBuffer as 32-bit words. */
  get outputWords(): Int32Array | null {
    return output.words;
  }

  /** Sends protected RTP buf[offset, offset + length) on the selected candidate pair. */
  send(buf: Buffer, length: number, offset = 0): boolean {
    const connection = this.#connection;
    const pair = connection.nominated;
    if (pair === undefined || this.#closed || !connection.canSendApplicationData()) return false;
    const protocol = pair.protocol;
    const udp = protocol.transport;
    try {
      if (protocol.type === 'stun' && udp !== undefined && udp.type === 'udp') {
        if (udp.closed) return false;
        const socket = udp.socket;
        if (!this.#syncLookup.has(socket)) {
          this.#syncLookup.add(socket);
          enableSyncLookup(socket);
        }
        if (!this.#sendNative(socket, buf, offset, length, pair.remoteAddr)) {
          socket.send(buf, offset, length, pair.remoteAddr[1], pair.remoteAddr[0]);
          // Node sends at once unless the socket buffer is full; then the queued
          // datagram still references the buffer, so stop reusing it.
          if ((socket.getSendQueueCount?.() ?? 0) > 0) {
            this.#queuedIn = socket;
            if (buf === output.buffer) output.replace();
          }
        }
      } else {
        protocol.sendData(Buffer.from(buf.subarray(offset, offset + length)), pair.remoteAddr).catch(() => undefined);
      }
    } catch {
      return false; // the socket closed under us
    }
    pair.packetsSent++;
    pair.bytesSent += length;
    this.dtls.packetsSent++;
    this.dtls.bytesSent += length;
    return true;
  }

  /**
   * sendto(2) straight from the native packet path, for an IPv4 destination
   * on a socket whose fd Node exposes; false to let Node send (no addon, IPv6,
   * or the socket buffer full: Node queues, and while its queue drains every
   * datagram on that socket goes through it, so none overtakes another).
   */
  #sendNative(socket: WeriftUdpTransport['socket'], buf: Buffer, offset: number, length: number, remote: readonly [string, number]): boolean {
    const native = nativePacket;
    if (native === null) return false;
    if (this.#queuedIn === socket) {
      if ((socket.getSendQueueCount?.() ?? 0) > 0) return false;
      this.#queuedIn = undefined;
    }
    if (this.#fdSocket !== socket) {
      this.#fdSocket = socket;
      this.#fd = socketFd(socket);
    }
    if (this.#fd < 0) return false;
    if (this.#remoteHost !== remote[0]) {
      this.#remoteHost = remote[0];
      this.#remoteIp = ipv4ToNumber(remote[0]);
    }
    if (this.#remoteIp < 0) return false;
    const sent = sendBatch.open
      ? native.queueSend(this.#fd, buf, offset, length, remote[1], this.#remoteIp)
      : native.sendTo(this.#fd, buf, offset, length, remote[1], this.#remoteIp);
    // Other errors (an ICMP unreachable reported late, say) lose the datagram, as dgram would.
    return sent !== native.EAGAIN;
  }

  sendRtcp(packet: Buffer): void {
    if (this.#closed || this.dtls.state !== 'connected') return;
    this.#path.counters.rtcpSent++;
    this.dtls.sendRtcp([new RawRtcp(packet)]).catch(() => undefined);
  }

  close(): void {
    this.#closed = true;
    this.session = undefined;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    for (const stop of this.#stopReading.splice(0)) stop();
  }
}

/**
 * What a Consumer needs from the transport to send: RtpStreamSender, or a fake
 * in tests. It belongs to the sending slot (transceiver), not the consumer: a
 * slot reused for another producer keeps its SSRC, so its RTP numbering
 * (rewriter) and report counters carry on.
 */
export interface ConsumerOutput {
  readonly ssrc: number;
  /** Connected, negotiated and not stopped: a send would go out. */
  readonly ready: boolean;
  /** The slot's sequence-number and timestamp continuity. */
  readonly rewriter: RtpRewriter;
  /**
   * Sends `packet` as (sequenceNumber, timestamp) of this stream; false if it
   * could not. A retransmission (NACK) repeats an earlier sequence number.
   * `marker` overrides the packet's (a layer filter ends pictures early).
   */
  send(packet: MediaPacket, sequenceNumber: number, timestamp: number, retransmission?: boolean, marker?: boolean): boolean;
  /**
   * Re-sends `packet`, which went out as `sequenceNumber`: as RTX on the
   * stream's retransmission SSRC when the subscriber negotiated it, else as
   * a repeat on the media SSRC.
   */
  resend?(packet: MediaPacket, sequenceNumber: number, timestamp: number, marker?: boolean): boolean;
  /**
   * Rewrites each outgoing payload copy (VP8 simulcast: picture ids stay
   * continuous across encoding switches); null: payloads go out as received.
   */
  payloadPatch?: PayloadPatch | null;
  /** The AV1 dependency descriptor's id in forwarded packets (0: none), to copy it through. */
  dependencyDescriptorSourceId?: number;
  /** Rewrites the copied dependency descriptor where needed (AV1 SVC: the active decode targets); null: copied as is. */
  dependencyDescriptorPatch?: DependencyDescriptorPatch | null;
}

/** See ConsumerOutput.payloadPatch. */
export interface PayloadPatch {
  apply(out: Buffer, outPayloadAt: number, src: Buffer, srcPayloadAt: number, srcEnd: number, retransmission: boolean): void;
}

/** See ConsumerOutput.dependencyDescriptorPatch. */
export interface DependencyDescriptorPatch {
  /** Prepares the rewrite of the descriptor src[at, at + length); its new length, or 0 to copy it as is. */
  prepare(src: Buffer, at: number, length: number, retransmission: boolean): number;
  /** Writes the prepared descriptor at out[o…]. */
  write(out: Buffer, o: number): void;
}

/**
 * One consumer's outgoing stream on its transport: writes the RTP header with
 * the SSRC, payload type and header extensions werift negotiated for the
 * transceiver, copies the payload, protects and sends. One buffer allocation
 * (from Node's pool) per packet; nothing else.
 */
export class RtpStreamSender implements ConsumerOutput {
  readonly kind: 'audio' | 'video';
  readonly clockRate: number;
  readonly rewriter = new RtpRewriter();
  readonly #path: TransportMediaPath;
  readonly #transceiver: RTCRtpTransceiver;
  readonly #sender: WeriftSenderView;
  #link?: SecureLink;
  #linkDtls?: WeriftDtlsTransport;
  #session?: SrtpSession;
  #srtpStream?: SrtpStream;
  /** RTX (resend): the retransmission SSRC's SRTP stream and sequence; set while send() writes an RTX packet. */
  #rtxStream?: SrtpStream;
  #rtxSequenceNumber = Math.floor(Math.random() * 0x10000);
  #asRtx = false;
  payloadPatch: PayloadPatch | null = null;
  // Header extensions negotiated for this sender (re-read when werift replaces the list).
  #extensionsSource?: unknown;
  #midId = 0;
  #mid: number[] = [];
  #absSendTimeId = 0;
  #audioLevelId = 0;
  #dependencyDescriptorId = 0;
  /** Transport-wide sequence number extension id (0: not negotiated), and the link's sequence and history. */
  #transportSequenceId = 0;
  #transportHistory?: SendHistory;
  #transportHistoryLink?: SecureLink;
  /**
   * The id of the AV1 dependency descriptor in the packets this stream
   * forwards (the publisher's), 0 for none; set by the consumer. Copied
   * through when the subscriber negotiated it: SVC decoding needs it.
   */
  dependencyDescriptorSourceId = 0;
  dependencyDescriptorPatch: DependencyDescriptorPatch | null = null;
  #closed = false;
  // For sender reports.
  packetsSent = 0;
  octetsSent = 0;
  #lastTimestamp = 0;
  #lastSentAt = 0;

  constructor(path: TransportMediaPath, transceiver: RTCRtpTransceiver, kind: 'audio' | 'video', clockRate: number) {
    this.#path = path;
    this.#transceiver = transceiver;
    this.#sender = senderView(transceiver.sender);
    this.kind = kind;
    this.clockRate = clockRate;
  }

  get ssrc(): number {
    return this.#sender.ssrc;
  }

  get cname(): string {
    return this.#sender.cname ?? 'muster';
  }

  get link(): SecureLink | undefined {
    return this.#link;
  }

  get ready(): boolean {
    const s = this.#sender;
    if (this.#closed || s.stopped || s.codec === undefined) return false;
    return this.#resolveLink()?.session !== undefined;
  }

  #resolveLink(): SecureLink | undefined {
    const dtls = dtlsTransportOf(this.#transceiver.sender);
    if (dtls !== this.#linkDtls) {
      this.#linkDtls = dtls;
      this.#link = dtls ? this.#path.linkFor(this.#transceiver.sender) : undefined;
    }
    return this.#link;
  }

  #refreshExtensions(): void {
    const list = this.#sender.headerExtensions;
    this.#extensionsSource = list;
    this.#midId = 0;
    this.#absSendTimeId = 0;
    this.#audioLevelId = 0;
    this.#dependencyDescriptorId = 0;
    this.#transportSequenceId = 0;
    for (const e of list ?? []) {
      if (e.id < 1 || e.id > 14) continue; // one-byte form only
      if (e.uri === SDES_MID_URI) this.#midId = e.id;
      else if (e.uri === ABS_SEND_TIME_URI) this.#absSendTimeId = e.id;
      else if (e.uri === AUDIO_LEVEL_URI && this.kind === 'audio') this.#audioLevelId = e.id;
      else if (e.uri === DEPENDENCY_DESCRIPTOR_URI && this.kind === 'video') this.#dependencyDescriptorId = e.id;
      else if (e.uri === TRANSPORT_WIDE_CC_URI) this.#transportSequenceId = e.id;
    }
    const mid = this.#sender.mid ?? this.#transceiver.mid ?? '';
    this.#mid = mid.length >= 1 && mid.length <= 16 ? [...Buffer.from(mid)] : [];
    if (this.#mid.length === 0) this.#midId = 0;
  }

  send(packet: MediaPacket, sequenceNumber: number, timestamp: number, retransmission = false, marker = packet.marker): boolean {
    const s = this.#sender;
    const codec = s.codec;
    if (this.#closed || s.stopped || codec === undefined) return false;
    const link = this.#resolveLink();
    const session = link?.session;
    if (session === undefined) return false;
    if (this.#session !== session) {
      this.#session = session;
      this.#srtpStream = session.local.stream(s.ssrc);
      this.#rtxStream = undefined;
    }
    if (this.#extensionsSource !== s.headerExtensions) this.#refreshExtensions();
    const asRtx = this.#asRtx;
    const ssrc = asRtx ? s.rtxSsrc : s.ssrc;
    if (asRtx && this.#rtxStream === undefined) this.#rtxStream = session.local.stream(ssrc);

    // Header extension block: MID, abs-send-time, audio level, the AV1
    // dependency descriptor and the transport-wide sequence number. One-byte
    // form, or two-byte (RFC 8285) when the descriptor is longer than 16
    // bytes (it is when it carries its structure).
    const midLength = this.#midId ? this.#mid.length : 0;
    let history: SendHistory | undefined;
    if (this.#transportSequenceId !== 0) {
      if (this.#transportHistoryLink !== link) {
        this.#transportHistoryLink = link;
        this.#transportHistory = this.#path.transportEstimatorFor(link!).history;
      }
      history = this.#transportHistory;
    }
    const withLevel = this.#audioLevelId !== 0 && packet.audioLevel >= 0;
    let ddAt = -1;
    let ddLength = 0;
    let ddRewritten = false;
    if (this.dependencyDescriptorSourceId !== 0 && this.#dependencyDescriptorId !== 0) {
      ddAt = packet.findExtension(this.dependencyDescriptorSourceId);
      if (ddAt >= 0) ddLength = extensionLength;
      const ddPatch = this.dependencyDescriptorPatch;
      if (ddAt >= 0 && ddPatch !== null) {
        const rewritten = ddPatch.prepare(packet.buffer, ddAt, ddLength, retransmission);
        if (rewritten > 0) {
          ddLength = rewritten;
          ddRewritten = true;
        }
      }
    }
    const twoByte = ddLength > 16;
    const per = twoByte ? 2 : 1;
    let extensionBytes =
      (midLength ? per + midLength : 0) + (this.#absSendTimeId ? per + 3 : 0) + (withLevel ? per + 1 : 0) + (ddLength ? per + ddLength : 0) + (history ? per + 2 : 0);
    if (extensionBytes) extensionBytes = 4 + ((extensionBytes + 3) & ~3);
    const headerLength = 12 + extensionBytes;
    const body = packet.length - packet.headerLength; // payload and padding
    const length = headerLength + body;
    if (length > MAX_PACKET) return false;
    const out = link!.outputBuffer;
    const b = SCRATCH_HEADROOM;

    out[b] = 0x80 | (packet.paddingLength ? 0x20 : 0) | (extensionBytes ? 0x10 : 0);
    out[b + 1] = (marker ? 0x80 : 0) | (asRtx ? s.rtxPayloadType! : codec.payloadType);
    out[b + 2] = sequenceNumber >>> 8;
    out[b + 3] = sequenceNumber;
    out[b + 4] = timestamp >>> 24;
    out[b + 5] = timestamp >>> 16;
    out[b + 6] = timestamp >>> 8;
    out[b + 7] = timestamp;
    out[b + 8] = ssrc >>> 24;
    out[b + 9] = ssrc >>> 16;
    out[b + 10] = ssrc >>> 8;
    out[b + 11] = ssrc;
    if (extensionBytes) {
      out[b + 12] = twoByte ? 0x10 : 0xbe;
      out[b + 13] = twoByte ? 0x00 : 0xde;
      out[b + 14] = 0;
      out[b + 15] = (extensionBytes - 4) >> 2;
      let o = b + 16;
      if (midLength) {
        o = writeElementHeader(out, o, this.#midId, midLength, twoByte);
        for (let i = 0; i < midLength; i++) out[o++] = this.#mid[i]!;
      }
      if (this.#absSendTimeId) {
        const t = absSendTime(timeOrigin + (retransmission ? performance.now() : packet.receivedAt));
        o = writeElementHeader(out, o, this.#absSendTimeId, 3, twoByte);
        out[o] = t >>> 16;
        out[o + 1] = t >>> 8;
        out[o + 2] = t;
        o += 3;
      }
      if (withLevel) {
        o = writeElementHeader(out, o, this.#audioLevelId, 1, twoByte);
        out[o++] = (packet.voiced ? 0x80 : 0) | packet.audioLevel;
      }
      if (ddLength) {
        o = writeElementHeader(out, o, this.#dependencyDescriptorId, ddLength, twoByte);
        if (ddRewritten) this.dependencyDescriptorPatch!.write(out, o);
        else packet.buffer.copy(out, o, ddAt, ddAt + ddLength);
        o += ddLength;
      }
      if (history) {
        // Committed to the history only once the packet went out (a failed send reuses the number).
        const transportSequence = history.nextSequence;
        o = writeElementHeader(out, o, this.#transportSequenceId, 2, twoByte);
        out[o] = transportSequence >>> 8;
        out[o + 1] = transportSequence;
        o += 2;
      }
      while (o < b + headerLength) out[o++] = 0;
    }
    let src = packet.buffer;
    let srcWords = packet.words;
    let srcAt = packet.headerLength;
    const patch = this.payloadPatch;
    if (patch !== null) {
      // Copy first, rewrite the copy, then encrypt it in place (the source is shared).
      copyBytes(out, link!.outputWords, b + headerLength, src, srcWords, srcAt, body);
      const skip = asRtx ? 2 : 0; // RTX: after the original sequence number
      patch.apply(out, b + headerLength + skip, src, srcAt + skip, packet.length - packet.paddingLength, retransmission);
      src = out;
      srcWords = link!.outputWords;
      srcAt = b + headerLength;
    }
    // The payload is copied and encrypted in one pass.
    const protectedLength = session.local.protectRtpFrom(
      out,
      link!.outputWords,
      b,
      headerLength,
      src,
      srcWords,
      srcAt,
      body,
      asRtx ? this.#rtxStream : this.#srtpStream,
    );
    if (!link!.send(out, protectedLength, b)) return false;
    // Forwarding is synchronous with the arrival: its time is the send time, without another clock read.
    if (history) history.sent(protectedLength, retransmission ? performance.now() : packet.receivedAt);

    this.#path.counters.rtpSent++;
    const payloadLength = body - packet.paddingLength;
    this.packetsSent++;
    this.octetsSent += payloadLength;
    if (!retransmission) {
      this.#lastTimestamp = timestamp;
      this.#lastSentAt = packet.receivedAt;
    }
    // Keep werift's outbound-rtp counters meaningful for pc.getStats().
    s.packetCount = (s.packetCount + 1) >>> 0;
    s.octetCount += payloadLength;
    return true;
  }

  resend(packet: MediaPacket, sequenceNumber: number, timestamp: number, marker = packet.marker): boolean {
    const s = this.#sender;
    if (s.rtxPayloadType === undefined || !s.rtxSsrc) return this.send(packet, sequenceNumber, timestamp, true, marker);
    const rtxSequenceNumber = this.#rtxSequenceNumber;
    this.#asRtx = true;
    try {
      if (!this.send(wrapRtx(packet, sequenceNumber), rtxSequenceNumber, timestamp, true, marker)) return false;
    } finally {
      this.#asRtx = false;
    }
    this.#rtxSequenceNumber = (rtxSequenceNumber + 1) & 0xffff;
    this.#path.counters.rtxSent++;
    return true;
  }

  senderReport(ntp: [number, number], nowPerf: number) {
    const elapsedTicks = Math.round(((nowPerf - this.#lastSentAt) * this.clockRate) / 1000);
    return {
      ssrc: this.ssrc,
      ntp,
      rtpTimestamp: (this.#lastTimestamp + Math.max(0, elapsedTicks)) >>> 0,
      packetCount: this.packetsSent,
      octetCount: this.octetsSent,
    };
  }

  noteSenderReport(lsr: number, sentAtSeconds: number): void {
    this.#sender.lastSRtimestamp = lsr;
    this.#sender.lastSentSRTimestamp = sentAtSeconds;
  }

  close(): void {
    this.#closed = true;
    this.#path.removeSender(this);
  }
}
