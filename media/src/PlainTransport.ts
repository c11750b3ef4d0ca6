import dgram from 'node:dgram';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import { supportedCodecs, type MediaKind } from './codecs.ts';
import type { Producer, RtpSink } from './Producer.ts';
import type { MediaPacket } from './rtp/rtpPacket.ts';
import { bindUdp } from './rtp/udp.ts';
import { MAX_LAYER, Vp9LayerFilter, type LayerFilter } from './svc/LayerFilter.ts';

/**
 * Keyframe requests after a plain consumer starts: its receiver (ffmpeg) has
 * no RTCP feedback path, so the SFU asks for keyframes on its behalf, more
 * than once in case the first one was lost before the receiver listened.
 */
const KEYFRAME_RETRIES_MS = [0, 1_000, 3_000];

/**
 * What a plain receiver gets of scalable video (VP9 SVC): `base`, the base
 * spatial layer rewritten as a plain single-layer stream (for a generic RTP
 * receiver such as ffmpeg); `all`, every layer untouched (a receiver that
 * reassembles spatial layers itself, as the recorder's depacketizer does).
 */
export type PlainLayers = 'base' | 'all';

/** What a plain-RTP receiver must be told to read a stream (the SDP it needs). */
export interface PlainRtpParameters {
  kind: MediaKind;
  /** e.g. 'video/VP8', 'audio/opus'. */
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  /** AV1: the header extension id of the dependency descriptor in the packets, when the publisher sends one. */
  dependencyDescriptorId?: number;
}

export interface PlainConsumerDump {
  id: string;
  producerId: string;
  kind: MediaKind;
  remotePort: number;
  paused: boolean;
  packetsSent: number;
  /** Date.now() when the first packet went out, or null: the start of this track on a recording's timeline. */
  firstPacketAt: number | null;
}

export interface PlainTransportDump {
  id: string;
  localPort: number;
  consumers: PlainConsumerDump[];
}

export type PlainTransportEvents = {
  close: [];
  /** A consumer ended because its producer closed (or the transport closed). */
  consumerclose: [consumerId: string, reason: string];
};

/**
 * A plain (unencrypted, ICE-less) RTP output of a Router, as in mediasoup:
 * it consumes producers and sends their RTP to a fixed local address. The
 * recorder points one at ffmpeg per track. Scalable video is reduced to one
 * decodable layer, since a plain receiver cannot pick layers itself.
 */
export class PlainTransport extends EnhancedEventEmitter<PlainTransportEvents> {
  readonly id: string;
  readonly #socket: dgram.Socket;
  readonly #consumers = new Map<string, PlainConsumer>();
  #localPort = 0;
  #closed = false;

  constructor(options: { id: string }) {
    super();
    this.id = options.id;
    this.#socket = dgram.createSocket('udp4');
    // A receiver that is gone answers with ICMP "port unreachable"; that is its business, not an error here.
    this.#socket.on('error', () => undefined);
  }

