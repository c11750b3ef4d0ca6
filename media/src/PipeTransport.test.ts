/**
 * Pipe transports on loopback: first two bare PipeTransports around fake
 * producers (packets, keyframe requests, pause, close, simulcast, foreign and
 * garbage datagrams), then a room spanning two workers through the channel,
 * with real werift peers: a publisher on an in-process WorkerProcess, a
 * subscriber on a forked worker process.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { RTCRtpReceiver, RtpPacket } from 'werift';
import type { ChannelNotification, PipeProducerParameters, WorkerMethod, WorkerMethods, WorkerNotifications } from './channel.ts';
import { Consumer } from './Consumer.ts';
import { PipeTransport } from './PipeTransport.ts';
import { Producer } from './Producer.ts';
import { Router } from './Router.ts';
import type { MediaPacket } from './rtp/rtpPacket.ts';
import { writePli } from './rtp/rtcp.ts';
import {
  FAKE_AUDIO_LEVEL_ID,
  fakeOutput,
  fakeReceiver,
  fakeTransceiver,
  makeProducer,
  mediaPacket,
  SIMULCAST_RID_EXTENSION_ID,
  SIMULCAST_RIDS,
  SIMULCAST_SSRCS,
  simulcastVp8Packet,
} from './testing/fakes.ts';
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
  type Connectable,
} from './testing/weriftClient.ts';
import { Worker } from './Worker.ts';
import { WorkerProcess } from './worker/WorkerProcess.ts';

const WAIT_MS = 30_000;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listening(id: string): Promise<PipeTransport> {
  const pipe = new PipeTransport({ id, ip: '127.0.0.1' });
  cleanups.push(() => pipe.close());
  await pipe.listen();
  return pipe;
}

/** Two pipe ends connected to each other: `a` the origin side, `b` the far side. */
async function pipePair(): Promise<[PipeTransport, PipeTransport]> {
  const [a, b] = [await listening('pipe-a'), await listening('pipe-b')];
  a.connect(b.local.ip, b.local.port);
  b.connect(a.local.ip, a.local.port);
  return [a, b];
}

async function udpSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => socket.close());
  return socket;
}

function collect(producer: Producer): MediaPacket[] {
  const packets: MediaPacket[] = [];
  producer.addSink({ onProducerRtp: (p) => packets.push(p) });
  return packets;
}

/** A Consumer of `producer` on a recording output, as a recv transport would make it. */
function consumerOf(producer: Producer) {
  const { transceiver } = fakeTransceiver();
  const { output, sent } = fakeOutput();
  const consumer = new Consumer({ id: `consumer-${producer.id}`, producer, transceiver, clockRate: 90000, output });
  return { consumer, sent };
}

