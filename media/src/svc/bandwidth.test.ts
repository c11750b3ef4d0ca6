/**
 * A Node peer subscriber on a real transport (werift, over UDP) reports a
 * low bandwidth with REMB and is moved down to a lower spatial layer; when
 * its estimate comes back it climbs up again. The publisher sends a
 * generated VP9 L3T3_KEY stream whose frames start with real VP9 frame
 * headers, so the subscriber reads the resolution it would decode from what
 * it receives, as a decoder does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiverEstimatedMaxBitrate, RtcpPacketConverter, RtcpPayloadSpecificFeedback, type RTCPeerConnection } from 'werift';
import { Router } from '../Router.ts';
import type { Consumer } from '../Consumer.ts';
import { playStream, vp9CameraStream } from '../testing/svcStreams.ts';
import { Vp9SizeTracker } from '../testing/vp9Frames.ts';
import { answerOffer, createClientPeer, loopbackMediaConfig, publishCamera, waitConnected, waitFor } from '../testing/weriftClient.ts';
import { Vp9Descriptor, parseVp9Descriptor } from './vp9.ts';

const PICTURES_PER_SECOND = 30;

function remb(senderSsrc: number, mediaSsrc: number, bitrate: number): RtcpPayloadSpecificFeedback {
  let exp = 0;
  while (bitrate / 2 ** exp > 0x3ffff) exp++;
  const feedback = new ReceiverEstimatedMaxBitrate({
    senderSsrc,
    mediaSsrc: 0,
    brExp: exp,
    brMantissa: Math.floor(bitrate / 2 ** exp),
    bitrate: BigInt(Math.floor(bitrate / 2 ** exp)) << BigInt(exp),
    ssrcNum: 1,
    ssrcFeedbacks: [mediaSsrc],
  });
  return new RtcpPayloadSpecificFeedback({ feedback });
}

describe('bandwidth: a subscriber advertising a low REMB gets a lower spatial layer, and climbs back', () => {
  const router = new Router({ id: 'bwe', config: loopbackMediaConfig() });
  const peers: RTCPeerConnection[] = [];
  let stopStream: (() => void) | undefined;
  let consumer: Consumer;
  let subscriber: RTCPeerConnection;
  /** Per received picture (RTP timestamp): the largest frame width read from its frame headers. */
  const pictureWidths = new Map<number, number>();
  let lastPicture = -1;

  const decodedWidth = () => {
    // The newest picture that is complete enough to have been decoded: the one before the newest.
    const timestamps = [...pictureWidths.keys()];
    return timestamps.length < 2 ? 0 : pictureWidths.get(timestamps[timestamps.length - 2]!)!;
  };

  /**
   * The subscriber's REMB, as werift's RTCP router hands it to the consumer's
   * sender. (Sent over the wire from a werift client, a lone REMB did not reach
   * the SFU's werift RTCP path in this set-up, while receiver reports did; the
   * Chromium test checks that browsers' REMBs arrive.)
   */
  const sendRemb = async (bitrate: number) => {
    const packet = RtcpPacketConverter.deSerialize(remb(0x5151, consumer.transceiver.sender.ssrc, bitrate).serialize())[0]!;
    (consumer.transceiver.sender as unknown as { onRtcp: { execute(p: unknown): void } }).onRtcp.execute(packet);
  };

  beforeAll(async () => {
    const send = router.createWebRtcTransport('pub', 'send');
    const recv = router.createWebRtcTransport('sub', 'recv');

    // Publisher: a werift peer whose video prefers VP9.
    const { pc: publisher, video, published } = await publishCamera((sdp, tracks) => send.publish(sdp, tracks), 'video/VP9');
    peers.push(publisher);
    const producer = published.producers[0]!;
    expect(producer.codec).toBe('video/VP9');

    // Subscriber: a werift peer that reads each frame's size from its VP9 header.
    subscriber = createClientPeer();
    peers.push(subscriber);
    const descriptor = new Vp9Descriptor();
    const sizes = new Vp9SizeTracker();
    subscriber.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const payload = rtp.payload;
        if (!parseVp9Descriptor(payload, 0, payload.length, descriptor) || !descriptor.beginOfFrame) return;
        const size = sizes.frameSize(payload.subarray(descriptor.payloadOffset));
        if (!size) return;
        const ts = rtp.header.timestamp;
        if (ts !== lastPicture) {
          lastPicture = ts;
          if (pictureWidths.size > 64) pictureWidths.delete(pictureWidths.keys().next().value!);
        }
        pictureWidths.set(ts, Math.max(pictureWidths.get(ts) ?? 0, size.width));
      });
    });
    consumer = recv.consume(producer);
    await answerOffer(subscriber, await recv.createOffer(), (sdp) => recv.applyAnswer(sdp));
    await waitConnected({ publisher, subscriber, send, recv }, 20_000);

    stopStream = playStream(video.sender, vp9CameraStream(120, PICTURES_PER_SECOND), PICTURES_PER_SECOND);
  });

  afterAll(async () => {
    stopStream?.();
    router.close();
    await Promise.allSettled(peers.map((pc) => pc.close()));
  });

  it('starts at the top layer and decodes 1280 wide', async () => {
    await waitFor(() => (consumer.currentLayers?.spatial === 2 && decodedWidth() === 1280 ? true : null), 15_000, 'the top layer');
    expect(consumer.targetLayers).toEqual({ spatial: 2, temporal: 2 });
  });

  it('drops to the base layer when the subscriber reports 150 kbps, without waiting for a keyframe', async () => {
    // Let the producer's layer bitrates settle first (they are measured per second).
    await new Promise((r) => setTimeout(r, 1500));
    await sendRemb(150_000);
    await waitFor(() => (consumer.currentLayers?.spatial === 0 ? true : null), 5_000, 'the consumer to move to spatial layer 0').catch((e) => { throw new Error(e.message + JSON.stringify(consumer.dump())); });
    await waitFor(() => (decodedWidth() === 320 ? true : null), 5_000, 'the subscriber to decode 320 wide');
    expect(consumer.dump().estimatedBandwidth).toBe(150_000);
    expect(consumer.targetLayers!.spatial).toBe(0);
  });

  it('climbs back to the top layer once the estimate comes back', async () => {
    await sendRemb(10_000_000);
    await waitFor(() => (consumer.currentLayers?.spatial === 2 ? true : null), 5_000, 'the consumer to return to spatial layer 2');
    await waitFor(() => (decodedWidth() === 1280 ? true : null), 5_000, 'the subscriber to decode 1280 wide again');
    expect(consumer.dump().layers).toMatchObject({ currentSpatialLayer: 2, targetSpatialLayer: 2 });
  });
});
