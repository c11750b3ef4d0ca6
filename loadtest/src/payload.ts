/**
 * The bots' probe, written into the last 16 bytes of every payload: the SFU
 * forwards payloads untouched, so the receiver can tell the send time and its
 * own per-stream sequence number (RTP sequence numbers are rewritten per
 * consumer and say nothing about loss end to end).
 */
export const PROBE_BYTES = 16;
/** "MSTA" / "MSTV": the magic also says the kind, so a receiver needs no SDP lookup per packet. */
const MAGIC_AUDIO = 0x4d535441;
const MAGIC_VIDEO = 0x4d535456;

export type ProbeKind = 'audio' | 'video';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function writeProbe(payload: Buffer, kind: ProbeKind, seq: number, sentAtMs: number): void {
  const at = payload.length - PROBE_BYTES;
  payload.writeUInt32BE(kind === 'audio' ? MAGIC_AUDIO : MAGIC_VIDEO, at);
  payload.writeUInt32BE(seq >>> 0, at + 4);
  payload.writeDoubleBE(sentAtMs, at + 8);
}

export interface Probe {
  kind: ProbeKind;
  seq: number;
  sentAtMs: number;
}

/** Reads the probe at the end of buf[start, end), or null if there is none. */
export function readProbe(buf: Buffer, start = 0, end = buf.length): Probe | null {
  if (end - start < PROBE_BYTES) return null;
  const at = end - PROBE_BYTES;
  const magic = buf.readUInt32BE(at);
  if (magic !== MAGIC_AUDIO && magic !== MAGIC_VIDEO) return null;
  return { kind: magic === MAGIC_AUDIO ? 'audio' : 'video', seq: buf.readUInt32BE(at + 4), sentAtMs: buf.readDoubleBE(at + 8) };
}