  /** Binds the sending socket (loopback); resolves with its port. */
  async listen(): Promise<number> {
    await bindUdp(this.#socket, 0, '127.0.0.1');
    this.#localPort = this.#socket.address().port;
    return this.#localPort;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get localPort(): number {
    return this.#localPort;
  }

  /**
   * Starts a paused consumer of `producer` towards `remotePort` on loopback.
   * Call resume() once the receiver listens: the receiver's timeline starts
   * at the first packet it gets.
   */
  consume(producer: Producer, options: { consumerId: string; remotePort: number; remoteIp?: string; layers?: PlainLayers }): PlainRtpParameters {
    if (this.#closed) throw new Error(`plain transport ${this.id} is closed`);
    if (this.#consumers.has(options.consumerId)) throw new Error(`consumer ${options.consumerId} exists`);
    const codec = supportedCodecs()[producer.kind].find((c) => c.mimeType.toLowerCase() === producer.codec.toLowerCase());
    if (!codec) throw new Error(`codec ${producer.codec} cannot be sent as plain RTP`);
    const consumer = new PlainConsumer(options.consumerId, producer, options.remotePort, options.remoteIp ?? '127.0.0.1', this.#socket, options.layers ?? 'base');
    this.#consumers.set(consumer.id, consumer);
    const onProducerClose = () => this.closeConsumer(consumer.id, 'producer-closed');
    producer.on('close', onProducerClose);
    consumer.onClose = () => producer.off('close', onProducerClose);
    return {
      kind: producer.kind,
      mimeType: codec.mimeType,
      payloadType: codec.payloadType,
      clockRate: codec.clockRate,
      ...(codec.channels ? { channels: codec.channels } : {}),
      ...(producer.layers?.dependencyDescriptorId ? { dependencyDescriptorId: producer.layers.dependencyDescriptorId } : {}),
    };
  }

  resume(consumerId: string): void {
    this.#consumer(consumerId).resume();
  }

  /** Asks the consumer's publisher for a keyframe (a receiver restarted). */
  requestKeyFrame(consumerId: string): void {
    this.#consumer(consumerId).requestKeyFrames();
  }

  closeConsumer(consumerId: string, reason = 'closed'): void {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer) return;
    this.#consumers.delete(consumerId);
    consumer.close();
    this.safeEmit('consumerclose', consumerId, reason);
  }

  #consumer(id: string): PlainConsumer {
    const consumer = this.#consumers.get(id);
    if (!consumer) throw new Error(`consumer ${id} not found`);
    return consumer;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#consumers.keys()]) this.closeConsumer(id, 'transport-closed');
    this.#socket.close();
    this.safeEmit('close');
    this.removeAllListeners();
  }

  dump(): PlainTransportDump {
    return { id: this.id, localPort: this.#localPort, consumers: [...this.#consumers.values()].map((c) => c.dump()) };
  }

  getStats(): { packetsSent: number; bytesSent: number; consumers: number } {
    let packetsSent = 0;
    let bytesSent = 0;
    for (const c of this.#consumers.values()) {
      packetsSent += c.packetsSent;
      bytesSent += c.bytesSent;
    }
    return { packetsSent, bytesSent, consumers: this.#consumers.size };
  }
}

/** One producer's packets towards one plain receiver. */
class PlainConsumer implements RtpSink {
  readonly id: string;
  readonly #producer: Producer;
  readonly #remotePort: number;
  readonly #remoteIp: string;
  readonly #socket: dgram.Socket;
  readonly #filter?: LayerFilter;
  readonly #timers: NodeJS.Timeout[] = [];
  #paused = true;
  #sequenceNumber = 0;
  /** VP8 simulcast: the one encoding forwarded, chosen at resume(); -1 for a single stream. */
  #encoding = -1;
  readonly #simulcast: boolean;
  packetsSent = 0;
  bytesSent = 0;
  #firstPacketAt: number | null = null;
  onClose?: () => void;

  constructor(id: string, producer: Producer, remotePort: number, remoteIp: string, socket: dgram.Socket, layers: PlainLayers) {
    this.id = id;
    this.#producer = producer;
    this.#remotePort = remotePort;
    this.#remoteIp = remoteIp;
    this.#socket = socket;
    // A plain decoder cannot use spatial layers (ffmpeg decodes each layer
    // as a frame of its own): VP9 SVC is reduced to its base spatial layer,
    // with every temporal layer, unless the receiver takes all layers.
    // Non-scalable streams pass whole.
    if (layers === 'base' && producer.layers && producer.codec.toLowerCase() === 'video/vp9') {
      this.#filter = new Vp9LayerFilter(producer.layers);
      this.#filter.setTarget(0, MAX_LAYER);
    }
    this.#simulcast = producer.layers?.codec === 'vp8';
    producer.addSink(this);
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // VP8 simulcast: one encoding, the best the publisher sends now (its top
    // one may be off for want of bandwidth or CPU, and one that is not sent
    // would record nothing); its own SSRC and numbering reach the receiver
    // untouched. An encoding that stops later ends the receiver's input, and
    // the recorder's next part resumes a new consumer, which chooses again.
    if (this.#simulcast) this.#encoding = Math.max(0, this.#producer.layers!.activeSpatialLayers - 1);
    this.requestKeyFrames();
  }

  requestKeyFrames(): void {
    if (this.#producer.kind !== 'video') return;
    for (const delay of KEYFRAME_RETRIES_MS) {
      const timer = setTimeout(() => this.#producer.requestKeyFrame(), delay);
      timer.unref();
      this.#timers.push(timer);
    }
  }

  onProducerRtp(packet: MediaPacket): void {
    if (this.#paused) return;
    if (this.#encoding >= 0 && this.#producer.layers!.encoding !== this.#encoding) return;
    let bytes = packet.buffer.subarray(0, packet.length);
    if (this.#filter) {
      if (!this.#filter.accept(packet)) return;
      // The end of the base layer ends the picture for this receiver, and
      // sequence numbers close the gaps the dropped layers leave, which the
      // receiver would otherwise take for loss.
      bytes = withoutVp9ScalabilityStructure(Buffer.from(bytes), packet.headerLength);
      bytes[1] = this.#filter.marker ? bytes[1]! | 0x80 : bytes[1]! & 0x7f;
      bytes.writeUInt16BE(this.#sequenceNumber, 2);
      this.#sequenceNumber = (this.#sequenceNumber + 1) & 0xffff;
    }
    if (this.#firstPacketAt === null) this.#firstPacketAt = Date.now();
    this.packetsSent++;
    this.bytesSent += bytes.length;
    this.#socket.send(bytes, this.#remotePort, this.#remoteIp);
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#producer.removeSink(this);
    this.onClose?.();
  }

  dump(): PlainConsumerDump {
    return {
      id: this.id,
      producerId: this.#producer.id,
      kind: this.#producer.kind,
      remotePort: this.#remotePort,
      paused: this.#paused,
      packetsSent: this.packetsSent,
      firstPacketAt: this.#firstPacketAt,
    };
  }
}

/**
 * Rewrites a VP9 payload descriptor to the plain form a single-layer stream
 * needs: picture id, P, B and E kept; layer indices, reference diffs and the
 * scalability structure (L, F, V) removed. ffmpeg's depacketizer refuses SS
 * data and reads non-flexible layer indices one byte short, and the stream it
 * gets has one spatial layer anyway. Returns the packet unchanged if the
 * descriptor is malformed. (RFC 9628 §4.2)
 */
export function withoutVp9ScalabilityStructure(packet: Buffer, headerLength: number): Buffer {
  const start = headerLength;
  const b0 = packet[start];
  if (b0 === undefined || (b0 & 0x32) === 0) return packet; // no L, F or V: already plain
  let o = start + 1;
  if (b0 & 0x80) o += packet[o]! & 0x80 ? 2 : 1; // picture id, 7 or 15 bits
  const pictureIdEnd = o;
  const flexible = (b0 & 0x10) !== 0;
  if (b0 & 0x20) o += flexible ? 1 : 2; // layer indices (+ TL0PICIDX in non-flexible mode)
  if (flexible && b0 & 0x40) {
    // up to three reference diffs, each with a "next" bit
    for (let n = 0; n < 3 && o < packet.length; n++) if ((packet[o++]! & 0x01) === 0) break;
  }
  if (b0 & 0x02) {
    const ss = packet[o++];
    if (ss === undefined) return packet;
    if (ss & 0x10) o += 4 * ((ss >> 5) + 1); // widths and heights
    if (ss & 0x08) {
      const pictures = packet[o++] ?? 0;
      for (let i = 0; i < pictures && o < packet.length; i++) o += 1 + ((packet[o]! >> 2) & 0x03);
    }
  }
  if (o > packet.length) return packet;
  const out = Buffer.concat([packet.subarray(0, pictureIdEnd), packet.subarray(o)]);
  out[start] = b0 & ~0x32;
  return out;
}
