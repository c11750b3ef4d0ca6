/** Small stand-ins for werift objects, for unit tests of the domain classes. */
import { vi } from 'vitest';
import { Event, MediaStreamTrack, RtpHeader, RtpPacket, type RTCRtpReceiver, type RTCRtpTransceiver, type RtcpPacket } from 'werift';
import type { MediaKind } from '../codecs.ts';
import { Producer } from '../Producer.ts';

export function fakeReceiver() {
  return { sendRtcpPLI: vi.fn((_ssrc: number) => Promise.resolve()) };
}

/** A Producer bound to a fake receiver and a real (remote) werift track. */
export function makeProducer(kind: MediaKind, options: { id?: string; ssrc?: number } = {}) {
  const receiver = fakeReceiver();
  const producer = new Producer({
    id: options.id ?? `${kind}-producer`,
    kind,
    mid: kind === 'audio' ? '0' : '1',
    source: kind === 'audio' ? 'microphone' : 'camera',
    receiver: receiver as unknown as RTCRtpReceiver,
    codec: kind === 'audio' ? 'audio/opus' : 'video/VP8',
  });
  const track = new MediaStreamTrack({ kind, ssrc: options.ssrc ?? 0x1234, remote: true });
  producer.attachTrack(track);
  let seq = 1000;
  /** Delivers one packet the way werift's receiver does. */
  const deliver = (opts: { payload?: Buffer; extensions?: Record<string, unknown>; headerExtensions?: { id: number; payload: Buffer }[] } = {}) => {
    const header = new RtpHeader({
      ssrc: options.ssrc ?? 0x1234,
      sequenceNumber: seq++,
      timestamp: seq * 960,
      payloadType: kind === 'audio' ? 111 : 96,
      extension: !!opts.headerExtensions?.length,
      extensions: opts.headerExtensions ?? [],
    });
    const rtp = new RtpPacket(header, opts.payload ?? Buffer.alloc(kind === 'audio' ? 100 : 1000, 7));
    track.onReceiveRtp.execute(rtp, opts.extensions as never);
    return rtp;
  };
  return { producer, receiver, track, deliver };
}

/** A transceiver whose sender records what the Consumer does to it. */
export function fakeTransceiver(options: { ssrc?: number; mid?: string } = {}) {
  const onRtcp = new Event<[RtcpPacket]>();
  const sender = {
    ssrc: options.ssrc ?? 0xabcd,
    onRtcp,
    stopped: false,
    codec: { mimeType: 'video/VP8', payloadType: 96 } as unknown,
    dtlsTransport: { state: 'connected' } as { state: string },
    sendRtp: vi.fn((_rtp: RtpPacket) => Promise.resolve()),
    replaceRTP: vi.fn((_header: RtpHeader, _discontinuity?: boolean, _timestampStep?: number) => undefined),
  };
  const transceiver = { mid: options.mid ?? '0', sender };
  return { transceiver: transceiver as unknown as RTCRtpTransceiver, sender };
}
