import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { PipeProducerParameters, PipeTraffic, PipeTransportStats } from './channel.ts';
import { supportedCodecs } from './codecs.ts';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import { bindInRange } from './icePatches.ts';
import { Producer, type RtpSink } from './Producer.ts';
import { wordView } from './rtp/bytes.ts';
import { forEachRtcpPacket, PLI_FMT, RTCP_BYE, RTCP_PSFB, writeBye, writePli } from './rtp/rtcp.ts';
import { isRtcpPacket, parseRtp, type MediaPacket } from './rtp/rtpPacket.ts';
import { bindUdp, enableSyncLookup } from './rtp/udp.ts';
import { emptyPipeTraffic } from './traffic.ts';

/**
 * Kernel buffers of a pipe's socket: one pipe carries every producer a room
 * sends from one worker to another, so it must absorb their bursts while the
 * worker's event loop is busy (the kernel caps it at net.core.[rw]mem_max).
 */
const SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;
/** A BYE lists at most this many SSRCs (its 5-bit count). */
const BYE_MAX_SSRCS = 31;

export interface PipeTransportDump extends PipeTransportStats {
  /** Producers this side sends into the pipe, with the pipe SSRC of each encoding. */
  outgoing: { producerId: string; ssrcs: number[] }[];
  /** Producers this side recreated from the pipe. */
  incoming: { producerId: string; ssrcs: number[]; paused: boolean }[];
}

export type PipeTransportEvents = {
  close: [];
  /** A producer recreated from the pipe by produce(); the router registers it like a published one. */
  newproducer: [producer: Producer];
};

/** A producer sent into the pipe. */
interface Outgoing {
  producer: Producer;
  /** Pipe SSRC per encoding, lowest first (one for a single stream). */
  ssrcs: number[];
  sink: RtpSink;
  onProducerClose: () => void;
}

/** A producer fed by the pipe. */
interface Incoming {
  producer: Producer;
  ssrcs: number[];
}

function randomSsrc(): number {
  return randomInt(1, 0x1_0000_0000);
}

/**
 * One end of a pipe between two Routers (mediasoup's PipeTransport): plain,
 * unencrypted RTP and RTCP muxed on one UDP socket (RFC 5761), for routers
 * of one room on other workers or hosts. The origin side consume()s a
 * producer: its packets go into the pipe unchanged but for the SSRC, one
 * pipe SSRC per simulcast encoding, chosen here. The far side produce()s it
 * again under the same id, fed by the pipe; its keyframe requests come back
 * as RTCP PLI, and a BYE from the origin closes it when the origin producer
 * goes. Loss inside the pipe is not repaired (no NACK or RTX across it): it
 * runs over loopback or a LAN, and subscribers' NACKs are answered from the
 * far producer's own packet ring.
 */
export class PipeTransport extends EnhancedEventEmitter<PipeTransportEvents> {
  readonly id: string;
  readonly #ip: string;
  readonly #portRange?: [number, number];
  readonly #socket: dgram.Socket;
  #port = 0;
  #remote: { ip: string; port: number } | null = null;
  /** Sender SSRC of the RTCP this side writes. */
  readonly #rtcpSsrc = randomSsrc();
  readonly #outgoing = new Map<string, Outgoing>();
  /** Pipe SSRC → producer sent on it: the far side's PLIs name these. */
  readonly #outgoingBySsrc = new Map<number, Outgoing>();
  readonly #incoming = new Map<string, Incoming>();
  readonly #incomingBySsrc = new Map<number, Producer>();
  readonly #traffic: PipeTraffic = emptyPipeTraffic();
  readonly #dropped: NonNullable<PipeTransportStats['dropped']> = { foreign: 0, malformed: 0, unknownSsrc: 0 };
  #closed = false;

