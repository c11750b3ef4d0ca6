import { randomUUID } from 'node:crypto';
import { RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import './closedNetwork.ts';
import './dtlsCrypto.ts';
import './icePatches.ts';
import './dtlsPatches.ts';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import type { Traffic } from './traffic.ts';
import { supportedCodecs, supportedHeaderExtensions, type MediaKind, type NegotiationOptions } from './codecs.ts';
import { rtcPortRange, type MediaConfig } from './config.ts';
import { Consumer, type ConsumerDump } from './Consumer.ts';
import { Producer, type ProducerDump } from './Producer.ts';
import { DEPENDENCY_DESCRIPTOR_URI } from './rtp/headerExtensions.ts';
import type { RtpStreamSender } from './rtp/RtpStreamSender.ts';
import { TransportMediaPath } from './rtp/TransportMediaPath.ts';
import { negotiatedHeaderExtensions } from './rtp/weriftInternals.ts';
import { BandwidthAllocator } from './bwe/BandwidthAllocator.ts';
import type { WebRtcServer } from './WebRtcServer.ts';

/** Where a publisher's scalable video starts its bandwidth estimate (see withStartBitrate). */
const PUBLISHER_START_KBPS = 1500;
const RID_URI = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
const REPAIRED_RID_URI = 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id';
import {
  announceAddress,
  checkRemoteSdp,
  offeredCodecOrder,
  parseMediaSections,
  remoteSends,
  simulcastRids,
  withBundleOnlySectionsLive,
  withMsid,
  withoutRecvOnlySsrcs,
  withStartBitrate,
} from './sdp.ts';

/**
 * `send`: the client publishes on it (client offers, SFU answers).
 * `recv`: the client subscribes on it (SFU offers, client answers).
 * Two transports per participant is LiveKit's model; it keeps each
 * negotiation one-directional, so offers never collide.
 */
export type TransportDirection = 'send' | 'recv';

export type ConnectionState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface PublishedTrack {
  mid: string;
  source: string;
}

export interface TransportDump {
  id: string;
  direction: TransportDirection;
  connectionState: ConnectionState;
  producers: ProducerDump[];
  consumers: ConsumerDump[];
  /**
   * recv: the subscriber's bandwidth estimate (bps, null before the first),
   * its source, and whether the consumers are capped by congestion now.
   */
  bwe?: { source: 'twcc' | 'remb' | null; estimatedBandwidth: number | null; congested: boolean };
}

export type WebRtcTransportEvents = {
  connectionstatechange: [ConnectionState];
  newproducer: [Producer];
  close: [];
};

/** RTP totals of a transport, including producers and consumers closed since. */
export type TransportTraffic = Traffic;

export interface PublishResult {
  sdp: string;
  producers: Producer[];
  closedProducerIds: string[];
}

export class WebRtcTransport extends EnhancedEventEmitter<WebRtcTransportEvents> {
  readonly id: string;
  readonly direction: TransportDirection;
  readonly #pc: RTCPeerConnection;
  /** RTP in and out of this transport, past werift's media pipeline. */
  readonly #mediaPath: TransportMediaPath;
  readonly #config: MediaConfig;
  readonly #producersByMid = new Map<string, Producer>();
  readonly #consumers = new Map<string, Consumer>();
  /**
   * Sending slots whose consumer closed, kept (inactive) for the next consumer
   * of the same codec, with their stream sender: the SSRC's RTP numbering and
   * report counters carry on into the next consumer.
   */
  readonly #idleTransceivers: { transceiver: RTCRtpTransceiver; kind: MediaKind; codec: string; output: RtpStreamSender }[] = [];
  /** Traffic of producers/consumers already closed, so totals never go backwards. */
  readonly #retired = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
  /** Subscriber bandwidth and layer choice of this transport's video consumers (recv). */
  readonly #allocator = new BandwidthAllocator(() => this.#consumers.values());
  /** Subscribers (recv) get transport-wide congestion control; publishers do not (see NegotiationOptions). */
  readonly #codecOptions: NegotiationOptions;
  #connectionState: ConnectionState = 'new';
  #closed = false;
  /** Negotiations on one peer connection must not interleave. */
  #negotiation: Promise<unknown> = Promise.resolve();

  /** `webRtcServer`: the worker's shared UDP port; without it the transport binds its own sockets. */
  constructor(options: { id: string; direction: TransportDirection; config: MediaConfig; webRtcServer?: WebRtcServer }) {
    super();
    this.id = options.id;
    this.direction = options.direction;
    this.#config = options.config;
    this.#codecOptions = { transportWideCc: options.direction === 'recv' };
    const portRange = rtcPortRange(options.config);
    this.#pc = new RTCPeerConnection({
      // ICE-lite, as mediasoup and LiveKit: the SFU answers signed checks and sends none (see icePatches.ts).
      iceLite: true,
      iceServers: options.config.iceServers,
      iceAdditionalHostAddresses: options.config.additionalHostAddresses,
      iceUseIpv6: false,
      ...(portRange ? { icePortRange: portRange } : {}),
      ...options.webRtcServer?.iceOptions,
      codecs: supportedCodecs(this.#codecOptions),
      headerExtensions: supportedHeaderExtensions(this.#codecOptions),
    });
    this.#mediaPath = new TransportMediaPath(this.#pc);
    // The subscriber's transport-wide feedback is the primary estimate; its REMBs reach the allocator through the consumers.
    this.#mediaPath.onTransportEstimate = (bitrate, congested) => this.#allocator.onTransportEstimate(bitrate, congested);
    this.#pc.connectionStateChange.subscribe((state) => {
      this.#connectionState = state;
      this.safeEmit('connectionstatechange', state);
    });
  }

  /** The transport's packet path (counters, SRTP profile); for tests and diagnostics. */
  get mediaPath(): TransportMediaPath {
    return this.#mediaPath;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get connectionState(): ConnectionState {
    return this.#connectionState;
  }

  get producers(): Producer[] {
    return [...this.#producersByMid.values()];
  }

  get consumers(): Consumer[] {
    return [...this.#consumers.values()];
  }

  #serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#negotiation.then(task, task);
    this.#negotiation = run.catch(() => undefined);
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`transport ${this.id} is closed`);
  }

  #localSdp(): string {
    const sdp = this.#pc.localDescription?.sdp;
    if (!sdp) throw new Error('no local description');
    return withSessionIceLite(announceAddress(sdp, this.#config.announcedIp));
  }

  /**
   * Applies a publisher's offer. Every section the client sends on and lists in
   * `tracks` becomes a Producer; a section it stopped sending on closes its Producer.
   */
  publish(clientOfferSdp: string, tracks: PublishedTrack[]): Promise<PublishResult> {
    return this.#serialise(async () => {
      this.#assertOpen();
      if (this.direction !== 'send') throw new Error('publish on a recv transport');
      // Signaling checks this too; a worker never hands werift an SDP whose cost it has not bounded (see checkRemoteSdp).
      const check = checkRemoteSdp(clientOfferSdp, { kind: 'offer' });
      if (!check.ok) throw new Error(`bad SDP: ${check.reason}`);
      // Firefox's bundle-only sections (port 0) would read as rejected, to werift and to remoteSends below.
      const offerSdp = withBundleOnlySectionsLive(clientOfferSdp);
      const sections = parseMediaSections(offerSdp);
      const sourceByMid = new Map(tracks.map((t) => [t.mid, t.source]));
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      this.#mediaPath.attach();
      this.#followOfferedCodecOrder(offerSdp);
      const answer = await this.#pc.createAnswer();
      await this.#pc.setLocalDescription(answer);
      this.#mediaPath.attach();
      this.#mediaPath.refreshProducers();

      const created: Producer[] = [];
      const closedProducerIds: string[] = [];
      const transceiverByMid = new Map<string, RTCRtpTransceiver>();
      for (const t of this.#pc.getTransceivers()) if (t.mid !== null) transceiverByMid.set(t.mid, t);
      for (const section of sections) {
        const existing = this.#producersByMid.get(section.mid);
        const transceiver = transceiverByMid.get(section.mid);
        const wanted = remoteSends(section) && sourceByMid.has(section.mid) && transceiver !== undefined;
        if (!wanted) {
          if (existing) {
            this.#producersByMid.delete(section.mid);
            closedProducerIds.push(existing.id);
            existing.close();
          }
          continue;
        }
        if (existing || !transceiver) continue;
        const codec = transceiver.codecs[0];
        if (!codec) continue; // no common codec: the section was rejected in the answer
        const producer = new Producer({
          id: randomUUID(),
          kind: transceiver.kind as MediaKind,
          mid: section.mid,
          source: sourceByMid.get(section.mid) ?? transceiver.kind,
          receiver: transceiver.receiver,
          codec: codec.mimeType,
          audioLevelExtensionId: transceiver.kind === 'audio' ? this.#mediaPath.audioLevelExtensionId(transceiver) : 0,
          dependencyDescriptorExtensionId: negotiatedHeaderExtensions(transceiver).find((e) => e.uri === DEPENDENCY_DESCRIPTOR_URI)?.id ?? 0,
          simulcast: this.#simulcastOf(offerSdp, section.mid, transceiver, codec.mimeType),
          ssrc: this.#mediaPath.announcedSsrc(transceiver),
        });
        this.#mediaPath.addProducer(producer, transceiver);
        this.#producersByMid.set(section.mid, producer);
        producer.on('close', () => {
          this.#mediaPath.removeProducer(producer);
          const s = producer.getStats();
          this.#retired.packetsIn += s.packetsReceived;
          this.#retired.bytesIn += s.bytesReceived;
          if (this.#producersByMid.get(section.mid) === producer) this.#producersByMid.delete(section.mid);
        });
        created.push(producer);
      }
      for (const producer of created) this.safeEmit('newproducer', producer);
      const answerSdp = withStartBitrate(withoutRecvOnlySsrcs(this.#localSdp()), PUBLISHER_START_KBPS);
      return { sdp: answerSdp, producers: created, closedProducerIds };
    });
  }

  /**
   * Answers each video section with the publisher's preferred codec first
   * (werift would answer in our list's order, VP8 first): a client that asks
   * for VP9 SVC or AV1 gets it, one that prefers VP8 keeps it.
   */
  #followOfferedCodecOrder(offerSdp: string): void {
    for (const transceiver of this.#pc.getTransceivers()) {
      if (transceiver.kind !== 'video' || transceiver.mid === null) continue;
      const order = offeredCodecOrder(offerSdp, transceiver.mid);
      const ours = supportedCodecs().video.filter((c) => order.includes(c.mimeType.toLowerCase()));
      if (ours.length === 0) continue;
      ours.sort((a, b) => order.indexOf(a.mimeType.toLowerCase()) - order.indexOf(b.mimeType.toLowerCase()));
      try {
        transceiver.setCodecPreferences(ours);
      } catch {
        // werift refused the list: it answers in its own order.
      }
    }
  }

  /** VP8 simulcast offered on this section: its rids and the rid extension ids; else undefined. */
  #simulcastOf(offerSdp: string, mid: string, transceiver: RTCRtpTransceiver, mimeType: string) {
    if (transceiver.kind !== 'video' || mimeType.toLowerCase() !== 'video/vp8') return undefined;
    const rids = simulcastRids(offerSdp, mid);
    const extensions = negotiatedHeaderExtensions(transceiver);
    const ridExtensionId = extensions.find((e) => e.uri === RID_URI)?.id ?? 0;
    if (rids.length < 2 || !ridExtensionId) return undefined;
    return { rids, ridExtensionId, repairedRidExtensionId: extensions.find((e) => e.uri === REPAIRED_RID_URI)?.id ?? 0 };
  }

  /** Adds a sending transceiver for `producer`; it takes effect with the next offer. */
  consume(producer: Producer, consumerId: string = randomUUID()): Consumer {
    this.#assertOpen();
    if (this.direction !== 'recv') throw new Error('consume on a send transport');
    if (producer.closed) throw new Error(`producer ${producer.id} is closed`);
    const codecs = supportedCodecs()[producer.kind];
    const codec = codecs.find((c) => c.mimeType.toLowerCase() === producer.codec.toLowerCase()) ?? codecs[0]!;
    // Reuse an idle slot of the same codec before adding a new m-section: stopped
    // m-sections would be recycled by werift under a new mid inside the BUNDLE,
    // which Chrome and libwebrtc refuse ("Failed to setup RTCP mux"), wedging the
    // subscriber's connection for good. An idle slot keeps its mid and SSRC; the
    // Consumer re-bases sequence numbers and timestamps onto it.
    const idle = this.#idleTransceivers.find((t) => t.kind === producer.kind && t.codec === codec.mimeType);
    let transceiver: RTCRtpTransceiver;
    let output: RtpStreamSender;
    if (idle) {
      this.#idleTransceivers.splice(this.#idleTransceivers.indexOf(idle), 1);
      transceiver = idle.transceiver;
      output = idle.output;
      transceiver.setDirection('sendonly');
    } else {
      transceiver = this.#pc.addTransceiver(producer.kind, { direction: 'sendonly' });
      // A consumer must send exactly the producer's codec: the SFU never transcodes.
      // (werift keeps the codec's RTX entry with it: retransmissions go out as RTX.)
      transceiver.setCodecPreferences([codec]);
      this.#mediaPath.attach();
      output = this.#mediaPath.createSender(transceiver, producer.kind, codec.clockRate);
    }
    const consumer = new Consumer({
      id: consumerId,
      producer,
      transceiver,
      clockRate: codec.clockRate,
      output,
      reusedSlot: idle !== undefined,
      bandwidth: producer.kind === 'video' ? this.#allocator : undefined,
    });
    if (consumer.scalable) this.#allocator.start();
    this.#consumers.set(consumer.id, consumer);
    consumer.on('close', () => {
      const s = consumer.getStats();
      this.#retired.packetsOut += s.packetsSent;
      this.#retired.bytesOut += s.bytesSent;
      this.#consumers.delete(consumer.id);
      if (this.#closed) return;
      transceiver.setDirection('inactive');
      this.#idleTransceivers.push({ transceiver, kind: producer.kind, codec: codec.mimeType, output });
    });
    return consumer;
  }

  getConsumer(id: string): Consumer | undefined {
    return this.#consumers.get(id);
  }

  /** Offer for a subscriber; `iceRestart` renews ICE credentials after a path loss. */
  createOffer(options: { iceRestart?: boolean } = {}): Promise<string> {
    return this.#serialise(async () => {
      this.#assertOpen();
      if (this.direction !== 'recv') throw new Error('createOffer on a send transport');
      const offer = await this.#pc.createOffer({ iceRestart: options.iceRestart });
      await this.#pc.setLocalDescription(offer);
      this.#mediaPath.attach();
      return withMsid(this.#localSdp());
    });
  }

  applyAnswer(answerSdp: string): Promise<void> {
    return this.#serialise(async () => {
      this.#assertOpen();
      if (this.#pc.signalingState !== 'have-local-offer') throw new Error('no offer is outstanding');
      const check = checkRemoteSdp(answerSdp, { kind: 'answer' });
      if (!check.ok) throw new Error(`bad SDP: ${check.reason}`);
      // An answer has exactly the offer's m-sections (RFC 3264 §6). werift would
      // make a transceiver, and without BUNDLE a transport, for every extra one.
      const offered = parseMediaSections(this.#pc.localDescription?.sdp ?? '').length;
      if (check.mediaSections !== offered) {
        throw new Error(`bad SDP: the answer has ${check.mediaSections} media sections, the offer had ${offered}`);
      }
      this.#mediaPath.attach();
      // An answer may mark its bundled sections bundle-only too (RFC 8843); werift would drop those consumers.
      await this.#pc.setRemoteDescription({ type: 'answer', sdp: withBundleOnlySectionsLive(answerSdp) });
      this.#mediaPath.attach();
      // Ask for a keyframe for every consumer that may just have started, so
      // the subscriber's decoder has something to begin with.
      for (const consumer of this.#consumers.values()) consumer.requestKeyFrame();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const consumer of [...this.#consumers.values()]) consumer.close('transportclosed');
    for (const producer of [...this.#producersByMid.values()]) producer.close();
    this.#consumers.clear();
    this.#producersByMid.clear();
    this.#connectionState = 'closed';
    this.#mediaPath.close();
    this.#allocator.close();
    this.#pc.close().catch(() => undefined);
    this.safeEmit('close');
    this.removeAllListeners();
  }

  dump(): TransportDump {
    return {
      id: this.id,
      direction: this.direction,
      connectionState: this.#connectionState,
      producers: this.producers.map((p) => p.dump()),
      consumers: this.consumers.map((c) => c.dump()),
      ...(this.direction === 'recv'
        ? { bwe: { source: this.#allocator.source, estimatedBandwidth: this.#allocator.estimate, congested: this.#allocator.bandwidth.congestedNow() } }
        : {}),
    };
  }

  /** Synchronous RTP totals (the werift stats report is async and heavy). */
  getTrafficStats(): TransportTraffic {
    const traffic: TransportTraffic = { producers: 0, consumers: 0, ...this.#retired };
    for (const p of this.#producersByMid.values()) {
      const s = p.getStats();
      traffic.producers++;
      traffic.packetsIn += s.packetsReceived;
      traffic.bytesIn += s.bytesReceived;
    }
    for (const c of this.#consumers.values()) {
      const s = c.getStats();
      traffic.consumers++;
      traffic.packetsOut += s.packetsSent;
      traffic.bytesOut += s.bytesSent;
    }
    return traffic;
  }

  async getStats(): Promise<Record<string, unknown>> {
    const report = await this.#pc.getStats();
    const stats: Record<string, unknown> = {};
    report.forEach((value, key) => {
      // werift no longer sees incoming RTP (the packet path takes it at the
      // socket): its inbound-rtp counters come from the path's statistics.
      const entry = value as { type?: string; ssrc?: number };
      const inbound = entry.type === 'inbound-rtp' && entry.ssrc !== undefined ? this.#mediaPath.inboundStats(entry.ssrc) : undefined;
      stats[key] = inbound ? { ...value, ...inbound } : value;
    });
    return stats;
  }
}

/**
 * `sdp` with one a=ice-lite at session level. werift writes it in each media
 * section; it is a session-level attribute (RFC 8839 §5.3), and libwebrtc
 * reads it only there (ParseSessionDescription). Without it a browser that
 * answers the SFU's offer would stay controlled and never nominate a pair,
 * and the SFU, which only answers checks, would never select one.
 */
export function withSessionIceLite(sdp: string): string {
  const lines = sdp.split('\r\n').filter((line) => line !== 'a=ice-lite');
  const firstMedia = lines.findIndex((line) => line.startsWith('m='));
  lines.splice(firstMedia < 0 ? lines.length : firstMedia, 0, 'a=ice-lite');
  return lines.join('\r\n');
}
