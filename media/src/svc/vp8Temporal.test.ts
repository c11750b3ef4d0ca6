/**
 * VP8 simulcast with temporal layers in each encoding (Chrome's L1T3 per
 * encoding): a consumer forwards the target encoding's temporal layers up to
 * its target only. Generated packets carry the VP8 payload descriptor as
 * Chrome writes it (15-bit picture id, TL0PICIDX, TID/Y/KEYIDX), two packets
 * per frame, and each frame knows the frames it references, so the test can
 * check that the forwarded stream decodes: sequence numbers and picture ids
 * continuous, TL0PICIDX counting base-layer frames, no frame whose reference
 * was dropped, TL0 frames always kept. Chrome, when the dependency
 * descriptor is negotiated, carries the temporal layers there instead: the
 * last case generates such packets.
 */
import { describe, expect, it } from 'vitest';
import {
  fakeSimulcastConsumer,
  fakeVideoConsumer,
  mediaPacket,
  SIMULCAST_RID_EXTENSION_ID as RID_ID,
  SIMULCAST_RIDS as RIDS,
  SIMULCAST_SIZES as SIZES,
  SIMULCAST_SSRCS as SSRCS,
} from '../testing/fakes.ts';
import { svcStructure, writeDependencyDescriptor } from './av1.ts';
import { Vp8Descriptor, parseVp8Descriptor } from './vp8.ts';

const TEMPORAL_PATTERN = [0, 2, 1, 2];
const PACKETS_PER_FRAME = 2;

interface Frame {
  encoding: number;
  frame: number;
  temporal: number;
  sync: boolean;
  keyFrame: boolean;
  /** Frame numbers (same encoding) this one predicts from. */
  references: number[];
}

/**
 * The frames of one encoding: T0 predicts from the last T0; T1 from the last
 * T0 and the last T1; T2 from the last T0 and the last T1 newer than it.
 * Every `syncEvery`-th group of four (and the first after a keyframe) has
 * layer-sync T1 and T2 frames that predict from the last T0 only (Y = 1).
 */
function framesOf(encoding: number, count: number, keyEvery: number, syncEvery: number): Frame[] {
  const frames: Frame[] = [];
  let lastT0 = -1;
  let lastT1 = -1;
  let lastKey = 0;
  for (let f = 0; f < count; f++) {
    const keyFrame = f % keyEvery === 0;
    if (keyFrame) {
      lastKey = f;
      lastT1 = -1;
    }
    const temporal = keyFrame ? 0 : TEMPORAL_PATTERN[f % 4]!;
    const group = Math.floor((f - lastKey) / 4);
    const sync = temporal > 0 && group % syncEvery === 0;
    let references: number[];
    if (keyFrame) references = [];
    else if (temporal === 0) references = [lastT0];
    else if (sync) references = [lastT0];
    else if (temporal === 1) references = lastT1 >= 0 ? [lastT0, lastT1] : [lastT0];
    else references = lastT1 > lastT0 ? [lastT0, lastT1] : [lastT0];
    frames.push({ encoding, frame: f, temporal, sync, keyFrame, references });
    if (temporal === 0) lastT0 = f;
    if (temporal === 1) lastT1 = f;
  }
  return frames;
}

/** The packets of one frame, as Chrome lays out a VP8 simulcast encoding with temporal layers. */
function packetsOf(fr: Frame, tl0: number) {
  const out = [];
  for (let k = 0; k < PACKETS_PER_FRAME; k++) {
    const payload = Buffer.alloc(40, 0xab);
    payload[0] = 0x80 | (k === 0 ? 0x10 : 0); // X, S on the first packet, partition 0
    payload[1] = 0xf0; // I, L, T, K
    const pictureId = (3000 * (fr.encoding + 1) + fr.frame) & 0x7fff;
    payload[2] = 0x80 | (pictureId >> 8);
    payload[3] = pictureId & 0xff;
    payload[4] = tl0 & 0xff;
    payload[5] = (fr.temporal << 6) | (fr.sync ? 0x20 : 0) | ((fr.encoding * 3) & 0x1f);
    if (k === 0) {
      payload[6] = fr.keyFrame ? 0x00 : 0x01; // P bit: 0 = keyframe
      if (fr.keyFrame) {
        payload.set([0x9d, 0x01, 0x2a], 9);
        payload.writeUInt16LE(SIZES[fr.encoding]![0]!, 12);
        payload.writeUInt16LE(SIZES[fr.encoding]![1]!, 14);
      }
    }
    const packet = mediaPacket({
      ssrc: SSRCS[fr.encoding],
      sequenceNumber: (fr.encoding * 20000 + fr.frame * PACKETS_PER_FRAME + k) & 0xffff,
      timestamp: (fr.encoding * 7_000_000 + fr.frame * 3000) >>> 0,
      marker: k === PACKETS_PER_FRAME - 1,
      payload,
      headerExtensions: [{ id: RID_ID, payload: Buffer.from(RIDS[fr.encoding]!) }],
    });
    packet.receivedAt = fr.frame * 33.3;
    out.push(packet);
  }
  return out;
}

