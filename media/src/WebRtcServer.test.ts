import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Message, methods, classes } from 'werift';
import { bindingRequestUfrag, WebRtcServer, type WebRtcServerOptions } from './WebRtcServer.ts';
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
} from './testing/weriftClient.ts';
import { WebRtcTransport } from './WebRtcTransport.ts';
import { makeProducer } from './testing/fakes.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: WebRtcServerOptions = {}): Promise<WebRtcServer> {
  const s = await WebRtcServer.create(options);
  cleanups.push(() => s.close());
  return s;
}

function candidatePorts(sdp: string): number[] {
  return sdp
    .split('\r\n')
    .filter((l) => l.startsWith('a=candidate:'))
    .map((l) => Number(l.split(' ')[5]));
}

/** A Binding request for `username`; signed (MESSAGE-INTEGRITY, FINGERPRINT) when given the ice-pwd. */
function bindingRequest(username: string, password?: string): Buffer {
  const message = new Message(methods.BINDING, classes.REQUEST).setAttribute('USERNAME', username);
  if (password !== undefined) message.addMessageIntegrity(Buffer.from(password, 'utf8')).addFingerprint();
  return message.bytes;
}

/** One publisher → SFU → subscriber path through `webRtcServer`; returns what the subscriber receives. */
async function call(webRtcServer: WebRtcServer | undefined, onDispose: (fn: () => unknown) => void) {
  const config = loopbackMediaConfig();
  const send = new WebRtcTransport({ id: `send-${Math.random()}`, direction: 'send', config, webRtcServer });
  onDispose(() => send.close());
  let answer = '';
  const publisher = await publishAudioVideo(async (sdp, tracks) => {
    const result = await send.publish(sdp, tracks);
    answer = result.sdp;
    return result;
  });
  onDispose(() => publisher.pc.close());
  const recv = new WebRtcTransport({ id: `recv-${Math.random()}`, direction: 'recv', config, webRtcServer });
  onDispose(() => recv.close());
  for (const p of send.producers) recv.consume(p);
  const offer = await recv.createOffer();
  const subscriber = createClientPeer();
  onDispose(() => subscriber.close());
  const received = collectRtp(subscriber);
  await answerOffer(subscriber, offer, (sdp) => recv.applyAnswer(sdp));
  await waitConnected({ send, recv, publisher: publisher.pc, subscriber }, 30_000);
  return { send, recv, publisher, subscriber, received, answer, offer };
}

describe('bindingRequestUfrag', () => {
  it('reads the local part of USERNAME from a binding request, and nothing from anything else', () => {
    const request = bindingRequest('abcd:wxyz');
    expect(bindingRequestUfrag(request, request.length)).toBe('abcd');
    const noColon = bindingRequest('solo');
    expect(bindingRequestUfrag(noColon, noColon.length)).toBe('solo');
    const response = new Message(methods.BINDING, classes.RESPONSE).bytes;
    expect(bindingRequestUfrag(response, response.length)).toBeUndefined();
    expect(bindingRequestUfrag(Buffer.alloc(10), 10)).toBeUndefined();
    // A length field pointing past the datagram, or an attribute running over it, is not read.
    const truncated = Buffer.from(request);
    truncated.writeUInt16BE(request.length, 2);
    expect(bindingRequestUfrag(truncated, request.length - 4)).toBeUndefined();
    const overrun = Buffer.from(request);
    overrun.writeUInt16BE(400, 22);
    expect(bindingRequestUfrag(overrun, overrun.length)).toBeUndefined();
  });
});

