/**
 * Transport-wide congestion control feedback (RTPFB, FMT 15;
 * draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1), read straight
 * from the decrypted RTCP into one reusable TransportFeedback: no object per
 * chunk or per packet. werift parses it too, but into an object per delta
 * with BigInt times, its packetResults ignores status-vector chunks, and it
 * routes the packet by media SSRC (which may be one werift does not know),
 * so the packet path reads it here (see TransportMediaPath).
 *
 *   base sequence number (16) | packet status count (16)
 *   reference time (24, signed, × 64 ms) | feedback packet count (8)
 *   packet chunks (16 each): run length  0 SS LLLLLLLLLLLLL
 *                            vector      1 0 + 14 one-bit symbols (received or not)
 *                            vector      1 1 + 7 two-bit symbols
 *   receive deltas: 1 byte (small, unsigned) or 2 bytes (large, signed), × 250 µs
 */

export const RTPFB = 205;
export const TRANSPORT_FEEDBACK_FMT = 15;

/** Two-bit packet status symbols. */
export const NOT_RECEIVED = 0;
export const SMALL_DELTA = 1;
export const LARGE_DELTA = 2;

/** Receive delta unit (µs). */
export const DELTA_UNIT_US = 250;
/** Reference time unit (ms). */
export const REFERENCE_UNIT_MS = 64;

export class TransportFeedback {
  senderSsrc = 0;
  mediaSsrc = 0;
  baseSequence = 0;
  /** Packets reported: baseSequence … baseSequence + count - 1 (mod 2^16). */
  count = 0;
  /** Reference time in 64 ms units, 24-bit signed (sign-extended). */
  referenceTime = 0;
  feedbackCount = 0;
  /** Per reported packet: received or not. */
  received = new Uint8Array(256);
  /**
   * Per received packet: its arrival in µs after the reference time
   * (the running sum of receive deltas); undefined for lost ones.
   */
  arrivalUs = new Float64Array(256);

  reserve(count: number): void {
    if (count <= this.received.length) return;
    let size = this.received.length;
    while (size < count) size *= 2;
    this.received = new Uint8Array(size);
    this.arrivalUs = new Float64Array(size);
  }
}

/**
 * Is the RTCP packet at buf[offset] transport-wide feedback? (The compound
 * walk is the caller's; this looks at one header.)
 */
export function isTransportFeedback(buf: Buffer, offset: number): boolean {
  return buf[offset + 1] === RTPFB && (buf[offset]! & 0x1f) === TRANSPORT_FEEDBACK_FMT;
}

/**
 * Parses the RTPFB FMT 15 packet at buf[offset, end) into `out`; false if it
 * is malformed (truncated chunks or deltas, a reserved status symbol).
 */
export function parseTransportFeedback(buf: Buffer, offset: number, end: number, out: TransportFeedback): boolean {
  if (end - offset < 20 || !isTransportFeedback(buf, offset)) return false;
  // The packet's own length, without padding.
  let packetEnd = offset + (((buf[offset + 2]! << 8) | buf[offset + 3]!) + 1) * 4;
  if (packetEnd > end) return false;
  if (buf[offset]! & 0x20) {
    const padding = buf[packetEnd - 1]!;
    if (padding === 0 || packetEnd - padding < offset + 20) return false;
    packetEnd -= padding;
  }
  out.senderSsrc = buf.readUInt32BE(offset + 4);
  out.mediaSsrc = buf.readUInt32BE(offset + 8);
  out.baseSequence = (buf[offset + 12]! << 8) | buf[offset + 13]!;
  const count = (buf[offset + 14]! << 8) | buf[offset + 15]!;
  out.count = count;
  out.referenceTime = ((buf[offset + 16]! << 24) | (buf[offset + 17]! << 16) | (buf[offset + 18]! << 8)) >> 8;
  out.feedbackCount = buf[offset + 19]!;
  out.reserve(count);
  const status = out.received;
  // First the chunks: one status per reported packet (the last chunk may cover more).
  let o = offset + 20;
  let n = 0;
  while (n < count) {
    if (o + 2 > packetEnd) return false;
    const chunk = (buf[o]! << 8) | buf[o + 1]!;
    o += 2;
    if ((chunk & 0x8000) === 0) {
      const symbol = (chunk >> 13) & 3;
      if (symbol === 3) return false;
      const run = Math.min(chunk & 0x1fff, count - n);
      status.fill(symbol, n, n + run);
      n += run;
    } else if ((chunk & 0x4000) === 0) {
      for (let bit = 13; bit >= 0 && n < count; bit--) status[n++] = (chunk >> bit) & 1;
    } else {
      for (let shift = 12; shift >= 0 && n < count; shift -= 2) {
        const symbol = (chunk >> shift) & 3;
        if (symbol === 3) return false;
        status[n++] = symbol;
      }
    }
  }
  // Then one delta per received packet, in order.
  const arrival = out.arrivalUs;
  let t = 0;
  for (let i = 0; i < count; i++) {
    const symbol = status[i]!;
    if (symbol === SMALL_DELTA) {
      if (o + 1 > packetEnd) return false;
      t += buf[o]! * DELTA_UNIT_US;
      o += 1;
    } else if (symbol === LARGE_DELTA) {
      if (o + 2 > packetEnd) return false;
      t += (((buf[o]! << 24) | (buf[o + 1]! << 16)) >> 16) * DELTA_UNIT_US;
      o += 2;
    } else {
      continue;
    }
    arrival[i] = t;
  }
  // The status array said which packets arrived; from here on 0 means "not received".
  for (let i = 0; i < count; i++) if (status[i] !== NOT_RECEIVED) status[i] = 1;
  return true;
}
