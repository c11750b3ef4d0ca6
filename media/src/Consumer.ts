import type { RTCRtpTransceiver, RtcpPacket, RtcpPayloadSpecificFeedback, RtcpTransportLayerFeedback } from 'werift';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import type { MediaKind } from './codecs.ts';
import type { Producer, RtpSink } from './Producer.ts';
import type { MediaPacket } from './rtp/rtpPacket.ts';
import type { RtpRewriter } from './rtp/RtpRewriter.ts';
import type { ConsumerOutput } from './rtp/TransportMediaPath.ts';

export interface ConsumerDump {
  id: string;
  producerId: string;
  kind: MediaKind;
  mid: string | null;
  paused: boolean;
  producerPaused: boolean;
  ssrc: number;
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
    const rewriter = this.#rewriter;
    if (this.#gapStartedAt !== null) {
      rewriter.rebase(((Date.now() - this.#gapStartedAt) * this.#clockRate) / 1000);
      this.#gapStartedAt = null;
    }
    rewriter.map(packet.sequenceNumber, packet.timestamp);
    if (output.send(packet, rewriter.sequenceNumber, rewriter.timestamp)) {
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
      const packet = this.#producer.getPacket(inSeq);
      if (!packet) continue;
      if (this.#output.send(packet, outSeq, this.#rewriter.timestamp, true)) this.#retransmissions++;
    }
  }

  #beginGap(): void {
    if (this.#gapStartedAt === null) this.#gapStartedAt = Date.now();
  }

  pause(): void {
    if (this.#closed || this.#paused) return;
    this.#paused = true;
    this.#beginGap();
  }

  resume(): void {
    if (this.#closed || !this.#paused) return;
    this.#paused = false;
    this.#producer.requestKeyFrame();
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
    };
  }

  getStats(): ConsumerStats {
    return { ...this.#stats };
  }
}
