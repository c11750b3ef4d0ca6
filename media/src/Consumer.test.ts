import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  GenericNack,
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RtcpPacketConverter,
  RtcpPayloadSpecificFeedback,
  RtcpReceiverInfo,
  RtcpRrPacket,
  RtcpTransportLayerFeedback,
} from 'werift';
import { Consumer } from './Consumer.ts';
import type { RtpSink } from './Producer.ts';
import { fakeOutput, fakeTransceiver, makeProducer } from './testing/fakes.ts';

function setup(kind: 'audio' | 'video' = 'video', options: { output?: ReturnType<typeof fakeOutput>; reusedSlot?: boolean } = {}) {
  const p = makeProducer(kind);
  const t = fakeTransceiver({ ssrc: 0xc0ffee });
  const o = options.output ?? fakeOutput({ ssrc: 0xc0ffee });
  const consumer = new Consumer({
    id: 'consumer-1',
    producer: p.producer,
    transceiver: t.transceiver,
    clockRate: kind === 'audio' ? 48000 : 90000,
    output: o.output,
    reusedSlot: options.reusedSlot,
  });
  return { ...p, ...t, ...o, consumer };
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

const nack = (mediaSourceSsrc: number, lost: number[]) =>
  new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc, lost }) });

describe('Consumer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('forwards the producer packets to its output and counts them', () => {
    const { consumer, sent, deliver } = setup();
    const first = deliver({ payload: Buffer.from('frame-1') });
    const second = deliver({ payload: Buffer.from('frame-22') });
    expect(sent.map((s) => s.packet)).toEqual([first, second]);
    // No pause happened: the subscriber's numbering follows the producer's.
    expect(sent.map((s) => [s.sequenceNumber, s.timestamp])).toEqual([
      [first.sequenceNumber, first.timestamp],
      [second.sequenceNumber, second.timestamp],
    ]);
    expect(consumer.getStats()).toEqual({ packetsSent: 2, bytesSent: 15, keyFrameRequestsReceived: 0 });
  });

  it('forwards and counts nothing until its output is ready', () => {
    const { consumer, output, deliver } = setup();
    output.ready = false;
    deliver();
    expect(output.send).not.toHaveBeenCalled();
    expect(consumer.getStats().packetsSent).toBe(0);
    output.ready = true;
    deliver();
    expect(consumer.getStats().packetsSent).toBe(1);
    // A send the transport could not make is not counted either.
    output.send.mockReturnValueOnce(false);
    deliver();
    expect(consumer.getStats().packetsSent).toBe(1);
  });

  it('leaves the shared packet untouched for the other sinks', () => {
    const { producer, sent, deliver } = setup('audio');
    const otherSink: RtpSink = { onProducerRtp: vi.fn() };
    producer.addSink(otherSink);
    const packet = deliver({ headerExtensions: [{ id: 1, payload: Buffer.from('0') }], audioLevel: { level: 30, voiced: true } });
    const bytes = Buffer.from(packet.buffer.subarray(0, packet.length));
    expect(sent[0]!.packet).toBe(packet);
    expect((otherSink.onProducerRtp as ReturnType<typeof vi.fn>).mock.calls[0]![0]).toBe(packet);
    expect(packet.buffer.subarray(0, packet.length)).toEqual(bytes);
    expect(packet.getExtension(1)).toEqual(Buffer.from('0'));
    expect([packet.audioLevel, packet.voiced]).toEqual([30, true]);
  });

  it('does not forward while paused, and re-bases continuity by the wall-clock gap on resume', () => {
    const { consumer, sent, producer, deliver } = setup('video');
    const requestKeyFrame = vi.spyOn(producer, 'requestKeyFrame');
    deliver({ sequenceNumber: 5000, timestamp: 900_000 });
    expect(sent).toHaveLength(1);

    consumer.pause();
    consumer.pause();
    expect(consumer.paused).toBe(true);
    deliver();
    deliver();
    expect(sent).toHaveLength(1);
    expect(consumer.getStats().packetsSent).toBe(1);

    vi.advanceTimersByTime(2000);
    consumer.resume();
    expect(consumer.paused).toBe(false);
    // Resuming asks for a keyframe so the subscriber can decode at once.
    expect(requestKeyFrame).toHaveBeenCalledTimes(1);
    deliver({ sequenceNumber: 5060, timestamp: 900_000 + 60 * 3000 });
    // The subscriber's sequence continues without a gap; its timestamp jumps by the real 2 s at 90 kHz.
    expect([sent[1]!.sequenceNumber, sent[1]!.timestamp]).toEqual([5001, 900_000 + 180_000]);
    // Only the first packet after the gap re-bases; the next ones follow the producer.
    deliver({ sequenceNumber: 5061, timestamp: 900_000 + 61 * 3000 });
    expect([sent[2]!.sequenceNumber, sent[2]!.timestamp]).toEqual([5002, 900_000 + 180_000 + 3000]);
  });

  it('does not forward while the producer is paused and re-bases after it resumes', () => {
    const { consumer, sent, producer, deliver } = setup('audio');
    const onProducerPause = vi.fn();
    const onProducerResume = vi.fn();
    consumer.on('producerpause', onProducerPause).on('producerresume', onProducerResume);
    deliver({ sequenceNumber: 10, timestamp: 48_000 });
    producer.pause();
    expect(onProducerPause).toHaveBeenCalledTimes(1);
    expect(consumer.producerPaused).toBe(true);
    expect(consumer.paused).toBe(false);
    deliver();
    expect(sent).toHaveLength(1);

    vi.advanceTimersByTime(500);
    producer.resume();
    expect(onProducerResume).toHaveBeenCalledTimes(1);
    deliver({ sequenceNumber: 40, timestamp: 48_000 + 30 * 960 });
    expect(sent).toHaveLength(2);
    expect([sent[1]!.sequenceNumber, sent[1]!.timestamp]).toEqual([11, 48_000 + 24_000]); // 0.5 s at 48 kHz
  });

  it('starts with a re-base when created for a paused producer', () => {
    const p = makeProducer('video');
    const o = fakeOutput();
    // The slot already sent up to 700 / 70_000.
    o.output.rewriter.map(700, 70_000);
    p.producer.pause();
    const t = fakeTransceiver();
    new Consumer({ id: 'late', producer: p.producer, transceiver: t.transceiver, clockRate: 90000, output: o.output });
    vi.advanceTimersByTime(1000);
    p.producer.resume();
    p.deliver({ sequenceNumber: 3, timestamp: 3 });
    expect([o.sent[0]!.sequenceNumber, o.sent[0]!.timestamp]).toEqual([701, 70_000 + 90_000]);
  });

  it('continues the numbering of a reused slot and forgets its NACK history', () => {
    const slot = fakeOutput();
    const first = setup('video', { output: slot });
    first.deliver({ sequenceNumber: 100, timestamp: 1000 });
    first.deliver({ sequenceNumber: 101, timestamp: 4000 });
    first.consumer.close();

    // Another producer takes the slot 250 ms later, with its own numbering.
    vi.advanceTimersByTime(250);
    const second = setup('video', { output: slot, reusedSlot: true });
    const packet = second.deliver({ sequenceNumber: 9000, timestamp: 5_000_000 });
    expect([slot.sent.at(-1)!.sequenceNumber, slot.sent.at(-1)!.timestamp]).toEqual([102, 4000 + 22_500]);
    // A NACK for a packet of the previous producer finds nothing to resend.
    second.sender.onRtcp.execute(nack(0xc0ffee, [101]));
    expect(slot.sent.at(-1)!.packet).toBe(packet);
  });

  it('answers NACKs from the producer packet ring with the original numbering', () => {
    const { consumer, sent, sender, deliver } = setup('video');
    deliver({ sequenceNumber: 65534, timestamp: 100 });
    const lost = deliver({ sequenceNumber: 65535, timestamp: 200 });
    deliver({ sequenceNumber: 0, timestamp: 300 });
    consumer.pause();
    vi.advanceTimersByTime(1000);
    consumer.resume();
    deliver({ sequenceNumber: 1, timestamp: 400 });
    expect(sent).toHaveLength(4);

    // werift's NACK parser does not wrap 65535 + 1; the consumer does.
    sender.onRtcp.execute(nack(0xc0ffee, [65535, 12345]));
    expect(sent).toHaveLength(5);
    expect(sent[4]).toMatchObject({ sequenceNumber: 65535, timestamp: 200, retransmission: true });
    expect(sent[4]!.packet.buffer.subarray(0, lost.length)).toEqual(lost.buffer.subarray(0, lost.length));
    expect(consumer.retransmissions).toBe(1);
    expect(consumer.getStats().packetsSent).toBe(4);
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
    const { consumer, sender, output, producer, deliver } = setup('video');
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
    expect(output.send).not.toHaveBeenCalled();
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
