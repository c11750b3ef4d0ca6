/**
 * Writes transport-wide congestion control feedback (RTPFB FMT 15) the way a
 * receiver does, from the arrival times it saw: for tests (parser round trips,
 * the estimator's simulated bottleneck, the Node subscriber of twcc.test.ts).
 * Chunks: run length for runs of 14 and more, else two-bit status vectors.
 */
import { LARGE_DELTA, NOT_RECEIVED, SMALL_DELTA } from '../rtp/transportFeedback.ts';

export interface FeedbackInput {
  senderSsrc?: number;
  mediaSsrc?: number;
  baseSequence: number;
  feedbackCount?: number;
  /** Per packet from baseSequence on: its arrival in µs on the receiver's clock, or null if it was lost. */
  arrivalsUs: readonly (number | null)[];
  /** Reference time in 64 ms units; default: the first arrival's. */
  referenceTime?: number;
}

export function writeTransportFeedback(input: FeedbackInput): Buffer {
  const arrivals = input.arrivalsUs;
  const first = arrivals.find((a) => a !== null);
  const reference = input.referenceTime ?? (first === undefined || first === null ? 0 : Math.floor(first / 64_000));
  // Quantise each arrival to 250 µs from the reference; deltas are the steps between them.
  const statuses: number[] = [];
  const deltas: number[] = [];
  let previous = reference * 256; // in 250 µs units (64 ms = 256 units)
  for (const a of arrivals) {
    if (a === null) {
      statuses.push(NOT_RECEIVED);
      continue;
    }
    const q = Math.round(a / 250);
    const delta = q - previous;
    previous = q;
    if (delta >= 0 && delta <= 255) statuses.push(SMALL_DELTA);
    else if (delta >= -32768 && delta <= 32767) statuses.push(LARGE_DELTA);
    else throw new Error(`receive delta ${delta} × 250 µs does not fit: split the feedback`);
    deltas.push(delta);
  }
  const chunks: number[] = [];
  let i = 0;
  while (i < statuses.length) {
    let run = 1;
    while (i + run < statuses.length && statuses[i + run] === statuses[i] && run < 0x1fff) run++;
    if (run >= 14) {
      chunks.push((statuses[i]! << 13) | run);
      i += run;
      continue;
    }
    let chunk = 0xc000;
    for (let k = 0; k < 7; k++) chunk |= (statuses[i + k] ?? 0) << (12 - 2 * k);
    chunks.push(chunk);
    i += 7;
  }
  let deltaBytes = 0;
  for (const d of deltas) deltaBytes += d >= 0 && d <= 255 ? 1 : 2;
  const bodyLength = 20 + chunks.length * 2 + deltaBytes;
  const length = (bodyLength + 3) & ~3;
  const buf = Buffer.alloc(length);
  const padding = length - bodyLength;
  buf[0] = 0x80 | (padding ? 0x20 : 0) | 15;
  buf[1] = 205;
  buf.writeUInt16BE(length / 4 - 1, 2);
  buf.writeUInt32BE((input.senderSsrc ?? 1) >>> 0, 4);
  buf.writeUInt32BE((input.mediaSsrc ?? 0) >>> 0, 8);
  buf.writeUInt16BE(input.baseSequence & 0xffff, 12);
  buf.writeUInt16BE(arrivals.length, 14);
  buf.writeUIntBE(reference & 0xffffff, 16, 3);
  buf[19] = (input.feedbackCount ?? 0) & 0xff;
  let o = 20;
  for (const c of chunks) {
    buf.writeUInt16BE(c, o);
    o += 2;
  }
  for (const d of deltas) {
    if (d >= 0 && d <= 255) buf[o++] = d;
    else {
      buf.writeInt16BE(d, o);
      o += 2;
    }
  }
  if (padding) buf[length - 1] = padding;
  return buf;
}
