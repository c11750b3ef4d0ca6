import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { IvfRtpReceiver, depacketizedCodec } from './IvfRtpReceiver.ts';
import { IVF_TIMEBASE, parseIvf } from './IvfWriter.ts';
import { temporalUnit } from './testing.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('IvfRtpReceiver', () => {
  it('turns RTP from its UDP socket into IVF whose time 0 is the first packet received, across the timestamp wrap', async () => {
    const chunks: Buffer[] = [];
    let keyFrameRequests = 0;
    const receiver = new IvfRtpReceiver({ codec: 'av1', write: (c) => chunks.push(c), requestKeyFrame: () => keyFrameRequests++ });
    cleanups.push(() => receiver.close());
    const port = await receiver.bind();
    const sender = dgram.createSocket('udp4');
    cleanups.push(() => sender.close());

    // The first packet received belongs to a delta unit (dropped: no keyframe yet), just before the 32-bit wrap.
    const first = 2 ** 32 - 3000;
    const a = temporalUnit({ seq: 100, timestamp: first, key: false, tag: 1 });
    const b = temporalUnit({ seq: a.nextSeq, timestamp: (first + 6000) % 2 ** 32, key: true, tag: 2 });
    const c = temporalUnit({ seq: b.nextSeq, timestamp: (first + 9000) % 2 ** 32, key: false, tag: 3 });
    for (const packet of [...a.packets, ...b.packets, ...c.packets]) {
      await new Promise<void>((resolve, reject) => sender.send(packet, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    }
    for (let i = 0; i < 100 && receiver.stats.frames < 2; i++) await new Promise((r) => setTimeout(r, 10));

    const ivf = parseIvf(Buffer.concat(chunks));
    expect(ivf).toMatchObject({ codec: 'AV01', width: 1280, height: 720 });
    expect(ivf.frames.map((f) => f.timestamp)).toEqual([6000, 9000]);
    expect(IVF_TIMEBASE).toBe(90_000); // RTP video clock: file time = RTP time since the first packet
    expect(keyFrameRequests).toBe(1);
    expect(receiver.stats).toMatchObject({ frames: 2, dropped: 1, losses: 0 });
  });

  it('takes VP9 and AV1, leaves VP8 and Opus to ffmpeg', () => {
    expect(['video/VP9', 'video/AV1', 'video/VP8', 'audio/opus'].map(depacketizedCodec)).toEqual(['vp9', 'av1', null, null]);
  });
});
