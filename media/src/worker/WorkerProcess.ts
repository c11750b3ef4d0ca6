import type { ChannelMessage, ChannelNotification, PipeTraffic, WorkerMethods, WorkerNotifications, WorkerStats } from '../channel.ts';
import { rtcPortRange, type MediaConfig } from '../config.ts';
import type { PipeTransport } from '../PipeTransport.ts';
import { Router } from '../Router.ts';
import { addPipeTraffic, addTraffic, emptyPipeTraffic } from '../traffic.ts';
import { nativePacket } from '../rtp/nativePacket.ts';
import { WebRtcServer } from '../WebRtcServer.ts';

type Handler<M extends keyof WorkerMethods> = (params: WorkerMethods[M]['params']) => Promise<WorkerMethods[M]['result']> | WorkerMethods[M]['result'];

/**
 * The worker-process side of the channel: it owns the Routers of this process
 * and carries out the main process's requests on them. It can also run
 * in-process (tests, benchmarks) by passing a `send` function.
 */
export class WorkerProcess {
  readonly #routers = new Map<string, Router>();
  readonly #config: MediaConfig;
  readonly #send: (message: ChannelMessage) => void;
  readonly #handlers: { [M in keyof WorkerMethods]: Handler<M> };
  /** The worker's shared UDP port (config.sharedPort); undefined: a socket per transport. */
  readonly #webRtcServer: WebRtcServer | undefined;
  readonly #pipeTransports = new Set<PipeTransport>();
  /** Traffic of pipe transports already closed, so the worker's pipe totals never go backwards. */
  readonly #retiredPipeTraffic: PipeTraffic = emptyPipeTraffic();

  /** Binds the worker's shared UDP port first (unless config.sharedPort is false): a worker without it can carry no media. */
  static async start(config: MediaConfig, send: (message: ChannelMessage) => void): Promise<WorkerProcess> {
    const webRtcServer = config.sharedPort === false ? undefined : await WebRtcServer.create({ portRange: rtcPortRange(config) });
    return new WorkerProcess(config, send, webRtcServer);
  }

