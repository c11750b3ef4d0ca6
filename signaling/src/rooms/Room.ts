import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { Worker, WorkerEvents } from '@muster/media';
import {
  MusterError,
  type ClientRequest,
  type ClientResponses,
  type IceServer,
  type RoomInfo,
  type ServerEvents,
  type TrackSource,
} from '../protocol.ts';
import { Participant } from './Participant.ts';

/** How long the server waits for a subscriber's answer before it may offer again. */
const ANSWER_TIMEOUT_MS = 10_000;

export interface RoomOptions {
  id: string;
  worker: Worker;
  iceServers: IceServer[];
  /** How long a participant whose socket dropped is kept before it is removed. */
  participantGraceMs: number;
  onEmpty: (room: Room) => void;
}

export interface RoomDump {
  id: string;
  topic: string;
  createdAt: number;
  workerId: number;
  activeSpeakerId: string | null;
  participants: {
    id: string;
    name: string;
    role: string;
    connected: boolean;
    producers: { id: string; kind: string; source: string; codec: string; paused: boolean }[];
    consumers: { id: string; producerId: string; participantId: string; kind: string; paused: boolean }[];
  }[];
}

/**
 * A meeting. All state changes run one at a time through `#queue`, so a
 * leave can never interleave with a publish of the same participant, and a
 * worker migration sees a stable room.
 */
export class Room {
  readonly id: string;
  readonly createdAt = Date.now();
  topic: string;
  readonly participants = new Map<string, Participant>();
  #worker: Worker;
  #routerId = randomUUID();
  readonly #iceServers: IceServer[];
  readonly #participantGraceMs: number;
  readonly #onEmpty: (room: Room) => void;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #activeSpeakerProducerId: string | null = null;
  readonly #onNotification = (...args: WorkerEvents['notification']) => this.#onWorkerNotification(...args);

  constructor(options: RoomOptions) {
    this.id = options.id;
    this.topic = options.id;
    this.#worker = options.worker;
    this.#iceServers = options.iceServers;
    this.#participantGraceMs = options.participantGraceMs;
    this.#onEmpty = options.onEmpty;
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

  /** Creates the router; called once by the RoomManager before the room is used. */
  async open(): Promise<void> {
    await this.#worker.request('router.create', { routerId: this.#routerId });
    this.#worker.routerIds.add(this.#routerId);
    this.#worker.on('notification', this.#onNotification);
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  info(): RoomInfo {
    return { id: this.id, topic: this.topic };
  }

  broadcast<E extends keyof ServerEvents>(event: E, args: Parameters<ServerEvents[E]>[0], except?: Participant): void {
    for (const p of this.participants.values()) {
      if (p !== except) (p.emit as (e: E, a: unknown) => void)(event, args);
    }
  }

  get activeSpeakerId(): string | null {
    if (!this.#activeSpeakerProducerId) return null;
    for (const p of this.participants.values()) if (p.tracks.has(this.#activeSpeakerProducerId)) return p.id;
    return null;
  }

  // ------------------------------------------------------------------ join / leave

  join(socket: Socket, request: ClientRequest<'join'>): Promise<{ participant: Participant; response: ClientResponses['join'] }> {
    return this.#serial(async () => {
      if (this.#closed) throw new MusterError('NOT_FOUND', 'the meeting has ended');
      let participant: Participant | undefined;
      if (request.resume) {
        participant = this.participants.get(request.resume.participantId);
        if (!participant || !participant.hasResumeToken(request.resume.token)) {
          throw new MusterError('NOT_FOUND', 'that session has expired; join again without resume');
        }
        clearTimeout(participant.disconnectTimer);
        participant.disconnectTimer = undefined;
        if (participant.socket && participant.socket !== socket) participant.socket.disconnect(true);
        participant.socket = socket;
        participant.name = request.name;
        // An offer sent while the socket was down is lost: send a fresh one.
        participant.pendingOfferId = null;
        participant.renegotiationDue = false;
        if (participant.consumers.size > 0) this.#negotiate(participant);
      } else {
        const isFirst = [...this.participants.values()].every((p) => p.left);
        participant = new Participant({ name: request.name, role: isFirst ? 'host' : 'participant', socket });
        await this.#createTransports(participant);
        this.participants.set(participant.id, participant);
        this.broadcast('participant.joined', participant.info(), participant);
        await this.#syncSubscriptions(participant);
      }
      const self = participant;
      return {
        participant: self,
        response: {
          protocolVersion: 1,
          self: self.info(),
          room: this.info(),
          participants: [...this.participants.values()].filter((p) => p !== self).map((p) => p.info()),
          resumeToken: self.resumeToken,
          iceServers: this.#iceServers,
          activeSpeakerId: this.activeSpeakerId,
        },
      };
    });
  }

  /** The socket dropped: keep the participant for the grace period, then remove it. */
  socketLost(participant: Participant, socket: Socket): void {
    if (participant.socket !== socket || participant.left) return;
    participant.socket = null;
    clearTimeout(participant.disconnectTimer);
    participant.disconnectTimer = setTimeout(() => {
      void this.leave(participant, 'disconnected');
    }, this.#participantGraceMs);
    participant.disconnectTimer.unref();
  }

  leave(participant: Participant, reason: 'left' | 'disconnected' | 'removed' = 'left'): Promise<void> {
    return this.#serial(async () => {
      if (participant.left) return;
      participant.left = true;
      clearTimeout(participant.disconnectTimer);
      clearTimeout(participant.pendingOfferTimer);
      this.participants.delete(participant.id);
      this.broadcast('participant.left', { participantId: participant.id, reason });
      await this.#closeTransports(participant);
      // Consumers of this participant's tracks on other transports are closed by
      // the worker (producer close cascades); drop them here too, and renegotiate.
      for (const other of this.participants.values()) {
        let removed = false;
        for (const [consumerId, consumer] of other.consumers) {
          if (consumer.participantId === participant.id) {
            other.consumers.delete(consumerId);
            removed = true;
          }
        }
        if (removed) this.#negotiate(other);
      }
      if (this.participants.size === 0) this.#onEmpty(this);
    });
  }

  // ------------------------------------------------------------------ media

  async #createTransports(participant: Participant): Promise<void> {
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

  publish(participant: Participant, request: ClientRequest<'publish'>): Promise<ClientResponses['publish']> {
    return this.#serial(async () => {
      this.#assertPresent(participant);
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
        participant.tracks.set(producer.id, {
          id: producer.id,
          kind: producer.kind,
          source: producer.source as TrackSource,
          codec: producer.codec,
          paused: false,
          mid: producer.mid,
        });
      }
      this.#dropConsumersOfClosedTracks();
      this.broadcast('participant.updated', participant.info(), participant);
      for (const other of this.participants.values()) if (other !== participant) await this.#syncSubscriptions(other);
      const published = [...participant.tracks.values()];
      return { sdp: result.sdp, tracks: published };
    });
  }

