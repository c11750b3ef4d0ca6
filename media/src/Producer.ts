import type { RTCRtpReceiver } from 'werift';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import type { MediaKind } from './codecs.ts';
import { PacketRing } from './rtp/PacketRing.ts';
import { extensionLength, type MediaPacket } from './rtp/rtpPacket.ts';
import type { RtpPacketSink } from './rtp/TransportMediaPath.ts';
import { ProducerLayers, scalableCodecOf, type LayerBitrate } from './svc/ProducerLayers.ts';

/** The minimum interval between keyframe requests sent to one publisher. */
export const KEYFRAME_REQUEST_INTERVAL_MS = 500;

export interface ProducerOptions {
  id: string;
  kind: MediaKind;
  mid: string;
  /** What the publisher says the track is (camera, microphone, screen, …). */
  source: string;
  /** The werift receiver of the publisher's track: keyframe requests (PLI) go out through it. */
  receiver: Pick<RTCRtpReceiver, 'sendRtcpPLI'>;
  codec: string;
  /** Negotiated id of ssrc-audio-level on the publisher's transport (audio), 0 if none. */
  audioLevelExtensionId?: number;
  /** Packets kept for retransmission to subscribers that NACK (video); 0 keeps none. */
  packetHistory?: number;
  /** The SSRC the publisher's SDP announced, if any: keyframe requests can go out before the first packet. */
  ssrc?: number;
  /** Negotiated id of the AV1 dependency descriptor on the publisher's transport, 0 if none. */
  dependencyDescriptorExtensionId?: number;
  /** VP8 simulcast: the publisher's rids, lowest encoding first, and the rid / repaired-rid extension ids. */
  simulcast?: { rids: string[]; ridExtensionId: number; repairedRidExtensionId: number };
  /**
   * Simulcast: the SSRC of each encoding, lowest first, when known before the
   * first packet. A producer fed by a pipe (PipeTransport) knows them from the
   * origin, whose packets need not carry the rid extension any more.
   */
  simulcastSsrcs?: number[];
}

/**
 * Something that takes a producer's packets: a Consumer, a recorder tap, a
 * test. The packet is shared by every sink and must not be modified; it may
 * be kept (its buffer is never reused).
 */
export interface RtpSink {
  onProducerRtp(packet: MediaPacket): void;
}

export interface AudioLevelSink {
  onAudioLevel(producer: Producer, dBov: number, voiced: boolean): void;
}

export interface ProducerDump {
  id: string;
  kind: MediaKind;
  mid: string;
  source: string;
  codec: string;
  paused: boolean;
  ssrc: number | null;
  sinks: number;
  /** Scalable video (VP9, AV1): what the stream showed of its layers. */
  scalabilityMode?: string;
  layers?: LayerBitrate[];
  resolutions?: { spatialLayer: number; width: number; height: number }[];
  /** Simulcast: one entry per encoding, lowest first. */
  encodings?: { rid: string; ssrc: number | null; spatialLayer: number; width: number; height: number; bitrate: number }[];
}

export interface ProducerStats {
  packetsReceived: number;
  bytesReceived: number;
  keyFramesRequested: number;
}

export type ProducerEvents = {
  close: [];
  pause: [];
  resume: [];
};

/**
 * Video packets kept per producer for retransmission: ~1 s at 250 packets/s,
 * ~3 s at typical rates; 320 KiB per video producer (see PacketRing).
 */
export const VIDEO_PACKET_HISTORY = 256;

/**
 * One incoming track of a publisher. Its transport's packet path delivers
 * every packet (receiveRtp); packets fan out to sinks by direct call: an event
 * emitter per packet costs measurably at SFU packet rates. Video packets are
 * kept in a ring for retransmission to subscribers.
 */
export class Producer extends EnhancedEventEmitter<ProducerEvents> implements RtpPacketSink {
  readonly id: string;
  readonly kind: MediaKind;
  readonly mid: string;
  readonly source: string;
  readonly codec: string;
  readonly #receiver: Pick<RTCRtpReceiver, 'sendRtcpPLI'>;
  /** An array, not a Set: iterated per packet. */
  #sinks: RtpSink[] = [];
  readonly #ring?: PacketRing;
  /** Simulcast: a packet ring per encoding (their sequence numbers are independent), SSRC ↔ encoding. */
  readonly #simulcast?: { rids: string[]; ridId: number; repairedRidId: number; rings: PacketRing[]; ssrcs: (number | null)[] };
  #lastSsrc = -1;
  #lastEncoding = -1;
  /**
   * Layer view of the packet being delivered (scalable video only): parsed
   * once here, read by each consumer's layer filter during the fan-out.
   */
  readonly layers?: ProducerLayers;
  #audioLevelExtensionId: number;
  readonly #dependencyDescriptorExtensionId: number;
  #ssrc: number | null = null;
  #paused = false;
  #closed = false;
  #lastKeyFrameRequestAt = 0;
  #pendingKeyFrameTimer?: NodeJS.Timeout;
  #audioLevelSink?: AudioLevelSink;
  readonly #stats: ProducerStats = { packetsReceived: 0, bytesReceived: 0, keyFramesRequested: 0 };

