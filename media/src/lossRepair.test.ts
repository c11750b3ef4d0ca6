/**
 * Loss repair end to end over UDP: a werift bot publishes video and another
 * subscribes through the SFU, with about 5% of the RTP datagrams dropped on
 * the publisher's uplink and again on the subscriber's downlink. The SFU
 * NACKs what the publisher lost (the publisher answers with RTX, which the
 * SFU unwraps) and answers the subscriber's NACKs from the producer's packet
 * cache as RTX; what reaches the subscriber must miss < 0.5%.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RTCPeerConnection } from 'werift';
import { Router } from './Router.ts';
import { answerOffer, createClientPeer, loopbackMediaConfig, publishAudioVideo, SyntheticSource, waitConnected, waitFor } from './testing/weriftClient.ts';

const LOSS = 0.05;
const PACKETS = 1500;
const PPS = 150;

/** werift's ICE connection under a peer's DTLS transport: where datagrams go in and out. */
function iceConnectionOf(pc: RTCPeerConnection) {
  const dtls = (pc as unknown as { dtlsTransports: { iceTransport: { connection: IceConnection } }[] }).dtlsTransports[0]!;
  return dtls.iceTransport.connection;
}
interface IceConnection {
  send(data: Buffer): Promise<void>;
  onData: { execute: (data: Buffer) => void };
}

const isRtp = (data: Buffer) => data[0]! >= 128 && data[0]! < 192 && !(data[1]! >= 192 && data[1]! <= 223);

describe('loss repair: NACK from the SFU and to it', () => {
  const router = new Router({ id: 'loss', config: loopbackMediaConfig() });
  const peers: RTCPeerConnection[] = [];
  afterAll(async () => {
    router.close();
    await Promise.allSettled(peers.map((pc) => pc.close()));
  });

  it(`keeps received video loss under 0.5% with ${LOSS * 100}% loss on the way in and on the way out`, async () => {
    const send = router.createWebRtcTransport('pub', 'send');
    const recv = router.createWebRtcTransport('sub', 'recv');
    const publisher = await publishAudioVideo(async (sdp, tracks) => send.publish(sdp, tracks));
    peers.push(publisher.pc);
    const producer = send.producers.find((p) => p.kind === 'video')!;

    const subscriber = createClientPeer();
    peers.push(subscriber);
    const seen = new Set<number>();
    subscriber.onTrack.subscribe((track) => {
      if (track.kind !== 'video') return;
      track.onReceiveRtp.subscribe((rtp) => {
        if (rtp.payload.length >= 4 && rtp.payload.readUInt16BE(0) === 0x5a5a) seen.add(rtp.payload.readUInt16BE(2));
      });
    });
    const consumer = recv.consume(producer);
    await answerOffer(subscriber, await recv.createOffer(), (sdp) => recv.applyAnswer(sdp));
    await waitConnected({ publisher: publisher.pc, subscriber, send, recv }, 20_000);

    // Drop ~5% of RTP datagrams the publisher sends, and ~5% of those the subscriber receives.
    let dropped = 0;
    // RTX payload type of VP8 (codecs.ts): retransmissions travel as RTX both ways.
    const RTX_PT = 97;
    let rtxUp = 0;
    let rtxDown = 0;
    const up = iceConnectionOf(publisher.pc);
    const originalSend = up.send.bind(up);
    up.send = (data: Buffer) => {
      if (isRtp(data) && (data[1]! & 0x7f) === RTX_PT) rtxUp++;
      if (isRtp(data) && Math.random() < LOSS) {
        dropped++;
        return Promise.resolve();
      }
      return originalSend(data);
    };
    const down = iceConnectionOf(subscriber);
    const originalReceive = down.onData.execute;
    down.onData.execute = (data: Buffer) => {
      if (isRtp(data) && (data[1]! & 0x7f) === RTX_PT) rtxDown++;
      if (isRtp(data) && Math.random() < LOSS) {
        dropped++;
        return;
      }
      originalReceive(data);
    };

    const source = new SyntheticSource(publisher.video);
    for (let i = 0; i < PACKETS; i++) {
      const payload = Buffer.alloc(1000, i & 0xff);
      payload.writeUInt16BE(0x5a5a, 0);
      payload.writeUInt16BE(i, 2);
      source.send({ payload, marker: i % 3 === 2 });
      await new Promise((r) => setTimeout(r, 1000 / PPS));
    }
    // Let the last retransmissions arrive.
    await waitFor(() => (seen.size >= PACKETS ? true : null), 2_000, 'every packet').catch(() => undefined);

    const loss = 1 - seen.size / PACKETS;
    console.log(
      `[loss repair] dropped ${dropped} datagrams (${((dropped / PACKETS) * 100).toFixed(1)}% of the stream); ` +
        `received ${seen.size}/${PACKETS} (loss ${(loss * 100).toFixed(2)}%); ` +
        `SFU retransmitted ${consumer.retransmissions} (${rtxDown} as RTX), NACKed the publisher ${send.mediaPath.counters.nacksSent} times ` +
        `and got ${rtxUp} RTX packets back (${send.mediaPath.counters.rtxReceived} unwrapped)`,
    );
    expect(dropped).toBeGreaterThan(PACKETS * LOSS);
    expect(consumer.retransmissions).toBeGreaterThan(0);
    expect(send.mediaPath.counters.nacksSent).toBeGreaterThan(0);
    // Both legs repaired with RTX (RFC 4588), not plain repeats on the media SSRC.
    expect(rtxUp).toBeGreaterThan(0);
    expect(send.mediaPath.counters.rtxReceived).toBeGreaterThan(0);
    expect(rtxDown).toBeGreaterThan(0);
    expect(recv.mediaPath.counters.rtxSent).toBe(consumer.retransmissions);
    expect(loss).toBeLessThan(0.005);
  });
});
