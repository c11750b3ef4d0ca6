/** Small stand-ins for werift objects and the packet path, for unit tests of the domain classes. */
import { vi } from 'vitest';
import { Event, RtpHeader, RtpPacket, type RTCRtpReceiver, type RTCRtpTransceiver, type RtcpPacket } from 'werift';
import type { MediaKind } from '../codecs.ts';
import { Consumer } from '../Consumer.ts';
import { Producer, type ProducerOptions } from '../Producer.ts';
import { parseRtp, type MediaPacket } from '../rtp/rtpPacket.ts';
import { RtpRewriter } from '../rtp/RtpRewriter.ts';
import type { ConsumerOutput, PayloadPatch } from '../rtp/RtpStreamSender.ts';

export function fakeReceiver() {
  return { sendRtcpPLI: vi.fn((_ssrc: number) => Promise.resolve()) };
}

/** The header-extension id fake audio producers use for ssrc-audio-level. */
export const FAKE_AUDIO_LEVEL_ID = 3;

export interface DeliverOptions {
  payload?: Buffer;
  /** ssrc-audio-level to write into the packet (audio producers read it). */
  audioLevel?: { level: number; voiced: boolean };
  headerExtensions?: { id: number; payload: Buffer }[];
  sequenceNumber?: number;
  timestamp?: number;
  marker?: boolean;
}

/** Builds a MediaPacket as the packet path would hand it over (plaintext, parsed). */
export function mediaPacket(options: DeliverOptions & { ssrc?: number; payloadType?: number } = {}): MediaPacket {
  const extensions = [...(options.headerExtensions ?? [])];
  if (options.audioLevel) {
    extensions.push({ id: FAKE_AUDIO_LEVEL_ID, payload: Buffer.from([(options.audioLevel.voiced ? 0x80 : 0) | options.audioLevel.level]) });
  }
  const header = new RtpHeader({
    ssrc: options.ssrc ?? 0x1234,
    sequenceNumber: options.sequenceNumber ?? 1000,
    timestamp: options.timestamp ?? 0,
    payloadType: options.payloadType ?? 96,
    marker: options.marker ?? false,
    extension: extensions.length > 0,
    extensions,
  });
  const bytes = new RtpPacket(header, options.payload ?? Buffer.alloc(100, 7)).serialize();
  const packet = parseRtp(bytes, bytes.length);
  if (!packet) throw new Error('fake packet did not parse');
  packet.receivedAt = performance.now();
  return packet;
}

/** A Producer bound to a fake receiver; `deliver` hands it packets as its transport would. */
export function makeProducer(kind: MediaKind, options: { id?: string; ssrc?: number } = {}) {
  const receiver = fakeReceiver();
  const producer = new Producer({
    id: options.id ?? `${kind}-producer`,
    kind,
    mid: kind === 'audio' ? '0' : '1',
    source: kind === 'audio' ? 'microphone' : 'camera',
    receiver: receiver as unknown as RTCRtpReceiver,
    codec: kind === 'audio' ? 'audio/opus' : 'video/VP8',
    audioLevelExtensionId: kind === 'audio' ? FAKE_AUDIO_LEVEL_ID : 0,
    ssrc: options.ssrc ?? 0x1234,
  });
  let seq = 1000;
  const deliver = (opts: DeliverOptions = {}): MediaPacket => {
    const sequenceNumber = opts.sequenceNumber ?? seq;
    seq = (sequenceNumber + 1) & 0xffff;
    const packet = mediaPacket({
      ssrc: options.ssrc ?? 0x1234,
      sequenceNumber,
      timestamp: opts.timestamp ?? sequenceNumber * 960,
      payloadType: kind === 'audio' ? 111 : 96,
      payload: opts.payload ?? Buffer.alloc(kind === 'audio' ? 100 : 1000, 7),
      ...opts,
    });
    producer.receiveRtp(packet);
    return packet;
  };
  return { producer, receiver, deliver };
}

/** A transceiver whose sender's RTCP the test drives. */
export function fakeTransceiver(options: { ssrc?: number; mid?: string } = {}) {
  const onRtcp = new Event<[RtcpPacket]>();
  const sender = { ssrc: options.ssrc ?? 0xabcd, onRtcp };
  const transceiver = { mid: options.mid ?? '0', sender };
  return { transceiver: transceiver as unknown as RTCRtpTransceiver, sender };
}

