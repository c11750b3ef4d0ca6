/**
 * What one subscriber's link can take, shared by the video consumers of its
 * transport: from the send-side estimate of its transport-wide congestion
 * control feedback (TWCC, see TransportWideEstimator) when it negotiated
 * that, else from its receiver-side estimate (REMB).
 *
 * TWCC's estimate says itself when it is congested (a delay-based or
 * loss-based decrease): that caps the consumers at the estimate for a hold
 * time, which doubles when an upgrade after it fails again soon (as below).
 *
 * A receive-side estimate (libwebrtc's AIMD) follows what the receiver gets:
 * without congestion it grows to at most 1.5× the incoming rate, so it can
 * never ask for a layer much above the current one. It is therefore read as
 * a congestion signal: a sharp drop, or (once an upgrade has had time to
 * settle) an estimate below what we send, caps the consumers at what fits in
 * it for a hold time; the hold doubles when an upgrade attempt after it fails
 * again soon. Otherwise nothing is capped, and an estimate that is known to
 * be high enough lets consumers climb at once.
 */

/** An upgrade's extra traffic needs this long to show in a REMB. */
export const UPGRADE_GRACE_MS = 12_000;
export const HOLD_MIN_MS = 5_000;
export const HOLD_MAX_MS = 60_000;
/** An estimate below this share of the previous one is a congestion signal at once. */
const SHARP_DROP = 0.75;
/** An estimate below this share of the send rate means the link does not carry it. */
const UNDER_SEND = 0.9;
/** REMB is ignored while transport-wide estimates came this recently (ms). */
const TWCC_FRESH_MS = 3000;

export type BandwidthSource = 'twcc' | 'remb';

export class SubscriberBandwidth {
  /** bps; null before the first estimate. */
  #estimate: number | null = null;
  #estimatedAt = 0;
  #congestedAt = -Infinity;
  #hold = HOLD_MIN_MS;
  #lastUpgradeAt = -Infinity;
  #source: BandwidthSource | null = null;
  /** Called whenever the estimate or the cap changes. */
  onChange?: () => void;

  get estimate(): number | null {
    return this.#estimate;
  }

  get estimatedAt(): number {
    return this.#estimatedAt;
  }

  /** Where the estimate comes from; null before the first. */
  get source(): BandwidthSource | null {
    return this.#source;
  }

  /**
   * A new REMB (bps) from the subscriber; `sendBitrate` is what its video
   * consumers sent lately. False (and ignored) while transport-wide
   * estimates arrive: those see the link, REMB only what got through.
   */
  update(bitrate: number, sendBitrate: number, now = Date.now()): boolean {
    if (this.#source === 'twcc' && now - this.#estimatedAt < TWCC_FRESH_MS) return false;
    this.#source = 'remb';
    const previous = this.#estimate;
    const sharp = previous !== null && bitrate < SHARP_DROP * previous;
    const under = sendBitrate > 0 && bitrate < UNDER_SEND * sendBitrate && now - this.#lastUpgradeAt > UPGRADE_GRACE_MS;
    if (sharp || under) this.#congested(now);
    this.#estimate = bitrate;
    this.#estimatedAt = now;
    this.onChange?.();
    return true;
  }

  /** A transport-wide estimate (bps); `congested`: it came with a decrease. */
  updateTransportWide(bitrate: number, congested: boolean, now = Date.now()): void {
    this.#source = 'twcc';
    if (congested) this.#congested(now);
    this.#estimate = bitrate;
    this.#estimatedAt = now;
    this.onChange?.();
  }

  #congested(now: number): void {
    // Congested again soon after trying higher: wait longer before the next try.
    if (now - this.#lastUpgradeAt < 2 * UPGRADE_GRACE_MS && this.#congestedAt > -Infinity && now - this.#congestedAt >= this.#hold) {
      this.#hold = Math.min(this.#hold * 2, HOLD_MAX_MS);
    }
    this.#congestedAt = now;
  }

  /** Capped now: the link was congested within the hold time. */
  congestedNow(now = Date.now()): boolean {
    return this.#estimate !== null && now - this.#congestedAt < this.#hold;
  }

  /** The cap for the subscriber's video (bps): the estimate while congested, else none. */
  cap(now = Date.now()): number {
    if (this.#estimate === null) return Infinity;
    if (now - this.#congestedAt < this.#hold) return this.#estimate;
    return Infinity;
  }

  /** The consumers moved to layers that send more: give it time to show in the estimate. */
  noteUpgrade(now = Date.now()): void {
    this.#lastUpgradeAt = now;
  }
}
