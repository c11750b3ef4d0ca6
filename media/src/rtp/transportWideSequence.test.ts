/**
 * The send side of transport-wide congestion control on the packet path
 * (fake werift internals, as TransportMediaPath.test.ts): one sequence per
 * link across the subscriber's streams, retransmissions included, written
 * only where negotiated; and feedback read from the link's decrypted RTCP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RtcpTransportLayerFeedback, GenericNack } from 'werift';
import { Consumer } from '../Consumer.ts';
import { fakeDtls, fakePeerConnection, fakePublisherPath, fakeSendTransceiver, peerSession, randomSrtpKeys } from '../testing/fakeWebrtc.ts';
import { writeTransportFeedback } from '../testing/transportFeedbackWriter.ts';
import { parseRtp } from './rtpPacket.ts';
import { TRANSPORT_WIDE_CC_URI } from './headerExtensions.ts';
import { TransportMediaPath } from './TransportMediaPath.ts';
import { senderView } from './weriftInternals.ts';

const TWCC_ID = 5;
const paths: TransportMediaPath[] = [];
afterEach(() => {
  for (const p of paths.splice(0)) p.close();
});

function setup() {
  const pubKeys = randomSrtpKeys();
  const pub = fakePublisherPath(pubKeys, { ssrcBase: 0xa0 });
  paths.push(pub.path);
  const pubClient = peerSession(pubKeys);
  let seq = 1000;
  const publish = (kind: 'audio' | 'video') => {
    const payload = Buffer.alloc(kind === 'video' ? 900 : 80, 7);
    const buf = Buffer.alloc(12 + payload.length + 16);
    buf[0] = 0x80;
    buf[1] = kind === 'audio' ? 111 : 96;
    buf.writeUInt16BE(seq++ & 0xffff, 2);
    buf.writeUInt32BE(seq * 3000, 4);
    buf.writeUInt32BE(kind === 'audio' ? 0xa0 : 0xa1, 8);
    payload.copy(buf, 12);
    const n = pubClient.local.protectRtp(buf, 12, 12 + payload.length);
    pub.link.udp.onData(buf.subarray(0, n), ['127.0.0.1', 1]);
  };
  const [audio, video] = [pub.producers[0]!.producer, pub.producers[1]!.producer];

  const keys = randomSrtpKeys();
  const link = fakeDtls(keys);
  // werift's SRTCP session, as far as the path sees it: decrypt() hands werift the plain compound.
  const toWerift: Buffer[] = [];
  (link.dtls as unknown as { srtcp: { decrypt(b: Buffer): Buffer } }).srtcp = { decrypt: (b: Buffer) => b };
  const receiveRtcp = (compound: Buffer) => {
    toWerift.push((link.dtls as unknown as { srtcp: { decrypt(b: Buffer): Buffer } }).srtcp.decrypt(compound));
  };
  const path = new TransportMediaPath(fakePeerConnection([link.dtls]));
  paths.push(path);
  path.attach();
  const streams = [audio, video, video].map((producer, i) => {
    const transceiver = fakeSendTransceiver(producer.kind, { ssrc: 0xc0 + i, mid: `m${i}`, dtls: link.dtls });
    // The subscriber negotiated the transport-wide sequence number for video.
    const sender = senderView(transceiver.sender);
    if (producer.kind === 'video') sender.headerExtensions = [...sender.headerExtensions, { id: TWCC_ID, uri: TRANSPORT_WIDE_CC_URI }];
    const output = path.createSender(transceiver, producer.kind, producer.kind === 'audio' ? 48000 : 90000);
    const consumer = new Consumer({ id: `c${i}`, producer, transceiver, clockRate: output.clockRate, output });
    return { consumer, transceiver };
  });
  const client = peerSession(keys);
  const received = () =>
    link.socket.sent.map((d) => {
      const buf = Buffer.concat([d.buf, Buffer.alloc(16)]);
      const n = client.remote.unprotectRtp(buf, d.length);
      return parseRtp(buf, n)!;
    });
  const estimates: { bitrate: number; congested: boolean }[] = [];
  path.onTransportEstimate = (bitrate, congested) => estimates.push({ bitrate, congested });
  return { publish, path, streams, received, receiveRtcp, toWerift, estimates };
}

const transportSequence = (p: ReturnType<typeof parseRtp>) => {
  const ext = p!.getExtension(TWCC_ID);
  return ext === undefined ? undefined : ext.readUInt16BE(0);
};

describe('transport-wide sequence numbers on the send path', () => {
  it('numbers every video packet of the link in one sequence, retransmissions included, and leaves audio alone', () => {
    const s = setup();
    s.publish('video');
    s.publish('audio');
    s.publish('video');
    const got = s.received();
    // Each video packet goes to two consumers (m1, m2); audio to m0.
    const video = got.filter((p) => p.ssrc !== 0xc0);
    expect(video).toHaveLength(4);
    const numbers = video.map(transportSequence);
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBe((numbers[i - 1]! + 1) & 0xffff);
    expect(got.filter((p) => p.ssrc === 0xc0).map(transportSequence)).toEqual([undefined]);
    // The other extensions are still there (MID).
    expect(video[0]!.getExtension(1)?.toString()).toBe('m1');

    // A NACKed packet goes out again with the next transport-wide number.
    const first = video[0]!;
    s.streams[1]!.transceiver.sender.onRtcp.execute(
      new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc: first.ssrc, lost: [first.sequenceNumber] }) }),
    );
    const resent = s.received().slice(got.length);
    expect(resent).toHaveLength(1);
    expect(transportSequence(resent[0]!)).toBe((numbers[3]! + 1) & 0xffff);
  });

  it('reads feedback from the decrypted RTCP, hides a feedback-only compound from werift, and estimates', () => {
    const s = setup();
    for (let i = 0; i < 60; i++) s.publish('video');
    const numbers = s.received().map(transportSequence) as number[];
    expect(numbers).toHaveLength(120);
    // Arrivals 2 ms apart, in three feedback packets.
    for (let f = 0; f < 3; f++) {
      const part = numbers.slice(f * 40, f * 40 + 40);
      const fb = writeTransportFeedback({ baseSequence: part[0]!, feedbackCount: f, arrivalsUs: part.map((_, i) => 1e9 + (f * 40 + i) * 2000) });
      s.receiveRtcp(fb);
    }
    expect(s.toWerift.every((b) => b.length === 0)).toBe(true);
    expect(s.path.transportEstimate).toMatchObject({ feedbacks: 3, lossFraction: 0 });
    expect(s.estimates.length).toBeGreaterThan(0);
    expect(s.estimates.at(-1)!.bitrate).toBeGreaterThan(0);

    // A compound with something else in it goes on to werift whole (its RR too).
    const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 1]);
    const fb = writeTransportFeedback({ baseSequence: (numbers[119]! + 1) & 0xffff, arrivalsUs: [null] });
    s.receiveRtcp(Buffer.concat([rr, fb]));
    expect(s.toWerift.at(-1)!.length).toBe(rr.length + fb.length);
  });
});
