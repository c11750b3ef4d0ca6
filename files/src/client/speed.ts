/**
 * An upload's speed, smoothed: an exponential moving average over time, so
 * a burst of progress events (or a gap between chunks) does not make the
 * number jump. Pure: the Uploader keeps the sample, tests feed it clocks.
 */
export interface SpeedSample {
  /** Bytes sent when last sampled. */
  bytes: number;
  /** When (ms). */
  at: number;
  /** The smoothed speed then (bytes/s). */
  speed: number;
}

/** How long an old rate keeps half of its weight, about (ms). */
export const SPEED_TAU_MS = 2_000;

/**
 * The next sample after `bytes` were sent by `now`. The weight of the new
 * rate grows with the time since the last sample (1 - e^(-dt/tau)); the
 * first sample starts from 0 bytes/s. A sample earlier than 50 ms after the
 * last one is folded into the next (a rate over a few ms is noise).
 */
export function nextSpeed(prev: SpeedSample | null, bytes: number, now: number, tauMs = SPEED_TAU_MS): SpeedSample {
  if (!prev) return { bytes, at: now, speed: 0 };
  const dt = now - prev.at;
  if (bytes < prev.bytes) return { bytes, at: now, speed: prev.speed };
  if (dt < 50) return prev;
  const rate = ((bytes - prev.bytes) * 1000) / dt;
  const weight = 1 - Math.exp(-dt / tauMs);
  // The first real rate is taken whole: easing in from 0 would show a slow start that was not.
  const speed = prev.speed === 0 ? rate : prev.speed + (rate - prev.speed) * weight;
  return { bytes, at: now, speed };
}

/** Seconds left at this speed, or null when unknown (no speed yet). */
export function secondsLeft(sent: number, total: number, speed: number): number | null {
  if (speed <= 0 || total <= 0) return null;
  return Math.max(0, Math.ceil((total - sent) / speed));
}
