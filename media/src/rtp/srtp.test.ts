import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket, SrtcpSession, SrtpSession as WeriftSrtpSession } from 'werift';
import {
  deriveSessionKeys,
  HmacSha1,
  rtpHeaderLength,
  SRTP_AEAD_AES_128_GCM,
  SRTP_AES128_CM_HMAC_SHA1_80,
  SrtpContext,
  SrtpSession,
  SrtpStream,
  type SrtpProfile,
} from './srtp.ts';
import { xorInPlace } from './bytes.ts';

const PROFILES: [string, SrtpProfile][] = [
  ['AES_CM_128_HMAC_SHA1_80', SRTP_AES128_CM_HMAC_SHA1_80],
  ['AEAD_AES_128_GCM', SRTP_AEAD_AES_128_GCM],
];

function keysFor(profile: SrtpProfile) {
  const saltLength = profile === SRTP_AEAD_AES_128_GCM ? 12 : 14;
  return {
    localMasterKey: crypto.randomBytes(16),
    localMasterSalt: crypto.randomBytes(saltLength),
    remoteMasterKey: crypto.randomBytes(16),
    remoteMasterSalt: crypto.randomBytes(saltLength),
  };
}

/** Our session for one end and werift's for the other (keys mirrored). */
function pair(profile: SrtpProfile) {
  const k = keysFor(profile);
  const ours = new SrtpSession({ profile, ...k });
  const mirrored = {
    localMasterKey: k.remoteMasterKey,
    localMasterSalt: k.remoteMasterSalt,
    remoteMasterKey: k.localMasterKey,
    remoteMasterSalt: k.localMasterSalt,
  };
  const werift = new WeriftSrtpSession({ keys: mirrored, profile });
  const weriftRtcp = new SrtcpSession({ keys: mirrored, profile });
  return { ours, werift, weriftRtcp };
}

function rtp(opts: { seq: number; ssrc?: number; ts?: number; payload?: Buffer; extensions?: { id: number; payload: Buffer }[]; csrc?: number[] }) {
  const header = new RtpHeader({
    sequenceNumber: opts.seq,
    timestamp: opts.ts ?? opts.seq * 960,
    ssrc: opts.ssrc ?? 0x11223344,
    payloadType: 111,
    marker: true,
    csrc: opts.csrc ?? [],
    extensions: opts.extensions ?? [],
    extension: !!opts.extensions?.length,
  });
  return new RtpPacket(header, opts.payload ?? crypto.randomBytes(100 + (opts.seq % 1100)));
}

/** The packet in a buffer with room for a tag. */
function withRoom(packet: Buffer, room = 32): Buffer {
  const buf = Buffer.alloc(packet.length + room);
  packet.copy(buf);
  return buf;
}

