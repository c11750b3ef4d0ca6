/**
 * The send-side bandwidth estimate of one subscriber transport, from its
 * transport-wide congestion control feedback (as Google congestion control,
 * draft-ietf-rmcat-gcc-02, and libwebrtc's GoogCC, without probing):
 *
 * - every outgoing packet carries a transport-wide sequence number; the
 *   SendHistory remembers when it went out and how big it was;
 * - feedback says when each arrived (or that it did not): packets sent within
 *   5 ms form a group, and the change of one-way delay from group to group
 *   feeds DelayTrend, which says whether a queue builds (overusing), drains
 *   (underusing) or neither;
 * - AIMD on the target rate: overuse → 0.85 × what the receiver got lately
 *   (AckedBitrate); normal → +8 %/s (additively, ~1 packet per response
 *   time, near a capacity seen before), never above 1.5 × acknowledged +
 *   10 kbps, and, 10 s after the last decrease, not below acknowledged;
 *   underuse → hold while the queue drains;
 * - loss: over each ≥ 20 reported packets, more than 10 % lost caps the
 *   estimate at estimate × (1 − loss / 2); under 2 % lets the cap grow again.
 *
 * Without probing the estimate cannot rise far above what is sent, so it is
 * read, like a REMB, as a congestion signal: `congested` says this feedback
 * brought a decrease (see SubscriberBandwidth). No allocation per packet or
 * per feedback.
 */
import { AckedBitrate } from './AckedBitrate.ts';
import { DelayTrend, type BandwidthUsage } from './DelayTrend.ts';
import { SendHistory } from './SendHistory.ts';
import { REFERENCE_UNIT_MS, type TransportFeedback } from '../rtp/transportFeedback.ts';

/** Packets sent within this many ms belong to one group. */
const GROUP_MS = 5;
/** A packet arriving this soon after its group, with less delay than it, joins it (a burst out of a queue). */
const BURST_MS = 5;
const MAX_BURST_MS = 100;
/** A pause in sending longer than this starts the delay trend's groups afresh. */
const RESET_GAP_MS = 2000;
const BETA = 0.85;
/** Multiplicative increase per second. */
const INCREASE = 1.08;
/** Stands in for the response time (RTT + 100 ms) of libwebrtc's additive increase. */
const RESPONSE_TIME_MS = 200;
/** At most one delay-based decrease per this long (ms): the effect of the last one must show first. */
const DECREASE_INTERVAL_MS = 200;
/** This long (ms) after the last decrease, the estimate is not below what arrives. */
const SETTLED_MS = 10_000;
const LOSS_HIGH = 0.1;
const LOSS_LOW = 0.02;
const LOSS_MIN_PACKETS = 20;
const LOSS_DECREASE_INTERVAL_MS = 300;
/** The full range of the 24-bit reference time, in ms. */
const REFERENCE_RANGE_MS = 2 ** 24 * REFERENCE_UNIT_MS;
/** Not below this (bps): a floor that still carries a base layer's feedback. */
const MIN_RATE = 30_000;

export type RateControlState = 'increase' | 'hold' | 'decrease';

export class TransportWideEstimator {
  readonly history = new SendHistory();
  readonly #trend = new DelayTrend();
  readonly #acked = new AckedBitrate();
  // The packet group being filled, and the last complete one (send and arrival times, ms).
  #groupFirstSend = -1;
  #groupFirstArrival = 0;
  #groupSend = 0;
  #groupArrival = 0;
  #previousSend = -1;
  #previousArrival = 0;
  // The reference time, unwrapped (ms).
  #referenceBase = 0;
  #lastReference = Number.NaN;
  // Delay-based AIMD.
  #rate: number | null = null;
  #state: RateControlState = 'increase';
  #rateAt = -1;
  #decreasedAt = -Infinity;
  /** Mean and normalised variance of the acknowledged rate at decreases (bps): the link's capacity, once seen. */
  #capacity = -1;
  #capacityVariance = 0.4;
  // Loss-based cap.
  #lossCap = Infinity;
  #reported = 0;
  #lost = 0;
  #lossAt = -1;
  #lossDecreasedAt = -Infinity;
  #lossFraction = 0;
  /** The last feedback brought a decrease (delay or loss). */
  congested = false;
  feedbacks = 0;

