import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Consumer } from './Consumer.ts';
import { KEYFRAME_REQUEST_INTERVAL_MS, VIDEO_PACKET_HISTORY, type RtpSink } from './Producer.ts';
import { fakeOutput, fakeTransceiver, makeProducer } from './testing/fakes.ts';

describe('Producer keyframe requests', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the first request at once and coalesces a burst into one trailing PLI', () => {
    const { producer, receiver } = makeProducer('video', { ssrc: 4242 });
    producer.requestKeyFrame();
    expect(receiver.sendRtcpPLI).toHaveBeenCalledTimes(1);
    expect(receiver.sendRtcpPLI).toHaveBeenLastCalledWith(4242);

    // Four more requests inside the interval, from "several consumers".
    producer.requestKeyFrame();
    vi.advanceTimersByTime(100);
    producer.requestKeyFrame();
    vi.advanceTimersByTime(200);
    producer.requestKeyFrame();
    producer.requestKeyFrame();
    expect(receiver.sendRtcpPLI).toHaveBeenCalledTimes(1);

    // The trailing request goes out when the interval since the first ends.
    vi.advanceTimersByTime(KEYFRAME_REQUEST_INTERVAL_MS - 300 - 1);
    expect(receiver.sendRtcpPLI).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(receiver.sendRtcpPLI).toHaveBeenCalledTimes(2);

    // Nothing further is pending.
    vi.advanceTimersByTime(10 * KEYFRAME_REQUEST_INTERVAL_MS);
    expect(receiver.sendRtcpPLI).toHaveBeenCalledTimes(2);
    expect(producer.getStats().keyFramesRequested).toBe(2);

    // Once a full interval has passed since the last PLI, a request is immediate again.
    producer.requestKeyFrame();
    expect(receiver.sendRtcpPLI).toHaveBeenCalledTimes(3);
  });

  it('keeps requests at least the interval apart under a steady stream of requests', () => {
    const { producer, receiver } = makeProducer('video');
    const sentAt: number[] = [];
    receiver.sendRtcpPLI.mockImplementation(() => {
      sentAt.push(Date.now());
      return Promise.resolve();
    });
    for (let i = 0; i < 100; i++) {
      producer.requestKeyFrame();
      vi.advanceTimersByTime(30); // 3 s of requests every 30 ms
    }
    vi.advanceTimersByTime(KEYFRAME_REQUEST_INTERVAL_MS);
    expect(sentAt.length).toBeGreaterThanOrEqual(6);
    expect(sentAt.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < sentAt.length; i++) {
      expect(sentAt[i]! - sentAt[i - 1]!).toBeGreaterThanOrEqual(KEYFRAME_REQUEST_INTERVAL_MS);
    }
  });

  it('never asks an audio publisher for a keyframe', () => {
    const { producer, receiver } = makeProducer('audio');
    producer.requestKeyFrame();
    vi.advanceTimersByTime(2 * KEYFRAME_REQUEST_INTERVAL_MS);
    expect(receiver.sendRtcpPLI).not.toHaveBeenCalled();
  });

  it('drops a pending trailing request on close', () => {
    const { producer, receiver } = makeProducer('video');
    producer.requestKeyFrame();
    producer.requestKeyFrame();
    producer.close();
    vi.advanceTimersByTime(2 * KEYFRAME_REQUEST_INTERVAL_MS);
    expect(receiver.sendRtcpPLI).toHaveBeenCalledTimes(1);
    producer.requestKeyFrame();
    expect(receiver.sendRtcpPLI).toHaveBeenCalledTimes(1);
  });

  it('requests a keyframe on resume', () => {
    const { producer, receiver } = makeProducer('video');
    producer.pause();
    producer.resume();
    expect(receiver.sendRtcpPLI).toHaveBeenCalledTimes(1);
  });
});

