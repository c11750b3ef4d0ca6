/**
 * Router + WebRtcTransport with real werift peers on loopback: a publisher
 * offers audio + video to a 'send' transport, a subscriber answers a 'recv'
 * transport's offer, and synthetic RTP goes through the SFU objects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RTCPeerConnection, RtcpPacket, RtcpRrPacket, RtcpSrPacket, RtpPacket } from 'werift';
import type { Consumer } from './Consumer.ts';
import type { Producer } from './Producer.ts';
import { Router } from './Router.ts';
import { SRTP_AES128_CM_HMAC_SHA1_80 } from './rtp/srtp.ts';
import {
  answerOffer,
  collectRtp,
  createClientPeer,
  loopbackMediaConfig,
  publishAudioVideo,
  SyntheticSource,
  waitConnected,
  waitFor,
  withRetries,
  type ClientPublisher,
} from './testing/weriftClient.ts';

const WAIT_MS = 30_000;

interface Call {
  router: Router;
  publisher: ClientPublisher;
  producers: Producer[];
  subscriber: RTCPeerConnection;
  consumers: Consumer[];
  received: Map<'audio' | 'video', RtpPacket[]>;
  audio: SyntheticSource;
  video: SyntheticSource;
  stopSending: () => void;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Publisher → SFU → subscriber, all four ends connected, with media flowing:
 * audio every 20 ms, video every 33 ms.
 */
async function startCall(routerId = 'room'): Promise<Call> {
  const { value, dispose } = await withRetries(3, (onDispose) => tryStartCall(routerId, onDispose));
  cleanups.push(dispose);
  return value;
}

async function tryStartCall(routerId: string, onDispose: (fn: () => unknown) => void): Promise<Call> {
  const router = new Router({ id: routerId, config: loopbackMediaConfig() });
  onDispose(() => router.close());
  const send = router.createWebRtcTransport('send-1', 'send');
  const newProducers: Producer[] = [];
  send.on('newproducer', (p) => newProducers.push(p));
  let producers: Producer[] = [];
  const publisher = await publishAudioVideo(async (sdp, tracks) => {
    const result = await send.publish(sdp, tracks);
    producers = result.producers;
    expect(result.closedProducerIds).toEqual([]);
    return result;
  });
  onDispose(() => publisher.pc.close());
  expect(newProducers).toEqual(producers);

  const recv = router.createWebRtcTransport('recv-1', 'recv');
  const consumers = producers.map((p) => recv.consume(p, `consumer-${p.kind}`));
  const subscriber = createClientPeer();
  onDispose(() => subscriber.close());
  const received = collectRtp(subscriber) as Map<'audio' | 'video', RtpPacket[]>;
  await answerOffer(subscriber, await recv.createOffer(), (sdp) => recv.applyAnswer(sdp));
  await waitConnected({ send, recv, publisher: publisher.pc, subscriber }, WAIT_MS);

  const audio = new SyntheticSource(publisher.audio);
  const video = new SyntheticSource(publisher.video);
  const audioTimer = setInterval(() => audio.send({ payload: Buffer.from(`audio-${audio.sent}`.padEnd(100, '.')) }), 20);
  const videoTimer = setInterval(() => video.send({ payload: Buffer.from(`video-${video.sent}`.padEnd(1100, '.')) }), 33);
  const stopSending = () => {
    clearInterval(audioTimer);
    clearInterval(videoTimer);
  };
  onDispose(stopSending);
  return { router, publisher, producers, subscriber, consumers, received, audio, video, stopSending };
}

function byKind<T extends { kind: string }>(items: T[], kind: 'audio' | 'video'): T {
  const item = items.find((i) => i.kind === kind);
  if (!item) throw new Error(`no ${kind}`);
  return item;
}