describe('PipeTransport', { timeout: 60_000 }, () => {
  it('carries a producer’s RTP under the pipe SSRC without touching the shared packet, and its keyframe requests back', async () => {
    const [a, b] = await pipePair();
    const { producer, receiver, deliver } = makeProducer('video', { id: 'cam' });
    const parameters = a.consume(producer);
    expect(parameters).toEqual({
      id: 'cam',
      kind: 'video',
      mid: '1',
      source: 'camera',
      codec: 'video/VP8',
      ssrcs: [expect.any(Number)],
      audioLevelExtensionId: 0,
      dependencyDescriptorExtensionId: 0,
      paused: false,
    } satisfies PipeProducerParameters);
    const pipeSsrc = parameters.ssrcs[0]!;
    expect(pipeSsrc).not.toBe(0x1234);

    const far = b.produce(parameters);
    expect(b.getProducer('cam')).toBe(far);
    expect([far.id, far.kind, far.mid, far.source, far.codec, far.ssrc]).toEqual(['cam', 'video', '1', 'camera', 'video/VP8', pipeSsrc]);
    const arrived = collect(far);
    const sent = [deliver({ marker: true }), deliver(), deliver({ payload: Buffer.from('last one') })];
    await waitFor(() => arrived.length === 3, WAIT_MS, 'packets through the pipe');
    for (let i = 0; i < 3; i++) {
      const [out, got] = [sent[i]!, arrived[i]!];
      expect(got.ssrc).toBe(pipeSsrc);
      expect([got.sequenceNumber, got.timestamp, got.marker, got.payloadType]).toEqual([out.sequenceNumber, out.timestamp, out.marker, out.payloadType]);
      expect(got.payload.equals(out.payload)).toBe(true);
      // Other sinks of the origin producer share that buffer: it still says the publisher's SSRC.
      expect(out.buffer.readUInt32BE(8)).toBe(0x1234);
    }

    far.requestKeyFrame();
    await waitFor(() => receiver.sendRtcpPLI.mock.calls.length > 0, WAIT_MS, 'the PLI at the origin producer');
    expect(receiver.sendRtcpPLI.mock.calls).toEqual([[0x1234]]);
    expect(producer.getStats().keyFramesRequested).toBe(1);

    const bytes = sent.reduce((n, p) => n + p.length, 0);
    expect(a.getStats()).toMatchObject({
      id: 'pipe-a',
      local: a.local,
      remote: b.local,
      consumers: 1,
      producers: 0,
      rtpPacketsSent: 3,
      rtpPacketsReceived: 0,
      rtcpPacketsSent: 0,
      rtcpPacketsReceived: 1,
      bytesSent: bytes,
      bytesReceived: 12,
    });
    expect(b.getStats()).toMatchObject({ consumers: 0, producers: 1, rtpPacketsReceived: 3, rtcpPacketsSent: 1, bytesReceived: bytes, bytesSent: 12 });
    expect(b.getStats().dropped).toEqual({ foreign: 0, malformed: 0, unknownSsrc: 0 });
    expect(a.dump().outgoing).toEqual([{ producerId: 'cam', ssrcs: [pipeSsrc] }]);
    expect(b.dump().incoming).toEqual([{ producerId: 'cam', ssrcs: [pipeSsrc], paused: false }]);
  });

  it('keeps the audio level readable on the far side, and nothing goes out before connect()', async () => {
    const a = await listening('pipe-a');
    const b = await listening('pipe-b');
    const { producer, deliver } = makeProducer('audio', { id: 'mic' });
    const parameters = a.consume(producer);
    expect(parameters).toMatchObject({ kind: 'audio', codec: 'audio/opus', audioLevelExtensionId: FAKE_AUDIO_LEVEL_ID });
    deliver({ audioLevel: { level: 30, voiced: true } });
    expect(a.getStats().rtpPacketsSent).toBe(0);

    a.connect(b.local.ip, b.local.port);
    b.connect(a.local.ip, a.local.port);
    const arrived = collect(b.produce(parameters));
    deliver({ audioLevel: { level: 30, voiced: true } });
    await waitFor(() => arrived.length === 1, WAIT_MS, 'audio through the pipe');
    expect([arrived[0]!.audioLevel, arrived[0]!.voiced]).toEqual([30, true]);
  });

  it('forwards nothing of a paused origin producer; a far producer created paused forwards once resumed', async () => {
    const [a, b] = await pipePair();
    const { producer, deliver } = makeProducer('video', { id: 'cam' });
    producer.pause();
    const parameters = a.consume(producer);
    expect(parameters.paused).toBe(true);
    const far = b.produce(parameters);
    expect(far.paused).toBe(true);
    const arrived = collect(far);
    deliver();
    expect(a.getStats().rtpPacketsSent).toBe(0);

    // Signaling resumes the origin first: packets cross the pipe, the far producer holds them.
    producer.resume();
    deliver();
    await waitFor(() => far.getStats().packetsReceived === 1, WAIT_MS, 'the packet at the far producer');
    expect(arrived).toHaveLength(0);
    far.resume();
    deliver();
    await waitFor(() => arrived.length === 1, WAIT_MS, 'forwarding after the far resume');
    // Each resume asked for a keyframe; the far one crossed the pipe (the origin's rate limit may merge them).
    await waitFor(() => b.getStats().rtcpPacketsSent >= 1 && a.getStats().rtcpPacketsReceived >= 1, WAIT_MS, 'the far PLI');
  });

  it('closes the far producer, and its consumers, when the origin producer closes (BYE); close() cascades and is idempotent', async () => {
    const [a, b] = await pipePair();
    const { producer } = makeProducer('video', { id: 'cam' });
    const mic = makeProducer('audio', { id: 'mic' });
    const far = b.produce(a.consume(producer));
    const farMic = b.produce(a.consume(mic.producer));
    const { consumer } = consumerOf(far);
    const reasons: string[] = [];
    consumer.on('close', (reason) => reasons.push(reason));

    producer.close();
    expect(a.getStats().consumers).toBe(1);
    await waitFor(() => far.closed, WAIT_MS, 'the far producer closed by the BYE');
    expect(reasons).toEqual(['producerclosed']);
    expect(b.getProducer('cam')).toBeUndefined();
    expect(b.getStats().producers).toBe(1);
    expect(b.getStats().rtcpPacketsReceived).toBe(1);

    let closes = 0;
    a.on('close', () => closes++);
    a.close();
    a.close();
    expect(closes).toBe(1);
    expect(a.closed).toBe(true);
    expect(a.getStats().consumers).toBe(0);
    expect(() => a.consume(makeProducer('video', { id: 'late' }).producer)).toThrow(/closed/);
    // Its BYE closes what the far side still received from it.
    await waitFor(() => farMic.closed, WAIT_MS, 'the far microphone closed by the BYE');
    // The origin producer no longer has the pipe among its sinks.
    expect(mic.producer.dump().sinks).toBe(0);

    const { producer: other } = makeProducer('audio', { id: 'other' });
    const [c, d] = await pipePair();
    const farOther = d.produce(c.consume(other));
    d.close();
    expect(farOther.closed).toBe(true);
    expect(d.getStats().producers).toBe(0);
  });

  it('carries VP8 simulcast: one pipe SSRC per encoding, known to the far producer before any rid', async () => {
    const [a, b] = await pipePair();
    const { producer, receiver } = makeSimulcastProducer();
    const parameters = a.consume(producer);
    expect(parameters.simulcast).toEqual({ rids: SIMULCAST_RIDS, ridExtensionId: SIMULCAST_RID_EXTENSION_ID, repairedRidExtensionId: 11 });
    expect(new Set(parameters.ssrcs).size).toBe(3);
    const far = b.produce(parameters);
    expect(far.dump().encodings!.map((e) => e.ssrc)).toEqual(parameters.ssrcs);
    const { consumer, sent } = consumerOf(far);
    consumer.setTargetLayers(1, 2);

    // Only the first packet of each encoding carries its rid (the origin needs it once; the far side never).
    const feed = (from: number, to: number) => {
      for (let f = from; f < to; f++) for (let e = 0; e < 3; e++) producer.receiveRtp(simulcastVp8Packet(e, f, f === 0, f === 0));
    };
    feed(0, 20);
    await waitFor(() => far.getStats().packetsReceived === 60, WAIT_MS, 'every encoding at the far producer');
    expect(far.dump().encodings!.map((e) => [e.ssrc, e.width])).toEqual([
      [parameters.ssrcs[0], 320],
      [parameters.ssrcs[1], 640],
      [parameters.ssrcs[2], 1280],
    ]);
    // The far consumer picked encoding 1 at its keyframe, by the pipe SSRC.
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent.map((s) => s.packet.ssrc))).toEqual(new Set([parameters.ssrcs[1]]));
    expect(consumer.currentLayers?.spatial).toBe(1);

    // A keyframe request for the far producer asks every encoding of the origin one.
    receiver.sendRtcpPLI.mockClear();
    far.requestKeyFrame();
    await waitFor(() => receiver.sendRtcpPLI.mock.calls.length >= 3, WAIT_MS, 'PLIs at the origin');
    expect(new Set(receiver.sendRtcpPLI.mock.calls.map(([ssrc]) => ssrc))).toEqual(new Set(SIMULCAST_SSRCS));
  });

  it('drops datagrams from any address but the connected one', async () => {
    const [a, b] = await pipePair();
    const { producer } = makeProducer('video', { id: 'cam' });
    const parameters = a.consume(producer);
    const arrived = collect(b.produce(parameters));
    const intruder = await udpSocket();
    const forged = mediaPacket({ ssrc: parameters.ssrcs[0], payloadType: 96 });
    const pli = Buffer.alloc(12);
    writePli(pli, 0, 1, parameters.ssrcs[0]!);
    intruder.send(forged.buffer.subarray(0, forged.length), b.local.port, '127.0.0.1');
    intruder.send(pli, a.local.port, '127.0.0.1');
    await waitFor(() => b.getStats().dropped!.foreign === 1 && a.getStats().dropped!.foreign === 1, WAIT_MS, 'both datagrams dropped');
    expect(arrived).toHaveLength(0);
    expect(producer.getStats().keyFramesRequested).toBe(0);
    expect(b.getStats()).toMatchObject({ rtpPacketsReceived: 0, bytesReceived: 0 });

    // Unconnected, a pipe takes nothing at all.
    const lone = await listening('lone');
    intruder.send(forged.buffer.subarray(0, forged.length), lone.local.port, '127.0.0.1');
    await waitFor(() => lone.getStats().dropped!.foreign === 1, WAIT_MS, 'the datagram dropped');
  });

  it('survives garbage from the connected address: every datagram counted, none crashing, media still flowing', async () => {
    const b = await listening('pipe-b');
    const fuzzer = await udpSocket();
    b.connect('127.0.0.1', fuzzer.address().port);
    // Producers the garbage may reach: plain VP8, Opus with an audio level, VP8 simulcast; each with a consumer.
    const base = { mid: '1', source: 'camera', audioLevelExtensionId: 0, dependencyDescriptorExtensionId: 0, paused: false };
    const knownSsrcs = [0x1111, 0x2222, 0x3331, 0x3332, 0x3333];
    const farProducers = [
      b.produce({ ...base, id: 'cam', kind: 'video', codec: 'video/VP8', ssrcs: [knownSsrcs[0]!] }),
      b.produce({ ...base, id: 'mic', kind: 'audio', codec: 'audio/opus', ssrcs: [knownSsrcs[1]!], audioLevelExtensionId: FAKE_AUDIO_LEVEL_ID }),
      b.produce({
        ...base,
        id: 'sim',
        kind: 'video',
        codec: 'video/VP8',
        ssrcs: knownSsrcs.slice(2),
        simulcast: { rids: SIMULCAST_RIDS, ridExtensionId: SIMULCAST_RID_EXTENSION_ID, repairedRidExtensionId: 11 },
      }),
    ];
    for (const producer of farProducers) consumerOf(producer).consumer.setTargetLayers(2, 2);

    const seed = Date.now() >>> 0;
    const random = mulberry32(seed);
    const int = (n: number) => Math.floor(random() * n);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
    const kinds = ['short', 'long', 'rtcp', 'rtcp-shaped', 'unknown-ssrc', 'known-ssrc'] as const;
    const datagram = (): Buffer => {
      const kind = kinds[int(kinds.length)]!;
      if (kind === 'short') return bytes(1 + int(12));
      if (kind === 'long') return bytes(1200 + int(8000));
      if (kind === 'rtcp' || kind === 'rtcp-shaped') {
        // Plausible headers (version 2, RTCP types, lengths right or wrong), random bodies.
        const d = bytes(4 + 4 * int(10) + (kind === 'rtcp' ? 0 : int(4)));
        d[0] = 0x80 | (d[0]! & 0x3f);
        d[1] = 192 + int(32);
        d.writeUInt16BE(kind === 'rtcp' ? d.length / 4 - 1 : int(20), 2);
        return d;
      }
      const d = bytes(12 + int(1400));
      d[0] = 0x80 | (d[0]! & 0x3f); // version 2, random P, X, CC
      d[1] &= 0x7f; // not RTCP-looking
      if (kind === 'known-ssrc') d.writeUInt32BE(knownSsrcs[int(knownSsrcs.length)]!, 8);
      return d;
    };
    let total = 0;
    const accounted = () => {
      const s = b.getStats();
      return s.rtpPacketsReceived + s.rtcpPacketsReceived + s.dropped!.malformed + s.dropped!.unknownSsrc + s.dropped!.foreign;
    };
    // In rounds, each one waited for: a burst could overflow the socket's buffer on a loaded machine.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 50; i++, total++) fuzzer.send(datagram(), b.local.port, '127.0.0.1');
      await waitFor(() => accounted() === total, WAIT_MS, `round ${round} accounted for (seed ${seed})`);
    }
    const stats = b.getStats();
    expect(stats.dropped!.foreign, `seed ${seed}`).toBe(0);
    expect(stats.dropped!.malformed, `seed ${seed}`).toBeGreaterThan(0);
    expect(stats.dropped!.unknownSsrc, `seed ${seed}`).toBeGreaterThan(0);
    expect(b.closed).toBe(false);

    expect(stats.rtpPacketsReceived, `seed ${seed}`).toBeGreaterThan(0);
    expect(farProducers.every((p) => !p.closed)).toBe(true);
    // …and still carries media.
    const valid = mediaPacket({ ssrc: knownSsrcs[1], payloadType: 111, sequenceNumber: 7 });
    const arrived = collect(farProducers[1]!);
    fuzzer.send(valid.buffer.subarray(0, valid.length), b.local.port, '127.0.0.1');
    await waitFor(() => arrived.some((p) => p.sequenceNumber === 7), WAIT_MS, 'a valid packet after the garbage');
  });

  it('refuses what it cannot do', async () => {
    expect(() => new PipeTransport({ id: 'x', ip: 'localhost' })).toThrow(/not an IP address/);
    const [a, b] = await pipePair();
    expect(() => a.connect('::1', 4000)).toThrow(/family/);
    expect(() => a.connect('127.0.0.1', 0)).toThrow(/bad port/);
    expect(() => a.connect('127.0.0.1', 1)).toThrow(/already connected/);
    a.connect(b.local.ip, b.local.port); // the same again: fine
    const { producer } = makeProducer('video', { id: 'cam' });
    const parameters = a.consume(producer);
    expect(() => a.consume(producer)).toThrow(/already sent/);
    b.produce(parameters);
    expect(() => b.produce(parameters)).toThrow(/exists/);
    expect(() => b.produce({ ...parameters, id: 'two', ssrcs: [1, 2] })).toThrow(/1 distinct SSRCs/);
    expect(() => b.produce({ ...parameters, id: 'three' })).toThrow(/is taken/);
    expect(() => b.produce({ ...parameters, id: 'four', ssrcs: [-1] })).toThrow(/bad SSRC/);
    expect(() => b.produce({ ...parameters, id: 'five', ssrcs: [5], codec: 'video/H265' })).toThrow(/unsupported codec/);
    const unbound = new PipeTransport({ id: 'unbound', ip: '127.0.0.1' });
    cleanups.push(() => unbound.close());
    expect(() => unbound.connect('127.0.0.1', 4000)).toThrow(/not listening/);
    const closed = makeProducer('audio', { id: 'gone' }).producer;
    closed.close();
    expect(() => a.consume(closed)).toThrow(/closed/);
  });
});