  /** Removes consumers whose producer no longer exists, on every participant. */
  #dropConsumersOfClosedTracks(): void {
    const live = new Set<string>();
    for (const p of this.participants.values()) for (const id of p.tracks.keys()) live.add(id);
    for (const p of this.participants.values()) {
      let removed = false;
      for (const [consumerId, consumer] of p.consumers) {
        if (!live.has(consumer.trackId)) {
          p.consumers.delete(consumerId);
          removed = true;
        }
      }
      if (removed) this.#negotiate(p);
    }
  }

  /** Consumes every track of the others that `participant` does not consume yet. */
  async #syncSubscriptions(participant: Participant): Promise<void> {
    if (participant.left) return;
    const consumed = new Set([...participant.consumers.values()].map((c) => c.trackId));
    let added = false;
    for (const other of this.participants.values()) {
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
    if (added) this.#negotiate(participant);
  }

  /**
   * Sends the subscriber a new offer, unless one is outstanding, in which case
   * another follows its answer. Runs outside the room queue: it waits on the
   * client, and one slow client must not stall the room.
   */
  #negotiate(participant: Participant): void {
    if (participant.left) return;
    if (participant.pendingOfferId !== null || !participant.connected) {
      participant.renegotiationDue = true;
      return;
    }
    participant.renegotiationDue = false;
    const offerId = ++participant.offerId;
    participant.pendingOfferId = offerId;
    const routerId = this.#routerId;
    const transportId = participant.recvTransportId;
    this.#worker
      .request('transport.createOffer', { routerId, transportId })
      .then(({ sdp, consumers }) => {
        if (participant.left || participant.pendingOfferId !== offerId || transportId !== participant.recvTransportId) return;
        const midById = new Map(consumers.map((c) => [c.id, c.mid]));
        const list = [];
        for (const consumer of participant.consumers.values()) {
          consumer.mid = midById.get(consumer.id) ?? '';
          if (consumer.mid) {
            const { paused: _paused, ...info } = consumer;
            list.push(info);
          }
        }
        participant.emit('subscriber.offer', { offerId, sdp, consumers: list });
        clearTimeout(participant.pendingOfferTimer);
        participant.pendingOfferTimer = setTimeout(() => this.#offerSettled(participant, offerId), ANSWER_TIMEOUT_MS);
        participant.pendingOfferTimer.unref();
      })
      .catch(() => this.#offerSettled(participant, offerId));
  }

  #offerSettled(participant: Participant, offerId: number): void {
    if (participant.pendingOfferId !== offerId) return;
    clearTimeout(participant.pendingOfferTimer);
    participant.pendingOfferId = null;
    if (participant.renegotiationDue) this.#negotiate(participant);
  }

  async answer(participant: Participant, request: ClientRequest<'subscriber.answer'>): Promise<ClientResponses['subscriber.answer']> {
    this.#assertPresent(participant);
    if (participant.pendingOfferId === null || request.offerId !== participant.pendingOfferId) {
      throw new MusterError('BAD_STATE', `no offer ${request.offerId} is awaiting an answer`);
    }
    try {
      await this.#worker.request('transport.applyAnswer', {
        routerId: this.#routerId,
        transportId: participant.recvTransportId,
        sdp: request.sdp,
      });
    } catch (error) {
      this.#offerSettled(participant, request.offerId);
      throw new MusterError('BAD_REQUEST', `the answer could not be applied: ${(error as Error).message}`);
    }
    this.#offerSettled(participant, request.offerId);
    return {};
  }

  setTrackMuted(participant: Participant, source: TrackSource, muted: boolean): Promise<ClientResponses['track.setMuted']> {
    return this.#serial(async () => {
      this.#assertPresent(participant);
      const track = participant.trackBySource(source);
      if (!track) return { track: null };
      if (track.paused !== muted) {
        await this.#worker.request(muted ? 'producer.pause' : 'producer.resume', { routerId: this.#routerId, producerId: track.id });
        track.paused = muted;
        this.broadcast('participant.updated', participant.info(), participant);
      }
      const { mid: _mid, ...info } = track;
      return { track: info };
    });
  }

  /** New transports for one participant: after an ICE failure, or on request. */
  restartMedia(participant: Participant): Promise<void> {
    return this.#serial(async () => {
      this.#assertPresent(participant);
      await this.#resetParticipantMedia(participant);
      this.#dropConsumersOfClosedTracks();
      this.broadcast('participant.updated', participant.info(), participant);
      await this.#syncSubscriptions(participant);
    });
  }

  async #resetParticipantMedia(participant: Participant): Promise<void> {
    await this.#closeTransports(participant);
    participant.forgetMedia();
    await this.#createTransports(participant);
  }

  /**
   * Moves the room to another worker after its worker died: new router, new
   * transports for everyone, and every client told to publish again.
   */
  migrate(worker: Worker): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      this.#worker.off('notification', this.#onNotification);
      this.#worker.routerIds.delete(this.#routerId);
      this.#worker = worker;
      this.#routerId = randomUUID();
      this.#activeSpeakerProducerId = null;
      await this.open();
      for (const participant of this.participants.values()) {
        // The old transports died with the worker; nothing to close.
        participant.forgetMedia();
        await this.#createTransports(participant);
      }
      for (const participant of this.participants.values()) participant.emit('media.reset', { reason: 'worker-lost' });
    });
  }

  #assertPresent(participant: Participant): void {
    if (participant.left || this.#closed) throw new MusterError('NOT_JOINED', 'you are not in this meeting');
  }

  #onWorkerNotification(...[event, data]: WorkerEvents['notification']): void {
    if (event === 'router.dominantspeaker' && data.routerId === this.#routerId) {
      this.#activeSpeakerProducerId = data.producerId ?? null;
      this.broadcast('speaker.active', { participantId: this.activeSpeakerId });
    }
  }

  /** Ends the meeting for everyone. Idempotent. */
  close(reason = 'ended'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const participant of this.participants.values()) {
      participant.left = true;
      clearTimeout(participant.disconnectTimer);
      clearTimeout(participant.pendingOfferTimer);
      participant.emit('room.closed', { reason });
    }
    this.participants.clear();
    this.#worker.off('notification', this.#onNotification);
    this.#worker.routerIds.delete(this.#routerId);
    this.#worker.request('router.close', { routerId: this.#routerId }).catch(() => undefined);
  }

  dump(): RoomDump {
    return {
      id: this.id,
      topic: this.topic,
      createdAt: this.createdAt,
      workerId: this.#worker.id,
      activeSpeakerId: this.activeSpeakerId,
      participants: [...this.participants.values()].map((p) => ({
        id: p.id,
        name: p.name,
        role: p.role,
        connected: p.connected,
        producers: [...p.tracks.values()].map((t) => ({ id: t.id, kind: t.kind, source: t.source, codec: t.codec, paused: t.paused })),
        consumers: [...p.consumers.values()].map((c) => ({
          id: c.id,
          producerId: c.trackId,
          participantId: c.participantId,
          kind: c.kind,
          paused: c.paused,
        })),
      })),
    };
  }
}
