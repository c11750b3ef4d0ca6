import { randomUUID } from 'node:crypto';
import type { ConsumerDump, ProducerDump, MediaWorker, WorkerEvents } from '@muster/media';
import { Emitter } from '@muster/kit/emitter';
import {
  MusterError,
  type ClientRequest,
  type ClientResponses,
  type ConsumerInfo,
  type TrackSource,
  type VideoQuality,
  VIDEO_QUALITY_SPATIAL_LAYER,
} from '../protocol.ts';
import type { Participant } from './Participant.ts';
import type { RoomTransaction } from './RoomTransaction.ts';
import { RoomRouter } from './RoomRouter.ts';
import { SubscriberNegotiation } from './SubscriberNegotiation.ts';

/** What the media worker adds to a producer in the REST dump (scalable video). */
export type ProducerMediaInfo = Partial<Pick<ProducerDump, 'scalabilityMode' | 'layers' | 'resolutions'>>;
/** What the media worker adds to a consumer in the REST dump. */
export type ConsumerMediaInfo = Partial<Pick<ConsumerDump, 'layers' | 'preferences' | 'estimatedBandwidth' | 'bweSource'>>;

/** One participant's producers and consumers, as the room dump shows them. */
export interface ParticipantMediaDump {
  producers: ({ id: string; kind: string; source: string; codec: string; paused: boolean } & ProducerMediaInfo)[];
  consumers: ({ id: string; producerId: string; participantId: string; kind: string; paused: boolean } & ConsumerMediaInfo)[];
}

/** One router of a spanning room, as the dump shows it. */
export interface RoomRouterDump {
  routerId: string;
  workerId: number;
  /** 'local', or the media host the worker runs on. */
  host: string;
  participants: number;
}

export interface MediaSessionDump {
  /** The home router's worker and router: the first, which every producer is piped to. */
  workerId: number;
  routerId: string;
  /** Every router of the room, the home one first; more than one when the room spans workers or hosts. */
  routers: RoomRouterDump[];
  activeSpeakerId: string | null;
  /** By participant id. */
  participants: Record<string, ParticipantMediaDump>;
}

export type MediaSessionEvents = {
  /** The worker named another dominant speaker: the participant who publishes that audio, or null. */
  activeSpeaker: [participantId: string | null];
};

/** How a room takes more workers when it outgrows one (RoomManager's pool behind it). */
export interface RouterPlacement {
  /**
   * Participants one router takes before the room opens another router on
   * another worker (and joins them with pipe transports).
   */
  participantsPerRouter: number;
  /** The least-loaded worker, passing over `avoid` (the room's own) while another can take it. */
  leastLoaded(avoid: ReadonlySet<MediaWorker>): Promise<MediaWorker>;
}

export interface MediaSessionOptions {
  /** Where the room's first (home) router goes. */
  worker: MediaWorker;
  /** Without it the room stays on one router whatever its size. */
  placement?: RouterPlacement;
  /**
   * The room's participants. The room alone adds and removes them; everyone
   * in it receives everyone else's tracks.
   */
  participants: ReadonlyMap<string, Participant>;
  /** Whether the meeting lets `participant` send `source` now: a producer it may not send is held paused. */
  maySend(participant: Participant, source: TrackSource): boolean;
  /** The meeting's cap on every video; each publisher's own cap (`Participant.videoQuality`) applies on top. */
  videoQuality(): VideoQuality;
}

/**
 * A room's media: its routers, a send and a recv transport per participant,
 * the producers they publish and the consumers that carry every track to
 * everyone else. A room starts on one router (its home); one that outgrows
 * `participantsPerRouter` takes another router on another worker, of this
 * host or of a media host, and the two are joined by pipe transports (as
 * mediasoup's pipeToRouter): a producer is forwarded once to each router
 * that has a subscriber of it, and every producer to the home router, so the
 * home router hears every voice (active speaker) and holds every track (the
 * recorder consumes there).
 *
 * When a worker of the room dies, the whole room is built again on live
 * workers; participants keep what outlives a media rebuild (`mutedSources`,
 * `videoQuality`), and the rest is built again.
 *
 * Methods that take a RoomTransaction change media state that joins, leaves,
 * publishes and worker moves also change: only the room's queue hands one
 * out, so the compiler keeps them inside it. The others (answers, subscriber
 * preferences, dumps) may run at any time.
 */
