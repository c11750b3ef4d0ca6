import type { RtpPacket } from './RtpPacket.ts';

/** What a depacketizer reports: whole frames (temporal units) and the need for a keyframe. */
export interface DepacketizerEvents {
  /**
   * A decodable frame: VP9 (a superframe for a scalable picture) or an AV1
   * temporal unit. `rtpTimestamp` is the packets' RTP timestamp; `size` the
   * picture's resolution when known (the top layer's).
   */
  onFrame(data: Buffer, rtpTimestamp: number, keyFrame: boolean, size?: { width: number; height: number }): void;
  /** A reference was lost (or the stream began mid-way): nothing decodes until the next keyframe. */
  onKeyFrameNeeded(): void;
}

/** RTP payloads of one codec back into frames. Packets come in sequence order, duplicates removed (RtpJitterBuffer). */
export interface Depacketizer {
  push(packet: RtpPacket): void;
  /** Packets are missing before the next push. */
  lost(): void;
}
