/**
 * A per-connection rate limit: `burst` requests at once, refilled at
 * `perSecond`. Used by the signaling and whiteboard gateways (exported as
 * `@muster/signaling/rate-limit`, a leaf module, so the whiteboard server can
 * use it without loading the signaling server).
 */
export class TokenBucket {
  readonly #perSecond: number;
  readonly #burst: number;
  #tokens: number;
  #refilledAt: number;

  constructor(perSecond: number, burst: number, now = Date.now()) {
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#refilledAt = now;
  }

  /** Takes one token; false (nothing taken) when the bucket is empty. */
  take(now = Date.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#refilledAt) / 1000) * this.#perSecond);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