describe('Router with a pipe transport', { timeout: 60_000 }, () => {
  it('registers piped producers like published ones: found by id, heard by the active speaker observer, gone when the pipe closes', async () => {
    const router = new Router({ id: 'room', config: loopbackMediaConfig() });
    cleanups.push(() => router.close());
    const pipe = await router.createPipeTransport('pipe-1', '127.0.0.1');
    expect(router.getPipeTransport('pipe-1')).toBe(pipe);
    await expect(router.createPipeTransport('pipe-1', '127.0.0.1')).rejects.toThrow(/exists/);
    const origin = await listening('origin');
    origin.connect(pipe.local.ip, pipe.local.port);
    pipe.connect(origin.local.ip, origin.local.port);
    const mic = makeProducer('audio', { id: 'mic' });
    const far = pipe.produce(origin.consume(mic.producer));
    expect(router.getProducer('mic')).toBe(far);

    const dominant: (string | null)[] = [];
    router.on('dominantspeaker', (id) => dominant.push(id));
    await waitFor(
      () => {
        mic.deliver({ audioLevel: { level: 20, voiced: true } });
        return dominant.includes('mic');
      },
      WAIT_MS,
      'the piped microphone as dominant speaker',
      10,
    );
    expect(router.dump().pipeTransports).toEqual([pipe.dump()]);
    expect(router.dump().pipeTransports![0]).toMatchObject({ id: 'pipe-1', producers: 1, incoming: [{ producerId: 'mic' }] });

    router.close();
    expect(pipe.closed).toBe(true);
    expect(far.closed).toBe(true);
    expect(router.getProducer('mic')).toBeUndefined();
    expect(router.getPipeTransport('pipe-1')).toBeUndefined();
  });
});

