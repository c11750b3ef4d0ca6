/**
 * The RTCP the SFU originates, written straight into buffers (RFC 3550, RFC 4585).
 * werift only sends sender reports from inside its own sendRtp and receiver
 * reports from its own receive pipeline; both are bypassed by the packet
 * path, so the transport sends these itself (see TransportMediaPath).
 */

/** Seconds between 1900-01-01 (NTP epoch) and 1970-01-01. */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** NTP timestamp of `epochMs` as [seconds, fraction] (RFC 5905). */
export function ntpTime(epochMs: number): [number, number] {
  const seconds = Math.floor(epochMs / 1000);
  const fraction = Math.floor(((epochMs - seconds * 1000) / 1000) * 0x1_0000_0000);
  return [(seconds + NTP_UNIX_OFFSET_S) >>> 0, Math.min(fraction, 0xffffffff) >>> 0];
}

/** The middle 32 bits of an NTP timestamp, as LSR/DLSR use them. */
export function compactNtp([seconds, fraction]: [number, number]): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

export interface SenderReportInfo {
  ssrc: number;
  ntp: [number, number];
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

/** SR without report blocks (28 bytes). */
export function writeSenderReport(buf: Buffer, offset: number, sr: SenderReportInfo): number {
  buf[offset] = 0x80;
  buf[offset + 1] = 200;
  buf.writeUInt16BE(6, offset + 2);
  buf.writeUInt32BE(sr.ssrc >>> 0, offset + 4);
  buf.writeUInt32BE(sr.ntp[0] >>> 0, offset + 8);
  buf.writeUInt32BE(sr.ntp[1] >>> 0, offset + 12);
  buf.writeUInt32BE(sr.rtpTimestamp >>> 0, offset + 16);
  buf.writeUInt32BE(sr.packetCount >>> 0, offset + 20);
  buf.writeUInt32BE(sr.octetCount >>> 0, offset + 24);
  return offset + 28;
}

export interface ReportBlock {
  ssrc: number;
  fractionLost: number;
  /** Cumulative, clamped to the signed 24-bit range. */
  packetsLost: number;
  extendedHighestSequence: number;
  jitter: number;
  lsr: number;
  dlsr: number;
}

/** RR carrying up to 31 report blocks. */
export function writeReceiverReport(buf: Buffer, offset: number, senderSsrc: number, blocks: readonly ReportBlock[]): number {
  const count = Math.min(31, blocks.length);
  buf[offset] = 0x80 | count;
  buf[offset + 1] = 201;
  buf.writeUInt16BE(1 + count * 6, offset + 2);
  buf.writeUInt32BE(senderSsrc >>> 0, offset + 4);
  let o = offset + 8;
  for (let i = 0; i < count; i++) {
    const b = blocks[i]!;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, b.packetsLost)) & 0xffffff;
    buf.writeUInt32BE(b.ssrc >>> 0, o);
    buf.writeUInt32BE(((b.fractionLost & 0xff) << 24 | lost) >>> 0, o + 4);
    buf.writeUInt32BE(b.extendedHighestSequence >>> 0, o + 8);
    buf.writeUInt32BE(Math.max(0, Math.floor(b.jitter)) >>> 0, o + 12);
    buf.writeUInt32BE(b.lsr >>> 0, o + 16);
    buf.writeUInt32BE(b.dlsr >>> 0, o + 20);
    o += 24;
  }
  return o;
}

/** SDES with one CNAME chunk per SSRC. */
export function writeSdes(buf: Buffer, offset: number, chunks: readonly { ssrc: number; cname: string }[]): number {
  const count = Math.min(31, chunks.length);
  let o = offset + 4;
  for (let i = 0; i < count; i++) {
    const { ssrc, cname } = chunks[i]!;
    buf.writeUInt32BE(ssrc >>> 0, o);
    buf[o + 4] = 1; // CNAME
    const n = buf.write(cname.slice(0, 255), o + 6, 'utf8');
    buf[o + 5] = n;
    o += 6 + n;
    // A null item ends the chunk; pad to a word boundary with more nulls.
    const end = (o + 1 + 3) & ~3;
    buf.fill(0, o, end);
    o = end;
  }
  buf[offset] = 0x80 | count;
  buf[offset + 1] = 202;
  buf.writeUInt16BE((o - offset) / 4 - 1, offset + 2);
  return o;
}

