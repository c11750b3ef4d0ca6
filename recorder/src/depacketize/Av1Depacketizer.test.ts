import { svcStructure, writeDependencyDescriptor } from '@muster/media';
import { describe, expect, it } from 'vitest';
import {
  Av1Depacketizer,
  OBU_FRAME,
  OBU_SEQUENCE_HEADER,
  OBU_TEMPORAL_DELIMITER,
  OBU_TILE_LIST,
  av1SequenceHeaderSize,
  readLeb128,
  writeLeb128,
} from './Av1Depacketizer.ts';
import { RtpJitterBuffer } from './RtpJitterBuffer.ts';
import { parseRtpPacket } from './RtpPacket.ts';
import { DD_ID, frameBody, obu, packetize, sequenceHeader, temporalUnit } from './testing.ts';

/** The OBUs of a low-overhead temporal unit: [type, spatial id, payload]. */
function readTemporalUnit(tu: Buffer): [number, number, Buffer][] {
  const out: [number, number, Buffer][] = [];
  for (let o = 0; o < tu.length; ) {
    const header = tu[o]!;
    expect(header & 0x02).toBe(0x02); // obu_has_size_field
    const ext = header & 0x04 ? tu[o + 1]! : 0;
    const at = o + (header & 0x04 ? 2 : 1);
    const size = readLeb128(tu, at)!;
    out.push([(header >> 3) & 0x0f, (ext >> 3) & 3, tu.subarray(at + size.length, at + size.length + size.value)]);
    o = at + size.length + size.value;
  }
  return out;
}

function run(datagrams: Buffer[], options: { dependencyDescriptorId?: number } = {}) {
  const units: { data: Buffer; timestamp: number; keyFrame: boolean; size?: { width: number; height: number } }[] = [];
  let requests = 0;
  const dep = new Av1Depacketizer({ onFrame: (data, timestamp, keyFrame, size) => units.push({ data, timestamp, keyFrame, size }), onKeyFrameNeeded: () => requests++ }, options);
  const jb = new RtpJitterBuffer({ maxWaitMs: 100, onPacket: (p) => dep.push(p), onLoss: () => dep.lost() });
  for (const d of datagrams) jb.push(parseRtpPacket(d)!, 0);
  jb.flush(1_000);
  return { units, requests: () => requests, dep };
}

describe('LEB128', () => {
  it('round-trips one- and multi-byte values', () => {
    for (const v of [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 28 + 5]) expect(readLeb128(writeLeb128(v), 0)).toEqual({ value: v, length: writeLeb128(v).length });
    expect([...writeLeb128(300)]).toEqual([0xac, 0x02]);
    expect(readLeb128(Buffer.from([0x80]), 0)).toBeNull();
  });
});

describe('av1SequenceHeaderSize', () => {
  it('reads the maximum frame size past the operating points', () => {
    expect(av1SequenceHeaderSize(sequenceHeader(1280, 720))).toEqual({ width: 1280, height: 720 });
    expect(av1SequenceHeaderSize(Buffer.alloc(1))).toBeNull();
  });
});

