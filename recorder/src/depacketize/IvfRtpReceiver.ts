import dgram from 'node:dgram';
import { bindUdp } from '@muster/media';
import { Av1Depacketizer } from './Av1Depacketizer.ts';
import type { Depacketizer } from './Depacketizer.ts';
import { IvfWriter } from './IvfWriter.ts';
import { RtpJitterBuffer } from './RtpJitterBuffer.ts';
import { parseRtpPacket } from './RtpPacket.ts';
import { Vp9Depacketizer } from './Vp9Depacketizer.ts';

/** How often a gap that holds packets back is checked (the stream may stop behind it). */
const FLUSH_MS = 50;
/** Keyframe requests are sent at most this often: one answers them all. */
const KEYFRAME_REQUEST_INTERVAL_MS = 1_000;

/** Codecs the recorder depacketizes itself (ffmpeg 5.1 cannot take them from RTP whole). */
export function depacketizedCodec(mimeType: string): 'vp9' | 'av1' | null {
  const m = mimeType.toLowerCase();
  return m === 'video/vp9' ? 'vp9' : m === 'video/av1' ? 'av1' : null;
}

export interface IvfRtpReceiverOptions {
  codec: 'vp9' | 'av1';
  /** AV1: the dependency descriptor's header extension id (PlainRtpParameters). */
  dependencyDescriptorId?: number;
  /** IVF bytes out (ffmpeg's stdin). */
  write: (chunk: Buffer) => void;
  /** A reference was lost: ask the publisher for a keyframe. */
  requestKeyFrame: () => void;
}

/**
 * One plain-RTP video stream in, IVF out: a loopback UDP socket the SFU's
 * plain consumer sends to, a jitter buffer, the codec's depacketizer, and
 * an IVF writer. IVF timestamps are RTP timestamps less the first packet's,
 * so file time 0 is the first packet received, i.e. the first one the
 * consumer sent (its `firstPacketAt` in the manifest), as with ffmpeg's own
 * RTP input.
 */
export class IvfRtpReceiver {
  readonly #o: IvfRtpReceiverOptions;
  readonly #socket = dgram.createSocket('udp4');
  readonly #jitter: RtpJitterBuffer;
  readonly #depacketizer: Depacketizer & { dropped: number };
  readonly #ivf: IvfWriter;
  #timer?: NodeJS.Timeout;
  #firstTimestamp = -1;
  /** The last frame's RTP timestamp, and its extended (unwrapped) offset from the first packet. */
  #lastTimestamp = 0;
  #lastOffset = 0;
  #lastKeyFrameRequest = 0;
  #closed = false;
  keyFrameRequests = 0;

  constructor(options: IvfRtpReceiverOptions) {
    this.#o = options;
    this.#ivf = new IvfWriter(options.codec === 'vp9' ? 'VP90' : 'AV01', options.write);
    const events = {
      onFrame: (data: Buffer, rtpTimestamp: number, _keyFrame: boolean, size?: { width: number; height: number }) =>
        this.#ivf.writeFrame(data, this.#offset(rtpTimestamp), size),
      onKeyFrameNeeded: () => this.#requestKeyFrame(),
    };
    this.#depacketizer =
      options.codec === 'vp9' ? new Vp9Depacketizer(events) : new Av1Depacketizer(events, { dependencyDescriptorId: options.dependencyDescriptorId });
    this.#jitter = new RtpJitterBuffer({ onPacket: (p) => this.#depacketizer.push(p), onLoss: () => this.#depacketizer.lost() });
    this.#socket.on('message', (message) => this.#onMessage(message));
    // ICMP errors and the like: the stream simply has a gap.
    this.#socket.on('error', () => undefined);
  }

  /** Binds the loopback socket; resolves with its port (the consumer's remotePort). */
  async bind(): Promise<number> {
    await bindUdp(this.#socket, 0, '127.0.0.1');
    // A keyframe burst arrives faster than a busy event loop reads.
    try {
      this.#socket.setRecvBufferSize(4 << 20);
    } catch {
      // capped by net.core.rmem_max; the default still works
    }
    this.#timer = setInterval(() => this.#jitter.flush(performance.now()), FLUSH_MS);
    this.#timer.unref();
    return this.#socket.address().port;
  }

  /** AV1: the dependency descriptor's id, known once the consumer exists (before it is resumed). */
  setDependencyDescriptorId(id: number | undefined): void {
    if (this.#depacketizer instanceof Av1Depacketizer) this.#depacketizer.dependencyDescriptorId = id ?? 0;
  }

  get stats() {
    return {
      packets: this.#jitter.packets,
      duplicates: this.#jitter.duplicates,
      losses: this.#jitter.losses,
      frames: this.#ivf.frames,
      dropped: this.#depacketizer.dropped,
      keyFrameRequests: this.keyFrameRequests,
    };
  }

  #onMessage(message: Buffer): void {
    if (this.#closed) return;
    const packet = parseRtpPacket(message);
    if (!packet) return;
    if (this.#firstTimestamp < 0) {
      this.#firstTimestamp = packet.timestamp;
      this.#lastTimestamp = packet.timestamp;
    }
    this.#jitter.push(packet, performance.now());
  }

  /** RTP time since the first packet, across the 32-bit wrap. */
  #offset(rtpTimestamp: number): number {
    this.#lastOffset += (rtpTimestamp - this.#lastTimestamp) | 0;
    this.#lastTimestamp = rtpTimestamp;
    return Math.max(0, this.#lastOffset);
  }

  #requestKeyFrame(): void {
    const now = performance.now();
    if (this.#lastKeyFrameRequest && now - this.#lastKeyFrameRequest < KEYFRAME_REQUEST_INTERVAL_MS) return;
    this.#lastKeyFrameRequest = now;
    this.keyFrameRequests++;
    this.#o.requestKeyFrame();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    try {
      this.#socket.close();
    } catch {
      // never bound
    }
  }
}