export interface SentPacket {
  packet: MediaPacket;
  sequenceNumber: number;
  timestamp: number;
  retransmission: boolean;
  marker: boolean;
  /** The payload as it went out (after the output's payloadPatch, if any). */
  payload: Buffer;
}

/** A ConsumerOutput that records what the Consumer sends. */
export function fakeOutput(options: { ssrc?: number } = {}) {
  const sent: SentPacket[] = [];
  const output = {
    ssrc: options.ssrc ?? 0xabcd,
    ready: true as boolean,
    rewriter: new RtpRewriter(),
    payloadPatch: null as PayloadPatch | null,
    send: vi.fn((packet: MediaPacket, sequenceNumber: number, timestamp: number, retransmission = false, marker = packet.marker) => {
      const payload = Buffer.from(packet.payload);
      output.payloadPatch?.apply(payload, 0, packet.buffer, packet.headerLength, packet.length - packet.paddingLength, retransmission);
      sent.push({ packet, sequenceNumber, timestamp, retransmission, marker, payload });
      return true;
    }),
  } satisfies ConsumerOutput;
  return { output, sent };
}

/** The rids and rid header extension id of fakeSimulcastConsumer's publisher, and its encodings' SSRCs and sizes. */
export const SIMULCAST_RIDS = ['r0', 'r1', 'r2'];
export const SIMULCAST_RID_EXTENSION_ID = 10;
export const SIMULCAST_SSRCS = [0x1000, 0x2000, 0x3000];
export const SIMULCAST_SIZES = [
  [320, 180],
  [640, 360],
  [1280, 720],
];

/** A camera Producer on a fake receiver (`options` give its id, codec and the rest), and one Consumer of it on a recording output. */
export function fakeVideoConsumer(options: Omit<ProducerOptions, 'kind' | 'mid' | 'source' | 'receiver'>) {
  const receiver = fakeReceiver();
  const producer = new Producer({ kind: 'video', mid: '1', source: 'camera', receiver: receiver as unknown as RTCRtpReceiver, ...options });
  const { transceiver } = fakeTransceiver();
  const { output, sent } = fakeOutput();
  const consumer = new Consumer({ id: 'c', producer, transceiver, clockRate: 90000, output });
  return { receiver, producer, transceiver, output, sent, consumer };
}

/** A VP8 simulcast Producer on a fake receiver, and one Consumer of it on a recording output. */
export function fakeSimulcastConsumer() {
  return fakeVideoConsumer({
    id: 'sim',
    codec: 'video/VP8',
    simulcast: { rids: SIMULCAST_RIDS, ridExtensionId: SIMULCAST_RID_EXTENSION_ID, repairedRidExtensionId: 11 },
  });
}

/**
 * One VP8 frame (one packet) of encoding `e` of fakeSimulcastConsumer's
 * publisher: 15-bit picture id, TL0PICIDX, KEYIDX; keyframes carry their
 * size. `rid`: with the rid extension (a publisher stops sending it once
 * the SFU has seen it).
 */
export function simulcastVp8Packet(e: number, frame: number, keyFrame: boolean, rid = true): MediaPacket {
  const payload = Buffer.alloc(40, 0xab);
  payload[0] = 0x90; // X, S, partition 0
  payload[1] = 0xd0; // I, L, K
  const pictureId = (1000 * (e + 1) + frame) & 0x7fff;
  payload[2] = 0x80 | (pictureId >> 8);
  payload[3] = pictureId & 0xff;
  payload[4] = (50 * e + frame) & 0xff; // TL0PICIDX (every frame is T0 here)
  payload[5] = (3 * e + (keyFrame ? frame : 0)) & 0x1f; // KEYIDX
  payload[6] = keyFrame ? 0x00 : 0x01; // P bit: 0 = keyframe
  if (keyFrame) {
    payload.set([0x9d, 0x01, 0x2a], 9);
    payload.writeUInt16LE(SIMULCAST_SIZES[e]![0]!, 12);
    payload.writeUInt16LE(SIMULCAST_SIZES[e]![1]!, 14);
  }
  const packet = mediaPacket({
    ssrc: SIMULCAST_SSRCS[e],
    sequenceNumber: (e * 20000 + frame) & 0xffff,
    timestamp: (e * 7_000_000 + frame * 3000) >>> 0,
    marker: true,
    payload,
    headerExtensions: rid ? [{ id: SIMULCAST_RID_EXTENSION_ID, payload: Buffer.from(SIMULCAST_RIDS[e]!) }] : [],
  });
  packet.receivedAt = frame * 33.3;
  return packet;
}