  /** `ip`: the local address to bind (and be reached at); `portRange`: RTC_MIN_PORT..RTC_MAX_PORT, else the system picks. */
  constructor(options: { id: string; ip: string; portRange?: [number, number] }) {
    super();
    const family = isIP(options.ip);
    if (family === 0) throw new Error(`pipe transport ${options.id}: "${options.ip}" is not an IP address`);
    this.id = options.id;
    this.#ip = options.ip;
    this.#portRange = options.portRange;
    this.#socket = dgram.createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
    });
    // A far end that is gone answers with ICMP "port unreachable"; signaling closes the pipe, not an error event.
    this.#socket.on('error', () => undefined);
    this.#socket.on('message', (data, rinfo) => this.#onDatagram(data, rinfo));
  }

  /** Binds the socket; resolves with the address the far side must connect to. */
  async listen(): Promise<{ ip: string; port: number }> {
    const type = isIP(this.#ip) === 6 ? 'udp6' : 'udp4';
    if (this.#portRange) await bindInRange(this.#socket, type, this.#portRange, this.#ip);
    else await bindUdp(this.#socket, 0, this.#ip);
    this.#port = this.#socket.address().port;
    // Every destination is the one IP literal: no DNS round trip per datagram.
    enableSyncLookup(this.#socket);
    return this.local;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get local(): { ip: string; port: number } {
    return { ip: this.#ip, port: this.#port };
  }

  get remote(): { ip: string; port: number } | null {
    return this.#remote && { ...this.#remote };
  }

  /** Fixes the far end; datagrams from any other address are dropped. Repeating the same address is a no-op. */
  connect(ip: string, port: number): void {
    if (this.#closed) throw new Error(`pipe transport ${this.id} is closed`);
    // Sending on an unbound socket would bind it to an arbitrary address.
    if (this.#port === 0) throw new Error(`pipe transport ${this.id} is not listening`);
    if (isIP(ip) !== isIP(this.#ip)) throw new Error(`pipe transport ${this.id}: "${ip}" is not an address of the local one's family`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`pipe transport ${this.id}: bad port ${port}`);
    if (this.#remote) {
      if (this.#remote.ip === ip && this.#remote.port === port) return;
      throw new Error(`pipe transport ${this.id} is already connected to ${this.#remote.ip}:${this.#remote.port}`);
    }
    this.#remote = { ip, port };
  }

  /**
   * Sends `producer` into the pipe (until it or the pipe closes); returns
   * what the far side's produce() needs. Nothing goes out before connect().
   */
  consume(producer: Producer): PipeProducerParameters {
    if (this.#closed) throw new Error(`pipe transport ${this.id} is closed`);
    if (producer.closed) throw new Error(`producer ${producer.id} is closed`);
    if (this.#outgoing.has(producer.id)) throw new Error(`producer ${producer.id} is already sent into pipe transport ${this.id}`);
    const simulcast = producer.simulcast;
    const ssrcs: number[] = [];
    for (let i = 0; i < (simulcast?.rids.length ?? 1); i++) {
      let ssrc = randomSsrc();
      while (this.#outgoingBySsrc.has(ssrc) || ssrcs.includes(ssrc)) ssrc = randomSsrc();
      ssrcs.push(ssrc);
    }
    const outgoing: Outgoing = {
      producer,
      ssrcs,
      sink: { onProducerRtp: (packet) => this.#forward(outgoing, packet) },
      onProducerClose: () => this.#removeOutgoing(outgoing, true),
    };
    this.#outgoing.set(producer.id, outgoing);
    for (const ssrc of ssrcs) this.#outgoingBySsrc.set(ssrc, outgoing);
    producer.on('close', outgoing.onProducerClose);
    producer.addSink(outgoing.sink);
    return {
      id: producer.id,
      kind: producer.kind,
      mid: producer.mid,
      source: producer.source,
      codec: producer.codec,
      ssrcs: [...ssrcs],
      audioLevelExtensionId: producer.audioLevelExtensionId,
      dependencyDescriptorExtensionId: producer.dependencyDescriptorExtensionId,
      ...(simulcast ? { simulcast } : {}),
      paused: producer.paused,
    };
  }

  /** Recreates an origin producer on this side, fed by the pipe (emits 'newproducer'). */
  produce(parameters: PipeProducerParameters): Producer {
    if (this.#closed) throw new Error(`pipe transport ${this.id} is closed`);
    const { id, kind, ssrcs, simulcast } = parameters;
    if (this.#incoming.has(id)) throw new Error(`producer ${id} exists on pipe transport ${this.id}`);
    if (kind !== 'audio' && kind !== 'video') throw new Error(`producer ${id}: bad kind ${String(kind)}`);
    // Consumers here are pinned to the producer's codec: one this side cannot negotiate would be unusable.
    if (!supportedCodecs()[kind].some((c) => c.mimeType.toLowerCase() === String(parameters.codec).toLowerCase())) {
      throw new Error(`producer ${id}: unsupported codec ${parameters.codec}`);
    }
    const encodings = simulcast ? simulcast.rids.length : 1;
    if (!Array.isArray(ssrcs) || ssrcs.length !== encodings || new Set(ssrcs).size !== ssrcs.length) {
      throw new Error(`producer ${id}: expected ${encodings} distinct SSRCs`);
    }
    for (const ssrc of ssrcs) {
      if (!Number.isInteger(ssrc) || ssrc < 0 || ssrc > 0xffffffff) throw new Error(`producer ${id}: bad SSRC ${ssrc}`);
      if (this.#incomingBySsrc.has(ssrc)) throw new Error(`producer ${id}: SSRC ${ssrc} is taken on pipe transport ${this.id}`);
    }
    const producer = new Producer({
      id,
      kind,
      mid: parameters.mid,
      source: parameters.source,
      codec: parameters.codec,
      receiver: {
        sendRtcpPLI: (mediaSsrc: number) => {
          const data = Buffer.allocUnsafe(12);
          writePli(data, 0, this.#rtcpSsrc, mediaSsrc);
          this.#sendRtcp(data);
          return Promise.resolve();
        },
      },
      audioLevelExtensionId: parameters.audioLevelExtensionId,
      dependencyDescriptorExtensionId: parameters.dependencyDescriptorExtensionId,
      ssrc: ssrcs[0],
      ...(simulcast ? { simulcast, simulcastSsrcs: [...ssrcs] } : {}),
    });
    if (parameters.paused) producer.pause();
    this.#incoming.set(id, { producer, ssrcs: [...ssrcs] });
    for (const ssrc of ssrcs) this.#incomingBySsrc.set(ssrc, producer);
    producer.on('close', () => {
      this.#incoming.delete(id);
      for (const ssrc of ssrcs) this.#incomingBySsrc.delete(ssrc);
    });
    this.safeEmit('newproducer', producer);
    return producer;
  }

  getProducer(id: string): Producer | undefined {
    return this.#incoming.get(id)?.producer;
  }

  /** Origin side: copies the packet (its buffer is shared with other sinks) with the pipe SSRC of its encoding. */
  #forward(outgoing: Outgoing, packet: MediaPacket): void {
    const remote = this.#remote;
    if (remote === null) return;
    // Simulcast: the producer set the packet's encoding before its fan-out.
    const ssrc = outgoing.ssrcs.length > 1 ? outgoing.ssrcs[outgoing.producer.layers!.encoding] : outgoing.ssrcs[0];
    if (ssrc === undefined) return;
    const length = packet.length;
    const data = Buffer.allocUnsafe(length);
    packet.buffer.copy(data, 0, 0, length);
    data.writeUInt32BE(ssrc, 8);
    this.#socket.send(data, remote.port, remote.ip);
    this.#traffic.rtpPacketsSent++;
    this.#traffic.bytesSent += length;
  }

  #sendRtcp(data: Buffer): void {
    const remote = this.#remote;
    if (remote === null || this.#closed) return;
    this.#socket.send(data, remote.port, remote.ip);
    this.#traffic.rtcpPacketsSent++;
    this.#traffic.bytesSent += data.length;
  }

  /** Stops sending a producer; `bye` tells the far side, whose copy then closes. */
  #removeOutgoing(outgoing: Outgoing, bye: boolean): void {
    if (this.#outgoing.get(outgoing.producer.id) !== outgoing) return;
    this.#outgoing.delete(outgoing.producer.id);
    for (const ssrc of outgoing.ssrcs) this.#outgoingBySsrc.delete(ssrc);
    outgoing.producer.removeSink(outgoing.sink);
    outgoing.producer.off('close', outgoing.onProducerClose);
    if (bye) this.#sendBye(outgoing.ssrcs);
  }

  #sendBye(ssrcs: readonly number[]): void {
    for (let i = 0; i < ssrcs.length; i += BYE_MAX_SSRCS) {
      const chunk = ssrcs.slice(i, i + BYE_MAX_SSRCS);
      const data = Buffer.allocUnsafe(4 + 4 * chunk.length);
      writeBye(data, 0, chunk);
      this.#sendRtcp(data);
    }
  }

  #onDatagram(data: Buffer, rinfo: dgram.RemoteInfo): void {
    const remote = this.#remote;
    if (remote === null || rinfo.port !== remote.port || rinfo.address !== remote.ip) {
      this.#dropped.foreign++;
      return;
    }
    if (data.length >= 2 && isRtcpPacket(data)) this.#onRtcp(data);
    else this.#onRtp(data);
  }

  #onRtp(data: Buffer): void {
    const packet = parseRtp(data, data.length);
    if (packet === null) {
      this.#dropped.malformed++;
      return;
    }
    const producer = this.#incomingBySsrc.get(packet.ssrc);
    if (producer === undefined) {
      this.#dropped.unknownSsrc++;
      return;
    }
    packet.words = wordView(data);
    packet.receivedAt = performance.now();
    this.#traffic.rtpPacketsReceived++;
    this.#traffic.bytesReceived += data.length;
    producer.receiveRtp(packet);
  }

  #onRtcp(data: Buffer): void {
    const wellFormed = forEachRtcpPacket(data, data.length, (type, count, start, end) => {
      if (type === RTCP_PSFB && count === PLI_FMT && end - start >= 12) {
        this.#outgoingBySsrc.get(data.readUInt32BE(start + 8))?.producer.requestKeyFrame();
      } else if (type === RTCP_BYE) {
        for (let o = start + 4; o < Math.min(end, start + 4 + 4 * count); o += 4) this.#incomingBySsrc.get(data.readUInt32BE(o))?.close();
      }
    });
    if (!wellFormed) {
      this.#dropped.malformed++;
      return;
    }
    this.#traffic.rtcpPacketsReceived++;
    this.#traffic.bytesReceived += data.length;
  }

  /** Closes the producers fed by the pipe and stops sending; the far side hears a BYE for what it received. */
  close(): void {
    if (this.#closed) return;
    const ssrcs = [...this.#outgoingBySsrc.keys()];
    for (const outgoing of [...this.#outgoing.values()]) this.#removeOutgoing(outgoing, false);
    this.#sendBye(ssrcs);
    this.#closed = true;
    for (const { producer } of [...this.#incoming.values()]) producer.close();
    this.#socket.close();
    this.safeEmit('close');
    this.removeAllListeners();
  }

  getStats(): PipeTransportStats {
    return {
      id: this.id,
      local: this.local,
      remote: this.remote,
      consumers: this.#outgoing.size,
      producers: this.#incoming.size,
      ...this.#traffic,
      dropped: { ...this.#dropped },
    };
  }

  dump(): PipeTransportDump {
    return {
      ...this.getStats(),
      outgoing: [...this.#outgoing.values()].map((o) => ({ producerId: o.producer.id, ssrcs: [...o.ssrcs] })),
      incoming: [...this.#incoming.values()].map((i) => ({ producerId: i.producer.id, ssrcs: [...i.ssrcs], paused: i.producer.paused })),
    };
  }
}
