import { describe, expect, it, vi } from 'vitest';
import { RtcpPacketConverter, type RtcpPayloadSpecificFeedback, type RtcpRrPacket, type RtcpSourceDescriptionPacket, type RtcpSrPacket, type RtcpTransportLayerFeedback } from 'werift';
import { NACK_MAX_RETRIES, NACK_MIN_INTERVAL_MS, ReceiveStats } from './ReceiveStats.ts';
import {
  compactNtp,
  forEachRtcpPacket,
  nackSize,
  ntpTime,
  sdesSize,
  writeBye,
  writeNack,
  writePli,
  writeReceiverReport,
  writeSdes,
  writeSenderReport,
} from './rtcp.ts';
import { RtpRewriter } from './RtpRewriter.ts';

describe('RTCP writers', () => {
  it('writes SR + SDES compounds werift parses back', () => {
    const ntp = ntpTime(Date.UTC(2025, 0, 1, 0, 0, 0, 500));
    expect(ntp[0]).toBe(2_208_988_800 + Date.UTC(2025, 0, 1) / 1000);
    expect(ntp[1]).toBe(0x80000000); // half a second
    expect(compactNtp(ntp)).toBe((((ntp[0] & 0xffff) << 16) | 0x8000) >>> 0);
    const chunks = [
      { ssrc: 0xaabbccdd, cname: 'abc' },
      { ssrc: 2, cname: 'a-longer-cname-of-36-characters-abcd' },
    ];
    const buf = Buffer.alloc(2 * 28 + sdesSize(chunks));
    let o = writeSenderReport(buf, 0, { ssrc: 0xaabbccdd, ntp, rtpTimestamp: 0xfffffff0, packetCount: 7, octetCount: 7000 });
    o = writeSenderReport(buf, o, { ssrc: 2, ntp, rtpTimestamp: 1, packetCount: 1, octetCount: 2 });
    o = writeSdes(buf, o, chunks);
    expect(o % 4).toBe(0);
    const [sr1, sr2, sdes] = RtcpPacketConverter.deSerialize(buf.subarray(0, o)) as [RtcpSrPacket, RtcpSrPacket, RtcpSourceDescriptionPacket];
    expect([sr1.type, sr1.ssrc, sr1.senderInfo.rtpTimestamp, sr1.senderInfo.packetCount, sr1.senderInfo.octetCount]).toEqual([200, 0xaabbccdd, 0xfffffff0, 7, 7000]);
    expect(sr1.senderInfo.ntpTimestamp).toBe((BigInt(ntp[0]) << 32n) | BigInt(ntp[1]));
    expect(sr2.ssrc).toBe(2);
    expect(sdes.chunks.map((c) => [c.source, c.items[0]!.text])).toEqual(chunks.map((c) => [c.ssrc, c.cname]));
  });

  it('writes RR blocks werift parses back, clamping lost counts', () => {
    const buf = Buffer.alloc(8 + 2 * 24);
    const n = writeReceiverReport(buf, 0, 0x1111, [
      { ssrc: 0x2222, fractionLost: 64, packetsLost: 12, extendedHighestSequence: 0x10005, jitter: 33.7, lsr: 0x12345678, dlsr: 65536 },
      { ssrc: 0x3333, fractionLost: 0, packetsLost: 50_000_000, extendedHighestSequence: 9, jitter: 0, lsr: 0, dlsr: 0 },
    ]);
    const [rr] = RtcpPacketConverter.deSerialize(buf.subarray(0, n)) as [RtcpRrPacket];
    expect(rr.ssrc).toBe(0x1111);
    expect(rr.reports.map((r) => [r.ssrc, r.fractionLost, r.packetsLost, r.highestSequence, r.jitter, r.lsr, r.dlsr])).toEqual([
      [0x2222, 64, 12, 0x10005, 33, 0x12345678, 65536],
      [0x3333, 0, 0x7fffff, 9, 0, 0, 0],
    ]);
  });

  it('packs NACKs into PID + bitmask pairs, across the sequence wrap', () => {
    const lost = [65534, 65535, 0, 15, 40, 41];
    const buf = Buffer.alloc(nackSize(lost));
    const n = writeNack(buf, 0, 1, 0xabc, lost);
    // 65534 covers 65534…14 (0 and 65535 in its bitmask); 15 and 40 start pairs of their own.
    expect(n).toBe(12 + 3 * 4);
    const [packet] = RtcpPacketConverter.deSerialize(buf.subarray(0, n)) as [RtcpTransportLayerFeedback];
    const feedback = packet.feedback as unknown as { mediaSourceSsrc: number; lost: number[] };
    expect(feedback.mediaSourceSsrc).toBe(0xabc);
    // werift does not wrap 65535 + 1; the SFU masks.
    expect(feedback.lost.map((s) => s & 0xffff).sort((a, b) => a - b)).toEqual([0, 15, 40, 41, 65534, 65535]);
  });
});

