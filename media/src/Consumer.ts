import type { RTCRtpTransceiver, RtcpPacket, RtcpPayloadSpecificFeedback, RtcpTransportLayerFeedback } from 'werift';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import type { MediaKind } from './codecs.ts';
import type { Producer, RtpSink } from './Producer.ts';
import type { MediaPacket } from './rtp/rtpPacket.ts';
import type { RtpRewriter } from './rtp/RtpRewriter.ts';
import type { ConsumerOutput } from './rtp/RtpStreamSender.ts';
import { Av1LayerFilter, SimulcastLayerFilter, Vp9LayerFilter, type LayerFilter } from './svc/LayerFilter.ts';
import { Vp8SimulcastPatch, type Vp8Descriptor } from './svc/vp8.ts';
import { desiredLayers, type ConsumerPreferences, type Layers } from './svc/LayerSelector.ts';
import { SequenceGaps } from './svc/SequenceGaps.ts';
import { Av1DecodeTargetsPatch } from './svc/Av1DecodeTargetsPatch.ts';
import type { ProducerLayers } from './svc/ProducerLayers.ts';

/** Output sequence numbers whose encoding a simulcast consumer remembers (power of two, as RtpRewriter's history). */
const ENCODING_HISTORY = 1024;

/** While a spatial upgrade waits for a keyframe, ask again this often at most. */
const UPGRADE_KEYFRAME_RETRY_MS = 2000;

export interface ConsumerDump {
  id: string;
  producerId: string;
  kind: MediaKind;
  mid: string | null;
  paused: boolean;
  producerPaused: boolean;
  ssrc: number;
  /** Scalable video: the layers forwarded now (-1: none yet) and the ones aimed at. */
  layers?: { currentSpatialLayer: number; currentTemporalLayer: number; targetSpatialLayer: number; targetTemporalLayer: number };
  preferences?: ConsumerPreferences;
  /** The subscriber's estimated available bandwidth (bps), null before its first estimate. */
  estimatedBandwidth?: number | null;
  /** Where that estimate comes from: transport-wide congestion control feedback, REMB, or nothing yet. */
  bweSource?: 'twcc' | 'remb' | null;
}

export interface ConsumerStats {
  packetsSent: number;
  bytesSent: number;
  keyFrameRequestsReceived: number;
}

export type ConsumerEvents = {
  close: [reason: 'producerclosed' | 'transportclosed' | 'closed'];
  producerpause: [];
  producerresume: [];
};

const RTPFB = 205; // RTCP transport-layer feedback
const PSFB = 206; // RTCP payload-specific feedback
const NACK_FMT = 1;
const PLI_FMT = 1;
const FIR_FMT = 4;
const REMB_FMT = 15;

/** Where a consumer reports its subscriber's bandwidth estimates (the transport's allocator). */
export interface BandwidthListener {
  /** A REMB from the subscriber (bps). */
  onBandwidthEstimate(bitrate: number): void;
  readonly estimate: number | null;
  readonly source: 'twcc' | 'remb' | null;
  /** Preferences changed: layers should be chosen again. */
  onPreferencesChanged(): void;
}

/**
 * Forwards one producer's packets to one subscriber. Owns the subscriber
 * stream's RTP continuity (RtpRewriter): across a pause the receiver sees a
 * contiguous sequence and a timestamp jump matching the wall-clock gap, so it
 * neither NACKs the gap nor mis-times playout. The subscriber's feedback
 * arrives through werift's RTCP path on the transceiver's sender: PLI/FIR
 * become keyframe requests to the producer, NACKs are answered from the
 * producer's packet ring. Sending is the transport's (ConsumerOutput).
 */
