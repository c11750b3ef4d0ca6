import type { RTCRtpTransceiver, RtcpPayloadSpecificFeedback, RtpPacket } from 'werift';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import type { MediaKind } from './codecs.ts';
import type { Producer, RtpSink } from './Producer.ts';

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

const PLI = 206; // RTCP payload-specific feedback
const PLI_FMT = 1;
const FIR_FMT = 4;

/**
 * Forwards one producer's packets to one subscriber. Owns the sending
 * transceiver's RTP continuity: across a pause the receiver sees a contiguous
 * sequence and a timestamp jump matching the wall-clock gap, so it neither
 * NACKs the gap nor mis-times playout.
 */
export class Consumer extends EnhancedEventEmitter<ConsumerEvents> implements RtpSink {
  readonly id: string;
  readonly producerId: string;
  readonly kind: MediaKind;
  readonly #producer: Producer;
  readonly #transceiver: RTCRtpTransceiver;
  readonly #clockRate: number;
  #paused = false;
  #closed = false;
  /** Set while not forwarding; the next forwarded packet re-bases continuity. */
  #gapStartedAt: number | null = null;
  readonly #stats: ConsumerStats = { packetsSent: 0, bytesSent: 0, keyFrameRequestsReceived: 0 };
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
    /** The transceiver carried another producer before: its RTP numbering must continue, not restart. */
    reusedSlot?: boolean;
  }) {
    super();
    this.id = options.id;
    this.#producer = options.producer;
    this.producerId = options.producer.id;
    this.kind = options.producer.kind;
    this.#transceiver = options.transceiver;
    this.#clockRate = options.clockRate;
    this.#producer.on('pause', this.#onProducerPause);
    this.#producer.on('resume', this.#onProducerResume);
    this.#producer.on('close', this.#onProducerClose);
    this.#producer.addSink(this);
    const { unSubscribe } = this.#transceiver.sender.onRtcp.subscribe((packet) => {
      if (packet.type !== PLI) return;
      const fmt = (packet as RtcpPayloadSpecificFeedback).feedback.count;
      if (fmt === PLI_FMT || fmt === FIR_FMT) {
        this.#stats.keyFrameRequestsReceived++;
        this.#producer.requestKeyFrame();
      }
    });
    this.#unsubscribeRtcp = unSubscribe;
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

  onProducerRtp(rtp: RtpPacket): void {
    if (this.#paused || this.#closed) return;
    const sender = this.#transceiver.sender;
    // Until DTLS is up (or once the sender stopped) werift drops the packet
    // silently; not counting it keeps packetsSent equal to what went out.
    if (sender.stopped || !sender.codec || sender.dtlsTransport?.state !== 'connected') return;
    if (this.#gapStartedAt !== null) {
      const elapsedTicks = Math.max(1, Math.round(((Date.now() - this.#gapStartedAt) * this.#clockRate) / 1000));
      sender.replaceRTP(rtp.header, false, elapsedTicks);
      this.#gapStartedAt = null;
    }
    // Header extensions carry the publisher's negotiated ids, which mean nothing
    // to this subscriber; werift writes the ones negotiated on this transport.
    // The packet is shared with the producer's other sinks, so the extensions
    // are put back once werift has taken its copy (synchronously, in sendRtp).
    const extensions = rtp.header.extensions;
    rtp.header.extensions = [];
    this.#stats.packetsSent++;
    this.#stats.bytesSent += rtp.payload.length;
    try {
      sender.sendRtp(rtp).catch(() => {
        // A send fails only while the transport is closing; nothing to recover.
      });
    } finally {
      rtp.header.extensions = extensions;
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
      ssrc: this.#transceiver.sender.ssrc,
    };
  }

  getStats(): ConsumerStats {
    return { ...this.#stats };
  }
}
