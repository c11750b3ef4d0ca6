import dgram from 'node:dgram';
import dns from 'node:dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitUntil } from '@muster/kit/testing';
import { mediaConfigFromEnv } from './config.ts';
import { makeProducer } from './testing/fakes.ts';
import { FIREFOX_ESR_PUBLISH_OFFER } from './testing/firefoxOffer.ts';
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

/**
 * `sdp` with the sections of `mids` written the way Firefox writes a bundled
 * section that is not the BUNDLE group's tagged one: port 0 and a=bundle-only.
 */
function asBundleOnly(sdp: string, mids: string[]): string {
  return sdp
    .split('\r\n\m=')
    .map((section) => {
      const mid = /\r\na=mid:(\S+)/.exec(section)?.[1];
      if (mid === undefined || !mids.includes(mid)) return section;
      return section.replace(/^((?:m=)?\w+) 9 /, '$1 0 ').replace(/(\r\na=mid:\S+)/, '$1\r\na=bundle-only');
    })
    .join('\r\nm=');
}

function sectionOf(sdp: string, mid: string): string[] {
  const section = sdp.split('\r\nm=').find((s) => s.includes(`\r\na=mid:${mid}\r\n`));
  return section ? `m=${section}`.split('\r\n') : [];
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

  it("answers a real Firefox ESR offer: the bundle-only camera becomes a VP8 simulcast producer", async () => {
    const send = transport('send');
    const { sdp, producers } = await send.publish(FIREFOX_ESR_PUBLISH_OFFER, [
      { mid: '0', source: 'microphone' },
      { mid: '1', source: 'camera' },
    ]);
    // werift used to take the port-0 section for a rejected one: no camera producer, and an inactive answer.
    expect(producers.map((p) => [p.kind, p.source, p.codec])).toEqual([
      ['audio', 'microphone', 'audio/opus'],
      ['video', 'camera', 'video/VP8'],
    ]);
    expect(send.producers.find((p) => p.kind === 'video')!.dump().encodings?.map((e) => e.rid)).toEqual(['r0', 'r1', 'r2']);
    const camera = sectionOf(sdp, '1');
    expect(camera[0]).toMatch(/^m=video 9 UDP\/TLS\/RTP\/SAVPF 120 /);
    expect(camera).toContain('a=recvonly');
    expect(camera).toContain('a=rtpmap:120 VP8/90000');
    // (werift ends the line with a space.)
    expect(camera.map((l) => l.trim())).toContain('a=simulcast:recv r0;r1;r2');
    expect(sdp.split('\r\n')).toContain('a=group:BUNDLE 0 1');
    // Renegotiating the same offer changes nothing and closes nothing.
    const again = await send.publish(FIREFOX_ESR_PUBLISH_OFFER, [
      { mid: '0', source: 'microphone' },
      { mid: '1', source: 'camera' },
    ]);
    expect([again.producers.length, again.closedProducerIds]).toEqual([0, []]);
    expect(send.producers).toHaveLength(2);
  });

  it('carries media on bundle-only sections: a publisher offer and a subscriber answer written as Firefox writes them', async () => {
    const { dispose } = await withRetries(3, async (onDispose) => {
      const send = new WebRtcTransport({ id: 'bundle-only-send', direction: 'send', config: loopbackMediaConfig() });
      onDispose(() => send.close());
      // The werift publisher offers port 9; the SFU receives its video section as Firefox sends one.
      const publisher = await publishAudioVideo((sdp, tracks) => send.publish(asBundleOnly(sdp, [tracks[1]!.mid]), tracks));
      onDispose(() => publisher.pc.close());
      expect(send.producers.map((p) => p.kind).sort()).toEqual(['audio', 'video']);

      const recv = new WebRtcTransport({ id: 'bundle-only-recv', direction: 'recv', config: loopbackMediaConfig() });
      onDispose(() => recv.close());
      for (const p of send.producers) recv.consume(p);
      const subscriber = createClientPeer();
      onDispose(() => subscriber.close());
      const received = collectRtp(subscriber);
      const offer = await recv.createOffer();
      const mids = [...offer.matchAll(/^a=mid:(\S+)$/gm)].map((m) => m[1]!);
      expect(mids).toHaveLength(2);
      // Every section after the tagged one comes back bundle-only.
      await answerOffer(subscriber, offer, (answer) => recv.applyAnswer(asBundleOnly(answer, mids.slice(1))));
      await waitConnected({ send, recv, publisher: publisher.pc, subscriber }, 30_000);

      const sources = [new SyntheticSource(publisher.audio), new SyntheticSource(publisher.video)];
      const timer = setInterval(() => sources.forEach((source) => source.send()), 20);
      onDispose(() => clearInterval(timer));
      await waitUntil(
        () => received.get('audio')!.length > 5 && received.get('video')!.length > 5,
        30_000,
        'audio and video through the bundle-only sections',
      );
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