// Generous: a set-up may be retried (see waitConnected) on a starved machine.
describe('Router with werift peers', { timeout: 240_000 }, () => {
  it('creates producers from a publish and forwards audio and video to a subscriber with the consumer SSRCs', async () => {
    const call = await startCall();
    expect(call.producers.map((p) => [p.kind, p.source, p.codec, p.mid])).toEqual([
      ['audio', 'microphone', 'audio/opus', call.publisher.audio.mid],
      ['video', 'camera', 'video/VP8', call.publisher.video.mid],
    ]);
    for (const p of call.producers) expect(call.router.getProducer(p.id)).toBe(p);

    await waitFor(
      () => call.received.get('audio')!.length >= 25 && call.received.get('video')!.length >= 15,
      WAIT_MS,
      'audio and video at the subscriber',
    );
    for (const kind of ['audio', 'video'] as const) {
      const consumer = byKind(call.consumers, kind);
      const packets = call.received.get(kind)!;
      // Every packet carries the consumer's SSRC, not the publisher's.
      expect(new Set(packets.map((p) => p.header.ssrc))).toEqual(new Set([consumer.dump().ssrc]));
      expect(consumer.dump().ssrc).not.toBe(byKind(call.producers, kind).ssrc);
      // Payloads arrive intact and in order.
      const texts = packets.map((p) => p.payload.toString().replace(/\.+$/, ''));
      for (const text of texts) expect(text).toMatch(new RegExp(`^${kind}-\\d+$`));
      const indices = texts.map((t) => Number(t.split('-')[1]));
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
      expect(packets[0]!.payload.length).toBe(kind === 'audio' ? 100 : 1100);
      // Sequence numbers are consecutive on the subscriber side.
      const seqs = packets.slice(-10).map((p) => p.header.sequenceNumber);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1]! + 1) & 0xffff);
    }

    // The packet path negotiated the cheaper SRTP profile on both transports,
    // and werift's stats report still counts what it received.
    const send = call.router.getTransport('send-1')!;
    const recv = call.router.getTransport('recv-1')!;
    expect([send.mediaPath.srtpProfile, recv.mediaPath.srtpProfile]).toEqual([SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AES128_CM_HMAC_SHA1_80]);
    const inbound = Object.values(await send.getStats()).filter((s) => (s as { type: string }).type === 'inbound-rtp') as { packetsReceived: number }[];
    expect(inbound.length).toBe(2);
    for (const s of inbound) expect(s.packetsReceived).toBeGreaterThan(0);
    const outbound = Object.values(await recv.getStats()).filter((s) => (s as { type: string }).type === 'outbound-rtp') as { packetsSent: number }[];
    for (const s of outbound) expect(s.packetsSent).toBeGreaterThan(0);

    const stats = call.router.getStats();
    expect(stats).toMatchObject({ transports: 2, producers: 2, consumers: 2 });
    expect(stats.packetsIn).toBeGreaterThanOrEqual(40);
    expect(stats.packetsOut).toBeGreaterThanOrEqual(40);
    expect(stats.bytesOut).toBeGreaterThan(15 * 1100);
    const dump = call.router.dump();
    expect(dump.transports.map((t) => [t.id, t.direction, t.connectionState])).toEqual([
      ['send-1', 'send', 'connected'],
      ['recv-1', 'recv', 'connected'],
    ]);
  });

  it('sends sender reports to the subscriber and receiver reports to the publisher', async () => {
    const call = await startCall();
    const srs: RtcpSrPacket[] = [];
    for (const t of call.subscriber.getTransceivers()) {
      t.receiver.onRtcp.subscribe((packet: RtcpPacket) => {
        if (packet.type === 200) srs.push(packet as RtcpSrPacket);
      });
    }
    const rrs = new Map<'audio' | 'video', RtcpRrPacket[]>([
      ['audio', []],
      ['video', []],
    ]);
    for (const kind of ['audio', 'video'] as const) {
      call.publisher[kind].sender.onRtcp.subscribe((packet: RtcpPacket) => {
        if (packet.type === 201) rrs.get(kind)!.push(packet as RtcpRrPacket);
      });
    }

    // werift reports every 0.5-1.5 s once media flows.
    await waitFor(
      () => {
        const ssrcs = new Set(srs.map((sr) => sr.ssrc));
        return call.consumers.every((c) => ssrcs.has(c.dump().ssrc)) && rrs.get('audio')!.length > 0 && rrs.get('video')!.length > 0;
      },
      WAIT_MS,
      'SR at the subscriber and RR at the publisher',
    );
    for (const consumer of call.consumers) {
      const sr = srs.filter((s) => s.ssrc === consumer.dump().ssrc).at(-1)!;
      expect(sr.senderInfo.packetCount).toBeGreaterThan(0);
      expect(sr.senderInfo.octetCount).toBeGreaterThan(0);
    }
    for (const kind of ['audio', 'video'] as const) {
      const senderSsrc = call.publisher[kind].sender.ssrc;
      const report = rrs.get(kind)!.flatMap((rr) => rr.reports).find((r) => r.ssrc === senderSsrc);
      expect(report, `RR block for the publisher's ${kind} SSRC`).toBeDefined();
      expect(report!.packetsLost).toBe(0);
    }
  });

  it('carries a subscriber PLI to the publisher as a keyframe request', async () => {
    const call = await startCall();
    await waitFor(() => call.received.get('video')!.length > 5, WAIT_MS, 'video at the subscriber');
    let plis = 0;
    call.publisher.video.sender.onPictureLossIndication.subscribe(() => plis++);
    const videoConsumer = byKind(call.consumers, 'video');
    const before = byKind(call.producers, 'video').getStats().keyFramesRequested;
    const subscriberVideo = call.subscriber.getTransceivers().find((t) => t.kind === 'video')!;
    await subscriberVideo.receiver.sendRtcpPLI(videoConsumer.dump().ssrc);
    // The producer's rate limit may hold the request back by up to 500 ms.
    await waitFor(() => plis > 0, WAIT_MS, 'PLI at the publisher');
    expect(videoConsumer.getStats().keyFrameRequestsReceived).toBe(1);
    expect(byKind(call.producers, 'video').getStats().keyFramesRequested).toBeGreaterThan(before);
  });

  it('pausing a consumer stops its packets and resuming keeps the subscriber sequence contiguous', async () => {
    const call = await startCall();
    const videoConsumer = byKind(call.consumers, 'video');
    const videoProducer = byKind(call.producers, 'video');
    const video = call.received.get('video')!;
    await waitFor(() => video.length > 10, WAIT_MS, 'video at the subscriber');

    videoConsumer.pause();
    const sentAtPause = videoConsumer.getStats().packetsSent;
    const receivedAtPause = videoProducer.getStats().packetsReceived;
    // The publisher keeps sending and the SFU keeps receiving, but forwards nothing.
    await waitFor(() => videoProducer.getStats().packetsReceived >= receivedAtPause + 20, WAIT_MS, 'video at the SFU while paused');
    expect(videoConsumer.getStats().packetsSent).toBe(sentAtPause);

    videoConsumer.resume();
    await waitFor(() => videoConsumer.getStats().packetsSent >= sentAtPause + 10, WAIT_MS, 'forwarding after resume');
    await waitFor(() => video.length >= sentAtPause + 10, WAIT_MS, 'video at the subscriber after resume');
    // Exactly what the consumer forwarded arrived: nothing sent during the pause.
    expect(video.length).toBeLessThanOrEqual(videoConsumer.getStats().packetsSent);

    // Across the pause the subscriber sees no sequence gap to NACK, and one
    // timestamp jump of about the real pause (≥ 20 packets at 33 ms ≈ 0.66 s, at 90 kHz).
    let jumpAt = -1;
    let biggestJump = 0;
    for (let i = 1; i < video.length; i++) {
      expect(video[i]!.header.sequenceNumber).toBe((video[i - 1]!.header.sequenceNumber + 1) & 0xffff);
      const jump = (video[i]!.header.timestamp - video[i - 1]!.header.timestamp) >>> 0;
      if (jump > biggestJump) [biggestJump, jumpAt] = [jump, i];
    }
    expect(jumpAt).toBe(sentAtPause);
    expect(biggestJump).toBeGreaterThanOrEqual(0.5 * 90_000);
    expect(biggestJump).toBeLessThan(60 * 90_000);
  });

  it('closes a producer whose section the publisher stops sending on, and its consumers with producerclosed', async () => {
    const call = await startCall();
    const send = call.router.getTransport('send-1')!;
    const videoProducer = byKind(call.producers, 'video');
    const videoConsumer = byKind(call.consumers, 'video');
    const reasons: string[] = [];
    videoConsumer.on('close', (reason) => reasons.push(reason));

    call.publisher.video.setDirection('inactive');
    const offer = await call.publisher.pc.createOffer();
    await call.publisher.pc.setLocalDescription(offer);
    const result = await send.publish(call.publisher.pc.localDescription!.sdp, call.publisher.tracks);
    await call.publisher.pc.setRemoteDescription({ type: 'answer', sdp: result.sdp });

    expect(result.producers).toEqual([]);
    expect(result.closedProducerIds).toEqual([videoProducer.id]);
    expect(videoProducer.closed).toBe(true);
    expect(reasons).toEqual(['producerclosed']);
    expect(call.router.getProducer(videoProducer.id)).toBeUndefined();
    expect(send.producers).toEqual([byKind(call.producers, 'audio')]);
  });

  it('close() cascades to transports, producers and consumers, and is idempotent', async () => {
    const call = await startCall();
    await waitFor(() => call.received.get('video')!.length > 5, WAIT_MS, 'video at the subscriber');
    const send = call.router.getTransport('send-1')!;
    const recv = call.router.getTransport('recv-1')!;
    const events: string[] = [];
    call.router.on('close', () => events.push('router'));
    send.on('close', () => events.push('send'));
    recv.on('close', () => events.push('recv'));
    for (const p of call.producers) p.on('close', () => events.push(`producer:${p.kind}`));
    for (const c of call.consumers) c.on('close', (reason) => events.push(`consumer:${c.kind}:${reason}`));

    call.router.close();
    call.router.close();
    expect(call.router.closed).toBe(true);
    expect(send.closed && recv.closed).toBe(true);
    expect(call.producers.every((p) => p.closed)).toBe(true);
    expect(call.consumers.every((c) => c.closed)).toBe(true);
    expect(send.connectionState).toBe('closed');
    // The send transport goes first: its producers take their consumers with them.
    expect(events.sort()).toEqual(
      [
        'consumer:audio:producerclosed',
        'consumer:video:producerclosed',
        'producer:audio',
        'producer:video',
        'recv',
        'router',
        'send',
      ].sort(),
    );
    expect(call.router.getTransport('send-1')).toBeUndefined();
    expect(call.router.getProducer(call.producers[0]!.id)).toBeUndefined();
    expect(() => call.router.createWebRtcTransport('late', 'send')).toThrow(/closed/);
    await expect(recv.createOffer()).rejects.toThrow(/closed/);

    // Nothing the publisher sends now reaches the subscriber.
    call.stopSending();
    call.video.send({ payload: Buffer.from('after-close') });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(call.received.get('video')!.some((p) => p.payload.toString() === 'after-close')).toBe(false);
  });

  it('keeps traffic totals when transports and consumers close', async () => {
    const call = await startCall();
    await waitFor(() => call.router.getStats().packetsOut >= 30, WAIT_MS, 'traffic');
    byKind(call.consumers, 'audio').close();
    const afterConsumerClose = call.router.getStats();
    expect(afterConsumerClose.consumers).toBe(1);
    expect(afterConsumerClose.packetsOut).toBeGreaterThanOrEqual(30);

    call.router.getTransport('recv-1')!.close();
    call.router.getTransport('send-1')!.close();
    const afterClose = call.router.getStats();
    expect(afterClose.transports).toBe(0);
    expect(afterClose.producers).toBe(0);
    expect(afterClose.consumers).toBe(0);
    expect(afterClose.packetsOut).toBeGreaterThanOrEqual(afterConsumerClose.packetsOut);
    expect(afterClose.packetsIn).toBeGreaterThanOrEqual(afterConsumerClose.packetsIn);
    expect(afterClose.bytesOut).toBeGreaterThanOrEqual(afterConsumerClose.bytesOut);
  });

  it('reports the dominant speaker from the publisher audio level extension', async () => {
    const call = await startCall();
    call.stopSending();
    const dominant: (string | null)[] = [];
    call.router.on('dominantspeaker', (id) => dominant.push(id));
    const timer = setInterval(() => call.audio.send({ audioLevelDbov: 20 }), 20);
    cleanups.push(() => clearInterval(timer));
    const audioProducer = byKind(call.producers, 'audio');
    await waitFor(() => dominant.includes(audioProducer.id), WAIT_MS, 'dominantspeaker');
    expect(call.router.dump().dominantSpeaker).toBe(audioProducer.id);
  });
});