// ---------------------------------------------------------------- through the channel

interface ChannelEnd {
  request<M extends WorkerMethod>(method: M, params: WorkerMethods[M]['params']): Promise<WorkerMethods[M]['result']>;
  notifications: ChannelNotification[];
}

/** A WorkerProcess in this process, spoken to through its channel messages. */
async function inProcessWorker(onDispose: (fn: () => unknown) => void = (fn) => cleanups.push(fn)): Promise<ChannelEnd> {
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const notifications: ChannelNotification[] = [];
  const worker = await WorkerProcess.start(loopbackMediaConfig(), (message) => {
    if (message.kind === 'notification') notifications.push(message);
    if (message.kind !== 'response') return;
    const p = pending.get(message.id);
    pending.delete(message.id);
    if (message.ok) p?.resolve(message.result);
    else p?.reject(new Error(message.error));
  });
  onDispose(() => worker.close());
  let nextId = 1;
  return {
    notifications,
    request: (method, params) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        void worker.handle({ kind: 'request', id, method, params });
      }),
  };
}

/** A forked worker process, as the WorkerPool runs them. */
async function forkedWorker(onDispose: (fn: () => unknown) => void = (fn) => cleanups.push(fn)): Promise<ChannelEnd> {
  const worker = new Worker(41, loopbackMediaConfig());
  onDispose(() => worker.close());
  await worker.ready();
  const notifications: ChannelNotification[] = [];
  worker.on('notification', (event, data) => notifications.push({ kind: 'notification', event, data }));
  return { notifications, request: (method, params) => worker.request(method, params) };
}

