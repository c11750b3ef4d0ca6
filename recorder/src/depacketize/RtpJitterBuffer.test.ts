import { describe, expect, it } from 'vitest';
import { RtpJitterBuffer } from './RtpJitterBuffer.ts';
import { buildRtpPacket, parseRtpPacket, type RtpPacket } from './RtpPacket.ts';

const packet = (sequenceNumber: number, timestamp = 0): RtpPacket =>
  parseRtpPacket(buildRtpPacket({ sequenceNumber, timestamp, payload: Buffer.from([sequenceNumber & 0xff]) }))!;

function buffer(maxWaitMs = 100) {
  const out: (number | 'loss')[] = [];
  const jb = new RtpJitterBuffer({ maxWaitMs, onPacket: (p) => out.push(p.sequenceNumber), onLoss: () => out.push('loss') });
  return { jb, out };
}

describe('RtpJitterBuffer', () => {
  it('puts reordered packets back in order and drops duplicates (probes resend old packets)', () => {
    const { jb, out } = buffer();
    for (const seq of [10, 12, 11, 11, 13, 10, 15, 14, 12]) jb.push(packet(seq), 0);
    expect(out).toEqual([10, 11, 12, 13, 14, 15]);
    expect(jb.duplicates).toBe(3);
    expect(jb.losses).toBe(0);
  });

  it('holds packets behind a gap until it fills, or reports loss once it waited too long', () => {
    const { jb, out } = buffer(100);
    jb.push(packet(1), 0);
    jb.push(packet(3), 10);
    jb.push(packet(4), 20);
    expect(out).toEqual([1]);
    jb.flush(90);
    expect(out).toEqual([1]);
    jb.flush(111);
    expect(out).toEqual([1, 'loss', 3, 4]);
    // The late packet is now too late: dropped, not delivered out of order.
    jb.push(packet(2), 120);
    jb.push(packet(5), 130);
    expect(out).toEqual([1, 'loss', 3, 4, 5]);
  });

  it('follows the sequence number across its wrap, and takes a far jump as a new numbering', () => {
    const { jb, out } = buffer();
    for (const seq of [65534, 0, 65535, 1]) jb.push(packet(seq), 0);
    expect(out).toEqual([65534, 65535, 0, 1]);
    jb.push(packet(30_000), 0);
    jb.push(packet(30_001), 0);
    expect(out).toEqual([65534, 65535, 0, 1, 'loss', 30_000, 30_001]);
  });

  it('gives a gap up when too many packets wait behind it', () => {
    const out: (number | 'loss')[] = [];
    const jb = new RtpJitterBuffer({ maxWaitMs: 10_000, maxPackets: 3, onPacket: (p) => out.push(p.sequenceNumber), onLoss: () => out.push('loss') });
    for (const seq of [1, 3, 4, 5]) jb.push(packet(seq), 0);
    expect(out).toEqual([1, 'loss', 3, 4, 5]);
  });
});

describe('parseRtpPacket', () => {
  it('finds the payload after CSRCs, header extensions and before padding', () => {
    const raw = buildRtpPacket({ sequenceNumber: 7, timestamp: 0xfffffff0, marker: true, payload: Buffer.from([1, 2, 3]), extensions: [{ id: 3, data: Buffer.from([9, 9]) }] });
    const padded = Buffer.concat([raw, Buffer.from([0, 0, 3])]);
    padded[0]! |= 0x20;
    const p = parseRtpPacket(padded)!;
    expect(p).toMatchObject({ sequenceNumber: 7, timestamp: 0xfffffff0, marker: true });
    expect([...p.payload]).toEqual([1, 2, 3]);
    expect(parseRtpPacket(Buffer.alloc(8))).toBeNull();
  });
});