describe('SrtpContext', () => {
  it('derives the RFC 3711 appendix B.3 session keys', () => {
    const masterKey = Buffer.from('E1F97A0D3E018BE0D64FA32C06DE4139', 'hex');
    const masterSalt = Buffer.from('0EC675AD498AFEEBB6960B3AABE6', 'hex');
    const keys = deriveSessionKeys(SRTP_AES128_CM_HMAC_SHA1_80, masterKey, masterSalt);
    expect(keys.rtpKey.toString('hex')).toBe('c61e7a93744f39ee10734afe3ff7a087');
    expect(keys.rtpSalt.toString('hex')).toBe('30cbbc08863d8c85d49db34a9ae1');
    expect(keys.rtpAuthKey.toString('hex')).toBe('cebe321f6ff7716b6fd4ab49af256a156d38baa4');
  });

  it('computes HMAC-SHA1 like createHmac, with and without the ROC', () => {
    const key = crypto.randomBytes(20);
    const h = new HmacSha1(key);
    for (const n of [0, 1, 63, 64, 65, 1200, 1600]) {
      const data = crypto.randomBytes(n + 7);
      const out = Buffer.alloc(20);
      h.sign(data, 3, 3 + n, true, 0xdeadbeef, out, 0, 20);
      const roc = Buffer.from('deadbeef', 'hex');
      expect(out).toEqual(crypto.createHmac('sha1', key).update(data.subarray(3, 3 + n)).update(roc).digest());
      h.sign(data, 3, 3 + n, false, 0, out, 0, 10);
      expect(out.subarray(0, 10)).toEqual(crypto.createHmac('sha1', key).update(data.subarray(3, 3 + n)).digest().subarray(0, 10));
    }
  });

  it('XORs aligned and unaligned spans alike', () => {
    for (const offset of [0, 1, 2, 3, 4, 12]) {
      for (const length of [0, 1, 15, 16, 17, 100, 1103]) {
        const data = crypto.randomBytes(offset + length + 3);
        const ks = crypto.randomBytes(length + 16);
        const expected = Buffer.from(data);
        for (let i = 0; i < length; i++) expected[offset + i] = expected[offset + i]! ^ ks[i]!;
        xorInPlace(data, offset, ks, length);
        expect(data).toEqual(expected);
      }
    }
  });

  it('finds the payload after CSRCs and header extensions', () => {
    const plain = rtp({ seq: 1, csrc: [1, 2], extensions: [{ id: 1, payload: Buffer.from('abc') }] }).serialize();
    // 12 fixed + 8 CSRC + 4 extension header + 4 extension data ("abc" + id byte, padded).
    expect(rtpHeaderLength(plain, plain.length)).toBe(28);
    expect(rtpHeaderLength(plain, 20)).toBe(-1);
    expect(rtpHeaderLength(Buffer.alloc(12), 12)).toBe(-1); // version 0
  });

  it('tracks the rollover counter across a wrap and for late packets', () => {
    const s = new SrtpStream(1);
    expect(s.guessRoc(65534)).toBe(0);
    s.update(65534, 0);
    expect(s.guessRoc(65535)).toBe(0);
    s.update(65535, 0);
    expect(s.guessRoc(0)).toBe(1);
    s.update(0, 1);
    expect(s.guessRoc(65533)).toBe(0); // late packet from before the wrap
    s.update(65533, 0);
    expect([s.roc, s.highestSeq]).toEqual([1, 0]);
    const fresh = new SrtpStream(2);
    fresh.update(10, 0);
    expect(fresh.guessRoc(60000)).toBe(-1); // before the stream began: rejected
  });

  describe.each(PROFILES)('%s', (_name, profile) => {
    it('round-trips RTP and RTCP through its own contexts', () => {
      const k = keysFor(profile);
      const sender = new SrtpContext(profile, k.localMasterKey, k.localMasterSalt);
      const receiver = new SrtpContext(profile, k.localMasterKey, k.localMasterSalt);
      for (const seq of [65530, 65531, 65535, 0, 1, 2]) {
        const plain = rtp({ seq, extensions: [{ id: 3, payload: Buffer.from([0x9a]) }] }).serialize();
        const buf = withRoom(plain);
        const headerLength = rtpHeaderLength(plain, plain.length);
        const protectedLength = sender.protectRtp(buf, headerLength, plain.length);
        expect(protectedLength).toBe(plain.length + sender.tagLength);
        expect(buf.subarray(headerLength, plain.length).equals(plain.subarray(headerLength))).toBe(false);
        expect(receiver.unprotectRtp(buf, protectedLength)).toBe(plain.length);
        expect(buf.subarray(0, plain.length)).toEqual(plain);
      }
      const rr = Buffer.from('81c90007deadbeef' + '11223344'.repeat(6), 'hex');
      const buf = withRoom(rr);
      const n = sender.protectRtcp(buf, rr.length);
      expect(n).toBe(rr.length + sender.rtcpTrailerLength);
      expect(receiver.unprotectRtcp(buf, n)).toBe(rr.length);
      expect(buf.subarray(0, rr.length)).toEqual(rr);
    });

    it('rejects tampered and wrongly keyed packets', () => {
      const k = keysFor(profile);
      const sender = new SrtpContext(profile, k.localMasterKey, k.localMasterSalt);
      const receiver = new SrtpContext(profile, k.localMasterKey, k.localMasterSalt);
      const stranger = new SrtpContext(profile, k.remoteMasterKey, k.remoteMasterSalt);
      const plain = rtp({ seq: 7 }).serialize();
      const buf = withRoom(plain);
      const n = sender.protectRtp(buf, 12, plain.length);
      const copy = Buffer.from(buf);
      expect(stranger.unprotectRtp(copy, n)).toBe(-1);
      buf[20] = buf[20]! ^ 1;
      expect(receiver.unprotectRtp(buf, n)).toBe(-1);
      expect(receiver.unprotectRtp(Buffer.alloc(5), 5)).toBe(-1);
    });

    it('interoperates with werift: ours protects, werift unprotects, and back', () => {
      const { ours, werift, weriftRtcp } = pair(profile);
      // Across a sequence-number wrap, with CSRCs, extensions and padding-free payloads of many sizes.
      const seqs = [65533, 65534, 65535, 0, 1, 2, 3];
      for (const seq of seqs) {
        const packet = rtp({ seq, csrc: seq === 1 ? [0xabcdef] : [], extensions: [{ id: 1, payload: Buffer.from('0') }, { id: 3, payload: Buffer.from([0x85]) }] });
        const plain = packet.serialize();
        const buf = withRoom(plain);
        const n = ours.local.protectRtp(buf, rtpHeaderLength(plain, plain.length), plain.length);
        const decrypted = werift.decrypt(buf.subarray(0, n));
        expect(decrypted.subarray(0, plain.length)).toEqual(plain);
      }
      for (const seq of seqs) {
        const packet = rtp({ seq, ssrc: 0x55667788, extensions: seq % 2 ? [{ id: 2, payload: Buffer.from([1, 2, 3]) }] : [] });
        const enc = werift.encrypt(packet.payload, packet.header);
        const buf = withRoom(enc);
        const n = ours.remote.unprotectRtp(buf, enc.length);
        expect(n).toBeGreaterThan(0);
        expect(buf.subarray(0, n)).toEqual(packet.serialize());
      }
      // RTCP both ways (a compound SR + SDES).
      const compound = Buffer.from('80c8000611223344' + '00'.repeat(20) + '81ca0003112233440103616263000000', 'hex');
      const buf = withRoom(compound);
      const n = ours.local.protectRtcp(buf, compound.length);
      expect(weriftRtcp.decrypt(buf.subarray(0, n))).toEqual(compound);
      const fromWerift = weriftRtcp.encrypt(compound);
      const back = withRoom(fromWerift);
      expect(ours.remote.unprotectRtcp(back, fromWerift.length)).toBe(compound.length);
      expect(back.subarray(0, compound.length)).toEqual(compound);
    });
  });
});
