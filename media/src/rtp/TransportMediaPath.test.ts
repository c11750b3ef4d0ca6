/**
 * The packet path with stand-ins for werift's connection internals
 * (fakeWebrtc.ts): what goes in and out of the "sockets" is checked byte for
 * byte with the peers' own SRTP sessions. Router.test.ts runs the same path
 * between real werift peers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  GenericNack,
  RtcpPacketConverter,
  RtcpTransportLayerFeedback,
  type RtcpRrPacket,
  type RtcpSourceDescriptionPacket,
  type RtcpSrPacket,
} from 'werift';
import { Consumer } from '../Consumer.ts';
import { Producer } from '../Producer.ts';
import {
  fakeDtls,
  fakePeerConnection,
  fakePublisherPath,
  fakeSendTransceiver,
  fakeSocket,
  peerSession,
  randomSrtpKeys,
  type FakeDtls,
} from '../testing/fakeWebrtc.ts';
import { parseRtp } from './rtpPacket.ts';
import { SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80, type SrtpKeys, type SrtpProfile } from './srtp.ts';
import type { RtpStreamSender } from './RtpStreamSender.ts';
import { TransportMediaPath } from './TransportMediaPath.ts';

const paths: TransportMediaPath[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const p of paths.splice(0)) p.close();
});

/** A publisher's transport with an audio (SSRC 0xa0) and a video (0xa1) producer. */
function publisherSide(profile: SrtpProfile = SRTP_AES128_CM_HMAC_SHA1_80) {
  const keys = randomSrtpKeys(profile);
  const { link, path, producers } = fakePublisherPath(keys, { ssrcBase: 0xa0 });
  paths.push(path);
  const client = peerSession(keys);
  let seq = { audio: 100, video: 5000 };
  /** The publisher sends one packet (encrypted with its own session) to the SFU. */
  const publish = (kind: 'audio' | 'video', options: { seq?: number; payload?: Buffer; level?: number; ssrc?: number; pt?: number; mid?: string } = {}) => {
    const s = options.seq ?? seq[kind]++;
    const ext: number[] = [];
    if (options.mid !== undefined) ext.push(0x10 | (options.mid.length - 1), ...Buffer.from(options.mid));
    if (options.level !== undefined) ext.push(0x30, 0x80 | options.level);
    while (ext.length % 4) ext.push(0);
    const payload = options.payload ?? Buffer.from(`${kind}-${s}`);
    const headerLength = 12 + (ext.length ? 4 + ext.length : 0);
    const buf = Buffer.alloc(headerLength + payload.length + 16);
    buf[0] = ext.length ? 0x90 : 0x80;
    buf[1] = options.pt ?? (kind === 'audio' ? 111 : 96);
    buf.writeUInt16BE(s & 0xffff, 2);
    buf.writeUInt32BE(s * 960, 4);
    buf.writeUInt32BE(options.ssrc ?? (kind === 'audio' ? 0xa0 : 0xa1), 8);
    if (ext.length) {
      buf.writeUInt16BE(0xbede, 12);
      buf.writeUInt16BE(ext.length / 4, 14);
      Buffer.from(ext).copy(buf, 16);
    }
    payload.copy(buf, headerLength);
    const n = client.local.protectRtp(buf, headerLength, headerLength + payload.length);
    link.udp.onData(buf.subarray(0, n), ['127.0.0.1', 1]);
  };
  return { keys, link, path, producers, publish, audio: producers[0]!.producer, video: producers[1]!.producer };
}

/** A subscriber's transport consuming `producers`, and what arrives at the subscriber. */
function subscriberSide(producers: Producer[], profile: SrtpProfile = SRTP_AES128_CM_HMAC_SHA1_80, options: { state?: string } = {}) {
  const keys = randomSrtpKeys(profile);
  const link = fakeDtls(keys);
  if (options.state) link.dtls.state = options.state;
  const path = new TransportMediaPath(fakePeerConnection([link.dtls]));
  paths.push(path);
  path.attach();
  const consumers = producers.map((producer, i) => {
    const transceiver = fakeSendTransceiver(producer.kind, { ssrc: 0xc0 + i, mid: `m${i}`, dtls: link.dtls });
    const output = path.createSender(transceiver, producer.kind, producer.kind === 'audio' ? 48000 : 90000);
    const consumer = new Consumer({ id: `c${i}`, producer, transceiver, clockRate: output.clockRate, output });
    return { consumer, transceiver, output: output as RtpStreamSender };
  });
  const client = peerSession(keys);
  /** Decrypts everything sent to the subscriber so far. */
  const received = () =>
    link.socket.sent.map((d) => {
      const buf = Buffer.concat([d.buf, Buffer.alloc(16)]);
      const n = client.remote.unprotectRtp(buf, d.length);
      expect(n).toBeGreaterThan(0);
      return parseRtp(buf, n)!;
    });
  return { keys, link, path, consumers, received };
}

function decodeRtcp(link: FakeDtls) {
  return link.rtcpSent.flatMap((b) => RtcpPacketConverter.deSerialize(b));
}

