import { randomUUID } from 'node:crypto';
import type { ConsumerDump, ProducerDump, Worker, WorkerEvents } from '@muster/media';
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

export interface MediaSessionDump {
  workerId: number;
  routerId: string;
  activeSpeakerId: string | null;
  /** By participant id. */
  participants: Record<string, ParticipantMediaDump>;
}

export type MediaSessionEvents = {
  /** The worker named another dominant speaker: the participant who publishes that audio, or null. */
  activeSpeaker: [participantId: string | null];
};

export interface MediaSessionOptions {
  worker: Worker;
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
 * A room's media on one worker: its router, a send and a recv transport per
 * participant, the producers they publish and the consumers that carry every
 * track to everyone else. The router moves to another worker when its worker
 * dies; participants keep what outlives a media rebuild (`mutedSources`,
 * `videoQuality`), and the rest is built again.
 *
 * Methods that take a RoomTransaction change media state that joins, leaves,
 * publishes and worker moves also change: only the room's queue hands one
 * out, so the compiler keeps them inside it. The others (answers, subscriber
 * preferences, dumps) may run at any time.
 */
export class MediaSession extends Emitter<MediaSessionEvents> {
  #worker: Worker;
  #routerId = randomUUID();
  readonly #participants: ReadonlyMap<string, Participant>;
  readonly #maySend: MediaSessionOptions['maySend'];
  readonly #videoQuality: MediaSessionOptions['videoQuality'];
  #closed = false;
  #activeSpeakerProducerId: string | null = null;
  readonly #onNotification = (...args: WorkerEvents['notification']) => this.#onWorkerNotification(...args);
  /** Offers to subscribers and their answers, on whichever worker the session is on now. */
  readonly #negotiation = new SubscriberNegotiation(() => ({ worker: this.#worker, routerId: this.#routerId }));

  constructor(options: MediaSessionOptions) {
    super();
    this.#worker = options.worker;
    this.#participants = options.participants;
    this.#maySend = options.maySend;
    this.#videoQuality = options.videoQuality;
  }

  get worker(): Worker {
    return this.#worker;
  }

