import { describe, expect, it } from 'vitest';
import { mediaPacket } from '../testing/fakes.ts';
import { rtxPayloadTypes, unwrapRtx, wrapRtx } from './rtx.ts';

describe('RTX (RFC 4588)', () => {
  it('wraps a packet with its original sequence number and unwraps it back', () => {
    const original = mediaPacket({
      sequenceNumber: 4242,
      timestamp: 90000,
      marker: true,
      payload: Buffer.from('hello video'),
      headerExtensions: [{ id: 1, payload: Buffer.from('0') }],
    });
    const rtx = wrapRtx(original, 65000);
    expect(rtx.payload.readUInt16BE(0)).toBe(65000);
    expect(rtx.payload.subarray(2).toString()).toBe('hello video');
    expect(rtx.findExtension(1)).toBeGreaterThan(0);

    const back = unwrapRtx(rtx, 0xfeedbeef, 96);
    expect(back).not.toBeNull();
    expect([back!.sequenceNumber, back!.ssrc, back!.payloadType, back!.timestamp, back!.marker]).toEqual([65000, 0xfeedbeef, 96, 90000, true]);
    expect(back!.payload.toString()).toBe('hello video');
  });

  it('refuses an RTX packet without an original sequence number (padding probe)', () => {
    expect(unwrapRtx(mediaPacket({ payload: Buffer.from([1]) }), 1, 96)).toBeNull();
  });

  it('maps RTX payload types to the ones they repair', () => {
    const map = rtxPayloadTypes({
      96: { payloadType: 96, mimeType: 'video/VP8' },
      97: { payloadType: 97, mimeType: 'video/rtx', parameters: 'apt=96' },
      99: { payloadType: 99, mimeType: 'video/RTX', parameters: 'rtx-time=3000;apt=98' },
    });
    expect([...map!]).toEqual([
      [97, 96],
      [99, 98],
    ]);
    expect(rtxPayloadTypes({ 111: { payloadType: 111, mimeType: 'audio/opus' } })).toBeUndefined();
  });
});
