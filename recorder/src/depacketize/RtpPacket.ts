/**
 * The few RTP header fields a depacketizer needs, read from a datagram the
 * SFU's plain transport sent (RFC 3550 §5.1): the payload is a view into the
 * datagram, not a copy.
 */
import { extensionLength, findHeaderExtension } from '@muster/media';

export interface RtpPacket {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payloadType: number;
  payload: Buffer;
  /** The whole datagram (header extensions, e.g. AV1's dependency descriptor, are read from it). */
  raw: Buffer;
  /** Header extension elements: raw[extensionOffset, extensionEnd), 0 when there are none; the profile (0xBEDE, 0x100x). */
  extensionOffset: number;
  extensionEnd: number;
  extensionProfile: number;
}

/** The data of header extension `id` in `packet`, or null. */
export function headerExtension(packet: RtpPacket, id: number): Buffer | null {
  const at = findHeaderExtension(packet.raw, packet.extensionOffset, packet.extensionEnd, packet.extensionProfile, id);
  return at < 0 ? null : packet.raw.subarray(at, at + extensionLength);
}

/** Parses an RTP datagram; null if it is not one (too short, wrong version, lengths that do not fit). */
export function parseRtpPacket(buf: Buffer): RtpPacket | null {
  if (buf.length < 12 || buf[0]! >> 6 !== 2) return null;
  const csrcCount = buf[0]! & 0x0f;
  let offset = 12 + 4 * csrcCount;
  let extensionOffset = 0;
  let extensionProfile = 0;
  if (buf[0]! & 0x10) {
    if (offset + 4 > buf.length) return null;
    extensionProfile = buf.readUInt16BE(offset);
    extensionOffset = offset + 4;
    offset += 4 + 4 * buf.readUInt16BE(offset + 2);
  }
  let end = buf.length;
  if (buf[0]! & 0x20) end -= buf[buf.length - 1]!;
  if (offset > end) return null;
  return {
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    marker: (buf[1]! & 0x80) !== 0,
    payloadType: buf[1]! & 0x7f,
    payload: buf.subarray(offset, end),
    raw: buf,
    extensionOffset,
    extensionEnd: extensionOffset ? offset : 0,
    extensionProfile,
  };
}

/** Builds an RTP datagram (tests and tools); `extensions` as one-byte header extensions (RFC 8285), or two-byte when one is longer than 16 bytes. */
export function buildRtpPacket(f: {
  sequenceNumber: number;
  timestamp: number;
  marker?: boolean;
  payloadType?: number;
  ssrc?: number;
  payload: Buffer;
  extensions?: { id: number; data: Buffer }[];
}): Buffer {
  const header = Buffer.alloc(12);
  header[0] = f.extensions?.length ? 0x90 : 0x80;
  let extension = Buffer.alloc(0);
  if (f.extensions?.length) {
    const twoByte = f.extensions.some((e) => e.data.length > 16 || e.data.length === 0);
    const elements = Buffer.concat(
      f.extensions.map((e) => (twoByte ? Buffer.concat([Buffer.from([e.id, e.data.length]), e.data]) : Buffer.concat([Buffer.from([(e.id << 4) | (e.data.length - 1)]), e.data]))),
    );
    const padded = Buffer.concat([elements, Buffer.alloc((4 - (elements.length % 4)) % 4)]);
    extension = Buffer.alloc(4 + padded.length);
    extension.writeUInt16BE(twoByte ? 0x1000 : 0xbede, 0);
    extension.writeUInt16BE(padded.length / 4, 2);
    padded.copy(extension, 4);
  }
  header[1] = (f.marker ? 0x80 : 0) | (f.payloadType ?? 96);
  header.writeUInt16BE(f.sequenceNumber & 0xffff, 2);
  header.writeUInt32BE(f.timestamp >>> 0, 4);
  header.writeUInt32BE(f.ssrc ?? 0x1234, 8);
  return Buffer.concat([header, extension, f.payload]);
}
