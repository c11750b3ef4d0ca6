/**
 * The bots' probe, written into the last 16 bytes of every payload: the SFU
 * forwards payloads untouched, so the receiver can tell the send time and its
 * own per-stream sequence number (RTP sequence numbers are rewritten per
 * consumer and say nothing about loss end to end).
 */
export const PROBE_BYTES = 16;
const MAGIC = 0x4d535452; // "MSTR"

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function writeProbe(payload: Buffer, seq: number, sentAtMs: number): void {
  const at = payload.length - PROBE_BYTES;
  payload.writeUInt32BE(MAGIC, at);
  payload.writeUInt32BE(seq >>> 0, at + 4);
  payload.writeDoubleBE(sentAtMs, at + 8);
}

export function readProbe(payload: Buffer): { seq: number; sentAtMs: number } | null {
  if (payload.length < PROBE_BYTES) return null;
  const at = payload.length - PROBE_BYTES;
  if (payload.readUInt32BE(at) !== MAGIC) return null;
  return { seq: payload.readUInt32BE(at + 4), sentAtMs: payload.readDoubleBE(at + 8) };
}