describe('WebRtcServer', { timeout: 240_000 }, () => {
  it('carries several calls on one UDP port, each subscriber getting its own publisher', async () => {
    const s = await server();
    const calls: Awaited<ReturnType<typeof call>>[] = [];
    for (let i = 0; i < 3; i++) {
      const { value, dispose } = await withRetries(3, (onDispose) => call(s, onDispose));
      cleanups.push(dispose);
      calls.push(value);
    }
    for (const c of calls) {
      for (const sdp of [c.answer, c.offer]) {
        expect(candidatePorts(sdp).length).toBeGreaterThan(0);
        expect(new Set(candidatePorts(sdp))).toEqual(new Set([s.port]));
      }
    }
    // Each publisher marks its packets with its own byte; a subscriber must see only its publisher's.
    const timers = calls.map((c, i) => {
      const audio = new SyntheticSource(c.publisher.audio);
      const video = new SyntheticSource(c.publisher.video);
      return setInterval(() => {
        audio.send({ payload: Buffer.alloc(80, 0x10 + i) });
        video.send({ payload: Buffer.alloc(900, 0x20 + i) });
      }, 20);
    });
    cleanups.push(() => timers.forEach(clearInterval));
    for (const c of calls) {
      await waitFor(() => c.received.get('audio')!.length > 20 && c.received.get('video')!.length > 20, 30_000, 'media on every call');
    }
    calls.forEach((c, i) => {
      expect(new Set(c.received.get('audio')!.map((p) => p.payload[0]))).toEqual(new Set([0x10 + i]));
      expect(new Set(c.received.get('video')!.map((p) => p.payload[0]))).toEqual(new Set([0x20 + i]));
    });
    const stats = s.getStats();
    // Two transports per call, one ICE protocol per host address (loopback here, and the machine's own).
    expect(stats.transports).toBeGreaterThanOrEqual(6);
    expect(stats.addresses).toBeGreaterThanOrEqual(6);
    expect(stats.datagramsIn).toBeGreaterThan(120);

    for (const c of calls) {
      c.send.close();
      c.recv.close();
    }
    // Closing a transport forgets its ufrags and addresses: the port is as new.
    await waitFor(() => s.getStats().transports === 0 && s.getStats().addresses === 0, 10_000, 'transports detached').catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(s.getStats())}`);
    });
  });

  it('routes signed binding requests by ufrag, old and new after an ICE restart, and answers none for an unknown ufrag or unsigned', async () => {
    const s = await server();
    const recv = new WebRtcTransport({ id: 'restart', direction: 'recv', config: loopbackMediaConfig(), webRtcServer: s });
    cleanups.push(() => recv.close());
    recv.consume(makeProducer('audio').producer);
    const ufrag = (sdp: string) => /a=ice-ufrag:(\S+)/.exec(sdp)![1]!;
    const pwd = (sdp: string) => /a=ice-pwd:(\S+)/.exec(sdp)![1]!;
    const firstOffer = await recv.createOffer();
    const first = ufrag(firstOffer);
    const restartOffer = await recv.createOffer({ iceRestart: true });
    const second = ufrag(restartOffer);
    expect(second).not.toBe(first);
    expect(pwd(restartOffer)).not.toBe(pwd(firstOffer));
    expect(new Set(candidatePorts(restartOffer))).toEqual(new Set([s.port]));

    const client = dgram.createSocket('udp4');
    cleanups.push(() => client.close());
    const answered = new Set<string>();
    client.on('message', (data) => answered.add(data.subarray(8, 20).toString('hex')));
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    const ask = (username: string, password?: string) => {
      const request = bindingRequest(username, password);
      client.send(request, s.port, '127.0.0.1');
      return request.subarray(8, 20).toString('hex');
    };
    const { unroutable, unauthenticated } = s.getStats();
    const toNobody = ask('zzzz:cli1', pwd(restartOffer));
    const unsigned = ask(`${second}:cli1`);
    const crossed = ask(`${second}:cli1`, pwd(firstOffer)); // each ufrag has its own ice-pwd
    const toNew = ask(`${second}:cli1`, pwd(restartOffer));
    const toOld = ask(`${first}:cli1`, pwd(firstOffer));
    // In order on loopback: once these are answered, the others have been dealt with.
    await waitFor(() => answered.has(toNew) && answered.has(toOld), 10_000, 'answers for the old and the new ufrag');
    expect([toNobody, unsigned, crossed].filter((id) => answered.has(id))).toEqual([]);
    expect(s.getStats().unroutable).toBe(unroutable + 1);
    expect(s.getStats().unauthenticated).toBe(unauthenticated + 2);

    recv.close();
    await waitFor(() => s.getStats().transports === 0 && s.getStats().addresses === 0, 10_000, 'transport detached');
  });

  it('drops datagrams it cannot route, and survives garbage, without disturbing a call', async () => {
    const s = await server();
    const { value: c, dispose } = await withRetries(3, (onDispose) => call(s, onDispose));
    cleanups.push(dispose);
    const audio = new SyntheticSource(c.publisher.audio);
    const timer = setInterval(() => audio.send(), 20);
    cleanups.push(() => clearInterval(timer));

    const stranger = dgram.createSocket('udp4');
    cleanups.push(() => stranger.close());
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.1', resolve));
    const junk = [
      Buffer.from([0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3]), // RTP-looking
      Buffer.from([22, 254, 253, 0, 0]), // DTLS-looking
      bindingRequest('nobody:here'), // a request for a ufrag nobody has
      Buffer.alloc(0),
      Buffer.from([0, 1, 0, 200, 0x21, 0x12, 0xa4, 0x42]), // truncated STUN
      Buffer.alloc(1500, 0xff),
    ];
    const before = s.getStats().unroutable;
    for (const datagram of junk) stranger.send(datagram, s.port, '127.0.0.1');
    await waitFor(() => s.getStats().unroutable >= before + junk.length - 1, 10_000, 'junk counted as unroutable');

    const audioBefore = c.received.get('audio')!.length;
    await waitFor(() => c.received.get('audio')!.length > audioBefore + 10, 30_000, 'audio after the junk');
    expect(s.getStats().addresses).toBeGreaterThan(0);
  });

  it('gives every connection on the port its own ufrag (werift alone draws 4 hex digits, which collide)', async () => {
    const s = await server();
    const ufrags = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const recv = new WebRtcTransport({ id: `u${i}`, direction: 'recv', config: loopbackMediaConfig(), webRtcServer: s });
      cleanups.push(() => recv.close());
      recv.consume(makeProducer('audio').producer);
      const offer = await recv.createOffer();
      const ufrag = /a=ice-ufrag:(\S+)/.exec(offer)![1]!;
      expect(ufrag).toMatch(/^[0-9a-f]{12}$/);
      // Every candidate line carries the same ufrag as the session.
      for (const line of offer.split('\r\n').filter((l) => l.includes(' ufrag '))) expect(line.endsWith(`ufrag ${ufrag}`)).toBe(true);
      ufrags.add(ufrag);
    }
    expect(ufrags.size).toBe(40);
  });

  it('binds inside the RTC port range, one port per server', async () => {
    const min = 21_000 + Math.floor(Math.random() * 400) * 20;
    const a = await server({ portRange: [min, min + 9] });
    const b = await server({ portRange: [min, min + 9] });
    expect(a.port).toBeGreaterThanOrEqual(min);
    expect(b.port).toBeLessThanOrEqual(min + 9);
    expect(a.port).not.toBe(b.port);
    a.close();
    a.close();
    expect(a.closed).toBe(true);
    expect(b.getStats()).toMatchObject({ port: b.port, transports: 0, addresses: 0 });
    // One socket absorbs what hundreds did: past net.core.rmem_max where the process may (root here and in CI).
    const { receiveBufferBytes, nativeReader } = b.getStats();
    expect(receiveBufferBytes).toBeGreaterThan(200_000);
    if (nativeReader && process.getuid?.() === 0) expect(receiveBufferBytes).toBeGreaterThanOrEqual(32 * 1024 * 1024);
  });
});
