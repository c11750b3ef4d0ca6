/**
 * AV1 active decode targets: when a subscriber gets only some layers of an
 * L3T3 stream, the dependency descriptor it receives says which decode
 * targets remain (those the forwarded subset satisfies), on the first packet
 * after each layer change and on every packet with the template structure.
 * Descriptors are generated; the rewritten one is parsed back.
 */
import { describe, expect, it } from 'vitest';
import { fakeVideoConsumer } from '../testing/fakes.ts';
import { generateStream } from '../testing/svcStreams.ts';
import { Av1DecodeTargetsPatch } from './Av1DecodeTargetsPatch.ts';
import { Av1Descriptor, decodeTargetsWithin, parseDependencyDescriptor, svcStructure, writeActiveDecodeTargets, writeDependencyDescriptor } from './av1.ts';
import { MAX_LAYER } from './LayerFilter.ts';

const RESOLUTIONS: [number, number][] = [
  [320, 180],
  [640, 360],
  [1280, 720],
];
const structure = svcStructure(3, 3, RESOLUTIONS);

/** Parses a descriptor; the structure in force is `structure` unless the descriptor brings one. */
function parse(bytes: Uint8Array, length = bytes.length) {
  const d = new Av1Descriptor();
  const s = parseDependencyDescriptor(bytes, 0, length, structure, d);
  return { d, s };
}

/** Expected mask: decode target s * 3 + t for every s ≤ spatial, t ≤ temporal. */
function maskOf(spatial: number, temporal: number): number {
  let m = 0;
  for (let s = 0; s <= spatial; s++) for (let t = 0; t <= temporal; t++) m |= 1 << (s * 3 + t);
  return m;
}

describe('AV1 active decode targets', () => {
  it('the mask of a (spatial, temporal) target covers exactly the targets at or below it', () => {
    for (let s = 0; s < 3; s++) for (let t = 0; t < 3; t++) expect(decodeTargetsWithin(structure, s, t)).toBe(maskOf(s, t));
    expect(decodeTargetsWithin(structure, MAX_LAYER, MAX_LAYER)).toBe(0x1ff);
  });

  const cases = {
    'a keyframe packet with the structure': writeDependencyDescriptor({ startOfFrame: true, endOfFrame: false, templateId: 0, frameNumber: 4242, structure }),
    'a three-byte packet (mandatory fields only)': writeDependencyDescriptor({ startOfFrame: true, endOfFrame: true, templateId: 7, frameNumber: 65535 }),
    'a packet with a mask of its own and custom frame diffs': writeDependencyDescriptor({
      startOfFrame: false,
      endOfFrame: true,
      templateId: 6,
      frameNumber: 17,
      activeDecodeTargets: 0b000111111,
      decodeTargets: 9,
      customFdiffs: [3, 40, 700],
    }),
  };

  for (const [name, bytes] of Object.entries(cases)) {
    it(`rewrites ${name}: the mask for each target, every other field as it was`, () => {
      const original = parse(bytes);
      expect(original.s).toBeTruthy();
      const before = Buffer.from(bytes);
      for (let spatial = 0; spatial < 3; spatial++) {
        for (let temporal = 0; temporal < 3; temporal++) {
          const mask = maskOf(spatial, temporal);
          const out = Buffer.alloc(300, 0xee);
          const n = writeActiveDecodeTargets(bytes, 0, original.d, original.s!, mask, out, 5);
          const rewritten = out.subarray(5, 5 + n);
          const back = parse(rewritten);
          expect(back.s, 'parses').toBeTruthy();
          expect(back.d.activeDecodeTargets).toBe(mask);
          // Untouched: mandatory fields, the structure, the frame's template, DTIs and diffs.
          expect(rewritten.subarray(0, 3)).toEqual(bytes.subarray(0, 3));
          expect([back.d.startOfFrame, back.d.endOfFrame, back.d.templateId, back.d.frameNumber, back.d.hasStructure]).toEqual([
            original.d.startOfFrame,
            original.d.endOfFrame,
            original.d.templateId,
            original.d.frameNumber,
            original.d.hasStructure,
          ]);
          expect([back.d.spatialId, back.d.temporalId, [...back.d.fdiffs], [...back.d.dtis.subarray(0, 9)]]).toEqual([
            original.d.spatialId,
            original.d.temporalId,
            [...original.d.fdiffs],
            [...original.d.dtis.subarray(0, 9)],
          ]);
          if (original.d.hasStructure) expect(back.s).toEqual(original.s);
          // Nothing written outside the descriptor, and the shared source is left alone.
          expect(out[4]).toBe(0xee);
          expect(out[5 + n]).toBe(0xee);
          expect(Buffer.from(bytes)).toEqual(before);
        }
      }
    });
  }

  it('a consumer’s descriptors say which targets it gets: after each layer change and on keyframes, not on other packets', () => {
    const { producer, consumer, output, sent } = fakeVideoConsumer({ id: 'av1', codec: 'video/AV1', dependencyDescriptorExtensionId: 5 });
    const patch = (output as { dependencyDescriptorPatch?: Av1DecodeTargetsPatch | null }).dependencyDescriptorPatch;
    expect(patch).toBeInstanceOf(Av1DecodeTargetsPatch);
    const stream = generateStream({ codec: 'av1', pictures: 120, keyFrameInterval: 60, dependencyDescriptorId: 5 });
    /** What the transport would write for each forwarded packet: the rewritten descriptor, or null (copied as is). */
    const written: { picture: number; hasStructure: boolean; mask: number | null; payload: Buffer }[] = [];
    let next = 0;
    const feed = (pictures: number) => {
      const end = stream.findIndex((g) => g.frame.picture >= pictures);
      for (; next < (end < 0 ? stream.length : end); next++) {
        const g = stream[next]!;
        const before = sent.length;
        const payloadBefore = Buffer.from(g.packet.payload);
        producer.receiveRtp(g.packet);
        if (sent.length === before) continue;
        const at = g.packet.findExtension(5);
        const length = g.packet.buffer[at - 1]!; // two-byte form: the length byte precedes the data
        const n = patch!.prepare(g.packet.buffer, at, length, false);
        let mask: number | null = null;
        if (n > 0) {
          const out = Buffer.alloc(n);
          patch!.write(out, 0);
          mask = parse(out).d.activeDecodeTargets;
        }
        expect(g.packet.payload).toEqual(payloadBefore);
        written.push({ picture: g.frame.picture, hasStructure: g.packet.buffer[at + 3]! >= 0x80 && length > 3, mask, payload: g.packet.payload });
      }
    };
    consumer.setTargetLayers(2, 2);
    feed(10);
    expect(written[0]!.mask).toBe(0x1ff); // the first packet: everything
    consumer.setTargetLayers(1, 1);
    const changeAt = written.length;
    feed(30);
    const afterChange = written.slice(changeAt).filter((w) => w.mask !== null);
    expect(afterChange.map((w) => w.mask)).toEqual([maskOf(1, 1)]); // once, on the first packet after the change
    const before = written.length;
    feed(70); // the keyframe at 60 carries the structure: the mask goes with it
    const keyframe = written.slice(before).filter((w) => w.hasStructure);
    expect(keyframe.length).toBeGreaterThan(0);
    expect(keyframe.every((w) => w.mask === maskOf(1, 1))).toBe(true);
    expect(written.slice(before).filter((w) => w.mask !== null && !w.hasStructure)).toEqual([]);
  });
});
