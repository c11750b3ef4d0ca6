/**
 * RtpStreamSender: one consumer's outgoing RTP stream (the header with this
 * subscriber's SSRC, payload type and extensions, the payload copy, SRTP
 * protect, the send on its SecureLink), and ConsumerOutput, what a Consumer
 * sends through. It reports to a SenderOwner (the TransportMediaPath that
 * creates it), so that this file and TransportMediaPath.ts do not import each
 * other.
 */
import { performance } from 'node:perf_hooks';
import type { RTCRtpSender, RTCRtpTransceiver } from 'werift';
import { RtpRewriter } from './RtpRewriter.ts';
import { absSendTime, extensionLength, type MediaPacket } from './rtpPacket.ts';
import { wrapRtx } from './rtx.ts';
import { copyBytes } from './bytes.ts';
import { MAX_PACKET, type SrtpSession, type SrtpStream } from './srtp.ts';
import type { TransportWideEstimator } from '../bwe/TransportWideEstimator.ts';
import type { SendHistory } from '../bwe/SendHistory.ts';
import { ABS_SEND_TIME_URI, AUDIO_LEVEL_URI, DEPENDENCY_DESCRIPTOR_URI, SDES_MID_URI, TRANSPORT_WIDE_CC_URI } from './headerExtensions.ts';
import { SCRATCH_HEADROOM, type MediaPathCounters, type SecureLink } from './SecureLink.ts';
import { dtlsTransportOf, senderView, type WeriftDtlsTransport, type WeriftSenderView } from './weriftInternals.ts';

const timeOrigin = performance.timeOrigin;

/**
 * What a Consumer needs from the transport to send: RtpStreamSender, or a fake
 * in tests. It belongs to the sending slot (transceiver), not the consumer: a
 * slot reused for another producer keeps its SSRC, so its RTP numbering
 * (rewriter) and report counters carry on.
 */
export interface ConsumerOutput {
  readonly ssrc: number;
  /** Connected, negotiated and not stopped: a send would go out. */
  readonly ready: boolean;
  /** The slot's sequence-number and timestamp continuity. */
  readonly rewriter: RtpRewriter;
  /**
   * Sends `packet` as (sequenceNumber, timestamp) of this stream; false if it
   * could not. A retransmission (NACK) repeats an earlier sequence number.
   * `marker` overrides the packet's (a layer filter ends pictures early).
   */
  send(packet: MediaPacket, sequenceNumber: number, timestamp: number, retransmission?: boolean, marker?: boolean): boolean;
  /**
   * Re-sends `packet`, which went out as `sequenceNumber`: as RTX on the
   * stream's retransmission SSRC when the subscriber negotiated it, else as
   * a repeat on the media SSRC.
   */
  resend?(packet: MediaPacket, sequenceNumber: number, timestamp: number, marker?: boolean): boolean;
  /**
   * Rewrites each outgoing payload copy (VP8 simulcast: picture ids stay
   * continuous across encoding switches); null: payloads go out as received.
   */
  payloadPatch?: PayloadPatch | null;
  /** The AV1 dependency descriptor's id in forwarded packets (0: none), to copy it through. */
  dependencyDescriptorSourceId?: number;
  /** Rewrites the copied dependency descriptor where needed (AV1 SVC: the active decode targets); null: copied as is. */
  dependencyDescriptorPatch?: DependencyDescriptorPatch | null;
}

/** See ConsumerOutput.payloadPatch. */
export interface PayloadPatch {
  apply(out: Buffer, outPayloadAt: number, src: Buffer, srcPayloadAt: number, srcEnd: number, retransmission: boolean): void;
}

/** See ConsumerOutput.dependencyDescriptorPatch. */
export interface DependencyDescriptorPatch {
  /** Prepares the rewrite of the descriptor src[at, at + length); its new length, or 0 to copy it as is. */
  prepare(src: Buffer, at: number, length: number, retransmission: boolean): number;
  /** Writes the prepared descriptor at out[o…]. */
  write(out: Buffer, o: number): void;
}

/** What an RtpStreamSender reports to: the TransportMediaPath that created it. */
export interface SenderOwner {
  readonly counters: MediaPathCounters;
  /** The link `sender`'s packets go out on. */
  linkFor(sender: RTCRtpSender): SecureLink | undefined;
  /** The link's transport-wide estimator, whose send history numbers the packets. */
  transportEstimatorFor(link: SecureLink): TransportWideEstimator;
  removeSender(sender: RtpStreamSender): void;
}

