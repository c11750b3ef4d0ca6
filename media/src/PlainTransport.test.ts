import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { PlainTransport, withoutVp9ScalabilityStructure } from './PlainTransport.ts';
import type { RTCRtpReceiver } from 'werift';
import { Producer } from './Producer.ts';
import { fakeReceiver, makeProducer } from './testing/fakes.ts';
import { generateStream } from './testing/svcStreams.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function receiver(): Promise<{ port: number; packets: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (m) => packets.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => socket.close());
  return { port: socket.address().port, packets };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('PlainTransport', () => {
  it('sends a producer’s RTP unchanged to a local port, only once resumed, and asks for a keyframe then', async () => {
    const transport = new PlainTransport({ id: 'plain' });
    cleanups.push(() => transport.close());
    expect(await transport.listen()).toBeGreaterThan(0);
    const rx = await receiver();
    const { producer, receiver: publisher, deliver } = makeProducer('video');
    const rtp = transport.consume(producer, { consumerId: 'c1', remotePort: rx.port });
    expect(rtp).toEqual({ kind: 'video', mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 });

    deliver();
    await new Promise((r) => setTimeout(r, 30));
    expect(rx.packets).toHaveLength(0); // paused: the receiver may not be listening yet
    expect(transport.dump().consumers[0]).toMatchObject({ id: 'c1', paused: true, packetsSent: 0, firstPacketAt: null });

    const before = Date.now();
    transport.resume('c1');
    const sent = deliver();
    deliver();
    await until(() => rx.packets.length === 2);
    expect(rx.packets[0]!.equals(sent.buffer.subarray(0, sent.length))).toBe(true);
    const dump = transport.dump().consumers[0]!;
    expect(dump).toMatchObject({ paused: false, packetsSent: 2, remotePort: rx.port });
    expect(dump.firstPacketAt).toBeGreaterThanOrEqual(before);
    expect(transport.getStats()).toMatchObject({ packetsSent: 2, consumers: 1 });
    await until(() => publisher.sendRtcpPLI.mock.calls.length >= 1);
  });

  it('ends a consumer when its producer closes, and closes idempotently', async () => {
    const transport = new PlainTransport({ id: 'plain' });
    await transport.listen();
    const rx = await receiver();
    const { producer, deliver } = makeProducer('audio');
    const closed: [string, string][] = [];
    transport.on('consumerclose', (id, reason) => closed.push([id, reason]));
    expect(transport.consume(producer, { consumerId: 'a', remotePort: rx.port })).toMatchObject({ mimeType: 'audio/opus', payloadType: 111, channels: 2 });
    expect(() => transport.consume(producer, { consumerId: 'a', remotePort: rx.port })).toThrow(/exists/);
    transport.resume('a');
    producer.close();
    expect(closed).toEqual([['a', 'producer-closed']]);
    deliver();
    expect(transport.dump().consumers).toEqual([]);
    let events = 0;
    transport.on('close', () => events++);
    transport.close();
    transport.close();
    expect(events).toBe(1);
    expect(transport.closed).toBe(true);
    const other = makeProducer('audio', { id: 'other' });
    expect(() => transport.consume(other.producer, { consumerId: 'b', remotePort: rx.port })).toThrow(/closed/);
  });
});

describe('PlainTransport: scalable VP9', () => {
  it('sends the base spatial layer by default, every layer untouched with layers: all (the recorder reassembles them)', async () => {
    const transport = new PlainTransport({ id: 'plain' });
    cleanups.push(() => transport.close());
    await transport.listen();
    const [base, all] = [await receiver(), await receiver()];
    const producer = new Producer({ id: 'p', kind: 'video', mid: '1', source: 'camera', receiver: fakeReceiver() as unknown as RTCRtpReceiver, codec: 'video/VP9', ssrc: 0x1234 });
    transport.consume(producer, { consumerId: 'base', remotePort: base.port });
    transport.consume(producer, { consumerId: 'all', remotePort: all.port, layers: 'all' });
    transport.resume('base');
    transport.resume('all');
    const stream = generateStream({ codec: 'vp9', pictures: 8, keyFrameInterval: 100 });
    for (const g of stream) producer.receiveRtp(g.packet);
    const baseCount = stream.filter((g) => g.frame.spatial === 0).length;
    await until(() => all.packets.length === stream.length && base.packets.length === baseCount);
    expect(all.packets.every((p, i) => p.equals(stream[i]!.packet.buffer.subarray(0, stream[i]!.packet.length)))).toBe(true);
    expect(base.packets.every((p, i) => p.readUInt16BE(2) === i)).toBe(true); // renumbered: the dropped layers leave no gaps
  });
});

describe('withoutVp9ScalabilityStructure', () => {
  const header = Buffer.alloc(12, 0x80);
  it('keeps the picture id and flags, drops layer indices and the scalability structure', () => {
    // I P L F B E V Z = 1 0 1 0 1 0 1 0; 15-bit picture id; TID/U/SID/D + TL0PICIDX; SS with Y (2 layers) and G (1 picture, R=1)
    const descriptor = [0b10101010, 0x81, 0x23, 0x00, 0x07, 0b00111000, 0, 160, 0, 90, 1, 64, 0, 180, 1, 0b00000100, 1];
    const payload = [0x82, 0x49, 0x83];
    const out = withoutVp9ScalabilityStructure(Buffer.from([...header, ...descriptor, ...payload]), 12);
    expect([...out.subarray(12)]).toEqual([0b10001000, 0x81, 0x23, ...payload]);
    expect(out.subarray(0, 12).equals(header)).toBe(true);
  });
  it('leaves a plain descriptor and a malformed one alone', () => {
    const plain = Buffer.from([...header, 0b10001100, 0x05, 0x82]);
    expect(withoutVp9ScalabilityStructure(plain, 12)).toBe(plain);
    const cut = Buffer.from([...header, 0b00000010]);
    expect(withoutVp9ScalabilityStructure(cut, 12)).toBe(cut);
  });
});
