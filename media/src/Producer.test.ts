import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Consumer } from './Consumer.ts';
import { KEYFRAME_REQUEST_INTERVAL_MS, type RtpSink } from './Producer.ts';
import { fakeTransceiver, makeProducer } from './testing/fakes.ts';

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

  it('reports audio levels to its level sink', () => {
    const { producer, deliver } = makeProducer('audio');
    const onAudioLevel = vi.fn();
    producer.setAudioLevelSink({ onAudioLevel });
    deliver({ extensions: { 'urn:ietf:params:rtp-hdrext:ssrc-audio-level': { v: true, level: 25 } } });
    expect(onAudioLevel).toHaveBeenCalledWith(producer, 25, true);
    deliver(); // no extension: nothing to report
    expect(onAudioLevel).toHaveBeenCalledTimes(1);
    producer.setAudioLevelSink(undefined);
    deliver({ extensions: { 'urn:ietf:params:rtp-hdrext:ssrc-audio-level': { v: true, level: 25 } } });
    expect(onAudioLevel).toHaveBeenCalledTimes(1);
  });

  it('close() is idempotent, emits once, and closes its consumers with reason producerclosed', () => {
    const { producer, deliver } = makeProducer('video');
    const { transceiver, sender } = fakeTransceiver();
    const consumer = new Consumer({ id: 'c1', producer, transceiver, clockRate: 90000 });
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

    // A closed producer ignores its track and no longer pauses.
    deliver();
    expect(sender.sendRtp).not.toHaveBeenCalled();
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
