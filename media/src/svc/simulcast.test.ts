/**
 * VP8 simulcast through a Consumer: three encodings on three SSRCs, one
 * forwarded at a time, switched at a keyframe of the target; the subscriber
 * sees one stream with continuous sequence numbers, timestamps that follow
 * the clock, and continuous picture ids / TL0PICIDX.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PlainTransport } from '../PlainTransport.ts';
import { waitFor } from '../testing/weriftClient.ts';
import { fakeSimulcastConsumer, SIMULCAST_SSRCS as SSRCS, simulcastVp8Packet } from '../testing/fakes.ts';
import { Vp8Descriptor, parseVp8Descriptor } from './vp8.ts';

describe('VP8 simulcast consumer', () => {
  function setup() {
    const { receiver, producer, transceiver, output, sent, consumer } = fakeSimulcastConsumer();
    const feed = (from: number, to: number, keyEvery = 30) => {
      for (let f = from; f < to; f++) for (let e = 0; e < 3; e++) producer.receiveRtp(simulcastVp8Packet(e, f, f % keyEvery === 0));
    };
    return { producer, consumer, sent, receiver, feed };
  }

  const descriptorOf = (payload: Buffer) => {
    const d = new Vp8Descriptor();
    parseVp8Descriptor(payload, 0, payload.length, d);
    return d;
  };

  it('forwards one encoding at a time and switches at a keyframe, keeping the stream continuous', () => {
    const { producer, consumer, sent, feed } = setup();
    consumer.setTargetLayers(2, 2);
    feed(0, 20);
    expect(sent.every((s) => s.packet.ssrc === SSRCS[2])).toBe(true);
    expect(consumer.currentLayers?.spatial).toBe(2);

    consumer.setTargetLayers(0, 2); // a thumbnail now
    feed(20, 45); // keyframe at 30
    expect(consumer.currentLayers?.spatial).toBe(0);
    const ssrcs = sent.map((s) => s.packet.ssrc);
    expect(ssrcs.indexOf(SSRCS[0]!)).toBeGreaterThan(0);
    // Until the keyframe the old encoding went on; after it, only the new one.
    const firstNew = ssrcs.indexOf(SSRCS[0]!);
    expect(ssrcs.slice(0, firstNew).every((s) => s === SSRCS[2])).toBe(true);
    expect(ssrcs.slice(firstNew).every((s) => s === SSRCS[0])).toBe(true);
    expect(descriptorOf(sent[firstNew]!.payload).keyFrame).toBe(true);

    for (let i = 1; i < sent.length; i++) {
      expect(sent[i]!.sequenceNumber).toBe((sent[i - 1]!.sequenceNumber + 1) & 0xffff);
      const dt = (sent[i]!.timestamp - sent[i - 1]!.timestamp) >>> 0;
      expect(dt).toBeGreaterThan(0);
      expect(dt).toBeLessThan(90_000); // never a jump of the other SSRC's random timestamp base
      const [a, b] = [descriptorOf(sent[i - 1]!.payload), descriptorOf(sent[i]!.payload)];
      expect(b.pictureId).toBe((a.pictureId + 1) & 0x7fff);
      expect(b.tl0PicIdx).toBe((a.tl0PicIdx + 1) & 0xff);
    }
    const dump = producer.dump();
    expect(dump.scalabilityMode).toMatch(/^S3/);
    expect(dump.encodings?.map((e) => [e.rid, e.ssrc, e.width])).toEqual([
      ['r0', SSRCS[0], 320],
      ['r1', SSRCS[1], 640],
      ['r2', SSRCS[2], 1280],
    ]);
  });

  it('answers a NACK from the ring of the encoding that packet came from', () => {
    const { consumer, sent, feed } = setup();
    consumer.setTargetLayers(1, 2);
    feed(0, 10);
    const lost = sent[4]!;
    const transceiver = consumer.transceiver as unknown as { sender: { onRtcp: { execute(p: unknown): void } } };
    transceiver.sender.onRtcp.execute({ type: 205, feedback: { count: 1, lost: [lost.sequenceNumber] } });
    const resent = sent.at(-1)!;
    expect(resent.retransmission).toBe(true);
    expect([resent.packet.ssrc, resent.packet.sequenceNumber]).toEqual([SSRCS[1], lost.packet.sequenceNumber]);
    // Rewritten like the original.
    expect(descriptorOf(resent.payload).pictureId).toBe(descriptorOf(lost.payload).pictureId);
  });

  it('asks every encoding for a keyframe when a switch waits', async () => {
    const { consumer, receiver, feed } = setup();
    consumer.setTargetLayers(2, 2);
    feed(0, 5);
    receiver.sendRtcpPLI.mockClear();
    await new Promise((r) => setTimeout(r, 600)); // past the producer's keyframe-request interval
    consumer.setTargetLayers(0, 2);
    await new Promise((r) => setTimeout(r, 10));
    expect(new Set(receiver.sendRtcpPLI.mock.calls.map((c) => c[0]))).toEqual(new Set(SSRCS));
  });
});

describe('VP8 simulcast to a plain receiver (a recorder)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The SSRCs a plain consumer forwards when it resumes after 2.5 s of the publisher sending its first `encodingsSent` encodings. */
  async function forwardedAfter(encodingsSent: number): Promise<number[]> {
    // The producer measures its layers' rates on packet arrival times against performance.now(): a clock the test sets.
    vi.useFakeTimers({ toFake: ['performance'] });
    vi.advanceTimersByTime(10_000);
    const { producer } = fakeSimulcastConsumer();
    const frames = 75;
    const feed = (f: number) => {
      for (let e = 0; e < encodingsSent; e++) {
        const packet = simulcastVp8Packet(e, f, f % 30 === 0);
        packet.receivedAt = performance.now() - (frames - f) * 33.3;
        producer.receiveRtp(packet);
      }
    };
    for (let f = 0; f < frames; f++) feed(f);
    const transport = new PlainTransport({ id: 'rec' });
    const socket = dgram.createSocket('udp4');
    try {
      await transport.listen();
      const received: number[] = [];
      socket.on('message', (m) => received.push(m.readUInt32BE(8)));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
      transport.consume(producer, { consumerId: 'c', remotePort: socket.address().port });
      transport.resume('c');
      feed(frames);
      await waitFor(() => transport.dump().consumers[0]!.packetsSent === received.length && received.length > 0, 5_000, 'the forwarded packet');
      return received;
    } finally {
      transport.close();
      socket.close();
    }
  }

  it('forwards the top encoding while the publisher sends it, else the best one it sends: one that is off would record nothing', async () => {
    expect(await forwardedAfter(3)).toEqual([SSRCS[2]]);
    expect(await forwardedAfter(2)).toEqual([SSRCS[1]]);
  });
});