  constructor(config: MediaConfig, send: (message: ChannelMessage) => void, webRtcServer?: WebRtcServer) {
    this.#config = config;
    this.#send = send;
    this.#webRtcServer = webRtcServer;
    this.#handlers = {
      'router.create': ({ routerId }) => {
        if (this.#routers.has(routerId)) return;
        const router = new Router({ id: routerId, config: this.#config, webRtcServer: this.#webRtcServer });
        router.on('dominantspeaker', (producerId) => this.#notify('router.dominantspeaker', { routerId, producerId }));
        router.on('close', () => this.#routers.delete(routerId));
        this.#routers.set(routerId, router);
      },
      'router.close': ({ routerId }) => this.#routers.get(routerId)?.close(),
      'router.dump': ({ routerId }) => this.#router(routerId).dump(),
      'transport.create': ({ routerId, transportId, direction }) => {
        const transport = this.#router(routerId).createWebRtcTransport(transportId, direction);
        transport.on('connectionstatechange', (state) =>
          this.#notify('transport.connectionstatechange', { routerId, transportId, state }),
        );
      },
      'transport.close': ({ routerId, transportId }) => this.#routers.get(routerId)?.getTransport(transportId)?.close(),
      'transport.publish': async ({ routerId, transportId, sdp, tracks }) => {
        const result = await this.#transport(routerId, transportId).publish(sdp, tracks);
        for (const producer of result.producers) {
          producer.on('close', () => this.#notify('producer.close', { routerId, producerId: producer.id }));
        }
        return {
          sdp: result.sdp,
          closedProducerIds: result.closedProducerIds,
          producers: result.producers.map((p) => ({ id: p.id, kind: p.kind, mid: p.mid, source: p.source, codec: p.codec })),
        };
      },
      'transport.consume': ({ routerId, transportId, producerId, consumerId }) => {
        const router = this.#router(routerId);
        const producer = router.getProducer(producerId);
        if (!producer) throw new Error(`producer ${producerId} not found`);
        const consumer = this.#transport(routerId, transportId).consume(producer, consumerId);
        consumer.on('close', (reason) => this.#notify('consumer.close', { routerId, consumerId, reason }));
        return { id: consumer.id, producerId, kind: consumer.kind, mid: null };
      },
      'transport.createOffer': async ({ routerId, transportId, iceRestart }) => {
        const transport = this.#transport(routerId, transportId);
        const sdp = await transport.createOffer({ iceRestart });
        return {
          sdp,
          consumers: transport.consumers.map((c) => ({ id: c.id, producerId: c.producerId, kind: c.kind, mid: c.transceiver.mid })),
        };
      },
      'transport.applyAnswer': ({ routerId, transportId, sdp }) => this.#transport(routerId, transportId).applyAnswer(sdp),
      'transport.getStats': ({ routerId, transportId }) => this.#transport(routerId, transportId).getStats(),
      'producer.pause': ({ routerId, producerId }) => this.#producer(routerId, producerId).pause(),
      'producer.resume': ({ routerId, producerId }) => this.#producer(routerId, producerId).resume(),
      'producer.close': ({ routerId, producerId }) => this.#routers.get(routerId)?.getProducer(producerId)?.close(),
      'consumer.pause': ({ routerId, consumerId }) => this.#consumer(routerId, consumerId).pause(),
      'consumer.resume': ({ routerId, consumerId }) => this.#consumer(routerId, consumerId).resume(),
      'consumer.close': ({ routerId, consumerId }) => this.#routers.get(routerId)?.findConsumer(consumerId)?.close(),
      'consumer.setPreferences': ({ routerId, consumerId, preferences }) => this.#consumer(routerId, consumerId).setPreferences(preferences),
      'plainTransport.create': async ({ routerId, transportId }) => {
        const transport = await this.#router(routerId).createPlainTransport(transportId);
        transport.on('consumerclose', (consumerId, reason) =>
          this.#notify('plainTransport.consumerclose', { routerId, transportId, consumerId, reason }),
        );
        return { localPort: transport.localPort };
      },
      'plainTransport.close': ({ routerId, transportId }) => this.#routers.get(routerId)?.getPlainTransport(transportId)?.close(),
      'plainTransport.consume': ({ routerId, transportId, producerId, consumerId, remotePort, remoteIp, layers }) => {
        const producer = this.#producer(routerId, producerId);
        return this.#plainTransport(routerId, transportId).consume(producer, { consumerId, remotePort, remoteIp, layers });
      },
      'plainTransport.resume': ({ routerId, transportId, consumerId }) => this.#plainTransport(routerId, transportId).resume(consumerId),
      'plainTransport.requestKeyFrame': ({ routerId, transportId, consumerId }) =>
        this.#plainTransport(routerId, transportId).requestKeyFrame(consumerId),
      'plainTransport.closeConsumer': ({ routerId, transportId, consumerId }) =>
        this.#routers.get(routerId)?.getPlainTransport(transportId)?.closeConsumer(consumerId),
      'plainTransport.dump': ({ routerId, transportId }) => this.#plainTransport(routerId, transportId).dump(),
      'pipeTransport.create': async ({ routerId, transportId, ip }) => {
        const transport = await this.#router(routerId).createPipeTransport(transportId, ip);
        if (transport.closed) throw new Error(`router ${routerId} is closed`);
        this.#pipeTransports.add(transport);
        transport.on('close', () => {
          this.#pipeTransports.delete(transport);
          addPipeTraffic(this.#retiredPipeTraffic, transport.getStats());
        });
        return transport.local;
      },
      'pipeTransport.connect': ({ routerId, transportId, ip, port }) => this.#pipeTransport(routerId, transportId).connect(ip, port),
      'pipeTransport.consume': ({ routerId, transportId, producerId }) => {
        const transport = this.#pipeTransport(routerId, transportId);
        return transport.consume(this.#producer(routerId, producerId));
      },
      'pipeTransport.produce': ({ routerId, transportId, parameters }) => {
        const transport = this.#pipeTransport(routerId, transportId);
        if (this.#router(routerId).getProducer(parameters.id)) throw new Error(`producer ${parameters.id} exists`);
        const producer = transport.produce(parameters);
        producer.on('close', () => this.#notify('producer.close', { routerId, producerId: producer.id }));
      },
      'pipeTransport.close': ({ routerId, transportId }) => this.#routers.get(routerId)?.getPipeTransport(transportId)?.close(),
      'pipeTransport.getStats': ({ routerId, transportId }) => this.#pipeTransport(routerId, transportId).getStats(),
      'worker.stats': () => this.stats(),
      'worker.dump': () => ({ pid: process.pid, routers: [...this.#routers.values()].map((r) => r.dump()) }),
      'worker.ping': () => undefined,
    };
  }

  #router(id: string): Router {
    const router = this.#routers.get(id);
    if (!router) throw new Error(`router ${id} not found`);
    return router;
  }

  #transport(routerId: string, transportId: string) {
    const transport = this.#router(routerId).getTransport(transportId);
    if (!transport) throw new Error(`transport ${transportId} not found`);
    return transport;
  }

  #plainTransport(routerId: string, transportId: string) {
    const transport = this.#router(routerId).getPlainTransport(transportId);
    if (!transport) throw new Error(`plain transport ${transportId} not found`);
    return transport;
  }

  #pipeTransport(routerId: string, transportId: string) {
    const transport = this.#router(routerId).getPipeTransport(transportId);
    if (!transport) throw new Error(`pipe transport ${transportId} not found`);
    return transport;
  }

  #producer(routerId: string, producerId: string) {
    const producer = this.#router(routerId).getProducer(producerId);
    if (!producer) throw new Error(`producer ${producerId} not found`);
    return producer;
  }

  #consumer(routerId: string, consumerId: string) {
    const consumer = this.#router(routerId).findConsumer(consumerId);
    if (!consumer) throw new Error(`consumer ${consumerId} not found`);
    return consumer;
  }

  #notify<E extends keyof WorkerNotifications>(event: E, data: WorkerNotifications[E]): void {
    const message: ChannelNotification = { kind: 'notification', event, data };
    this.#send(message);
  }

  ready(): void {
    this.#notify('worker.ready', { pid: process.pid });
  }

  async handle(message: ChannelMessage): Promise<void> {
    if (message.kind !== 'request') return;
    const handler = this.#handlers[message.method] as Handler<keyof WorkerMethods> | undefined;
    try {
      if (!handler) throw new Error(`unknown method ${message.method}`);
      const result = await handler(message.params as never);
      this.#send({ kind: 'response', id: message.id, ok: true, result });
    } catch (error) {
      this.#send({ kind: 'response', id: message.id, ok: false, error: (error as Error).message ?? String(error) });
    }
  }

  stats(): WorkerStats {
    const cpu = process.cpuUsage();
    const stats: WorkerStats = {
      pid: process.pid,
      routers: this.#routers.size,
      transports: 0,
      producers: 0,
      consumers: 0,
      packetsIn: 0,
      packetsOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      cpuMicros: cpu.user + cpu.system,
      rssBytes: process.memoryUsage.rss(),
      nativePacketPath: nativePacket !== null,
      webRtcServer: this.#webRtcServer?.getStats() ?? null,
      pipe: { ...this.#retiredPipeTraffic, transports: this.#pipeTransports.size },
    };
    for (const transport of this.#pipeTransports) addPipeTraffic(stats.pipe, transport.getStats());
    for (const router of this.#routers.values()) {
      const s = router.getStats();
      stats.transports += s.transports;
      addTraffic(stats, s);
    }
    return stats;
  }

  close(): void {
    for (const router of [...this.#routers.values()]) router.close();
    this.#webRtcServer?.close();
  }
}
