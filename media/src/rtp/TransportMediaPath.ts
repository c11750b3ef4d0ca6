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
 *
 * This file holds the transport's side: TransportMediaPath (producers'
 * routing and receive statistics, the consumers' senders, transport-wide
 * feedback, RTCP reports). SecureLink.ts is the link to one DTLS transport
 * (SRTP, sockets, send), RtpStreamSender.ts one consumer's outgoing stream,
 * headerExtensions.ts the extension URIs they share.
 */
import { performance } from 'node:perf_hooks';
import type { RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver } from 'werift';
import { ReceiveStats, NACK_MIN_INTERVAL_MS } from './ReceiveStats.ts';
import { compactNtp, ntpTime, sdesSize, writeNack, writeReceiverReport, writeSdes, writeSenderReport, nackSize, type ReportBlock } from './rtcp.ts';
import type { MediaPacket } from './rtpPacket.ts';
import { rtxPayloadTypes, unwrapRtx } from './rtx.ts';
import type { SrtpProfile } from './srtp.ts';
import { TransportFeedback, isTransportFeedback, parseTransportFeedback } from './transportFeedback.ts';
import { TransportWideEstimator, type RateControlState } from '../bwe/TransportWideEstimator.ts';
import type { BandwidthUsage } from '../bwe/DelayTrend.ts';
import { AUDIO_LEVEL_URI, SDES_MID_URI } from './headerExtensions.ts';
import { SecureLink, type LinkOwner, type MediaPathCounters } from './SecureLink.ts';
import { RtpStreamSender, type SenderOwner } from './RtpStreamSender.ts';
import {
  dtlsTransportOf,
  dtlsTransportsOf,
  interceptRtcp,
  negotiatedHeaderExtensions,
  receiverForSsrc,
  receiverView,
  type WeriftDtlsTransport,
} from './weriftInternals.ts';

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

export class TransportMediaPath implements LinkOwner, SenderOwner {
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