export class MediaSession extends Emitter<MediaSessionEvents> {
  /** The home router first; the others in the order they were opened. */
  #routers: RoomRouter[];
  readonly #placement: RouterPlacement | undefined;
  /** Which router holds each participant's transports. */
  readonly #routerOf = new Map<string, RoomRouter>();
  /** Where each producer was published. */
  readonly #origins = new Map<string, RoomRouter>();
  /** Routers other than its origin that a producer is piped to, each once. */
  readonly #copies = new Map<string, Map<RoomRouter, Promise<void>>>();
  /** The pipe transport joining two routers (one id, used on both sides), by the pair's key. */
  readonly #pipes = new Map<string, Promise<string>>();
  /** Workers whose notifications this session listens to, with how many of its routers each holds. */
  readonly #listening = new Map<MediaWorker, number>();
  readonly #participants: ReadonlyMap<string, Participant>;
  readonly #maySend: MediaSessionOptions['maySend'];
  readonly #videoQuality: MediaSessionOptions['videoQuality'];
  #closed = false;
  #activeSpeakerProducerId: string | null = null;
  readonly #onNotification = (...args: WorkerEvents['notification']) => this.#onWorkerNotification(...args);
  /** Offers to subscribers and their answers, on whichever router each subscriber is now. */
  readonly #negotiation = new SubscriberNegotiation((participant) => {
    const router = this.#routerFor(participant);
    return { worker: router.worker, routerId: router.id };
  });

  constructor(options: MediaSessionOptions) {
    super();
    this.#routers = [new RoomRouter(options.worker)];
    this.#placement = options.placement;
    this.#participants = options.participants;
    this.#maySend = options.maySend;
    this.#videoQuality = options.videoQuality;
  }

  /** The home router's worker. */
  get worker(): MediaWorker {
    return this.#home.worker;
  }

  /** The home router: the one that holds every producer of the room. */
  get routerId(): string {
    return this.#home.id;
  }

  /** Every router of the room, the home one first. */
  get routerIds(): string[] {
    return this.#routers.map((r) => r.id);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get #home(): RoomRouter {
    return this.#routers[0]!;
  }

  get activeSpeakerId(): string | null {
    if (!this.#activeSpeakerProducerId) return null;
    for (const p of this.#participants.values()) if (p.tracks.has(this.#activeSpeakerProducerId)) return p.id;
    return null;
  }

  async open(): Promise<void> {
    await this.#openRouter(this.#home);
  }

  async #openRouter(router: RoomRouter): Promise<void> {
    await router.open();
    const count = this.#listening.get(router.worker) ?? 0;
    if (count === 0) router.worker.on('notification', this.#onNotification);
    this.#listening.set(router.worker, count + 1);
  }

  #closeRouter(router: RoomRouter): void {
    router.close();
    const count = (this.#listening.get(router.worker) ?? 1) - 1;
    if (count > 0) {
      this.#listening.set(router.worker, count);
    } else {
      this.#listening.delete(router.worker);
      router.worker.off('notification', this.#onNotification);
    }
  }

  /** The router a participant's transports are on (the home router before it has any). */
  #routerFor(participant: Participant): RoomRouter {
    return this.#routerOf.get(participant.id) ?? this.#home;
  }

  /**
   * Where a newcomer's transports go: the first router with room; when all
   * are full, a new router on the least-loaded worker the room does not use
   * yet, or, when the room already uses every worker there is, its emptiest
   * router (a room never holds two routers on one worker: a pipe inside one
   * process would only add work).
   */
  async #place(participant: Participant): Promise<RoomRouter> {
    const current = this.#routerOf.get(participant.id);
    if (current && !current.closed) return current;
    const limit = this.#placement?.participantsPerRouter ?? Infinity;
    let router = this.#routers.find((r) => r.participantIds.size < limit);
    if (!router && this.#placement) {
      const used = new Set(this.#routers.map((r) => r.worker));
      const worker = await this.#placement.leastLoaded(used);
      router = this.#routers.find((r) => r.worker === worker);
      if (!router) {
        router = new RoomRouter(worker);
        await this.#openRouter(router);
        this.#routers.push(router);
      }
    }
    router ??= [...this.#routers].sort((a, b) => a.participantIds.size - b.participantIds.size)[0]!;
    router.participantIds.add(participant.id);
    this.#routerOf.set(participant.id, router);
    return router;
  }

  async createTransports(_tx: RoomTransaction, participant: Participant): Promise<void> {
    const router = await this.#place(participant);
    participant.sendTransportId = randomUUID();
    participant.recvTransportId = randomUUID();
    await router.worker.request('transport.create', { routerId: router.id, transportId: participant.sendTransportId, direction: 'send' });
    await router.worker.request('transport.create', { routerId: router.id, transportId: participant.recvTransportId, direction: 'recv' });
  }

  async #closeTransports(participant: Participant): Promise<void> {
    const router = this.#routerFor(participant);
    for (const transportId of [participant.sendTransportId, participant.recvTransportId]) {
      await router.worker.request('transport.close', { routerId: router.id, transportId }).catch(() => undefined);
    }
    // Its producers closed with its send transport; their copies on other routers must follow.
    this.#forgetProducers([...participant.tracks.keys()]);
  }

  /** A participant left the room: its transports close, and with them, in the worker, its producers and consumers. */
  async removeParticipant(_tx: RoomTransaction, participant: Participant): Promise<void> {
    clearTimeout(participant.pendingOfferTimer);
    await this.#closeTransports(participant);
    this.#unplace(participant);
    // Consumers of its tracks on other transports closed with its producers;
    // their subscribers learn of it only from a new offer.
    this.#dropConsumers((consumer) => consumer.participantId === participant.id);
  }

  /** The participant's socket came back: an offer sent while it was down is lost, so a fresh one goes out. */
  resume(_tx: RoomTransaction, participant: Participant): void {
    participant.pendingOfferId = null;
    participant.renegotiationDue = false;
    if (participant.consumers.size > 0) this.#negotiation.offer(participant);
  }

  /** New transports for one participant; its tracks are gone until it publishes again. */
  async restart(tx: RoomTransaction, participant: Participant): Promise<void> {
    await this.#closeTransports(participant);
    participant.forgetMedia();
    await this.createTransports(tx, participant);
    this.#dropConsumersOfClosedTracks();
  }

  /**
   * The room built again from `worker` after one of its workers died: new
   * routers, new transports for everyone; the clients must publish again.
   * Routers on workers still alive are closed too, since their producers'
   * publishers start over.
   */
  async moveTo(tx: RoomTransaction, worker: MediaWorker): Promise<void> {
    if (this.#closed) return;
    this.#closeAllRouters();
    this.#routers = [new RoomRouter(worker)];
    this.#activeSpeakerProducerId = null;
    await this.open();
    for (const participant of this.#participants.values()) {
      // The old transports died with the worker or with their routers; nothing to close.
      participant.forgetMedia();
      await this.createTransports(tx, participant);
    }
  }

  #closeAllRouters(): void {
    for (const router of this.#routers) this.#closeRouter(router);
    this.#routerOf.clear();
    this.#origins.clear();
    this.#copies.clear();
    this.#pipes.clear();
  }

  /** A participant is gone: its router forgets it, and a router other than the home one that is left empty closes. */
  #unplace(participant: Participant): void {
    const router = this.#routerOf.get(participant.id);
    this.#routerOf.delete(participant.id);
    if (!router) return;
    router.participantIds.delete(participant.id);
    if (router === this.#home || router.participantIds.size > 0) return;
    this.#routers = this.#routers.filter((r) => r !== router);
    this.#closeRouter(router);
    // Its pipe transports closed with it, and the copies it held with them.
    for (const copies of this.#copies.values()) copies.delete(router);
    for (const key of [...this.#pipes.keys()]) if (key.includes(router.id)) this.#pipes.delete(key);
    for (const [producerId, origin] of this.#origins) if (origin === router) this.#origins.delete(producerId);
  }

  /**
   * Applies a publisher's offer and returns the answer's SDP. Subscribing the
   * others is left to the caller (`syncSubscriptions`), so that the room tells
   * them of the new tracks before their offers arrive.
   */
  async publish(tx: RoomTransaction, participant: Participant, request: ClientRequest<'publish'>): Promise<string> {
    const sources = request.tracks.map((t) => t.source);
    if (new Set(sources).size !== sources.length) throw new MusterError('BAD_REQUEST', 'each source may be published once');
    const origin = this.#routerFor(participant);
    const result = await origin.worker
      .request('transport.publish', {
        routerId: origin.id,
        transportId: participant.sendTransportId,
        sdp: request.sdp,
        tracks: request.tracks,
      })
      .catch((error: Error) => {
        throw new MusterError('BAD_REQUEST', `the offer could not be applied: ${error.message}`);
      });
    for (const id of result.closedProducerIds) participant.tracks.delete(id);
    this.#forgetProducers(result.closedProducerIds);
    for (const producer of result.producers) {
      // A source republished on a new m-section replaces the old producer.
      const previous = participant.trackBySource(producer.source as TrackSource);
      if (previous) {
        participant.tracks.delete(previous.id);
        await origin.worker.request('producer.close', { routerId: origin.id, producerId: previous.id }).catch(() => undefined);
        this.#forgetProducers([previous.id]);
      }
      this.#origins.set(producer.id, origin);
      const source = producer.source as TrackSource;
      participant.tracks.set(producer.id, {
        id: producer.id,
        kind: producer.kind,
        source,
        codec: producer.codec,
        paused: false,
        mid: producer.mid,
      });
      // Muted before (a host's mute survives a media rebuild), or not allowed
      // to send this at all: forward nothing, whatever the client thinks.
      if (participant.mutedSources.has(source) || !this.#maySend(participant, source)) {
        await this.setSourcePaused(tx, participant, source, true);
      }
      // The home router holds every track: it hears every voice for the active speaker, and the recorder consumes there.
      await this.#pipeTo(producer.id, this.#home).catch(() => undefined);
    }
    this.#dropConsumersOfClosedTracks();
    return result.sdp;
  }

  /** The pipe transport between two routers of the room, created on both sides and connected once. */
  #pipeBetween(a: RoomRouter, b: RoomRouter): Promise<string> {
    const key = a.id < b.id ? `${a.id}|${b.id}` : `${b.id}|${a.id}`;
    let pipe = this.#pipes.get(key);
    if (!pipe) {
      pipe = (async () => {
        const transportId = randomUUID();
        const [endA, endB] = await Promise.all(
          [a, b].map((r, i) => r.worker.request('pipeTransport.create', { routerId: r.id, transportId, ip: r.pipeAddressTowards(i === 0 ? b : a) })),
        );
        await Promise.all([
          a.worker.request('pipeTransport.connect', { routerId: a.id, transportId, ip: endB!.ip, port: endB!.port }),
          b.worker.request('pipeTransport.connect', { routerId: b.id, transportId, ip: endA!.ip, port: endA!.port }),
        ]);
        return transportId;
      })();
      this.#pipes.set(key, pipe);
      // A failed pipe is tried afresh next time.
      pipe.catch(() => this.#pipes.get(key) === pipe && this.#pipes.delete(key));
    }
    return pipe;
  }

  /**
   * Forwards a producer from its origin router to `target` through their
   * pipe, once; the copy keeps the producer's id, so consumers on `target`
   * consume it as if it were published there.
   */
  #pipeTo(producerId: string, target: RoomRouter): Promise<void> {
    const origin = this.#origins.get(producerId);
    if (!origin || origin === target) return Promise.resolve();
    let copies = this.#copies.get(producerId);
    if (!copies) this.#copies.set(producerId, (copies = new Map()));
    let copy = copies.get(target);
    if (!copy) {
      copy = (async () => {
        const transportId = await this.#pipeBetween(origin, target);
        const parameters = await origin.worker.request('pipeTransport.consume', { routerId: origin.id, transportId, producerId });
        await target.worker.request('pipeTransport.produce', { routerId: target.id, transportId, parameters });
        if (parameters.paused) await target.worker.request('producer.pause', { routerId: target.id, producerId });
      })();
      copies.set(target, copy);
      copy.catch(() => copies.get(target) === copy && copies.delete(target));
    }
    return copy;
  }

  /** Producers that closed at their origin: their copies close on every other router (their consumers there with them). */
  #forgetProducers(producerIds: readonly string[]): void {
    for (const producerId of producerIds) {
      for (const router of this.#copies.get(producerId)?.keys() ?? []) {
        if (!router.closed) router.worker.request('producer.close', { routerId: router.id, producerId }).catch(() => undefined);
      }
      this.#copies.delete(producerId);
      this.#origins.delete(producerId);
    }
  }

  /** Removes consumers whose producer no longer exists, on every participant. */
  #dropConsumersOfClosedTracks(): void {
    const live = new Set<string>();
    for (const p of this.#participants.values()) for (const id of p.tracks.keys()) live.add(id);
    this.#dropConsumers((consumer) => !live.has(consumer.trackId));
  }

  /** Forgets the consumers `which` selects, on every participant, and offers again to whoever lost one. */
  #dropConsumers(which: (consumer: ConsumerInfo) => boolean): void {
    for (const p of this.#participants.values()) {
      let removed = false;
      for (const [consumerId, consumer] of p.consumers) {
        if (which(consumer)) {
          p.consumers.delete(consumerId);
          removed = true;
        }
      }
      if (removed) this.#negotiation.offer(p);
    }
  }

  /** Consumes every track of the others that `participant` does not consume yet. */
  async syncSubscriptions(_tx: RoomTransaction, participant: Participant): Promise<void> {
    if (participant.left) return;
    const consumed = new Set([...participant.consumers.values()].map((c) => c.trackId));
    const router = this.#routerFor(participant);
    let added = false;
    for (const other of this.#participants.values()) {
      if (other === participant) continue;
      for (const track of other.tracks.values()) {
        if (consumed.has(track.id)) continue;
        const consumerId = randomUUID();
        try {
          // A track published on another router of the room comes through their pipe.
          await this.#pipeTo(track.id, router);
          await router.worker.request('transport.consume', {
            routerId: router.id,
            transportId: participant.recvTransportId,
            producerId: track.id,
            consumerId,
          });
        } catch {
          continue; // the producer closed meanwhile
        }
        // Without a cap the worker forwards up to the top layer: only a lowered quality needs saying.
        if (track.kind === 'video' && this.#hostCapOf(other) < VIDEO_QUALITY_SPATIAL_LAYER.high) await this.#applyHostCap(router, consumerId, other);
        participant.consumers.set(consumerId, {
          id: consumerId,
          trackId: track.id,
          participantId: other.id,
          kind: track.kind,
          source: track.source,
          mid: '',
          paused: false,
        });
        added = true;
      }
    }
    if (added) this.#negotiation.offer(participant);
  }

  /** Applies the subscriber's answer to the offer outstanding. */
  answer(participant: Participant, request: ClientRequest<'subscriber.answer'>): Promise<void> {
    return this.#negotiation.answer(participant, request);
  }

  /** Takes no transaction: it changes no room state, so it need not wait behind joins and publishes. */
  async updateSubscriptions(
    participant: Participant,
    request: ClientRequest<'subscription.update'>,
  ): Promise<ClientResponses['subscription.update']> {
    const unknownTrackIds: string[] = [];
    const router = this.#routerFor(participant);
    await Promise.all(
      request.tracks.map(async ({ trackId, ...preferences }) => {
        const consumer = [...participant.consumers.values()].find((c) => c.trackId === trackId);
        if (!consumer) {
          unknownTrackIds.push(trackId);
          return;
        }
        const hidden = preferences.visible === false || (preferences.width === 0 && preferences.height === 0);
        const visible = preferences.visible ?? (preferences.width !== undefined || preferences.height !== undefined ? !hidden : undefined);
        await router.worker
          .request('consumer.setPreferences', { routerId: router.id, consumerId: consumer.id, preferences: { ...preferences, visible } })
          .then(() => {
            if (visible !== undefined) consumer.paused = !visible;
          })
          // The consumer may have closed meanwhile (producer gone, media restart): nothing to update.
          .catch(() => undefined);
      }),
    );
    return { unknownTrackIds };
  }

  /** Pauses or resumes the producer of `source` and remembers the choice for republished media. True if a producer changed. */
  async setSourcePaused(_tx: RoomTransaction, participant: Participant, source: TrackSource, paused: boolean): Promise<boolean> {
    if (paused) participant.mutedSources.add(source);
    else participant.mutedSources.delete(source);
    const track = participant.trackBySource(source);
    if (!track || track.paused === paused) return false;
    const origin = this.#routerFor(participant);
    await origin.worker.request(paused ? 'producer.pause' : 'producer.resume', { routerId: origin.id, producerId: track.id });
    // Copies on other routers follow, so that their consumers see the producer paused too.
    await Promise.all(
      [...(this.#copies.get(track.id)?.entries() ?? [])].map(([router, copied]) =>
        copied.then(() => router.worker.request(paused ? 'producer.pause' : 'producer.resume', { routerId: router.id, producerId: track.id })).catch(() => undefined),
      ),
    );
    track.paused = paused;
    return true;
  }

  /** Re-applies the hosts' caps to every video consumer of the publishers `which` selects. */
  async applyHostCaps(_tx: RoomTransaction, which: (publisherId: string) => boolean): Promise<void> {
    const consumers = [...this.#participants.values()].flatMap((p) =>
      [...p.consumers.values()].filter((c) => c.kind === 'video' && which(c.participantId)).map((c) => ({ router: this.#routerFor(p), consumer: c })),
    );
    await Promise.all(consumers.map(({ router, consumer }) => this.#applyHostCap(router, consumer.id, this.#participants.get(consumer.participantId))));
  }

  /** The highest spatial layer the hosts let through of `publisher`'s video: the meeting's cap and the person's, the lower. */
  #hostCapOf(publisher: Participant | undefined): number {
    const meeting = VIDEO_QUALITY_SPATIAL_LAYER[this.#videoQuality()];
    return publisher ? Math.min(meeting, VIDEO_QUALITY_SPATIAL_LAYER[publisher.videoQuality]) : meeting;
  }

  /**
   * The hosts' cap on a video consumer, apart from the subscriber's own layer
   * preference (the worker keeps both and takes the lower).
   */
  async #applyHostCap(router: RoomRouter, consumerId: string, publisher: Participant | undefined): Promise<void> {
    const hostSpatialLayer = this.#hostCapOf(publisher);
    await router.worker
      .request('consumer.setPreferences', { routerId: router.id, consumerId, preferences: { hostSpatialLayer } })
      // The consumer may have closed meanwhile: nothing to cap.
      .catch(() => undefined);
  }

  #onWorkerNotification(...[event, data]: WorkerEvents['notification']): void {
    // The home router hears every voice (each producer is piped there); the others' verdicts would disagree.
    if (event === 'router.dominantspeaker' && data.routerId === this.#home.id) {
      this.#activeSpeakerProducerId = data.producerId ?? null;
      this.emit('activeSpeaker', this.activeSpeakerId);
    }
  }

  /** Closes the routers, and with them, in the workers, every transport, producer and consumer. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const participant of this.#participants.values()) clearTimeout(participant.pendingOfferTimer);
    this.#closeAllRouters();
  }

  dump(): MediaSessionDump {
    return {
      workerId: this.#home.worker.id,
      routerId: this.#home.id,
      routers: this.#routers.map((r) => ({ routerId: r.id, workerId: r.worker.id, host: r.worker.host, participants: r.participantIds.size })),
      activeSpeakerId: this.activeSpeakerId,
      participants: Object.fromEntries([...this.#participants.values()].map((p) => [p.id, this.#dumpOf(p)])),
    };
  }

  #dumpOf(participant: Participant): ParticipantMediaDump {
    return {
      producers: [...participant.tracks.values()].map((t) => ({ id: t.id, kind: t.kind, source: t.source, codec: t.codec, paused: t.paused })),
      consumers: [...participant.consumers.values()].map((c) => ({
        id: c.id,
        producerId: c.trackId,
        participantId: c.participantId,
        kind: c.kind,
        paused: c.paused,
      })),
    };
  }

  /**
   * Adds the worker's view (codecs, layers and bitrates, consumer layers and
   * bandwidth) to dumps taken before, in place; leaves them as they are when
   * the worker does not answer.
   */
  async addWorkerView(dumps: ParticipantMediaDump[]): Promise<void> {
    const views = await Promise.all(this.#routers.map((r) => r.worker.request('router.dump', { routerId: r.id }).catch(() => null)));
    if (views.every((v) => v === null)) return;
    const producers = new Map<string, ProducerDump>();
    const consumers = new Map<string, ConsumerDump>();
    for (const media of views) {
      for (const t of media?.transports ?? []) {
        for (const p of t.producers) producers.set(p.id, p);
        for (const c of t.consumers) consumers.set(c.id, c);
      }
    }
    for (const p of dumps) {
      p.producers = p.producers.map((entry) => {
        const m = producers.get(entry.id);
        return m ? { ...entry, scalabilityMode: m.scalabilityMode, layers: m.layers, resolutions: m.resolutions } : entry;
      });
      p.consumers = p.consumers.map((entry) => {
        const m = consumers.get(entry.id);
        return m ? { ...entry, layers: m.layers, preferences: m.preferences, estimatedBandwidth: m.estimatedBandwidth, bweSource: m.bweSource } : entry;
      });
    }
  }
}