  get routerId(): string {
    return this.#routerId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get activeSpeakerId(): string | null {
    if (!this.#activeSpeakerProducerId) return null;
    for (const p of this.#participants.values()) if (p.tracks.has(this.#activeSpeakerProducerId)) return p.id;
    return null;
  }

  async open(): Promise<void> {
    await this.#worker.request('router.create', { routerId: this.#routerId });
    this.#worker.routerIds.add(this.#routerId);
    this.#worker.on('notification', this.#onNotification);
  }

  async createTransports(_tx: RoomTransaction, participant: Participant): Promise<void> {
    participant.sendTransportId = randomUUID();
    participant.recvTransportId = randomUUID();
    await this.#worker.request('transport.create', { routerId: this.#routerId, transportId: participant.sendTransportId, direction: 'send' });
    await this.#worker.request('transport.create', { routerId: this.#routerId, transportId: participant.recvTransportId, direction: 'recv' });
  }

  async #closeTransports(participant: Participant): Promise<void> {
    for (const transportId of [participant.sendTransportId, participant.recvTransportId]) {
      await this.#worker.request('transport.close', { routerId: this.#routerId, transportId }).catch(() => undefined);
    }
  }

  /** A participant left the room: its transports close, and with them, in the worker, its producers and consumers. */
  async removeParticipant(_tx: RoomTransaction, participant: Participant): Promise<void> {
    clearTimeout(participant.pendingOfferTimer);
    await this.#closeTransports(participant);
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
   * A new router on `worker` after the old worker died, and new transports
   * for everyone; the clients must publish again.
   */
  async moveTo(tx: RoomTransaction, worker: Worker): Promise<void> {
    if (this.#closed) return;
    this.#leaveWorker();
    this.#worker = worker;
    this.#routerId = randomUUID();
    this.#activeSpeakerProducerId = null;
    await this.open();
    for (const participant of this.#participants.values()) {
      // The old transports died with the worker; nothing to close.
      participant.forgetMedia();
      await this.createTransports(tx, participant);
    }
  }

  /**
   * Applies a publisher's offer and returns the answer's SDP. Subscribing the
   * others is left to the caller (`syncSubscriptions`), so that the room tells
   * them of the new tracks before their offers arrive.
   */
  async publish(tx: RoomTransaction, participant: Participant, request: ClientRequest<'publish'>): Promise<string> {
    const sources = request.tracks.map((t) => t.source);
    if (new Set(sources).size !== sources.length) throw new MusterError('BAD_REQUEST', 'each source may be published once');
    const result = await this.#worker
      .request('transport.publish', {
        routerId: this.#routerId,
        transportId: participant.sendTransportId,
        sdp: request.sdp,
        tracks: request.tracks,
      })
      .catch((error: Error) => {
        throw new MusterError('BAD_REQUEST', `the offer could not be applied: ${error.message}`);
      });
    for (const id of result.closedProducerIds) participant.tracks.delete(id);
    for (const producer of result.producers) {
      // A source republished on a new m-section replaces the old producer.
      const previous = participant.trackBySource(producer.source as TrackSource);
      if (previous) {
        participant.tracks.delete(previous.id);
        await this.#worker.request('producer.close', { routerId: this.#routerId, producerId: previous.id }).catch(() => undefined);
      }
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
    }
    this.#dropConsumersOfClosedTracks();
    return result.sdp;
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
    let added = false;
    for (const other of this.#participants.values()) {
      if (other === participant) continue;
      for (const track of other.tracks.values()) {
        if (consumed.has(track.id)) continue;
        const consumerId = randomUUID();
        try {
          await this.#worker.request('transport.consume', {
            routerId: this.#routerId,
            transportId: participant.recvTransportId,
            producerId: track.id,
            consumerId,
          });
        } catch {
          continue; // the producer closed meanwhile
        }
        // Without a cap the worker forwards up to the top layer: only a lowered quality needs saying.
        if (track.kind === 'video' && this.#hostCapOf(other) < VIDEO_QUALITY_SPATIAL_LAYER.high) await this.#applyHostCap(consumerId, other);
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
    const routerId = this.#routerId;
    await Promise.all(
      request.tracks.map(async ({ trackId, ...preferences }) => {
        const consumer = [...participant.consumers.values()].find((c) => c.trackId === trackId);
        if (!consumer) {
          unknownTrackIds.push(trackId);
          return;
        }
        const hidden = preferences.visible === false || (preferences.width === 0 && preferences.height === 0);
        const visible = preferences.visible ?? (preferences.width !== undefined || preferences.height !== undefined ? !hidden : undefined);
        await this.#worker
          .request('consumer.setPreferences', { routerId, consumerId: consumer.id, preferences: { ...preferences, visible } })
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
    await this.#worker.request(paused ? 'producer.pause' : 'producer.resume', { routerId: this.#routerId, producerId: track.id });
    track.paused = paused;
    return true;
  }

  /** Re-applies the hosts' caps to every video consumer of the publishers `which` selects. */
  async applyHostCaps(_tx: RoomTransaction, which: (publisherId: string) => boolean): Promise<void> {
    const consumers = [...this.#participants.values()].flatMap((p) => [...p.consumers.values()]).filter((c) => c.kind === 'video' && which(c.participantId));
    await Promise.all(consumers.map((c) => this.#applyHostCap(c.id, this.#participants.get(c.participantId))));
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
  async #applyHostCap(consumerId: string, publisher: Participant | undefined): Promise<void> {
    const hostSpatialLayer = this.#hostCapOf(publisher);
    await this.#worker
      .request('consumer.setPreferences', { routerId: this.#routerId, consumerId, preferences: { hostSpatialLayer } })
      // The consumer may have closed meanwhile: nothing to cap.
      .catch(() => undefined);
  }

  #onWorkerNotification(...[event, data]: WorkerEvents['notification']): void {
    if (event === 'router.dominantspeaker' && data.routerId === this.#routerId) {
      this.#activeSpeakerProducerId = data.producerId ?? null;
      this.emit('activeSpeaker', this.activeSpeakerId);
    }
  }

  #leaveWorker(): void {
    this.#worker.off('notification', this.#onNotification);
    this.#worker.routerIds.delete(this.#routerId);
  }

  /** Closes the router, and with it, in the worker, every transport, producer and consumer. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const participant of this.#participants.values()) clearTimeout(participant.pendingOfferTimer);
    this.#leaveWorker();
    this.#worker.request('router.close', { routerId: this.#routerId }).catch(() => undefined);
  }

  dump(): MediaSessionDump {
    return {
      workerId: this.#worker.id,
      routerId: this.#routerId,
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
    const media = await this.#worker.request('router.dump', { routerId: this.#routerId }).catch(() => null);
    if (!media) return;
    const producers = new Map<string, ProducerDump>();
    const consumers = new Map<string, ConsumerDump>();
    for (const t of media.transports) {
      for (const p of t.producers) producers.set(p.id, p);
      for (const c of t.consumers) consumers.set(c.id, c);
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
