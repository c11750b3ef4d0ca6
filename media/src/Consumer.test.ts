import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RtcpPacketConverter,
  RtcpPayloadSpecificFeedback,
  RtcpReceiverInfo,
  RtcpRrPacket,
  type RtpPacket,
} from 'werift';
import { Consumer } from './Consumer.ts';
import type { RtpSink } from './Producer.ts';
import { fakeTransceiver, makeProducer } from './testing/fakes.ts';

function setup(kind: 'audio' | 'video' = 'video') {
  const p = makeProducer(kind);
  const t = fakeTransceiver({ ssrc: 0xc0ffee });
  const consumer = new Consumer({
    id: 'consumer-1',
    producer: p.producer,
    transceiver: t.transceiver,
    clockRate: kind === 'audio' ? 48000 : 90000,
  });
  return { ...p, ...t, consumer };
}

/** A FIR as a browser sends it (werift does not export a FIR class, so from the wire). */
function fir(targetSsrc: number): RtcpPayloadSpecificFeedback {
  const buf = Buffer.alloc(20);
  buf.writeUInt8(0x80 | 4, 0); // V=2, FMT=4 (FIR)
  buf.writeUInt8(206, 1); // PT=PSFB
  buf.writeUInt16BE(4, 2); // length in words - 1
  buf.writeUInt32BE(1, 4); // sender SSRC
  buf.writeUInt32BE(0, 8); // media SSRC: unused for FIR
  buf.writeUInt32BE(targetSsrc, 12);
  buf.writeUInt8(1, 16); // command sequence number
  const [packet] = RtcpPacketConverter.deSerialize(buf);
  return packet as RtcpPayloadSpecificFeedback;
}

const pli = (mediaSsrc: number) =>
  new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: 1, mediaSsrc }) });