/** Writes an RFC 8285 element header (one- or two-byte form); returns where its data goes. */
function writeElementHeader(out: Buffer, o: number, id: number, length: number, twoByte: boolean): number {
  if (twoByte) {
    out[o] = id;
    out[o + 1] = length;
    return o + 2;
  }
  out[o] = (id << 4) | (length - 1);
  return o + 1;
}

/**
 * One consumer's outgoing stream on its transport: writes the RTP header with
 * the SSRC, payload type and header extensions werift negotiated for the
 * transceiver, copies the payload, protects and sends. One buffer allocation
 * (from Node's pool) per packet; nothing else.
 */
export class RtpStreamSender implements ConsumerOutput {
  readonly kind: 'audio' | 'video';
  readonly clockRate: number;
  readonly rewriter = new RtpRewriter();
  readonly #path: SenderOwner;
  readonly #transceiver: RTCRtpTransceiver;
  readonly #sender: WeriftSenderView;
  #link?: SecureLink;
  #linkDtls?: WeriftDtlsTransport;
  #session?: SrtpSession;
  #srtpStream?: SrtpStream;
  /** RTX (resend): the retransmission SSRC's SRTP stream and sequence; set while send() writes an RTX packet. */
  #rtxStream?: SrtpStream;
  #rtxSequenceNumber = Math.floor(Math.random() * 0x10000);
  #asRtx = false;
  payloadPatch: PayloadPatch | null = null;
  // Header extensions negotiated for this sender (re-read when werift replaces the list).
  #extensionsSource?: unknown;
  #midId = 0;
  #mid: number[] = [];
  #absSendTimeId = 0;
  #audioLevelId = 0;
  #dependencyDescriptorId = 0;
  /** Transport-wide sequence number extension id (0: not negotiated), and the link's sequence and history. */
  #transportSequenceId = 0;
  #transportHistory?: SendHistory;
  #transportHistoryLink?: SecureLink;
  /**
   * The id of the AV1 dependency descriptor in the packets this stream
   * forwards (the publisher's), 0 for none; set by the consumer. Copied
   * through when the subscriber negotiated it: SVC decoding needs it.
   */
  dependencyDescriptorSourceId = 0;
  dependencyDescriptorPatch: DependencyDescriptorPatch | null = null;
  #closed = false;
  // For sender reports.
  packetsSent = 0;
  octetsSent = 0;
  #lastTimestamp = 0;
  #lastSentAt = 0;

  constructor(path: SenderOwner, transceiver: RTCRtpTransceiver, kind: 'audio' | 'video', clockRate: number) {
    this.#path = path;
    this.#transceiver = transceiver;
    this.#sender = senderView(transceiver.sender);
    this.kind = kind;
    this.clockRate = clockRate;
  }

  get ssrc(): number {
    return this.#sender.ssrc;
  }

  get cname(): string {
    return this.#sender.cname ?? 'muster';
  }

  get link(): SecureLink | undefined {
    return this.#link;
  }

