/**
 * Transport-wide congestion control end to end over UDP: a Node (werift)
 * subscriber negotiates transport-cc with the SFU, and the SFU → subscriber
 * direction runs through a bottleneck emulated at the subscriber's socket (a
 * token bucket at THROTTLE_BPS with a FIFO queue that drops on overflow).
 * The subscriber reports each packet's arrival time there, after the queue,
 * as transport-wide feedback, as libwebrtc's receiver does. The publisher
 * sends a generated VP9 L3T3_KEY stream of ~1 Mbps.
 *
 * (werift's own receiver would answer transport-cc with feedback too, but
 * not usable feedback: it rounds the reference time down to 64 ms while its
 * first delta is taken from the exact time, so every feedback packet shifts
 * all its arrivals by up to 64 ms; and it reports lost packets as received
 * with no delta. The test peer therefore writes the feedback itself, and
 * werift's is switched off.)
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RTCPeerConnection } from 'werift';
import { Router } from '../Router.ts';
import type { Consumer } from '../Consumer.ts';
import type { WebRtcTransport } from '../WebRtcTransport.ts';
import { RawRtcp } from '../rtp/rtcp.ts';
import { parseRtp } from '../rtp/rtpPacket.ts';
import { TRANSPORT_WIDE_CC_URI } from '../rtp/headerExtensions.ts';
import { playStream, vp9CameraStream } from '../testing/svcStreams.ts';
import { writeTransportFeedback } from '../testing/transportFeedbackWriter.ts';
import { answerOffer, createClientPeer, loopbackMediaConfig, publishCamera, waitConnected, waitFor } from '../testing/weriftClient.ts';
import { negotiatedHeaderExtensions } from '../rtp/weriftInternals.ts';

const PICTURES_PER_SECOND = 30;
const THROTTLE_BPS = 250_000;
/** The bottleneck's queue holds this much time's worth of data; what does not fit is dropped. */
const QUEUE_MS = 300;
const FEEDBACK_INTERVAL_MS = 50;
/** Well above the throttle, below the stream's ~1 Mbps. */
const OPEN_LINK_BPS = 600_000;

interface IceConnection {
  onData: { execute: (data: Buffer) => void };
}
interface DtlsTransport {
  iceTransport: { connection: IceConnection };
  sendRtcp(packets: { serialize(): Buffer }[]): Promise<unknown>;
}
const dtlsOf = (pc: RTCPeerConnection) => (pc as unknown as { dtlsTransports: DtlsTransport[] }).dtlsTransports[0]!;
const isRtp = (data: Buffer) => data[0]! >= 128 && data[0]! < 192 && !(data[1]! >= 192 && data[1]! <= 223);

/**
 * The subscriber's side of the bottleneck and its feedback: datagrams wait
 * in a FIFO drained at `rate` (while throttled) before werift sees them;
 * every RTP packet's transport-wide sequence number and its arrival time
 * after the queue go into the next feedback packet.
 */
class ThrottledReceiver {
  throttled = false;
  dropped = 0;
  readonly #queue: { data: Buffer; departure: number }[] = [];
  #lastDeparture = 0;
  #timer?: NodeJS.Timeout;
  readonly #deliver: (data: Buffer) => void;
  // Feedback state: arrivals by sequence (µs), the next sequence to report, the highest seen (unwrapped).
  readonly #arrivals = new Map<number, number>();
  #nextToReport = -1;
  #highest = -1;
  #feedbackCount = 0;
  readonly #feedbackTimer: NodeJS.Timeout;
  feedbacksSent = 0;