/** Upper bound of writeSdes's output for these chunks. */
export function sdesSize(chunks: readonly { cname: string }[]): number {
  let n = 4;
  for (const c of chunks) n += ((6 + Buffer.byteLength(c.cname.slice(0, 255)) + 1 + 3) & ~3);
  return n;
}

/**
 * Generic NACK (RFC 4585 §6.2.1) for `lost` sequence numbers (ascending,
 * unwrapped or not): packed into PID + bitmask pairs.
 */
export function writeNack(buf: Buffer, offset: number, senderSsrc: number, mediaSsrc: number, lost: readonly number[]): number {
  buf[offset] = 0x80 | 1;
  buf[offset + 1] = 205;
  buf.writeUInt32BE(senderSsrc >>> 0, offset + 4);
  buf.writeUInt32BE(mediaSsrc >>> 0, offset + 8);
  let o = offset + 12;
  let i = 0;
  while (i < lost.length) {
    const pid = lost[i]! & 0xffff;
    let blp = 0;
    i++;
    while (i < lost.length) {
      const d = ((lost[i]! & 0xffff) - pid) & 0xffff;
      if (d === 0) {
        i++;
        continue;
      }
      if (d > 16) break;
      blp |= 1 << (d - 1);
      i++;
    }
    buf.writeUInt16BE(pid, o);
    buf.writeUInt16BE(blp, o + 2);
    o += 4;
  }
  buf.writeUInt16BE((o - offset) / 4 - 1, offset + 2);
  return o;
}

/** Bytes writeNack needs at most for `lost`. */
export function nackSize(lost: readonly number[]): number {
  return 12 + 4 * lost.length;
}

export const RTCP_BYE = 203;
export const RTCP_PSFB = 206;
export const PLI_FMT = 1;

/** Picture loss indication (RFC 4585 §6.3.1): 12 bytes. */
export function writePli(buf: Buffer, offset: number, senderSsrc: number, mediaSsrc: number): number {
  buf[offset] = 0x80 | PLI_FMT;
  buf[offset + 1] = RTCP_PSFB;
  buf.writeUInt16BE(2, offset + 2);
  buf.writeUInt32BE(senderSsrc >>> 0, offset + 4);
  buf.writeUInt32BE(mediaSsrc >>> 0, offset + 8);
  return offset + 12;
}

/** BYE (RFC 3550 §6.6) for up to 31 SSRCs, without a reason. */
export function writeBye(buf: Buffer, offset: number, ssrcs: readonly number[]): number {
  const count = Math.min(31, ssrcs.length);
  buf[offset] = 0x80 | count;
  buf[offset + 1] = RTCP_BYE;
  buf.writeUInt16BE(count, offset + 2);
  for (let i = 0; i < count; i++) buf.writeUInt32BE(ssrcs[i]! >>> 0, offset + 4 + 4 * i);
  return offset + 4 + 4 * count;
}

/**
 * Visits each packet of the compound RTCP buf[0, length): its packet type,
 * its count / FMT field and its bounds [start, end). Nothing is visited and
 * false returned unless every header is version 2 and the lengths tile the
 * datagram exactly: one malformed part discredits the rest.
 */
export function forEachRtcpPacket(
  buf: Buffer,
  length: number,
  visit: (type: number, count: number, start: number, end: number) => void,
): boolean {
  if (length < 4) return false;
  let o = 0;
  while (o < length) {
    if (o + 4 > length || buf[o]! >> 6 !== 2) return false;
    o += (((buf[o + 2]! << 8) | buf[o + 3]!) + 1) * 4;
  }
  if (o !== length) return false;
  for (o = 0; o < length; ) {
    const end = o + (((buf[o + 2]! << 8) | buf[o + 3]!) + 1) * 4;
    visit(buf[o + 1]!, buf[o]! & 0x1f, o, end);
    o = end;
  }
  return true;
}

/** An already-serialised RTCP packet, in the shape werift's sendRtcp takes. */
export class RawRtcp {
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  serialize(): Buffer {
    return this.#bytes;
  }
}