  get ready(): boolean {
    const s = this.#sender;
    if (this.#closed || s.stopped || s.codec === undefined) return false;
    return this.#resolveLink()?.session !== undefined;
  }

  #resolveLink(): SecureLink | undefined {
    const dtls = dtlsTransportOf(this.#transceiver.sender);
    if (dtls !== this.#linkDtls) {
      this.#linkDtls = dtls;
      this.#link = dtls ? this.#path.linkFor(this.#transceiver.sender) : undefined;
    }
    return this.#link;
  }

  #refreshExtensions(): void {
    const list = this.#sender.headerExtensions;
    this.#extensionsSource = list;
    this.#midId = 0;
    this.#absSendTimeId = 0;
    this.#audioLevelId = 0;
    this.#dependencyDescriptorId = 0;
    this.#transportSequenceId = 0;
    for (const e of list ?? []) {
      if (e.id < 1 || e.id > 14) continue; // one-byte form only
      if (e.uri === SDES_MID_URI) this.#midId = e.id;
      else if (e.uri === ABS_SEND_TIME_URI) this.#absSendTimeId = e.id;
      else if (e.uri === AUDIO_LEVEL_URI && this.kind === 'audio') this.#audioLevelId = e.id;
      else if (e.uri === DEPENDENCY_DESCRIPTOR_URI && this.kind === 'video') this.#dependencyDescriptorId = e.id;
      else if (e.uri === TRANSPORT_WIDE_CC_URI) this.#transportSequenceId = e.id;
    }
    const mid = this.#sender.mid ?? this.#transceiver.mid ?? '';
    this.#mid = mid.length >= 1 && mid.length <= 16 ? [...Buffer.from(mid)] : [];
    if (this.#mid.length === 0) this.#midId = 0;
  }

  send(packet: MediaPacket, sequenceNumber: number, timestamp: number, retransmission = false, marker = packet.marker): boolean {
    const s = this.#sender;
    const codec = s.codec;
    if (this.#closed || s.stopped || codec === undefined) return false;
    const link = this.#resolveLink();
    const session = link?.session;
    if (session === undefined) return false;
    if (this.#session !== session) {
      this.#session = session;
      this.#srtpStream = session.local.stream(s.ssrc);
      this.#rtxStream = undefined;
    }
    if (this.#extensionsSource !== s.headerExtensions) this.#refreshExtensions();
    const asRtx = this.#asRtx;
    const ssrc = asRtx ? s.rtxSsrc : s.ssrc;
    if (asRtx && this.#rtxStream === undefined) this.#rtxStream = session.local.stream(ssrc);

    // Header extension block: MID, abs-send-time, audio level, the AV1
    // dependency descriptor and the transport-wide sequence number. One-byte
    // form, or two-byte (RFC 8285) when the descriptor is longer than 16
    // bytes (it is when it carries its structure).
    const midLength = this.#midId ? this.#mid.length : 0;
    let history: SendHistory | undefined;
    if (this.#transportSequenceId !== 0) {
      if (this.#transportHistoryLink !== link) {
        this.#transportHistoryLink = link;
        this.#transportHistory = this.#path.transportEstimatorFor(link!).history;
      }
      history = this.#transportHistory;
    }
    const withLevel = this.#audioLevelId !== 0 && packet.audioLevel >= 0;
    let ddAt = -1;
    let ddLength = 0;
    let ddRewritten = false;
    if (this.dependencyDescriptorSourceId !== 0 && this.#dependencyDescriptorId !== 0) {
      ddAt = packet.findExtension(this.dependencyDescriptorSourceId);
      if (ddAt >= 0) ddLength = extensionLength;
      const ddPatch = this.dependencyDescriptorPatch;
      if (ddAt >= 0 && ddPatch !== null) {
        const rewritten = ddPatch.prepare(packet.buffer, ddAt, ddLength, retransmission);
        if (rewritten > 0) {
          ddLength = rewritten;
          ddRewritten = true;
        }
      }
    }
    const twoByte = ddLength > 16;
    const per = twoByte ? 2 : 1;
    let extensionBytes =
      (midLength ? per + midLength : 0) + (this.#absSendTimeId ? per + 3 : 0) + (withLevel ? per + 1 : 0) + (ddLength ? per + ddLength : 0) + (history ? per + 2 : 0);
    if (extensionBytes) extensionBytes = 4 + ((extensionBytes + 3) & ~3);
    const headerLength = 12 + extensionBytes;
    const body = packet.length - packet.headerLength; // payload and padding
    const length = headerLength + body;
    if (length > MAX_PACKET) return false;
    const out = link!.outputBuffer;
    const b = SCRATCH_HEADROOM;

    out[b] = 0x80 | (packet.paddingLength ? 0x20 : 0) | (extensionBytes ? 0x10 : 0);
    out[b + 1] = (marker ? 0x80 : 0) | (asRtx ? s.rtxPayloadType! : codec.payloadType);
    out[b + 2] = sequenceNumber >>> 8;
    out[b + 3] = sequenceNumber;
    out[b + 4] = timestamp >>> 24;
    out[b + 5] = timestamp >>> 16;
    out[b + 6] = timestamp >>> 8;
    out[b + 7] = timestamp;
    out[b + 8] = ssrc >>> 24;
    out[b + 9] = ssrc >>> 16;
    out[b + 10] = ssrc >>> 8;
    out[b + 11] = ssrc;
    if (extensionBytes) {
      out[b + 12] = twoByte ? 0x10 : 0xbe;
      out[b + 13] = twoByte ? 0x00 : 0xde;
      out[b + 14] = 0;
      out[b + 15] = (extensionBytes - 4) >> 2;
      let o = b + 16;
      if (midLength) {
        o = writeElementHeader(out, o, this.#midId, midLength, twoByte);
        for (let i = 0; i < midLength; i++) out[o++] = this.#mid[i]!;
      }
      if (this.#absSendTimeId) {
        const t = absSendTime(timeOrigin + (retransmission ? performance.now() : packet.receivedAt));
        o = writeElementHeader(out, o, this.#absSendTimeId, 3, twoByte);
        out[o] = t >>> 16;
        out[o + 1] = t >>> 8;
        out[o + 2] = t;
        o += 3;
      }
      if (withLevel) {
        o = writeElementHeader(out, o, this.#audioLevelId, 1, twoByte);
        out[o++] = (packet.voiced ? 0x80 : 0) | packet.audioLevel;
      }
      if (ddLength) {
        o = writeElementHeader(out, o, this.#dependencyDescriptorId, ddLength, twoByte);
        if (ddRewritten) this.dependencyDescriptorPatch!.write(out, o);
        else packet.buffer.copy(out, o, ddAt, ddAt + ddLength);
        o += ddLength;
      }
      if (history) {
        // Committed to the history only once the packet went out (a failed send reuses the number).
        const transportSequence = history.nextSequence;
        o = writeElementHeader(out, o, this.#transportSequenceId, 2, twoByte);
        out[o] = transportSequence >>> 8;
        out[o + 1] = transportSequence;
        o += 2;
      }
      while (o < b + headerLength) out[o++] = 0;
    }
    let src = packet.buffer;
    let srcWords = packet.words;
    let srcAt = packet.headerLength;
    const patch = this.payloadPatch;
    if (patch !== null) {
      // Copy first, rewrite the copy, then encrypt it in place (the source is shared).
      copyBytes(out, link!.outputWords, b + headerLength, src, srcWords, srcAt, body);
      const skip = asRtx ? 2 : 0; // RTX: after the original sequence number
      patch.apply(out, b + headerLength + skip, src, srcAt + skip, packet.length - packet.paddingLength, retransmission);
      src = out;
      srcWords = link!.outputWords;
      srcAt = b + headerLength;
    }
    // The payload is copied and encrypted in one pass.
    const protectedLength = session.local.protectRtpFrom(
      out,
      link!.outputWords,
      b,
      headerLength,
      src,
      srcWords,
      srcAt,
      body,
      asRtx ? this.#rtxStream : this.#srtpStream,
    );
    if (!link!.send(out, protectedLength, b)) return false;
    // Forwarding is synchronous with the arrival: its time is the send time, without another clock read.
    if (history) history.sent(protectedLength, retransmission ? performance.now() : packet.receivedAt);

    this.#path.counters.rtpSent++;
    const payloadLength = body - packet.paddingLength;
    this.packetsSent++;
    this.octetsSent += payloadLength;
    if (!retransmission) {
      this.#lastTimestamp = timestamp;
      this.#lastSentAt = packet.receivedAt;
    }
    // Keep werift's outbound-rtp counters meaningful for pc.getStats().
    s.packetCount = (s.packetCount + 1) >>> 0;
    s.octetCount += payloadLength;
    return true;
  }

  resend(packet: MediaPacket, sequenceNumber: number, timestamp: number, marker = packet.marker): boolean {
    const s = this.#sender;
    if (s.rtxPayloadType === undefined || !s.rtxSsrc) return this.send(packet, sequenceNumber, timestamp, true, marker);
    const rtxSequenceNumber = this.#rtxSequenceNumber;
    this.#asRtx = true;
    try {
      if (!this.send(wrapRtx(packet, sequenceNumber), rtxSequenceNumber, timestamp, true, marker)) return false;
    } finally {
      this.#asRtx = false;
    }
    this.#rtxSequenceNumber = (rtxSequenceNumber + 1) & 0xffff;
    this.#path.counters.rtxSent++;
    return true;
  }

  senderReport(ntp: [number, number], nowPerf: number) {
    const elapsedTicks = Math.round(((nowPerf - this.#lastSentAt) * this.clockRate) / 1000);
    return {
      ssrc: this.ssrc,
      ntp,
      rtpTimestamp: (this.#lastTimestamp + Math.max(0, elapsedTicks)) >>> 0,
      packetCount: this.packetsSent,
      octetCount: this.octetsSent,
    };
  }

  noteSenderReport(lsr: number, sentAtSeconds: number): void {
    this.#sender.lastSRtimestamp = lsr;
    this.#sender.lastSentSRTimestamp = sentAtSeconds;
  }

  close(): void {
    this.#closed = true;
    this.#path.removeSender(this);
  }
}
