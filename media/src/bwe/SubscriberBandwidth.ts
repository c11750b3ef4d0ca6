/**
 * What one subscriber's link can take, from its receiver-side estimate
 * (REMB), shared by the video consumers of its transport.
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

export class SubscriberBandwidth {
  /** bps; null before the first estimate. */
  #estimate: number | null = null;
  #estimatedAt = 0;
  #congestedAt = -Infinity;
  #hold = HOLD_MIN_MS;
  #lastUpgradeAt = -Infinity;
  /** Called whenever the estimate or the cap changes. */
  onChange?: () => void;

  get estimate(): number | null {
    return this.#estimate;
  }

  get estimatedAt(): number {
    return this.#estimatedAt;
  }

  /** A new estimate (bps) from the subscriber; `sendBitrate` is what its video consumers sent lately. */
  update(bitrate: number, sendBitrate: number, now = Date.now()): void {
    const previous = this.#estimate;
    const sharp = previous !== null && bitrate < SHARP_DROP * previous;
    const under = sendBitrate > 0 && bitrate < UNDER_SEND * sendBitrate && now - this.#lastUpgradeAt > UPGRADE_GRACE_MS;
    if (sharp || under) {
      // Congested again soon after trying higher: wait longer before the next try.
      this.#hold = now - this.#lastUpgradeAt < 2 * UPGRADE_GRACE_MS && this.#congestedAt > -Infinity ? Math.min(this.#hold * 2, HOLD_MAX_MS) : this.#hold;
      this.#congestedAt = now;
    }
    this.#estimate = bitrate;
    this.#estimatedAt = now;
    this.onChange?.();
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
