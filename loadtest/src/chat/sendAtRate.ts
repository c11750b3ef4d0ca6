import { nowMs } from '../payload.ts';

/**
 * Calls `send` `rate` times a second, spread evenly (checked every 5 ms),
 * until the returned function is called. The chat bots pace their sends with
 * it, Muster's and the peers' (src/peers/), so every target sees one pattern.
 */
export function sendAtRate(rate: number, send: () => void): () => void {
  const start = nowMs();
  let due = 0;
  const timer = setInterval(() => {
    const target = Math.floor(((nowMs() - start) / 1000) * rate);
    // Never more than a second's worth at once, should this process fall behind.
    let n = Math.min(target - due, Math.ceil(rate));
    due = target;
    while (n-- > 0) send();
  }, 5);
  return () => clearInterval(timer);
}
