import { checkRemoteSdp, MAX_ANSWER_MEDIA_SECTIONS, type MediaWorker } from '@muster/media';
import { MusterError, type ClientRequest } from '../protocol.ts';
import type { Participant } from './Participant.ts';

/** How long the server waits for a subscriber's answer before it may offer again. */
const ANSWER_TIMEOUT_MS = 10_000;

/** Where a subscriber's transport is now: its worker and router change when a worker dies, and differ between subscribers of a room that spans workers. */
export type RoomMedia = (participant: Participant) => { worker: MediaWorker; routerId: string };

/**
 * The server-offers, subscriber-answers half of a room's media: one offer
 * outstanding per subscriber at a time, another sent after its answer (or its
 * timeout) when more changed meanwhile. It runs outside the room's queue: it
 * waits on the client, and one slow client must not stall the room.
 */
export class SubscriberNegotiation {
  readonly #media: RoomMedia;

  constructor(media: RoomMedia) {
    this.#media = media;
  }

  /** Sends the subscriber a new offer, unless one is outstanding, in which case another follows its answer. */
  offer(participant: Participant): void {
    if (participant.left) return;
    if (participant.pendingOfferId !== null || !participant.connected) {
      participant.renegotiationDue = true;
      return;
    }
    participant.renegotiationDue = false;
    const offerId = ++participant.offerId;
    participant.pendingOfferId = offerId;
    const { worker, routerId } = this.#media(participant);
    const transportId = participant.recvTransportId;
    worker
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
        participant.pendingOfferTimer = setTimeout(() => this.#settled(participant, offerId), ANSWER_TIMEOUT_MS);
        participant.pendingOfferTimer.unref();
      })
      .catch(() => this.#settled(participant, offerId));
  }

  /** Applies the subscriber's answer to the offer outstanding. */
  async answer(participant: Participant, request: ClientRequest<'subscriber.answer'>): Promise<void> {
    if (participant.pendingOfferId === null || request.offerId !== participant.pendingOfferId) {
      throw new MusterError('BAD_STATE', `no offer ${request.offerId} is awaiting an answer`);
    }
    const sdp = checkRemoteSdp(request.sdp, { kind: 'answer', maxMediaSections: MAX_ANSWER_MEDIA_SECTIONS });
    // Refused like any invalid request, changing nothing: the offer still awaits a proper answer (or its timeout).
    if (!sdp.ok) throw new MusterError('BAD_SDP', `the answer was refused: ${sdp.reason}`);
    const { worker, routerId } = this.#media(participant);
    try {
      await worker.request('transport.applyAnswer', { routerId, transportId: participant.recvTransportId, sdp: request.sdp });
    } catch (error) {
      throw new MusterError('BAD_REQUEST', `the answer could not be applied: ${(error as Error).message}`);
    } finally {
      this.#settled(participant, request.offerId);
    }
  }

  #settled(participant: Participant, offerId: number): void {
    if (participant.pendingOfferId !== offerId) return;
    clearTimeout(participant.pendingOfferTimer);
    participant.pendingOfferId = null;
    if (participant.renegotiationDue) this.offer(participant);
  }
}
