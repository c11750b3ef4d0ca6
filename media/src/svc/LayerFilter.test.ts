import { describe, expect, it } from 'vitest';
import { fakeVideoConsumer } from '../testing/fakes.ts';
import { checkDecodable, generateStream, type GeneratedPacket } from '../testing/svcStreams.ts';

const DD_ID = 5;

function setup(codec: 'vp9' | 'av1') {
  const { receiver, producer, consumer, sent } = fakeVideoConsumer({
    id: 'p',
    codec: codec === 'vp9' ? 'video/VP9' : 'video/AV1',
    dependencyDescriptorExtensionId: DD_ID,
    ssrc: 0x1234,
  });
  const byPacket = new Map<unknown, GeneratedPacket>();
  const feed = (packets: GeneratedPacket[]) => {
    for (const g of packets) {
      byPacket.set(g.packet, g);
      producer.receiveRtp(g.packet);
    }
  };
  const forwarded = () => sent.map((s) => ({ generated: byPacket.get(s.packet)!, sequenceNumber: s.sequenceNumber, marker: s.marker }));
  return { producer, consumer, receiver, feed, forwarded, sent };
}

/** Markers end each forwarded picture exactly: on the last forwarded packet of a picture, nowhere else. */
function markerProblems(list: ReturnType<ReturnType<typeof setup>['forwarded']>): string[] {
  const problems: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const lastOfPicture = i === list.length - 1 || list[i + 1]!.generated.frame.picture !== list[i]!.generated.frame.picture;
    if (list[i]!.marker !== lastOfPicture && i !== list.length - 1) problems.push(`marker ${list[i]!.marker} at ${i}`);
  }
  return problems;
}

describe.each(['vp9', 'av1'] as const)('%s layer filter', (codec) => {
  const stream = (pictures: number, first = 1000) => generateStream({ codec, pictures, keyFrameInterval: 40, dependencyDescriptorId: DD_ID, firstSequenceNumber: first });

  it('forwards everything at the top target, and learns the layers and resolutions', () => {
    const { producer, consumer, feed, forwarded } = setup(codec);
    const packets = stream(40);
    feed(packets);
    expect(forwarded().length).toBe(packets.length);
    expect(checkDecodable(forwarded())).toEqual([]);
    expect(consumer.currentLayers).toEqual({ spatial: 2, temporal: 2 });
    const dump = producer.dump();
    expect(dump.scalabilityMode).toBe(codec === 'vp9' ? 'L3T3_KEY' : 'L3T3');
    expect(dump.resolutions?.map((r) => r.width)).toEqual([320, 640, 1280]);
  });

  it('forwards only the base spatial layer and two temporal layers to a thumbnail, still decodable', () => {
    const { consumer, feed, forwarded } = setup(codec);
    consumer.setTargetLayers(0, 1);
    feed(stream(40));
    const got = forwarded();
    expect(new Set(got.map((g) => g.generated.frame.spatial))).toEqual(new Set([0]));
    expect(new Set(got.map((g) => g.generated.frame.temporal))).toEqual(new Set([0, 1]));
    expect(checkDecodable(got)).toEqual([]);
    expect(markerProblems(got)).toEqual([]);
    expect(consumer.currentLayers).toEqual({ spatial: 0, temporal: 1 });
  });

  it('steps down mid-stream without a keyframe, and stays decodable', () => {
    const { consumer, receiver, feed, forwarded } = setup(codec);
    const packets = stream(40);
    feed(packets.slice(0, 95)); // mid-frame, mid-picture
    const before = receiver.sendRtcpPLI.mock.calls.length;
    consumer.setTargetLayers(1, 0);
    feed(packets.slice(95));
    expect(receiver.sendRtcpPLI.mock.calls.length).toBe(before);
    const got = forwarded();
    expect(checkDecodable(got)).toEqual([]);
    expect(markerProblems(got)).toEqual([]);
    expect(consumer.currentLayers).toEqual({ spatial: 1, temporal: 0 });
    const tail = got.slice(-12);
    expect(tail.every((g) => g.generated.frame.spatial <= 1 && g.generated.frame.temporal === 0)).toBe(true);
  });

  it('steps up only at a keyframe, and asks for one', async () => {
    const { consumer, receiver, feed, forwarded } = setup(codec);
    consumer.setTargetLayers(0, 0);
    const packets = stream(80);
    feed(packets.slice(0, 200));
    consumer.setTargetLayers(2, 2);
    await new Promise((r) => setTimeout(r, 10));
    expect(receiver.sendRtcpPLI).toHaveBeenCalled();
    feed(packets.slice(200, 40 * 6)); // up to the next keyframe (picture 40)
    expect(consumer.currentLayers?.spatial).toBe(0);
    feed(packets.slice(40 * 6));
    expect(consumer.currentLayers).toEqual({ spatial: 2, temporal: 2 });
    const got = forwarded();
    expect(checkDecodable(got)).toEqual([]);
    expect(got.at(-1)!.generated.frame.spatial).toBe(2);
  });

  it('keeps sequence numbers contiguous across drops and answers NACKs with the right packet', () => {
    const { consumer, feed, sent } = setup(codec);
    consumer.setTargetLayers(1, 2);
    feed(stream(20, 65500)); // wraps
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.sequenceNumber).toBe((sent[i - 1]!.sequenceNumber + 1) & 0xffff);
    expect(consumer.currentLayers?.spatial).toBe(1);
    // The subscriber NACKs an output sequence number: the producer's packet behind it is re-sent under that number.
    const lost = sent[sent.length - 5]!;
    const transceiver = consumer.transceiver as unknown as { sender: { onRtcp: { execute(p: unknown): void } } };
    transceiver.sender.onRtcp.execute({ type: 205, feedback: { count: 1, lost: [lost.sequenceNumber] } });
    const resent = sent.at(-1)!;
    expect(resent.retransmission).toBe(true);
    expect(resent.sequenceNumber).toBe(lost.sequenceNumber);
    expect(resent.packet.sequenceNumber).toBe(lost.packet.sequenceNumber);
  });

  it('starts only at a keyframe', () => {
    const { feed, forwarded } = setup(codec);
    const packets = stream(50);
    feed(packets.slice(6 * 5)); // joins at picture 5: nothing decodes until picture 40
    const got = forwarded();
    expect(got[0]!.generated.frame.keyFrame).toBe(true);
    expect(checkDecodable(got)).toEqual([]);
  });
});
