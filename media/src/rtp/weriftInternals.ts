/**
 * The one place that reads werift's internals (werift 0.25.2, pinned). The
 * packet path keeps werift for SDP, ICE and DTLS and takes over RTP at the
 * sockets; everything it needs from inside werift is declared and reached
 * here, so an upgrade has one file to check (and rtp/*.test.ts to run).
 */
import type dgram from 'node:dgram';
import type { RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver } from 'werift';

export interface WeriftEvent<T extends unknown[]> {
  subscribe(fn: (...args: T) => void): { unSubscribe: () => void };
  execute: (...args: T) => void;
}

/** werift's UdpTransport (common/src/transport.ts). */
export interface WeriftUdpTransport {
  type: string;
  socket: dgram.Socket;
  closed: boolean;
  /** Called by the transport's socket 'message' listener for every datagram. */
  onData: (data: Buffer, addr: [string, number]) => void;
  /** What werift sends on the socket (STUN, DTLS, SRTCP); an own, writable property. */
  send?: (data: Buffer, addr?: [string, number]) => Promise<void>;
}

/** werift's StunProtocol / TURN protocol (ice/src/stun/protocol.ts). */
export interface WeriftProtocol {
  type: string;
  transport?: WeriftUdpTransport;
  sendData(data: Buffer, addr: [string, number]): Promise<void>;
}

/** werift's CandidatePair (ice/src/iceBase.ts). */
export interface WeriftCandidatePair {
  protocol: WeriftProtocol;
  remoteAddr: [string, number];
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
}

/** werift's ICE Connection (ice/src/ice.ts). */
export interface WeriftConnection {
  state: string;
  iceControlling: boolean;
  protocols: WeriftProtocol[];
  nominated?: WeriftCandidatePair;
  onData: WeriftEvent<[Buffer]>;
  stateChanged: WeriftEvent<[string]>;
  canSendApplicationData(): boolean;
  close(): Promise<void>;
}

/** werift's RTCDtlsTransport (webrtc/src/transport/dtls.ts). */
export interface WeriftDtlsTransport {
  id: string;
  state: string;
  /** 'client' or 'server' once negotiated; 'auto' until then (the ICE controlling side becomes server). */
  role: string;
  /** Offered/selected DTLS-SRTP profiles, in preference order; read when DTLS starts. */
  srtpProfiles: number[];
  /** werift's own SRTP session; its config holds the keys exported by DTLS. */
  srtp?: {
    config: {
      profile: number;
      keys: { localMasterKey: Buffer; localMasterSalt: Buffer; remoteMasterKey: Buffer; remoteMasterSalt: Buffer };
    };
  };
  /**
   * werift's SRTCP session: every incoming RTCP datagram is decrypted by its
   * decrypt() before werift parses and routes it. Replaced when DTLS
   * (re)starts SRTP.
   */
  srtcp?: WeriftSrtcpSession;
  onStateChange: WeriftEvent<[string]>;
  iceTransport: { connection: WeriftConnection };
  sendRtcp(packets: { serialize(): Buffer }[]): Promise<void>;
  bytesSent: number;
  packetsSent: number;
  bytesReceived: number;
  packetsReceived: number;
}

/** werift's SrtcpSession (rtp/src/srtp/srtcp.ts). */
export interface WeriftSrtcpSession {
  decrypt(data: Buffer): Buffer;
}

/**
 * Calls `inspect` with every RTCP compound packet `dtls` receives, decrypted,
 * before werift parses it; werift goes on with what `inspect` returns (an
 * empty buffer: nothing). Survives werift replacing its SRTCP session.
 */
export function interceptRtcp(dtls: WeriftDtlsTransport, inspect: (decrypted: Buffer) => Buffer): void {
  const wrap = (session: WeriftSrtcpSession | undefined): WeriftSrtcpSession | undefined => {
    if (session === undefined) return undefined;
    const decrypt = session.decrypt.bind(session);
    session.decrypt = (data: Buffer) => inspect(decrypt(data));
    return session;
  };
  let current = wrap(dtls.srtcp);
  Object.defineProperty(dtls, 'srtcp', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (session: WeriftSrtcpSession | undefined) => {
      current = wrap(session);
    },
  });
}

export function dtlsTransportsOf(pc: RTCPeerConnection): WeriftDtlsTransport[] {
  return ((pc as unknown as { dtlsTransports?: WeriftDtlsTransport[] }).dtlsTransports ?? []).filter(Boolean);
}

export function dtlsTransportOf(endpoint: RTCRtpSender | RTCRtpReceiver): WeriftDtlsTransport | undefined {
  return (endpoint as unknown as { dtlsTransport?: WeriftDtlsTransport }).dtlsTransport;
}

/** Sender fields the packet path reads to write RTP the way werift's sendRtp would. */
export interface WeriftSenderView {
  ssrc: number;
  stopped: boolean;
  codec?: { payloadType: number; clockRate: number; mimeType: string };
  /** Negotiated RTX payload type (undefined: none) and the SSRC retransmissions go out on. */
  rtxPayloadType?: number;
  rtxSsrc: number;
  headerExtensions: { id: number; uri: string }[];
  mid?: string;
  cname?: string;
  /** werift computes the subscriber RTT from receiver reports against these. */
  lastSRtimestamp?: number;
  lastSentSRTimestamp?: number;
  rtt?: number;
  packetCount: number;
  octetCount: number;
}

export function senderView(sender: RTCRtpSender): WeriftSenderView {
  return sender as unknown as WeriftSenderView;
}

/** Receiver fields: what werift learnt from the publisher's SDP and sender reports. */
export interface WeriftReceiverView {
  rtcpSsrc: number;
  codecs: Record<
    number,
    { payloadType: number; clockRate: number; mimeType: string; parameters?: string; rtcpFeedback: { type: string; parameter?: string }[] }
  >;
  /** RTX SSRC → the media SSRC it repairs, from the remote SDP's FID groups. */
  ssrcByRtx?: Record<number, number>;
  trackBySSRC: Record<number, unknown>;
  lastSRtimestamp: Record<number, number>;
  /** Seconds (Date.now() / 1000) when the last SR of an SSRC arrived. */
  receiveLastSRTimestamp: Record<number, number>;
}

export function receiverView(receiver: RTCRtpReceiver): WeriftReceiverView {
  return receiver as unknown as WeriftReceiverView;
}

export function negotiatedHeaderExtensions(transceiver: RTCRtpTransceiver): { id: number; uri: string }[] {
  return (transceiver as unknown as { headerExtensions?: { id: number; uri: string }[] }).headerExtensions ?? [];
}

/** The receiver werift's RTP router has registered for `ssrc`, if any (from a=ssrc lines). */
export function receiverForSsrc(pc: RTCPeerConnection, ssrc: number): RTCRtpReceiver | undefined {
  const table = (pc as unknown as { router?: { ssrcTable?: Record<number, unknown> } }).router?.ssrcTable;
  return table?.[ssrc] as RTCRtpReceiver | undefined;
}
