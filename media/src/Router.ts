import { ActiveSpeakerObserver } from './ActiveSpeakerObserver.ts';
import type { Consumer } from './Consumer.ts';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import { addTraffic, type Traffic } from './traffic.ts';
import { rtcPortRange, type MediaConfig } from './config.ts';
import type { Producer } from './Producer.ts';
import { PipeTransport, type PipeTransportDump } from './PipeTransport.ts';
import { PlainTransport } from './PlainTransport.ts';
import type { WebRtcServer } from './WebRtcServer.ts';
import { WebRtcTransport, type TransportDirection, type TransportDump } from './WebRtcTransport.ts';

export interface RouterDump {
  id: string;
  transports: TransportDump[];
  dominantSpeaker: string | null;
  /** Pipes to this room's routers on other workers or hosts, when there are any. */
  pipeTransports?: PipeTransportDump[];
}

export interface RouterStats extends Traffic {
  transports: number;
}

export type RouterEvents = {
  close: [];
  dominantspeaker: [producerId: string | null];
};

/** One room's media on one worker: its transports and who forwards to whom. */
export class Router extends EnhancedEventEmitter<RouterEvents> {
  readonly id: string;
  readonly #config: MediaConfig;
  readonly #webRtcServer?: WebRtcServer;
  readonly #transports = new Map<string, WebRtcTransport>();
  readonly #producers = new Map<string, Producer>();
  /** Plain-RTP outputs (recorders); they only consume, so they stay out of the traffic totals of WebRTC transports. */
  readonly #plainTransports = new Map<string, PlainTransport>();
  /** Pipes to this room's routers elsewhere; their traffic is the worker's pipe totals, not the router's. */
  readonly #pipeTransports = new Map<string, PipeTransport>();
  readonly #activeSpeaker: ActiveSpeakerObserver;
  /** Traffic of transports already closed, so router totals never go backwards. */
  readonly #retired = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
  #closed = false;

  /** `webRtcServer`: the worker's shared UDP port for this room's WebRTC transports (else a socket each). */
  constructor(options: { id: string; config: MediaConfig; webRtcServer?: WebRtcServer }) {
    super();
    this.id = options.id;
    this.#config = options.config;
    this.#webRtcServer = options.webRtcServer;
    this.#activeSpeaker = new ActiveSpeakerObserver();
    this.#activeSpeaker.on('dominantspeaker', (id) => this.safeEmit('dominantspeaker', id));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get activeSpeakerObserver(): ActiveSpeakerObserver {
    return this.#activeSpeaker;
  }

  createWebRtcTransport(id: string, direction: TransportDirection): WebRtcTransport {
    if (this.#closed) throw new Error(`router ${this.id} is closed`);
    if (this.#transports.has(id)) throw new Error(`transport ${id} exists`);
    const transport = new WebRtcTransport({ id, direction, config: this.#config, webRtcServer: this.#webRtcServer });
    this.#transports.set(id, transport);
    transport.on('newproducer', (producer) => this.#addProducer(producer));
    transport.on('close', () => {
      // Fired after the transport closed its producers and consumers; their
      // traffic is kept in the transport's own totals.
      const t = transport.getTrafficStats();
      this.#retired.packetsIn += t.packetsIn;
      this.#retired.packetsOut += t.packetsOut;
      this.#retired.bytesIn += t.bytesIn;
      this.#retired.bytesOut += t.bytesOut;
      this.#transports.delete(id);
    });
    return transport;
  }

  /** A plain-RTP output on loopback (see PlainTransport), bound and ready to consume. */
  async createPlainTransport(id: string): Promise<PlainTransport> {
    if (this.#closed) throw new Error(`router ${this.id} is closed`);
    if (this.#plainTransports.has(id)) throw new Error(`transport ${id} exists`);
    const transport = new PlainTransport({ id });
    this.#plainTransports.set(id, transport);
    transport.on('close', () => this.#plainTransports.delete(id));
    return this.#bound(transport);
  }

  /** Binds a new plain or pipe transport's socket; one that cannot bind, or whose router closed meanwhile, is closed. */
  async #bound<T extends { listen(): Promise<unknown>; close(): void }>(transport: T): Promise<T> {
    try {
      await transport.listen();
    } catch (error) {
      transport.close();
      throw error;
    }
    if (this.#closed) transport.close();
    return transport;
  }

  /**
   * A pipe to a router of this room on another worker or host, bound to `ip`
   * (see PipeTransport). Producers it recreates join this router like
   * published ones.
   */
  async createPipeTransport(id: string, ip: string): Promise<PipeTransport> {
    if (this.#closed) throw new Error(`router ${this.id} is closed`);
    if (this.#pipeTransports.has(id)) throw new Error(`transport ${id} exists`);
    const transport = new PipeTransport({ id, ip, portRange: rtcPortRange(this.#config) });
    this.#pipeTransports.set(id, transport);
    transport.on('newproducer', (producer) => this.#addProducer(producer));
    transport.on('close', () => this.#pipeTransports.delete(id));
    return this.#bound(transport);
  }

  getPipeTransport(id: string): PipeTransport | undefined {
    return this.#pipeTransports.get(id);
  }

  #addProducer(producer: Producer): void {
    this.#producers.set(producer.id, producer);
    this.#activeSpeaker.addProducer(producer);
    producer.on('close', () => {
      if (this.#producers.get(producer.id) === producer) this.#producers.delete(producer.id);
    });
  }

  getPlainTransport(id: string): PlainTransport | undefined {
    return this.#plainTransports.get(id);
  }

  getTransport(id: string): WebRtcTransport | undefined {
    return this.#transports.get(id);
  }

  getProducer(id: string): Producer | undefined {
    return this.#producers.get(id);
  }

  findConsumer(id: string): Consumer | undefined {
    for (const transport of this.#transports.values()) {
      const consumer = transport.getConsumer(id);
      if (consumer) return consumer;
    }
    return undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const transport of [...this.#transports.values()]) transport.close();
    for (const transport of [...this.#plainTransports.values()]) transport.close();
    for (const transport of [...this.#pipeTransports.values()]) transport.close();
    this.#activeSpeaker.close();
    this.safeEmit('close');
    this.removeAllListeners();
  }

  dump(): RouterDump {
    return {
      id: this.id,
      transports: [...this.#transports.values()].map((t) => t.dump()),
      dominantSpeaker: this.#activeSpeaker.dominantSpeaker,
      ...(this.#pipeTransports.size > 0 ? { pipeTransports: [...this.#pipeTransports.values()].map((t) => t.dump()) } : {}),
    };
  }

  getStats(): RouterStats {
    const stats: RouterStats = { transports: this.#transports.size, producers: 0, consumers: 0, ...this.#retired };
    for (const transport of this.#transports.values()) addTraffic(stats, transport.getTrafficStats());
    return stats;
  }
}