describe('Av1Depacketizer', () => {
  it('reassembles fragmented and aggregated OBUs into sized OBUs behind one temporal delimiter, all layers of a unit together', () => {
    const a = temporalUnit({ seq: 65000, timestamp: 90_000, key: true, tag: 1 });
    const b = temporalUnit({ seq: a.nextSeq, timestamp: 93_000, key: false, tag: 2 });
    // A tile list in the payload is dropped too (the format says receivers ignore it).
    const tileList = packetize([obu(OBU_TILE_LIST, Buffer.from([1, 2, 3])), obu(OBU_FRAME, frameBody(99, 50), { spatialId: 0, temporalId: 0 })], {
      seq: b.nextSeq,
      timestamp: 96_000,
      marker: true,
    });
    const packets = [...a.packets, ...b.packets, ...tileList];
    // Reordered, with duplicates.
    const shuffled = [...packets];
    for (let i = 1; i + 1 < shuffled.length; i += 3) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1]!, shuffled[i]!];
    const { units } = run([...shuffled, packets[2]!, packets[0]!]);
    expect(units.map((u) => [u.timestamp, u.keyFrame])).toEqual([
      [90_000, true],
      [93_000, false],
      [96_000, false],
    ]);
    expect(units[0]!.size).toEqual({ width: 1280, height: 720 });
    const first = readTemporalUnit(units[0]!.data);
    expect(first.map(([type, sid]) => [type, sid])).toEqual([
      [OBU_TEMPORAL_DELIMITER, 0],
      [OBU_SEQUENCE_HEADER, 0],
      [OBU_FRAME, 0],
      [OBU_FRAME, 1],
      [OBU_FRAME, 2],
    ]);
    expect(first.slice(2).every(([, , body], i) => body.equals(a.bodies[i]!))).toBe(true);
    expect(readTemporalUnit(units[1]!.data).slice(1).every(([, , body], i) => body.equals(b.bodies[i]!))).toBe(true);
    expect(readTemporalUnit(units[2]!.data).map(([type]) => type)).toEqual([OBU_TEMPORAL_DELIMITER, OBU_FRAME]);
  });

  it('starts at a new coded video sequence, and after a loss drops units until the next one, asking for a keyframe', () => {
    const a = temporalUnit({ seq: 10, timestamp: 0, key: false, tag: 1 });
    const b = temporalUnit({ seq: a.nextSeq, timestamp: 3000, key: true, tag: 2 });
    const c = temporalUnit({ seq: b.nextSeq, timestamp: 6000, key: false, tag: 3 });
    const d = temporalUnit({ seq: c.nextSeq, timestamp: 9000, key: false, tag: 4 });
    const e = temporalUnit({ seq: d.nextSeq, timestamp: 12000, key: true, tag: 5 });
    // One fragment in the middle of c's top-layer frame is lost.
    const { units, requests, dep } = run([...a.packets, ...b.packets, ...c.packets.filter((_, i) => i !== c.packets.length - 2), ...d.packets, ...e.packets]);
    expect(units.map((u) => u.timestamp)).toEqual([3000, 12000]);
    expect(dep.dropped).toBe(3);
    expect(requests()).toBeGreaterThanOrEqual(2);
  });

  it('with a dependency descriptor, keeps only what the top decode target needs: a unit without a top-layer frame is empty', () => {
    const structure = svcStructure(3, 1, [
      [320, 180],
      [640, 360],
      [1280, 720],
    ]);
    let frameNumber = 0;
    // Template ids of svcStructure(3, 1): per spatial layer a keyframe-like "switch" and a "delta".
    const dd = (key: boolean) => (s: number) =>
      writeDependencyDescriptor({ startOfFrame: true, endOfFrame: true, templateId: s * 2 + (key ? 0 : 1), frameNumber: frameNumber++, structure: key && s === 0 ? structure : undefined });
    const a = temporalUnit({ seq: 1, timestamp: 0, key: true, tag: 1, dd: dd(true) });
    const b = temporalUnit({ seq: a.nextSeq, timestamp: 3000, key: false, tag: 2, dd: dd(false) });
    const c = temporalUnit({ seq: b.nextSeq, timestamp: 6000, key: false, tag: 3, layers: [0, 1], dd: dd(false) });
    const d = temporalUnit({ seq: c.nextSeq, timestamp: 9000, key: false, tag: 4, dd: dd(false) });
    const { units, dep } = run([...a.packets, ...b.packets, ...c.packets, ...d.packets], { dependencyDescriptorId: DD_ID });
    const layersOf = (u: { data: Buffer }) => readTemporalUnit(u.data).filter(([type]) => type === OBU_FRAME).map(([, sid]) => sid);
    expect(units.map((u) => u.timestamp)).toEqual([0, 3000, 9000]);
    // The keyframe unit needs every layer (the upper ones predict from it); later ones only the top layer's own frames.
    expect(units.map(layersOf)).toEqual([[0, 1, 2], [2], [2]]);
    expect(dep.skipped).toBeGreaterThan(0);
    expect(dep.dropped).toBe(0);
  });
});
