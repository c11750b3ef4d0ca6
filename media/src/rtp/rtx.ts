/**
 * RTX (RFC 4588): a retransmission travels on its own SSRC and payload type,
 * its payload prefixed by the original sequence number (OSN). The packet path
 * turns a publisher's RTX packet back into the packet it repairs (rare: only
 * answers to our NACKs), and writes RTX towards subscribers that negotiated it.
 */
import { parseRtp, type MediaPacket } from './rtpPacket.ts';
import { wordView } from './bytes.ts';

/** RTX payload type → the payload type it carries (apt), from a receiver's negotiated codecs. */
export function rtxPayloadTypes(codecs: Record<number, { payloadType: number; mimeType: string; parameters?: string }>): Map<number, number> | undefined {
  let map: Map<number, number> | undefined;
  for (const codec of Object.values(codecs)) {
    if (codec.mimeType.toLowerCase() !== 'video/rtx') continue;
    const apt = /(?:^|;)\s*apt=(\d+)/.exec(codec.parameters ?? '')?.[1];
    if (apt === undefined) continue;
    (map ??= new Map()).set(codec.payloadType, Number(apt));
  }
  return map;
}

/**
 * The original packet inside RTX packet `rtx`: header (extensions included)
 * with the original sequence number, `ssrc` and payload type `apt`, payload
 * without the OSN, no padding. Null if there is no OSN (an RTX padding-only
 * probe). Allocates, which is fine at retransmission rates.
 */
export function unwrapRtx(rtx: MediaPacket, ssrc: number, apt: number): MediaPacket | null {
  const payloadLength = rtx.payloadLength;
  if (payloadLength < 2) return null;
  const src = rtx.buffer;
  const headerLength = rtx.headerLength;
  const length = headerLength + payloadLength - 2;
  const buf = Buffer.allocUnsafeSlow(length);
  src.copy(buf, 0, 0, headerLength);
  src.copy(buf, headerLength, headerLength + 2, headerLength + payloadLength);
  buf[0] = buf[0]! & ~0x20; // no padding
  buf[1] = (buf[1]! & 0x80) | apt;
  buf[2] = src[headerLength]!;
  buf[3] = src[headerLength + 1]!;
  buf.writeUInt32BE(ssrc >>> 0, 8);
  const packet = parseRtp(buf, length);
  if (packet) {
    packet.receivedAt = rtx.receivedAt;
    packet.words = wordView(buf);
  }
  return packet;
}

/**
 * An RTX payload for `packet`: the same header (the sender rewrites SSRC,
 * payload type and sequence number), the payload prefixed by `osn`, the
 * sequence number the receiver knows the packet by. Allocates (retransmissions only).
 */
export function wrapRtx(packet: MediaPacket, osn: number): MediaPacket {
  const headerLength = packet.headerLength;
  const payloadLength = packet.payloadLength;
  const length = headerLength + 2 + payloadLength;
  const buf = Buffer.allocUnsafeSlow(length);
  packet.buffer.copy(buf, 0, 0, headerLength);
  buf[0] = buf[0]! & ~0x20; // no padding
  buf[headerLength] = osn >>> 8;
  buf[headerLength + 1] = osn & 0xff;
  packet.buffer.copy(buf, headerLength + 2, headerLength, headerLength + payloadLength);
  const rtx = parseRtp(buf, length)!;
  rtx.receivedAt = packet.receivedAt;
  rtx.audioLevel = packet.audioLevel;
  rtx.voiced = packet.voiced;
  rtx.words = wordView(buf);
  return rtx;
}