  constructor(
    readonly pc: RTCPeerConnection,
    readonly extensionId: number,
    readonly mediaSsrc: () => number,
  ) {
    const connection = dtlsOf(pc).iceTransport.connection;
    const original = connection.onData.execute;
    this.#deliver = (data) => {
      this.#noteArrival(data);
      original(data);
    };
    connection.onData.execute = (data: Buffer) => this.#onDatagram(data);
    this.#feedbackTimer = setInterval(() => this.#sendFeedback(), FEEDBACK_INTERVAL_MS);
  }

  #onDatagram(data: Buffer): void {
    const now = performance.now();
    if (!this.throttled && this.#queue.length === 0) {
      this.#deliver(data);
      return;
    }
    const serviceMs = this.throttled ? (data.length * 8 * 1000) / THROTTLE_BPS : 0;
    const start = Math.max(now, this.#lastDeparture);
    if (start - now + serviceMs > QUEUE_MS) {
      this.dropped++;
      return;
    }
    this.#lastDeparture = start + serviceMs;
    this.#queue.push({ data, departure: this.#lastDeparture });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#queue.length === 0) return;
    const wait = Math.max(0, this.#queue[0]!.departure - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      while (this.#queue.length > 0 && this.#queue[0]!.departure <= now + 0.5) this.#deliver(this.#queue.shift()!.data);
      this.#schedule();
    }, wait);
  }

  #noteArrival(data: Buffer): void {
    if (!isRtp(data)) return;
    // SRTP leaves the header (and its extensions) in the clear.
    const packet = parseRtp(data, data.length);
    const at = packet?.findExtension(this.extensionId) ?? -1;
    if (packet === null || at < 0) return;
    const sequence = (data[at]! << 8) | data[at + 1]!;
    // Unwrap against the highest sequence seen.
    let unwrapped = sequence;
    if (this.#highest >= 0) {
      const step = ((sequence - this.#highest + 0x8000) & 0xffff) - 0x8000;
      unwrapped = this.#highest + step;
    }
    if (this.#nextToReport < 0) this.#nextToReport = unwrapped;
    if (unwrapped < this.#nextToReport) return; // reported (as lost) already
    if (unwrapped > this.#highest) this.#highest = unwrapped;
    this.#arrivals.set(unwrapped, performance.now() * 1000);
  }

  #sendFeedback(): void {
    if (this.#nextToReport < 0 || this.#highest < this.#nextToReport) return;
    const arrivalsUs: (number | null)[] = [];
    for (let s = this.#nextToReport; s <= this.#highest; s++) {
      arrivalsUs.push(this.#arrivals.get(s) ?? null);
      this.#arrivals.delete(s);
    }
    const buf = writeTransportFeedback({
      senderSsrc: 0x7717,
      mediaSsrc: this.mediaSsrc(),
      baseSequence: this.#nextToReport & 0xffff,
      feedbackCount: this.#feedbackCount++,
      arrivalsUs,
    });
    this.#nextToReport = this.#highest + 1;
    this.feedbacksSent++;
    dtlsOf(this.pc).sendRtcp([new RawRtcp(buf)]).catch(() => undefined);
  }

  close(): void {
    clearInterval(this.#feedbackTimer);
    clearTimeout(this.#timer);
  }
}

describe('transport-wide congestion control: a throttled subscriber gets a lower layer from TWCC feedback, and climbs back', () => {
  const router = new Router({ id: 'twcc', config: loopbackMediaConfig() });
  const peers: RTCPeerConnection[] = [];
  let stopStream: (() => void) | undefined;
  let consumer: Consumer;
  let recv: WebRtcTransport;
  let receiver: ThrottledReceiver;

  const estimate = () => consumer.dump().estimatedBandwidth ?? null;

  beforeAll(async () => {
    const send = router.createWebRtcTransport('pub', 'send');
    recv = router.createWebRtcTransport('sub', 'recv');

    const { pc: publisher, video, published } = await publishCamera((sdp, tracks) => send.publish(sdp, tracks), 'video/VP9');
    peers.push(publisher);
    // The publisher's side negotiates no transport-wide CC: nothing would answer it.
    expect(published.sdp).not.toContain('transport-cc');
    expect(published.sdp).not.toContain(TRANSPORT_WIDE_CC_URI);

    const subscriber = createClientPeer({ transportWideCc: true });
    peers.push(subscriber);
    consumer = recv.consume(published.producers[0]!);
    const offer = await recv.createOffer();
    expect(offer).toContain('a=rtcp-fb:98 transport-cc');
    expect(offer).toContain(TRANSPORT_WIDE_CC_URI);
    await answerOffer(subscriber, offer, (sdp) => recv.applyAnswer(sdp));
    expect(subscriber.localDescription!.sdp).toContain(TRANSPORT_WIDE_CC_URI);
    await waitConnected({ publisher, subscriber, send, recv }, 20_000);

    // The test peer writes the feedback: switch werift's receiver-side TWCC off.
    for (const t of subscriber.getTransceivers()) {
      (t.receiver as unknown as { receiverTWCC?: unknown }).receiverTWCC = { handleTWCC: () => undefined, twccRunning: false };
    }
    const extensionId = negotiatedHeaderExtensions(subscriber.getTransceivers()[0]!).find((e) => e.uri === TRANSPORT_WIDE_CC_URI)?.id;
    expect(extensionId).toBeGreaterThan(0);
    receiver = new ThrottledReceiver(subscriber, extensionId!, () => consumer.transceiver.sender.ssrc);

    stopStream = playStream(video.sender, vp9CameraStream(240, PICTURES_PER_SECOND), PICTURES_PER_SECOND);
  }, 60_000);

  afterAll(async () => {
    stopStream?.();
    receiver?.close();
    router.close();
    await Promise.allSettled(peers.map((pc) => pc.close()));
  });

  const state = () =>
    JSON.stringify({ consumer: consumer.dump(), bwe: recv.dump().bwe, estimator: recv.mediaPath.transportEstimate, dropped: receiver.dropped, feedbacks: receiver.feedbacksSent });

  it('estimates from TWCC feedback (not REMB) and forwards the top layer on the open link', async () => {
    await waitFor(() => (consumer.dump().bweSource === 'twcc' && estimate() !== null ? true : null), 20_000, 'a transport-wide estimate').catch((e: Error) => {
      throw new Error(`${e.message}: ${state()}`);
    });
    await waitFor(() => (consumer.currentLayers?.spatial === 2 ? true : null), 20_000, 'the top layer').catch((e: Error) => {
      throw new Error(`${e.message}: ${state()}`);
    });
    // The open link carries the whole stream (~1 Mbps): the estimate says so.
    await waitFor(() => (estimate()! > OPEN_LINK_BPS ? true : null), 30_000, `an estimate above ${OPEN_LINK_BPS / 1000} kbps`).catch((e: Error) => {
      throw new Error(`${e.message}: ${state()}`);
    });
    expect(recv.dump().bwe).toMatchObject({ source: 'twcc' });
    console.log(`[twcc] open link: estimate ${Math.round(estimate()! / 1000)} kbps`);
  }, 80_000);

  it(`drops to a lower spatial layer when the link is throttled to ${THROTTLE_BPS / 1000} kbps`, async () => {
    const before = estimate()!;
    receiver.throttled = true;
    await waitFor(() => (estimate()! < THROTTLE_BPS ? true : null), 30_000, 'the estimate to fall below the throttle').catch((e: Error) => {
      throw new Error(`${e.message}: ${state()}`);
    });
    await waitFor(() => (consumer.currentLayers!.spatial < 2 && consumer.targetLayers!.spatial < 2 ? true : null), 30_000, 'a lower spatial layer').catch(
      (e: Error) => {
        throw new Error(`${e.message}: ${state()}`);
      },
    );
    console.log(
      `[twcc] throttled: estimate ${Math.round(before / 1000)} → ${Math.round(estimate()! / 1000)} kbps, layers ${JSON.stringify(consumer.currentLayers)}, ${receiver.dropped} datagrams dropped at the bottleneck`,
    );
    expect(consumer.dump().bweSource).toBe('twcc');
  }, 70_000);

  it('climbs back to the top layer after the throttle lifts', async () => {
    receiver.throttled = false;
    const liftedAt = Date.now();
    await waitFor(() => (consumer.currentLayers?.spatial === 2 && consumer.targetLayers?.spatial === 2 ? true : null), 90_000, 'the top layer again').catch(
      (e: Error) => {
        throw new Error(`${e.message}: ${state()}`);
      },
    );
    console.log(`[twcc] lifted: back at the top layer after ${((Date.now() - liftedAt) / 1000).toFixed(1)} s, estimate ${Math.round(estimate()! / 1000)} kbps`);
    // The estimate follows once what arrives shows the link carries it again.
    await waitFor(() => (estimate()! > OPEN_LINK_BPS ? true : null), 60_000, `the estimate above ${OPEN_LINK_BPS / 1000} kbps again`).catch((e: Error) => {
      throw new Error(`${e.message}: ${state()}`);
    });
    console.log(`[twcc] lifted: estimate ${Math.round(estimate()! / 1000)} kbps after ${((Date.now() - liftedAt) / 1000).toFixed(1)} s`);
    expect(consumer.dump().bweSource).toBe('twcc');
  }, 160_000);
});