describe('TransportMediaPath', () => {
  describe.each([
    ['AES_CM_128_HMAC_SHA1_80', SRTP_AES128_CM_HMAC_SHA1_80],
    ['AEAD_AES_128_GCM', SRTP_AEAD_AES_128_GCM],
  ] as [string, SrtpProfile][])('%s', (_name, profile) => {
    it('decrypts, demuxes by SSRC, rewrites and re-encrypts for the subscriber', () => {
      const pub = publisherSide(profile);
      const sub = subscriberSide([pub.audio, pub.video], profile);
      pub.publish('audio', { level: 25 });
      pub.publish('video', { payload: Buffer.alloc(1100, 0xab) });
      pub.publish('audio', { level: 90 });
      expect(pub.audio.getStats().packetsReceived).toBe(2);
      expect(pub.video.getStats().packetsReceived).toBe(1);
      expect(pub.path.counters).toMatchObject({ rtpReceived: 3, rtpDropped: 0, authFailures: 0 });

      const got = sub.received();
      expect(got.map((p) => [p.ssrc, p.payloadType, p.sequenceNumber, p.timestamp])).toEqual([
        [0xc0, 109, 100, 100 * 960],
        [0xc1, 120, 5000, 5000 * 960],
        [0xc0, 109, 101, 101 * 960],
      ]);
      expect(got[1]!.payload).toEqual(Buffer.alloc(1100, 0xab));
      expect(got[0]!.payload.toString()).toBe('audio-100');
      // The subscriber's extension ids: MID (1), abs-send-time (2), audio level (3, audio only).
      expect(got[0]!.getExtension(1)?.toString()).toBe('m0');
      expect(got[1]!.getExtension(1)?.toString()).toBe('m1');
      expect(got[0]!.getExtension(2)).toHaveLength(3);
      expect(got[0]!.getExtension(3)).toEqual(Buffer.from([0x80 | 25]));
      expect(got[2]!.getExtension(3)).toEqual(Buffer.from([0x80 | 90]));
      expect(got[1]!.getExtension(3)).toBeUndefined();
      // Sent on the selected pair, and counted where werift's stats look.
      expect(sub.link.socket.sent[0]).toMatchObject({ port: 40000, address: '127.0.0.1' });
      expect(sub.link.pair.packetsSent).toBe(3);
      expect(sub.link.dtls.packetsSent).toBe(3);
      expect(sub.consumers[0]!.consumer.getStats()).toEqual({ packetsSent: 2, bytesSent: 18, keyFrameRequestsReceived: 0 });
    });
  });

  it('passes STUN, DTLS and RTCP through to werift, and drops what does not authenticate or belong', () => {
    const pub = publisherSide();
    for (const first of [0x00, 0x17, 0x80]) {
      const datagram = Buffer.from([first, first === 0x80 ? 201 : 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      pub.link.udp.onData(datagram, ['127.0.0.1', 1]);
    }
    expect(pub.link.passedThrough).toBe(3);
    // Forged: right SSRC, wrong keys.
    const forged = Buffer.alloc(40);
    forged[0] = 0x80;
    forged[1] = 96;
    forged.writeUInt32BE(0xa1, 8);
    pub.link.udp.onData(forged, ['127.0.0.1', 1]);
    expect(pub.path.counters.authFailures).toBe(1);
    // Authentic, but an SSRC nobody announced and no MID to route it by.
    pub.publish('video', { ssrc: 0xbad });
    // Authentic, but a payload type the producer did not negotiate.
    pub.publish('video', { pt: 100 });
    expect(pub.path.counters.rtpDropped).toBe(2);
    expect(pub.video.getStats().packetsReceived).toBe(0);
    // An unannounced SSRC carrying the producer's MID is learnt (simulcast-style announcements).
    pub.publish('video', { ssrc: 0xbeef, mid: '1' });
    pub.publish('video', { ssrc: 0xbeef });
    expect(pub.video.getStats().packetsReceived).toBe(2);
    expect(pub.video.ssrc).toBe(0xbeef);
  });

  it('sends nothing before DTLS is up and starts when it connects', () => {
    const pub = publisherSide();
    const sub = subscriberSide([pub.video], SRTP_AES128_CM_HMAC_SHA1_80, { state: 'connecting' });
    expect(sub.consumers[0]!.output.ready).toBe(false);
    pub.publish('video');
    expect(sub.link.socket.sent).toHaveLength(0);
    expect(sub.consumers[0]!.consumer.getStats().packetsSent).toBe(0);
    sub.link.dtls.state = 'connected';
    sub.link.dtls.onStateChange.execute('connected');
    expect(sub.consumers[0]!.output.ready).toBe(true);
    pub.publish('video');
    expect(sub.received()).toHaveLength(1);
  });

  it('sends sender reports with CNAMEs for streams that sent, and receiver reports for producers', () => {
    const pub = publisherSide();
    const sub = subscriberSide([pub.audio, pub.video]);
    for (let i = 0; i < 5; i++) pub.publish('video');
    pub.publish('video', { seq: 5006 }); // one lost
    pub.publish('audio');
    pub.link.rtcpSent.length = 0;
    sub.path.sendReports();
    pub.path.sendReports();

    const toSubscriber = decodeRtcp(sub.link);
    const srs = toSubscriber.filter((p) => p.type === 200) as RtcpSrPacket[];
    expect(srs.map((s) => [s.ssrc, s.senderInfo.packetCount])).toEqual([
      [0xc0, 1],
      [0xc1, 6],
    ]);
    expect(srs[1]!.senderInfo.octetCount).toBe(6 * 'video-5000'.length);
    const sdes = toSubscriber.find((p) => p.type === 202) as RtcpSourceDescriptionPacket;
    expect(sdes.chunks.map((c) => [c.source, c.items[0]!.text])).toEqual([
      [0xc0, 'fake-cname'],
      [0xc1, 'fake-cname'],
    ]);
    // werift's RTT computation from the subscriber's RRs keys on these.
    expect(sub.consumers[1]!.transceiver.sender).toMatchObject({ lastSRtimestamp: expect.any(Number), lastSentSRTimestamp: expect.any(Number) });

    const rr = decodeRtcp(pub.link).find((p) => p.type === 201) as RtcpRrPacket;
    expect(rr.ssrc).toBe(0x5151);
    const video = rr.reports.find((r) => r.ssrc === 0xa1)!;
    expect([video.packetsLost, video.highestSequence]).toEqual([1, 5006]);
    expect(rr.reports.find((r) => r.ssrc === 0xa0)!.packetsLost).toBe(0);
  });

  it('reports every ~1 s while video flows either way, every ~5 s for audio only', () => {
    const pub = publisherSide();
    expect(pub.path.reportIntervalMs()).toBe(1000); // audio + video producers
    const audioOnly = subscriberSide([pub.audio]);
    expect(audioOnly.path.reportIntervalMs()).toBe(5000);
    const withVideo = subscriberSide([pub.audio, pub.video]);
    expect(withVideo.path.reportIntervalMs()).toBe(1000);
  });

  it('NACKs holes in a video producer stream', async () => {
    const pub = publisherSide();
    pub.publish('video', { seq: 10 });
    pub.publish('video', { seq: 13 });
    pub.publish('audio', { seq: 1 });
    pub.publish('audio', { seq: 5 }); // audio negotiated no NACK
    await vi.waitFor(() => expect(pub.path.counters.nacksSent).toBeGreaterThanOrEqual(1));
    const nacks = decodeRtcp(pub.link).filter((p) => p.type === 205) as RtcpTransportLayerFeedback[];
    const feedback = nacks[0]!.feedback as unknown as { mediaSourceSsrc: number; lost: number[] };
    expect([feedback.mediaSourceSsrc, feedback.lost]).toEqual([0xa1, [11, 12]]);
    // Repeated until the packets arrive (or retries run out); then no more.
    pub.publish('video', { seq: 11 });
    pub.publish('video', { seq: 12 });
    const after = pub.path.counters.nacksSent;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pub.path.counters.nacksSent).toBeLessThanOrEqual(after + 1);
  });

  it('retransmits what a subscriber NACKs, with the numbering it was first sent with', () => {
    const pub = publisherSide();
    const sub = subscriberSide([pub.video]);
    for (let i = 0; i < 3; i++) pub.publish('video', { payload: Buffer.from(`frame-${i}`) });
    const first = sub.received();
    sub.consumers[0]!.transceiver.sender.onRtcp.execute(
      new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc: 0xc0, lost: [first[1]!.sequenceNumber] }) }),
    );
    const all = sub.received();
    expect(all).toHaveLength(4);
    expect([all[3]!.sequenceNumber, all[3]!.timestamp, all[3]!.payload.toString()]).toEqual([
      first[1]!.sequenceNumber,
      first[1]!.timestamp,
      'frame-1',
    ]);
    expect(sub.consumers[0]!.consumer.retransmissions).toBe(1);
  });

  it('asks for AES-CM: alone as the DTLS client, before GCM as the server', () => {
    const keys: SrtpKeys = randomSrtpKeys();
    const client = fakeDtls(keys);
    Object.assign(client.dtls, { state: 'new', role: 'client', srtpProfiles: [SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80] });
    const server = fakeDtls(keys);
    Object.assign(server.dtls, { state: 'new', role: 'auto', srtpProfiles: [SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80] });
    server.connection.iceControlling = true; // werift makes the controlling side the DTLS server
    const path = new TransportMediaPath(fakePeerConnection([client.dtls, server.dtls]));
    paths.push(path);
    path.attach();
    expect(client.dtls.srtpProfiles).toEqual([SRTP_AES128_CM_HMAC_SHA1_80]);
    expect(server.dtls.srtpProfiles).toEqual([SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM]);
  });

  it('stops taking packets once closed', () => {
    const pub = publisherSide();
    pub.path.close();
    pub.publish('video');
    expect(pub.video.getStats().packetsReceived).toBe(0);
    void fakeSocket;
  });
});
