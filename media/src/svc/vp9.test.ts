import { describe, expect, it } from 'vitest';
import { Vp9Descriptor, parseVp9Descriptor, writeVp9Descriptor } from './vp9.ts';

describe('VP9 payload descriptor', () => {
  it('reads a flexible-mode descriptor with layer ids and a scalability structure', () => {
    const buf = Buffer.alloc(64);
    const n = writeVp9Descriptor(buf, 0, {
      pictureId: 0x1234,
      flexible: true,
      begin: true,
      temporalId: 0,
      spatialId: 0,
      resolutions: [
        [320, 180],
        [640, 360],
        [1280, 720],
      ],
    });
    const d = new Vp9Descriptor();
    expect(parseVp9Descriptor(buf, 0, n + 10, d)).toBe(true);
    expect(d.pictureId).toBe(0x1234);
    expect(d.longPictureId).toBe(true);
    expect(d.pictureIdOffset).toBe(1);
    expect(d.keyFrame).toBe(true);
    expect([d.spatialId, d.temporalId, d.beginOfFrame, d.endOfFrame]).toEqual([0, 0, true, false]);
    expect(d.hasScalabilityStructure).toBe(true);
    expect(d.spatialLayers).toBe(3);
    expect([...d.widths.subarray(0, 3)]).toEqual([320, 640, 1280]);
    expect([...d.heights.subarray(0, 3)]).toEqual([180, 360, 720]);
    expect(d.payloadOffset).toBe(n);
  });

  it('reads the switching-up point, inter-layer dependency and the reference list of a delta frame', () => {
    const buf = Buffer.alloc(16);
    const n = writeVp9Descriptor(buf, 0, {
      pictureId: 7,
      flexible: true,
      interPicturePredicted: true,
      end: true,
      temporalId: 2,
      spatialId: 1,
      switchingUp: true,
      interLayerDependency: true,
      pDiffs: [1, 2],
    });
    const d = new Vp9Descriptor();
    expect(parseVp9Descriptor(buf, 0, 16, d)).toBe(true);
    expect([d.spatialId, d.temporalId, d.switchingUp, d.interLayerDependency]).toEqual([1, 2, true, true]);
    expect([d.beginOfFrame, d.endOfFrame, d.keyFrame, d.hasScalabilityStructure]).toEqual([false, true, false, false]);
    expect(d.payloadOffset).toBe(n);
  });

  it('reads the non-flexible form with a 7-bit picture id and TL0PICIDX', () => {
    const buf = Buffer.from([0xa8 /* I L B */, 0x05, (1 << 5) | 0x10 | (2 << 1), 0x42, 0xff]);
    const d = new Vp9Descriptor();
    expect(parseVp9Descriptor(buf, 0, buf.length, d)).toBe(true);
    expect([d.pictureId, d.longPictureId, d.temporalId, d.spatialId, d.switchingUp, d.tl0PicIdx, d.payloadOffset]).toEqual([
      5,
      false,
      1,
      2,
      true,
      0x42,
      4,
    ]);
  });

  it('reads a descriptor without layer indices as layer (0, 0)', () => {
    const d = new Vp9Descriptor();
    expect(parseVp9Descriptor(Buffer.from([0x0c, 1, 2]), 0, 3, d)).toBe(true);
    expect([d.spatialId, d.temporalId, d.hasLayerIndices, d.keyFrame]).toEqual([0, 0, false, true]);
  });

  it('refuses truncated descriptors without reading past the end', () => {
    const full = Buffer.alloc(64);
    const n = writeVp9Descriptor(full, 0, { pictureId: 300, flexible: true, temporalId: 1, spatialId: 1, resolutions: [[320, 180]] });
    const d = new Vp9Descriptor();
    for (let len = 0; len < n; len++) expect(parseVp9Descriptor(full, 0, len, d)).toBe(false);
    // Random bytes never throw.
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + (i % 20) }, () => Math.floor(Math.random() * 256)));
      expect(typeof parseVp9Descriptor(junk, 0, junk.length, d)).toBe('boolean');
    }
  });
});
