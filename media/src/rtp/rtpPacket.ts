/**
 * A received RTP packet as the SFU forwards it: the decrypted bytes plus the
 * header fields read once, in place (no werift RtpPacket, no copies). The
 * buffer is owned by the packet and never written after parsing, so sinks may
 * share it and a producer's packet ring may keep it for retransmission.
 */

export const EXTENSION_PROFILE_ONE_BYTE = 0xbede;
/** RFC 8285 two-byte header: 0x100 followed by 4 "appbits". */
export const EXTENSION_PROFILE_TWO_BYTE_MASK = 0xfff0;
export const EXTENSION_PROFILE_TWO_BYTE = 0x1000;

export class MediaPacket {
  /** Plaintext RTP; bytes past `length` (an SRTP tag) are not part of the packet. */
  readonly buffer: Buffer;
  /** `buffer` as 32-bit words (word 0 = bytes 0…3) when it is aligned, for word-wise copies; else null. */
  words: Int32Array | null = null;
  /** RTP length: header, payload and padding. */
  readonly length: number;
  /** Where the payload starts (after CSRCs and header extensions). */
  readonly headerLength: number;
  readonly ssrc: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly payloadType: number;
  readonly marker: boolean;
  /** Trailing padding bytes (RFC 3550 P bit); the count is the packet's last byte. */
  readonly paddingLength: number;
  /** Start of the header-extension elements, or 0 if the packet has none. */
  readonly extensionOffset: number;
  /** End of the header-extension elements. */
  readonly extensionEnd: number;
  /** 0xBEDE (one-byte), 0x100x (two-byte) or another profile. */
  readonly extensionProfile: number;
  /** ssrc-audio-level (dBov, 0 loudest … 127 silence) when the producer found one, else -1. */
  audioLevel = -1;
  /** The voice-activity flag of ssrc-audio-level. */
  voiced = false;
  /** performance.now() when it arrived. */
  receivedAt = 0;

  constructor(buffer: Buffer, length: number, headerLength: number, extensionOffset: number, extensionEnd: number, paddingLength: number) {
    this.buffer = buffer;
    this.length = length;
    this.headerLength = headerLength;
    const b1 = buffer[1]!;
    this.marker = (b1 & 0x80) !== 0;
    this.payloadType = b1 & 0x7f;
    this.sequenceNumber = (buffer[2]! << 8) | buffer[3]!;
    this.timestamp = ((buffer[4]! << 24) | (buffer[5]! << 16) | (buffer[6]! << 8) | buffer[7]!) >>> 0;
    this.ssrc = ((buffer[8]! << 24) | (buffer[9]! << 16) | (buffer[10]! << 8) | buffer[11]!) >>> 0;
    this.extensionOffset = extensionOffset;
    this.extensionEnd = extensionEnd;
    this.extensionProfile = extensionOffset ? (buffer[extensionOffset - 4]! << 8) | buffer[extensionOffset - 3]! : 0;
    this.paddingLength = paddingLength;
  }

  /** Payload bytes, without padding. */
  get payloadLength(): number {
    return this.length - this.headerLength - this.paddingLength;
  }

  /** A view of the payload (allocates; for tests and tools, not the packet path). */
  get payload(): Buffer {
    return this.buffer.subarray(this.headerLength, this.length - this.paddingLength);
  }

  get padding(): boolean {
    return this.paddingLength > 0;
  }

  /**
   * Offset of the data of header extension `id`, or -1; its length is then
   * `extensionLength`. Handles one- and two-byte forms (RFC 8285).
   */
  findExtension(id: number): number {
    return findHeaderExtension(this.buffer, this.extensionOffset, this.extensionEnd, this.extensionProfile, id);
  }

  /** A copy of extension `id`'s data, or undefined (allocates; not for the packet path). */
  getExtension(id: number): Buffer | undefined {
    const at = this.findExtension(id);
    return at < 0 ? undefined : Buffer.from(this.buffer.subarray(at, at + extensionLength));
  }
}

/** Length of the extension found by the last findHeaderExtension call. */
export let extensionLength = 0;

export function findHeaderExtension(buf: Buffer, start: number, end: number, profile: number, id: number): number {
  if (!start || id <= 0) return -1;
  let i = start;
  if (profile === EXTENSION_PROFILE_ONE_BYTE) {
    if (id > 14) return -1;
    while (i < end) {
      const b = buf[i]!;
      if (b === 0) {
        i++; // padding
        continue;
      }
      const elementId = b >> 4;
      if (elementId === 15) return -1; // reserved: stop parsing
      const len = (b & 0x0f) + 1;
      if (i + 1 + len > end) return -1;
      if (elementId === id) {
        extensionLength = len;
        return i + 1;
      }
      i += 1 + len;
    }
    return -1;
  }
  if ((profile & EXTENSION_PROFILE_TWO_BYTE_MASK) === EXTENSION_PROFILE_TWO_BYTE) {
    while (i + 1 < end) {
      const elementId = buf[i]!;
      if (elementId === 0) {
        i++;
        continue;
      }
      const len = buf[i + 1]!;
      if (i + 2 + len > end) return -1;
      if (elementId === id) {
        extensionLength = len;
        return i + 2;
      }
      i += 2 + len;
    }
  }
  return -1;
}

/**
 * Parses the RTP packet buf[0, length); null if it is not well-formed RTP
 * (version, CSRC and extension lengths, padding count must all fit).
 */
export function parseRtp(buf: Buffer, length: number): MediaPacket | null {
  if (length < 12) return null;
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return null;
  let offset = 12 + (b0 & 0x0f) * 4;
  let extensionOffset = 0;
  let extensionEnd = 0;
  if (b0 & 0x10) {
    if (offset + 4 > length) return null;
    const words = (buf[offset + 2]! << 8) | buf[offset + 3]!;
    extensionOffset = offset + 4;
    extensionEnd = extensionOffset + words * 4;
    offset = extensionEnd;
  }
  if (offset > length) return null;
  let paddingLength = 0;
  if (b0 & 0x20) {
    paddingLength = buf[length - 1]!;
    if (paddingLength === 0 || paddingLength > length - offset) return null;
  }
  return new MediaPacket(buf, length, offset, extensionOffset, extensionEnd, paddingLength);
}

/** True for RTCP on an RTP/RTCP-muxed port (RFC 5761 §4: packet types 192–223). */
export function isRtcpPacket(buf: Buffer): boolean {
  const pt = buf[1]!;
  return pt >= 192 && pt <= 223;
}

/**
 * abs-send-time (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time):
 * seconds in 6.18 fixed point, modulo 64 s, of the wall clock `epochMs`.
 */
export function absSendTime(epochMs: number): number {
  return Math.floor(epochMs * 262.144) & 0xffffff;
}

/** 16-bit sequence comparison: is `a` after `b` (RFC 1982)? */
export function seqNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}
