/**
 * SRTP/SRTCP (RFC 3711, RFC 7714) for the SFU's packet path, built from the
 * keys werift's DTLS handshake exports. Compared with werift's SrtpSession it
 * works in place on the packet buffer, keeps one AES-ECB cipher per key and
 * computes the AES-CM keystream of several packets per call, authenticates
 * with two one-shot SHA-1 calls returning strings instead of a new HMAC object
 * per packet, and moves packet data in 32-bit words: in Node the per-call and
 * per-allocation overhead, not AES or SHA-1 themselves, is what a packet costs.
 *
 * Profiles: AES_CM_128_HMAC_SHA1_80 (0x0001) and AEAD_AES_128_GCM (0x0007).
 * GCM needs a new Node cipher per packet (the IV is bound at creation), so it
 * costs about twice as much here; see srtpProfilesFor.
 *
 * Buffers: protect*() needs `tagLength` (RTCP: `rtcpTrailerLength`) bytes of
 * room after the packet; unprotect*() returns the plaintext length (or -1 when
 * the packet does not authenticate) and leaves the plaintext in place.
 *
 * The generic byte and word helpers used here (u32, wordView, copyBytes,
 * xorBytes, …) are in bytes.ts: other parts of the packet path use them too.
 */
import crypto from 'node:crypto';
import { nativePacket, type NativeSrtpKeys } from './nativePacket.ts';
import { copyBytes, memoryOrder, PrefixViews, u32, wordView, xorBytes } from './bytes.ts';

export const SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001;
export const SRTP_AEAD_AES_128_GCM = 0x0007;
export type SrtpProfile = typeof SRTP_AES128_CM_HMAC_SHA1_80 | typeof SRTP_AEAD_AES_128_GCM;

/**
 * The DTLS-SRTP profiles the packet path asks for, cheapest first. AES-CM
 * costs about half of GCM per packet here (GCM needs a new Node cipher and
 * output buffers per packet; AES-CM reuses one cipher and batches keystream).
 * The DTLS server's preference decides (browsers prefer GCM), so as a DTLS
 * client the SFU offers AES-CM alone; as a server it also accepts GCM from a
 * peer that offers nothing else. RFC 8827 makes AES_CM_128_HMAC_SHA1_80
 * mandatory for every WebRTC endpoint.
 */
export function srtpProfilesFor(role: 'client' | 'server'): SrtpProfile[] {
  return role === 'client' ? [SRTP_AES128_CM_HMAC_SHA1_80] : [SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM];
}

export function srtpMasterKeyLength(_profile: SrtpProfile): number {
  return 16;
}

export function srtpMasterSaltLength(profile: SrtpProfile): number {
  return profile === SRTP_AEAD_AES_128_GCM ? 12 : 14;
}

export function srtpProfileName(profile: number): string {
  if (profile === SRTP_AES128_CM_HMAC_SHA1_80) return 'AES_CM_128_HMAC_SHA1_80';
  if (profile === SRTP_AEAD_AES_128_GCM) return 'AEAD_AES_128_GCM';
  return `unknown(${profile})`;
}

/** Largest packet handled; anything longer is dropped (the path MTU is far below). */
export const MAX_PACKET = 1600;

const SRTCP_INDEX_MASK = 0x7fffffff;

// ---------------------------------------------------------------- primitives

function ecb(key: Buffer): crypto.Cipher {
  const cipher = crypto.createCipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  return cipher;
}

/** RFC 3711 §4.3.3 key derivation (AES-CM PRF, key derivation rate 0). */
export function deriveSrtpKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const blocks = Math.ceil(length / 16);
  const input = Buffer.alloc(blocks * 16);
  for (let b = 0; b < blocks; b++) {
    // x = master salt XOR (label << 48), padded to 112 bits; the block counter in the low 16 bits.
    masterSalt.copy(input, b * 16, 0, Math.min(14, masterSalt.length));
    input[b * 16 + 7]! ^= label;
    input.writeUInt16BE(b, b * 16 + 14);
  }
  return ecb(masterKey).update(input).subarray(0, length);
}

