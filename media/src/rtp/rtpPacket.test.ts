import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';
import { absSendTime, findHeaderExtension, isRtcpPacket, parseRtp, seqNewer } from './rtpPacket.ts';

function serialize(options: {
  seq?: number;
  ts?: number;
  ssrc?: number;
  pt?: number;
  marker?: boolean;
  csrc?: number[];
  extensions?: { id: number; payload: Buffer }[];
  profile?: number;
  payload?: Buffer;
  padding?: number;
}): Buffer {
  const header = new RtpHeader({
    sequenceNumber: options.seq ?? 4660,
    timestamp: options.ts ?? 0xfedcba98,
    ssrc: options.ssrc ?? 0xdeadbeef,
    payloadType: options.pt ?? 96,
    marker: options.marker ?? false,
    csrc: options.csrc ?? [],
    extensions: options.extensions ?? [],
    extension: !!options.extensions?.length,
    extensionProfile: (options.profile ?? 0xbede) as never,
  });
  if (options.padding) {
    header.padding = true;
    header.paddingSize = options.padding;
  }
  return new RtpPacket(header, options.payload ?? Buffer.from('payload!')).serialize();
}

describe('RTP header view', () => {
  it('reads the fixed header in place', () => {
    const bytes = serialize({ marker: true, pt: 111 });
    const p = parseRtp(bytes, bytes.length)!;
    expect([p.sequenceNumber, p.timestamp, p.ssrc, p.payloadType, p.marker]).toEqual([4660, 0xfedcba98, 0xdeadbeef, 111, true]);
    expect([p.headerLength, p.payloadLength, p.paddingLength, p.extensionOffset]).toEqual([12, 8, 0, 0]);
    expect(p.payload.toString()).toBe('payload!');
    expect(p.buffer).toBe(bytes);
  });

  it('skips CSRCs and finds one-byte header extensions, whatever their order and padding', () => {
    const bytes = serialize({
      csrc: [1, 2, 3],
      extensions: [
        { id: 1, payload: Buffer.from('1') },
        { id: 3, payload: Buffer.from([0x85]) },
        { id: 14, payload: Buffer.from('sixteen-bytes-ok') },
      ],
    });
    const p = parseRtp(bytes, bytes.length)!;
    expect(p.headerLength).toBe(12 + 12 + 4 + 24);
    expect(p.getExtension(1)).toEqual(Buffer.from('1'));
    expect(p.getExtension(3)).toEqual(Buffer.from([0x85]));
    expect(p.getExtension(14)?.toString()).toBe('sixteen-bytes-ok');
    expect(p.getExtension(2)).toBeUndefined();
    expect(p.getExtension(15)).toBeUndefined();
    expect(p.payload.toString()).toBe('payload!');
  });

  it('finds two-byte header extensions (RFC 8285)', () => {
    const bytes = serialize({ profile: 0x1000, extensions: [{ id: 20, payload: Buffer.alloc(20, 7) }, { id: 2, payload: Buffer.from('x') }] });
    const p = parseRtp(bytes, bytes.length)!;
    expect(p.extensionProfile).toBe(0x1000);
    expect(p.getExtension(20)).toEqual(Buffer.alloc(20, 7));
    expect(p.getExtension(2)).toEqual(Buffer.from('x'));
    expect(p.payload.toString()).toBe('payload!');
  });

  it('stops at the reserved id 15 and at elements running past the block', () => {
    const bytes = Buffer.from('90600001' + '00000000' + '00000001' + 'bede0001' + 'f0' + '10' + '4142' + '5a5a', 'hex');
    const p = parseRtp(bytes, bytes.length)!;
    expect(p.findExtension(1)).toBe(-1);
    const truncated = Buffer.from('90600001' + '00000000' + '00000001' + 'bede0001' + '3f' + '414243', 'hex');
    expect(parseRtp(truncated, truncated.length)!.findExtension(3)).toBe(-1);
    expect(findHeaderExtension(bytes, 0, 0, 0xbede, 1)).toBe(-1);
  });

  it('separates trailing padding from the payload', () => {
    const bytes = serialize({ padding: 4 });
    const p = parseRtp(bytes, bytes.length)!;
    expect([p.padding, p.paddingLength, p.payloadLength]).toEqual([true, 4, 8]);
    expect(p.payload.toString()).toBe('payload!');
  });

  it('rejects what is not well-formed RTP', () => {
    const good = serialize({ csrc: [1], extensions: [{ id: 1, payload: Buffer.from('a') }] });
    expect(parseRtp(good, 11)).toBeNull(); // shorter than a header
    expect(parseRtp(good, 16)).toBeNull(); // CSRC list cut
    expect(parseRtp(good, 20)).toBeNull(); // extension cut
    const v1 = Buffer.from(good);
    v1[0] = (v1[0]! & 0x3f) | 0x40;
    expect(parseRtp(v1, v1.length)).toBeNull();
    const badPadding = serialize({ padding: 4 });
    badPadding[badPadding.length - 1] = 200;
    expect(parseRtp(badPadding, badPadding.length)).toBeNull();
    badPadding[badPadding.length - 1] = 0;
    expect(parseRtp(badPadding, badPadding.length)).toBeNull();
  });

  it('tells RTCP from RTP on a muxed port, compares sequence numbers across the wrap, and encodes abs-send-time', () => {
    expect(isRtcpPacket(Buffer.from([0x80, 200]))).toBe(true);
    expect(isRtcpPacket(Buffer.from([0x81, 205]))).toBe(true);
    expect(isRtcpPacket(Buffer.from([0x80, 96]))).toBe(false);
    expect(isRtcpPacket(Buffer.from([0x80, 0x80 | 96]))).toBe(false); // marker + PT 96
    expect(seqNewer(1, 65535)).toBe(true);
    expect(seqNewer(65535, 1)).toBe(false);
    expect(seqNewer(5, 5)).toBe(false);
    expect(absSendTime(1000)).toBe(262144); // 1 s in 6.18 fixed point
    expect(absSendTime(64_000)).toBe(0); // modulo 64 s
  });
});