  /** Target bitrate (bps), or null before the feedback showed a rate. */
  get estimate(): number | null {
    return this.#rate === null ? null : Math.max(MIN_RATE, Math.min(this.#rate, this.#lossCap));
  }

  get usage(): BandwidthUsage {
    return this.#trend.usage;
  }

  get state(): RateControlState {
    return this.#state;
  }

  get ackedBitrate(): number | null {
    return this.#acked.bitrate;
  }

  /** The share of packets lost in the last loss window. */
  get lossFraction(): number {
    return this.#lossFraction;
  }

  /**
   * One feedback packet, parsed; `now` is the local clock (ms). Returns true
   * when there is an estimate afterwards.
   */
  onFeedback(feedback: TransportFeedback, now: number): boolean {
    this.feedbacks++;
    this.congested = false;
    const history = this.history;
    const reference = this.#unwrapReference(feedback.referenceTime * REFERENCE_UNIT_MS);
    const base = feedback.baseSequence;
    const received = feedback.received;
    const arrivalUs = feedback.arrivalUs;
    for (let i = 0; i < feedback.count; i++) {
      const sequence = (base + i) & 0xffff;
      if (received[i] !== 0) {
        if (!history.report(sequence, true)) continue;
        const arrival = reference + arrivalUs[i]! / 1000;
        this.#reported++;
        this.#acked.add(arrival, history.bytes);
        this.#onPacket(history.sentAt, arrival);
      } else if (history.report(sequence, false)) {
        this.#reported++;
        this.#lost++;
      }
    }
    this.#updateRate(now);
    this.#updateLoss(now);
    return this.estimate !== null;
  }

  #unwrapReference(ms: number): number {
    if (!Number.isNaN(this.#lastReference)) {
      const step = ms - this.#lastReference;
      if (step > REFERENCE_RANGE_MS / 2) this.#referenceBase -= REFERENCE_RANGE_MS;
      else if (step < -REFERENCE_RANGE_MS / 2) this.#referenceBase += REFERENCE_RANGE_MS;
    }
    this.#lastReference = ms;
    return this.#referenceBase + ms;
  }

  /** One acknowledged packet, in send order: grouping, and the delay trend per complete group. */
  #onPacket(send: number, arrival: number): void {
    if (this.#groupFirstSend < 0 || send - this.#groupSend > RESET_GAP_MS) {
      this.#startGroup(send, arrival);
      this.#previousSend = -1;
      return;
    }
    if (send < this.#groupFirstSend) return; // sent before this group: reordered, already accounted
    const inGroup = send - this.#groupFirstSend <= GROUP_MS || this.#isBurst(send, arrival);
    if (inGroup) {
      if (send > this.#groupSend) this.#groupSend = send;
      if (arrival > this.#groupArrival) this.#groupArrival = arrival;
      return;
    }
    if (this.#previousSend >= 0) {
      const sendDelta = this.#groupSend - this.#previousSend;
      const arrivalDelta = this.#groupArrival - this.#previousArrival;
      this.#trend.update(arrivalDelta, sendDelta, this.#groupArrival);
    }
    this.#previousSend = this.#groupSend;
    this.#previousArrival = this.#groupArrival;
    this.#startGroup(send, arrival);
  }

  #isBurst(send: number, arrival: number): boolean {
    const arrivalDelta = arrival - this.#groupArrival;
    const sendDelta = send - this.#groupSend;
    return arrivalDelta - sendDelta < 0 && arrivalDelta <= BURST_MS && arrival - this.#groupFirstArrival < MAX_BURST_MS;
  }

  #startGroup(send: number, arrival: number): void {
    this.#groupFirstSend = send;
    this.#groupFirstArrival = arrival;
    this.#groupSend = send;
    this.#groupArrival = arrival;
  }