describe('Consumer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('forwards the producer packets to its sender and counts them', () => {
    const { consumer, sender, deliver } = setup();
    const first = deliver({ payload: Buffer.from('frame-1') });
    const second = deliver({ payload: Buffer.from('frame-22') });
    expect(sender.sendRtp).toHaveBeenCalledTimes(2);
    expect(sender.sendRtp.mock.calls[0]![0]).toBe(first);
    expect(sender.sendRtp.mock.calls[1]![0]).toBe(second);
    expect(consumer.getStats()).toEqual({ packetsSent: 2, bytesSent: 15, keyFrameRequestsReceived: 0 });
    // No pause happened: RTP continuity is left alone.
    expect(sender.replaceRTP).not.toHaveBeenCalled();
  });

  it('forwards and counts nothing until the subscriber transport is connected', () => {
    const { consumer, sender, deliver } = setup();
    sender.dtlsTransport.state = 'connecting';
    deliver();
    expect(sender.sendRtp).not.toHaveBeenCalled();
    expect(consumer.getStats().packetsSent).toBe(0);
    sender.dtlsTransport.state = 'connected';
    deliver();
    expect(consumer.getStats().packetsSent).toBe(1);
    sender.stopped = true;
    deliver();
    expect(sender.sendRtp).toHaveBeenCalledTimes(1);
  });

  it("strips the publisher's header extensions for the send, without altering the shared packet", () => {
    const { sender, producer, deliver } = setup('audio');
    const otherSink: RtpSink = { onProducerRtp: vi.fn() };
    let extensionsAtSend: unknown[] | undefined;
    sender.sendRtp.mockImplementation((rtp: RtpPacket) => {
      extensionsAtSend = [...rtp.header.extensions];
      return Promise.resolve();
    });
    const publisherExtensions = [
      { id: 1, payload: Buffer.from('0') },
      { id: 3, payload: Buffer.from([0x80 | 30]) },
    ];
    const rtp = deliver({ headerExtensions: publisherExtensions });
    expect(extensionsAtSend).toEqual([]);
    // Sinks after the consumer (a recorder tap, say) still see the publisher's extensions.
    producer.addSink(otherSink);
    const rtp2 = deliver({ headerExtensions: publisherExtensions });
    expect(rtp.header.extensions).toEqual(publisherExtensions);
    expect((otherSink.onProducerRtp as ReturnType<typeof vi.fn>).mock.calls[0]![0]).toBe(rtp2);
    expect(rtp2.header.extensions).toEqual(publisherExtensions);
  });

  it('does not forward while paused, and re-bases continuity by the wall-clock gap on resume', () => {
    const { consumer, sender, producer, deliver } = setup('video');
    const requestKeyFrame = vi.spyOn(producer, 'requestKeyFrame');
    deliver();
    expect(sender.sendRtp).toHaveBeenCalledTimes(1);

    consumer.pause();
    consumer.pause();
    expect(consumer.paused).toBe(true);
    deliver();
    deliver();
    expect(sender.sendRtp).toHaveBeenCalledTimes(1);
    expect(consumer.getStats().packetsSent).toBe(1);

    vi.advanceTimersByTime(2000);
    consumer.resume();
    expect(consumer.paused).toBe(false);
    // Resuming asks for a keyframe so the subscriber can decode at once.
    expect(requestKeyFrame).toHaveBeenCalledTimes(1);
    const next = deliver();
    expect(sender.replaceRTP).toHaveBeenCalledTimes(1);
    // 2 s at 90 kHz: the subscriber's timestamps jump by the real gap.
    expect(sender.replaceRTP).toHaveBeenCalledWith(next.header, false, 180_000);
    expect(sender.sendRtp).toHaveBeenCalledTimes(2);
    // Only the first packet after the gap re-bases.
    deliver();
    expect(sender.replaceRTP).toHaveBeenCalledTimes(1);
  });

  it('does not forward while the producer is paused and re-bases after it resumes', () => {
    const { consumer, sender, producer, deliver } = setup('audio');
    const onProducerPause = vi.fn();
    const onProducerResume = vi.fn();
    consumer.on('producerpause', onProducerPause).on('producerresume', onProducerResume);
    deliver();
    producer.pause();
    expect(onProducerPause).toHaveBeenCalledTimes(1);
    expect(consumer.producerPaused).toBe(true);
    expect(consumer.paused).toBe(false);
    deliver();
    expect(sender.sendRtp).toHaveBeenCalledTimes(1);

    vi.advanceTimersByTime(500);
    producer.resume();
    expect(onProducerResume).toHaveBeenCalledTimes(1);
    deliver();
    expect(sender.sendRtp).toHaveBeenCalledTimes(2);
    expect(sender.replaceRTP).toHaveBeenCalledTimes(1);
    expect(sender.replaceRTP.mock.calls[0]![2]).toBe(24_000); // 0.5 s at 48 kHz
  });

  it('starts with a re-base when created for a paused producer', () => {
    const p = makeProducer('video');
    p.producer.pause();
    const t = fakeTransceiver();
    new Consumer({ id: 'late', producer: p.producer, transceiver: t.transceiver, clockRate: 90000 });
    vi.advanceTimersByTime(1000);
    p.producer.resume();
    p.deliver();
    expect(t.sender.replaceRTP).toHaveBeenCalledTimes(1);
    expect(t.sender.replaceRTP.mock.calls[0]![2]).toBe(90_000);
  });

  it('passes PLI and FIR from the subscriber to the producer, and nothing else', () => {
    const { consumer, sender, producer, receiver } = setup('video');
    const requestKeyFrame = vi.spyOn(producer, 'requestKeyFrame');
    sender.onRtcp.execute(pli(0xc0ffee));
    expect(requestKeyFrame).toHaveBeenCalledTimes(1);
    // …which reaches the publisher as a PLI on the producer's SSRC.
    expect(receiver.sendRtcpPLI).toHaveBeenCalledWith(0x1234);

    const firPacket = fir(0xc0ffee);
    expect(firPacket.feedback.count).toBe(4);
    sender.onRtcp.execute(firPacket);
    expect(requestKeyFrame).toHaveBeenCalledTimes(2);

    // REMB is payload-specific feedback too, but not a keyframe request.
    sender.onRtcp.execute(
      new RtcpPayloadSpecificFeedback({
        feedback: new ReceiverEstimatedMaxBitrate({ senderSsrc: 1, mediaSsrc: 0, bitrate: 1_000_000n, ssrcFeedbacks: [0xc0ffee] }),
      }),
    );
    sender.onRtcp.execute(new RtcpRrPacket({ ssrc: 1, reports: [new RtcpReceiverInfo({ ssrc: 0xc0ffee })] }));
    expect(requestKeyFrame).toHaveBeenCalledTimes(2);
    expect(consumer.getStats().keyFrameRequestsReceived).toBe(2);
  });

  it('close() is idempotent, detaches from producer and sender, and reports its reason', () => {
    const { consumer, sender, producer, deliver } = setup('video');
    const requestKeyFrame = vi.spyOn(producer, 'requestKeyFrame');
    const onClose = vi.fn();
    consumer.on('close', onClose);
    expect(producer.dump().sinks).toBe(1);
    expect(sender.onRtcp.length).toBe(1);

    consumer.close();
    consumer.close('transportclosed');
    expect(consumer.closed).toBe(true);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(onClose).toHaveBeenCalledWith('closed');
    expect(producer.dump().sinks).toBe(0);
    expect(sender.onRtcp.length).toBe(0);

    deliver();
    sender.onRtcp.execute(pli(0xc0ffee));
    producer.pause();
    producer.close();
    expect(sender.sendRtp).not.toHaveBeenCalled();
    expect(requestKeyFrame).not.toHaveBeenCalled();
    expect(onClose).toHaveBeenCalledTimes(1);
    // pause/resume after close are no-ops.
    consumer.pause();
    expect(consumer.paused).toBe(false);
  });

  it('dump() describes the forwarding', () => {
    const { consumer, producer } = setup('video');
    consumer.pause();
    producer.pause();
    expect(consumer.dump()).toEqual({
      id: 'consumer-1',
      producerId: producer.id,
      kind: 'video',
      mid: '0',
      paused: true,
      producerPaused: true,
      ssrc: 0xc0ffee,
    });
  });
});
