/**
 * The SFU's packet path (SecureLink) on the client side of a werift peer
 * connection: benchmark load generators send and receive RTP with it instead
 * of werift's sendRtp / onReceiveRtp, so that the machine's CPU goes to the
 * SFU under test rather than to the clients. werift still does SDP, ICE, DTLS
 * and RTCP, exactly as for the SFU.
 */
import type { RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import type { MediaPacket } from '../rtp/rtpPacket.ts';
import { SecureLink, type LinkOwner, type MediaPathCounters } from '../rtp/SecureLink.ts';
import { dtlsTransportOf, dtlsTransportsOf, negotiatedHeaderExtensions, senderView, type WeriftDtlsTransport } from '../rtp/weriftInternals.ts';

const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

export interface FastRtpPacket {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payload: Buffer;
  /** ssrc-audio-level (dBov) to add, when the transceiver negotiated it. */
  audioLevel?: number;
}

export class FastRtpClient implements LinkOwner {
  readonly pc: RTCPeerConnection;
  readonly counters: MediaPathCounters = { rtpReceived: 0, rtpDropped: 0, authFailures: 0, rtpSent: 0, rtcpSent: 0, nacksSent: 0, rtxReceived: 0, rtxSent: 0 };
  /** Every RTP packet received on the connection (the link calls it; replace it to listen). */
  onRtp: (packet: MediaPacket) => void = () => {
    this.counters.rtpReceived++;
  };
  readonly #links = new Map<WeriftDtlsTransport, SecureLink>();

  constructor(pc: RTCPeerConnection) {
    this.pc = pc;
    pc.connectionStateChange.subscribe(() => this.attach());
  }

  /** Takes over the connection's RTP once DTLS is up; call after each negotiation step. */
  attach(): void {
    for (const dtls of dtlsTransportsOf(this.pc)) {
      const link = this.#links.get(dtls);
      if (link) link.prepare();
      else this.#links.set(dtls, new SecureLink(this, dtls));
    }
  }

  get connected(): boolean {
    for (const link of this.#links.values()) if (link.session) return true;
    return false;
  }

  linkConnected(): void {}

  /** Sends one packet on `transceiver` with its negotiated SSRC and payload type; false if not connected. */
  send(transceiver: RTCRtpTransceiver, packet: FastRtpPacket): boolean {
    const sender = senderView(transceiver.sender);
    const dtls = dtlsTransportOf(transceiver.sender);
    const link = dtls && this.#links.get(dtls);
    const session = link?.session;
    if (!session || !sender.codec) return false;
    let levelId = 0;
    if (packet.audioLevel !== undefined) {
      levelId = negotiatedHeaderExtensions(transceiver).find((e) => e.uri === AUDIO_LEVEL_URI)?.id ?? 0;
    }
    const headerLength = levelId ? 20 : 12;
    const length = headerLength + packet.payload.length;
    const buf = Buffer.allocUnsafe(length + session.local.tagLength);
    buf[0] = levelId ? 0x90 : 0x80;
    buf[1] = (packet.marker ? 0x80 : 0) | sender.codec.payloadType;
    buf.writeUInt16BE(packet.sequenceNumber & 0xffff, 2);
    buf.writeUInt32BE(packet.timestamp >>> 0, 4);
    buf.writeUInt32BE(sender.ssrc >>> 0, 8);
    if (levelId) {
      buf.writeUInt32BE(0xbede0001, 12);
      buf[16] = levelId << 4;
      buf[17] = 0x80 | (packet.audioLevel! & 0x7f);
      buf[18] = 0;
      buf[19] = 0;
    }
    packet.payload.copy(buf, headerLength);
    const n = session.local.protectRtp(buf, headerLength, length);
    if (!link.send(buf, n)) return false;
    this.counters.rtpSent++;
    return true;
  }
}