function notified<E extends keyof WorkerNotifications>(end: ChannelEnd, event: E, match: (data: WorkerNotifications[E]) => boolean): boolean {
  return end.notifications.some((n) => n.event === event && match(n.data as WorkerNotifications[E]));
}

/** A transport's connection state as its worker last notified it. */
function connectionOf(end: ChannelEnd, transportId: string): Connectable {
  return {
    get connectionState() {
      const last = end.notifications.filter((n) => n.event === 'transport.connectionstatechange' && (n.data as { transportId: string }).transportId === transportId).at(-1);
      return (last?.data as { state?: string } | undefined)?.state ?? 'new';
    },
  };
}

const ROOM = 'room';

/**
 * Publisher → worker A → pipe → worker B → subscriber, with audio every 20 ms
 * and video every 33 ms. Set-up is retried on a starved machine (see waitConnected).
 */
async function startSpanningCall() {
  const { value, dispose } = await withRetries(3, async (onDispose) => {
    const [a, b] = await Promise.all([inProcessWorker(onDispose), forkedWorker(onDispose)]);
    await a.request('router.create', { routerId: ROOM });
    await b.request('router.create', { routerId: ROOM });
    await a.request('transport.create', { routerId: ROOM, transportId: 'send', direction: 'send' });
    const producers: { id: string; kind: 'audio' | 'video' }[] = [];
    const publisher = await publishAudioVideo(async (sdp, tracks) => {
      const result = await a.request('transport.publish', { routerId: ROOM, transportId: 'send', sdp, tracks });
      producers.push(...result.producers);
      return result;
    });
    onDispose(() => publisher.pc.close());

    const toB = await a.request('pipeTransport.create', { routerId: ROOM, transportId: 'pipe-to-b', ip: '127.0.0.1' });
    const toA = await b.request('pipeTransport.create', { routerId: ROOM, transportId: 'pipe-to-a', ip: '127.0.0.1' });
    expect(toB).toEqual({ ip: '127.0.0.1', port: expect.any(Number) });
    await a.request('pipeTransport.connect', { routerId: ROOM, transportId: 'pipe-to-b', ...toA });
    await b.request('pipeTransport.connect', { routerId: ROOM, transportId: 'pipe-to-a', ...toB });
    for (const p of producers) {
      const parameters = await a.request('pipeTransport.consume', { routerId: ROOM, transportId: 'pipe-to-b', producerId: p.id });
      await b.request('pipeTransport.produce', { routerId: ROOM, transportId: 'pipe-to-a', parameters });
    }

    await b.request('transport.create', { routerId: ROOM, transportId: 'recv', direction: 'recv' });
    for (const p of producers) await b.request('transport.consume', { routerId: ROOM, transportId: 'recv', producerId: p.id, consumerId: `c-${p.kind}` });
    const subscriber = createClientPeer();
    onDispose(() => subscriber.close());
    const received = collectRtp(subscriber) as Map<'audio' | 'video', RtpPacket[]>;
    const { sdp } = await b.request('transport.createOffer', { routerId: ROOM, transportId: 'recv' });
    await answerOffer(subscriber, sdp, (answer) => b.request('transport.applyAnswer', { routerId: ROOM, transportId: 'recv', sdp: answer }));
    await waitConnected({ send: connectionOf(a, 'send'), recv: connectionOf(b, 'recv'), publisher: publisher.pc, subscriber }, WAIT_MS);

    const audio = new SyntheticSource(publisher.audio);
    const video = new SyntheticSource(publisher.video);
    const timers = [
      setInterval(() => audio.send({ payload: Buffer.from(`audio-${audio.sent}`.padEnd(100, '.')) }), 20),
      setInterval(() => video.send({ payload: Buffer.from(`video-${video.sent}`.padEnd(1100, '.')) }), 33),
    ];
    onDispose(() => timers.forEach(clearInterval));
    const producerId = (kind: 'audio' | 'video') => producers.find((p) => p.kind === kind)!.id;
    return { a, b, publisher, subscriber, received, producerId };
  });
  cleanups.push(dispose);
  return value;
}