export class Consumer extends EnhancedEventEmitter<ConsumerEvents> implements RtpSink {
  readonly id: string;
  readonly producerId: string;
  readonly kind: MediaKind;
  readonly #producer: Producer;
  readonly #transceiver: RTCRtpTransceiver;
  readonly #output: ConsumerOutput;
  readonly #clockRate: number;
  /** The slot's sequence/timestamp rewriting (owned by the output, shared with earlier consumers of the slot). */
  readonly #rewriter: RtpRewriter;
  #paused = false;
  #closed = false;
  /** Set while not forwarding; the next forwarded packet re-bases continuity. */
  #gapStartedAt: number | null = null;
  readonly #stats: ConsumerStats = { packetsSent: 0, bytesSent: 0, keyFrameRequestsReceived: 0 };
  #retransmissions = 0;
  /** Scalable video: which of the producer's layers go out (undefined: everything). */
  readonly #filter?: LayerFilter;
  readonly #gaps?: SequenceGaps;
  /** Simulcast: the filter (to see switches), the picture-id rewriting, and the encoding of each output sequence number (for NACKs). */
  readonly #simulcast?: { filter: SimulcastLayerFilter; patch: Vp8SimulcastPatch; encodingOf: Uint8Array; vp8: Vp8Descriptor };
  /** AV1 SVC: the dependency descriptor's active decode targets, rewritten for what this subscriber gets. */
  readonly #decodeTargets?: Av1DecodeTargetsPatch;
  #preferences: ConsumerPreferences = {};
  readonly #bandwidth?: BandwidthListener;
  #upgradeKeyFrameAt = 0;
  readonly #unsubscribeRtcp: () => void;
  readonly #onProducerPause = () => {
    this.#beginGap();
    this.safeEmit('producerpause');
  };
  readonly #onProducerResume = () => this.safeEmit('producerresume');
  readonly #onProducerClose = () => this.close('producerclosed');

  constructor(options: {
    id: string;
    producer: Producer;
    transceiver: RTCRtpTransceiver;
    clockRate: number;
    /** The transport's stream sender for this transceiver; it outlives the consumer when the slot is reused. */
    output: ConsumerOutput;
    /** The transceiver carried another producer before: its RTP numbering must continue, not restart. */
    reusedSlot?: boolean;
    bandwidth?: BandwidthListener;
  }) {
    super();
    this.id = options.id;
    this.#producer = options.producer;
    this.producerId = options.producer.id;
    this.kind = options.producer.kind;
    this.#transceiver = options.transceiver;
    this.#output = options.output;
    this.#rewriter = options.output.rewriter;
    this.#clockRate = options.clockRate;
    this.#bandwidth = options.bandwidth;
    const layers = this.#producer.layers;
    if (layers?.simulcast) {
      const filter = new SimulcastLayerFilter(layers);
      this.#filter = filter;
      this.#simulcast = { filter, patch: new Vp8SimulcastPatch(), encodingOf: new Uint8Array(ENCODING_HISTORY), vp8: layers.vp8 };
      this.#output.payloadPatch = this.#simulcast.patch;
      // Dropped temporal layers of the forwarded encoding leave gaps (the other encodings do not).
      this.#gaps = new SequenceGaps();
    } else if (layers) {
      this.#filter = layers.codec === 'vp9' ? new Vp9LayerFilter(layers) : new Av1LayerFilter(layers);
      this.#gaps = new SequenceGaps();
    }
    // AV1 SVC: the subscriber's decoder needs the dependency descriptor too (the slot may have carried AV1 before).
    this.#output.dependencyDescriptorSourceId = layers?.codec === 'av1' ? layers.dependencyDescriptorId : 0;
    // …rewritten so that it says which decode targets this subscriber still gets.
    this.#decodeTargets = layers?.codec === 'av1' ? new Av1DecodeTargetsPatch(layers, this.#filter!) : undefined;
    this.#output.dependencyDescriptorPatch = this.#decodeTargets ?? null;
    this.#producer.on('pause', this.#onProducerPause);
    this.#producer.on('resume', this.#onProducerResume);
    this.#producer.on('close', this.#onProducerClose);
    this.#producer.addSink(this);
    const { unSubscribe } = this.#transceiver.sender.onRtcp.subscribe((packet) => this.#onRtcp(packet));
    this.#unsubscribeRtcp = unSubscribe;
    if (options.reusedSlot) {
      // Sequence numbers the subscriber may still NACK belong to the previous producer.
      this.#rewriter.forgetHistory();
      // The slot has been silent since its previous consumer's last packet.
      this.#gapStartedAt = this.#rewriter.lastMappedAt;
    }
    if (this.#producer.paused || options.reusedSlot) this.#beginGap();
  }

  get closed(): boolean {
    return this.#closed;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get producerPaused(): boolean {
    return this.#producer.paused;
  }

  get transceiver(): RTCRtpTransceiver {
    return this.#transceiver;
  }

  /** Packets re-sent for the subscriber's NACKs. */
  get retransmissions(): number {
    return this.#retransmissions;
  }

  onProducerRtp(packet: MediaPacket): void {
    if (this.#paused || this.#closed) return;
    const output = this.#output;
    // Until DTLS is up (or once the sender stopped) nothing can go out; not
    // counting such packets keeps packetsSent equal to what went out.
    if (!output.ready) return;
    const filter = this.#filter;
    let marker = packet.marker;
    let dropped = 0;
    const simulcast = this.#simulcast;
    if (filter !== undefined) {
      if (!filter.accept(packet)) {
        // Simulcast: the other encodings are other streams, not gaps in this one; its own upper temporal layers are.
        if (simulcast === undefined) this.#gaps!.drop(packet.sequenceNumber);
        else if (simulcast.filter.temporalDrop) {
          this.#gaps!.drop(packet.sequenceNumber);
          simulcast.patch.pictures.drop(simulcast.vp8);
        }
        return;
      }
      marker = filter.marker;
      if (simulcast !== undefined && simulcast.filter.switched) {
        // Another SSRC from here on: continue its numbering, timing and picture ids from ours.
        simulcast.patch.pictures.rebase();
        this.#gaps!.reset();
        this.#beginGap(this.#rewriter.lastMappedAt ?? Date.now());
      }
      dropped = this.#gaps!.shift(packet.sequenceNumber);
    }
    const rewriter = this.#rewriter;
    if (this.#gapStartedAt !== null) {
      rewriter.rebase(((Date.now() - this.#gapStartedAt) * this.#clockRate) / 1000);
      this.#gapStartedAt = null;
    }
    rewriter.map(packet.sequenceNumber, packet.timestamp, dropped);
    if (simulcast !== undefined) simulcast.encodingOf[rewriter.sequenceNumber & (ENCODING_HISTORY - 1)] = simulcast.filter.currentSpatial;
    if (output.send(packet, rewriter.sequenceNumber, rewriter.timestamp, false, marker)) {
      this.#stats.packetsSent++;
      this.#stats.bytesSent += packet.payloadLength;
    }
  }

  #onRtcp(packet: RtcpPacket): void {
    if (this.#closed) return;
    if (packet.type === PSFB) {
      const fmt = (packet as RtcpPayloadSpecificFeedback).feedback.count;
      if (fmt === PLI_FMT || fmt === FIR_FMT) {
        this.#stats.keyFrameRequestsReceived++;
        this.#producer.requestKeyFrame();
      } else if (fmt === REMB_FMT && this.#bandwidth) {
        const remb = (packet as RtcpPayloadSpecificFeedback).feedback as unknown as { bitrate?: bigint | number };
        if (remb.bitrate !== undefined) this.#bandwidth.onBandwidthEstimate(Number(remb.bitrate));
      }
    } else if (packet.type === RTPFB) {
      const feedback = (packet as RtcpTransportLayerFeedback).feedback as { count?: number; lost?: number[] } | undefined;
      if (feedback?.count === NACK_FMT && feedback.lost) this.#retransmit(feedback.lost);
    }
  }

  /** Re-sends the packets the subscriber lists as lost, from the producer's ring. */
  #retransmit(lost: readonly number[]): void {
    if (this.#paused || !this.#output.ready) return;
    for (const raw of lost) {
      const outSeq = raw & 0xffff;
      const inSeq = this.#rewriter.lookup(outSeq);
      if (inSeq < 0) continue;
      const encoding = this.#simulcast ? this.#simulcast.encodingOf[outSeq & (ENCODING_HISTORY - 1)] : 0;
      const packet = this.#producer.getPacket(inSeq, encoding);
      if (!packet) continue;
      const output = this.#output;
      const sent = output.resend ? output.resend(packet, outSeq, this.#rewriter.timestamp) : output.send(packet, outSeq, this.#rewriter.timestamp, true);
      if (sent) this.#retransmissions++;
    }
  }

  #beginGap(at = Date.now()): void {
    if (this.#gapStartedAt === null) this.#gapStartedAt = at;
  }

  pause(): void {
    if (this.#closed || this.#paused) return;
    this.#paused = true;
    this.#beginGap();
  }

  resume(): void {
    if (this.#closed || !this.#paused) return;
    this.#paused = false;
    // Frames were missed: a layered stream restarts at a keyframe.
    this.#filter?.reset();
    this.#producer.requestKeyFrame();
  }

  /** Scalable video (SVC or simulcast): the transport's allocator chooses its layers. */
  get scalable(): boolean {
    return this.#filter !== undefined;
  }

  get preferences(): ConsumerPreferences {
    return { ...this.#preferences };
  }

  /**
   * What the subscriber says about its tile: size, visibility, preferred
   * layers. A hidden tile pauses the consumer; the layers follow at the
   * transport's next allocation.
   */
  setPreferences(preferences: ConsumerPreferences): void {
    if (this.#closed) return;
    this.#preferences = { ...this.#preferences, ...preferences };
    if (preferences.visible === false) this.pause();
    else if (preferences.visible === true) this.resume();
    this.#bandwidth?.onPreferencesChanged();
  }

  /** The layers the tile and preferences ask for, before bandwidth; null if not scalable. */
  desiredLayers(): Layers | null {
    const layers = this.#producer.layers;
    return layers ? desiredLayers(layers, this.#preferences) : null;
  }

  /** Aims the layer filter; asks for a keyframe when the step up needs one. */
  setTargetLayers(spatial: number, temporal: number): void {
    const filter = this.#filter;
    if (!filter || this.#closed) return;
    let keyFrame: boolean;
    if (filter.targetSpatial === spatial && filter.targetTemporal === temporal) {
      // Still waiting for a switching point (the request or the keyframe was lost)?
      // (Simulcast switches need the target's keyframe either way; SVC only going up.)
      const waiting = this.#simulcast ? filter.currentSpatial !== Math.min(spatial, this.#producer.layers!.activeSpatialLayers - 1) : filter.currentSpatial < spatial;
      keyFrame = waiting && Date.now() - this.#upgradeKeyFrameAt > UPGRADE_KEYFRAME_RETRY_MS;
    } else {
      keyFrame = filter.setTarget(spatial, temporal);
    }
    if (keyFrame && !this.#paused) {
      this.#upgradeKeyFrameAt = Date.now();
      this.#producer.requestKeyFrame();
    }
  }

  /** The producer's layer view (scalable video), for bandwidth allocation. */
  get producerLayers(): ProducerLayers | undefined {
    return this.#producer.layers;
  }

  /** Layers forwarded now (-1: nothing yet); capped at the layers the producer has. */
  get currentLayers(): { spatial: number; temporal: number } | null {
    const f = this.#filter;
    const l = this.#producer.layers;
    if (!f || !l) return null;
    return { spatial: Math.min(f.currentSpatial, l.spatialLayers - 1), temporal: Math.min(f.currentTemporal, l.temporalLayers - 1) };
  }

  get targetLayers(): { spatial: number; temporal: number } | null {
    const f = this.#filter;
    const l = this.#producer.layers;
    if (!f || !l) return null;
    return { spatial: Math.min(f.targetSpatial, l.spatialLayers - 1), temporal: Math.min(f.targetTemporal, l.temporalLayers - 1) };
  }

  requestKeyFrame(): void {
    this.#producer.requestKeyFrame();
  }

  close(reason: 'producerclosed' | 'transportclosed' | 'closed' = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#producer.removeSink(this);
    this.#producer.off('pause', this.#onProducerPause);
    this.#producer.off('resume', this.#onProducerResume);
    this.#producer.off('close', this.#onProducerClose);
    this.#unsubscribeRtcp();
    // The output outlives us when the slot is reused by another consumer.
    if (this.#simulcast && this.#output.payloadPatch === this.#simulcast.patch) this.#output.payloadPatch = null;
    if (this.#decodeTargets && this.#output.dependencyDescriptorPatch === this.#decodeTargets) this.#output.dependencyDescriptorPatch = null;
    this.safeEmit('close', reason);
    this.removeAllListeners();
  }

  dump(): ConsumerDump {
    return {
      id: this.id,
      producerId: this.producerId,
      kind: this.kind,
      mid: this.#transceiver.mid,
      paused: this.#paused,
      producerPaused: this.#producer.paused,
      ssrc: this.#output.ssrc,
      ...(this.#filter
        ? {
            layers: {
              currentSpatialLayer: this.currentLayers!.spatial,
              currentTemporalLayer: this.currentLayers!.temporal,
              targetSpatialLayer: this.targetLayers!.spatial,
              targetTemporalLayer: this.targetLayers!.temporal,
            },
            preferences: { ...this.#preferences },
          }
        : {}),
      ...(this.kind === 'video' && this.#bandwidth ? { estimatedBandwidth: this.#bandwidth.estimate, bweSource: this.#bandwidth.source } : {}),
    };
  }

  getStats(): ConsumerStats {
    return { ...this.#stats };
  }
}