describe('PLI, BYE and the compound walk', () => {
  it('writes a PLI werift parses back and a BYE, and walks them', () => {
    const buf = Buffer.alloc(12 + 4 + 3 * 4);
    let o = writePli(buf, 0, 0x1111, 0x2222);
    o = writeBye(buf, o, [1, 2, 0xffffffff]);
    expect(o).toBe(buf.length);
    const [pli] = RtcpPacketConverter.deSerialize(buf.subarray(0, 12)) as [RtcpPayloadSpecificFeedback];
    expect([pli.type, pli.feedback.count, pli.feedback.senderSsrc, pli.feedback.mediaSsrc]).toEqual([206, 1, 0x1111, 0x2222]);
    // werift has no BYE parser: V=2, SC=3, PT=203, length 3 words, the sources.
    expect(buf.subarray(12).toString('hex')).toBe('83cb0003' + '00000001' + '00000002' + 'ffffffff');
    const seen: number[][] = [];
    expect(forEachRtcpPacket(buf, buf.length, (type, count, start, end) => seen.push([type, count, start, end]))).toBe(true);
    expect(seen).toEqual([
      [206, 1, 0, 12],
      [203, 3, 12, 28],
    ]);
  });

  it('visits nothing of a compound with a bad version, an overrun or a trailing fragment', () => {
    const good = Buffer.alloc(12);
    writePli(good, 0, 1, 2);
    const visit = vi.fn();
    for (const bad of [
      Buffer.concat([good, Buffer.from([0x40, 201, 0, 0])]), // version 1
      Buffer.concat([good, Buffer.from([0x80, 201, 0, 5])]), // says 24 bytes, has 4
      Buffer.concat([good, Buffer.from([0x80, 201])]), // 2 bytes left over
      Buffer.from([0x80]),
    ]) {
      expect(forEachRtcpPacket(bad, bad.length, visit)).toBe(false);
    }
    expect(visit).not.toHaveBeenCalled();
  });
});

describe('ReceiveStats', () => {
  it('counts loss, the extended highest sequence across a wrap, and interval fraction lost', () => {
    const s = new ReceiveStats(1, 90000);
    let t = 0;
    for (const seq of [65533, 65534, 65535, 0, 1, 3]) s.onPacket(seq, 0, (t += 10));
    expect(s.extendedHighestSequence).toBe(0x10000 + 3);
    expect(s.packetsLost).toBe(1);
    const first = s.reportBlock();
    expect([first.packetsLost, first.fractionLost]).toEqual([1, Math.floor((1 << 8) / 7)]);
    for (const seq of [4, 5, 6, 7]) s.onPacket(seq, 0, (t += 10));
    expect(s.reportBlock().fractionLost).toBe(0);
    s.onPacket(2, 0, (t += 10)); // late arrival fills the hole
    expect(s.packetsLost).toBe(0);
  });

  it('estimates jitter in timestamp units from arrival against media time', () => {
    const s = new ReceiveStats(1, 1000); // 1 tick per ms
    for (let i = 0; i < 200; i++) s.onPacket(i, i * 20, i * 20 + (i % 2 ? 10 : 0));
    // Transit alternates by 10 ticks: jitter converges towards 10.
    expect(s.jitter).toBeGreaterThan(8);
    expect(s.jitter).toBeLessThan(10.5);
  });

  it('lists holes for NACK once per interval, drops them when filled, and gives up after retries', () => {
    const s = new ReceiveStats(1, 90000, { nack: true });
    s.onPacket(100, 0, 0);
    s.onPacket(104, 0, 1);
    expect(s.missingCount).toBe(3);
    expect(s.takeNacks(1)).toEqual([101, 102, 103]);
    expect(s.takeNacks(1 + NACK_MIN_INTERVAL_MS - 1)).toEqual([]);
    s.onPacket(102, 0, 5); // a retransmission arrives
    expect(s.takeNacks(1 + NACK_MIN_INTERVAL_MS)).toEqual([101, 103]);
    let now = 1 + NACK_MIN_INTERVAL_MS;
    for (let i = 0; i < NACK_MAX_RETRIES + 2; i++) s.takeNacks((now += NACK_MIN_INTERVAL_MS));
    expect(s.missingCount).toBe(0);
    // A huge jump is a restart, not loss to repair.
    s.onPacket(30_000, 0, now);
    expect(s.missingCount).toBe(0);
    // Holes across the wrap are listed with 16-bit numbers.
    const w = new ReceiveStats(2, 90000, { nack: true });
    w.onPacket(65534, 0, 0);
    w.onPacket(1, 0, 1);
    expect(w.takeNacks(2)).toEqual([65535, 0]);
  });
});

describe('RtpRewriter', () => {
  it('passes numbering through until a re-base, then continues it by one and the given ticks', () => {
    const r = new RtpRewriter();
    r.map(1000, 50_000);
    expect([r.sequenceNumber, r.timestamp]).toEqual([1000, 50_000]);
    r.map(1001, 53_000);
    r.rebase(90_000);
    r.map(40_000, 7);
    expect([r.sequenceNumber, r.timestamp]).toEqual([1002, 53_000 + 90_000]);
    r.map(40_001, 3007);
    expect([r.sequenceNumber, r.timestamp]).toEqual([1003, 53_000 + 93_000]);
    // A late packet from before the re-base does not move the high-water mark.
    r.map(39_999, 0);
    expect([r.lastSequenceNumber, r.lastTimestamp]).toEqual([1003, 146_000]);
  });

  it('wraps sequence numbers and timestamps', () => {
    const r = new RtpRewriter();
    r.map(65535, 0xffffff00);
    r.rebase(0x200);
    r.map(7, 1);
    expect([r.sequenceNumber, r.timestamp]).toEqual([0, 0x100]);
  });

  it('maps output sequence numbers back for NACKs, until forgotten or overwritten', () => {
    const r = new RtpRewriter();
    r.map(10, 100);
    r.rebase(1000);
    r.map(500, 7);
    expect(r.lookup(11)).toBe(500);
    expect(r.timestamp).toBe(1100);
    expect(r.lookup(10)).toBe(10);
    expect(r.lookup(12)).toBe(-1);
    for (let i = 1; i <= 1024; i++) r.map(500 + i, 7 + i);
    expect(r.lookup(11)).toBe(-1); // overwritten by 11 + 1024
    r.forgetHistory();
    expect(r.lookup(11 + 1024)).toBe(-1);
  });
});
