import { describe, expect, it } from 'vitest';
import { writeTransportFeedback } from '../testing/transportFeedbackWriter.ts';
import { TransportFeedback, parseTransportFeedback } from './transportFeedback.ts';

/** RTPFB FMT 15 header + SSRCs + the fixed fields, then `rest`; length and padding filled in. */
function packet(fields: { base: number; count: number; reference: number; fbCount: number }, rest: number[], pad = false): Buffer {
  const body = 20 + rest.length;
  const length = (body + 3) & ~3;
  const buf = Buffer.alloc(length);
  buf[0] = 0x80 | (pad && length > body ? 0x20 : 0) | 15;
  buf[1] = 205;
  buf.writeUInt16BE(length / 4 - 1, 2);
  buf.writeUInt32BE(0x11223344, 4);
  buf.writeUInt32BE(0x55667788, 8);
  buf.writeUInt16BE(fields.base, 12);
  buf.writeUInt16BE(fields.count, 14);
  buf.writeUIntBE(fields.reference & 0xffffff, 16, 3);
  buf[19] = fields.fbCount;
  Buffer.from(rest).copy(buf, 20);
  if (pad && length > body) buf[length - 1] = length - body;
  return buf;
}

function parse(buf: Buffer): TransportFeedback {
  const fb = new TransportFeedback();
  expect(parseTransportFeedback(buf, 0, buf.length, fb)).toBe(true);
  return fb;
}

const arrivals = (fb: TransportFeedback) =>
  Array.from({ length: fb.count }, (_, i) => (fb.received[i] ? fb.arrivalUs[i] : null));

describe('transport-wide feedback parser', () => {
  it('reads a run-length chunk of small deltas across the sequence wrap', () => {
    // Run length chunk: T=0, S=01 (small delta), run 4 → 0x2004.
    const fb = parse(packet({ base: 0xfffe, count: 4, reference: 1, fbCount: 7 }, [0x20, 0x04, 4, 8, 0, 255]));
    expect(fb.senderSsrc).toBe(0x11223344);
    expect(fb.mediaSsrc).toBe(0x55667788);
    expect(fb.baseSequence).toBe(0xfffe);
    expect(fb.count).toBe(4);
    expect(fb.referenceTime).toBe(1);
    expect(fb.feedbackCount).toBe(7);
    // Sequences 0xfffe, 0xffff, 0, 1: arrival in µs after the reference time.
    expect(arrivals(fb)).toEqual([1000, 3000, 3000, 3000 + 255 * 250]);
  });

  it('reads a one-bit status vector: received packets take a small delta each, lost ones none', () => {
    // T=1, S=0, symbols 1 0 1 1 0 (then unused bits): 1 0 10110 000000000 → 0xac00.
    const fb = parse(packet({ base: 100, count: 5, reference: 0, fbCount: 0 }, [0xac, 0x00, 1, 2, 3], true));
    expect(arrivals(fb)).toEqual([250, null, 750, 1500, null]);
  });

  it('reads a two-bit status vector with a large negative delta and a large positive one', () => {
    // T=1, S=1, symbols: 01 10 00 10 00 00 00 → 11 01 10 00 10 00 00 00 → 0xd880.
    const fb = parse(packet({ base: 7, count: 4, reference: 10, fbCount: 1 }, [0xd8, 0x80, 40, 0xff, 0xf6, 0x03, 0xe8]));
    // 40 × 250 = 10000; then -10 × 250; then lost; then +1000 × 250.
    expect(arrivals(fb)).toEqual([10_000, 7_500, null, 257_500]);
  });

  it('reads a negative reference time (24-bit signed)', () => {
    const fb = parse(packet({ base: 0, count: 1, reference: 0xffffff, fbCount: 0 }, [0x20, 0x01, 0]));
    expect(fb.referenceTime).toBe(-1);
  });

  it('mixes run-length chunks of lost and received packets', () => {
    // 20 lost (S=00, run 20: 0x0014), then 3 received (0x2003).
    const fb = parse(packet({ base: 65530, count: 23, reference: 5, fbCount: 2 }, [0x00, 0x14, 0x20, 0x03, 1, 1, 1]));
    const a = arrivals(fb);
    expect(a.slice(0, 20).every((x) => x === null)).toBe(true);
    expect(a.slice(20)).toEqual([250, 500, 750]);
  });

  it('refuses truncated deltas, truncated chunks and the reserved symbol', () => {
    const fb = new TransportFeedback();
    const truncatedDeltas = packet({ base: 0, count: 4, reference: 0, fbCount: 0 }, [0x20, 0x04, 1, 1]);
    // (Zero bytes of word padding are not deltas: the length says where the packet ends.)
    expect(parseTransportFeedback(truncatedDeltas.subarray(0, 24), 0, 24, fb)).toBe(false);
    const noChunk = packet({ base: 0, count: 30, reference: 0, fbCount: 0 }, [0x20, 0x04]);
    expect(parseTransportFeedback(noChunk, 0, noChunk.length, fb)).toBe(false);
    const reserved = packet({ base: 0, count: 2, reference: 0, fbCount: 0 }, [0x60, 0x02, 1, 1]);
    expect(parseTransportFeedback(reserved, 0, reserved.length, fb)).toBe(false);
    const notFeedback = Buffer.from(truncatedDeltas);
    notFeedback[0] = 0x81; // FMT 1: a NACK
    expect(parseTransportFeedback(notFeedback, 0, notFeedback.length, fb)).toBe(false);
  });

  it('round-trips what a receiver writes: long runs, losses, wrap, late and reordered arrivals', () => {
    const input: (number | null)[] = [];
    let t = 1_000_000_000; // µs on the receiver's clock
    for (let i = 0; i < 300; i++) {
      if (i % 37 === 5 || (i > 100 && i < 130)) input.push(null);
      else {
        t += i % 50 === 0 ? 80_000 : i % 11 === 0 ? -2_000 : 1_250;
        input.push(t);
      }
    }
    const buf = writeTransportFeedback({ baseSequence: 65_400, arrivalsUs: input, feedbackCount: 9 });
    const fb = parse(buf);
    expect(fb.count).toBe(300);
    expect(fb.baseSequence).toBe(65_400);
    const reference = fb.referenceTime * 64_000;
    const got = arrivals(fb).map((a) => (a === null ? null : reference + a));
    expect(got).toEqual(input.map((a) => (a === null ? null : Math.round(a / 250) * 250)));
  });

  it('reuses its arrays: a large feedback grows them, a later small one reads into them', () => {
    const fb = new TransportFeedback();
    const big = writeTransportFeedback({ baseSequence: 1, arrivalsUs: Array.from({ length: 1000 }, (_, i) => 64_000 + i * 1000) });
    expect(parseTransportFeedback(big, 0, big.length, fb)).toBe(true);
    const arrays = fb.received;
    const small = writeTransportFeedback({ baseSequence: 1001, arrivalsUs: [128_000, null] });
    expect(parseTransportFeedback(small, 0, small.length, fb)).toBe(true);
    expect(fb.received).toBe(arrays);
    expect(arrivals(fb)).toEqual([0, null]);
  });
});