async function pipeStats(end: ChannelEnd, transportId: string) {
  return end.request('pipeTransport.getStats', { routerId: ROOM, transportId });
}

describe('A room spanning two workers', { timeout: 240_000 }, () => {
  it('carries media, keyframe requests, pause, resume and closing across the pipe, and counts it', async () => {
    const call = await startSpanningCall();
    const { a, b, received } = call;
    await waitFor(() => received.get('audio')!.length >= 20 && received.get('video')!.length >= 15, WAIT_MS, 'audio and video at the subscriber');
    for (const kind of ['audio', 'video'] as const) {
      const texts = received.get(kind)!.map((p) => p.payload.toString().replace(/\.+$/, ''));
      for (const text of texts) expect(text).toMatch(new RegExp(`^${kind}-\\d+$`));
    }

    // The subscriber's keyframe request crosses both workers to the publisher.
    let plis = 0;
    call.publisher.video.sender.onPictureLossIndication.subscribe(() => plis++);
    const dumpB = await b.request('router.dump', { routerId: ROOM });
    const videoConsumer = dumpB.transports.find((t) => t.id === 'recv')!.consumers.find((c) => c.kind === 'video')!;
    const subscriberVideo = call.subscriber.getTransceivers().find((t) => t.kind === 'video')!;
    await subscriberVideo.receiver.sendRtcpPLI(videoConsumer.ssrc);
    await waitFor(() => plis > 0, WAIT_MS, 'PLI at the publisher');

    const [statsA, statsB] = [await pipeStats(a, 'pipe-to-b'), await pipeStats(b, 'pipe-to-a')];
    expect(statsA).toMatchObject({ consumers: 2, producers: 0, rtpPacketsReceived: 0 });
    expect(statsB).toMatchObject({ consumers: 0, producers: 2, rtpPacketsSent: 0 });
    expect(statsA.rtpPacketsSent).toBeGreaterThanOrEqual(35);
    expect(statsB.rtpPacketsReceived).toBeGreaterThanOrEqual(35);
    expect(statsB.rtcpPacketsSent).toBeGreaterThanOrEqual(1);
    expect(statsA.rtcpPacketsReceived).toBeGreaterThanOrEqual(1);
    expect(statsB.dropped).toEqual({ foreign: 0, malformed: 0, unknownSsrc: 0 });
    const workerA = await a.request('worker.stats', {});
    expect(workerA.pipe.transports).toBe(1);
    expect(workerA.pipe.rtpPacketsSent).toBeGreaterThanOrEqual(statsA.rtpPacketsSent);
    expect((await b.request('worker.stats', {})).pipe.rtpPacketsReceived).toBeGreaterThanOrEqual(statsB.rtpPacketsReceived);
    expect((await b.request('router.dump', { routerId: ROOM })).pipeTransports?.map((t) => t.id)).toEqual(['pipe-to-a']);

    // Pause on both sides, as signaling does: nothing crosses the pipe while the publisher keeps sending.
    for (const kind of ['audio', 'video'] as const) {
      await a.request('producer.pause', { routerId: ROOM, producerId: call.producerId(kind) });
      await b.request('producer.pause', { routerId: ROOM, producerId: call.producerId(kind) });
    }
    const pausedAt = await pipeStats(a, 'pipe-to-b');
    const inAtPause = (await a.request('worker.stats', {})).packetsIn;
    await waitFor(async () => (await a.request('worker.stats', {})).packetsIn >= inAtPause + 40, WAIT_MS, 'media at worker A while paused');
    expect((await pipeStats(a, 'pipe-to-b')).rtpPacketsSent).toBe(pausedAt.rtpPacketsSent);
    const farDump = (await b.request('router.dump', { routerId: ROOM })).transports.find((t) => t.id === 'recv')!;
    expect(farDump.consumers.every((c) => c.producerPaused)).toBe(true);

    const videoAtResume = received.get('video')!.length;
    for (const kind of ['audio', 'video'] as const) {
      await a.request('producer.resume', { routerId: ROOM, producerId: call.producerId(kind) });
      await b.request('producer.resume', { routerId: ROOM, producerId: call.producerId(kind) });
    }
    await waitFor(() => received.get('video')!.length >= videoAtResume + 10, WAIT_MS, 'video after resume');

    // The origin producer closes; its copy on B closes (BYE), and signaling's close of it is harmless.
    const videoId = call.producerId('video');
    await a.request('producer.close', { routerId: ROOM, producerId: videoId });
    await b.request('producer.close', { routerId: ROOM, producerId: videoId });
    await waitFor(
      () => notified(b, 'producer.close', (d) => d.producerId === videoId) && notified(b, 'consumer.close', (d) => d.consumerId === 'c-video'),
      WAIT_MS,
      'producer.close and consumer.close from worker B',
    );
    expect(notified(b, 'consumer.close', (d) => d.consumerId === 'c-video' && d.reason === 'producerclosed')).toBe(true);
    expect(notified(a, 'producer.close', (d) => d.producerId === videoId)).toBe(true);
    expect((await pipeStats(a, 'pipe-to-b')).consumers).toBe(1);
    expect((await pipeStats(b, 'pipe-to-a')).producers).toBe(1);

    // Closing the pipes keeps the workers' totals.
    const before = (await a.request('worker.stats', {})).pipe;
    await a.request('pipeTransport.close', { routerId: ROOM, transportId: 'pipe-to-b' });
    await a.request('pipeTransport.close', { routerId: ROOM, transportId: 'pipe-to-b' });
    const after = (await a.request('worker.stats', {})).pipe;
    expect(after.transports).toBe(0);
    expect(after.rtpPacketsSent).toBeGreaterThanOrEqual(before.rtpPacketsSent);
    expect(after.bytesSent).toBeGreaterThanOrEqual(before.bytesSent);
    // Its BYE closes the audio producer on B.
    const audioId = call.producerId('audio');
    await waitFor(() => notified(b, 'producer.close', (d) => d.producerId === audioId), WAIT_MS, 'the piped audio closed on B');
    await b.request('router.close', { routerId: ROOM });
    const afterRouterClose = (await b.request('worker.stats', {})).pipe;
    expect(afterRouterClose.transports).toBe(0);
    expect(afterRouterClose.rtpPacketsReceived).toBeGreaterThanOrEqual(statsB.rtpPacketsReceived);
  });

  it('answers errors for unknown routers, transports and producers, and for duplicates', async () => {
    const a = await inProcessWorker();
    await a.request('router.create', { routerId: ROOM });
    const at = { routerId: ROOM, transportId: 'pipe' };
    await expect(a.request('pipeTransport.create', { routerId: 'nope', transportId: 'pipe', ip: '127.0.0.1' })).rejects.toThrow('router nope not found');
    await expect(a.request('pipeTransport.create', { ...at, ip: 'not-an-ip' })).rejects.toThrow(/not an IP address/);
    const local = await a.request('pipeTransport.create', { ...at, ip: '127.0.0.1' });
    await expect(a.request('pipeTransport.create', { ...at, ip: '127.0.0.1' })).rejects.toThrow('transport pipe exists');
    const unknown = { routerId: ROOM, transportId: 'other' };
    await expect(a.request('pipeTransport.connect', { ...unknown, ip: '127.0.0.1', port: 5000 })).rejects.toThrow('pipe transport other not found');
    await expect(a.request('pipeTransport.consume', { ...unknown, producerId: 'p' })).rejects.toThrow('pipe transport other not found');
    await expect(a.request('pipeTransport.getStats', unknown)).rejects.toThrow('pipe transport other not found');
    await expect(a.request('pipeTransport.consume', { ...at, producerId: 'p' })).rejects.toThrow('producer p not found');
    await expect(a.request('pipeTransport.connect', { ...at, ip: '127.0.0.1', port: 70_000 })).rejects.toThrow(/bad port/);
    await a.request('pipeTransport.close', unknown); // closing what is not there is not an error

    const parameters: PipeProducerParameters = {
      id: 'far',
      kind: 'video',
      mid: '1',
      source: 'camera',
      codec: 'video/VP8',
      ssrcs: [1234],
      audioLevelExtensionId: 0,
      dependencyDescriptorExtensionId: 0,
      paused: false,
    };
    await expect(a.request('pipeTransport.produce', { ...unknown, parameters })).rejects.toThrow('pipe transport other not found');
    await a.request('pipeTransport.produce', { ...at, parameters });
    await expect(a.request('pipeTransport.produce', { ...at, parameters: { ...parameters, ssrcs: [5678] } })).rejects.toThrow('producer far exists');
    // The piped producer is the router's: pausable, consumable, closable by id, and its close is notified.
    await a.request('producer.pause', { routerId: ROOM, producerId: 'far' });
    const second = await a.request('pipeTransport.consume', { ...at, producerId: 'far' });
    expect(second).toMatchObject({ id: 'far', paused: true });
    await a.request('producer.close', { routerId: ROOM, producerId: 'far' });
    expect(notified(a, 'producer.close', (d) => d.producerId === 'far')).toBe(true);
    expect(await a.request('pipeTransport.getStats', at)).toMatchObject({ local, remote: null, consumers: 0, producers: 0 });
    expect((await a.request('worker.stats', {})).pipe).toEqual({
      transports: 1,
      rtpPacketsSent: 0,
      rtpPacketsReceived: 0,
      rtcpPacketsSent: 0,
      rtcpPacketsReceived: 0,
      bytesSent: 0,
      bytesReceived: 0,
    });
  });
});

/** A VP8 simulcast producer on a fake receiver, with fakes.ts's rids, rid extension id and SSRCs. */
function makeSimulcastProducer() {
  const receiver = fakeReceiver();
  const producer = new Producer({
    id: 'sim',
    kind: 'video',
    mid: '1',
    source: 'camera',
    receiver: receiver as unknown as RTCRtpReceiver,
    codec: 'video/VP8',
    simulcast: { rids: SIMULCAST_RIDS, ridExtensionId: SIMULCAST_RID_EXTENSION_ID, repairedRidExtensionId: 11 },
  });
  return { producer, receiver };
}

/** A small seeded PRNG, so that a failing fuzz run can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