const descriptorOf = (payload: Buffer) => {
  const d = new Vp8Descriptor();
  parseVp8Descriptor(payload, 0, payload.length, d);
  return d;
};

function setup() {
  const { receiver, producer, transceiver, output, sent, consumer } = fakeSimulcastConsumer();
  const streams = [0, 1, 2].map((e) => framesOf(e, 400, 60, 3));
  const tl0s = streams.map((frames) => {
    let tl0 = 10 * frames[0]!.encoding;
    return frames.map((fr) => (fr.temporal === 0 ? ++tl0 : tl0) & 0xff);
  });
  /** Which frame each sent packet carries. */
  const frameOf = new Map<object, Frame>();
  const feed = (from: number, to: number) => {
    for (let f = from; f < to; f++) {
      for (let e = 0; e < 3; e++) {
        const fr = streams[e]![f]!;
        for (const packet of packetsOf(fr, tl0s[e]![f]!)) {
          frameOf.set(packet, fr);
          producer.receiveRtp(packet);
        }
      }
    }
  };
  return { producer, consumer, sent, feed, frameOf };
}

/** Problems with what the subscriber received: gaps, broken counters, frames that cannot decode. */
function check(sent: ReturnType<typeof setup>['sent'], frameOf: Map<object, Frame>): string[] {
  const problems: string[] = [];
  const received = new Set<string>();
  const key = (fr: Frame) => `${fr.encoding}:${fr.frame}`;
  for (let i = 0; i < sent.length; i++) {
    const s = sent[i]!;
    if (s.retransmission) continue;
    const fr = frameOf.get(s.packet)!;
    const d = descriptorOf(s.payload);
    if (i > 0) {
      const prev = sent[i - 1]!;
      const p = descriptorOf(prev.payload);
      const sameFrame = frameOf.get(prev.packet) === fr;
      if (s.sequenceNumber !== ((prev.sequenceNumber + 1) & 0xffff)) problems.push(`sequence gap before packet ${i}`);
      const wantPicture = sameFrame ? p.pictureId : (p.pictureId + 1) & 0x7fff;
      if (d.pictureId !== wantPicture) problems.push(`picture id ${d.pictureId} after ${p.pictureId} at packet ${i}`);
      const wantTl0 = fr.temporal === 0 && !sameFrame ? (p.tl0PicIdx + 1) & 0xff : p.tl0PicIdx;
      if (d.tl0PicIdx !== wantTl0) problems.push(`TL0PICIDX ${d.tl0PicIdx} after ${p.tl0PicIdx} at packet ${i} (T${fr.temporal})`);
    }
    if (d.temporalId !== fr.temporal || d.layerSync !== fr.sync) problems.push(`descriptor of packet ${i} changed`);
    for (const ref of fr.references) {
      if (!received.has(`${fr.encoding}:${ref}`)) problems.push(`frame ${key(fr)} references ${fr.encoding}:${ref}, not forwarded`);
    }
    received.add(key(fr));
  }
  return problems;
}

