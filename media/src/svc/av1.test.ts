import { describe, expect, it } from 'vitest';
import {
  Av1Descriptor,
  DTI_NOT_PRESENT,
  DTI_SWITCH,
  decodeTargetFor,
  parseDependencyDescriptor,
  svcStructure,
  writeDependencyDescriptor,
} from './av1.ts';

describe('AV1 dependency descriptor', () => {
  const structure = svcStructure(3, 3, [
    [320, 180],
    [640, 360],
    [1280, 720],
  ]);

  it('round-trips a template structure with chains and resolutions', () => {
    const bytes = writeDependencyDescriptor({ startOfFrame: true, endOfFrame: false, templateId: 0, frameNumber: 513, structure });
    const d = new Av1Descriptor();
    const parsed = parseDependencyDescriptor(bytes, 0, bytes.length, undefined, d);
    expect(parsed).toBeTruthy();
    expect(d.hasStructure).toBe(true);
    expect([d.startOfFrame, d.endOfFrame, d.frameNumber, d.spatialId, d.temporalId]).toEqual([true, false, 513, 0, 0]);
    expect(parsed!.decodeTargets).toBe(9);
    expect(parsed!.templates.map((t) => [t.spatialId, t.temporalId])).toEqual(structure.templates.map((t) => [t.spatialId, t.temporalId]));
    expect(parsed!.templates.map((t) => t.dtis)).toEqual(structure.templates.map((t) => t.dtis));
    expect(parsed!.templates.map((t) => t.fdiffs)).toEqual(structure.templates.map((t) => t.fdiffs));
    expect(parsed!.chains).toBe(3);
    expect(parsed!.decodeTargetProtectedBy).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(parsed!.decodeTargetSpatialId).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(parsed!.decodeTargetTemporalId).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(parsed!.resolutions).toEqual([
      [320, 180],
      [640, 360],
      [1280, 720],
    ]);
    expect([...d.dtis.subarray(0, 9)]).toEqual(Array(9).fill(DTI_SWITCH));
  });

  it('resolves the mandatory fields of later packets against the structure in force', () => {
    const d = new Av1Descriptor();
    // Template 4 * 2 + 1 + 2: spatial 2, temporal 2, a delta frame.
    const bytes = writeDependencyDescriptor({ startOfFrame: false, endOfFrame: true, templateId: 11, frameNumber: 65535 });
    expect(bytes.length).toBe(3);
    expect(parseDependencyDescriptor(bytes, 0, 3, structure, d)).toBe(structure);
    expect([d.startOfFrame, d.endOfFrame, d.frameNumber, d.spatialId, d.temporalId]).toEqual([false, true, 65535, 2, 2]);
    // K-SVC: a delta frame of spatial layer 2 is in the targets of layer 2 only.
    expect([...d.dtis.subarray(0, 9)].map((v) => v !== DTI_NOT_PRESENT)).toEqual([false, false, false, false, false, false, false, false, true]);
    expect(d.fdiffs).toEqual([3]);
  });

  it('knows nothing of a frame before any structure arrived', () => {
    const d = new Av1Descriptor();
    const bytes = writeDependencyDescriptor({ startOfFrame: true, endOfFrame: true, templateId: 1, frameNumber: 1 });
    expect(parseDependencyDescriptor(bytes, 0, 3, undefined, d)).toBeUndefined();
    expect(d.spatialId).toBe(-1);
  });

  it('picks the decode target for a layer limit', () => {
    expect(decodeTargetFor(structure, 2, 2)).toBe(8);
    expect(decodeTargetFor(structure, 1, 2)).toBe(5);
    expect(decodeTargetFor(structure, 0, 0)).toBe(0);
    expect(decodeTargetFor(structure, 15, 1)).toBe(7);
    // Inactive targets are skipped.
    expect(decodeTargetFor(structure, 2, 2, 0b000111111)).toBe(5);
  });

  it('never throws on malformed input', () => {
    const d = new Av1Descriptor();
    const full = writeDependencyDescriptor({ startOfFrame: true, endOfFrame: false, templateId: 0, frameNumber: 1, structure });
    for (let len = 4; len < full.length; len++) expect(parseDependencyDescriptor(full, 0, len, undefined, d)).toBeNull();
    for (let i = 0; i < 3000; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + (i % 40) }, () => Math.floor(Math.random() * 256)));
      expect(() => parseDependencyDescriptor(junk, 0, junk.length, i % 2 ? structure : undefined, d)).not.toThrow();
    }
  });
});
