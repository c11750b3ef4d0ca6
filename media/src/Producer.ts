import type { MediaStreamTrack, RTCRtpReceiver, RtpPacket } from 'werift';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import type { MediaKind } from './codecs.ts';

const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

/** The minimum interval between keyframe requests sent to one publisher. */
export const KEYFRAME_REQUEST_INTERVAL_MS = 500;

export interface ProducerOptions {
  id: string;
  kind: MediaKind;
  mid: string;
  /** What the publisher says the track is (camera, microphone, screen, …). */
  source: string;
  receiver: RTCRtpReceiver;
  codec: string;
}

/** Something that takes a producer's packets; a Consumer, a recorder tap, a test. */
export interface RtpSink {
  onProducerRtp(rtp: RtpPacket): void;
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
 * One incoming track of a publisher. Packets fan out to sinks by direct call:
 * an event emitter per packet costs measurably at SFU packet rates.
 */
export class Producer extends EnhancedEventEmitter<ProducerEvents> {
  readonly id: string;
  readonly kind: MediaKind;
  readonly mid: string;
  readonly source: string;
  readonly codec: string;
  readonly #receiver: RTCRtpReceiver;
  readonly #sinks = new Set<RtpSink>();
  #track?: MediaStreamTrack;
  #unsubscribeTrack?: () => void;
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

  /** Binds the werift track once it exists; packets flow from then on. */
  attachTrack(track: MediaStreamTrack): void {
    if (this.#closed || this.#track === track) return;
    this.#unsubscribeTrack?.();
    this.#track = track;
    if (track.ssrc) this.#ssrc = track.ssrc;
    const { unSubscribe } = track.onReceiveRtp.subscribe((rtp, extensions) => this.#onRtp(rtp, extensions));
    this.#unsubscribeTrack = unSubscribe;
  }

  setAudioLevelSink(sink: AudioLevelSink | undefined): void {
    this.#audioLevelSink = sink;
  }

  addSink(sink: RtpSink): void {
    this.#sinks.add(sink);
  }

  removeSink(sink: RtpSink): void {
    this.#sinks.delete(sink);
  }

  #onRtp(rtp: RtpPacket, extensions?: Record<string, unknown>): void {
    if (this.#closed) return;
    this.#ssrc = rtp.header.ssrc;
    this.#stats.packetsReceived++;
    this.#stats.bytesReceived += rtp.payload.length;
    if (this.#paused) return;
    if (this.#audioLevelSink && extensions) {
      const level = extensions[AUDIO_LEVEL_URI] as { v: boolean; level: number } | undefined;
      if (level) this.#audioLevelSink.onAudioLevel(this, level.level, level.v);
    }
    for (const sink of this.#sinks) sink.onProducerRtp(rtp);
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
    this.#receiver.sendRtcpPLI(this.#ssrc).catch(() => {
      // The transport may be closing; a lost keyframe request is retried by the next consumer PLI.
    });
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
    this.#unsubscribeTrack?.();
    clearTimeout(this.#pendingKeyFrameTimer);
    this.#sinks.clear();
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
      sinks: this.#sinks.size,
    };
  }

  getStats(): ProducerStats {
    return { ...this.#stats };
  }
}