describe('VP8 simulcast: temporal layers within an encoding', () => {
  it('parses TID and the layer-sync bit', () => {
    const d = descriptorOf(packetsOf({ encoding: 1, frame: 5, temporal: 2, sync: true, keyFrame: false, references: [] }, 7)[0]!.payload);
    expect([d.temporalId, d.layerSync, d.tl0PicIdx, d.keyIdx]).toEqual([2, true, 7, 3]);
  });

  it('drops temporal layers above the target, keeps the stream continuous and decodable, and climbs back at sync frames', () => {
    const { consumer, sent, feed, frameOf } = setup();
    consumer.setTargetLayers(2, 2);
    feed(0, 40);
    expect(consumer.currentLayers).toEqual({ spatial: 2, temporal: 2 });
    const full = sent.length;
    expect(new Set(sent.map((s) => frameOf.get(s.packet)!.temporal))).toEqual(new Set([0, 1, 2]));

    // Down to the base layer: from the next frame on, only T0 (15 fps → 7.5 fps here).
    consumer.setTargetLayers(2, 0);
    feed(40, 80);
    const low = sent.slice(full);
    expect(low.every((s) => frameOf.get(s.packet)!.temporal === 0)).toBe(true);
    expect(low.length).toBe(10 * PACKETS_PER_FRAME); // every T0 frame of 40, none lost
    expect(consumer.currentLayers).toEqual({ spatial: 2, temporal: 0 });
    expect(consumer.dump().layers).toMatchObject({ currentSpatialLayer: 2, currentTemporalLayer: 0, targetSpatialLayer: 2, targetTemporalLayer: 0 });

    // Up again: one layer at a time, each at a frame with Y set.
    consumer.setTargetLayers(2, 2);
    const before = sent.length;
    feed(80, 140);
    const up = sent.slice(before).map((s) => frameOf.get(s.packet)!);
    const firstT1 = up.find((f) => f.temporal === 1)!;
    const firstT2 = up.find((f) => f.temporal === 2)!;
    expect(firstT1.sync).toBe(true);
    expect(firstT2.sync).toBe(true);
    expect(firstT2.frame).toBeGreaterThan(firstT1.frame);
    // Non-sync frames went by first (the stream has a sync group in three), so the climb waited for one.
    expect(firstT1.frame).toBeGreaterThan(81);
    expect(consumer.currentLayers).toEqual({ spatial: 2, temporal: 2 });

    expect(check(sent, frameOf)).toEqual([]);
  });

  it('keeps picture ids and TL0PICIDX continuous across an encoding switch with temporal drops on both sides', () => {
    const { consumer, sent, feed, frameOf } = setup();
    consumer.setTargetLayers(2, 1);
    feed(0, 50);
    expect(sent.some((s) => frameOf.get(s.packet)!.temporal === 2)).toBe(false);
    consumer.setTargetLayers(0, 0); // a thumbnail on a weak link: the smallest encoding, base layer only
    feed(50, 130); // keyframe of every encoding at 60 and 120
    const encodings = sent.map((s) => frameOf.get(s.packet)!.encoding);
    const firstSmall = encodings.indexOf(0);
    expect(firstSmall).toBeGreaterThan(0);
    expect(frameOf.get(sent[firstSmall]!.packet)!.frame).toBe(60);
    expect(encodings.slice(firstSmall).every((e) => e === 0)).toBe(true);
    expect(sent.slice(firstSmall).every((s) => frameOf.get(s.packet)!.temporal === 0)).toBe(true);
    expect(consumer.currentLayers).toEqual({ spatial: 0, temporal: 0 });

    consumer.setTargetLayers(1, 2);
    feed(130, 200); // keyframe at 180: all of the middle encoding from there
    const last = sent.slice(sent.findIndex((s) => frameOf.get(s.packet)!.encoding === 1));
    expect(frameOf.get(last[0]!.packet)!.keyFrame).toBe(true);
    expect(new Set(last.map((s) => frameOf.get(s.packet)!.temporal))).toEqual(new Set([0, 1, 2]));
    expect(check(sent, frameOf)).toEqual([]);
  });

  it('a NACKed packet goes out again with the picture id it was first sent with', () => {
    const { consumer, sent, feed, frameOf } = setup();
    consumer.setTargetLayers(2, 1);
    feed(0, 30);
    const lost = sent.findLast((s) => frameOf.get(s.packet)!.temporal === 1)!;
    const transceiver = consumer.transceiver as unknown as { sender: { onRtcp: { execute(p: unknown): void } } };
    transceiver.sender.onRtcp.execute({ type: 205, feedback: { count: 1, lost: [lost.sequenceNumber] } });
    const resent = sent.at(-1)!;
    expect(resent.retransmission).toBe(true);
    expect(resent.packet.sequenceNumber).toBe(lost.packet.sequenceNumber);
    expect(descriptorOf(resent.payload).pictureId).toBe(descriptorOf(lost.payload).pictureId);
    expect(descriptorOf(resent.payload).tl0PicIdx).toBe(descriptorOf(lost.payload).tl0PicIdx);
  });
});