  constructor(options: ProducerOptions) {
    super();
    this.id = options.id;
    this.kind = options.kind;
    this.mid = options.mid;
    this.source = options.source;
    this.codec = options.codec;
    this.#receiver = options.receiver;
    this.#audioLevelExtensionId = options.audioLevelExtensionId ?? 0;
    this.#dependencyDescriptorExtensionId = options.dependencyDescriptorExtensionId ?? 0;
    this.#ssrc = options.ssrc ?? null;
    const history = options.packetHistory ?? (options.kind === 'video' ? VIDEO_PACKET_HISTORY : 0);
    if (history > 0) this.#ring = new PacketRing(history);
    const simulcast = options.simulcast;
    const scalable = options.kind === 'video' ? (simulcast && simulcast.rids.length > 1 ? 'vp8' : scalableCodecOf(options.codec)) : null;
    if (scalable === 'vp8' && simulcast) {
      this.#simulcast = {
        rids: simulcast.rids,
        ridId: simulcast.ridExtensionId,
        repairedRidId: simulcast.repairedRidExtensionId,
        rings: simulcast.rids.map(() => new PacketRing(Math.max(history, 1))),
        ssrcs: simulcast.rids.map((_, i) => options.simulcastSsrcs?.[i] ?? null),
      };
    }
    if (scalable) {
      this.layers = new ProducerLayers(scalable);
      // Simulcast: the offer says how many encodings there are.
      if (this.#simulcast) this.layers.spatialLayers = Math.min(this.#simulcast.rids.length, 3);
      this.layers.dependencyDescriptorId = options.dependencyDescriptorExtensionId ?? 0;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get ssrc(): number | null {
    return this.#ssrc;
  }

  /** The id of ssrc-audio-level in this producer's packets (0: none). */
  get audioLevelExtensionId(): number {
    return this.#audioLevelExtensionId;
  }

  /** The id of the AV1 dependency descriptor in this producer's packets (0: none). */
  get dependencyDescriptorExtensionId(): number {
    return this.#dependencyDescriptorExtensionId;
  }

  /** VP8 simulcast: the rids, lowest encoding first, and the rid extension ids; undefined for a single stream. */
  get simulcast(): { rids: string[]; ridExtensionId: number; repairedRidExtensionId: number } | undefined {
    const sim = this.#simulcast;
    return sim && { rids: [...sim.rids], ridExtensionId: sim.ridId, repairedRidExtensionId: sim.repairedRidId };
  }

  setAudioLevelSink(sink: AudioLevelSink | undefined): void {
    this.#audioLevelSink = sink;
  }

  /** The id ssrc-audio-level was negotiated with on the publisher's transport (0: none). */
  setAudioLevelExtensionId(id: number): void {
    this.#audioLevelExtensionId = id;
  }

  addSink(sink: RtpSink): void {
    if (!this.#sinks.includes(sink)) this.#sinks = [...this.#sinks, sink];
  }

  removeSink(sink: RtpSink): void {
    this.#sinks = this.#sinks.filter((s) => s !== sink);
  }

  /** One packet of this track, from the transport's packet path. */
  receiveRtp(packet: MediaPacket): void {
    if (this.#closed) return;
    if (packet.ssrc !== this.#ssrc) this.#ssrc = packet.ssrc;
    this.#stats.packetsReceived++;
    this.#stats.bytesReceived += packet.payloadLength;
    if (this.#simulcast !== undefined) {
      const encoding = this.#encodingOf(packet);
      if (encoding < 0) return; // an SSRC whose rid we have not seen yet
      this.#simulcast.rings[encoding]!.push(packet);
      this.layers!.encoding = encoding;
    } else {
      this.#ring?.push(packet);
    }
    if (this.#audioLevelExtensionId !== 0) {
      const at = packet.findExtension(this.#audioLevelExtensionId);
      if (at >= 0 && extensionLength >= 1) {
        const byte = packet.buffer[at]!;
        packet.audioLevel = byte & 0x7f;
        packet.voiced = (byte & 0x80) !== 0;
      }
    }
    if (this.#paused) return;
    this.layers?.parse(packet);
    if (this.#audioLevelSink !== undefined && packet.audioLevel >= 0) {
      this.#audioLevelSink.onAudioLevel(this, packet.audioLevel, packet.voiced);
    }
    // Sinks see the array as it was when the packet arrived, even if one closes meanwhile.
    const sinks = this.#sinks;
    for (let i = 0; i < sinks.length; i++) sinks[i]!.onProducerRtp(packet);
  }

  /**
   * A recent packet by sequence number, for a retransmission; undefined if no
   * longer kept. Send it at once: its buffer belongs to the ring.
   */
  getPacket(sequenceNumber: number, encoding = 0): MediaPacket | undefined {
    if (this.#simulcast !== undefined) return this.#simulcast.rings[encoding]?.get(sequenceNumber);
    return this.#ring?.get(sequenceNumber);
  }

  /** Simulcast: the encoding an SSRC carries, learnt from the rid extension of its first packets. */
  #encodingOf(packet: MediaPacket): number {
    if (packet.ssrc === this.#lastSsrc) return this.#lastEncoding;
    const sim = this.#simulcast!;
    let encoding = sim.ssrcs.indexOf(packet.ssrc);
    if (encoding < 0) {
      encoding = this.#ridEncoding(packet, sim.ridId);
      if (encoding < 0) return -1;
      sim.ssrcs[encoding] = packet.ssrc;
    }
    this.#lastSsrc = packet.ssrc;
    this.#lastEncoding = encoding;
    return encoding;
  }

  #ridEncoding(packet: MediaPacket, extensionId: number): number {
    const at = extensionId ? packet.findExtension(extensionId) : -1;
    if (at < 0) return -1;
    return this.#simulcast!.rids.indexOf(packet.buffer.toString('latin1', at, at + extensionLength));
  }

  /**
   * Simulcast: the media SSRC an RTX packet repairs, from its repaired-rid
   * extension; undefined when unknown (the packet path then guesses).
   */
  mediaSsrcForRtx(packet: MediaPacket): number | undefined {
    const sim = this.#simulcast;
    if (sim === undefined) return undefined;
    const encoding = this.#ridEncoding(packet, sim.repairedRidId);
    return encoding < 0 ? undefined : (sim.ssrcs[encoding] ?? undefined);
  }

  /**
   * Asks the publisher for a keyframe. Requests from many consumers within one
   * interval collapse into one, and the trailing one is still sent, so a
   * consumer that joins just after a keyframe is never left waiting.
   */
  requestKeyFrame(): void {
    if (this.#closed || this.kind !== 'video') return;
    const now = Date.now();
    const wait = this.#lastKeyFrameRequestAt + KEYFRAME_REQUEST_INTERVAL_MS - now;
    if (wait <= 0) {
      this.#sendKeyFrameRequest();
    } else if (!this.#pendingKeyFrameTimer) {
      this.#pendingKeyFrameTimer = setTimeout(() => {
        this.#pendingKeyFrameTimer = undefined;
        this.#sendKeyFrameRequest();
      }, wait);
    }
  }

  #sendKeyFrameRequest(): void {
    if (this.#closed || this.#ssrc === null) return;
    this.#lastKeyFrameRequestAt = Date.now();
    this.#stats.keyFramesRequested++;
    // Simulcast: every encoding (a consumer switching needs the target's; coalescing keeps it cheap).
    const ssrcs = this.#simulcast ? this.#simulcast.ssrcs.filter((s): s is number => s !== null) : [this.#ssrc];
    for (const ssrc of ssrcs) {
      this.#receiver.sendRtcpPLI(ssrc).catch(() => {
        // The transport may be closing; a lost keyframe request is retried by the next consumer PLI.
      });
    }
  }

  pause(): void {
    if (this.#closed || this.#paused) return;
    this.#paused = true;
    this.safeEmit('pause');
  }

  resume(): void {
    if (this.#closed || !this.#paused) return;
    this.#paused = false;
    this.safeEmit('resume');
    this.requestKeyFrame();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#pendingKeyFrameTimer);
    this.#sinks = [];
    this.#ring?.clear();
    for (const ring of this.#simulcast?.rings ?? []) ring.clear();
    this.#audioLevelSink = undefined;
    this.safeEmit('close');
    this.removeAllListeners();
  }

  dump(): ProducerDump {
    return {
      id: this.id,
      kind: this.kind,
      mid: this.mid,
      source: this.source,
      codec: this.codec,
      paused: this.#paused,
      ssrc: this.#ssrc,
      sinks: this.#sinks.length,
      ...(this.layers
        ? { scalabilityMode: this.layers.scalabilityMode, layers: this.layers.bitrates(), resolutions: this.layers.resolutions() }
        : {}),
      ...(this.#simulcast
        ? {
            encodings: this.#simulcast.rids.map((rid, i) => ({
              rid,
              ssrc: this.#simulcast!.ssrcs[i] ?? null,
              spatialLayer: i,
              width: this.layers!.widths[i] ?? 0,
              height: this.layers!.heights[i] ?? 0,
              bitrate: Math.round(this.layers!.cumulativeBitrate(i, 2)),
            })),
          }
        : {}),
    };
  }

  getStats(): ProducerStats {
    return { ...this.#stats };
  }
}