describe('Producer', () => {
  it('emits pause and resume once per change and stops fan-out while paused', () => {
    const { producer, deliver } = makeProducer('audio');
    const sink: RtpSink = { onProducerRtp: vi.fn() };
    producer.addSink(sink);
    const onPause = vi.fn();
    const onResume = vi.fn();
    producer.on('pause', onPause).on('resume', onResume);

    producer.resume(); // not paused: no-op
    expect(onResume).not.toHaveBeenCalled();
    producer.pause();
    producer.pause();
    expect(producer.paused).toBe(true);
    expect(onPause).toHaveBeenCalledTimes(1);

    deliver();
    expect(sink.onProducerRtp).not.toHaveBeenCalled();
    // Packets of a paused producer are still counted as received.
    expect(producer.getStats().packetsReceived).toBe(1);

    producer.resume();
    producer.resume();
    expect(producer.paused).toBe(false);
    expect(onResume).toHaveBeenCalledTimes(1);
    deliver();
    expect(sink.onProducerRtp).toHaveBeenCalledTimes(1);
  });

  it('fans packets out to every sink and stops when a sink is removed', () => {
    const { producer, deliver } = makeProducer('video');
    const a: RtpSink = { onProducerRtp: vi.fn() };
    const b: RtpSink = { onProducerRtp: vi.fn() };
    producer.addSink(a);
    producer.addSink(b);
    const rtp = deliver();
    expect(a.onProducerRtp).toHaveBeenCalledWith(rtp);
    expect(b.onProducerRtp).toHaveBeenCalledWith(rtp);
    producer.removeSink(a);
    deliver();
    expect(a.onProducerRtp).toHaveBeenCalledTimes(1);
    expect(b.onProducerRtp).toHaveBeenCalledTimes(2);
  });

  it('reads audio levels from its negotiated header extension and reports them to its level sink', () => {
    const { producer, deliver } = makeProducer('audio');
    const onAudioLevel = vi.fn();
    producer.setAudioLevelSink({ onAudioLevel });
    const packet = deliver({ headerExtensions: [{ id: 1, payload: Buffer.from('0') }], audioLevel: { voiced: true, level: 25 } });
    expect(onAudioLevel).toHaveBeenCalledWith(producer, 25, true);
    // Consumers forward the level with the subscriber's extension id.
    expect([packet.audioLevel, packet.voiced]).toEqual([25, true]);
    deliver({ audioLevel: { voiced: false, level: 90 } });
    expect(onAudioLevel).toHaveBeenLastCalledWith(producer, 90, false);
    const silent = deliver(); // no extension: nothing to report
    expect(silent.audioLevel).toBe(-1);
    expect(onAudioLevel).toHaveBeenCalledTimes(2);
    producer.setAudioLevelSink(undefined);
    deliver({ audioLevel: { voiced: true, level: 25 } });
    expect(onAudioLevel).toHaveBeenCalledTimes(2);
    // A different negotiated id: the old one means nothing any more.
    producer.setAudioLevelExtensionId(5);
    expect(deliver({ audioLevel: { voiced: true, level: 25 } }).audioLevel).toBe(-1);
  });

  it('keeps recent video packets for retransmission, and no audio', () => {
    const video = makeProducer('video');
    const first = video.deliver({ sequenceNumber: 65535, payload: Buffer.from('first') });
    const second = video.deliver({ sequenceNumber: 0, marker: true, payload: Buffer.from('second') });
    // Copies of the packets, not the received buffers themselves.
    const kept = video.producer.getPacket(65535)!;
    expect(kept.buffer).not.toBe(first.buffer);
    expect([kept.sequenceNumber, kept.timestamp, kept.payload.toString(), kept.receivedAt]).toEqual([65535, first.timestamp, 'first', first.receivedAt]);
    expect([video.producer.getPacket(0)!.payload.toString(), video.producer.getPacket(0)!.marker]).toEqual(['second', second.marker]);
    expect(video.producer.getPacket(1)).toBeUndefined();
    // Overwritten slots report missing, never a wrong packet.
    for (let i = 1; i <= VIDEO_PACKET_HISTORY; i++) video.deliver({ sequenceNumber: i });
    expect(video.producer.getPacket(0)).toBeUndefined();
    expect(video.producer.getPacket(VIDEO_PACKET_HISTORY)?.sequenceNumber).toBe(VIDEO_PACKET_HISTORY);
    // A packet too large for a slot is reported missing, not stale.
    video.deliver({ sequenceNumber: 2 * VIDEO_PACKET_HISTORY, payload: Buffer.alloc(1500) });
    expect(video.producer.getPacket(2 * VIDEO_PACKET_HISTORY)).toBeUndefined();
    const audio = makeProducer('audio');
    audio.deliver({ sequenceNumber: 7 });
    expect(audio.producer.getPacket(7)).toBeUndefined();
  });

  it('close() is idempotent, emits once, and closes its consumers with reason producerclosed', () => {
    const { producer, deliver } = makeProducer('video');
    const { transceiver } = fakeTransceiver();
    const { output } = fakeOutput();
    const consumer = new Consumer({ id: 'c1', producer, transceiver, clockRate: 90000, output });
    const onConsumerClose = vi.fn();
    consumer.on('close', onConsumerClose);
    const onClose = vi.fn();
    producer.on('close', onClose);

    producer.close();
    producer.close();
    expect(producer.closed).toBe(true);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(consumer.closed).toBe(true);
    expect(onConsumerClose).toHaveBeenCalledTimes(1);
    expect(onConsumerClose).toHaveBeenCalledWith('producerclosed');

    // A closed producer ignores its packets and no longer pauses.
    deliver();
    expect(output.send).not.toHaveBeenCalled();
    expect(producer.getStats().packetsReceived).toBe(0);
    producer.pause();
    expect(producer.paused).toBe(false);
  });

  it('dump() and getStats() describe the track and its traffic', () => {
    const { producer, deliver } = makeProducer('video', { id: 'p-1', ssrc: 777 });
    const sink: RtpSink = { onProducerRtp: () => undefined };
    producer.addSink(sink);
    expect(producer.getStats()).toEqual({ packetsReceived: 0, bytesReceived: 0, keyFramesRequested: 0 });
    deliver({ payload: Buffer.alloc(1000) });
    deliver({ payload: Buffer.alloc(1200) });
    expect(producer.getStats()).toEqual({ packetsReceived: 2, bytesReceived: 2200, keyFramesRequested: 0 });
    producer.requestKeyFrame();
    expect(producer.getStats().keyFramesRequested).toBe(1);
    // getStats returns a snapshot, not the live counters.
    const snapshot = producer.getStats();
    deliver();
    expect(snapshot.packetsReceived).toBe(2);

    producer.pause();
    expect(producer.dump()).toEqual({
      id: 'p-1',
      kind: 'video',
      mid: '1',
      source: 'camera',
      codec: 'video/VP8',
      paused: true,
      ssrc: 777,
      sinks: 1,
    });
    producer.close();
  });
});
