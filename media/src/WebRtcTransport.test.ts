import dgram from 'node:dgram';
import dns from 'node:dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mediaConfigFromEnv } from './config.ts';
import { makeProducer } from './testing/fakes.ts';
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

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function transport(direction: 'send' | 'recv', config = loopbackMediaConfig()): WebRtcTransport {
  const t = new WebRtcTransport({ id: `t-${direction}-${Math.random()}`, direction, config });
  cleanups.push(() => t.close());
  return t;
}

function candidates(sdp: string): { address: string; port: number; type: string }[] {
  return sdp
    .split('\r\n')
    .filter((l) => l.startsWith('a=candidate:'))
    .map((l) => {
      const f = l.split(' ');
      return { address: f[4]!, port: Number(f[5]), type: f[7]! };
    });
}

describe('WebRtcTransport', { timeout: 240_000 }, () => {
  it('uses ICE ports inside RTC_MIN_PORT..RTC_MAX_PORT for published and subscribed tracks', async () => {
    const { dispose } = await withRetries(3, async (onDispose) => {
      // A small range below the usual ephemeral range, randomised so that
      // parallel test files (and a retry) rarely contend for it.
      const min = 20_000 + Math.floor(Math.random() * 500) * 20;
      const max = min + 15;
      const config = mediaConfigFromEnv({
        RTC_MIN_PORT: String(min),
        RTC_MAX_PORT: String(max),
        RTC_ADDITIONAL_HOSTS: '127.0.0.1',
        MEDIA_WORKERS: '1',
      });
      expect([config.rtcMinPort, config.rtcMaxPort, config.iceServers]).toEqual([min, max, []]);

      const send = new WebRtcTransport({ id: 'ports-send', direction: 'send', config });
      onDispose(() => send.close());
      let answer = '';
      const publisher = await publishAudioVideo(async (sdp, tracks) => {
        const result = await send.publish(sdp, tracks);
        answer = result.sdp;
        return result;
      });
      onDispose(() => publisher.pc.close());

      const recv = new WebRtcTransport({ id: 'ports-recv', direction: 'recv', config });
      onDispose(() => recv.close());
      for (const p of send.producers) recv.consume(p);
      const offer = await recv.createOffer();

      for (const sdp of [answer, offer]) {
        const found = candidates(sdp);
        expect(found.length).toBeGreaterThan(0);
        expect(found.map((c) => c.address)).toContain('127.0.0.1');
        for (const c of found) {
          expect(c.port).toBeGreaterThanOrEqual(min);
          expect(c.port).toBeLessThanOrEqual(max);
        }
      }

      // And media does flow over those ports.
      const subscriber = createClientPeer();
      onDispose(() => subscriber.close());
      const received = collectRtp(subscriber);
      await answerOffer(subscriber, offer, (sdp) => recv.applyAnswer(sdp));
      await waitConnected({ send, recv, publisher: publisher.pc, subscriber }, 30_000);
      const audio = new SyntheticSource(publisher.audio);
      const timer = setInterval(() => audio.send(), 20);
      onDispose(() => clearInterval(timer));
      await waitFor(() => received.get('audio')!.length > 5, 30_000, 'audio through the port range');
    });
    cleanups.push(dispose);
  });

  it('never falls back to a public STUN server when none is configured', async () => {
    const lookup = vi.spyOn(dns.promises, 'lookup');
    const sendTo = vi.spyOn(dgram.Socket.prototype, 'send');
    const recv = transport('recv');
    recv.consume(makeProducer('audio').producer);
    const offer = await recv.createOffer();
    await recv.createOffer({ iceRestart: true });
    expect(candidates(offer).every((c) => c.type === 'host')).toBe(true);
    const looked = lookup.mock.calls.map((c) => String(c[0]));
    expect(looked.filter((h) => /stun/i.test(h))).toEqual([]);
    const destinations = sendTo.mock.calls.flatMap((args) => args.filter((a) => typeof a === 'string' || typeof a === 'number'));
    expect(destinations).not.toContain('stun.l.google.com');
    expect(destinations).not.toContain(19302);
  });

  it('writes ANNOUNCED_IP into its host candidates', async () => {
    const recv = transport('recv', loopbackMediaConfig({ announcedIp: '203.0.113.50' }));
    recv.consume(makeProducer('video').producer);
    const offer = await recv.createOffer();
    const found = candidates(offer);
    expect(found.length).toBeGreaterThan(0);
    expect(new Set(found.map((c) => c.address))).toEqual(new Set(['203.0.113.50']));
  });

  it('enforces the direction of each operation and refuses work after close', async () => {
    const send = transport('send');
    const recv = transport('recv');
    const { producer } = makeProducer('audio');
    expect(() => send.consume(producer)).toThrow(/consume on a send transport/);
    await expect(send.createOffer()).rejects.toThrow(/createOffer on a send transport/);
    await expect(recv.publish('v=0\r\n', [])).rejects.toThrow(/publish on a recv transport/);
    await expect(recv.applyAnswer('v=0\r\n')).rejects.toThrow(/no offer is outstanding/);

    producer.close();
    expect(() => recv.consume(producer)).toThrow(/is closed/);

    const onClose = vi.fn();
    recv.on('close', onClose);
    recv.close();
    recv.close();
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(recv.connectionState).toBe('closed');
    expect(() => recv.consume(makeProducer('audio').producer)).toThrow(/closed/);
  });

  it('closes a consumer with transportclosed when the transport closes', () => {
    const recv = transport('recv');
    const { producer } = makeProducer('video');
    const consumer = recv.consume(producer, 'c-1');
    expect(recv.getConsumer('c-1')).toBe(consumer);
    const reasons: string[] = [];
    consumer.on('close', (r) => reasons.push(r));
    recv.close();
    expect(reasons).toEqual(['transportclosed']);
    expect(producer.closed).toBe(false);
    expect(producer.dump().sinks).toBe(0);
    expect(recv.getConsumer('c-1')).toBeUndefined();
  });
});
