/**
 * Just enough of werift's peer connection internals (weriftInternals.ts) to
 * drive the packet path without sockets: a connected DTLS transport with
 * known SRTP keys, one ICE host protocol whose "socket" records what is sent,
 * and transceivers with negotiated codecs, SSRCs and header extensions. For
 * the packet-path benchmark and unit tests.
 */
import crypto from 'node:crypto';
import { Event, type RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import { Producer } from '../Producer.ts';
import { SRTP_AES128_CM_HMAC_SHA1_80, SrtpSession, type SrtpKeys, type SrtpProfile } from '../rtp/srtp.ts';
import { TransportMediaPath } from '../rtp/TransportMediaPath.ts';

export interface FakeSocket {
  sent: { buf: Buffer; offset: number; length: number; port: number; address: string }[];
  /** Keep sent datagrams (tests) or only count them (benchmarks). */
  keep: boolean;
  count: number;
  send(buf: Buffer, offset: number, length: number, port: number, address: string): void;
}

export function fakeSocket(keep = true): FakeSocket {
  const socket: FakeSocket = {
    sent: [],
    keep,
    count: 0,
    send(buf, offset, length, port, address) {
      socket.count++;
      if (socket.keep) socket.sent.push({ buf: Buffer.from(buf.subarray(offset, offset + length)), offset: 0, length, port, address });
    },
  };
  return socket;
}

export function randomSrtpKeys(profile: SrtpProfile = SRTP_AES128_CM_HMAC_SHA1_80): SrtpKeys {
  const saltLength = profile === SRTP_AES128_CM_HMAC_SHA1_80 ? 14 : 12;
  return {
    profile,
    localMasterKey: crypto.randomBytes(16),
    localMasterSalt: crypto.randomBytes(saltLength),
    remoteMasterKey: crypto.randomBytes(16),
    remoteMasterSalt: crypto.randomBytes(saltLength),
  };
}

/** The remote end's session for `keys` (local and remote swapped). */
export function peerSession(keys: SrtpKeys): SrtpSession {
  return new SrtpSession({
    profile: keys.profile,
    localMasterKey: keys.remoteMasterKey,
    localMasterSalt: keys.remoteMasterSalt,
    remoteMasterKey: keys.localMasterKey,
    remoteMasterSalt: keys.localMasterSalt,
  });
}

export function fakeDtls(keys: SrtpKeys, socket: FakeSocket = fakeSocket()) {
  const udp = {
    type: 'udp',
    closed: false,
    socket,
    onData: (_data: Buffer, _addr: [string, number]) => {
      passedThrough++;
    },
  };
  let passedThrough = 0;
  const protocol = { type: 'stun', transport: udp, sendData: async () => undefined };
  const pair = { protocol, remoteAddr: ['127.0.0.1', 40000] as [string, number], packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 };
  const connection = {
    state: 'connected',
    iceControlling: true,
    protocols: [protocol],
    nominated: pair as typeof pair | undefined,
    onData: new Event<[Buffer]>(),
    stateChanged: new Event<[string]>(),
    canSendApplicationData: () => connection.nominated !== undefined,
  };
  const rtcpSent: Buffer[] = [];
  const dtls = {
    id: 'dtls',
    state: 'connected',
    role: 'server',
    srtpProfiles: [keys.profile],
    srtp: {
      config: {
        profile: keys.profile,
        keys: {
          localMasterKey: keys.localMasterKey,
          localMasterSalt: keys.localMasterSalt,
          remoteMasterKey: keys.remoteMasterKey,
          remoteMasterSalt: keys.remoteMasterSalt,
        },
      },
    },
    onStateChange: new Event<[string]>(),
    iceTransport: { connection },
    sendRtcp: async (packets: { serialize(): Buffer }[]) => {
      for (const p of packets) rtcpSent.push(Buffer.from(p.serialize()));
    },
    bytesSent: 0,
    packetsSent: 0,
    bytesReceived: 0,
    packetsReceived: 0,
  };
  return {
    dtls,
    udp,
    connection,
    pair,
    socket,
    rtcpSent,
    get passedThrough() {
      return passedThrough;
    },
  };
}

export type FakeDtls = ReturnType<typeof fakeDtls>;

export function fakePeerConnection(dtlsList: FakeDtls['dtls'][], ssrcTable: Record<number, unknown> = {}) {
  return {
    connectionStateChange: new Event<[string]>(),
    dtlsTransports: dtlsList,
    router: { ssrcTable },
  } as unknown as RTCPeerConnection;
}

const EXTENSIONS = {
  audio: [
    { id: 1, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
    { id: 2, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
    { id: 3, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
  ],
  video: [
    { id: 1, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
    { id: 2, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
  ],
};

/** A negotiated receiving transceiver (publisher side) whose remote SSRC is `ssrc`. */
export function fakeRecvTransceiver(kind: 'audio' | 'video', options: { ssrc: number; mid: string; dtls: FakeDtls['dtls']; payloadType?: number }) {
  const payloadType = options.payloadType ?? (kind === 'audio' ? 111 : 96);
  const codec = {
    payloadType,
    clockRate: kind === 'audio' ? 48000 : 90000,
    mimeType: kind === 'audio' ? 'audio/opus' : 'video/VP8',
    rtcpFeedback: kind === 'video' ? [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] : [],
  };
  const receiver = {
    rtcpSsrc: 0x5151,
    codecs: { [payloadType]: codec },
    trackBySSRC: { [options.ssrc]: {} },
    lastSRtimestamp: {} as Record<number, number>,
    receiveLastSRTimestamp: {} as Record<number, number>,
    dtlsTransport: options.dtls,
    sendRtcpPLI: async () => undefined,
  };
  const sender = { ssrc: 0x7777, dtlsTransport: options.dtls, onRtcp: new Event<[unknown]>() };
  return {
    kind,
    mid: options.mid,
    codecs: [codec],
    headerExtensions: EXTENSIONS[kind],
    receiver,
    sender,
  } as unknown as RTCRtpTransceiver;
}

/** A negotiated sending transceiver (subscriber side) with SSRC `ssrc`. */
export function fakeSendTransceiver(kind: 'audio' | 'video', options: { ssrc: number; mid: string; dtls: FakeDtls['dtls']; payloadType?: number }) {
  const payloadType = options.payloadType ?? (kind === 'audio' ? 109 : 120);
  const sender = {
    ssrc: options.ssrc,
    stopped: false,
    codec: { payloadType, clockRate: kind === 'audio' ? 48000 : 90000, mimeType: kind === 'audio' ? 'audio/opus' : 'video/VP8' },
    headerExtensions: EXTENSIONS[kind],
    mid: options.mid,
    cname: 'fake-cname',
    dtlsTransport: options.dtls,
    onRtcp: new Event<[unknown]>(),
    packetCount: 0,
    octetCount: 0,
  };
  return { kind, mid: options.mid, sender, receiver: { dtlsTransport: options.dtls } } as unknown as RTCRtpTransceiver;
}

/**
 * A publisher's 'send' transport on a fake DTLS link, with an audio producer
 * (SSRC ssrcBase) and a video producer (ssrcBase + 1), attached and ready for
 * SRTP from a peerSession(keys). Shared by the packet-path tests and benchmark.
 */
export function fakePublisherPath(keys: SrtpKeys, options: { socket?: FakeSocket; ssrcBase: number }) {
  const link = fakeDtls(keys, options.socket);
  const path = new TransportMediaPath(fakePeerConnection([link.dtls]));
  path.attach();
  const producers = (['audio', 'video'] as const).map((kind, i) => {
    const ssrc = options.ssrcBase + i;
    const transceiver = fakeRecvTransceiver(kind, { ssrc, mid: String(i), dtls: link.dtls });
    const producer = new Producer({
      id: kind,
      kind,
      mid: String(i),
      source: kind,
      receiver: transceiver.receiver,
      codec: kind === 'audio' ? 'audio/opus' : 'video/VP8',
      audioLevelExtensionId: kind === 'audio' ? path.audioLevelExtensionId(transceiver) : 0,
      ssrc,
    });
    path.addProducer(producer, transceiver);
    return { producer, transceiver };
  });
  return { link, path, producers };
}