type OneShotHash = (algorithm: string, data: Buffer, encoding: 'latin1') => string;

/**
 * crypto.hash (Node 20.12+) returning a latin1 string: no Buffer is allocated
 * for the digest, which is most of what a small hash costs in Node.
 */
const hashLatin1: OneShotHash | undefined = (() => {
  const candidate = (crypto as unknown as { hash?: OneShotHash }).hash;
  if (typeof candidate !== 'function') return undefined;
  try {
    const probe = candidate('sha1', Buffer.from('abc'), 'latin1');
    return typeof probe === 'string' && Buffer.from(probe, 'latin1').toString('hex') === 'a9993e364706816aba3e25717850c26c9cd0d89d'
      ? candidate
      : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * Scratch shared by every HmacSha1 (the packet path is synchronous on one
 * thread): the ipad key, then a packet and its ROC. Shared, so that the views
 * of it by length (PrefixViews) stay few and live long.
 */
const hmacInner = Buffer.alloc(64 + MAX_PACKET + 8);
const hmacInnerWords = new Int32Array(hmacInner.buffer, hmacInner.byteOffset, hmacInner.length >> 2);
const hmacInnerViews = new PrefixViews();
const hmacHeadroomViews = new PrefixViews();

/**
 * HMAC-SHA1 as two one-shot hashes (RFC 2104) with string digests: about half
 * the cost of a createHmac object per packet. Falls back to createHmac where
 * crypto.hash is missing (Node < 20.12).
 */
export class HmacSha1 {
  readonly #key: Buffer;
  /** The ipad key (64 bytes), copied in front of the data for each MAC. */
  readonly #ipad = Buffer.alloc(64);
  readonly #ipadWords = new Int32Array(this.#ipad.buffer, this.#ipad.byteOffset, 16);
  /** opad-key, then the inner digest. */
  readonly #outer = Buffer.alloc(64 + 20);
  readonly #scratch = Buffer.alloc(20);

  constructor(key: Buffer) {
    this.#key = Buffer.from(key);
    const k = key.length > 64 ? crypto.createHash('sha1').update(key).digest() : key;
    this.#ipad.fill(0x36, 0, 64);
    this.#outer.fill(0x5c, 0, 64);
    for (let i = 0; i < k.length; i++) {
      this.#ipad[i]! ^= k[i]!;
      this.#outer[i]! ^= k[i]!;
    }
  }

  /** The MAC of data[start, end) (+ ROC) as a latin1 string of 20 characters. */
  #mac(data: Buffer, dataWords: Int32Array | null, start: number, end: number, withRoc: boolean, roc: number): string {
    const n = end - start;
    if (hashLatin1 && n <= MAX_PACKET) {
      const inner = hmacInner;
      const ipad = this.#ipadWords;
      for (let w = 0; w < 16; w++) hmacInnerWords[w] = ipad[w]!;
      copyBytes(inner, hmacInnerWords, 64, data, dataWords, start, n);
      let total = 64 + n;
      if (withRoc) {
        inner[total] = roc >>> 24;
        inner[total + 1] = roc >>> 16;
        inner[total + 2] = roc >>> 8;
        inner[total + 3] = roc;
        total += 4;
      }
      return this.#outer2(hashLatin1('sha1', hmacInnerViews.get(inner, 0, total), 'latin1'));
    }
    const hmac = crypto.createHmac('sha1', this.#key).update(data.subarray(start, end));
    if (withRoc) {
      const rocBytes = this.#scratch;
      rocBytes.writeUInt32BE(roc >>> 0, 0);
      hmac.update(rocBytes.subarray(0, 4));
    }
    return hmac.digest('binary'); // latin1
  }

  #outer2(innerDigest: string): string {
    const outer = this.#outer;
    for (let i = 0; i < 20; i++) outer[64 + i] = innerDigest.charCodeAt(i);
    return hashLatin1!('sha1', outer, 'latin1');
  }

  /**
   * HMAC over buf[start, end) + ROC where buf[start - 64, start) is free for
   * the MAC's use (the ipad key is written there, and the ROC at buf[end…]):
   * no copy of the packet. Writes the first 10 bytes of the MAC at buf[end…].
   */
  signWithHeadroom(buf: Buffer, bufWords: Int32Array | null, start: number, end: number, roc: number): void {
    if (!hashLatin1 || start < 64 || end - start > MAX_PACKET) {
      this.sign(buf, start, end, true, roc, buf, end, 10);
      return;
    }
    copyBytes(buf, bufWords, start - 64, this.#ipad, this.#ipadWords, 0, 64);
    buf[end] = roc >>> 24;
    buf[end + 1] = roc >>> 16;
    buf[end + 2] = roc >>> 8;
    buf[end + 3] = roc;
    const mac = this.#outer2(hashLatin1('sha1', hmacHeadroomViews.get(buf, start - 64, end + 4), 'latin1'));
    for (let i = 0; i < 10; i++) buf[end + i] = mac.charCodeAt(i);
  }

  /**
   * HMAC over data[start, end) followed by `roc` as 4 big-endian bytes when
   * `withRoc`; writes the first `length` bytes of the MAC to out[outOffset…].
   */
  sign(data: Buffer, start: number, end: number, withRoc: boolean, roc: number, out: Buffer, outOffset: number, length: number): void {
    const mac = this.#mac(data, null, start, end, withRoc, roc);
    for (let i = 0; i < length; i++) out[outOffset + i] = mac.charCodeAt(i);
  }

  /** True when the MAC of data[start, end) (+ ROC) matches data[tagOffset, tagOffset + length). */
  verify(data: Buffer, dataWords: Int32Array | null, start: number, end: number, withRoc: boolean, roc: number, tagOffset: number, length: number): boolean {
    const mac = this.#mac(data, dataWords, start, end, withRoc, roc);
    let diff = 0;
    for (let i = 0; i < length; i++) diff |= mac.charCodeAt(i) ^ data[tagOffset + i]!;
    return diff === 0;
  }
}

/** Packets whose AES-CM keystream is computed per cipher call (see KeystreamCache). */
const KEYSTREAM_BATCH = 16;

/**
 * AES-CM keystream for the next packets of one SSRC, computed in one cipher
 * call: each packet's IV follows from its index (ROC, SEQ), and an SFU's
 * streams are sequential, so one call serves KEYSTREAM_BATCH packets and the
 * per-call cost of Node's crypto is spread over them. A packet outside the
 * batch (loss, reordering, a jump) or longer than a slot starts a new batch.
 */
export class KeystreamCache {
  readonly #cipher: crypto.Cipher;
  /** Counter words 0 and 1 (salt, salt ^ SSRC), in memory order. */
  readonly #w0: number;
  readonly #w1: number;
  readonly #salt8: number;
  readonly #salt12: number;
  #first = -1;
  #count = 0;
  #slotBytes = 0;
  keystream: Buffer = Buffer.alloc(0);
  keystreamWords: Int32Array | null = null;
  #counters = Buffer.alloc(0);
  #words = new Int32Array(0);
  /** The slot size #words was laid out for (words 0 and 1 of every block are fixed). */
  #layout = 0;

  constructor(cipher: crypto.Cipher, salt: Buffer, ssrc: number) {
    this.#cipher = cipher;
    // IV = (salt << 16) XOR (ssrc << 64) XOR (index << 16): words 0 and 1 are fixed per SSRC.
    this.#w0 = memoryOrder(u32(salt, 0));
    this.#w1 = memoryOrder((u32(salt, 4) ^ ssrc) >>> 0);
    this.#salt8 = u32(salt, 8);
    this.#salt12 = (salt[12]! << 8) | salt[13]!;
  }

  /**
   * Returns the byte offset in `keystream` where the keystream of packet
   * (roc, seq) starts, with at least `length` bytes; refills if needed.
   */
  lookup(roc: number, seq: number, length: number): number {
    const index = roc * 65536 + seq;
    const slot = index - this.#first;
    if (slot >= 0 && slot < this.#count && length <= this.#slotBytes) return slot * this.#slotBytes;
    this.#fill(index, Math.max(length, this.#slotBytes));
    return 0;
  }

  #fill(first: number, length: number): void {
    const slotBytes = Math.min(MAX_PACKET, (length + 15) & ~15);
    const blocksPerSlot = slotBytes >> 4;
    const count = KEYSTREAM_BATCH;
    const bytes = count * slotBytes;
    if (this.#layout !== slotBytes) {
      this.#counters = Buffer.alloc(bytes);
      const counters = this.#counters;
      this.#words = new Int32Array(counters.buffer, counters.byteOffset, bytes >> 2);
      for (let w = 0; w < bytes >> 2; w += 4) {
        this.#words[w] = this.#w0;
        this.#words[w + 1] = this.#w1;
      }
      this.#layout = slotBytes;
    }
    const words = this.#words;
    let w = 2;
    for (let p = 0; p < count; p++) {
      const index = first + p;
      const roc = Math.floor(index / 65536);
      const w2 = memoryOrder((this.#salt8 ^ roc) >>> 0);
      // Word 3: (salt ^ SEQ) in the high half, the block counter in the low half.
      const high = ((this.#salt12 ^ (index & 0xffff)) << 16) >>> 0;
      for (let b = 0; b < blocksPerSlot; b++) {
        words[w] = w2;
        words[w + 1] = memoryOrder((high | b) >>> 0);
        w += 4;
      }
    }
    this.keystream = this.#cipher.update(this.#counters);
    this.keystreamWords = wordView(this.keystream);
    this.#first = first;
    this.#count = count;
    this.#slotBytes = slotBytes;
  }
}

// ---------------------------------------------------------------- RTP header helpers

/** Length of the RTP header (fixed part, CSRCs, extension) of a packet, or -1 if malformed. */
export function rtpHeaderLength(buf: Buffer, length: number): number {
  if (length < 12 || buf[0]! >> 6 !== 2) return -1;
  let offset = 12 + (buf[0]! & 0x0f) * 4;
  if (buf[0]! & 0x10) {
    if (offset + 4 > length) return -1;
    offset += 4 + ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
  }
  return offset <= length ? offset : -1;
}

// ---------------------------------------------------------------- per-SSRC state

/** Rollover state of one SSRC in one direction (RFC 3711 §3.3.1). */
export class SrtpStream {
  readonly ssrc: number;
  roc = 0;
  /** Highest sequence number seen (s_l), or -1 before the first packet. */
  highestSeq = -1;
  /** AES-CM keystream of the next packets (set by the context on first use). */
  keystream?: KeystreamCache;

  constructor(ssrc: number) {
    this.ssrc = ssrc;
  }

  /** The ROC the packet with `seq` belongs to, or -1 if it would be before the stream's start. */
  guessRoc(seq: number): number {
    const sl = this.highestSeq;
    if (sl < 0) return this.roc;
    if (sl < 32768) return seq - sl > 32768 ? this.roc - 1 : this.roc;
    return sl - 32768 > seq ? this.roc + 1 : this.roc;
  }

  /** Records a packet that was sent or authenticated with `roc`. */
  update(seq: number, roc: number): void {
    if (this.highestSeq < 0 || roc > this.roc || (roc === this.roc && seq > this.highestSeq)) {
      this.roc = roc;
      this.highestSeq = seq;
    }
  }
}

// ---------------------------------------------------------------- context

/** The session keys and salts derived for one direction. */
export interface SrtpSessionKeys {
  rtpKey: Buffer;
  rtpSalt: Buffer;
  rtpAuthKey: Buffer;
  rtcpKey: Buffer;
  rtcpSalt: Buffer;
  rtcpAuthKey: Buffer;
}

export function deriveSessionKeys(profile: SrtpProfile, masterKey: Buffer, masterSalt: Buffer): SrtpSessionKeys {
  // RFC 7714 §11: a 96-bit master salt is used as the low-padded 112-bit KDF input.
  const salt = Buffer.alloc(14);
  masterSalt.copy(salt, 0, 0, Math.min(14, masterSalt.length));
  const saltLength = profile === SRTP_AEAD_AES_128_GCM ? 12 : 14;
  return {
    rtpKey: deriveSrtpKey(masterKey, salt, 0, 16),
    rtpAuthKey: deriveSrtpKey(masterKey, salt, 1, 20),
    rtpSalt: deriveSrtpKey(masterKey, salt, 2, 14).subarray(0, saltLength),
    rtcpKey: deriveSrtpKey(masterKey, salt, 3, 16),
    rtcpAuthKey: deriveSrtpKey(masterKey, salt, 4, 20),
    rtcpSalt: deriveSrtpKey(masterKey, salt, 5, 14).subarray(0, saltLength),
  };
}

/**
 * One direction of an SRTP session: the local context protects what we send,
 * the remote context unprotects what we receive. Not shared between
 * directions (each keeps its own per-SSRC rollover state).
 */
export class SrtpContext {
  readonly profile: SrtpProfile;
  /** Bytes appended to an RTP packet by protectRtp. */
  readonly tagLength: number;
  /** Bytes appended to an RTCP packet by protectRtcp (index + tag). */
  readonly rtcpTrailerLength: number;
  readonly #gcm: boolean;
  readonly #keys: SrtpSessionKeys;
  // AES-CM
  readonly #rtpEcb?: crypto.Cipher;
  readonly #rtcpEcb?: crypto.Cipher;
  readonly #rtpAuth?: HmacSha1;
  readonly #rtcpAuth?: HmacSha1;
  /** The RTP keys in the native packet path, when it is built (AES-CM only). */
  readonly #native?: NativeSrtpKeys;
  /** Counter blocks for an RTCP packet's keystream. */
  readonly #counters = Buffer.alloc(MAX_PACKET + 16);
  // GCM
  readonly #iv = Buffer.alloc(12);
  readonly #aad = Buffer.alloc(12);
  readonly #streams = new Map<number, SrtpStream>();
  /** The last stream looked up: one SSRC usually sends many packets in a row. */
  #lastStream?: SrtpStream;
  #srtcpIndex = 0;

  /** `native: false` keeps RTP on the JS path even when the addon is built (tests compare the two). */
  constructor(profile: SrtpProfile, masterKey: Buffer, masterSalt: Buffer, options: { native?: boolean } = {}) {
    if (profile !== SRTP_AES128_CM_HMAC_SHA1_80 && profile !== SRTP_AEAD_AES_128_GCM) {
      throw new Error(`unsupported SRTP profile ${profile}`);
    }
    if (masterKey.length !== 16) throw new Error(`SRTP master key must be 16 bytes, got ${masterKey.length}`);
    this.profile = profile;
    this.#gcm = profile === SRTP_AEAD_AES_128_GCM;
    this.tagLength = this.#gcm ? 16 : 10;
    this.rtcpTrailerLength = this.tagLength + 4;
    this.#keys = deriveSessionKeys(profile, masterKey, masterSalt);
    if (!this.#gcm) {
      this.#rtpEcb = ecb(this.#keys.rtpKey);
      this.#rtcpEcb = ecb(this.#keys.rtcpKey);
      this.#rtpAuth = new HmacSha1(this.#keys.rtpAuthKey);
      this.#rtcpAuth = new HmacSha1(this.#keys.rtcpAuthKey);
      if (nativePacket && options.native !== false) this.#native = nativePacket.srtpKeys(this.#keys.rtpKey, this.#keys.rtpSalt, this.#keys.rtpAuthKey);
    }
  }

  /** Whether RTP is protected by the native packet path (else JS). */
  get native(): boolean {
    return this.#native !== undefined;
  }

  /** The rollover state of `ssrc`, created on first use. Callers may keep it. */
  stream(ssrc: number): SrtpStream {
    const last = this.#lastStream;
    if (last !== undefined && last.ssrc === ssrc) return last;
    let s = this.#streams.get(ssrc);
    if (s === undefined) {
      s = new SrtpStream(ssrc);
      this.#streams.set(ssrc, s);
    }
    this.#lastStream = s;
    return s;
  }

  /**
   * Protects the RTP packet buf[0, length) in place and appends the tag;
   * `headerLength` is where the payload starts. Returns the SRTP length.
   */
  protectRtp(buf: Buffer, headerLength: number, length: number, stream?: SrtpStream): number {
    const words = wordView(buf);
    return this.protectRtpFrom(buf, words, 0, headerLength, buf, words, headerLength, length - headerLength, stream);
  }

  /**
   * Protects a packet built at out[offset…]: its header (`headerLength`
   * bytes) is already there, its body (payload and padding) is taken from
   * src[srcAt, srcAt + bodyLength) and written encrypted after the header, in
   * one pass (src may be out itself). With offset >= 64 the 64 bytes before
   * the packet are scratch space for the MAC, which then needs no copy.
   * Word views (wordView) make the pass run in 32-bit words. Returns the SRTP length.
   */
  protectRtpFrom(
    out: Buffer,
    outWords: Int32Array | null,
    offset: number,
    headerLength: number,
    src: Buffer,
    srcWords: Int32Array | null,
    srcAt: number,
    bodyLength: number,
    stream?: SrtpStream,
  ): number {
    const ssrc = u32(out, offset + 8);
    const seq = (out[offset + 2]! << 8) | out[offset + 3]!;
    const s = stream ?? this.stream(ssrc);
    const roc = s.guessRoc(seq);
    s.update(seq, roc);
    const bodyAt = offset + headerLength;
    const length = headerLength + bodyLength;
    const end = offset + length;
    if (this.#gcm) {
      if (src !== out || srcAt !== bodyAt) copyBytes(out, outWords, bodyAt, src, srcWords, srcAt, bodyLength);
      const cipher = crypto.createCipheriv('aes-128-gcm', this.#keys.rtpKey, this.#rtpIv(ssrc, roc, seq));
      cipher.setAAD(out.subarray(offset, bodyAt));
      const enc = cipher.update(out.subarray(bodyAt, end));
      cipher.final();
      enc.copy(out, bodyAt);
      cipher.getAuthTag().copy(out, end);
      return length + 16;
    }
    if (this.#native !== undefined) return nativePacket!.srtpProtect(this.#native, out, offset, headerLength, src, srcAt, bodyLength, roc);
    if (bodyLength > 0) {
      const cache = (s.keystream ??= new KeystreamCache(this.#rtpEcb!, this.#keys.rtpSalt, ssrc));
      const at = cache.lookup(roc, seq, bodyLength);
      xorBytes(out, outWords, bodyAt, src, srcWords, srcAt, cache.keystream, cache.keystreamWords, at, bodyLength);
    }
    if (offset >= 64) this.#rtpAuth!.signWithHeadroom(out, outWords, offset, end, roc);
    else this.#rtpAuth!.sign(out, offset, end, true, roc, out, end, 10);
    return length + 10;
  }

  /**
   * Authenticates and decrypts the SRTP packet buf[0, length) in place.
   * Returns the RTP length (without tag), or -1 if it does not authenticate.
   * `words` (wordView(buf)) lets it work in 32-bit words.
   */
  unprotectRtp(buf: Buffer, length: number, words: Int32Array | null = wordView(buf)): number {
    const end = length - this.tagLength;
    const headerLength = rtpHeaderLength(buf, end);
    if (headerLength < 0) return -1;
    const ssrc = u32(buf, 8);
    const seq = (buf[2]! << 8) | buf[3]!;
    const s = this.stream(ssrc);
    const roc = s.guessRoc(seq);
    if (roc < 0) return -1;
    if (this.#gcm) {
      const decipher = crypto.createDecipheriv('aes-128-gcm', this.#keys.rtpKey, this.#rtpIv(ssrc, roc, seq));
      decipher.setAAD(buf.subarray(0, headerLength));
      decipher.setAuthTag(buf.subarray(end, length));
      const dec = decipher.update(buf.subarray(headerLength, end));
      try {
        decipher.final();
      } catch {
        return -1;
      }
      dec.copy(buf, headerLength);
    } else if (this.#native !== undefined) {
      if (nativePacket!.srtpUnprotect(this.#native, buf, headerLength, length, roc) < 0) return -1;
    } else {
      if (!this.#rtpAuth!.verify(buf, words, 0, end, true, roc, end, 10)) return -1;
      const bodyLength = end - headerLength;
      if (bodyLength > 0) {
        const cache = (s.keystream ??= new KeystreamCache(this.#rtpEcb!, this.#keys.rtpSalt, ssrc));
        const at = cache.lookup(roc, seq, bodyLength);
        xorBytes(buf, words, headerLength, buf, words, headerLength, cache.keystream, cache.keystreamWords, at, bodyLength);
      }
    }
    s.update(seq, roc);
    return end;
  }

  /** Protects the (compound) RTCP packet buf[0, length) in place; returns the SRTCP length. */
  protectRtcp(buf: Buffer, length: number): number {
    const ssrc = u32(buf, 4);
    this.#srtcpIndex = (this.#srtcpIndex + 1) & SRTCP_INDEX_MASK;
    const index = this.#srtcpIndex;
    if (this.#gcm) {
      const aad = this.#aad;
      buf.copy(aad, 0, 0, 8);
      aad.writeUInt32BE((index | 0x80000000) >>> 0, 8);
      const cipher = crypto.createCipheriv('aes-128-gcm', this.#keys.rtcpKey, this.#rtcpIv(ssrc, index));
      cipher.setAAD(aad);
      const enc = cipher.update(buf.subarray(8, length));
      cipher.final();
      enc.copy(buf, 8);
      cipher.getAuthTag().copy(buf, length);
      buf.writeUInt32BE((index | 0x80000000) >>> 0, length + 16);
      return length + 20;
    }
    this.#rtcpCtr(ssrc, index, buf, 8, length - 8);
    buf.writeUInt32BE((index | 0x80000000) >>> 0, length);
    this.#rtcpAuth!.sign(buf, 0, length + 4, false, 0, buf, length + 4, 10);
    return length + 14;
  }

  /** Authenticates and decrypts an SRTCP packet in place; returns the RTCP length or -1. */
  unprotectRtcp(buf: Buffer, length: number): number {
    const end = length - this.rtcpTrailerLength;
    if (end < 8) return -1;
    const ssrc = u32(buf, 4);
    if (this.#gcm) {
      const word = u32(buf, length - 4);
      const encrypted = word >>> 31 === 1;
      const index = word & SRTCP_INDEX_MASK;
      const aad = encrypted
        ? Buffer.concat([buf.subarray(0, 8), buf.subarray(length - 4, length)])
        : Buffer.concat([buf.subarray(0, end), buf.subarray(length - 4, length)]);
      const decipher = crypto.createDecipheriv('aes-128-gcm', this.#keys.rtcpKey, this.#rtcpIv(ssrc, index));
      decipher.setAAD(aad);
      decipher.setAuthTag(buf.subarray(end, end + 16));
      const dec = decipher.update(encrypted ? buf.subarray(8, end) : Buffer.alloc(0));
      try {
        decipher.final();
      } catch {
        return -1;
      }
      if (encrypted) dec.copy(buf, 8);
      return end;
    }
    if (!this.#rtcpAuth!.verify(buf, null, 0, length - 10, false, 0, length - 10, 10)) return -1;
    const word = u32(buf, end);
    if (word >>> 31 === 1) this.#rtcpCtr(ssrc, word & SRTCP_INDEX_MASK, buf, 8, end - 8);
    return end;
  }

  /** AES-CM for RTCP: XORs the keystream of (ssrc, srtcp index) into buf[offset, offset + length). */
  #rtcpCtr(ssrc: number, index: number, buf: Buffer, offset: number, length: number): void {
    if (length <= 0) return;
    const salt = this.#keys.rtcpSalt;
    const blocks = (length + 15) >> 4;
    const counters = blocks * 16 <= this.#counters.length ? this.#counters : Buffer.alloc(blocks * 16);
    const roc = index >>> 16;
    const seq = index & 0xffff;
    for (let b = 0, o = 0; b < blocks; b++, o += 16) {
      salt.copy(counters, o, 0, 14);
      counters.writeUInt32BE((u32(salt, 4) ^ ssrc) >>> 0, o + 4);
      counters.writeUInt32BE((u32(salt, 8) ^ roc) >>> 0, o + 8);
      counters.writeUInt16BE(((salt[12]! << 8) | salt[13]!) ^ seq, o + 12);
      counters.writeUInt16BE(b, o + 14);
    }
    const keystream = this.#rtcpEcb!.update(counters.subarray(0, blocks * 16));
    xorBytes(buf, null, offset, buf, null, offset, keystream, null, 0, length);
  }

  /** RFC 7714 §8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt. */
  #rtpIv(ssrc: number, roc: number, seq: number): Buffer {
    const iv = this.#iv;
    const salt = this.#keys.rtpSalt;
    iv[0] = salt[0]!;
    iv[1] = salt[1]!;
    iv.writeUInt32BE((ssrc ^ u32(salt, 2)) >>> 0, 2);
    iv.writeUInt32BE((roc ^ u32(salt, 6)) >>> 0, 6);
    iv.writeUInt16BE(seq ^ ((salt[10]! << 8) | salt[11]!), 10);
    return iv;
  }

  /** RFC 7714 §9.1: IV = (0x0000 || SSRC || 0x0000 || index) XOR salt. */
  #rtcpIv(ssrc: number, index: number): Buffer {
    const iv = this.#iv;
    const salt = this.#keys.rtcpSalt;
    iv[0] = salt[0]!;
    iv[1] = salt[1]!;
    iv.writeUInt32BE((ssrc ^ u32(salt, 2)) >>> 0, 2);
    iv[6] = salt[6]!;
    iv[7] = salt[7]!;
    iv.writeUInt32BE((index ^ u32(salt, 8)) >>> 0, 8);
    return iv;
  }
}

/** Both directions of a DTLS-SRTP session. */
export interface SrtpKeys {
  profile: SrtpProfile;
  localMasterKey: Buffer;
  localMasterSalt: Buffer;
  remoteMasterKey: Buffer;
  remoteMasterSalt: Buffer;
}

export class SrtpSession {
  /** Protects what we send. */
  readonly local: SrtpContext;
  /** Unprotects what we receive. */
  readonly remote: SrtpContext;

  constructor(keys: SrtpKeys) {
    this.local = new SrtpContext(keys.profile, keys.localMasterKey, keys.localMasterSalt);
    this.remote = new SrtpContext(keys.profile, keys.remoteMasterKey, keys.remoteMasterSalt);
  }

  get profile(): SrtpProfile {
    return this.local.profile;
  }
}