describe('VP8 simulcast: temporal layers from the dependency descriptor', () => {
  // Chrome with the dependency descriptor negotiated sends VP8 without picture id or TID:
  // each encoding's DD (an L1T3 structure of its own) says which temporal layer a frame is in.
  const DD_ID = 12;
  const structure = svcStructure(1, 3);
  /** Template of each kind in svcStructure(1, 3): keyframe, then T0, T1, T2 deltas. */
  const TEMPLATE = { key: 0, 0: 1, 1: 2, 2: 3 } as const;

  function ddPackets(encoding: number, frame: number) {
    const keyFrame = frame % 60 === 0;
    const temporal = keyFrame ? 0 : TEMPORAL_PATTERN[frame % 4]!;
    const templateId = keyFrame ? TEMPLATE.key : TEMPLATE[temporal as 0 | 1 | 2];
    const references = keyFrame ? [] : structure.templates[templateId]!.fdiffs.map((d) => frame - d);
    const out = [];
    for (let k = 0; k < PACKETS_PER_FRAME; k++) {
      const payload = Buffer.alloc(30, 0xab);
      payload[0] = k === 0 ? 0x10 : 0x00; // no X: no picture id, TL0PICIDX or TID
      if (k === 0) payload[1] = keyFrame ? 0x00 : 0x01;
      const dd = writeDependencyDescriptor({
        startOfFrame: k === 0,
        endOfFrame: k === PACKETS_PER_FRAME - 1,
        templateId,
        frameNumber: frame & 0xffff,
        structure: keyFrame && k === 0 ? structure : undefined,
      });
      const packet = mediaPacket({
        ssrc: SSRCS[encoding],
        sequenceNumber: (encoding * 20000 + frame * PACKETS_PER_FRAME + k) & 0xffff,
        timestamp: (frame * 3000) >>> 0,
        marker: k === PACKETS_PER_FRAME - 1,
        payload,
        headerExtensions: [
          { id: RID_ID, payload: Buffer.from(RIDS[encoding]!) },
          { id: DD_ID, payload: dd },
        ],
      });
      packet.receivedAt = frame * 33.3;
      out.push({ packet, frame, temporal, references });
    }
    return out;
  }

  it('drops the upper temporal layers, climbs back at the descriptor’s switch frames, and what it forwards decodes', () => {
    const { producer, consumer, sent } = fakeVideoConsumer({
      id: 'sim-dd',
      codec: 'video/VP8',
      dependencyDescriptorExtensionId: DD_ID,
      simulcast: { rids: RIDS, ridExtensionId: RID_ID, repairedRidExtensionId: 11 },
    });
    const info = new Map<object, { frame: number; temporal: number; references: number[] }>();
    const feed = (from: number, to: number) => {
      for (let f = from; f < to; f++) {
        for (let e = 0; e < 3; e++) {
          for (const p of ddPackets(e, f)) {
            if (e === 1) info.set(p.packet, p);
            producer.receiveRtp(p.packet);
          }
        }
      }
    };
    consumer.setTargetLayers(1, 2);
    feed(0, 20);
    expect(producer.layers!.temporalLayers).toBe(3);
    expect(consumer.currentLayers).toEqual({ spatial: 1, temporal: 2 });
    consumer.setTargetLayers(1, 0);
    const low = sent.length;
    feed(20, 40);
    expect(consumer.currentLayers).toEqual({ spatial: 1, temporal: 0 });
    const dropped = sent.length;
    // The base layer only: every fourth frame.
    expect(sent.slice(low).map((s) => info.get(s.packet)!.temporal)).toEqual(Array(5 * PACKETS_PER_FRAME).fill(0));
    consumer.setTargetLayers(1, 2);
    feed(40, 80);
    const climbedAt = sent.slice(dropped).map((s) => info.get(s.packet)!).find((f) => f.temporal > 0)!;
    // A T1 frame is a switch for both upper targets in L1T3: the climb to T2 happens there at once.
    expect(climbedAt.temporal).toBe(1);
    expect(consumer.currentLayers).toEqual({ spatial: 1, temporal: 2 });

    const problems: string[] = [];
    const received = new Set<number>();
    for (let i = 0; i < sent.length; i++) {
      if (i > 0 && sent[i]!.sequenceNumber !== ((sent[i - 1]!.sequenceNumber + 1) & 0xffff)) problems.push(`sequence gap before packet ${i}`);
      const f = info.get(sent[i]!.packet)!;
      for (const ref of f.references) if (!received.has(ref)) problems.push(`frame ${f.frame} references ${ref}, not forwarded`);
      received.add(f.frame);
    }
    expect(problems).toEqual([]);
  });
});