  #updateRate(now: number): void {
    const acked = this.#acked.bitrate;
    if (acked === null) return;
    if (this.#rate === null) {
      this.#rate = 1.5 * acked + 10_000;
      this.#rateAt = now;
    }
    const usage = this.#trend.usage;
    if (usage === 'overusing') {
      if (this.#state !== 'decrease') this.#state = 'decrease';
    } else if (usage === 'underusing') {
      this.#state = 'hold';
    } else if (this.#state === 'hold') {
      // Normal again: the queue is gone; grow from here.
      this.#state = 'increase';
    }
    const elapsed = Math.min(1000, Math.max(0, now - this.#rateAt));
    this.#rateAt = now;
    let rate = this.#rate;
    if (this.#state === 'increase') {
      if (this.#capacity > 0 && acked > this.#capacity + 3 * this.#capacityDeviation()) this.#capacity = -1; // the capacity moved up
      // Long after the last decrease, what arrives without a queue building is what the link
      // carries at least: the SFU's send rate follows the layers, not the estimate, and may
      // be far above an estimate that grew from a slow start. (Near a congestion, AIMD proper.)
      if (rate < acked && now - Math.max(this.#decreasedAt, this.#lossDecreasedAt) > SETTLED_MS) rate = acked;
      const limit = 1.5 * acked + 10_000;
      if (rate < limit) {
        const near = this.#capacity > 0 && acked > this.#capacity - 3 * this.#capacityDeviation();
        const increased = near ? rate + ((1200 * 8 * 1000) / RESPONSE_TIME_MS) * (elapsed / 1000) : rate * INCREASE ** (elapsed / 1000);
        rate = Math.min(increased, limit);
      }
    } else if (this.#state === 'decrease') {
      if (now - this.#decreasedAt >= DECREASE_INTERVAL_MS) {
        rate = Math.min(rate, BETA * acked);
        this.#decreasedAt = now;
        this.#noteCapacity(acked);
        this.congested = true;
      }
      this.#state = 'hold';
    }
    this.#rate = Math.max(MIN_RATE, rate);
  }

  /** bps; the variance is normalised in kbps, as libwebrtc keeps it. */
  #capacityDeviation(): number {
    return Math.sqrt((this.#capacityVariance * this.#capacity) / 1000) * 1000;
  }

  /** libwebrtc's link capacity estimator: an average of the acknowledged rate at decreases, with a normalised variance. */
  #noteCapacity(acked: number): void {
    const kbps = acked / 1000;
    if (this.#capacity < 0) {
      this.#capacity = acked;
      return;
    }
    const mean = this.#capacity / 1000;
    const next = 0.95 * mean + 0.05 * kbps;
    const norm = Math.max(mean, 1);
    this.#capacityVariance = Math.min(2.5, Math.max(0.4, 0.95 * this.#capacityVariance + (0.05 * (mean - kbps) ** 2) / norm));
    this.#capacity = next * 1000;
  }

  #updateLoss(now: number): void {
    if (this.#lossAt < 0) this.#lossAt = now;
    if (this.#reported < LOSS_MIN_PACKETS || this.#rate === null) return;
    const fraction = this.#lost / this.#reported;
    const elapsed = Math.min(1000, now - this.#lossAt);
    this.#lossFraction = fraction;
    this.#reported = 0;
    this.#lost = 0;
    this.#lossAt = now;
    const current = Math.min(this.#rate, this.#lossCap);
    if (fraction > LOSS_HIGH) {
      if (now - this.#lossDecreasedAt >= LOSS_DECREASE_INTERVAL_MS) {
        this.#lossCap = Math.max(MIN_RATE, current * (1 - fraction / 2));
        this.#lossDecreasedAt = now;
        this.congested = true;
      }
    } else if (fraction < LOSS_LOW && this.#lossCap !== Infinity) {
      this.#lossCap = this.#lossCap * INCREASE ** (elapsed / 1000) + 1000;
      // Once the loss cap is above the delay-based rate it no longer binds.
      if (this.#lossCap >= this.#rate) this.#lossCap = Infinity;
    }
  }
}
